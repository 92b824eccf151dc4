import QtQuick
import QtQuick.Layouts
import "../components"

ScreenBase {
    id: screen
    objectName: "plansScreen"
    title: qsTr("Choose a plan")
    subtitle: plansModel.carrier

    Spinner { anchors.centerIn: parent; visible: plansModel.loading }
    KText {
        anchors.centerIn: parent
        width: parent.width
        visible: !plansModel.loading && plansModel.plans.length === 0
        text: qsTr("There are no plans for this carrier at this kiosk.")
        horizontalAlignment: Text.AlignHCenter
    }

    GridView {
        id: grid
        objectName: "planGrid"
        anchors.fill: parent
        clip: true
        visible: !plansModel.loading
        readonly property int columns: screen.portrait ? 2 : 4
        cellWidth: width / columns
        // Landscape: one row that fills the space; portrait: rows that scroll when there are many.
        cellHeight: screen.portrait ? 460 * screen.u * theme.textScale : Math.max(height, 300 * screen.u)
        model: plansModel.plans
        boundsBehavior: Flickable.StopAtBounds
        delegate: Item {
            width: grid.cellWidth
            height: grid.cellHeight
            Rectangle {
                objectName: "plan_" + modelData.id
                anchors.fill: parent
                anchors.margins: 14 * screen.u
                radius: 28 * screen.u
                color: theme.surface
                border.width: (mouse.pressed ? 8 : 3) * screen.u
                border.color: mouse.pressed ? theme.accent : theme.border
                Accessible.role: Accessible.Button
                Accessible.name: modelData.name + ", " + modelData.price
                clip: true
                ColumnLayout {
                    anchors.fill: parent
                    anchors.margins: (screen.portrait ? 32 : 24) * screen.u
                    spacing: 8 * screen.u
                    KText {
                        Layout.fillWidth: true
                        text: modelData.name
                        size: screen.portrait ? 46 : 40
                        font.bold: true
                        maximumLineCount: 2
                        elide: Text.ElideRight
                    }
                    KText {
                        Layout.alignment: Qt.AlignLeft | Qt.AlignTop
                        text: modelData.price
                        size: screen.portrait ? 60 : 52
                        font.bold: true
                        wrapMode: Text.NoWrap
                        color: theme.text
                    }
                    KText {
                        Layout.fillWidth: true
                        text: qsTr("Days valid: %1").arg(modelData.days)
                        size: 34
                        color: theme.subtle
                    }
                    KText {  // takes the height that is left and elides there, never past the card
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        Layout.minimumHeight: 0
                        text: modelData.benefits.join("\n")
                        size: 32
                        elide: Text.ElideRight
                        verticalAlignment: Text.AlignTop
                    }
                }
                MouseArea {
                    id: mouse
                    anchors.fill: parent
                    onClicked: session.send("choose_plan", modelData.id)
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
        },
        KButton {
            objectName: "startOverButton"
            text: qsTr("Start over")
            kind: "quiet"
            onClicked: session.send("start_over")
        }
    ]
}
