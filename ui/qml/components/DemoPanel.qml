import QtQuick
import QtQuick.Layouts
import QtQuick.Window

// Demo mode only (F2): insert a test SIM, pull the card, set the simulated terminal.
// Compact (it is for the person giving the demo, not a customer) and never taller than the
// window: 10 test SIMs and 4 terminal behaviours fit 1080 px; more would scroll.
Rectangle {
    id: panel
    objectName: "demoPanel"
    readonly property real u: theme.unit
    readonly property real maxHeight: Window.height - 48 * u
    width: Math.min(940 * u, Window.width - 48 * u)
    height: Math.min(col.implicitHeight + 40 * u, maxHeight)
    radius: 24 * u
    color: "#F01E293B"
    border.width: 3 * u
    border.color: "#FFD500"

    component DemoButton: Rectangle {
        id: button
        property alias text: label.text
        property bool chosen: false
        signal clicked()
        Layout.fillWidth: true
        Layout.preferredWidth: 1
        implicitHeight: Math.max(76 * panel.u, label.implicitHeight + 20 * panel.u)
        radius: 14 * panel.u
        color: chosen ? "#FFD500" : "#334155"
        border.width: 2 * panel.u
        border.color: "#FFD500"
        Text {
            id: label
            anchors.centerIn: parent
            width: parent.width - 16 * panel.u
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            font.family: theme.fontFamily
            font.pixelSize: 24 * panel.u
            font.bold: true
            color: button.chosen ? "#000000" : "#FFFFFF"
        }
        MouseArea { anchors.fill: parent; onClicked: button.clicked() }
    }

    MouseArea { anchors.fill: parent; drag.target: panel }

    Flickable {
        anchors.fill: parent
        anchors.margins: 20 * panel.u
        contentWidth: width
        contentHeight: col.implicitHeight
        clip: true
        interactive: contentHeight > height + 1
        boundsBehavior: Flickable.StopAtBounds

        ColumnLayout {
            id: col
            width: parent.width
            spacing: 10 * panel.u
            Text {
                text: qsTr("Demo controls (F2)")
                font.family: theme.fontFamily; font.pixelSize: 30 * panel.u; font.bold: true
                color: "#FFFFFF"
            }
            Text {
                visible: demo.profiles.length > 0
                text: qsTr("Insert a test SIM")
                font.family: theme.fontFamily; font.pixelSize: 24 * panel.u
                color: "#FFFFFF"
            }
            GridLayout {
                Layout.fillWidth: true
                columns: 3
                rowSpacing: 8 * panel.u
                columnSpacing: 8 * panel.u
                Repeater {
                    model: demo.profiles
                    DemoButton {
                        objectName: "demoInsert_" + modelData
                        text: modelData
                        onClicked: demo.insert(modelData)
                    }
                }
            }
            DemoButton {
                objectName: "demoPull"
                text: qsTr("Pull the card")
                onClicked: demo.pull()
            }
            Text {
                visible: demo.behaviours.length > 0
                text: qsTr("Card terminal")
                font.family: theme.fontFamily; font.pixelSize: 24 * panel.u
                color: "#FFFFFF"
            }
            GridLayout {
                Layout.fillWidth: true
                columns: 4
                columnSpacing: 8 * panel.u
                Repeater {
                    model: demo.behaviours
                    DemoButton {
                        objectName: "demoTerminal_" + modelData
                        text: (demo.behaviour === modelData ? "\u2713 " : "") + modelData
                        chosen: demo.behaviour === modelData
                        onClicked: demo.setTerminal(modelData)
                    }
                }
            }
        }
    }
}
