"""bench_ui.py's cold-start baseline: the smallest Qt Quick window, nothing else imported.

Reports its first frame as a datagram on ``$NOTIFY_SOCKET``, as ``kiosk run`` does.
"""

import os
import socket
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine

app = QGuiApplication(sys.argv[:1])
engine = QQmlApplicationEngine()
engine.load(QUrl.fromLocalFile(str(Path(__file__).with_name("minimal.qml"))))
window = engine.rootObjects()[0]


def first_frame() -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"STATUS=first frame", os.environ["NOTIFY_SOCKET"])
    app.quit()


window.frameSwapped.connect(first_frame)  # type: ignore[attr-defined]
app.exec()
