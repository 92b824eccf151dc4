import QtQuick

// Audio guidance: the item selected with the keypad or a swipe (speech.focusKey) is outlined
// for anyone watching too. Two rings, dark and light, so it shows on every fill (ui/theme.py).
Item {
    id: ring
    property string key: ""
    property real radius: 0
    anchors.fill: parent
    z: 5
    visible: !!speech && key.length > 0 && speech.focusKey === key
    Rectangle {
        objectName: "focusRing"
        anchors.fill: parent
        radius: ring.radius
        color: "transparent"
        border.width: 7 * theme.unit
        border.color: theme.focusOuter
    }
    Rectangle {
        anchors.fill: parent
        anchors.margins: 7 * theme.unit
        radius: Math.max(0, ring.radius - 7 * theme.unit)
        color: "transparent"
        border.width: 5 * theme.unit
        border.color: theme.focusInner
    }
}
