import QtQuick
import QtQuick.Layouts

// A labelled on/off switch for the top bar; the state shows as a tick, not only as colour.
Rectangle {
    id: toggle
    property alias text: label.text
    property string glyph: ""
    property bool checked: false
    signal toggled()
    function activate() { toggle.toggled() }
    readonly property real u: theme.unit
    implicitHeight: 128 * u
    implicitWidth: Math.max(170 * u, label.implicitWidth + 28 * u)
    radius: 24 * u
    color: checked ? theme.accent : "transparent"
    border.width: 3 * u + (theme.highContrast ? 1 : 0)
    border.color: theme.topBarText
    Accessible.role: Accessible.CheckBox
    Accessible.name: label.text
    Accessible.checked: checked
    Accessible.onToggleAction: toggle.toggled()

    Column {
        anchors.centerIn: parent
        spacing: 6 * toggle.u
        Row {
            anchors.horizontalCenter: parent.horizontalCenter
            spacing: 12 * toggle.u
            Rectangle {
                anchors.verticalCenter: parent.verticalCenter
                width: 40 * toggle.u; height: width; radius: 8 * toggle.u
                color: "transparent"
                border.width: 3 * toggle.u
                border.color: toggle.checked ? theme.accentText : theme.topBarText
                Text {
                    anchors.centerIn: parent
                    visible: toggle.checked
                    text: "\u2713"
                    font.family: symbolFont
                    font.bold: true
                    font.pixelSize: 34 * toggle.u
                    color: theme.accentText
                }
            }
            Text {
                anchors.verticalCenter: parent.verticalCenter
                text: toggle.glyph
                font.family: symbolFont
                font.bold: true
                font.pixelSize: 44 * toggle.u
                color: toggle.checked ? theme.accentText : theme.topBarText
            }
        }
        KText {
            id: label
            anchors.horizontalCenter: parent.horizontalCenter
            size: 26
            scalable: false
            wrapMode: Text.NoWrap
            font.bold: true
            color: toggle.checked ? theme.accentText : theme.topBarText
        }
    }
    MouseArea { anchors.fill: parent; onClicked: toggle.toggled() }
    FocusRing { key: toggle.objectName; radius: toggle.radius }
}
