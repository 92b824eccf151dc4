import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "phoneScreen"
    title: qsTr("Enter your phone number")
    subtitle: portrait ? qsTr("The number of the phone you want to top up, area code first.") : ""

    GridLayout {
        anchors.fill: parent
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 64 * screen.u

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: !screen.portrait
            Layout.alignment: Qt.AlignTop
            spacing: 24 * screen.u
            Rectangle {
                Layout.fillWidth: true
                Layout.preferredHeight: 160 * screen.u
                radius: 24 * screen.u
                color: theme.surface
                border.width: (phoneModel.invalid ? 6 : 3) * screen.u
                border.color: phoneModel.invalid ? theme.danger : theme.border
                KText {
                    objectName: "phoneDisplay"
                    anchors.fill: parent
                    anchors.leftMargin: 36 * screen.u
                    anchors.rightMargin: 36 * screen.u
                    verticalAlignment: Text.AlignVCenter
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
                objectName: "numberInvalidText"
                Layout.fillWidth: true
                visible: phoneModel.invalid
                text: "! " + qsTr("Please check the number: 10 digits, or the country code and number.")
                color: theme.danger
                size: 36
                font.bold: true
            }
            Item { Layout.fillHeight: true; visible: !screen.portrait }
            KButton {
                objectName: "submitNumberButton"
                visible: !screen.portrait
                text: qsTr("Continue")
                enabled: phoneModel.canSubmit
                onClicked: session.send("submit_number")
            }
            KButton {
                objectName: "useSimButton"
                visible: !screen.portrait
                text: qsTr("Use my SIM card instead")
                kind: "secondary"
                onClicked: session.send("use_sim")
            }
        }
        Keypad {
            id: keypad
            Layout.fillWidth: true
            Layout.maximumWidth: 760 * screen.u
            Layout.alignment: Qt.AlignHCenter | Qt.AlignTop
            keyHeight: screen.portrait ? 150 * screen.u
                                       : Math.max(120 * screen.u, Math.min(150 * screen.u, (parent.height - 3 * rowSpacing) / 4))
            onDigit: function(d) { session.send("digit", d) }
            onBackspace: session.send("backspace")
            onClear: session.send("clear")
        }
    }

    actions: [
        KButton {
            objectName: "submitNumberButton"
            visible: screen.portrait
            text: qsTr("Continue")
            enabled: phoneModel.canSubmit
            onClicked: session.send("submit_number")
        },
        KButton {
            objectName: "useSimButton"
            visible: screen.portrait
            text: qsTr("Use my SIM card instead")
            kind: "secondary"
            onClicked: session.send("use_sim")
        }
    ]
}
