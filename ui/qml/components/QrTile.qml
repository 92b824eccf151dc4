import QtQuick
import QtQuick.Layouts
import QtQuick.Window

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
            id: code
            objectName: tile.qrName
            // The image has one pixel per module (quiet zone included): drawn at a whole number
            // of screen pixels per module, nearest neighbour, every module is equally wide and
            // phone cameras decode it (a fractional scale made modules 3 and 4 px wide at random).
            readonly property real dpr: Math.max(1, Screen.devicePixelRatio)
            readonly property int modules: Math.max(1, Math.round(implicitWidth))
            // the quiet zone is in the image (white on the white tile): the whole tile is room
            readonly property real room: parent.width - 2 * parent.border.width
            readonly property int pxPerModule: Math.max(1, Math.floor(room * dpr / modules))
            width: modules * pxPerModule / dpr
            height: width
            // whole pixels from the tile's corner (a half-pixel offset could split modules unevenly)
            x: Math.round((parent.width - width) * dpr / 2) / dpr
            y: Math.round((parent.height - height) * dpr / 2) / dpr
            source: tile.source
            // every receipt has its own QR: keeping each in the pixmap cache grew memory every sale
            cache: false
            smooth: false
            mipmap: false
            fillMode: Image.Stretch
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
