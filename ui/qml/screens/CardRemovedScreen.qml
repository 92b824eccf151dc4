import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "cardRemovedScreen"
    title: qsTr("The card was taken out too early")
    message: qsTr("We need a few seconds to read the SIM card.")
    hint: qsTr("Please insert it again and leave it in until the screen changes.")
    actions: [
        KButton { objectName: "retryButton"; text: qsTr("Insert it again"); onClicked: session.send("retry") },
        KButton { objectName: "usePhoneButton"; text: qsTr("Type my phone number"); kind: "secondary"; onClicked: session.send("use_phone") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
