import QtQml

// The technician advice texts of kiosk/diagnostics.py (ADVICE_*), marked for translation.
// ui/staff.py turns an advice into one of these keys plus its arguments (%1, %2...);
// tests/ui/test_staff.py fails when a new advice text is missing here.
QtObject {
    readonly property var texts: [
        QT_TRANSLATE_NOOP("Advice", "%1 did not answer within %2 s: retry in a minute; if it persists, restart it"),
        QT_TRANSLATE_NOOP("Advice", "%1 transaction(s) need attention: settle each with the payment provider using its receipt number, then tell support"),
        QT_TRANSLATE_NOOP("Advice", "%1 unfinished transaction(s): run `kiosk recover` or restart the kiosk"),
        QT_TRANSLATE_NOOP("Advice", "SIM removed during the test: push it fully in and retry"),
        QT_TRANSLATE_NOOP("Advice", "audio guidance unavailable: reinstall the kiosk software (PySide6-Addons, speech-dispatcher, espeak-ng)"),
        QT_TRANSLATE_NOOP("Advice", "SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader"),
        QT_TRANSLATE_NOOP("Advice", "card reader service not running: restart pcscd (or reboot the kiosk)"),
        QT_TRANSLATE_NOOP("Advice", "configuration problem: correct the setting the line above names, then restart the kiosk"),
        QT_TRANSLATE_NOOP("Advice", "data disk unreadable: call support, do not power off"),
        QT_TRANSLATE_NOOP("Advice", "diagnostics failed unexpectedly: note the detail and call support"),
        QT_TRANSLATE_NOOP("Advice", "disk %1% full: delete old backups and logs in %2, or replace the disk"),
        QT_TRANSLATE_NOOP("Advice", "end of day differs from the ledger by %1: compare the terminal's end-of-day receipt with the ledger export, check the transactions listed, then tell support"),
        QT_TRANSLATE_NOOP("Advice", "end of day failed: retry in a minute; if it fails again call the payment provider"),
        QT_TRANSLATE_NOOP("Advice", "ledger corrupt at seq %1: call support, do not power off"),
        QT_TRANSLATE_NOOP("Advice", "ledger unreadable: call support, do not power off"),
        QT_TRANSLATE_NOOP("Advice", "ledger inconsistent: call support, do not power off"),
        QT_TRANSLATE_NOOP("Advice", "no SIM in the reader: insert a SIM and retry"),
        QT_TRANSLATE_NOOP("Advice", "no end of day since %1: check the terminal, then run its end of day here"),
        QT_TRANSLATE_NOOP("Advice", "no printer configured: receipts are shown as a QR code only ([printer] backend)"),
        QT_TRANSLATE_NOOP("Advice", "no upstream configured: set [upstream] url in the configuration"),
        QT_TRANSLATE_NOOP("Advice", "out of service until this is fixed: correct what the line above names, then leave this screen (the kiosk starts again)"),
        QT_TRANSLATE_NOOP("Advice", "printer misconfigured: check [printer] port or path in the configuration"),
        QT_TRANSLATE_NOOP("Advice", "printer offline: check its power and cable, and that the cover is closed"),
        QT_TRANSLATE_NOOP("Advice", "printer out of paper: load a roll"),
        QT_TRANSLATE_NOOP("Advice", "reader error: unplug and replug the reader; if it persists, replace it"),
        QT_TRANSLATE_NOOP("Advice", "reader not answering: unplug the reader, wait 5 s, plug it back in"),
        QT_TRANSLATE_NOOP("Advice", "reader not found: check the USB cable"),
        QT_TRANSLATE_NOOP("Advice", "reader unplugged: check the USB cable"),
        QT_TRANSLATE_NOOP("Advice", "software incomplete: reinstall the kiosk software"),
        QT_TRANSLATE_NOOP("Advice", "terminal busy: retry in a minute"),
        QT_TRANSLATE_NOOP("Advice", "terminal not answering: check its power and cable, then restart it"),
        QT_TRANSLATE_NOOP("Advice", "terminal not found: check the serial cable and the terminal's power"),
        QT_TRANSLATE_NOOP("Advice", "terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists"),
        QT_TRANSLATE_NOOP("Advice", "upstream refuses the kiosk: check [upstream] url"),
        QT_TRANSLATE_NOOP("Advice", "no voice for %1: install the Debian package espeak-ng-data"),
        QT_TRANSLATE_NOOP("Advice", "upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)"),
        QT_TRANSLATE_NOOP("Advice", "upstream server error: sales continue offline; tell support if it persists"),
        QT_TRANSLATE_NOOP("Advice", "upstream unreachable: check the network cable; sales continue offline")
    ]
}
