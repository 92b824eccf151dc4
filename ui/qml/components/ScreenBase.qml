import QtQuick
import QtQuick.Layouts

// Common layout: title and subtitle on top, content under them, the actions always on
// screen: under the content in portrait, in a column on the right in landscape (where
// height is scarce). Title, subtitle and content scroll when large text or a long
// translation makes them taller than the space (a "more below" bar says so and scrolls on
// a tap) instead of being cut off.
//
// The content is one child item: in a normal screen an item with `width: parent.width`
// whose height is its own (a ColumnLayout); with `fill: true` an item that fills the
// space (`anchors.fill: parent`) and scrolls itself if it must (staff screens).
Item {
    id: screen
    property alias title: titleText.text
    property alias subtitle: subtitleText.text
    default property alias content: body.data
    property alias actions: actionGrid.data
    property bool fill: false
    readonly property real u: theme.unit
    readonly property bool portrait: height >= width * 1.05
    readonly property real margin: (portrait ? 64 : 40) * u
    readonly property real gap: (portrait ? 36 : 24) * u
    readonly property alias scroller: scroller
    readonly property bool hasActions: actionGrid.visibleCount > 0
    // Width of the content column (landscape: the actions take the right 28 %).
    readonly property real contentWidth: scroller.width

    GridLayout {
        anchors.fill: parent
        anchors.margins: screen.margin
        columns: screen.portrait || !screen.hasActions ? 1 : 2
        rowSpacing: screen.gap
        columnSpacing: 40 * screen.u

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredWidth: 72
            spacing: 12 * screen.u

            Item {  // the page and its scroll bar
                Layout.fillWidth: true
                Layout.fillHeight: true
                Flickable {
                    id: scroller
                    objectName: "screenScroller"
                    anchors.fill: parent
                    anchors.rightMargin: 20 * screen.u  // the scroll bar's strip
                    contentWidth: width
                    contentHeight: page.height
                    clip: true
                    interactive: contentHeight > height + 1
                    boundsBehavior: Flickable.StopAtBounds
                    readonly property bool overflowing: !screen.fill && contentHeight > height + 1
                    // shown a turn later: toggling it inside the column's own rearrange recurses
                    property bool showMore: false
                    onOverflowingChanged: Qt.callLater(function() { scroller.showMore = scroller.overflowing })
                    Component.onCompleted: showMore = overflowing

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
                            size: screen.portrait ? 68 : 60
                            font.bold: true
                        }
                        KText {
                            id: subtitleText
                            objectName: "screenSubtitle"
                            Layout.fillWidth: true
                            visible: text.length > 0
                            size: screen.portrait ? 40 : 36
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
                Rectangle {  // scroll bar: where the view is in the whole page
                    objectName: "scrollBar"
                    visible: scroller.showMore
                    anchors.right: parent.right
                    y: scroller.height * scroller.contentY / Math.max(1, scroller.contentHeight)
                    width: 10 * screen.u
                    radius: width / 2
                    height: Math.min(scroller.height - y,
                                     Math.max(40 * screen.u, scroller.height * scroller.height / Math.max(1, scroller.contentHeight)))
                    color: theme.subtle
                }
            }
            Rectangle {
                id: more
                objectName: "moreBelow"
                visible: scroller.showMore
                Layout.fillWidth: true
                Layout.preferredHeight: moreText.implicitHeight + 16 * screen.u
                radius: height / 2
                color: scroller.atYEnd ? "transparent" : theme.accent
                border.width: 3 * screen.u
                border.color: scroller.atYEnd ? theme.border : theme.accent
                KText {
                    id: moreText
                    anchors.centerIn: parent
                    width: parent.width - 32 * screen.u
                    horizontalAlignment: Text.AlignHCenter
                    text: scroller.atYEnd ? "\u25B2 " + qsTr("Back to the top")
                                          : "\u25BC " + qsTr("More below: swipe up or tap here")
                    size: 30
                    font.bold: true
                    color: scroller.atYEnd ? theme.text : theme.accentText
                }
                MouseArea {  // a tap scrolls a page down (or back to the top at the end)
                    anchors.fill: parent
                    onClicked: scroller.contentY = scroller.atYEnd ? 0
                        : Math.min(scroller.contentHeight - scroller.height, scroller.contentY + scroller.height * 0.8)
                }
            }
        }
        // The actions: their full height when it fits; in the rare case they do not (landscape,
        // large text, four long labels) they scroll in their own column rather than spill over.
        Flickable {
            id: actionScroller
            objectName: "actionScroller"
            Layout.fillWidth: true
            Layout.preferredWidth: 28
            Layout.preferredHeight: actionGrid.implicitHeight
            Layout.maximumHeight: actionGrid.implicitHeight
            Layout.minimumHeight: screen.portrait ? actionGrid.implicitHeight : Math.min(actionGrid.implicitHeight, 160 * screen.u)
            Layout.fillHeight: !screen.portrait
            Layout.alignment: Qt.AlignBottom
            // never hidden: a hidden parent would hide its buttons, and visibleCount (which
            // reads their visibility) would then keep it hidden
            contentWidth: width
            contentHeight: actionGrid.implicitHeight
            interactive: contentHeight > height + 1
            clip: interactive
            boundsBehavior: Flickable.StopAtBounds
            GridLayout {
                id: actionGrid
                property int visibleCount: {
                    var n = 0
                    for (var i = 0; i < children.length; ++i)
                        if (children[i].visible) ++n
                    return n
                }
                width: actionScroller.width
                // Portrait with three or more actions: two columns, the first (main) action and
                // an odd last one across both, so the page keeps its height for the facts.
                readonly property bool paired: screen.portrait && visibleCount >= 3
                columns: paired ? 2 : 1
                rowSpacing: 24 * screen.u
                columnSpacing: 24 * screen.u
                function spans() {
                    var shown = []
                    for (var i = 0; i < children.length; ++i)
                        if (children[i].visible) shown.push(children[i])
                    for (var j = 0; j < shown.length; ++j) {
                        var wide = !paired || j === 0 || (j === shown.length - 1 && (shown.length - 1) % 2 === 1)
                        shown[j].Layout.columnSpan = paired && wide ? 2 : 1
                        shown[j].Layout.preferredWidth = 1
                    }
                }
                onPairedChanged: spans()
                onVisibleCountChanged: spans()
                Component.onCompleted: spans()
            }
        }
    }
}
