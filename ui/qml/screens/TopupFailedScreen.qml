import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "topupFailedScreen"
    title: qsTr("The top-up did not go through")
    message: qsTr("The carrier could not add the plan to this number. Your payment of %1 is being reversed: you will not be charged.").arg(resultModel.price)
    hint: qsTr("Depending on your bank, the reversal can take a few days to show. Keep the reference below.")
    actions: [
        KButton { objectName: "retryButton"; visible: resultModel.canRetry; text: qsTr("Choose another plan"); onClicked: session.send("retry") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: resultModel.canRetry ? "quiet" : "primary"; onClicked: session.send("start_over") }
    ]
}
