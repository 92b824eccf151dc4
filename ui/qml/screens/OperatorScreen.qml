import QtQuick
import QtQuick.Layouts
import "../components"

// Operator: export the transaction log (CSV) for a date range to a USB stick or the kiosk's
// export folder; phone numbers and ICCIDs are masked unless "unmask" is switched on.
ScreenBase {
    id: screen
    objectName: "operatorScreen"
    title: qsTr("Operator")
    subtitle: qsTr("Export the transaction log.")
    fill: true  // the list scrolls itself under title and subtitle
    list: listView

    StaffTitles { id: titles }
    readonly property var result: staff.exportResult

    Flickable {
        id: listView
        objectName: "staffList"
        anchors.fill: parent
        contentWidth: width
        contentHeight: column.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds

        GridLayout {
            id: column
            width: parent.width
            columns: screen.portrait ? 1 : 2
            rowSpacing: 24 * screen.u
            columnSpacing: 40 * screen.u

            ColumnLayout {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                spacing: 20 * screen.u

                KText { Layout.fillWidth: true; text: qsTr("Dates (UTC days, both included)"); size: 40; font.bold: true }
                DateStepper {
                    Layout.fillWidth: true
                    which: "from"; label: qsTr("From")
                    dateText: staff.fromLabel; atToday: staff.fromIsToday
                }
                DateStepper {
                    Layout.fillWidth: true
                    which: "to"; label: qsTr("To")
                    dateText: staff.toLabel; atToday: staff.toIsToday
                }
                GridLayout {
                    Layout.fillWidth: true
                    columns: 2
                    rowSpacing: 16 * screen.u
                    columnSpacing: 16 * screen.u
                    KButton { objectName: "presetTodayButton"; text: qsTr("Today"); kind: "secondary"; textSize: 34; onClicked: staff.presetRange("today") }
                    KButton { objectName: "presetYesterdayButton"; text: qsTr("Yesterday"); kind: "secondary"; textSize: 34; onClicked: staff.presetRange("yesterday") }
                    KButton { objectName: "presetWeekButton"; text: qsTr("Last 7 days"); kind: "secondary"; textSize: 34; onClicked: staff.presetRange("week") }
                    KButton { objectName: "presetMonthButton"; text: qsTr("This month"); kind: "secondary"; textSize: 34; onClicked: staff.presetRange("month") }
                }

                KButton {
                    objectName: "unmaskToggle"
                    // a box with or without a tick: the state is in the text, not only the colour
                    text: (staff.unmask ? "\u2611 " : "\u2610 ") + qsTr("Unmask: full phone numbers and ICCIDs")
                    kind: staff.unmask ? "primary" : "secondary"
                    textSize: 34
                    Accessible.role: Accessible.CheckBox
                    Accessible.checked: staff.unmask
                    onClicked: staff.toggleUnmask()
                }
                KText {
                    Layout.fillWidth: true
                    size: 32
                    color: staff.unmask ? theme.danger : theme.subtle
                    font.bold: staff.unmask
                    text: staff.unmask ? qsTr("The file will contain personal data. Keep the stick safe.")
                                       : qsTr("Phone numbers and ICCIDs are masked.")
                }
            }

            ColumnLayout {
                Layout.fillWidth: true
                Layout.alignment: Qt.AlignTop
                spacing: 20 * screen.u

                KText { Layout.fillWidth: true; text: qsTr("Save to"); size: 40; font.bold: true }
                KText {
                    Layout.fillWidth: true
                    visible: staff.targets.length <= 1 && !staff.scanning
                    text: qsTr("No USB stick found. Plug one in and look again, or save to the kiosk's export folder.")
                    size: 32
                    color: theme.subtle
                }
                Repeater {
                    model: staff.targets
                    Rectangle {
                        objectName: "target_" + index
                        Layout.fillWidth: true
                        implicitHeight: Math.max(140 * screen.u, targetText.implicitHeight + 40 * screen.u)
                        radius: 20 * screen.u
                        readonly property bool chosen: index === staff.targetIndex
                        color: chosen ? theme.accent : theme.surface
                        opacity: modelData.writable ? 1.0 : 0.5
                        border.width: (chosen ? 6 : 3) * screen.u
                        border.color: chosen ? theme.accent : theme.border
                        Accessible.role: Accessible.RadioButton
                        Accessible.name: targetText.text
                        Accessible.checked: chosen
                        KText {
                            id: targetText
                            anchors.fill: parent
                            anchors.margins: 20 * screen.u
                            verticalAlignment: Text.AlignVCenter
                            size: 34
                            font.bold: parent.chosen
                            color: parent.chosen ? theme.accentText : theme.text
                            text: (parent.chosen ? "\u2713 " : "")
                                  + (modelData.removable ? qsTr("USB stick %1").arg(modelData.label)
                                                         : qsTr("Kiosk export folder"))
                                  + (modelData.freeMiB >= 0 ? " · " + qsTr("%1 MiB free").arg(modelData.freeMiB) : "")
                                  + (modelData.writable ? "" : " · " + qsTr("read-only"))
                                  + "\n" + modelData.path
                        }
                        MouseArea { anchors.fill: parent; onClicked: staff.chooseTarget(index) }
                    }
                }
                KButton {
                    objectName: "rescanButton"
                    text: staff.scanning ? qsTr("Looking…") : qsTr("Look for USB sticks again")
                    kind: "secondary"
                    textSize: 34
                    enabled: !staff.scanning
                    onClicked: staff.refreshTargets()
                }
            }
            KText {
                Layout.fillWidth: true
                Layout.columnSpan: screen.portrait ? 1 : 2
                Layout.topMargin: 24 * screen.u
                text: qsTr("Other operator tasks")
                size: 40
                font.bold: true
            }
            Repeater {
                model: staff.actions
                StaffActionCard {
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                    name: modelData
                    title: titles.title(modelData)
                    hint: titles.hint(modelData)
                }
            }
        }
    }

    // The export itself, with its progress and result, always on screen (never below the fold).
    actions: [
        RowLayout {
            objectName: "exportStatus"
            Layout.fillWidth: true
            visible: screen.result.state !== "idle"
            spacing: 16 * screen.u
            Spinner { diameter: 60 * screen.u; visible: screen.result.state === "running" }
            KText {
                objectName: "exportResult"
                Layout.fillWidth: true
                size: 32
                font.bold: true
                // KText's wrap: the sentence breaks between words; only the file path (or the
                // error's detail), a "word" longer than the line, breaks inside itself
                color: screen.result.state === "fail" ? theme.danger : theme.text
                text: screen.result.state === "ok"
                      ? "\u2713 " + qsTr("Exported %1 transactions (%2 KiB, %3).").arg(screen.result.rows).arg(screen.result.kib)
                            .arg(screen.result.masked ? qsTr("masked") : qsTr("unmasked")) + "\n" + screen.result.path
                      : screen.result.state === "fail"
                      ? "! " + qsTr("Export failed: check the stick is plugged in, not full and not write-protected.") + "\n" + (screen.result.detail || screen.result.code)
                      : screen.result.state === "running" ? qsTr("Writing the file…") : ""
            }
        },
        KButton {
            objectName: "exportButton"
            text: screen.result.state === "running" ? qsTr("Exporting…") : qsTr("Export CSV")
            enabled: staff.targetIndex >= 0 && screen.result.state !== "running"
            onClicked: staff.exportNow()
        },
        KButton {
            objectName: "staffExitButton"
            kind: "secondary"
            text: qsTr("Exit to the customer screen")
            onClicked: staff.leave()
        }
    ]
}
