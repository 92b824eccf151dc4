import QtQuick
import QtQuick.Layouts
import "../components"

ErrorScreen {
    objectName: "accountNotFoundScreen"
    glyph: "?"
    tone: theme.accent
    title: qsTr("We couldn't find your account")
    message: qsTr("We found no prepaid plan for this SIM card or number.")
    hint: qsTr("Type the phone number to try again. Nothing has been charged.")
    actions: [
        KButton { objectName: "usePhoneButton"; text: qsTr("Type my phone number"); onClicked: session.send("use_phone") },
        KButton { objectName: "startOverButton"; text: qsTr("Start over"); kind: "quiet"; onClicked: session.send("start_over") }
    ]
}
