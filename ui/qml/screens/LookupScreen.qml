import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "lookupScreen"
    title: qsTr("Finding your account…")
    subtitle: qsTr("This takes a few seconds.")
    ColumnLayout {
        width: parent.width
        Spinner { Layout.alignment: Qt.AlignHCenter; Layout.topMargin: 60 * screen.u }
    }
}
