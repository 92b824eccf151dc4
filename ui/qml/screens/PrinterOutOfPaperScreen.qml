import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "printerOutOfPaperScreen"
    glyph: "\u2713"
    tone: theme.success
    title: qsTr("Done! Your phone is topped up.")
    message: qsTr("The receipt printer is out of paper. Scan the code to get your receipt on your phone.")
    hint: resultModel.fromSim ? qsTr("Please take your SIM card.") : ""
    extra: [
        Rectangle {
            x: parent.width > width ? (parent.width - width) / 2 : 0
            width: 380 * theme.unit
            height: width
            color: "#FFFFFF"
            radius: 16 * theme.unit
            Image {
                objectName: "receiptQr"
                anchors.fill: parent
                anchors.margins: 8 * theme.unit
                source: resultModel.qr
                // every receipt has its own QR: keeping each in the pixmap cache grew memory every sale
                cache: false
                smooth: false
                fillMode: Image.PreserveAspectFit
            }
        }
    ]
    actions: [
        KButton { objectName: "doneButton"; text: qsTr("Done"); onClicked: session.send("next") }
    ]
}
