import QtQuick
import QtQuick.Layouts

// "Label: value" on one line when it fits, the value under the label otherwise.
ColumnLayout {
    id: infoRow
    property string label
    property string value
    property real valueSize: 48
    Layout.fillWidth: true
    spacing: 4 * theme.unit
    KText { text: infoRow.label; size: 32; color: theme.subtle; Layout.fillWidth: true }
    KText { text: infoRow.value; size: infoRow.valueSize; font.bold: true; Layout.fillWidth: true }
}
