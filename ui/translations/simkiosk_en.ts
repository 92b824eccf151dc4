<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AccountNotFoundScreen</name>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="9"/>
        <source>We couldn&apos;t find your account</source>
        <translation>We couldn&apos;t find your account</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="10"/>
        <source>We found no prepaid plan for this SIM card or number.</source>
        <translation>We found no prepaid plan for this SIM card or number.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="11"/>
        <source>Type the phone number to try again. Nothing has been charged.</source>
        <translation>Type the phone number to try again. Nothing has been charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="13"/>
        <source>Type my phone number</source>
        <translation>Type my phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>AccountScreen</name>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="10"/>
        <source>Is this your phone?</source>
        <translation>Is this your phone?</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="11"/>
        <source>Check the carrier and the last digits of the number.</source>
        <translation>Check the carrier and the last digits of the number.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="63"/>
        <source>Phone number</source>
        <translation>Phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="67"/>
        <source>Current plan</source>
        <translation>Current plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="74"/>
        <source>Valid until</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Yes, choose a plan</source>
        <translation>Yes, choose a plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Choose another plan</source>
        <translation>Choose another plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="96"/>
        <source>No, type a different number</source>
        <translation>No, type a different number</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="102"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>Advice</name>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="8"/>
        <source>%1 did not answer within %2 s: retry in a minute; if it persists, restart it</source>
        <translation>%1 did not answer within %2 s: retry in a minute; if it persists, restart it</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="9"/>
        <source>%1 transaction(s) need attention: settle each with the payment provider using its receipt number, then tell support</source>
        <translation>%1 transaction(s) need attention: settle each with the payment provider using its receipt number, then tell support</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="10"/>
        <source>%1 unfinished transaction(s): run `kiosk recover` or restart the kiosk</source>
        <translation>%1 unfinished transaction(s): run `kiosk recover` or restart the kiosk</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="11"/>
        <source>SIM removed during the test: push it fully in and retry</source>
        <translation>SIM removed during the test: push it fully in and retry</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="12"/>
        <source>audio guidance unavailable: reinstall the kiosk software (PySide6-Addons, speech-dispatcher, espeak-ng)</source>
        <translation>audio guidance unavailable: reinstall the kiosk software (PySide6-Addons, speech-dispatcher, espeak-ng)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="13"/>
        <source>SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader</source>
        <translation>SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>card reader service not running: restart pcscd (or reboot the kiosk)</source>
        <translation>card reader service not running: restart pcscd (or reboot the kiosk)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>configuration problem: correct the setting the line above names, then restart the kiosk</source>
        <translation>configuration problem: correct the setting the line above names, then restart the kiosk</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="15"/>
        <source>data disk unreadable: call support, do not power off</source>
        <translation>data disk unreadable: call support, do not power off</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="16"/>
        <source>diagnostics failed unexpectedly: note the detail and call support</source>
        <translation>diagnostics failed unexpectedly: note the detail and call support</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="17"/>
        <source>disk %1% full: delete old backups and logs in %2, or replace the disk</source>
        <translation>disk %1% full: delete old backups and logs in %2, or replace the disk</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="18"/>
        <source>end of day differs from the ledger by %1: compare the terminal&apos;s end-of-day receipt with the ledger export, check the transactions listed, then tell support</source>
        <translation>end of day differs from the ledger by %1: compare the terminal&apos;s end-of-day receipt with the ledger export, check the transactions listed, then tell support</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="19"/>
        <source>end of day failed: retry in a minute; if it fails again call the payment provider</source>
        <translation>end of day failed: retry in a minute; if it fails again call the payment provider</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="20"/>
        <source>ledger corrupt at seq %1: call support, do not power off</source>
        <translation>ledger corrupt at seq %1: call support, do not power off</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="21"/>
        <source>ledger unreadable: call support, do not power off</source>
        <translation>ledger unreadable: call support, do not power off</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>ledger inconsistent: call support, do not power off</source>
        <translation>ledger inconsistent: call support, do not power off</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="22"/>
        <source>no SIM in the reader: insert a SIM and retry</source>
        <translation>no SIM in the reader: insert a SIM and retry</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>no end of day since %1: check the terminal, then run its end of day here</source>
        <translation>no end of day since %1: check the terminal, then run its end of day here</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="24"/>
        <source>no printer configured: receipts are shown as a QR code only ([printer] backend)</source>
        <translation>no printer configured: receipts are shown as a QR code only ([printer] backend)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="25"/>
        <source>no upstream configured: set [upstream] url in the configuration</source>
        <translation>no upstream configured: set [upstream] url in the configuration</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>out of service until this is fixed: correct what the line above names, then leave this screen (the kiosk starts again)</source>
        <translation>out of service until this is fixed: correct what the line above names, then leave this screen (the kiosk starts again)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="26"/>
        <source>printer misconfigured: check [printer] port or path in the configuration</source>
        <translation>printer misconfigured: check [printer] port or path in the configuration</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>printer offline: check its power and cable, and that the cover is closed</source>
        <translation>printer offline: check its power and cable, and that the cover is closed</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="28"/>
        <source>printer out of paper: load a roll</source>
        <translation>printer out of paper: load a roll</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="29"/>
        <source>reader error: unplug and replug the reader; if it persists, replace it</source>
        <translation>reader error: unplug and replug the reader; if it persists, replace it</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="30"/>
        <source>reader not answering: unplug the reader, wait 5 s, plug it back in</source>
        <translation>reader not answering: unplug the reader, wait 5 s, plug it back in</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="31"/>
        <source>reader not found: check the USB cable</source>
        <translation>reader not found: check the USB cable</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="32"/>
        <source>reader unplugged: check the USB cable</source>
        <translation>reader unplugged: check the USB cable</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="33"/>
        <source>software incomplete: reinstall the kiosk software</source>
        <translation>software incomplete: reinstall the kiosk software</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="34"/>
        <source>terminal busy: retry in a minute</source>
        <translation>terminal busy: retry in a minute</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="35"/>
        <source>terminal not answering: check its power and cable, then restart it</source>
        <translation>terminal not answering: check its power and cable, then restart it</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="36"/>
        <source>terminal not found: check the serial cable and the terminal&apos;s power</source>
        <translation>terminal not found: check the serial cable and the terminal&apos;s power</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="37"/>
        <source>terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists</source>
        <translation>terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="38"/>
        <source>upstream refuses the kiosk: check [upstream] url</source>
        <translation>upstream refuses the kiosk: check [upstream] url</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="39"/>
        <source>no voice for %1: install the Debian package espeak-ng-data</source>
        <translation>no voice for %1: install the Debian package espeak-ng-data</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="40"/>
        <source>upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)</source>
        <translation>upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="41"/>
        <source>upstream server error: sales continue offline; tell support if it persists</source>
        <translation>upstream server error: sales continue offline; tell support if it persists</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="42"/>
        <source>upstream unreachable: check the network cable; sales continue offline</source>
        <translation>upstream unreachable: check the network cable; sales continue offline</translation>
    </message>
</context>
<context>
    <name>AttractScreen</name>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="12"/>
        <source>Top up your phone plan</source>
        <translation>Top up your phone plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="13"/>
        <source>Choose your language to start</source>
        <translation>Choose your language to start</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="14"/>
        <source>Start in English</source>
        <translation>Start in English</translation>
    </message>
</context>
<context>
    <name>CardRemovedScreen</name>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="7"/>
        <source>The card was taken out too early</source>
        <translation>The card was taken out too early</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="8"/>
        <source>We need a few seconds to read the SIM card.</source>
        <translation>We need a few seconds to read the SIM card.</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="9"/>
        <source>Please insert it again and leave it in until the screen changes.</source>
        <translation>Please insert it again and leave it in until the screen changes.</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>Insert it again</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>Type my phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>ConfirmScreen</name>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="10"/>
        <source>Check and pay</source>
        <translation>Check and pay</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="11"/>
        <source>Please check the number: a top-up cannot be moved to another phone.</source>
        <translation>Please check the number: a top-up cannot be moved to another phone.</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="26"/>
        <source>Phone number</source>
        <translation>Phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="27"/>
        <source>Carrier</source>
        <translation>Carrier</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="35"/>
        <source>Plan</source>
        <translation>Plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="41"/>
        <source>Days valid</source>
        <translation>Days valid</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="60"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="28"/>
        <source>Price</source>
        <translation>Price</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="42"/>
        <source>Valid until</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="49"/>
        <source>Pay %1</source>
        <translation>Pay %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="54"/>
        <source>Change plan</source>
        <translation>Change plan</translation>
    </message>
</context>
<context>
    <name>DateStepper</name>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="27"/>
        <source>One day earlier</source>
        <translation>One day earlier</translation>
    </message>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="57"/>
        <source>One day later</source>
        <translation>One day later</translation>
    </message>
</context>
<context>
    <name>DemoPanel</name>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="62"/>
        <source>Demo controls (F2)</source>
        <translation>Demo controls (F2)</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="68"/>
        <source>Insert a test SIM</source>
        <translation>Insert a test SIM</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="88"/>
        <source>Pull the card</source>
        <translation>Pull the card</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="93"/>
        <source>Card terminal</source>
        <translation>Card terminal</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <location filename="../qml/components/ErrorScreen.qml" line="61"/>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="14"/>
        <source>Reference: %1</source>
        <translation>Reference: %1</translation>
    </message>
</context>
<context>
    <name>IdleOverlay</name>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="50"/>
        <source>Need more time?</source>
        <translation>Need more time?</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="67"/>
        <source>seconds until the kiosk starts over and forgets what you entered.</source>
        <translation>seconds until the kiosk starts over and forgets what you entered.</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="76"/>
        <source>Yes, I need more time</source>
        <translation>Yes, I need more time</translation>
    </message>
</context>
<context>
    <name>InsertSimScreen</name>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="8"/>
        <source>Insert your SIM card</source>
        <translation>Insert your SIM card</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="9"/>
        <source>Put the SIM card into the slot below the screen, gold contacts facing up.</source>
        <translation>Put the SIM card into the slot below the screen, gold contacts facing up.</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="19"/>
        <source>A SIM card is already in the slot. Please take it out, then insert yours.</source>
        <translation>A SIM card is already in the slot. Please take it out, then insert yours.</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="84"/>
        <source>Waiting for your card…</source>
        <translation>Waiting for your card…</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="94"/>
        <source>No SIM card or eSIM? Enter your phone number</source>
        <translation>No SIM card or eSIM? Enter your phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="100"/>
        <source>Back</source>
        <translation>Back</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../qml/components/Keypad.qml" line="41"/>
        <source>Clear</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location filename="../qml/components/Keypad.qml" line="55"/>
        <source>Delete last digit</source>
        <translation>Delete last digit</translation>
    </message>
</context>
<context>
    <name>LanguageScreen</name>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="8"/>
        <source>Choose your language</source>
        <translation>Choose your language</translation>
    </message>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="47"/>
        <source>Back</source>
        <translation>Back</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="8"/>
        <source>Finding your account…</source>
        <translation>Finding your account…</translation>
    </message>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="9"/>
        <source>This takes a few seconds.</source>
        <translation>This takes a few seconds.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="13"/>
        <source>SIM top-up kiosk</source>
        <translation>SIM top-up kiosk</translation>
    </message>
</context>
<context>
    <name>NoReaderScreen</name>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="7"/>
        <source>The SIM card reader is not working</source>
        <translation>The SIM card reader is not working</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="8"/>
        <source>We can&apos;t read SIM cards right now, but you can still top up by typing your phone number.</source>
        <translation>We can&apos;t read SIM cards right now, but you can still top up by typing your phone number.</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="9"/>
        <source>The staff have been told about the reader.</source>
        <translation>The staff have been told about the reader.</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="11"/>
        <source>Type my phone number</source>
        <translation>Type my phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="12"/>
        <source>Try the reader again</source>
        <translation>Try the reader again</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>OperatorScreen</name>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="10"/>
        <source>Operator</source>
        <translation>Operator</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="11"/>
        <source>Export the transaction log.</source>
        <translation>Export the transaction log.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="39"/>
        <source>Dates (UTC days, both included)</source>
        <translation>Dates (UTC days, both included)</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="42"/>
        <source>From</source>
        <translation>From</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="47"/>
        <source>To</source>
        <translation>To</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="55"/>
        <source>Today</source>
        <translation>Today</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="56"/>
        <source>Yesterday</source>
        <translation>Yesterday</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="57"/>
        <source>Last 7 days</source>
        <translation>Last 7 days</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="58"/>
        <source>This month</source>
        <translation>This month</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="64"/>
        <source>Unmask: full phone numbers and ICCIDs</source>
        <translation>Unmask: full phone numbers and ICCIDs</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="76"/>
        <source>The file will contain personal data. Keep the stick safe.</source>
        <translation>The file will contain personal data. Keep the stick safe.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="77"/>
        <source>Phone numbers and ICCIDs are masked.</source>
        <translation>Phone numbers and ICCIDs are masked.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="86"/>
        <source>Save to</source>
        <translation>Save to</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="90"/>
        <source>No USB stick found. Plug one in and look again, or save to the kiosk&apos;s export folder.</source>
        <translation>No USB stick found. Plug one in and look again, or save to the kiosk&apos;s export folder.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="118"/>
        <source>USB stick %1</source>
        <translation>USB stick %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="119"/>
        <source>Kiosk export folder</source>
        <translation>Kiosk export folder</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="120"/>
        <source>%1 MiB free</source>
        <translation>%1 MiB free</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="121"/>
        <source>read-only</source>
        <translation>read-only</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Looking…</source>
        <translation>Looking…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Look for USB sticks again</source>
        <translation>Look for USB sticks again</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Exporting…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Export CSV</source>
        <translation>Export CSV</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="173"/>
        <source>Exported %1 transactions (%2 KiB, %3).</source>
        <translation>Exported %1 transactions (%2 KiB, %3).</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>masked</source>
        <translation>masked</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>unmasked</source>
        <translation>unmasked</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="176"/>
        <source>Export failed: check the stick is plugged in, not full and not write-protected.</source>
        <translation>Export failed: check the stick is plugged in, not full and not write-protected.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="177"/>
        <source>Writing the file…</source>
        <translation>Writing the file…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="140"/>
        <source>Other operator tasks</source>
        <translation>Other operator tasks</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="189"/>
        <source>Exit to the customer screen</source>
        <translation>Exit to the customer screen</translation>
    </message>
</context>
<context>
    <name>OutOfServiceScreen</name>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="8"/>
        <source>This kiosk is out of service</source>
        <translation>This kiosk is out of service</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="9"/>
        <source>A technician is needed. Please use another kiosk.</source>
        <translation>A technician is needed. Please use another kiosk.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="10"/>
        <source>If you paid, keep the reference below; our support team will sort it out: %1</source>
        <translation>If you paid, keep the reference below; our support team will sort it out: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PayScreen</name>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="12"/>
        <source>Pay on the card terminal</source>
        <translation>Pay on the card terminal</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="13"/>
        <source>The terminal is below the screen, on the right.</source>
        <translation>The terminal is below the screen, on the right.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="77"/>
        <source>You can cancel the payment. You will not pay for a top-up you did not get.</source>
        <translation>You can cancel the payment. You will not pay for a top-up you did not get.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="146"/>
        <source>Cancel payment</source>
        <translation>Cancel payment</translation>
    </message>
</context>
<context>
    <name>PaymentCancelledScreen</name>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="9"/>
        <source>Payment cancelled</source>
        <translation>Payment cancelled</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="10"/>
        <source>The payment was cancelled. Nothing was charged.</source>
        <translation>The payment was cancelled. Nothing was charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="12"/>
        <source>Pay again</source>
        <translation>Pay again</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="13"/>
        <source>Change plan</source>
        <translation>Change plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PaymentDeclinedScreen</name>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="7"/>
        <source>Payment declined</source>
        <translation>Payment declined</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="8"/>
        <source>Your card was declined. Nothing was charged.</source>
        <translation>Your card was declined. Nothing was charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="9"/>
        <source>You can try again with another card, or ask your bank why.</source>
        <translation>You can try again with another card, or ask your bank why.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="11"/>
        <source>Try another card</source>
        <translation>Try another card</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="12"/>
        <source>Change plan</source>
        <translation>Change plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PhoneScreen</name>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="16"/>
        <source>Enter your phone number</source>
        <translation>Enter your phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="17"/>
        <source>The number of the phone you want to top up, area code first.</source>
        <translation>The number of the phone you want to top up, area code first.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="72"/>
        <source>Phone number</source>
        <translation>Phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="37"/>
        <source>Please check the number: a US number has 10 digits, area code first.</source>
        <translation>Please check the number: a US number has 10 digits, area code first.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="102"/>
        <source>Continue</source>
        <translation>Continue</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="108"/>
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="115"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PinScreen</name>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="10"/>
        <source>Staff sign-in</source>
        <translation>Staff sign-in</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="11"/>
        <source>Enter your technician or operator PIN.</source>
        <translation>Enter your technician or operator PIN.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="17"/>
        <source>Checking…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="18"/>
        <source>Wrong PIN. Attempts left before the keypad locks: %1</source>
        <translation>Wrong PIN. Attempts left before the keypad locks: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="21"/>
        <source>Too many wrong PINs. Locked until a technician unlocks it.</source>
        <translation>Too many wrong PINs. Locked until a technician unlocks it.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="24"/>
        <source>Too many wrong PINs. Locked: try again in %1.</source>
        <translation>Too many wrong PINs. Locked: try again in %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="27"/>
        <source>A PIN has at least 4 digits.</source>
        <translation>A PIN has at least 4 digits.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="28"/>
        <source>No staff PIN is set up on this kiosk.</source>
        <translation>No staff PIN is set up on this kiosk.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="29"/>
        <source>The PIN cannot be checked right now (ledger unavailable).</source>
        <translation>The PIN cannot be checked right now (ledger unavailable).</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="31"/>
        <source>The PIN cannot be checked right now (%1).</source>
        <translation>The PIN cannot be checked right now (%1).</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="73"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="102"/>
        <source>Sign in</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="108"/>
        <source>Cancel</source>
        <translation>Cancel</translation>
    </message>
</context>
<context>
    <name>PlansScreen</name>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="13"/>
        <location filename="../qml/screens/PlansScreen.qml" line="14"/>
        <source>Choose a plan</source>
        <translation>Choose a plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="35"/>
        <source>There are no plans for this carrier at this kiosk.</source>
        <translation>There are no plans for this carrier at this kiosk.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="94"/>
        <source>Your current plan</source>
        <translation>Your current plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="136"/>
        <source>Choose</source>
        <translation>Choose</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="145"/>
        <source>Days valid: %1</source>
        <translation>Days valid: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="172"/>
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="178"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>PrinterOutOfPaperScreen</name>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="12"/>
        <source>Done! Your phone is topped up.</source>
        <translation>Done! Your phone is topped up.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="13"/>
        <source>Your plan now runs until %1.</source>
        <translation>Your plan now runs until %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="15"/>
        <source>The receipt printer is out of paper. Scan the code to get your receipt on your phone.</source>
        <translation>The receipt printer is out of paper. Scan the code to get your receipt on your phone.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="17"/>
        <source>Please take your SIM card.</source>
        <translation>Please take your SIM card.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="18"/>
        <source>Done</source>
        <translation>Done</translation>
    </message>
</context>
<context>
    <name>ProcessingScreen</name>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="8"/>
        <source>Payment approved</source>
        <translation>Payment approved</translation>
    </message>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="9"/>
        <source>Now topping up your phone. This usually takes a few seconds; please wait.</source>
        <translation>Now topping up your phone. This usually takes a few seconds; please wait.</translation>
    </message>
</context>
<context>
    <name>ReadingScreen</name>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="8"/>
        <source>Reading your SIM card…</source>
        <translation>Reading your SIM card…</translation>
    </message>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="9"/>
        <source>Please leave the card in the slot.</source>
        <translation>Please leave the card in the slot.</translation>
    </message>
</context>
<context>
    <name>ScreenBase</name>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="159"/>
        <source>Back to the top</source>
        <translation>Back to the top</translation>
    </message>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="160"/>
        <source>More below: swipe up or tap here</source>
        <translation>More below: swipe up or tap here</translation>
    </message>
</context>
<context>
    <name>Speech</name>
    <message>
        <location filename="../speech.py" line="47"/>
        <source>Audio guidance is on.</source>
        <translation>Audio guidance is on.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="48"/>
        <source>For spoken instructions, press any key on the keypad, or touch and hold the top left corner of the screen.</source>
        <translation>For spoken instructions, press any key on the keypad, or touch and hold the top left corner of the screen.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="52"/>
        <source>Options: %1.</source>
        <translation>Options: %1.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="53"/>
        <source>Please wait.</source>
        <translation>Please wait.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="54"/>
        <source>%1 is selected: press Enter to choose it. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>%1 is selected: press Enter to choose it. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="59"/>
        <source>%1 is selected: double-tap to choose it. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>%1 is selected: double-tap to choose it. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="64"/>
        <source>%1 is selected: press Enter to choose it.</source>
        <translation>%1 is selected: press Enter to choose it.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="65"/>
        <source>%1 is selected: double-tap to choose it.</source>
        <translation>%1 is selected: double-tap to choose it.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1 is selected but not available yet. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>%1 is selected but not available yet. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>%1 is selected but not available yet. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>%1 is selected but not available yet. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="78"/>
        <source>%1 is selected but not available yet.</source>
        <translation>%1 is selected but not available yet.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="66"/>
        <source>%1, %2 of %3.</source>
        <translation>%1, %2 of %3.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="67"/>
        <source>%1: not available yet.</source>
        <translation>%1: not available yet.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1: on</source>
        <translation>%1: on</translation>
    </message>
    <message>
        <location filename="../speech.py" line="69"/>
        <source>%1: off</source>
        <translation>%1: off</translation>
    </message>
    <message>
        <location filename="../speech.py" line="70"/>
        <source>Volume %1 percent.</source>
        <translation>Volume %1 percent.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="71"/>
        <source>%1 dollars</source>
        <translation>%1 dollars</translation>
    </message>
    <message>
        <location filename="../speech.py" line="72"/>
        <source>%1 dollars and %2 cents</source>
        <translation>%1 dollars and %2 cents</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>Number typed so far: %1.</source>
        <translation>Number typed so far: %1.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="74"/>
        <source>%1 digits typed.</source>
        <translation>%1 digits typed.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="75"/>
        <source>No digits typed yet. Type the number with the number keys.</source>
        <translation>No digits typed yet. Type the number with the number keys.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="76"/>
        <source>your current plan</source>
        <translation>your current plan</translation>
    </message>
</context>
<context>
    <name>StaffActionCard</name>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="49"/>
        <source>Running…</source>
        <translation>Running…</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="50"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="51"/>
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="52"/>
        <source>Not run yet</source>
        <translation>Not run yet</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run</source>
        <translation>Run</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run again</source>
        <translation>Run again</translation>
    </message>
</context>
<context>
    <name>StaffTitles</name>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Start-up and configuration</source>
        <translation>Start-up and configuration</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Card reader status</source>
        <translation>Card reader status</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="8"/>
        <source>Live SIM read test</source>
        <translation>Live SIM read test</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="9"/>
        <source>Payment terminal status</source>
        <translation>Payment terminal status</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="10"/>
        <source>Payment terminal diagnosis</source>
        <translation>Payment terminal diagnosis</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="11"/>
        <source>Payment terminal end of day</source>
        <translation>Payment terminal end of day</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="12"/>
        <source>Printer status</source>
        <translation>Printer status</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="13"/>
        <source>Printer test page</source>
        <translation>Printer test page</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="14"/>
        <source>Upstream reachability and unsynced events</source>
        <translation>Upstream reachability and unsynced events</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="15"/>
        <source>Ledger verify</source>
        <translation>Ledger verify</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="16"/>
        <source>Transactions needing attention</source>
        <translation>Transactions needing attention</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="17"/>
        <source>Last end of day (reconciliation)</source>
        <translation>Last end of day (reconciliation)</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="18"/>
        <source>Disk space</source>
        <translation>Disk space</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="19"/>
        <source>Audio guidance</source>
        <translation>Audio guidance</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="20"/>
        <source>Versions</source>
        <translation>Versions</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="26"/>
        <source>Insert a SIM card into the reader now.</source>
        <translation>Insert a SIM card into the reader now.</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="27"/>
        <source>Settling the day&apos;s payments: this can take a few minutes.</source>
        <translation>Settling the day&apos;s payments: this can take a few minutes.</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="28"/>
        <source>Printing a test page…</source>
        <translation>Printing a test page…</translation>
    </message>
</context>
<context>
    <name>StartupOverlay</name>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Out of service</source>
        <translation>Out of service</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Starting up…</source>
        <translation>Starting up…</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="33"/>
        <source>This kiosk needs a technician. Please use another kiosk.</source>
        <translation>This kiosk needs a technician. Please use another kiosk.</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="34"/>
        <source>Checking that every earlier payment was completed.</source>
        <translation>Checking that every earlier payment was completed.</translation>
    </message>
</context>
<context>
    <name>SuccessScreen</name>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="14"/>
        <source>Done! Your phone is topped up.</source>
        <translation>Done! Your phone is topped up.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="17"/>
        <source>Your plan now runs until %1.</source>
        <translation>Your plan now runs until %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="20"/>
        <source>Please take your SIM card.</source>
        <translation>Please take your SIM card.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="19"/>
        <source>Your receipt is printing below the screen.</source>
        <translation>Your receipt is printing below the screen.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="18"/>
        <source>Reference: %1</source>
        <translation>Reference: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="115"/>
        <source>Scan for your receipt</source>
        <translation>Scan for your receipt</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="125"/>
        <source>Remind me 3 days before it ends</source>
        <translation>Remind me 3 days before it ends</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="21"/>
        <source>Done</source>
        <translation>Done</translation>
    </message>
</context>
<context>
    <name>TakeSimScreen</name>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="10"/>
        <source>Please take your SIM card</source>
        <translation>Please take your SIM card</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="11"/>
        <source>Take it out of the slot below the screen. Thank you!</source>
        <translation>Take it out of the slot below the screen. Thank you!</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="57"/>
        <source>Your SIM card is still in the slot.</source>
        <translation>Your SIM card is still in the slot.</translation>
    </message>
</context>
<context>
    <name>TechnicianScreen</name>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="9"/>
        <source>Technician</source>
        <translation>Technician</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="10"/>
        <source>Run a check; each one says what to do next.</source>
        <translation>Run a check; each one says what to do next.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="47"/>
        <source>Exit to the customer screen</source>
        <translation>Exit to the customer screen</translation>
    </message>
</context>
<context>
    <name>TerminalOfflineScreen</name>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="7"/>
        <source>The card terminal is not responding</source>
        <translation>The card terminal is not responding</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="8"/>
        <source>Nothing was charged.</source>
        <translation>Nothing was charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="9"/>
        <source>Please try again in a moment. If it keeps happening, please use another kiosk.</source>
        <translation>Please try again in a moment. If it keeps happening, please use another kiosk.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="11"/>
        <source>Try again</source>
        <translation>Try again</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>TopBar</name>
    <message>
        <location filename="../qml/components/TopBar.qml" line="74"/>
        <source>Phone top-up</source>
        <translation>Phone top-up</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="116"/>
        <source>Contrast</source>
        <translation>Contrast</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="123"/>
        <source>Large text</source>
        <translation>Large text</translation>
    </message>
</context>
<context>
    <name>TopupFailedScreen</name>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="7"/>
        <source>The top-up did not go through</source>
        <translation>The top-up did not go through</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="8"/>
        <source>The carrier could not add the plan to this number. Your payment of %1 is being reversed: you will not be charged.</source>
        <translation>The carrier could not add the plan to this number. Your payment of %1 is being reversed: you will not be charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="9"/>
        <source>Depending on your bank, the reversal can take a few days to show. Keep the reference below.</source>
        <translation>Depending on your bank, the reversal can take a few days to show. Keep the reference below.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="11"/>
        <source>Choose another plan</source>
        <translation>Choose another plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>UnreadableSimScreen</name>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="7"/>
        <source>We couldn&apos;t read this SIM card</source>
        <translation>We couldn&apos;t read this SIM card</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="8"/>
        <source>The card may be upside down, dirty, or a kind of SIM we don&apos;t know.</source>
        <translation>The card may be upside down, dirty, or a kind of SIM we don&apos;t know.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="9"/>
        <source>Take it out, check it and insert it again, or type your phone number instead.</source>
        <translation>Take it out, check it and insert it again, or type your phone number instead.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>Insert it again</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>Type my phone number</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>UpstreamOfflineScreen</name>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="8"/>
        <source>We can&apos;t reach the carriers right now</source>
        <translation>We can&apos;t reach the carriers right now</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="9"/>
        <source>Top-ups need a network connection, which is down at the moment. Nothing was charged.</source>
        <translation>Top-ups need a network connection, which is down at the moment. Nothing was charged.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="10"/>
        <source>Your SIM card and phone are fine. Please try again in a few minutes.</source>
        <translation>Your SIM card and phone are fine. Please try again in a few minutes.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="12"/>
        <source>Try again</source>
        <translation>Try again</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Start over</translation>
    </message>
</context>
<context>
    <name>ViewModel</name>
    <message>
        <location filename="../viewmodels.py" line="74"/>
        <source>ending in %1</source>
        <translation>ending in %1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="149"/>
        <source>That number cannot be topped up: it is not a valid US number. Nothing was charged. Please type the number.</source>
        <extracomment>A catalogue id (&quot;tmo-unl-40&quot;) rather than a name: never shown to a customer.</extracomment>
        <translation>That number cannot be topped up: it is not a valid US number. Nothing was charged. Please type the number.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="150"/>
        <source>The price of that plan has just changed. Nothing was charged. Please choose again.</source>
        <translation>The price of that plan has just changed. Nothing was charged. Please choose again.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="151"/>
        <source>That plan is no longer on sale. Nothing was charged. Please choose another plan.</source>
        <translation>That plan is no longer on sale. Nothing was charged. Please choose another plan.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="152"/>
        <source>That plan is not for this carrier. Nothing was charged. Please choose again.</source>
        <translation>That plan is not for this carrier. Nothing was charged. Please choose again.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="153"/>
        <source>That plan cannot be paid at this kiosk. Nothing was charged. Please choose another plan.</source>
        <translation>That plan cannot be paid at this kiosk. Nothing was charged. Please choose another plan.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="218"/>
        <source>Renew %1 for %2</source>
        <translation>Renew %1 for %2</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="245"/>
        <source>at least until %1</source>
        <translation>at least until %1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="282"/>
        <source>Tap, insert or swipe your card</source>
        <translation>Tap, insert or swipe your card</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="284"/>
        <source>Insert your card</source>
        <translation>Insert your card</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="286"/>
        <source>Enter your PIN on the terminal</source>
        <translation>Enter your PIN on the terminal</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="288"/>
        <source>Wrong PIN. Please try again.</source>
        <translation>Wrong PIN. Please try again.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="290"/>
        <source>Please wait…</source>
        <translation>Please wait…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="292"/>
        <source>Processing your payment…</source>
        <translation>Processing your payment…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="294"/>
        <source>Please take your card</source>
        <translation>Please take your card</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="296"/>
        <source>Payment approved</source>
        <translation>Payment approved</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="298"/>
        <source>Payment declined</source>
        <translation>Payment declined</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="300"/>
        <source>This card is not accepted. Please use another card.</source>
        <translation>This card is not accepted. Please use another card.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="302"/>
        <source>The card could not be read. Please try again.</source>
        <translation>The card could not be read. Please try again.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="304"/>
        <source>Please try again</source>
        <translation>Please try again</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="305"/>
        <source>Follow the instructions on the terminal</source>
        <translation>Follow the instructions on the terminal</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="321"/>
        <source>Cancelling the payment…</source>
        <translation>Cancelling the payment…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="323"/>
        <source>The card terminal is not responding.</source>
        <translation>The card terminal is not responding.</translation>
    </message>
</context>
</TS>
