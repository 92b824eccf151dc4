import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "processingScreen"
    title: qsTr("Payment approved")
    subtitle: qsTr("Now topping up your phone. This usually takes a few seconds; please wait.")
    Spinner { anchors.centerIn: parent }
}
