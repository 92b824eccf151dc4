import QtQuick
import QtQuick.Layouts

// A large touch target (at least 140 design px tall, > 120 px at 1080x1920).
Rectangle {
    id: btn
    property alias text: label.text
    property string kind: "primary"   // primary | secondary | quiet
    property real textSize: 40
    property bool symbol: false       // label is a symbol (DejaVu Sans has it)
    property bool fit: symbol         // one line that shrinks to the button (keys), never wraps
    signal clicked()
    // audio guidance chooses the selected button the way a tap does
    function activate() { if (btn.enabled) btn.clicked() }

    readonly property real u: theme.unit
    implicitHeight: Math.max(140 * u, label.implicitHeight + 44 * u)
    implicitWidth: Math.max(300 * u, label.implicitWidth + 96 * u)
    Layout.fillWidth: true
    Layout.preferredHeight: implicitHeight
    Layout.minimumHeight: 140 * u
    radius: 28 * u
    color: kind === "primary" ? theme.accent : (kind === "quiet" ? "transparent" : theme.secondary)
    border.width: theme.highContrast ? 4 * u + 1 : (kind === "primary" ? 0 : 3 * u)
    border.color: kind === "primary" && !theme.highContrast ? theme.accent : theme.border
    opacity: enabled ? 1.0 : 0.4
    scale: mouse.pressed ? 0.97 : 1.0
    Behavior on scale { NumberAnimation { duration: 80 } }

    Accessible.role: Accessible.Button
    Accessible.name: label.text
    Accessible.onPressAction: if (btn.enabled) btn.clicked()

    KText {
        id: label
        anchors.centerIn: parent
        width: Math.min(implicitWidth, parent.width - 48 * btn.u)
        // a key as short as 20 mm with large text: the label shrinks to the key's height too
        height: btn.fit ? Math.min(implicitHeight, btn.height) : implicitHeight
        verticalAlignment: Text.AlignVCenter
        lineHeight: btn.fit ? 1.0 : 1.1  // one line: no extra leading
        size: btn.textSize
        font.family: btn.symbol ? symbolFont : theme.fontFamily
        font.bold: true
        // a key's label does not wrap: it shrinks to the key instead
        fontSizeMode: btn.fit ? Text.Fit : Text.FixedSize
        wrapMode: btn.fit ? Text.NoWrap : Text.Wrap
        minimumPixelSize: 12
        horizontalAlignment: Text.AlignHCenter
        color: btn.kind === "primary" ? theme.accentText : theme.secondaryText
    }
    MouseArea {
        id: mouse
        anchors.fill: parent
        enabled: btn.enabled
        onClicked: btn.clicked()
    }
    FocusRing { key: btn.objectName; radius: btn.radius }
}
