import QtQuick
import QtQuick.Layouts
import "../components"

Item {
    id: screen
    objectName: "languageScreen"
    readonly property real u: theme.unit
    readonly property var prompt: QT_TR_NOOP("Choose your language")

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 72 * screen.u
        spacing: 40 * screen.u
        Repeater {
            model: kioskLanguages
            KText {
                Layout.fillWidth: true
                text: i18n.translateIn(modelData, "LanguageScreen", screen.prompt)
                size: index === 0 ? 64 : 48
                font.bold: index === 0
                color: index === 0 ? theme.text : theme.subtle
                horizontalAlignment: Text.AlignHCenter
            }
        }
        Item { Layout.fillHeight: true }
        GridLayout {
          Layout.fillWidth: true
          columns: screen.height >= screen.width ? 1 : 3
          rowSpacing: 32 * screen.u
          columnSpacing: 32 * screen.u
          Repeater {
            model: i18n.languages
            KButton {
                objectName: "chooseLang_" + modelData.code
                text: modelData.name
                textSize: 56
                kind: modelData.current ? "primary" : "secondary"
                Layout.preferredHeight: 190 * screen.u
                onClicked: session.send("choose_language", modelData.code)
            }
          }
        }
        Item { Layout.fillHeight: true }
        KButton {
            objectName: "backButton"
            text: qsTr("Back")
            kind: "quiet"
            onClicked: session.send("back")
        }
    }
}
