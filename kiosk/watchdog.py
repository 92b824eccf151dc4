"""systemd notifications (``sd_notify``) without a dependency.

The kiosk unit is ``Type=notify`` with ``WatchdogSec=``: the UI sends
``WATCHDOG=1`` from a timer on the GUI thread, so a frozen event loop stops the
heartbeats and systemd restarts the kiosk. Outside systemd (no
``NOTIFY_SOCKET``) every call is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC", "")
        self.watchdog_interval_s: float | None = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, state: str) -> bool:
        """Send one datagram; returns whether it was sent. Never raises."""
        if self._address is None:
            return False
        address = self._address
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.setblocking(False)  # called on the GUI thread: a full queue must not stall it
                sock.connect(address)
                sock.sendall(state.encode("utf-8"))
        except OSError as exc:
            if not self._failed:  # say it once, not every heartbeat
                log.error("sd_notify to %s failed: %s", self._address, exc)
                self._failed = True
            return False
        self._failed = False
        return True

    def ready(self, status: str = "attract screen shown") -> bool:
        return self.notify(f"READY=1\nSTATUS={status}")

    def heartbeat(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")
