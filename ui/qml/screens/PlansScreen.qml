import QtQuick
import QtQuick.Layouts
import "../components"

// Every plan on sale for the carrier, by name, with all its benefits (cards grow; the page
// scrolls with a visible hint); the customer's current plan is marked. A card is a button:
// name, price and "Choose" first (on screen without scrolling), then days and benefits.
ScreenBase {
    id: screen
    objectName: "plansScreen"
    // landscape: the carrier on the title's line, so that the first row of cards (price and
    // "Choose") stays above the fold with large text and a notice
    title: portrait || plansModel.carrier.length === 0 ? qsTr("Choose a plan")
                                                       : qsTr("Choose a plan") + " · " + plansModel.carrier
    subtitle: portrait ? plansModel.carrier : ""

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
            columns: screen.portrait || theme.largeText ? 2 : 4
            rowSpacing: 24 * screen.u
            columnSpacing: 24 * screen.u
            // The tallest head (badge and name) of the cards in item i's row: prices and
            // "Choose" line up across a row whatever the length of the names.
            function rowHead(i) {
                var first = i - i % columns, tallest = 0
                for (var k = first; k < Math.min(first + columns, cards.count); ++k) {
                    var card = cards.itemAt(k)
                    if (card !== null)
                        tallest = Math.max(tallest, card.head)
                }
                return tallest
            }

            Repeater {
                id: cards
                model: plansModel.plans
                Rectangle {
                    id: planCard
                    objectName: "plan_" + modelData.id
                    Layout.fillWidth: true
                    Layout.fillHeight: true  // cards of one row share its height
                    Layout.preferredWidth: 1
                    Layout.preferredHeight: cardBody.implicitHeight + 2 * pad
                    readonly property real pad: (screen.portrait ? 32 : 24) * screen.u
                    // badge and name: what comes before the price (as laid out: rounded as the price is)
                    readonly property real head: nameText.y + nameText.height
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
                            id: nameText
                            objectName: "planName_" + index
                            Layout.fillWidth: true
                            text: modelData.name
                            size: screen.portrait ? 44 : 38
                            font.bold: true
                        }
                        KText {
                            objectName: "planPrice_" + index
                            Layout.fillWidth: true
                            // not in landscape with large text: there the first row's price and "Choose"
                            // need every pixel to stay above the fold (a current-plan badge and a
                            // two-line name in one card would push the other cards' down)
                            Layout.topMargin: screen.portrait || !theme.largeText
                                              ? Math.max(0, grid.rowHead(index) - planCard.head) : 0
                            text: modelData.price
                            size: screen.portrait ? 60 : 52
                            font.bold: true
                        }
                        // says the card is the button (a tap anywhere on it chooses); under the
                        // price, so that it is on screen with the price before any scrolling
                        Rectangle {
                            objectName: "planChoose_" + index
                            Layout.fillWidth: true
                            Layout.preferredHeight: Math.max(88 * screen.u, chooseLabel.implicitHeight + 20 * screen.u)
                            Layout.bottomMargin: 6 * screen.u
                            radius: 20 * screen.u
                            color: theme.accent
                            border.width: theme.highContrast ? 4 * screen.u + 1 : 0
                            border.color: theme.highContrast ? theme.border : theme.accent
                            KText {
                                id: chooseLabel
                                anchors.centerIn: parent
                                width: Math.min(implicitWidth, parent.width - 24 * screen.u)
                                horizontalAlignment: Text.AlignHCenter
                                text: qsTr("Choose")
                                size: 34
                                font.bold: true
                                color: theme.accentText
                            }
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
