import QtQuick
import QtQuick.Layouts

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
                objectName: "topLang_" + modelData.code
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
            }
        }
        Item { Layout.preferredWidth: 8 * bar.u }
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
