import QtQuick
import QtQuick.Layouts

// Large numeric keypad (phone numbers, technician PIN); no system keyboard needed.
GridLayout {
    id: pad
    signal digit(string d)
    signal backspace()
    signal clear()
    property real keyHeight: 150 * theme.unit
    columns: 3
    rowSpacing: 20 * theme.unit
    columnSpacing: 20 * theme.unit

    Repeater {
        model: ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
        KButton {
            objectName: "key_" + modelData
            text: modelData
            kind: "secondary"
            fit: true
            textSize: 60
            Layout.preferredHeight: pad.keyHeight
            onClicked: pad.digit(modelData)
        }
    }
    KButton {
        objectName: "key_clear"
        text: qsTr("Clear")
        kind: "secondary"
        fit: true
        textSize: 34
        Layout.preferredHeight: pad.keyHeight
        onClicked: pad.clear()
    }
    KButton {
        objectName: "key_0"
        text: "0"
        kind: "secondary"
        textSize: 60
        Layout.preferredHeight: pad.keyHeight
        onClicked: pad.digit("0")
    }
    KButton {
        objectName: "key_back"
        text: "\u232B"
        kind: "secondary"
        textSize: 60
        Accessible.name: qsTr("Delete last digit")
        Layout.preferredHeight: pad.keyHeight
        symbol: true
        onClicked: pad.backspace()
    }
}
