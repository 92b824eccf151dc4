import QtQuick
import QtQuick.Layouts

// One technician/operator action: its title, a Run button, a visible progress state and
// the result (the check's raw detail and, on a problem, what to do next, translated).
Rectangle {
    id: card
    property string name
    property string title
    property string hint: ""
    readonly property var result: staff.results[name] || ({})
    readonly property string state_: result.state || "idle"
    readonly property real u: theme.unit
    objectName: "action_" + name
    implicitHeight: body.implicitHeight + 48 * u
    radius: 24 * u
    color: theme.surface
    border.width: (state_ === "fail" ? 6 : 3) * u
    border.color: state_ === "fail" ? theme.danger : (state_ === "ok" ? theme.success : theme.border)

    function adviceText(key, args) {
        var text = qsTranslate("Advice", key)
        for (var i = 0; i < (args || []).length; ++i)
            text = text.arg(args[i])
        return text
    }

    ColumnLayout {
        id: body
        anchors { left: parent.left; right: parent.right; top: parent.top; margins: 24 * card.u }
        spacing: 12 * card.u
        RowLayout {
            Layout.fillWidth: true
            spacing: 24 * card.u
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 6 * card.u
                KText { Layout.fillWidth: true; text: card.title; size: 40; font.bold: true }
                RowLayout {
                    spacing: 12 * card.u
                    Spinner { diameter: 44 * card.u; visible: card.state_ === "running" }
                    KText {
                        objectName: "status_" + card.name
                        Layout.fillWidth: true
                        size: 34
                        font.bold: card.state_ !== "idle"
                        color: card.state_ === "fail" ? theme.danger : (card.state_ === "ok" ? theme.success : theme.subtle)
                        // words and a symbol, never colour alone
                        text: card.state_ === "running" ? qsTr("Running…")
                            : card.state_ === "ok" ? "\u2713 " + qsTr("OK")
                            : card.state_ === "fail" ? "! " + qsTr("Problem")
                            : qsTr("Not run yet")
                    }
                }
            }
            KButton {
                objectName: "run_" + card.name
                Layout.fillWidth: false
                Layout.preferredWidth: Math.min(Math.max(260 * card.u, implicitWidth), card.width * 0.4)
                text: card.state_ === "idle" ? qsTr("Run") : qsTr("Run again")
                kind: "secondary"
                textSize: 36
                enabled: card.state_ !== "running"
                onClicked: staff.run(card.name)
            }
        }
        KText {
            Layout.fillWidth: true
            visible: card.hint.length > 0 && card.state_ === "running"
            text: card.hint
            size: 34
            font.bold: true
        }
        KText {
            objectName: "detail_" + card.name
            Layout.fillWidth: true
            visible: text.length > 0
            text: card.result.detail || ""
            size: 30
            color: theme.subtle
            wrapMode: Text.WrapAnywhere
        }
        KText {
            objectName: "advice_" + card.name
            Layout.fillWidth: true
            visible: text.length > 0
            text: card.result.adviceKey ? "\u2192 " + card.adviceText(card.result.adviceKey, card.result.adviceArgs) : ""
            size: 36
            font.bold: true
            color: theme.text
        }
    }
}
