import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "unreadableSimScreen"
    title: qsTr("We couldn't read this SIM card")
    message: qsTr("The card may be upside down, dirty, or a kind of SIM we don't know.")
    hint: qsTr("Take it out, check it and insert it again, or type your phone number instead.")
    actions: [
        KButton { objectName: "retryButton"; text: qsTr("Insert it again"); onClicked: session.send("retry") },
        KButton { objectName: "usePhoneButton"; text: qsTr("Type my phone number"); kind: "secondary"; onClicked: session.send("use_phone") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
