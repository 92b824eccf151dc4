import QtQuick
import QtQuick.Layouts

// A QR code on a white tile (phones read dark-on-light in both themes) with its caption.
ColumnLayout {
    id: tile
    property string source
    property string caption
    property string qrName: "receiptQr"
    property real side: 380 * theme.unit
    spacing: 12 * theme.unit
    Rectangle {
        Layout.alignment: Qt.AlignHCenter
        Layout.preferredWidth: tile.side
        Layout.preferredHeight: tile.side
        color: "#FFFFFF"
        radius: 16 * theme.unit
        border.width: theme.highContrast ? 4 * theme.unit : 0
        border.color: theme.border
        Image {
            objectName: tile.qrName
            anchors.fill: parent
            anchors.margins: 8 * theme.unit
            source: tile.source
            // every receipt has its own QR: keeping each in the pixmap cache grew memory every sale
            cache: false
            smooth: false
            fillMode: Image.PreserveAspectFit
        }
    }
    KText {
        Layout.fillWidth: true
        Layout.maximumWidth: Math.max(tile.side, 420 * theme.unit)
        Layout.alignment: Qt.AlignHCenter
        text: tile.caption
        size: 34
        font.bold: true
        horizontalAlignment: Text.AlignHCenter
    }
}
