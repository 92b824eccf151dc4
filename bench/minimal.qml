import QtQuick

// The baseline for bench_ui.py's cold-start ratio: the smallest Qt Quick window.
Window {
    width: 1080
    height: 1920
    visible: true
    Rectangle { anchors.fill: parent; color: "white" }
}
