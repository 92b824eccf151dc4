import QtQuick
import QtQuick.Window
import "components"

// The kiosk window: top bar, the current screen, the idle overlay and (demo) the test panel.
Window {
    id: root
    objectName: "mainWindow"
    width: 1080
    height: 1920
    visible: false
    color: theme.background
    title: qsTr("SIM top-up kiosk")
    // session, staff and demo are null until the customer flow is built (see ui/app.py).
    readonly property bool staffActive: !!staff && staff.active

    Binding { target: theme; property: "unit"; value: Math.max(0.3, Math.min(root.width, root.height) / 1080) }

    TopBar {
        id: topBar
        anchors { top: parent.top; left: parent.left; right: parent.right }
        height: implicitHeight
    }

    Loader {
        id: screenLoader
        objectName: "screenLoader"
        anchors { top: topBar.bottom; left: parent.left; right: parent.right; bottom: parent.bottom }
        // Staff mode (PIN pad, technician, operator) replaces the customer's screen. Before
        // the flow is built (kiosk run: just after the first frame) it is the attract screen.
        source: "screens/" + (root.staffActive ? staff.screenFile
                                               : session ? session.screenFile : "AttractScreen.qml")
        // The first screen is built at once (the first frame shows it); later ones over
        // several frames, so a screen change never stalls the GUI thread for long.
        property bool started: false
        asynchronous: started
        onLoaded: started = true
        focus: true
    }

    // Created only when shown: nothing to build for the first frame.
    Loader {
        anchors.fill: parent
        z: 10
        active: !!session && session.idleWarning && !root.staffActive
        source: "components/IdleOverlay.qml"
    }

    // Audio guidance by touch (ui/audio.py): a tap says what is under the finger, a double
    // tap chooses the selected item, a swipe right / left moves, a swipe up / down repeats.
    MouseArea {
        id: audioTouch
        objectName: "audioTouch"
        anchors.fill: parent
        z: 12
        enabled: !!speech && speech.active && !root.staffActive
        property real sx: 0
        property real sy: 0
        property real tx: 0
        property real ty: 0
        onPressed: function(mouse) { sx = mouse.x; sy = mouse.y }
        onReleased: function(mouse) {
            var dx = mouse.x - sx, dy = mouse.y - sy, far = 80 * theme.unit
            if (Math.abs(dx) > far && Math.abs(dx) >= Math.abs(dy)) { tapTimer.stop(); speech.swipe(dx > 0 ? 1 : -1); return }
            if (Math.abs(dy) > far) { tapTimer.stop(); speech.touchRepeat(); return }
            if (tapTimer.running) { tapTimer.stop(); speech.touchActivate(); return }
            tx = mouse.x; ty = mouse.y
            tapTimer.start()
        }
        Timer { id: tapTimer; interval: 350; onTriggered: speech.touchAt(audioTouch.tx, audioTouch.ty) }
    }

    // While starting up the attract screen shows; a touch on it reveals "starting up"
    // rather than going unanswered.
    MouseArea {
        objectName: "startupTouch"
        anchors.fill: parent
        z: 14
        enabled: boot.state === "starting" && !boot.overlay && !root.staffActive
        onPressed: boot.reveal()
    }

    // Built only when revealed while starting up, or out of service: nothing to create for
    // the first frame.
    Loader {
        anchors.fill: parent
        z: 15
        active: boot.overlay && !root.staffActive
        source: "components/StartupOverlay.qml"
    }

    // The hidden technician gesture: five taps here within 3 s open the PIN pad.
    // Nothing is drawn; a single tap does nothing a customer could notice. A long press here
    // starts audio guidance (or, once on, reads the screen again): the corner a blind customer
    // finds by touch; the top bar marks it with a speaker when audio guidance is available.
    MouseArea {
        objectName: "staffCorner"
        pressAndHoldInterval: speech ? speech.holdMs : 2000
        onPressAndHold: if (speech) speech.cornerHeld()
        x: 0
        y: 0
        width: 150 * theme.unit
        height: 150 * theme.unit
        z: 30
        enabled: !!staff && !staff.active
        // every press counts (a fast second tap is a double-click, not a second click)
        onPressed: staff.cornerTap()
    }

    Loader {
        x: 24 * theme.unit
        y: root.height - height - 24 * theme.unit
        z: 20
        active: !!demo && demo.shown
        source: "components/DemoPanel.qml"
    }

    Shortcut {
        sequence: "F2"
        enabled: !!demo && demo.enabled
        onActivated: demo.toggle()
    }
}
