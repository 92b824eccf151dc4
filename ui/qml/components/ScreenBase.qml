import QtQuick
import QtQuick.Layouts

// Common layout: title and subtitle on top, content in the middle, actions at the bottom
// (stacked in portrait, side by side in landscape).
Item {
    id: screen
    property alias title: titleText.text
    property alias subtitle: subtitleText.text
    default property alias content: body.data
    property alias actions: actionGrid.data
    property int actionColumns: portrait ? 1 : Math.max(1, actionGrid.visibleCount)
    readonly property real u: theme.unit
    readonly property bool portrait: height >= width * 1.05
    readonly property real margin: (portrait ? 64 : 48) * u

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: screen.margin
        spacing: (screen.portrait ? 36 : 24) * screen.u

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
            Layout.fillWidth: true
            visible: text.length > 0
            size: 40
            color: theme.subtle
        }
        Item {
            id: body
            Layout.fillWidth: true
            Layout.fillHeight: true
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
}
