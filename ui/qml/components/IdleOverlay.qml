import QtQuick
import QtQuick.Layouts

// "Need more time?" with a countdown; any touch keeps the session.
Rectangle {
    id: overlay
    objectName: "idleOverlay"
    readonly property real u: theme.unit
    color: Qt.rgba(0, 0, 0, 0.72)
    MouseArea { anchors.fill: parent; onClicked: session.send("more_time") }

    Rectangle {
        anchors.centerIn: parent
        width: Math.min(parent.width - 96 * overlay.u, 900 * overlay.u)
        height: box.implicitHeight + 112 * overlay.u
        radius: 36 * overlay.u
        color: theme.surface
        border.width: theme.highContrast ? 6 * overlay.u : 0
        border.color: theme.border

        ColumnLayout {
            id: box
            anchors.fill: parent
            anchors.margins: 56 * overlay.u
            spacing: 32 * overlay.u
            KText {
                Layout.fillWidth: true
                text: qsTr("Need more time?")
                size: 68
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                objectName: "idleCountdown"
                Layout.fillWidth: true
                text: session.idleRemaining
                size: 140
                font.bold: true
                color: theme.text
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                Layout.fillWidth: true
                text: qsTr("seconds until the kiosk starts over and forgets what you entered.")
                size: 38
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
            KButton {
                objectName: "moreTimeButton"
                text: qsTr("Yes, I need more time")
                onClicked: session.send("more_time")
            }
        }
    }
}
