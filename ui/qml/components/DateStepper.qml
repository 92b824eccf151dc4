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
        Layout.preferredHeight: 140 * stepper.u
        radius: 20 * stepper.u
        color: theme.surface
        border.width: 3 * stepper.u
        border.color: theme.border
        KText {
            objectName: stepper.which + "DateText"
            anchors.fill: parent
            anchors.margins: 12 * stepper.u
            text: stepper.dateText
            size: 38
            font.bold: true
            horizontalAlignment: Text.AlignHCenter
            verticalAlignment: Text.AlignVCenter
            fontSizeMode: Text.Fit
            minimumPixelSize: 18
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
