import QtQuick
import QtQuick.Layouts
import "../components"

// The number of an eSIM (or a phone whose SIM is not here) on a large keypad. The number
// and the keypad are pinned (never scrolled away); the title and the hint scroll when they
// must. Portrait: the number right under the hint, the keys as tall as the room left allows
// (never under 20 mm), a notice between number and keys. Landscape: title, hint and notices
// on the left, the number over the keypad in the middle, the actions on the right. While a
// notice says what was wrong (it says "area code first" too) it takes the hint's place, so
// that title, notice, number and keys fit in large text.
ScreenBase {
    id: screen
    objectName: "phoneScreen"
    readonly property bool noticed: phoneModel.notice.length > 0 || phoneModel.invalid
    title: qsTr("Enter your phone number")
    subtitle: noticed ? "" : qsTr("The number of the phone you want to top up, area code first.")
    compact: portrait && theme.largeText
    pinnedWidth: 640 * u

    // Why the number was not taken (from the checkout, or the keypad's own check).
    component Notices: ColumnLayout {
        spacing: 12 * screen.u
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

    Notices {  // landscape: under the title
        readonly property bool shown: !screen.portrait && screen.noticed
        width: parent.width
        height: shown ? implicitHeight : 0  // not from `visible`: the page's body hides when empty
        visible: shown
    }

    pinned: ColumnLayout {
        id: typed
        width: parent.width
        spacing: (screen.compact ? 16 : 24) * screen.u
        Rectangle {
            id: displayBox
            Layout.fillWidth: true
            Layout.preferredHeight: Math.max(140 * screen.u, phoneDisplay.implicitHeight + 28 * screen.u)
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
        Notices {  // portrait: between the number and the keys
            id: pinnedNotices
            Layout.fillWidth: true
            visible: screen.portrait && screen.noticed
        }
        Keypad {
            id: keypad
            Layout.fillWidth: true
            Layout.maximumWidth: 760 * screen.u
            Layout.alignment: Qt.AlignHCenter | Qt.AlignTop
            minKey: (screen.portrait ? 120 : 100) * screen.u
            maxKey: (screen.portrait ? 150 : 130) * screen.u
            gap: (screen.compact ? 14 : 20) * screen.u
            room: screen.pinnedRoom - displayBox.Layout.preferredHeight - typed.spacing
                  - (pinnedNotices.visible ? pinnedNotices.implicitHeight + typed.spacing : 0)
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
            textSize: screen.compact ? 36 : 40  // one line each beside each other in large text
            onClicked: session.send("back")
        },
        KButton {
            objectName: "startOverButton"
            text: qsTr("Start over")
            kind: "quiet"
            textSize: screen.compact ? 36 : 40
            onClicked: session.send("start_over")
        }
    ]
}
