import QtQuick
import QtQuick.Layouts
import "../components"

// Paying on the terminal: the amount, what the terminal asks for (payModel.promptText), and
// Cancel. After [kiosk] payment_silence_s without a message from the terminal the box says
// so and Cancel becomes the main action. Landscape puts the terminal's prompt beside the
// amount, at the top: it is what the customer acts on, never below the fold.
ScreenBase {
    id: screen
    objectName: "payScreen"
    title: qsTr("Pay on the card terminal")
    subtitle: qsTr("The terminal is below the screen, on the right.")

    GridLayout {
        id: grid
        width: parent.width
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 64 * screen.u

        ColumnLayout {  // what is paid
            id: paid
            Layout.fillWidth: true
            Layout.preferredWidth: 2
            Layout.alignment: Qt.AlignTop
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
        }
        // what to do on the terminal (landscape: beside the amount, at the top, so that it is
        // seen without scrolling in large text too), then the picture of the terminal
        ColumnLayout {
            Layout.fillWidth: true
            Layout.preferredWidth: 3
            Layout.alignment: Qt.AlignTop
            spacing: 32 * screen.u
            Rectangle {
                id: promptBox
                objectName: "promptBox"
                Layout.fillWidth: true
                Layout.preferredHeight: promptColumn.implicitHeight + 56 * screen.u
                radius: 28 * screen.u
                color: theme.surface
                border.width: (payModel.silent ? 6 : 4) * screen.u
                border.color: payModel.silent ? theme.danger : theme.accent
                ColumnLayout {
                    id: promptColumn
                    anchors { left: parent.left; right: parent.right; verticalCenter: parent.verticalCenter; margins: 32 * screen.u }
                    spacing: 12 * screen.u
                    KText {
                        objectName: "promptText"
                        Layout.fillWidth: true
                        text: payModel.promptText
                        size: screen.portrait ? 52 : 46
                        font.bold: true
                        color: payModel.silent ? theme.danger : theme.text
                        horizontalAlignment: Text.AlignHCenter
                    }
                    KText {
                        objectName: "silentHint"
                        Layout.fillWidth: true
                        visible: payModel.silent && !payModel.cancelling
                        text: qsTr("You can cancel the payment. You will not pay for a top-up you did not get.")
                        size: 38
                        horizontalAlignment: Text.AlignHCenter
                    }
                }
            }
            // A card terminal with a card moving towards it (hidden once the terminal is silent).
            // Decorative: as tall as the room left on the page (large text), left out when
            // that is too little; it never makes the page scroll.
            Item {
                id: picture
                readonly property real room: screen.pageRoom - screen.headerHeight - promptBox.height - 32 * screen.u
                                             - (screen.portrait ? paid.implicitHeight + grid.rowSpacing : 0)
                                             - 4 * screen.u  // rounding of the heights above
                visible: !payModel.silent && room >= 300 * screen.u
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min((screen.portrait ? 420 : 360) * screen.u, room)
                Layout.alignment: Qt.AlignTop
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
                    property bool decorative: true  // moves towards the terminal
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
                        running: screen.visible && !payModel.silent
                        NumberAnimation { from: 0; to: 1; duration: 1200; easing.type: Easing.InOutQuad }
                        PauseAnimation { duration: 700 }
                        NumberAnimation { from: 1; to: 0; duration: 400 }
                    }
                }
            }
        }
    }

    actions: [
        KButton {
            objectName: "cancelPaymentButton"
            text: qsTr("Cancel payment")
            kind: payModel.silent ? "primary" : "secondary"
            enabled: !payModel.cancelling
            onClicked: session.send("cancel_payment")
        }
    ]
}
