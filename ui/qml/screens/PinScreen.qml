import QtQuick
import QtQuick.Layouts
import "../components"

// Staff sign-in: the technician or operator PIN on the large keypad (no system keyboard).
// The PIN and the keypad are pinned as on the phone screen: the keys never scroll away.
ScreenBase {
    id: screen
    objectName: "pinScreen"
    title: qsTr("Staff sign-in")
    subtitle: qsTr("Enter your technician or operator PIN.")
    compact: portrait && theme.largeText
    pinnedWidth: 640 * u

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

    // Portrait: under the PIN, between it and the keys; landscape: under the title (left).
    component Message: KText {
        objectName: "pinMessage"
        visible: text.length > 0
        text: screen.message()
        color: staff.pinMessage === "" ? theme.text : theme.danger
        size: 38
        font.bold: true
    }

    Item {
        readonly property bool shown: !screen.portrait && bodyMessage.text.length > 0
        width: parent.width
        height: shown ? bodyMessage.implicitHeight : 0  // not from `visible`: the page's body hides when empty
        visible: shown
        Message { id: bodyMessage; width: parent.width }
    }

    pinned: ColumnLayout {
        id: typed
        width: parent.width
        spacing: (screen.compact ? 16 : 24) * screen.u
        Rectangle {
            id: displayBox
            Layout.fillWidth: true
            Layout.preferredHeight: 140 * screen.u
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
                fontSizeMode: Text.Fit
                minimumPixelSize: 24
                font.family: symbolFont
                text: staff.pinLength > 0 ? "\u25CF ".repeat(staff.pinLength).trim() : qsTr("PIN")
                color: staff.pinLength > 0 ? theme.text : theme.subtle
                size: 64
            }
        }
        Message {
            id: pinnedMessage
            Layout.fillWidth: true
            visible: screen.portrait && text.length > 0
        }
        Keypad {
            Layout.fillWidth: true
            Layout.maximumWidth: 760 * screen.u
            Layout.alignment: Qt.AlignHCenter | Qt.AlignTop
            enabled: !staff.locked && !staff.pinBusy
            minKey: (screen.portrait ? 120 : 100) * screen.u
            maxKey: (screen.portrait ? 150 : 130) * screen.u
            gap: (screen.compact ? 14 : 20) * screen.u
            room: screen.pinnedRoom - displayBox.Layout.preferredHeight - typed.spacing
                  - (pinnedMessage.visible ? pinnedMessage.implicitHeight + typed.spacing : 0)
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
