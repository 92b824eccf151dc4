import QtQuick
import QtQuick.Layouts
import QtQuick.Shapes

// On every screen: language switch, high contrast, large text.
Rectangle {
    id: bar
    objectName: "topBar"
    readonly property real u: theme.unit
    readonly property bool wide: width > 1300 * u
    implicitHeight: 152 * u
    color: theme.topBar
    Rectangle {
        anchors.bottom: parent.bottom
        width: parent.width; height: 4 * bar.u
        color: theme.highContrast ? theme.border : theme.accent
    }

    RowLayout {
        anchors.fill: parent
        anchors.leftMargin: 32 * bar.u
        anchors.rightMargin: 32 * bar.u
        spacing: 16 * bar.u

        // Audio guidance is available: a speaker where a long press starts it (filled when on).
        Rectangle {
            id: audio
            objectName: "audioIndicator"
            visible: !!speech && speech.available
            readonly property color ink: speech && speech.active ? theme.topBar : theme.topBarText
            Layout.preferredWidth: 72 * bar.u
            Layout.preferredHeight: 96 * bar.u
            radius: 20 * bar.u
            color: speech && speech.active ? theme.topBarText : "transparent"
            border.width: 3 * bar.u
            border.color: theme.topBarText
            Shape {
                anchors.centerIn: parent
                width: 48 * bar.u
                height: 48 * bar.u
                ShapePath {
                    strokeWidth: -1
                    fillColor: audio.ink
                    startX: 0; startY: 48 * bar.u * 0.34
                    PathLine { x: 48 * bar.u * 0.24; y: 48 * bar.u * 0.34 }
                    PathLine { x: 48 * bar.u * 0.52; y: 48 * bar.u * 0.08 }
                    PathLine { x: 48 * bar.u * 0.52; y: 48 * bar.u * 0.92 }
                    PathLine { x: 48 * bar.u * 0.24; y: 48 * bar.u * 0.66 }
                    PathLine { x: 0; y: 48 * bar.u * 0.66 }
                }
                ShapePath {
                    strokeWidth: 5 * bar.u
                    strokeColor: audio.ink
                    fillColor: "transparent"
                    capStyle: ShapePath.RoundCap
                    startX: 48 * bar.u * 0.68; startY: 48 * bar.u * 0.3
                    PathArc { x: 48 * bar.u * 0.68; y: 48 * bar.u * 0.7; radiusX: 48 * bar.u * 0.24; radiusY: 48 * bar.u * 0.24 }
                }
                ShapePath {
                    strokeWidth: 5 * bar.u
                    strokeColor: audio.ink
                    fillColor: "transparent"
                    capStyle: ShapePath.RoundCap
                    startX: 48 * bar.u * 0.8; startY: 48 * bar.u * 0.12
                    PathArc { x: 48 * bar.u * 0.8; y: 48 * bar.u * 0.88; radiusX: 48 * bar.u * 0.42; radiusY: 48 * bar.u * 0.42 }
                }
            }
        }

        KText {
            objectName: "topBarTitle"
            visible: bar.wide
            Layout.fillWidth: true
            text: qsTr("Phone top-up")
            size: 44
            scalable: false
            font.bold: true
            color: theme.topBarText
            elide: Text.ElideRight
            wrapMode: Text.NoWrap
        }
        Item { visible: !bar.wide; Layout.fillWidth: true }

        Repeater {
            model: i18n.languages
            Rectangle {
                id: langButton
                objectName: "topLang_" + modelData.code
                function activate() { session.send("set_language", modelData.code) }
                Layout.preferredHeight: 128 * bar.u
                Layout.preferredWidth: Math.max(140 * bar.u, langLabel.implicitWidth + 36 * bar.u)
                radius: 24 * bar.u
                color: modelData.current ? theme.topBarText : "transparent"
                border.width: 3 * bar.u + (theme.highContrast ? 1 : 0)
                border.color: theme.topBarText
                Accessible.role: Accessible.Button
                Accessible.name: modelData.name
                KText {
                    id: langLabel
                    anchors.centerIn: parent
                    text: modelData.name
                    size: 32
                    scalable: false
                    font.bold: true
                    font.underline: modelData.current
                    wrapMode: Text.NoWrap
                    color: modelData.current ? theme.topBar : theme.topBarText
                }
                MouseArea { anchors.fill: parent; onClicked: session.send("set_language", modelData.code) }
                FocusRing { key: langButton.objectName; radius: langButton.radius }
            }
        }
        Item { visible: !audio.visible; Layout.preferredWidth: 8 * bar.u }
        Toggle {
            objectName: "contrastToggle"
            text: qsTr("Contrast")
            glyph: "\u25D0"
            checked: theme.highContrast
            onToggled: theme.highContrast = !theme.highContrast
        }
        Toggle {
            objectName: "largeTextToggle"
            text: qsTr("Large text")
            glyph: "A+"
            checked: theme.largeText
            onToggled: theme.largeText = !theme.largeText
        }
    }
}
