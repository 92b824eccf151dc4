import QtQuick

// Busy indicator: a ring with a dot running round it.
Item {
    id: spinner
    property real diameter: 220 * theme.unit
    implicitWidth: diameter
    implicitHeight: diameter
    Rectangle {
        anchors.fill: parent
        radius: width / 2
        color: "transparent"
        border.width: 14 * theme.unit
        border.color: theme.border
    }
    Item {
        property bool decorative: true  // the dot runs round the ring's edge
        anchors.fill: parent
        RotationAnimation on rotation { from: 0; to: 360; duration: 1200; loops: Animation.Infinite; running: spinner.visible }
        Rectangle {
            width: 34 * theme.unit; height: width; radius: width / 2
            color: theme.accent
            x: parent.width / 2 - width / 2
            y: -width / 2 + 7 * theme.unit
        }
    }
}
