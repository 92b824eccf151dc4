import QtQuick
import QtQuick.Layouts

// Large numeric keypad (phone numbers, technician PIN); no system keyboard needed.
// The keys are as tall as `room` allows (four rows and their gaps), never shorter than
// `minKey` (20 mm: 120 px in portrait and 100 px in landscape at 1080 px) nor taller than
// `maxKey`: a screen gives the keypad the room left once its words are shown.
GridLayout {
    id: pad
    signal digit(string d)
    signal backspace()
    signal clear()
    property real minKey: 120 * theme.unit
    property real maxKey: 150 * theme.unit
    property real gap: 20 * theme.unit
    property real room: 4 * maxKey + 3 * gap
    readonly property real keyHeight: Math.max(minKey, Math.min(maxKey, Math.floor((room - 3 * gap) / 4)))
    columns: 3
    rowSpacing: gap
    columnSpacing: gap

    component Key: KButton {
        kind: "secondary"
        textSize: 60
        Layout.preferredHeight: pad.keyHeight
        Layout.minimumHeight: pad.keyHeight
        Layout.maximumHeight: pad.keyHeight
    }

    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        Key {
            objectName: "key_" + modelData
            text: modelData
            fit: true
            onClicked: pad.digit(modelData)
        }
    }
    Key {
        objectName: "key_clear"
        text: qsTr("Clear")
        fit: true
        textSize: 34
        onClicked: pad.clear()
    }
    Key {
        objectName: "key_0"
        text: "0"
        fit: true
        onClicked: pad.digit("0")
    }
    Key {
        objectName: "key_back"
        text: "\u232B"
        Accessible.name: qsTr("Delete last digit")
        symbol: true
        onClicked: pad.backspace()
    }
}
