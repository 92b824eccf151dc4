import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    id: screen
    objectName: "printerOutOfPaperScreen"
    glyph: "\u2713"
    tone: theme.success
    title: qsTr("Done! Your phone is topped up.")
    message: (resultModel.validUntil.length > 0 ? qsTr("Your plan now runs until %1.").arg(resultModel.validUntil) + " " : "")
             + qsTr("The receipt printer is out of paper. Scan the code to get your receipt on your phone.")
    hint: resultModel.fromSim ? qsTr("Please take your SIM card.") : ""
    extra: [
        GridLayout {
            readonly property real avail: screen.wordsWidth - 40 * theme.unit
            width: Math.min(avail, 2 * 360 * theme.unit + 32 * theme.unit)
            columns: 2
            columnSpacing: 32 * theme.unit
            readonly property real side: Math.min((avail - columnSpacing) / 2 - 8 * theme.unit, 360 * theme.unit)
            QrTile {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                side: parent.side
                source: resultModel.qr
                caption: qsTr("Scan for your receipt")
            }
            QrTile {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                visible: resultModel.reminderQr.length > 0
                side: parent.side
                qrName: "reminderQr"
                source: resultModel.reminderQr
                caption: qsTr("Remind me 3 days before it ends")
            }
        }
    ]
    actions: [
        KButton { objectName: "doneButton"; text: qsTr("Done"); onClicked: session.send("next") }
    ]
}
