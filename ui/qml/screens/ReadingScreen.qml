import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "readingScreen"
    title: qsTr("Reading your SIM card…")
    subtitle: qsTr("Please leave the card in the slot.")
    ColumnLayout {
        width: parent.width
        Spinner { Layout.alignment: Qt.AlignHCenter; Layout.topMargin: 60 * screen.u }
    }
}
