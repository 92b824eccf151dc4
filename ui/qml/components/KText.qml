import QtQuick

// Text in the kiosk font; `size` is in design pixels (1080-wide portrait) before large text.
// Wraps at word boundaries, and inside a word too long for the line (never past its box).
Text {
    property real size: 40
    property bool scalable: true      // false: ignores the large-text option (top bar)
    color: theme.text
    font.family: theme.fontFamily
    font.pixelSize: Math.round(size * theme.unit * (scalable ? theme.textScale : 1.0))
    wrapMode: Text.Wrap
    lineHeight: 1.1
}
