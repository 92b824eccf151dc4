<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es" sourcelanguage="en">
<context>
    <name>AccountNotFoundScreen</name>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="9"/>
        <source>We couldn&apos;t find your account</source>
        <translation>No encontramos su cuenta</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="10"/>
        <source>We found no prepaid plan for this SIM card or number.</source>
        <translation>No encontramos ningún plan prepagado para esta tarjeta SIM o este número.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="11"/>
        <source>Type the phone number to try again. Nothing has been charged.</source>
        <translation>Ingrese el número de celular para intentarlo de nuevo. No se le cobró nada.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="13"/>
        <source>Type my phone number</source>
        <translation>Ingresar mi número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountNotFoundScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>AccountScreen</name>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="10"/>
        <source>Is this your phone?</source>
        <translation>¿Es este su celular?</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="11"/>
        <source>Check the carrier and the last digits of the number.</source>
        <translation>Revise la compañía y los últimos dígitos del número.</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="63"/>
        <source>Phone number</source>
        <translation>Número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="67"/>
        <source>Current plan</source>
        <translation>Plan actual</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="74"/>
        <source>Valid until</source>
        <translation>Vigente hasta</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Yes, choose a plan</source>
        <translation>Sí, elegir un plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="90"/>
        <source>Choose another plan</source>
        <translation>Elegir otro plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="96"/>
        <source>No, type a different number</source>
        <translation>No, ingresar otro número</translation>
    </message>
    <message>
        <location filename="../qml/screens/AccountScreen.qml" line="102"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>Advice</name>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="8"/>
        <source>%1 did not answer within %2 s: retry in a minute; if it persists, restart it</source>
        <translation>%1 no respondió en %2 s: vuelva a intentarlo en un minuto; si persiste, reinícielo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="9"/>
        <source>%1 transaction(s) need attention: settle each with the payment provider using its receipt number, then tell support</source>
        <translation>%1 transacción(es) requieren atención: liquide cada una con el proveedor de pagos usando su número de recibo y avise a ayuda técnica</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="10"/>
        <source>%1 unfinished transaction(s): run `kiosk recover` or restart the kiosk</source>
        <translation>%1 transacción(es) sin terminar: ejecute `kiosk recover` o reinicie el quiosco</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="11"/>
        <source>SIM removed during the test: push it fully in and retry</source>
        <translation>SIM retirada durante la prueba: insértela por completo y vuelva a intentarlo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="12"/>
        <source>audio guidance unavailable: reinstall the kiosk software (PySide6-Addons, speech-dispatcher, espeak-ng)</source>
        <translation>guía por voz no disponible: reinstale el software del quiosco (PySide6-Addons, speech-dispatcher, espeak-ng)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="13"/>
        <source>SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader</source>
        <translation>SIM ilegible: pruebe otra SIM; si todas fallan, limpie o reemplace el lector</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>card reader service not running: restart pcscd (or reboot the kiosk)</source>
        <translation>el servicio del lector no está en funcionamiento: reinicie pcscd (o reinicie el quiosco)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="14"/>
        <source>configuration problem: correct the setting the line above names, then restart the kiosk</source>
        <translation>problema de configuración: corrija el ajuste que indica la línea de arriba y reinicie el quiosco</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="15"/>
        <source>data disk unreadable: call support, do not power off</source>
        <translation>disco de datos ilegible: llame a ayuda técnica, no apague el equipo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="16"/>
        <source>diagnostics failed unexpectedly: note the detail and call support</source>
        <translation>el diagnóstico falló inesperadamente: anote el detalle y llame a ayuda técnica</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="17"/>
        <source>disk %1% full: delete old backups and logs in %2, or replace the disk</source>
        <translation>disco al %1%: borre copias y registros antiguos en %2, o reemplace el disco</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="18"/>
        <source>end of day differs from the ledger by %1: compare the terminal&apos;s end-of-day receipt with the ledger export, check the transactions listed, then tell support</source>
        <translation>el cierre del día difiere del registro en %1: compare el recibo de cierre de la terminal con la exportación del registro, revise las transacciones indicadas y avise a ayuda técnica</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="19"/>
        <source>end of day failed: retry in a minute; if it fails again call the payment provider</source>
        <translation>el cierre del día falló: vuelva a intentarlo en un minuto; si vuelve a fallar, llame al proveedor de pagos</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="20"/>
        <source>ledger corrupt at seq %1: call support, do not power off</source>
        <translation>registro contable dañado en la secuencia %1: llame a ayuda técnica, no apague el equipo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="21"/>
        <source>ledger unreadable: call support, do not power off</source>
        <translation>registro contable ilegible: llame a ayuda técnica, no apague el equipo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>ledger inconsistent: call support, do not power off</source>
        <translation>registro contable incoherente: llame a ayuda técnica, no apague el equipo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="22"/>
        <source>no SIM in the reader: insert a SIM and retry</source>
        <translation>no hay SIM en el lector: inserte una SIM y vuelva a intentarlo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="23"/>
        <source>no end of day since %1: check the terminal, then run its end of day here</source>
        <translation>no hay cierre del día desde %1: revise la terminal y ejecute aquí su cierre del día</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="24"/>
        <source>no printer configured: receipts are shown as a QR code only ([printer] backend)</source>
        <translation>no hay impresora configurada: los recibos solo se muestran como código QR ([printer] backend)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="25"/>
        <source>no upstream configured: set [upstream] url in the configuration</source>
        <translation>no hay servidor central configurado: defina [upstream] url en la configuración</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>out of service until this is fixed: correct what the line above names, then leave this screen (the kiosk starts again)</source>
        <translation>fuera de servicio hasta que se corrija: corrija lo que indica la línea de arriba y salga de esta pantalla (el quiosco vuelve a arrancar)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="26"/>
        <source>printer misconfigured: check [printer] port or path in the configuration</source>
        <translation>impresora mal configurada: revise [printer] port o path en la configuración</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="27"/>
        <source>printer offline: check its power and cable, and that the cover is closed</source>
        <translation>impresora desconectada: revise la alimentación, el cable y que la tapa esté cerrada</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="28"/>
        <source>printer out of paper: load a roll</source>
        <translation>impresora sin papel: coloque un rollo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="29"/>
        <source>reader error: unplug and replug the reader; if it persists, replace it</source>
        <translation>error del lector: desconecte y vuelva a conectar el lector; si persiste, reemplácelo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="30"/>
        <source>reader not answering: unplug the reader, wait 5 s, plug it back in</source>
        <translation>el lector no responde: desconéctelo, espere 5 s y vuelva a conectarlo</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="31"/>
        <source>reader not found: check the USB cable</source>
        <translation>no se encuentra el lector: revise el cable USB</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="32"/>
        <source>reader unplugged: check the USB cable</source>
        <translation>lector desconectado: revise el cable USB</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="33"/>
        <source>software incomplete: reinstall the kiosk software</source>
        <translation>software incompleto: reinstale el software del quiosco</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="34"/>
        <source>terminal busy: retry in a minute</source>
        <translation>terminal ocupada: vuelva a intentarlo en un minuto</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="35"/>
        <source>terminal not answering: check its power and cable, then restart it</source>
        <translation>la terminal no responde: revise la alimentación y el cable, y reiníciela</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="36"/>
        <source>terminal not found: check the serial cable and the terminal&apos;s power</source>
        <translation>no se encuentra la terminal: revise el cable serie y la alimentación de la terminal</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="37"/>
        <source>terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists</source>
        <translation>la terminal indica una falla: lea su pantalla y ejecute un diagnóstico; si persiste, llame al proveedor de pagos</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="38"/>
        <source>upstream refuses the kiosk: check [upstream] url</source>
        <translation>el servidor central rechaza el quiosco: revise [upstream] url</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="39"/>
        <source>no voice for %1: install the Debian package espeak-ng-data</source>
        <translation>no hay voz para %1: instale el paquete de Debian espeak-ng-data</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="40"/>
        <source>upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)</source>
        <translation>secreto del servidor central ilegible: reinstale el secreto del quiosco ([upstream] secret_file)</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="41"/>
        <source>upstream server error: sales continue offline; tell support if it persists</source>
        <translation>error del servidor central: las ventas siguen sin conexión; avise a ayuda técnica si persiste</translation>
    </message>
    <message>
        <location filename="../qml/components/AdviceCatalog.qml" line="42"/>
        <source>upstream unreachable: check the network cable; sales continue offline</source>
        <translation>servidor central inaccesible: revise el cable de red; las ventas siguen sin conexión</translation>
    </message>
</context>
<context>
    <name>AttractScreen</name>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="12"/>
        <source>Top up your phone plan</source>
        <translation>Recargue su plan de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="13"/>
        <source>Choose your language to start</source>
        <translation>Elija su idioma para empezar</translation>
    </message>
    <message>
        <location filename="../qml/screens/AttractScreen.qml" line="14"/>
        <source>Start in English</source>
        <translation>Empezar en español</translation>
    </message>
</context>
<context>
    <name>CardRemovedScreen</name>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="7"/>
        <source>The card was taken out too early</source>
        <translation>La tarjeta SIM se retiró demasiado pronto</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="8"/>
        <source>We need a few seconds to read the SIM card.</source>
        <translation>Necesitamos unos segundos para leer la tarjeta SIM.</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="9"/>
        <source>Please insert it again and leave it in until the screen changes.</source>
        <translation>Insértela de nuevo y no la retire hasta que cambie la pantalla.</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>Insertarla de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>Ingresar mi número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/CardRemovedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>ConfirmScreen</name>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="10"/>
        <source>Check and pay</source>
        <translation>Revise y pague</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="11"/>
        <source>Please check the number: a top-up cannot be moved to another phone.</source>
        <translation>Revise el número: una recarga no se puede pasar a otro celular.</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="26"/>
        <source>Phone number</source>
        <translation>Número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="27"/>
        <source>Carrier</source>
        <translation>Compañía</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="35"/>
        <source>Plan</source>
        <translation>Plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="41"/>
        <source>Days valid</source>
        <translation>Días de vigencia</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="60"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="28"/>
        <source>Price</source>
        <translation>Precio</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="42"/>
        <source>Valid until</source>
        <translation>Vigente hasta</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="49"/>
        <source>Pay %1</source>
        <translation>Pagar %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/ConfirmScreen.qml" line="54"/>
        <source>Change plan</source>
        <translation>Cambiar de plan</translation>
    </message>
</context>
<context>
    <name>DateStepper</name>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="27"/>
        <source>One day earlier</source>
        <translation>Un día antes</translation>
    </message>
    <message>
        <location filename="../qml/components/DateStepper.qml" line="57"/>
        <source>One day later</source>
        <translation>Un día después</translation>
    </message>
</context>
<context>
    <name>DemoPanel</name>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="62"/>
        <source>Demo controls (F2)</source>
        <translation>Controles de demostración (F2)</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="68"/>
        <source>Insert a test SIM</source>
        <translation>Insertar una SIM de prueba</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="88"/>
        <source>Pull the card</source>
        <translation>Retirar la tarjeta SIM</translation>
    </message>
    <message>
        <location filename="../qml/components/DemoPanel.qml" line="93"/>
        <source>Card terminal</source>
        <translation>Terminal de pago</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <location filename="../qml/components/ErrorScreen.qml" line="61"/>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="14"/>
        <source>Reference: %1</source>
        <translation>Referencia: %1</translation>
    </message>
</context>
<context>
    <name>IdleOverlay</name>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="50"/>
        <source>Need more time?</source>
        <translation>¿Necesita más tiempo?</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="67"/>
        <source>seconds until the kiosk starts over and forgets what you entered.</source>
        <translation>segundos para que el quiosco empiece de nuevo y borre lo que ingresó.</translation>
    </message>
    <message>
        <location filename="../qml/components/IdleOverlay.qml" line="76"/>
        <source>Yes, I need more time</source>
        <translation>Sí, necesito más tiempo</translation>
    </message>
</context>
<context>
    <name>InsertSimScreen</name>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="8"/>
        <source>Insert your SIM card</source>
        <translation>Inserte su tarjeta SIM</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="9"/>
        <source>Put the SIM card into the slot below the screen, gold contacts facing up.</source>
        <translation>Inserte la tarjeta SIM en la ranura debajo de la pantalla, con los contactos dorados hacia arriba.</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="19"/>
        <source>A SIM card is already in the slot. Please take it out, then insert yours.</source>
        <translation>Ya hay una tarjeta SIM en la ranura. Retírela y luego inserte la suya.</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="84"/>
        <source>Waiting for your card…</source>
        <translation>Esperando su tarjeta SIM…</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="94"/>
        <source>No SIM card or eSIM? Enter your phone number</source>
        <translation>¿No tiene tarjeta SIM o usa eSIM? Ingrese su número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/InsertSimScreen.qml" line="100"/>
        <source>Back</source>
        <translation>Regresar</translation>
    </message>
</context>
<context>
    <name>Keypad</name>
    <message>
        <location filename="../qml/components/Keypad.qml" line="41"/>
        <source>Clear</source>
        <translation>Borrar</translation>
    </message>
    <message>
        <location filename="../qml/components/Keypad.qml" line="55"/>
        <source>Delete last digit</source>
        <translation>Borrar el último dígito</translation>
    </message>
</context>
<context>
    <name>LanguageScreen</name>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="8"/>
        <source>Choose your language</source>
        <translation>Elija su idioma</translation>
    </message>
    <message>
        <location filename="../qml/screens/LanguageScreen.qml" line="47"/>
        <source>Back</source>
        <translation>Regresar</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="8"/>
        <source>Finding your account…</source>
        <translation>Buscando su cuenta…</translation>
    </message>
    <message>
        <location filename="../qml/screens/LookupScreen.qml" line="9"/>
        <source>This takes a few seconds.</source>
        <translation>Esto tarda unos segundos.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../qml/Main.qml" line="13"/>
        <source>SIM top-up kiosk</source>
        <translation>Quiosco de recargas</translation>
    </message>
</context>
<context>
    <name>NoReaderScreen</name>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="7"/>
        <source>The SIM card reader is not working</source>
        <translation>El lector de tarjetas SIM no funciona</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="8"/>
        <source>We can&apos;t read SIM cards right now, but you can still top up by typing your phone number.</source>
        <translation>Ahora no podemos leer tarjetas SIM, pero puede recargar ingresando su número de celular.</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="9"/>
        <source>The staff have been told about the reader.</source>
        <translation>Ya avisamos al personal sobre el lector.</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="11"/>
        <source>Type my phone number</source>
        <translation>Ingresar mi número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="12"/>
        <source>Try the reader again</source>
        <translation>Probar el lector otra vez</translation>
    </message>
    <message>
        <location filename="../qml/screens/NoReaderScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>OperatorScreen</name>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="10"/>
        <source>Operator</source>
        <translation>Operador</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="11"/>
        <source>Export the transaction log.</source>
        <translation>Exportar el registro de transacciones.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="39"/>
        <source>Dates (UTC days, both included)</source>
        <translation>Fechas (días UTC, ambos incluidos)</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="42"/>
        <source>From</source>
        <translation>Desde</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="47"/>
        <source>To</source>
        <translation>Hasta</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="55"/>
        <source>Today</source>
        <translation>Hoy</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="56"/>
        <source>Yesterday</source>
        <translation>Ayer</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="57"/>
        <source>Last 7 days</source>
        <translation>Últimos 7 días</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="58"/>
        <source>This month</source>
        <translation>Este mes</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="64"/>
        <source>Unmask: full phone numbers and ICCIDs</source>
        <translation>Mostrar completos los números de celular y los ICCID</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="76"/>
        <source>The file will contain personal data. Keep the stick safe.</source>
        <translation>El archivo contendrá datos personales. Guarde la memoria en un lugar seguro.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="77"/>
        <source>Phone numbers and ICCIDs are masked.</source>
        <translation>Los números de celular y los ICCID están ocultos en parte.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="86"/>
        <source>Save to</source>
        <translation>Guardar en</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="90"/>
        <source>No USB stick found. Plug one in and look again, or save to the kiosk&apos;s export folder.</source>
        <translation>No se encontró ninguna memoria USB. Conecte una y busque de nuevo, o guarde en la carpeta de exportación del quiosco.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="118"/>
        <source>USB stick %1</source>
        <translation>Memoria USB %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="119"/>
        <source>Kiosk export folder</source>
        <translation>Carpeta de exportación del quiosco</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="120"/>
        <source>%1 MiB free</source>
        <translation>%1 MiB libres</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="121"/>
        <source>read-only</source>
        <translation>solo lectura</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Looking…</source>
        <translation>Buscando…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="129"/>
        <source>Look for USB sticks again</source>
        <translation>Buscar memorias USB de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Exporting…</source>
        <translation>Exportando…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="182"/>
        <source>Export CSV</source>
        <translation>Exportar CSV</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="173"/>
        <source>Exported %1 transactions (%2 KiB, %3).</source>
        <translation>Se exportaron %1 transacciones (%2 KiB, %3).</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>masked</source>
        <translation>ocultos en parte</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="174"/>
        <source>unmasked</source>
        <translation>completos</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="176"/>
        <source>Export failed: check the stick is plugged in, not full and not write-protected.</source>
        <translation>La exportación falló: verifique que la memoria esté conectada, que no esté llena y que no esté protegida contra escritura.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="177"/>
        <source>Writing the file…</source>
        <translation>Escribiendo el archivo…</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="140"/>
        <source>Other operator tasks</source>
        <translation>Otras tareas del operador</translation>
    </message>
    <message>
        <location filename="../qml/screens/OperatorScreen.qml" line="189"/>
        <source>Exit to the customer screen</source>
        <translation>Salir a la pantalla del cliente</translation>
    </message>
</context>
<context>
    <name>OutOfServiceScreen</name>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="8"/>
        <source>This kiosk is out of service</source>
        <translation>Este quiosco está fuera de servicio</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="9"/>
        <source>A technician is needed. Please use another kiosk.</source>
        <translation>Se necesita un técnico. Por favor, use otro quiosco.</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="10"/>
        <source>If you paid, keep the reference below; our support team will sort it out: %1</source>
        <translation>Si pagó, guarde la referencia de abajo; nuestro equipo de ayuda lo resolverá: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/OutOfServiceScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>PayScreen</name>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="12"/>
        <source>Pay on the card terminal</source>
        <translation>Pague en la terminal de tarjetas</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="13"/>
        <source>The terminal is below the screen, on the right.</source>
        <translation>La terminal está debajo de la pantalla, a la derecha.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="77"/>
        <source>You can cancel the payment. You will not pay for a top-up you did not get.</source>
        <translation>Puede cancelar el pago. No pagará por una recarga que no recibió.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PayScreen.qml" line="146"/>
        <source>Cancel payment</source>
        <translation>Cancelar el pago</translation>
    </message>
</context>
<context>
    <name>PaymentCancelledScreen</name>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="9"/>
        <source>Payment cancelled</source>
        <translation>Pago cancelado</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="10"/>
        <source>The payment was cancelled. Nothing was charged.</source>
        <translation>El pago se canceló. No se le cobró nada.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="12"/>
        <source>Pay again</source>
        <translation>Pagar de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="13"/>
        <source>Change plan</source>
        <translation>Cambiar de plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentCancelledScreen.qml" line="14"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>PaymentDeclinedScreen</name>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="7"/>
        <source>Payment declined</source>
        <translation>Pago rechazado</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="8"/>
        <source>Your card was declined. Nothing was charged.</source>
        <translation>Su tarjeta fue rechazada. No se le cobró nada.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="9"/>
        <source>You can try again with another card, or ask your bank why.</source>
        <translation>Puede intentarlo con otra tarjeta o preguntar el motivo a su banco.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="11"/>
        <source>Try another card</source>
        <translation>Probar otra tarjeta</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="12"/>
        <source>Change plan</source>
        <translation>Cambiar de plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PaymentDeclinedScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>PhoneScreen</name>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="16"/>
        <source>Enter your phone number</source>
        <translation>Ingrese su número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="17"/>
        <source>The number of the phone you want to top up, area code first.</source>
        <translation>El número del celular que quiere recargar, empezando por el código de área.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="72"/>
        <source>Phone number</source>
        <translation>Número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="37"/>
        <source>Please check the number: a US number has 10 digits, area code first.</source>
        <translation>Revise el número: un número de EE. UU. tiene 10 dígitos, primero el código de área.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="102"/>
        <source>Continue</source>
        <translation>Continuar</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="108"/>
        <source>Back</source>
        <translation>Regresar</translation>
    </message>
    <message>
        <location filename="../qml/screens/PhoneScreen.qml" line="115"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>PinScreen</name>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="10"/>
        <source>Staff sign-in</source>
        <translation>Acceso del personal</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="11"/>
        <source>Enter your technician or operator PIN.</source>
        <translation>Ingrese su PIN de técnico o de operador.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="17"/>
        <source>Checking…</source>
        <translation>Verificando…</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="18"/>
        <source>Wrong PIN. Attempts left before the keypad locks: %1</source>
        <translation>PIN incorrecto. Intentos antes de que se bloquee el teclado: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="21"/>
        <source>Too many wrong PINs. Locked until a technician unlocks it.</source>
        <translation>Demasiados PIN incorrectos. Bloqueado hasta que un técnico lo desbloquee.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="24"/>
        <source>Too many wrong PINs. Locked: try again in %1.</source>
        <translation>Demasiados PIN incorrectos. Bloqueado: vuelva a intentarlo en %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="27"/>
        <source>A PIN has at least 4 digits.</source>
        <translation>Un PIN tiene al menos 4 dígitos.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="28"/>
        <source>No staff PIN is set up on this kiosk.</source>
        <translation>Este quiosco no tiene configurado ningún PIN del personal.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="29"/>
        <source>The PIN cannot be checked right now (ledger unavailable).</source>
        <translation>Ahora no se puede verificar el PIN (registro contable no disponible).</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="31"/>
        <source>The PIN cannot be checked right now (%1).</source>
        <translation>Ahora no se puede verificar el PIN (%1).</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="73"/>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="102"/>
        <source>Sign in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <location filename="../qml/screens/PinScreen.qml" line="108"/>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
</context>
<context>
    <name>PlansScreen</name>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="13"/>
        <location filename="../qml/screens/PlansScreen.qml" line="14"/>
        <source>Choose a plan</source>
        <translation>Elija un plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="35"/>
        <source>There are no plans for this carrier at this kiosk.</source>
        <translation>Este quiosco no tiene planes para esta compañía.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="94"/>
        <source>Your current plan</source>
        <translation>Su plan actual</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="136"/>
        <source>Choose</source>
        <translation>Elegir</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="145"/>
        <source>Days valid: %1</source>
        <translation>Días de vigencia: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="172"/>
        <source>Back</source>
        <translation>Regresar</translation>
    </message>
    <message>
        <location filename="../qml/screens/PlansScreen.qml" line="178"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>PrinterOutOfPaperScreen</name>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="12"/>
        <source>Done! Your phone is topped up.</source>
        <translation>¡Listo! Su celular está recargado.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="13"/>
        <source>Your plan now runs until %1.</source>
        <translation>Su plan ahora está vigente hasta el %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="15"/>
        <source>The receipt printer is out of paper. Scan the code to get your receipt on your phone.</source>
        <translation>La impresora de recibos no tiene papel. Escanee el código para ver su recibo en su celular.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="17"/>
        <source>Please take your SIM card.</source>
        <translation>Por favor, retire su tarjeta SIM.</translation>
    </message>
    <message>
        <location filename="../qml/screens/PrinterOutOfPaperScreen.qml" line="18"/>
        <source>Done</source>
        <translation>Listo</translation>
    </message>
</context>
<context>
    <name>ProcessingScreen</name>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="8"/>
        <source>Payment approved</source>
        <translation>Pago aprobado</translation>
    </message>
    <message>
        <location filename="../qml/screens/ProcessingScreen.qml" line="9"/>
        <source>Now topping up your phone. This usually takes a few seconds; please wait.</source>
        <translation>Estamos recargando su celular. Suele tardar unos segundos; por favor, espere.</translation>
    </message>
</context>
<context>
    <name>ReadingScreen</name>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="8"/>
        <source>Reading your SIM card…</source>
        <translation>Leyendo su tarjeta SIM…</translation>
    </message>
    <message>
        <location filename="../qml/screens/ReadingScreen.qml" line="9"/>
        <source>Please leave the card in the slot.</source>
        <translation>No retire la tarjeta SIM de la ranura.</translation>
    </message>
</context>
<context>
    <name>ScreenBase</name>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="159"/>
        <source>Back to the top</source>
        <translation>Volver arriba</translation>
    </message>
    <message>
        <location filename="../qml/components/ScreenBase.qml" line="160"/>
        <source>More below: swipe up or tap here</source>
        <translation>Hay más abajo: deslice hacia arriba o toque aquí</translation>
    </message>
</context>
<context>
    <name>Speech</name>
    <message>
        <location filename="../speech.py" line="47"/>
        <source>Audio guidance is on.</source>
        <translation>La guía por voz está activada.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="48"/>
        <source>For spoken instructions, press any key on the keypad, or touch and hold the top left corner of the screen.</source>
        <translation>Para recibir instrucciones habladas, presione cualquier tecla del teclado numérico, o mantenga presionada la esquina superior izquierda de la pantalla.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="52"/>
        <source>Options: %1.</source>
        <translation>Opciones: %1.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="53"/>
        <source>Please wait.</source>
        <translation>Espere, por favor.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="54"/>
        <source>%1 is selected: press Enter to choose it. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>%1 está seleccionado: presione Enter para elegirlo. Más y menos pasan a las otras opciones; la tecla del punto repite esta pantalla; asterisco y barra cambian el volumen.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="59"/>
        <source>%1 is selected: double-tap to choose it. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>%1 está seleccionado: toque dos veces para elegirlo. Deslice a la derecha o a la izquierda para pasar a las otras opciones; deslice hacia arriba o hacia abajo para volver a escuchar esta pantalla.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="64"/>
        <source>%1 is selected: press Enter to choose it.</source>
        <translation>%1 está seleccionado: presione Enter para elegirlo.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="65"/>
        <source>%1 is selected: double-tap to choose it.</source>
        <translation>%1 está seleccionado: toque dos veces para elegirlo.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1 is selected but not available yet. Plus and minus move to the other options; the dot key repeats this screen; star and slash change the volume.</source>
        <translation>%1 está seleccionado, pero aún no está disponible. Más y menos pasan a las otras opciones; la tecla del punto repite esta pantalla; asterisco y barra cambian el volumen.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>%1 is selected but not available yet. Swipe right or left to move to the other options; swipe up or down to hear this screen again.</source>
        <translation>%1 está seleccionado, pero aún no está disponible. Deslice a la derecha o a la izquierda para pasar a las otras opciones; deslice hacia arriba o hacia abajo para volver a escuchar esta pantalla.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="78"/>
        <source>%1 is selected but not available yet.</source>
        <translation>%1 está seleccionado, pero aún no está disponible.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="66"/>
        <source>%1, %2 of %3.</source>
        <translation>%1, %2 de %3.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="67"/>
        <source>%1: not available yet.</source>
        <translation>%1: todavía no está disponible.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="68"/>
        <source>%1: on</source>
        <translation>%1: activado</translation>
    </message>
    <message>
        <location filename="../speech.py" line="69"/>
        <source>%1: off</source>
        <translation>%1: desactivado</translation>
    </message>
    <message>
        <location filename="../speech.py" line="70"/>
        <source>Volume %1 percent.</source>
        <translation>Volumen al %1 por ciento.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="71"/>
        <source>%1 dollars</source>
        <translation>%1 dólares</translation>
    </message>
    <message>
        <location filename="../speech.py" line="72"/>
        <source>%1 dollars and %2 cents</source>
        <translation>%1 dólares con %2 centavos</translation>
    </message>
    <message>
        <location filename="../speech.py" line="73"/>
        <source>Number typed so far: %1.</source>
        <translation>Número ingresado hasta ahora: %1.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="74"/>
        <source>%1 digits typed.</source>
        <translation>%1 dígitos ingresados.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="75"/>
        <source>No digits typed yet. Type the number with the number keys.</source>
        <translation>Todavía no ha ingresado ningún dígito. Ingrese el número con las teclas numéricas.</translation>
    </message>
    <message>
        <location filename="../speech.py" line="76"/>
        <source>your current plan</source>
        <translation>su plan actual</translation>
    </message>
</context>
<context>
    <name>StaffActionCard</name>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="49"/>
        <source>Running…</source>
        <translation>En curso…</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="50"/>
        <source>OK</source>
        <translation>Correcto</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="51"/>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="52"/>
        <source>Not run yet</source>
        <translation>Aún no ejecutado</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run</source>
        <translation>Ejecutar</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffActionCard.qml" line="60"/>
        <source>Run again</source>
        <translation>Ejecutar de nuevo</translation>
    </message>
</context>
<context>
    <name>StaffTitles</name>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Start-up and configuration</source>
        <translation>Arranque y configuración</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="7"/>
        <source>Card reader status</source>
        <translation>Estado del lector de tarjetas</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="8"/>
        <source>Live SIM read test</source>
        <translation>Prueba de lectura de SIM en vivo</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="9"/>
        <source>Payment terminal status</source>
        <translation>Estado de la terminal de pago</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="10"/>
        <source>Payment terminal diagnosis</source>
        <translation>Diagnóstico de la terminal de pago</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="11"/>
        <source>Payment terminal end of day</source>
        <translation>Cierre del día de la terminal de pago</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="12"/>
        <source>Printer status</source>
        <translation>Estado de la impresora</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="13"/>
        <source>Printer test page</source>
        <translation>Página de prueba de la impresora</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="14"/>
        <source>Upstream reachability and unsynced events</source>
        <translation>Conexión con el servidor central y eventos sin sincronizar</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="15"/>
        <source>Ledger verify</source>
        <translation>Verificar el registro contable</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="16"/>
        <source>Transactions needing attention</source>
        <translation>Transacciones que requieren atención</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="17"/>
        <source>Last end of day (reconciliation)</source>
        <translation>Último cierre del día (conciliación)</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="18"/>
        <source>Disk space</source>
        <translation>Espacio en disco</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="19"/>
        <source>Audio guidance</source>
        <translation>Guía por voz</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="20"/>
        <source>Versions</source>
        <translation>Versiones</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="26"/>
        <source>Insert a SIM card into the reader now.</source>
        <translation>Inserte ahora una tarjeta SIM en el lector.</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="27"/>
        <source>Settling the day&apos;s payments: this can take a few minutes.</source>
        <translation>Liquidando los pagos del día: puede tardar unos minutos.</translation>
    </message>
    <message>
        <location filename="../qml/components/StaffTitles.qml" line="28"/>
        <source>Printing a test page…</source>
        <translation>Imprimiendo una página de prueba…</translation>
    </message>
</context>
<context>
    <name>StartupOverlay</name>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Out of service</source>
        <translation>Fuera de servicio</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="26"/>
        <source>Starting up…</source>
        <translation>Iniciando…</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="33"/>
        <source>This kiosk needs a technician. Please use another kiosk.</source>
        <translation>Este quiosco necesita un técnico. Use otro quiosco, por favor.</translation>
    </message>
    <message>
        <location filename="../qml/components/StartupOverlay.qml" line="34"/>
        <source>Checking that every earlier payment was completed.</source>
        <translation>Verificando que todos los pagos anteriores se completaron.</translation>
    </message>
</context>
<context>
    <name>SuccessScreen</name>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="14"/>
        <source>Done! Your phone is topped up.</source>
        <translation>¡Listo! Su celular está recargado.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="17"/>
        <source>Your plan now runs until %1.</source>
        <translation>Su plan ahora está vigente hasta el %1.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="20"/>
        <source>Please take your SIM card.</source>
        <translation>Por favor, retire su tarjeta SIM.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="19"/>
        <source>Your receipt is printing below the screen.</source>
        <translation>Su recibo se está imprimiendo debajo de la pantalla.</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="18"/>
        <source>Reference: %1</source>
        <translation>Referencia: %1</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="115"/>
        <source>Scan for your receipt</source>
        <translation>Escanee para ver su recibo</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="125"/>
        <source>Remind me 3 days before it ends</source>
        <translation>Recordarme 3 días antes del vencimiento</translation>
    </message>
    <message>
        <location filename="../qml/screens/SuccessScreen.qml" line="21"/>
        <source>Done</source>
        <translation>Listo</translation>
    </message>
</context>
<context>
    <name>TakeSimScreen</name>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="10"/>
        <source>Please take your SIM card</source>
        <translation>Por favor, retire su tarjeta SIM</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="11"/>
        <source>Take it out of the slot below the screen. Thank you!</source>
        <translation>Retírela de la ranura debajo de la pantalla. ¡Gracias!</translation>
    </message>
    <message>
        <location filename="../qml/screens/TakeSimScreen.qml" line="57"/>
        <source>Your SIM card is still in the slot.</source>
        <translation>Su tarjeta SIM sigue en la ranura.</translation>
    </message>
</context>
<context>
    <name>TechnicianScreen</name>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="9"/>
        <source>Technician</source>
        <translation>Técnico</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="10"/>
        <source>Run a check; each one says what to do next.</source>
        <translation>Ejecute una verificación; cada una indica qué hacer a continuación.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TechnicianScreen.qml" line="47"/>
        <source>Exit to the customer screen</source>
        <translation>Salir a la pantalla del cliente</translation>
    </message>
</context>
<context>
    <name>TerminalOfflineScreen</name>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="7"/>
        <source>The card terminal is not responding</source>
        <translation>La terminal de tarjetas no responde</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="8"/>
        <source>Nothing was charged.</source>
        <translation>No se le cobró nada.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="9"/>
        <source>Please try again in a moment. If it keeps happening, please use another kiosk.</source>
        <translation>Inténtelo de nuevo en un momento. Si sigue pasando, use otro quiosco.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="11"/>
        <source>Try again</source>
        <translation>Intentar de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/TerminalOfflineScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>TopBar</name>
    <message>
        <location filename="../qml/components/TopBar.qml" line="74"/>
        <source>Phone top-up</source>
        <translation>Recarga de celular</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="116"/>
        <source>Contrast</source>
        <translation>Contraste</translation>
    </message>
    <message>
        <location filename="../qml/components/TopBar.qml" line="123"/>
        <source>Large text</source>
        <translation>Letra grande</translation>
    </message>
</context>
<context>
    <name>TopupFailedScreen</name>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="7"/>
        <source>The top-up did not go through</source>
        <translation>La recarga no se realizó</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="8"/>
        <source>The carrier could not add the plan to this number. Your payment of %1 is being reversed: you will not be charged.</source>
        <translation>La compañía no pudo agregar el plan a este número. Le reembolsaremos su pago de %1: no se le cobrará.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="9"/>
        <source>Depending on your bank, the reversal can take a few days to show. Keep the reference below.</source>
        <translation>Según su banco, el reembolso puede tardar unos días en aparecer. Guarde la referencia de abajo.</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="11"/>
        <source>Choose another plan</source>
        <translation>Elegir otro plan</translation>
    </message>
    <message>
        <location filename="../qml/screens/TopupFailedScreen.qml" line="12"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>UnreadableSimScreen</name>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="7"/>
        <source>We couldn&apos;t read this SIM card</source>
        <translation>No pudimos leer esta tarjeta SIM</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="8"/>
        <source>The card may be upside down, dirty, or a kind of SIM we don&apos;t know.</source>
        <translation>Puede que la tarjeta SIM esté al revés, sucia o que sea de un tipo que no conocemos.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="9"/>
        <source>Take it out, check it and insert it again, or type your phone number instead.</source>
        <translation>Retírela, revísela e insértela de nuevo, o ingrese su número de celular.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="11"/>
        <source>Insert it again</source>
        <translation>Insertarla de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="12"/>
        <source>Type my phone number</source>
        <translation>Ingresar mi número de celular</translation>
    </message>
    <message>
        <location filename="../qml/screens/UnreadableSimScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>UpstreamOfflineScreen</name>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="8"/>
        <source>We can&apos;t reach the carriers right now</source>
        <translation>Ahora no podemos conectar con las compañías</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="9"/>
        <source>Top-ups need a network connection, which is down at the moment. Nothing was charged.</source>
        <translation>Las recargas necesitan conexión a la red, que ahora no funciona. No se le cobró nada.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="10"/>
        <source>Your SIM card and phone are fine. Please try again in a few minutes.</source>
        <translation>Su tarjeta SIM y su celular están bien. Inténtelo de nuevo en unos minutos.</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="12"/>
        <source>Try again</source>
        <translation>Intentar de nuevo</translation>
    </message>
    <message>
        <location filename="../qml/screens/UpstreamOfflineScreen.qml" line="13"/>
        <source>Start over</source>
        <translation>Empezar de nuevo</translation>
    </message>
</context>
<context>
    <name>ViewModel</name>
    <message>
        <location filename="../viewmodels.py" line="74"/>
        <source>ending in %1</source>
        <translation>terminado en %1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="149"/>
        <source>That number cannot be topped up: it is not a valid US number. Nothing was charged. Please type the number.</source>
        <extracomment>A catalogue id (&quot;tmo-unl-40&quot;) rather than a name: never shown to a customer.</extracomment>
        <translation>No se puede recargar ese número: no es un número válido de EE. UU. No se cobró nada. Ingrese el número.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="150"/>
        <source>The price of that plan has just changed. Nothing was charged. Please choose again.</source>
        <translation>El precio de ese plan acaba de cambiar. No se cobró nada. Elija de nuevo.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="151"/>
        <source>That plan is no longer on sale. Nothing was charged. Please choose another plan.</source>
        <translation>Ese plan ya no está a la venta. No se cobró nada. Elija otro plan.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="152"/>
        <source>That plan is not for this carrier. Nothing was charged. Please choose again.</source>
        <translation>Ese plan no es de esta compañía. No se cobró nada. Elija de nuevo.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="153"/>
        <source>That plan cannot be paid at this kiosk. Nothing was charged. Please choose another plan.</source>
        <translation>Ese plan no se puede pagar en este quiosco. No se cobró nada. Elija otro plan.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="218"/>
        <source>Renew %1 for %2</source>
        <translation>Renovar %1 por %2</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="245"/>
        <source>at least until %1</source>
        <translation>al menos hasta el %1</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="282"/>
        <source>Tap, insert or swipe your card</source>
        <translation>Acerque, inserte o deslice su tarjeta</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="284"/>
        <source>Insert your card</source>
        <translation>Inserte su tarjeta</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="286"/>
        <source>Enter your PIN on the terminal</source>
        <translation>Ingrese su PIN en la terminal</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="288"/>
        <source>Wrong PIN. Please try again.</source>
        <translation>PIN incorrecto. Inténtelo de nuevo.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="290"/>
        <source>Please wait…</source>
        <translation>Por favor, espere…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="292"/>
        <source>Processing your payment…</source>
        <translation>Procesando su pago…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="294"/>
        <source>Please take your card</source>
        <translation>Por favor, retire su tarjeta</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="296"/>
        <source>Payment approved</source>
        <translation>Pago aprobado</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="298"/>
        <source>Payment declined</source>
        <translation>Pago rechazado</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="300"/>
        <source>This card is not accepted. Please use another card.</source>
        <translation>No aceptamos esta tarjeta. Por favor, use otra.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="302"/>
        <source>The card could not be read. Please try again.</source>
        <translation>No se pudo leer la tarjeta. Inténtelo de nuevo.</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="304"/>
        <source>Please try again</source>
        <translation>Inténtelo de nuevo</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="305"/>
        <source>Follow the instructions on the terminal</source>
        <translation>Siga las instrucciones de la terminal</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="321"/>
        <source>Cancelling the payment…</source>
        <translation>Cancelando el pago…</translation>
    </message>
    <message>
        <location filename="../viewmodels.py" line="323"/>
        <source>The card terminal is not responding.</source>
        <translation>La terminal de tarjetas no responde.</translation>
    </message>
</context>
</TS>
