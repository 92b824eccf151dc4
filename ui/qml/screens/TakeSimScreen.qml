import QtQuick
import QtQuick.Layouts
import "../components"

// After every exit while the customer's SIM is in the slot: take it, then the kiosk goes
// back to the start (or after a while by itself). Nothing of the customer is shown.
ScreenBase {
    id: screen
    objectName: "takeSimScreen"
    title: qsTr("Please take your SIM card")
    subtitle: qsTr("Take it out of the slot below the screen. Thank you!")

    ColumnLayout {
        width: parent.width
        spacing: 24 * screen.u
        Item {
            Layout.fillWidth: true
            Layout.preferredHeight: (screen.portrait ? 560 : 320) * screen.u
            clip: true
            Rectangle {
                id: slot
                anchors.horizontalCenter: parent.horizontalCenter
                y: parent.height * 0.75
                width: Math.min(parent.width * 0.7, 560 * screen.u)
                height: 64 * screen.u
                radius: 16 * screen.u
                color: theme.text
            }
            Rectangle {
                id: card
                property bool decorative: true  // rises out of the slot in the clipped box
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width * 0.3, 240 * screen.u, parent.height * 0.3)
                height: width * 1.3
                radius: 14 * screen.u
                color: "#E8B64C"
                border.width: 5 * screen.u
                border.color: theme.text
                SequentialAnimation on y {
                    loops: Animation.Infinite
                    running: screen.visible
                    NumberAnimation { from: slot.y - card.height * 0.4; to: slot.y - card.height - 40 * screen.u; duration: 1200; easing.type: Easing.OutCubic }
                    PauseAnimation { duration: 700 }
                }
            }
            Rectangle {
                anchors.horizontalCenter: parent.horizontalCenter
                y: slot.y + slot.height / 2
                width: slot.width + 40 * screen.u
                height: parent.height - y
                color: theme.background
            }
        }
        KText {
            objectName: "takeSimText"
            Layout.fillWidth: true
            text: "\u2191 " + qsTr("Your SIM card is still in the slot.")
            size: 48
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
    }
}
