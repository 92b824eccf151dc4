import QtQuick
import QtQuick.Layouts
import "../components"

// The sale is done: the new expiry, "take your SIM card", the receipt (printing, and as a
// QR code) and a second QR code that puts a renewal reminder in the phone's calendar.
// Ends by itself after [kiosk] success_timeout_s (no "Need more time?" here).
ScreenBase {
    id: screen
    objectName: "successScreen"
    title: qsTr("Done! Your phone is topped up.")
    subtitle: resultModel.planName + " · " + resultModel.price + " · " + resultModel.number

    GridLayout {
        id: layout
        width: parent.width
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 48 * screen.u
        ColumnLayout {
            Layout.fillWidth: true
            Layout.preferredWidth: 1
            Layout.alignment: Qt.AlignTop
            spacing: (screen.portrait ? 24 : 16) * screen.u
            Badge { Layout.alignment: Qt.AlignHCenter; implicitWidth: (screen.portrait ? 110 : 100) * screen.u; glyph: "\u2713"; tone: theme.success }
            KText {
                objectName: "validUntilText"
                Layout.fillWidth: true
                visible: resultModel.validUntil.length > 0
                text: qsTr("Your plan now runs until %1.").arg(resultModel.validUntil)
                size: screen.portrait ? 52 : 44
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                objectName: "takeSimText"
                Layout.fillWidth: true
                visible: resultModel.fromSim
                text: qsTr("Please take your SIM card.")
                size: screen.portrait ? 48 : 42
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                Layout.fillWidth: true
                text: resultModel.printed ? qsTr("Your receipt is printing below the screen.") : ""
                visible: text.length > 0
                size: 38
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                objectName: "referenceText"
                Layout.fillWidth: true
                text: qsTr("Reference: %1").arg(resultModel.reference)
                size: 38
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
        }
        GridLayout {
            Layout.fillWidth: true
            Layout.preferredWidth: 1
            Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
            columns: 2
            columnSpacing: 32 * screen.u
            rowSpacing: 16 * screen.u
            // from the outer layout's width, not this grid's own (which depends on the tiles)
            readonly property real side: Math.min(((screen.portrait ? layout.width : (layout.width - layout.columnSpacing) / 2)
                                                   - columnSpacing) / 2 - 8 * screen.u,
                                                  (screen.portrait ? 330 : 320) * screen.u)
            QrTile {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                side: parent.side
                source: resultModel.qr
                caption: qsTr("Scan for your receipt")
            }
            QrTile {
                objectName: "reminderTile"
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                visible: resultModel.reminderQr.length > 0
                side: parent.side
                qrName: "reminderQr"
                source: resultModel.reminderQr
                caption: qsTr("Remind me 3 days before it ends")
            }
        }
    }

    actions: [
        KButton {
            objectName: "doneButton"
            text: qsTr("Done")
            onClicked: session.send("next")
        }
    ]
}
