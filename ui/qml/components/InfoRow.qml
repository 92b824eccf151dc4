import QtQuick
import QtQuick.Layouts

// A fact: its label small above it, the value large (both wrap).
ColumnLayout {
    id: infoRow
    property string label
    property string value
    property real valueSize: 48
    Layout.fillWidth: true
    spacing: 4 * theme.unit
    KText { text: infoRow.label; size: 32; color: theme.subtle; Layout.fillWidth: true }
    KText { objectName: infoRow.objectName ? infoRow.objectName + "Value" : ""; text: infoRow.value; size: infoRow.valueSize; font.bold: true; Layout.fillWidth: true }
}
