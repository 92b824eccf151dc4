import QtQuick
import QtQuick.Layouts
import "../components"

// The sale is done but the receipt printer is out of paper: the success screen whose QR code
// is the receipt. What happened is said under the title; the code comes right after the new
// expiry and the reference (portrait) or beside them (landscape), on screen without
// scrolling (no tick badge: the room goes to the code). The words keep this screen's own catalogue entries (audio
// guidance reads them from here).
SuccessScreen {
    objectName: "printerOutOfPaperScreen"
    title: qsTr("Done! Your phone is topped up.")
    expiryLine: qsTr("Your plan now runs until %1.")
    referenceLine: qsTranslate("ErrorScreen", "Reference: %1")
    subtitle: qsTr("The receipt printer is out of paper. Scan the code to get your receipt on your phone.")
    receiptLine: ""
    takeSimLine: qsTr("Please take your SIM card.")
    doneText: qsTr("Done")
    qrFirst: true
}
