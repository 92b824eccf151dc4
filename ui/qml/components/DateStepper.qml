import QtQuick
import QtQuick.Layouts

// A date chosen by finger: one day back / forward buttons around the date (no keyboard).
RowLayout {
    id: stepper
    property string which          // "from" | "to"
    property string label
    property string dateText
    property bool atToday: false
    readonly property real u: theme.unit
    spacing: 16 * u
    KText {
        Layout.preferredWidth: 170 * stepper.u
        text: stepper.label
        size: 36
        font.bold: true
    }
    KButton {
        objectName: stepper.which + "EarlierButton"
        Layout.fillWidth: false
        Layout.preferredWidth: 140 * stepper.u
        implicitWidth: 140 * stepper.u
        text: "\u25C0"
        symbol: true
        kind: "secondary"
        Accessible.name: qsTr("One day earlier")
        onClicked: staff.stepDate(stepper.which, -1)
    }
    Rectangle {
        Layout.fillWidth: true
        Layout.preferredHeight: Math.max(140 * stepper.u, dateLabel.implicitHeight + 24 * stepper.u)
        radius: 20 * stepper.u
        color: theme.surface
        border.width: 3 * stepper.u
        border.color: theme.border
        KText {
            id: dateLabel
            objectName: stepper.which + "DateText"
            anchors.centerIn: parent
            width: parent.width - 24 * stepper.u
            text: stepper.dateText
            size: 38
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
        }
    }
    KButton {
        objectName: stepper.which + "LaterButton"
        Layout.fillWidth: false
        Layout.preferredWidth: 140 * stepper.u
        implicitWidth: 140 * stepper.u
        text: "\u25B6"
        symbol: true
        kind: "secondary"
        enabled: !stepper.atToday
        Accessible.name: qsTr("One day later")
        onClicked: staff.stepDate(stepper.which, 1)
    }
}
