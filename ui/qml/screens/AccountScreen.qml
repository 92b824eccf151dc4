import QtQuick
import QtQuick.Layouts
import "../components"

// Whose phone this is, the plan it has (by name) and until when; the fastest way on is
// one tap: "Renew <current plan> for $X" when that plan is on sale here.
ScreenBase {
    id: screen
    objectName: "accountScreen"
    title: qsTr("Is this your phone?")
    subtitle: qsTr("Check the carrier and the last digits of the number.")
    readonly property bool canRenew: accountModel.renewPlanId.length > 0

    Rectangle {
        width: parent.width
        height: card.implicitHeight + 80 * screen.u
        radius: 32 * screen.u
        color: theme.surface
        border.width: 3 * screen.u
        border.color: theme.border

        GridLayout {
            id: card
            anchors { left: parent.left; right: parent.right; top: parent.top; margins: 40 * screen.u }
            columns: screen.portrait ? 1 : 3
            rowSpacing: 28 * screen.u
            columnSpacing: 40 * screen.u
            RowLayout {
                Layout.columnSpan: screen.portrait ? 1 : 3
                Layout.fillWidth: true
                spacing: 32 * screen.u
                Rectangle {  // carrier mark: initials in a circle, the name beside it
                    Layout.preferredWidth: 130 * screen.u
                    Layout.preferredHeight: 130 * screen.u
                    Layout.alignment: Qt.AlignTop
                    radius: width / 2
                    color: theme.accent
                    KText {
                        anchors.centerIn: parent
                        text: {
                            var words = accountModel.carrier.split(/[\s-]+/).filter(function(w) { return w.length > 0 })
                            if (words.length > 1)
                                return words.slice(0, 3).map(function(w) { return w[0] }).join("").toUpperCase()
                            var w = words.length ? words[0] : ""
                            return w.length <= 4 ? w : w[0].toUpperCase()
                        }
                        size: 40
                        scalable: false
                        font.bold: true
                        wrapMode: Text.NoWrap
                        color: theme.accentText
                    }
                }
                KText {
                    objectName: "carrierText"
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignVCenter
                    text: accountModel.carrier
                    size: 64
                    font.bold: true
                }
            }
            InfoRow { objectName: "numberRow"; label: qsTr("Phone number"); value: accountModel.number; valueSize: screen.portrait ? 56 : 44 }
            InfoRow {
                objectName: "currentPlanRow"
                visible: accountModel.currentPlan.length > 0
                label: qsTr("Current plan")
                value: accountModel.currentPlan
                valueSize: screen.portrait ? 48 : 38
            }
            InfoRow {
                objectName: "expiryRow"
                visible: accountModel.expiry.length > 0
                label: qsTr("Valid until")
                value: accountModel.expiry
                valueSize: screen.portrait ? 48 : 38
            }
        }
    }

    actions: [
        KButton {
            objectName: "renewButton"
            visible: screen.canRenew
            text: accountModel.renewLabel
            onClicked: session.send("choose_plan", accountModel.renewPlanId)
        },
        KButton {
            objectName: "choosePlanButton"
            text: screen.canRenew ? qsTr("Choose another plan") : qsTr("Yes, choose a plan")
            kind: screen.canRenew ? "secondary" : "primary"
            onClicked: session.send("next")
        },
        KButton {
            objectName: "notMineButton"
            text: qsTr("No, type a different number")
            kind: "secondary"
            onClicked: session.send("use_phone")
        },
        KButton {
            objectName: "startOverButton"
            text: qsTr("Start over")
            kind: "quiet"
            onClicked: session.send("start_over")
        }
    ]
}
