import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()
    value = Signal(int)


def test_emit_keeps_bool_reference_counts():
    """PySide6 6.12.0 on Python 3.11 drops a reference to True/False on every emit and
    later aborts the interpreter; the pinned version must not."""
    probe = _Probe()
    before = sys.getrefcount(True) + sys.getrefcount(False)
    for _ in range(200):
        probe.ping.emit()
        probe.value.emit(1)
    after = sys.getrefcount(True) + sys.getrefcount(False)
    assert before - after < 10
