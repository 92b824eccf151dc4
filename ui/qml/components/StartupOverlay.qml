import QtQuick
import QtQuick.Layouts

// Shown until start-up (crash recovery) is done, or instead of the customer screens
// when it failed. Swallows every touch; the technician gesture still works above it.
Rectangle {
    id: overlay
    objectName: "startupOverlay"
    readonly property real u: theme.unit
    readonly property bool failed: boot.state === "failed"
    color: theme.background
    MouseArea { anchors.fill: parent }

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 128 * overlay.u, 900 * overlay.u)
        spacing: 40 * overlay.u
        Spinner { Layout.alignment: Qt.AlignHCenter; visible: !overlay.failed }
        Badge { Layout.alignment: Qt.AlignHCenter; visible: overlay.failed; glyph: "!"; tone: theme.danger }
        KText {
            objectName: "startupText"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            size: 60
            font.bold: true
            text: overlay.failed ? qsTr("Out of service") : qsTr("Starting up…")
        }
        KText {
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            size: 38
            color: theme.subtle
            text: overlay.failed ? qsTr("This kiosk needs a technician. Please use another kiosk.")
                                 : qsTr("Checking that every earlier payment was completed.")
        }
    }
}
