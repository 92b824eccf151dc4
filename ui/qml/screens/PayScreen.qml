import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "payScreen"
    title: qsTr("Pay on the card terminal")
    subtitle: portrait ? qsTr("The terminal is below the screen, on the right.") : ""

    // Terminal prompt ids (kiosk.ports.TerminalPrompt) → what the customer reads.
    function promptText(id) {
        switch (id) {
        case "insert_card": return qsTr("Insert your card")
        case "present_card": return qsTr("Tap, insert or swipe your card")
        case "enter_pin": return qsTr("Enter your PIN on the terminal")
        case "pin_wrong": return qsTr("Wrong PIN. Please try again.")
        case "please_wait": return qsTr("Please wait…")
        case "processing": return qsTr("Processing your payment…")
        case "remove_card": return qsTr("Please take your card")
        case "approved": return qsTr("Payment approved")
        case "declined": return qsTr("Payment declined")
        case "card_not_supported": return qsTr("This card is not accepted. Please use another card.")
        case "card_error": return qsTr("The card could not be read. Please try again.")
        case "try_again": return qsTr("Please try again")
        default: return qsTr("Follow the instructions on the terminal")
        }
    }

    GridLayout {
        anchors.fill: parent
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 64 * screen.u

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: !screen.portrait
            Layout.preferredWidth: 1
            spacing: 24 * screen.u
            KText {
                objectName: "payAmount"
                Layout.fillWidth: true
                text: payModel.price
                size: screen.portrait ? 120 : 96
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                Layout.fillWidth: true
                text: payModel.planName
                size: 40
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
            Item { Layout.fillHeight: true; visible: !screen.portrait }
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredHeight: promptLabel.implicitHeight + 64 * screen.u
                radius: 28 * screen.u
                color: theme.surface
                border.width: 4 * screen.u
                border.color: theme.accent
                KText {
                    id: promptLabel
                    objectName: "promptText"
                    anchors.centerIn: parent
                    width: parent.width - 64 * screen.u
                    text: session.lang, (payModel.cancelling ? qsTr("Cancelling the payment…") : screen.promptText(payModel.prompt))
                    size: screen.portrait ? 52 : 46
                    font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                }
            }
        }
        // A card terminal with a card moving towards it.
        Item {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredWidth: 1
            Layout.minimumHeight: 240 * screen.u
            Rectangle {
                id: terminal
                anchors.centerIn: parent
                height: Math.min(parent.height * 0.9, 420 * screen.u)
                width: height * 0.62
                radius: 30 * screen.u
                color: theme.text
                Rectangle {
                    anchors.horizontalCenter: parent.horizontalCenter
                    y: parent.height * 0.1
                    width: parent.width * 0.8; height: parent.height * 0.36
                    radius: 10 * screen.u
                    color: theme.background
                }
                Grid {
                    anchors.horizontalCenter: parent.horizontalCenter
                    y: parent.height * 0.55
                    columns: 3; spacing: parent.width * 0.06
                    Repeater {
                        model: 9
                        Rectangle { width: terminal.width * 0.18; height: terminal.height * 0.08; radius: 4; color: theme.background }
                    }
                }
            }
            Rectangle {
                width: terminal.width * 0.9
                height: width * 0.63
                radius: 14 * screen.u
                color: theme.accent
                border.width: 4 * screen.u
                border.color: theme.surface
                y: terminal.y + terminal.height * 0.15
                property real t: 0
                x: terminal.x + terminal.width * (0.75 - 0.4 * t)
                opacity: 0.92
                SequentialAnimation on t {
                    loops: Animation.Infinite
                    running: screen.visible
                    NumberAnimation { from: 0; to: 1; duration: 1200; easing.type: Easing.InOutQuad }
                    PauseAnimation { duration: 700 }
                    NumberAnimation { from: 1; to: 0; duration: 400 }
                }
            }
        }
    }

    actions: [
        KButton {
            objectName: "cancelPaymentButton"
            text: qsTr("Cancel payment")
            kind: "secondary"
            enabled: !payModel.cancelling
            onClicked: session.send("cancel_payment")
        }
    ]
}
