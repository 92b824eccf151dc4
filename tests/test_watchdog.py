import socket

from kiosk.watchdog import SystemdNotifier


def test_notifications_reach_the_socket(tmp_path):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        server.settimeout(5)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"})
        assert notifier.enabled and notifier.watchdog_interval_s == 15.0
        assert notifier.ready()
        assert server.recv(256) == b"READY=1\nSTATUS=attract screen shown"
        assert notifier.heartbeat()
        assert server.recv(256) == b"WATCHDOG=1"


def test_without_systemd_it_is_a_no_op():
    notifier = SystemdNotifier({})
    assert not notifier.enabled and notifier.watchdog_interval_s is None
    assert not notifier.heartbeat()


def test_a_vanished_socket_is_reported_not_raised(tmp_path, caplog):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert not notifier.heartbeat()
    assert not notifier.heartbeat()
    assert sum("sd_notify" in r.message for r in caplog.records) == 1


def test_a_socket_nobody_reads_never_blocks_the_caller(tmp_path, caplog):
    """Heartbeats are sent from the GUI thread: a full queue drops one, it does not stall."""
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": path})
        sent = [notifier.heartbeat() for _ in range(2000)]  # the queue holds far fewer
        assert sent[0] and not sent[-1]
        assert sum("sd_notify" in r.message for r in caplog.records) == 1
        server.recv(256)  # room again
        assert notifier.heartbeat()
