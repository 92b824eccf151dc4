import QtQuick

// A round symbol badge ("!" for problems, tick for success, "i" for information).
Rectangle {
    id: badge
    property string glyph: "!"
    property color tone: theme.danger
    implicitWidth: 180 * theme.unit
    implicitHeight: implicitWidth
    radius: width / 2
    color: theme.highContrast ? "transparent" : tone
    border.width: theme.highContrast ? 8 * theme.unit : 0
    border.color: tone
    Text {
        anchors.centerIn: parent
        text: badge.glyph
        font.family: symbolFont
        font.bold: true
        font.pixelSize: badge.width * 0.58
        color: theme.highContrast ? badge.tone : "#FFFFFF"
    }
}
