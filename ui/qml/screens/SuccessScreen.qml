import QtQuick
import QtQuick.Layouts
import "../components"

// The sale is done: the new expiry, the reference, the receipt (printing, and as a QR code),
// "take your SIM card" and a second QR code that puts a renewal reminder in the phone's
// calendar. Ends by itself after [kiosk] success_timeout_s (no "Need more time?" here).
// The reference comes right under the new expiry so that it is on screen before any
// scrolling. PrinterOutOfPaperScreen is this screen with its own words: there the QR code is
// the receipt, so it comes before the rest of the words (portrait) or beside them.
ScreenBase {
    id: screen
    objectName: "successScreen"
    title: qsTr("Done! Your phone is topped up.")
    subtitle: resultModel.planName + " · " + resultModel.price + " · " + resultModel.number
    // the words, which PrinterOutOfPaperScreen replaces (each in its own catalogue context)
    property string expiryLine: qsTr("Your plan now runs until %1.")
    property string referenceLine: qsTr("Reference: %1")
    property string receiptLine: resultModel.printed ? qsTr("Your receipt is printing below the screen.") : ""
    property string takeSimLine: qsTr("Please take your SIM card.")
    property string doneText: qsTr("Done")
    // the QR code is the receipt (nothing printed): it comes before the receipt line
    property bool qrFirst: false

    GridLayout {
        id: layout
        width: parent.width
        columns: screen.portrait ? 1 : 2
        rowSpacing: (screen.portrait ? 24 : 16) * screen.u
        columnSpacing: 48 * screen.u
        ColumnLayout {
            Layout.row: 0
            Layout.column: 0
            Layout.fillWidth: true
            Layout.preferredWidth: 1
            Layout.alignment: Qt.AlignTop
            spacing: (screen.portrait ? 24 : 16) * screen.u
            Badge {
                visible: !screen.qrFirst  // the room goes to the QR code and the reference
                Layout.alignment: Qt.AlignHCenter
                implicitWidth: (screen.portrait ? 110 : 100) * screen.u
                glyph: "\u2713"
                tone: theme.success
            }
            KText {
                objectName: "validUntilText"
                Layout.fillWidth: true
                visible: resultModel.validUntil.length > 0
                text: screen.expiryLine.arg(resultModel.validUntil)
                size: screen.portrait ? 52 : 44
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                objectName: "referenceText"
                Layout.fillWidth: true
                text: screen.referenceLine.arg(resultModel.reference)
                size: 38
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
        }
        ColumnLayout {
            Layout.row: screen.portrait && !screen.qrFirst ? 1 : (screen.portrait ? 2 : 1)
            Layout.column: 0
            Layout.fillWidth: true
            Layout.preferredWidth: 1
            Layout.alignment: Qt.AlignTop
            spacing: (screen.portrait ? 24 : 16) * screen.u
            KText {
                objectName: "receiptText"
                Layout.fillWidth: true
                text: screen.receiptLine
                visible: text.length > 0
                size: 38
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                objectName: "takeSimText"
                Layout.fillWidth: true
                visible: resultModel.fromSim
                text: screen.takeSimLine
                size: screen.portrait ? 48 : 42
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
        }
        Item {  // landscape: the room the codes take beyond the words goes under the words
            visible: !screen.portrait
            Layout.row: 2
            Layout.column: 0
            Layout.fillHeight: true
        }
        GridLayout {
            Layout.row: screen.portrait ? (screen.qrFirst ? 1 : 2) : 0
            Layout.column: screen.portrait ? 0 : 1
            Layout.rowSpan: screen.portrait ? 1 : 3
            Layout.fillWidth: true
            Layout.preferredWidth: 1
            Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
            Layout.topMargin: screen.portrait ? 8 * screen.u : 0
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
            text: screen.doneText
            onClicked: session.send("next")
        }
    ]
}
