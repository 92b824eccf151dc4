import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "noReaderScreen"
    title: qsTr("The SIM card reader is not working")
    message: qsTr("We can't read SIM cards right now, but you can still top up by typing your phone number.")
    hint: qsTr("The staff have been told about the reader.")
    actions: [
        KButton { objectName: "usePhoneButton"; text: qsTr("Type my phone number"); onClicked: session.send("use_phone") },
        KButton { objectName: "retryButton"; text: qsTr("Try the reader again"); kind: "secondary"; onClicked: session.send("retry") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
