import QtQuick
import QtQuick.Layouts
import "../components"

// The number of an eSIM (or a phone whose SIM is not here) on a large keypad. Landscape puts
// title, hint and number beside the keypad so that the keys keep their full size.
ScreenBase {
    id: screen
    objectName: "phoneScreen"
    readonly property string titleText: qsTr("Enter your phone number")
    readonly property string hintText: qsTr("The number of the phone you want to top up, area code first.")
    title: portrait ? titleText : ""
    subtitle: portrait ? hintText : ""

    GridLayout {
        width: parent.width
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 64 * screen.u

        ColumnLayout {
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignTop
            Layout.preferredWidth: 5
            spacing: 20 * screen.u
            KText {
                objectName: "screenTitle"
                Layout.fillWidth: true
                visible: !screen.portrait
                text: screen.titleText
                size: 60
                font.bold: true
            }
            KText {
                objectName: "phoneHint"
                Layout.fillWidth: true
                visible: !screen.portrait
                text: screen.hintText
                size: 34
                color: theme.subtle
            }
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredHeight: Math.max(160 * screen.u, phoneDisplay.implicitHeight + 40 * screen.u)
                radius: 24 * screen.u
                color: theme.surface
                border.width: (phoneModel.invalid ? 6 : 3) * screen.u
                border.color: phoneModel.invalid ? theme.danger : theme.border
                KText {
                    id: phoneDisplay
                    objectName: "phoneDisplay"
                    anchors.centerIn: parent
                    width: parent.width - 72 * screen.u
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.NoWrap
                    fontSizeMode: Text.HorizontalFit
                    minimumPixelSize: 24
                    text: phoneModel.display.length > 0 ? phoneModel.display : qsTr("Phone number")
                    color: phoneModel.display.length > 0 ? theme.text : theme.subtle
                    size: 72
                    font.bold: phoneModel.display.length > 0
                }
            }
            KText {
                objectName: "phoneNotice"
                Layout.fillWidth: true
                visible: phoneModel.notice.length > 0
                text: "! " + phoneModel.notice
                color: theme.danger
                size: 36
                font.bold: true
            }
            KText {
                objectName: "numberInvalidText"
                Layout.fillWidth: true
                visible: phoneModel.invalid
                text: "! " + qsTr("Please check the number: a US number has 10 digits, area code first.")
                color: theme.danger
                size: 36
                font.bold: true
            }
        }
        Keypad {
            id: keypad
            Layout.fillWidth: true
            Layout.preferredWidth: 4
            Layout.maximumWidth: 760 * screen.u
            Layout.alignment: Qt.AlignHCenter | Qt.AlignTop
            keyHeight: (screen.portrait ? 150 : 120) * screen.u
            onDigit: function(d) { session.send("digit", d) }
            onBackspace: session.send("backspace")
            onClear: session.send("clear")
        }
    }

    actions: [
        KButton {
            objectName: "submitNumberButton"
            text: qsTr("Continue")
            enabled: phoneModel.canSubmit
            onClicked: session.send("submit_number")
        },
        KButton {
            objectName: "backButton"
            text: qsTr("Back")
            kind: "secondary"
            onClicked: session.send("back")
        },
        KButton {
            objectName: "startOverButton"
            text: qsTr("Start over")
            kind: "quiet"
            onClicked: session.send("start_over")
        }
    ]
}
