import QtQuick
import QtQuick.Layouts
import "../components"

// Technician diagnostics: every check runs in the background with its own progress and result.
ScreenBase {
    id: screen
    objectName: "technicianScreen"
    title: qsTr("Technician")
    subtitle: qsTr("Run a check; each one says what to do next.")
    fill: true  // the list scrolls itself under title and subtitle
    list: listView

    StaffTitles { id: titles }

    Flickable {
        id: listView
        objectName: "staffList"
        anchors.fill: parent
        contentWidth: width
        contentHeight: grid.implicitHeight
        clip: true
        boundsBehavior: Flickable.StopAtBounds

        GridLayout {
            id: grid
            width: parent.width
            columns: screen.portrait ? 1 : 2
            rowSpacing: 20 * screen.u
            columnSpacing: 20 * screen.u
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

    actions: [
        KButton {
            objectName: "staffExitButton"
            text: qsTr("Exit to the customer screen")
            onClicked: staff.leave()
        }
    ]
}
