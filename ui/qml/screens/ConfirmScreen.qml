import QtQuick
import QtQuick.Layouts
import "../components"

// Everything the customer pays for, above the Pay button: number, carrier, plan and its
// benefits, how long it lasts and until when, the price.
ScreenBase {
    id: screen
    objectName: "confirmScreen"
    title: qsTr("Check and pay")
    subtitle: qsTr("Please check the number: a top-up cannot be moved to another phone.")

    Rectangle {
        width: parent.width
        height: rows.implicitHeight + (screen.portrait ? 80 : 56) * screen.u
        radius: 32 * screen.u
        color: theme.surface
        border.width: 3 * screen.u
        border.color: theme.border
        GridLayout {
            id: rows
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: (screen.portrait ? 40 : 28) * screen.u }
            columns: screen.portrait ? 2 : 3
            rowSpacing: (screen.portrait ? 24 : 16) * screen.u
            columnSpacing: 40 * screen.u
            InfoRow { objectName: "confirmNumber"; label: qsTr("Phone number"); value: confirmModel.number; valueSize: screen.portrait ? 56 : 46; Layout.columnSpan: screen.portrait ? 2 : 1; Layout.preferredWidth: 1 }
            InfoRow { label: qsTr("Carrier"); value: confirmModel.carrier; Layout.preferredWidth: 1 }
            InfoRow { objectName: "confirmPrice"; label: qsTr("Price"); value: confirmModel.price; valueSize: screen.portrait ? 72 : 60; Layout.preferredWidth: 1 }
            ColumnLayout {
                Layout.columnSpan: screen.portrait ? 2 : 1
                Layout.fillWidth: true
                Layout.preferredWidth: 1
                Layout.alignment: Qt.AlignTop
                spacing: 4 * screen.u
                InfoRow { objectName: "confirmPlan"; label: qsTr("Plan"); value: confirmModel.planName; valueSize: screen.portrait ? 48 : 40 }
                Repeater {
                    model: confirmModel.benefits
                    KText { Layout.fillWidth: true; text: "\u2713 " + modelData; size: screen.portrait ? 34 : 30 }
                }
            }
            InfoRow { objectName: "confirmDays"; visible: confirmModel.days > 0; label: qsTr("Days valid"); value: String(confirmModel.days); Layout.alignment: Qt.AlignTop; Layout.preferredWidth: 1 }
            InfoRow { objectName: "confirmValidUntil"; visible: confirmModel.validUntil.length > 0; label: qsTr("Valid until"); value: confirmModel.validUntil; Layout.alignment: Qt.AlignTop; Layout.preferredWidth: 1 }
        }
    }

    actions: [
        KButton {
            objectName: "payButton"
            text: qsTr("Pay %1").arg(confirmModel.price)
            onClicked: session.send("pay")
        },
        KButton {
            objectName: "changeButton"
            text: qsTr("Change plan")
            kind: "secondary"
            onClicked: session.send("change")
        },
        KButton {
            objectName: "startOverButton"
            text: qsTr("Start over")
            kind: "quiet"
            onClicked: session.send("start_over")
        }
    ]
}
