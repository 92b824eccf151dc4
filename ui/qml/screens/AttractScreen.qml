import QtQuick
import QtQuick.Layouts
import "../components"

// Animated, multilingual invitation: the whole screen is the "touch to start" button.
Item {
    id: attract
    objectName: "attractScreen"
    readonly property real u: theme.unit
    readonly property bool portrait: height >= width
    // Marked for translation here, translated into every kiosk language at once below.
    readonly property var headline: QT_TR_NOOP("Top up your phone plan")
    readonly property var touchLine: QT_TR_NOOP("Choose your language to start")
    readonly property var startLine: QT_TR_NOOP("Start in English")
    property int shown: 0

    function inLang(lang, text) { return i18n.translateIn(lang, "AttractScreen", text) }

    Timer {
        interval: 2600; running: attract.visible; repeat: true
        onTriggered: attract.shown = (attract.shown + 1) % kioskLanguages.length
    }

    GridLayout {
        anchors.fill: parent
        anchors.margins: (attract.portrait ? 72 : 40) * attract.u
        columns: attract.portrait ? 1 : 2
        rowSpacing: 48 * attract.u
        columnSpacing: 72 * attract.u

        // A phone with a SIM card bobbing next to it.
        Item {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.preferredHeight: 640 * attract.u
            Layout.preferredWidth: 500 * attract.u
            Layout.minimumHeight: 0
            Rectangle {
                id: phone
                anchors.centerIn: parent
                height: Math.min(parent.height * 0.9, 640 * attract.u)
                width: height * 0.52
                radius: 48 * attract.u
                color: theme.surface
                border.width: 12 * attract.u
                border.color: theme.text
                Rectangle {
                    anchors.fill: parent
                    anchors.margins: 36 * attract.u
                    radius: 20 * attract.u
                    color: theme.accent
                    Text {
                        property bool decorative: true  // pulses beyond its box
                        anchors.centerIn: parent
                        text: "+"
                        font.family: symbolFont
                        font.bold: true
                        font.pixelSize: 200 * attract.u
                        color: theme.accentText
                        SequentialAnimation on scale {
                            loops: Animation.Infinite
                            running: attract.visible
                            NumberAnimation { from: 0.85; to: 1.1; duration: 900; easing.type: Easing.InOutQuad }
                            NumberAnimation { from: 1.1; to: 0.85; duration: 900; easing.type: Easing.InOutQuad }
                        }
                    }
                }
            }
            Rectangle {
                id: sim
                property bool decorative: true  // bobs beside the phone, may leave its cell
                width: phone.width * 0.42
                height: width * 1.3
                radius: 10 * attract.u
                color: "#E8B64C"
                border.width: 4 * attract.u
                border.color: theme.text
                x: phone.x + phone.width * 0.78
                rotation: 12
                property real base: phone.y + phone.height * 0.45
                y: base + bob * phone.height * 0.17
                property real bob: 0
                SequentialAnimation on bob {
                    loops: Animation.Infinite
                    running: attract.visible
                    NumberAnimation { from: 0; to: 1; duration: 1400; easing.type: Easing.InOutSine }
                    NumberAnimation { from: 1; to: 0; duration: 1400; easing.type: Easing.InOutSine }
                }
                Rectangle {
                    anchors.centerIn: parent
                    width: parent.width * 0.5; height: parent.height * 0.36
                    radius: 6 * attract.u
                    color: "#C9962B"
                    border.width: 3 * attract.u
                    border.color: "#7A5A14"
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: (attract.portrait ? 32 : 24) * attract.u

            Item { Layout.fillHeight: true }
            KText {
                objectName: "attractHeadline"
                Layout.fillWidth: true
                text: attract.inLang(kioskLanguages[attract.shown], attract.headline)
                size: attract.portrait ? 84 : 64
                font.bold: true
                horizontalAlignment: Text.AlignHCenter
            }
            KText {
                Layout.fillWidth: true
                text: attract.inLang(kioskLanguages[attract.shown], attract.touchLine)
                size: 44
                color: theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
            // One tap on a language starts in it (the top bar can still switch later).
            Repeater {
                model: i18n.languages
                KButton {
                    objectName: "attractLang_" + modelData.code
                    z: 2
                    text: attract.inLang(modelData.code, attract.startLine)
                    textSize: attract.portrait ? 48 : 44
                    Layout.preferredHeight: Math.max((attract.portrait ? 170 : 140) * attract.u, implicitHeight)
                    onClicked: session.send("choose_language", modelData.code)
                }
            }
            Item { Layout.fillHeight: true }
        }
    }

    // A touch anywhere else opens the language screen.
    MouseArea {
        objectName: "attractTouch"
        anchors.fill: parent
        z: -1
        onClicked: session.send("touch")
    }
}
