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
// space (`anchors.fill: parent`) and scrolls itself if it must (staff screens); such a
// screen names its Flickable as `list` so that the "More below" bar follows it.
//
// `pinned` is what the customer works with (a keypad and what it typed): it never scrolls.
// It sits under the page in portrait (the page keeps its natural height when it fits, the
// spare room goes below the pinned part) and in a column of `pinnedWidth` between the page
// and the actions in landscape. `pinnedRoom` is the height it may take while the page is
// still shown whole, so that a keypad can size its keys to the room there is.
Item {
    id: screen
    property alias title: titleText.text
    property alias subtitle: subtitleText.text
    default property alias content: body.data
    property alias actions: actionGrid.data
    property alias pinned: pinnedBox.data
    property real pinnedWidth: 640 * u
    property bool fill: false
    property Flickable list: null
    // what the "More below" bar scrolls: the page, or with `fill` the screen's own list
    readonly property Flickable viewed: fill && list !== null ? list : scroller
    // tighter margins and gaps (keypad screens in large text: every pixel goes to the keys)
    property bool compact: false
    readonly property real u: theme.unit
    readonly property bool portrait: height >= width * 1.05
    readonly property real margin: (portrait ? (compact ? 40 : 64) : (compact ? 32 : 40)) * u
    readonly property real gap: (portrait ? (compact ? 24 : 36) : 24) * u
    readonly property alias scroller: scroller
    readonly property bool hasActions: actionGrid.visibleCount > 0
    readonly property bool hasPinned: pinnedBox.children.length > 0
    readonly property real pinnedRoom: portrait
        ? height - 2 * margin - page.implicitHeight - gap - (hasActions ? actionGrid.implicitHeight + gap : 0)
        : height - 2 * margin
    // Width of the content column (landscape: the actions take the right 28 %).
    readonly property real contentWidth: scroller.width
    // Height the page is seen in without scrolling, and what title and subtitle take of it:
    // a screen can size a picture to the room left instead of pushing the page to scroll.
    readonly property real pageRoom: pageColumn.height
    readonly property real headerHeight: (titleText.visible ? titleText.implicitHeight : 0)
                                         + (subtitleText.visible ? subtitleText.implicitHeight + subtitleText.Layout.topMargin : 0)
                                         + body.Layout.topMargin

    GridLayout {
        anchors.fill: parent
        anchors.margins: screen.margin
        columns: screen.portrait ? 1 : 1 + (screen.hasPinned ? 1 : 0) + (screen.hasActions ? 1 : 0)
        rowSpacing: screen.gap
        columnSpacing: 40 * screen.u

        ColumnLayout {
            id: pageColumn
            Layout.fillWidth: true
            Layout.fillHeight: true
            // portrait with a pinned part: no taller than the page, the pinned part right under it
            Layout.maximumHeight: screen.portrait && screen.hasPinned ? page.implicitHeight : Number.POSITIVE_INFINITY
            Layout.preferredHeight: screen.portrait && screen.hasPinned ? page.implicitHeight : -1
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
                    // against the room without the bar: whether the bar shows must not depend on
                    // whether it shows (content between the two heights kept either state)
                    // (a list of its own: against its height without the bar, the same way)
                    readonly property bool overflowing: screen.fill
                        ? screen.list !== null && screen.list.contentHeight
                              > screen.list.height + (showMore ? more.height + pageColumn.spacing : 0) + 1
                        : contentHeight > pageColumn.height + 1
                    // shown a turn later: toggling it inside the column's own rearrange recurses
                    property bool showMore: false
                    onOverflowingChanged: Qt.callLater(function() { scroller.showMore = scroller.overflowing })
                    Component.onCompleted: showMore = overflowing

                    ColumnLayout {
                        id: page
                        width: scroller.width
                        height: screen.fill ? scroller.height : Math.max(scroller.height, implicitHeight)
                        // gaps as margins: an empty body (a keypad screen's words are all in its
                        // title and subtitle) adds no gap under them
                        spacing: 0

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
                            Layout.topMargin: titleText.visible ? screen.gap : 0
                            visible: text.length > 0
                            size: screen.portrait ? 40 : 36
                            color: theme.subtle
                        }
                        Item {
                            id: body
                            Layout.topMargin: (titleText.visible || subtitleText.visible)
                                              && (screen.fill || childrenRect.height > 0) ? screen.gap : 0
                            Layout.fillWidth: true
                            Layout.fillHeight: true
                            Layout.preferredHeight: screen.fill ? -1 : childrenRect.height
                            Layout.minimumHeight: screen.fill ? 0 : childrenRect.height
                        }
                    }
                }
                Rectangle {  // scroll bar: where the view is in the whole page
                    objectName: "scrollBar"
                    visible: scroller.showMore && !screen.fill  // a list of its own: the bar only
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
                color: screen.viewed.atYEnd ? "transparent" : theme.accent
                border.width: 3 * screen.u
                border.color: screen.viewed.atYEnd ? theme.border : theme.accent
                KText {
                    id: moreText
                    objectName: "moreText"
                    anchors.centerIn: parent
                    width: parent.width - 32 * screen.u
                    horizontalAlignment: Text.AlignHCenter
                    text: screen.viewed.atYEnd ? "\u25B2 " + qsTr("Back to the top")
                                          : "\u25BC " + qsTr("More below: swipe up or tap here")
                    size: 30
                    font.bold: true
                    color: screen.viewed.atYEnd ? theme.text : theme.accentText
                }
                MouseArea {  // a tap scrolls a page down (or back to the top at the end)
                    anchors.fill: parent
                    onClicked: {
                        var v = screen.viewed
                        v.contentY = v.atYEnd ? 0 : Math.min(v.contentHeight - v.height, v.contentY + v.height * 0.8)
                    }
                }
            }
        }
        Item {
            id: pinnedBox
            objectName: "pinnedBox"
            visible: children.length > 0
            Layout.fillWidth: screen.portrait
            Layout.preferredWidth: screen.portrait ? -1 : screen.pinnedWidth
            Layout.preferredHeight: childrenRect.height
            Layout.minimumHeight: childrenRect.height
            // portrait: takes the spare room (its content at the top, right under the page)
            Layout.fillHeight: screen.portrait
            Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
        }
        // The actions: their full height when it fits; in the rare case they do not (landscape,
        // large text, four long labels) they scroll in their own column rather than spill over.
        Flickable {
            id: actionScroller
            objectName: "actionScroller"
            // landscape beside a pinned column: as wide as the actions' column of other screens
            Layout.fillWidth: screen.portrait || !screen.hasPinned
            Layout.preferredWidth: screen.portrait || !screen.hasPinned ? 28 : 0.28 * (screen.width - 2 * screen.margin - 40 * screen.u)
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
