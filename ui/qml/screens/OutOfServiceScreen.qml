import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "outOfServiceScreen"
    glyph: "!"
    title: qsTr("This kiosk is out of service")
    message: qsTr("A technician is needed. Please use another kiosk.")
    hint: qsTr("If you paid, keep the reference below; our support team will sort it out: %1").arg(resultModel.support)
    actions: [
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "secondary"; onClicked: session.send("start_over") }
    ]
}
