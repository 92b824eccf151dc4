import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "readingScreen"
    title: qsTr("Reading your SIM card…")
    subtitle: qsTr("Please leave the card in the slot.")
    Spinner { anchors.centerIn: parent }
}
