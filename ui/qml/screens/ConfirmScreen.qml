import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "confirmScreen"
    title: qsTr("Check and pay")
    subtitle: qsTr("Please check the number: a top-up cannot be moved to another phone.")

    Rectangle {
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.top: parent.top
        height: rows.implicitHeight + 96 * screen.u
        radius: 32 * screen.u
        color: theme.surface
        border.width: 3 * screen.u
        border.color: theme.border
        GridLayout {
            id: rows
            anchors.fill: parent
            anchors.margins: 40 * screen.u
            columns: screen.portrait ? 2 : 3
            rowSpacing: 24 * screen.u
            columnSpacing: 40 * screen.u
            InfoRow { objectName: "confirmNumber"; label: qsTr("Phone number"); value: confirmModel.number; valueSize: 56; Layout.columnSpan: screen.portrait ? 2 : 1 }
            InfoRow { label: qsTr("Carrier"); value: confirmModel.carrier }
            InfoRow { objectName: "confirmPlan"; label: qsTr("Plan"); value: confirmModel.planName; Layout.columnSpan: screen.portrait ? 2 : 1 }
            InfoRow { label: qsTr("Days valid"); value: String(confirmModel.days) }
            InfoRow { objectName: "confirmPrice"; label: qsTr("Price"); value: confirmModel.price; valueSize: 72; Layout.columnSpan: screen.portrait ? 1 : 2 }
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
            objectName: "cancelButton"
            text: qsTr("Cancel")
            kind: "quiet"
            onClicked: session.send("start_over")
        }
    ]
}
