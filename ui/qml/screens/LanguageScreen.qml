import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "languageScreen"
    readonly property var prompt: QT_TR_NOOP("Choose your language")

    ColumnLayout {
        width: parent.width
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
        GridLayout {
            Layout.fillWidth: true
            Layout.topMargin: 24 * screen.u
            columns: screen.portrait ? 1 : 3
            rowSpacing: 32 * screen.u
            columnSpacing: 32 * screen.u
            Repeater {
                model: i18n.languages
                KButton {
                    objectName: "chooseLang_" + modelData.code
                    text: modelData.name
                    textSize: 56
                    kind: modelData.current ? "primary" : "secondary"
                    Layout.preferredHeight: Math.max(190 * screen.u, implicitHeight)
                    onClicked: session.send("choose_language", modelData.code)
                }
            }
        }
    }

    actions: [
        KButton {
            objectName: "backButton"
            text: qsTr("Back")
            kind: "secondary"
            onClicked: session.send("back")
        }
    ]
}
