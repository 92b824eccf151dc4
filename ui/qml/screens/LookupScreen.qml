import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "lookupScreen"
    title: qsTr("Finding your account…")
    subtitle: qsTr("This takes a few seconds.")
    Spinner { anchors.centerIn: parent }
}
