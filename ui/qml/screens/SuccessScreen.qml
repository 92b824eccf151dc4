import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "successScreen"
    title: qsTr("Done! Your phone is topped up.")
    subtitle: resultModel.planName + "  ·  " + resultModel.price + "  ·  " + resultModel.number

    GridLayout {
        id: layout
        anchors.fill: parent
        columns: screen.portrait ? 1 : 2
        rowSpacing: 32 * screen.u
        columnSpacing: 64 * screen.u
        ColumnLayout {
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignTop
            spacing: (screen.portrait ? 28 : 16) * screen.u
            Badge { Layout.alignment: Qt.AlignHCenter; glyph: "\u2713"; tone: theme.success }
            KText {
                objectName: "takeSimText"
                Layout.fillWidth: true
                visible: resultModel.fromSim
                text: qsTr("Please take your SIM card.")
                size: screen.portrait ? 56 : 48
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
                Layout.fillWidth: true
                text: qsTr("Reference: %1").arg(resultModel.reference)
                size: 34
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
        }
        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 16 * screen.u
            Rectangle {
                Layout.alignment: Qt.AlignHCenter
                // Landscape: as large as the row allows, leaving room for the caption.
                Layout.preferredWidth: screen.portrait ? 420 * screen.u
                                                       : Math.min(380 * screen.u, layout.height - 70 * screen.u)
                Layout.preferredHeight: Layout.preferredWidth
                color: "#FFFFFF"
                radius: 16 * screen.u
                Image {
                    objectName: "receiptQr"
                    anchors.fill: parent
                    anchors.margins: 8 * screen.u
                    source: resultModel.qr
                    // every receipt has its own QR: keeping each in the pixmap cache grew memory every sale
                    cache: false
                    smooth: false
                    fillMode: Image.PreserveAspectFit
                }
            }
            KText {
                Layout.fillWidth: true
                text: qsTr("Scan for your receipt")
                size: 36
                horizontalAlignment: Text.AlignHCenter
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
