import QtQuick

// Over a Flickable that can scroll: a scroll bar on its right edge and, while more is
// below, a "More below" tab at its bottom edge (customers do not expect a kiosk to scroll).
Item {
    id: hint
    property Flickable flickable
    readonly property real u: theme.unit
    readonly property bool scrollable: !!flickable && flickable.contentHeight > flickable.height + 1
    visible: scrollable
    x: flickable ? flickable.mapToItem(parent, 0, 0).x : 0
    y: flickable ? flickable.mapToItem(parent, 0, 0).y : 0
    width: flickable ? flickable.width : 0
    height: flickable ? flickable.height : 0
    z: 5

    Rectangle {  // the bar: where the view is in the whole
        objectName: "scrollBar"
        x: parent.width - width
        width: 10 * hint.u
        radius: width / 2
        color: theme.subtle
        opacity: 0.8
        y: hint.scrollable ? hint.height * flickable.contentY / flickable.contentHeight : 0
        height: hint.scrollable ? Math.max(40 * hint.u, hint.height * flickable.height / flickable.contentHeight) : 0
    }
    Rectangle {
        objectName: "moreBelow"
        visible: hint.scrollable && !flickable.atYEnd
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        width: Math.min(parent.width, moreText.implicitWidth + 64 * hint.u)
        height: moreText.implicitHeight + 20 * hint.u
        radius: height / 2
        color: theme.accent
        border.width: theme.highContrast ? 3 * hint.u : 0
        border.color: theme.accentText
        KText {
            id: moreText
            anchors.centerIn: parent
            width: Math.min(implicitWidth, parent.width - 32 * hint.u)
            horizontalAlignment: Text.AlignHCenter
            text: "\u25BC " + qsTr("More below: swipe up")
            size: 30
            font.bold: true
            color: theme.accentText
        }
        MouseArea {  // a tap on the tab scrolls down a page
            anchors.fill: parent
            onClicked: flickable.contentY = Math.min(flickable.contentHeight - flickable.height,
                                                     flickable.contentY + flickable.height * 0.8)
        }
    }
}
