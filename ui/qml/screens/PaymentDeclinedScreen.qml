import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "paymentDeclinedScreen"
    title: qsTr("Payment declined")
    message: qsTr("Your card was declined. Nothing was charged.")
    hint: qsTr("You can try again with another card, or ask your bank why.")
    actions: [
        KButton { objectName: "retryButton"; text: qsTr("Try another card"); onClicked: session.send("retry") },
        KButton { objectName: "changeButton"; text: qsTr("Change plan"); kind: "secondary"; onClicked: session.send("change") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
