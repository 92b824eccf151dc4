import QtQml

// Translated titles and hints of the technician and operator actions (kiosk/diagnostics.py ACTIONS).
QtObject {
    function title(name) {
        switch (name) {
        case "startup": return qsTr("Start-up and configuration")
        case "reader": return qsTr("Card reader status")
        case "sim": return qsTr("Live SIM read test")
        case "terminal": return qsTr("Payment terminal status")
        case "terminal_diagnosis": return qsTr("Payment terminal diagnosis")
        case "terminal_end_of_day": return qsTr("Payment terminal end of day")
        case "printer": return qsTr("Printer status")
        case "printer_test": return qsTr("Printer test page")
        case "upstream": return qsTr("Upstream reachability and unsynced events")
        case "ledger": return qsTr("Ledger verify")
        case "attention": return qsTr("Transactions needing attention")
        case "end_of_day": return qsTr("Last end of day (reconciliation)")
        case "disk": return qsTr("Disk space")
        case "speech": return qsTr("Audio guidance")
        case "versions": return qsTr("Versions")
        }
        return name
    }
    function hint(name) {
        switch (name) {
        case "sim": return qsTr("Insert a SIM card into the reader now.")
        case "terminal_end_of_day": return qsTr("Settling the day's payments: this can take a few minutes.")
        case "printer_test": return qsTr("Printing a test page…")
        }
        return ""
    }
}
