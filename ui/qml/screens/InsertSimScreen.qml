import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "insertSimScreen"
    title: qsTr("Insert your SIM card")
    subtitle: qsTr("Put the SIM card into the slot below the screen, gold contacts facing up.")

    ColumnLayout {
        width: parent.width
        spacing: 24 * screen.u

        KText {
            objectName: "staleCardText"
            Layout.fillWidth: true
            visible: slotModel.staleCard
            text: "! " + qsTr("A SIM card is already in the slot. Please take it out, then insert yours.")
            size: 44
            font.bold: true
            color: theme.danger
            horizontalAlignment: Text.AlignHCenter
        }

        // The slot, with a SIM card sliding into it.
        Item {
            Layout.fillWidth: true
            Layout.preferredHeight: (screen.portrait ? 560 : 300) * screen.u
            clip: true  // the sliding card never draws over the title or the buttons
            Rectangle {
                id: slot
                anchors.horizontalCenter: parent.horizontalCenter
                y: parent.height * 0.7
                width: Math.min(parent.width * 0.7, 560 * screen.u)
                height: 64 * screen.u
                radius: 16 * screen.u
                color: theme.text
                Rectangle {
                    anchors.centerIn: parent
                    width: card.width + 20 * screen.u; height: 18 * screen.u
                    radius: 6 * screen.u
                    color: theme.background
                }
            }
            Rectangle {
                id: card
                property bool decorative: true  // slides in and out of the clipped box
                anchors.horizontalCenter: parent.horizontalCenter
                width: Math.min(parent.width * 0.3, 240 * screen.u, parent.height * 0.3)
                height: width * 1.3
                radius: 14 * screen.u
                color: "#E8B64C"
                border.width: 5 * screen.u
                border.color: theme.text
                Rectangle {
                    anchors.horizontalCenter: parent.horizontalCenter
                    y: parent.height * 0.45
                    width: parent.width * 0.5; height: parent.height * 0.34
                    radius: 8 * screen.u
                    color: "#C9962B"
                    border.width: 3 * screen.u
                    border.color: "#7A5A14"
                }
                SequentialAnimation on y {
                    loops: Animation.Infinite
                    running: screen.visible
                    NumberAnimation { from: slot.y - card.height - 60 * screen.u; to: slot.y - card.height * 0.55; duration: 1300; easing.type: Easing.InOutCubic }
                    PauseAnimation { duration: 600 }
                    NumberAnimation { to: slot.y - card.height - 60 * screen.u; duration: 10 }
                    PauseAnimation { duration: 300 }
                }
            }
            Rectangle {  // the front of the slot hides the card's lower part
                anchors.horizontalCenter: parent.horizontalCenter
                y: slot.y + slot.height / 2
                width: slot.width + 40 * screen.u
                height: parent.height - y
                color: theme.background
            }
        }
        KText {
            Layout.fillWidth: true
            text: qsTr("Waiting for your card…")
            size: 40
            color: theme.subtle
            horizontalAlignment: Text.AlignHCenter
        }
    }

    actions: [
        KButton {
            objectName: "usePhoneButton"
            text: qsTr("No SIM card or eSIM? Enter your phone number")
            kind: "secondary"
            onClicked: session.send("use_phone")
        },
        KButton {
            objectName: "backButton"
            text: qsTr("Back")
            kind: "quiet"
            onClicked: session.send("back")
        }
    ]
}
