import QtQuick
import QtQuick.Layouts

// "Need more time?" with a countdown; any touch keeps the session. The box fits the
// window in every mode (its text scrolls inside it if it ever must).
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
            Flickable {
                id: words
                Layout.fillWidth: true
                Layout.fillHeight: true
                Layout.preferredHeight: texts.implicitHeight
                contentWidth: width
                contentHeight: texts.implicitHeight
                clip: true
                interactive: contentHeight > height + 1
                boundsBehavior: Flickable.StopAtBounds
                GridLayout {
                    id: texts
                    width: words.width
                    columns: overlay.wide ? 2 : 1
                    columnSpacing: 40 * overlay.u
                    rowSpacing: 16 * overlay.u
                    KText {
                        Layout.fillWidth: true
                        Layout.columnSpan: overlay.wide ? 2 : 1
                        text: qsTr("Need more time?")
                        size: 64
                        font.bold: true
                        horizontalAlignment: Text.AlignHCenter
                    }
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
                        Layout.fillWidth: true
                        Layout.alignment: Qt.AlignVCenter
                        text: qsTr("seconds until the kiosk starts over and forgets what you entered.")
                        size: 38
                        color: theme.subtle
                        horizontalAlignment: overlay.wide ? Text.AlignLeft : Text.AlignHCenter
                    }
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
