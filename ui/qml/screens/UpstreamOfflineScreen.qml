import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "upstreamOfflineScreen"
    glyph: "!"
    title: qsTr("We can't reach the carriers right now")
    message: qsTr("Top-ups need a network connection, which is down at the moment. Nothing was charged.")
    hint: qsTr("Your SIM card and phone are fine. Please try again in a few minutes.")
    actions: [
        KButton { objectName: "retryButton"; visible: resultModel.canRetry; text: qsTr("Try again"); onClicked: session.send("retry") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
