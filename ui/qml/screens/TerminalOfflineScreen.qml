import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "terminalOfflineScreen"
    title: qsTr("The card terminal is not responding")
    message: qsTr("Nothing was charged.")
    hint: qsTr("Please try again in a moment. If it keeps happening, please use another kiosk.")
    actions: [
        KButton { objectName: "retryButton"; text: qsTr("Try again"); onClicked: session.send("retry") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
