import QtQuick
import QtQuick.Layouts

// "Need more time?" with a countdown; any touch keeps the session. The box fits the
// window in every mode: the question scrolls inside it if it ever must (with the screens'
// "More below" bar), the countdown and "more time" never scroll away.
Rectangle {
    id: overlay
    objectName: "idleOverlay"
    readonly property real u: theme.unit
    readonly property bool wide: width > height
    color: Qt.rgba(0, 0, 0, 0.72)
    MouseArea { anchors.fill: parent; onClicked: session.send("more_time") }

    Rectangle {
        id: dialog
        objectName: "idleDialog"
        anchors.centerIn: parent
        width: Math.min(parent.width - 96 * overlay.u, (overlay.wide ? 1300 : 900) * overlay.u)
        height: Math.min(parent.height - 96 * overlay.u, box.implicitHeight + 2 * pad)
        readonly property real pad: 48 * overlay.u
        radius: 36 * overlay.u
        color: theme.surface
        border.width: theme.highContrast ? 6 * overlay.u : 0
        border.color: theme.border

        ColumnLayout {
            id: box
            anchors.fill: parent
            anchors.margins: dialog.pad
            spacing: 24 * overlay.u
            // Only the question scrolls (large text, a long translation): the countdown and
            // "more time" below it always stay in view, and a bar says when there is more.
            Flickable {
                id: words
                objectName: "idleWords"
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredHeight: heading.implicitHeight
                Layout.minimumHeight: Math.min(heading.implicitHeight, 90 * overlay.u)  // a line at least
                contentWidth: width
                contentHeight: heading.implicitHeight
                clip: true
                interactive: contentHeight > height + 1
                boundsBehavior: Flickable.StopAtBounds
                readonly property bool overflowing: contentHeight > height + 1
                // shown a turn later: toggling it inside the column's own rearrange recurses
                property bool showMore: false
                onOverflowingChanged: Qt.callLater(function() { words.showMore = words.overflowing })
                Component.onCompleted: showMore = overflowing
                KText {
                    id: heading
                    width: words.width
                    text: qsTr("Need more time?")
                    size: 64
                    font.bold: true
                    horizontalAlignment: Text.AlignHCenter
                }
            }
            Rectangle {
                objectName: "idleMoreBelow"
                visible: words.showMore
                Layout.fillWidth: true
                Layout.preferredHeight: moreText.implicitHeight + 16 * overlay.u
                radius: height / 2
                color: words.atYEnd ? "transparent" : theme.accent
                border.width: 3 * overlay.u
                border.color: words.atYEnd ? theme.border : theme.accent
                KText {
                    id: moreText
                    anchors.centerIn: parent
                    width: parent.width - 32 * overlay.u
                    horizontalAlignment: Text.AlignHCenter
                    // the screens' own words (ScreenBase's catalogue entries)
                    text: words.atYEnd ? "\u25B2 " + qsTranslate("ScreenBase", "Back to the top")
                                       : "\u25BC " + qsTranslate("ScreenBase", "More below: swipe up or tap here")
                    size: 30
                    font.bold: true
                    color: words.atYEnd ? theme.text : theme.accentText
                }
                MouseArea {  // a tap scrolls down (or back to the top at the end)
                    anchors.fill: parent
                    onClicked: words.contentY = words.atYEnd ? 0
                        : Math.min(words.contentHeight - words.height, words.contentY + words.height * 0.8)
                }
            }
            GridLayout {
                Layout.fillWidth: true
                columns: overlay.wide ? 2 : 1
                columnSpacing: 40 * overlay.u
                rowSpacing: 16 * overlay.u
                KText {
                    objectName: "idleCountdown"
                    Layout.alignment: Qt.AlignHCenter | Qt.AlignVCenter
                    text: session.idleRemaining
                    size: 120
                    font.bold: true
                    wrapMode: Text.NoWrap
                    horizontalAlignment: Text.AlignHCenter
                }
                KText {
                    objectName: "idleExplanation"
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignVCenter
                    text: qsTr("seconds until the kiosk starts over and forgets what you entered.")
                    size: 38
                    color: theme.subtle
                    horizontalAlignment: overlay.wide ? Text.AlignLeft : Text.AlignHCenter
                }
            }
            KButton {
                objectName: "moreTimeButton"
                text: qsTr("Yes, I need more time")
                onClicked: session.send("more_time")
            }
        }
    }
}
