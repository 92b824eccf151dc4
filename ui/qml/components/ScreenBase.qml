import QtQuick
import QtQuick.Layouts

// Common layout: title and subtitle on top, content in the middle, actions at the bottom
// (stacked in portrait, side by side in landscape). The actions always stay on screen;
// title, subtitle and content scroll (with a visible hint) when large text or a long
// translation makes them taller than the space left, instead of being cut off.
//
// The content is one child item: in a normal screen an item with `width: parent.width`
// whose height is its own (a ColumnLayout); with `fill: true` an item that fills the
// space (`anchors.fill: parent`) and scrolls itself if it must (plan lists, staff screens).
Item {
    id: screen
    property alias title: titleText.text
    property alias subtitle: subtitleText.text
    default property alias content: body.data
    property alias actions: actionGrid.data
    property int actionColumns: portrait ? 1 : Math.max(1, actionGrid.visibleCount)
    property bool fill: false
    readonly property real u: theme.unit
    readonly property bool portrait: height >= width * 1.05
    readonly property real margin: (portrait ? 64 : 48) * u
    readonly property real gap: (portrait ? 36 : 24) * u
    readonly property alias scroller: scroller

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: screen.margin
        spacing: screen.gap

        Flickable {
            id: scroller
            objectName: "screenScroller"
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentWidth: width
            contentHeight: page.height
            clip: true
            interactive: contentHeight > height + 1
            boundsBehavior: Flickable.StopAtBounds

            ColumnLayout {
                id: page
                width: scroller.width
                height: screen.fill ? scroller.height : Math.max(scroller.height, implicitHeight)
                spacing: screen.gap

                KText {
                    id: titleText
                    objectName: "screenTitle"
                    Layout.fillWidth: true
                    visible: text.length > 0
                    size: 68
                    font.bold: true
                }
                KText {
                    id: subtitleText
                    objectName: "screenSubtitle"
                    Layout.fillWidth: true
                    visible: text.length > 0
                    size: 40
                    color: theme.subtle
                }
                Item {
                    id: body
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    Layout.preferredHeight: screen.fill ? -1 : childrenRect.height
                    Layout.minimumHeight: screen.fill ? 0 : childrenRect.height
                }
            }
        }
        GridLayout {
            id: actionGrid
            property int visibleCount: {
                var n = 0
                for (var i = 0; i < children.length; ++i)
                    if (children[i].visible) ++n
                return n
            }
            Layout.fillWidth: true
            visible: visibleCount > 0
            columns: screen.actionColumns
            rowSpacing: 24 * screen.u
            columnSpacing: 24 * screen.u
        }
    }
    ScrollHint { flickable: scroller }
}
