import QtQuick
import QtQuick.Layouts
import "../components"

// Every plan on sale for the carrier, by name, with all its benefits (cards grow; the page
// scrolls with a visible hint); the customer's current plan is marked.
ScreenBase {
    id: screen
    objectName: "plansScreen"
    title: qsTr("Choose a plan")
    subtitle: plansModel.carrier

    ColumnLayout {
        width: parent.width
        spacing: 24 * screen.u

        // the checkout refused the last choice before anything was charged: say why
        KText {
            objectName: "plansNotice"
            Layout.fillWidth: true
            visible: plansModel.notice.length > 0
            text: "! " + plansModel.notice
            size: 38
            font.bold: true
            color: theme.danger
        }
        Spinner { Layout.alignment: Qt.AlignHCenter; Layout.topMargin: 80 * screen.u; visible: plansModel.loading }
        KText {
            Layout.fillWidth: true
            visible: !plansModel.loading && plansModel.plans.length === 0
            text: qsTr("There are no plans for this carrier at this kiosk.")
            horizontalAlignment: Text.AlignHCenter
        }

        GridLayout {
            id: grid
            objectName: "planGrid"
            Layout.fillWidth: true
            visible: !plansModel.loading
            columns: screen.portrait ? 2 : (theme.largeText ? 3 : 4)
            rowSpacing: 24 * screen.u
            columnSpacing: 24 * screen.u

            Repeater {
                model: plansModel.plans
                Rectangle {
                    id: planCard
                    objectName: "plan_" + modelData.id
                    Layout.fillWidth: true
                    Layout.fillHeight: true  // cards of one row share its height
                    Layout.preferredWidth: 1
                    Layout.preferredHeight: cardBody.implicitHeight + 2 * pad
                    readonly property real pad: (screen.portrait ? 32 : 24) * screen.u
                    radius: 28 * screen.u
                    color: theme.surface
                    border.width: (mouse.pressed || modelData.current ? 6 : 3) * screen.u
                    border.color: mouse.pressed || modelData.current ? theme.accent : theme.border
                    Accessible.role: Accessible.Button
                    Accessible.name: modelData.name + ", " + modelData.price
                    function activate() { session.send("choose_plan", modelData.id) }
                    ColumnLayout {
                        id: cardBody
                        anchors { left: parent.left; right: parent.right; top: parent.top; margins: planCard.pad }
                        spacing: 10 * screen.u
                        Rectangle {
                            objectName: "currentPlanBadge"
                            visible: modelData.current
                            Layout.preferredWidth: Math.min(parent.width, currentLabel.implicitWidth + 32 * screen.u)
                            Layout.preferredHeight: currentLabel.implicitHeight + 12 * screen.u
                            radius: 12 * screen.u
                            color: theme.accent
                            KText {
                                id: currentLabel
                                anchors.centerIn: parent
                                width: Math.min(implicitWidth, parent.parent.width - 32 * screen.u)
                                text: "\u2605 " + qsTr("Your current plan")
                                size: 28
                                font.bold: true
                                color: theme.accentText
                            }
                        }
                        KText {
                            Layout.fillWidth: true
                            text: modelData.name
                            size: screen.portrait ? 44 : 38
                            font.bold: true
                        }
                        KText {
                            Layout.fillWidth: true
                            text: modelData.price
                            size: screen.portrait ? 60 : 52
                            font.bold: true
                        }
                        KText {  // not shown when the catalogue gives no validity (0 days)
                            Layout.fillWidth: true
                            visible: modelData.days > 0
                            text: qsTr("Days valid: %1").arg(modelData.days)
                            size: 32
                            color: theme.subtle
                        }
                        Repeater {
                            model: modelData.benefits
                            KText {
                                Layout.fillWidth: true
                                text: "\u2713 " + modelData
                                size: 32
                            }
                        }
                    }
                    MouseArea {
                        id: mouse
                        anchors.fill: parent
                        onClicked: session.send("choose_plan", modelData.id)
                    }
                    FocusRing { key: planCard.objectName; radius: planCard.radius }
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
