import QtQuick
import QtQuick.Layouts

// Template for every failure screen: what happened, what it means for the money,
// what to do next (the actions). Portrait stacks badge, text and extra; landscape puts
// them side by side. Long text (large-text option) scrolls with the page (ScreenBase).
ScreenBase {
    id: err
    property string glyph: "!"
    property color tone: theme.danger
    property alias message: messageText.text
    property alias hint: hintText.text
    property string reference: resultModel.reference
    property alias extra: extraBox.data
    readonly property bool hasExtra: extraBox.children.length > 0
    // width the words (and the extra under them) have
    readonly property real wordsWidth: portrait ? width - 2 * margin
                                                : width * 0.72 - 2 * margin - (130 + 48) * u
    readonly property int textAlign: portrait ? Text.AlignHCenter : Text.AlignLeft

    GridLayout {
        id: grid
        width: parent.width
        columns: err.portrait ? 1 : 2
        rowSpacing: 32 * err.u
        columnSpacing: 48 * err.u

        Badge {
            Layout.alignment: err.portrait ? Qt.AlignHCenter : (Qt.AlignTop | Qt.AlignLeft)
            implicitWidth: (err.portrait ? 180 : 130) * err.u
            glyph: err.glyph
            tone: err.tone
        }
        ColumnLayout {
            id: words
            Layout.fillWidth: true
            Layout.alignment: Qt.AlignTop
            spacing: 24 * err.u
            KText {
                id: messageText
                objectName: "messageText"
                Layout.fillWidth: true
                size: 46
                horizontalAlignment: err.textAlign
            }
            KText {
                id: hintText
                Layout.fillWidth: true
                visible: text.length > 0
                size: 38
                color: theme.subtle
                horizontalAlignment: err.textAlign
            }
            KText {
                objectName: "referenceText"
                Layout.fillWidth: true
                visible: err.reference.length > 0
                size: 38
                font.bold: true
                horizontalAlignment: err.textAlign
                text: qsTr("Reference: %1").arg(err.reference)
            }
            // e.g. the receipt's QR codes: under the words, as wide as they are
            Item {
                id: extraBox
                visible: err.hasExtra
                Layout.alignment: err.portrait ? Qt.AlignHCenter : Qt.AlignLeft
                Layout.preferredWidth: childrenRect.width
                Layout.preferredHeight: childrenRect.height
            }
        }
    }
}
