import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "paymentCancelledScreen"
    glyph: "i"
    tone: theme.accent
    title: qsTr("Payment cancelled")
    message: qsTr("The payment was cancelled. Nothing was charged.")
    actions: [
        KButton { objectName: "retryButton"; text: qsTr("Pay again"); onClicked: session.send("retry") },
        KButton { objectName: "changeButton"; text: qsTr("Change plan"); kind: "secondary"; onClicked: session.send("change") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
