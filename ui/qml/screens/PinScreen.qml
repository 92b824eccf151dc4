import QtQuick
import QtQuick.Layouts
import "../components"

// Staff sign-in: the technician or operator PIN on the large keypad (no system keyboard).
ScreenBase {
    id: screen
    objectName: "pinScreen"
    title: qsTr("Staff sign-in")
    subtitle: portrait ? qsTr("Enter your technician or operator PIN.") : ""

    function message() {
        switch (staff.pinMessage) {
        case "": return staff.pinBusy ? qsTr("Checking…") : ""
        case "wrong_pin": return qsTr("Wrong PIN. Attempts left before the keypad locks: %1").arg(staff.attemptsLeft)
        case "locked": {
            if (staff.lockedPermanent)
                return qsTr("Too many wrong PINs. Locked until a technician unlocks it.")
            var t = staff.lockedSeconds, h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60
            var two = function(n) { return (n < 10 ? "0" : "") + n }
            return qsTr("Too many wrong PINs. Locked: try again in %1.")
                .arg(h > 0 ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s))
        }
        case "too_short": return qsTr("A PIN has at least 4 digits.")
        case "not_configured": return qsTr("No staff PIN is set up on this kiosk.")
        case "unavailable": return qsTr("The PIN cannot be checked right now (ledger unavailable).")
        }
        return qsTr("The PIN cannot be checked right now (%1).").arg(staff.pinMessage)
    }

    GridLayout {
        width: parent.width
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
                border.width: (staff.locked ? 6 : 3) * screen.u
                border.color: staff.locked ? theme.danger : theme.border
                KText {
                    objectName: "pinDisplay"
                    anchors.fill: parent
                    verticalAlignment: Text.AlignVCenter
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.NoWrap
                    font.family: symbolFont
                    text: staff.pinLength > 0 ? "\u25CF ".repeat(staff.pinLength).trim() : qsTr("PIN")
                    color: staff.pinLength > 0 ? theme.text : theme.subtle
                    size: 64
                }
            }
            KText {
                objectName: "pinMessage"
                Layout.fillWidth: true
                visible: text.length > 0
                text: screen.message()
                color: staff.pinMessage === "" ? theme.text : theme.danger
                size: 38
                font.bold: true
            }
        }
        Keypad {
            Layout.fillWidth: true
            Layout.maximumWidth: 760 * screen.u
            Layout.alignment: Qt.AlignHCenter | Qt.AlignTop
            enabled: !staff.locked && !staff.pinBusy
            keyHeight: (screen.portrait ? 150 : 120) * screen.u
            onDigit: function(d) { staff.pinDigit(d) }
            onBackspace: staff.pinBackspace()
            onClear: staff.pinClear()
        }
    }

    actions: [
        KButton {
            objectName: "pinSubmitButton"
            text: qsTr("Sign in")
            enabled: staff.canSubmit
            onClicked: staff.submitPin()
        },
        KButton {
            objectName: "pinCancelButton"
            text: qsTr("Cancel")
            kind: "secondary"
            onClicked: staff.leave()
        }
    ]
}
