import QtQuick
import QtQuick.Layouts

// Demo mode only (F2): insert a test SIM, pull the card, set the simulated terminal.
Rectangle {
    id: panel
    objectName: "demoPanel"
    readonly property real u: theme.unit
    width: 620 * u
    height: col.implicitHeight + 48 * u
    radius: 24 * u
    color: "#F01E293B"
    border.width: 3 * u
    border.color: "#FFD500"

    MouseArea { anchors.fill: parent; drag.target: panel }

    ColumnLayout {
        id: col
        anchors.fill: parent
        anchors.margins: 24 * panel.u
        spacing: 12 * panel.u
        KText { text: qsTr("Demo controls (F2)"); size: 32; font.bold: true; color: "#FFFFFF" }
        KText { text: qsTr("Insert a test SIM"); size: 26; color: "#FFFFFF"; visible: demo.profiles.length > 0 }
        Flow {
            Layout.fillWidth: true
            spacing: 10 * panel.u
            Repeater {
                model: demo.profiles
                KButton {
                    objectName: "demoInsert_" + modelData
                    text: modelData
                    kind: "secondary"
                    textSize: 26
                    width: 280 * panel.u
                    onClicked: demo.insert(modelData)
                }
            }
        }
        KButton {
            objectName: "demoPull"
            text: qsTr("Pull the card")
            kind: "secondary"
            textSize: 26
            onClicked: demo.pull()
        }
        KText { text: qsTr("Card terminal"); size: 26; color: "#FFFFFF"; visible: demo.behaviours.length > 0 }
        Flow {
            Layout.fillWidth: true
            spacing: 10 * panel.u
            Repeater {
                model: demo.behaviours
                KButton {
                    objectName: "demoTerminal_" + modelData
                    text: (demo.behaviour === modelData ? "\u2713 " : "") + modelData
                    kind: demo.behaviour === modelData ? "primary" : "secondary"
                    textSize: 26
                    width: 280 * panel.u
                    onClicked: demo.setTerminal(modelData)
                }
            }
        }
    }
}
