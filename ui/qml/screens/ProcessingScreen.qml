import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "processingScreen"
    title: qsTr("Payment approved")
    subtitle: qsTr("Now topping up your phone. This usually takes a few seconds; please wait.")
    ColumnLayout {
        width: parent.width
        Spinner { Layout.alignment: Qt.AlignHCenter; Layout.topMargin: 60 * screen.u }
    }
}
