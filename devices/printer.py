"""Receipt printers behind :class:`kiosk.ports.ReceiptPrinter`.

``escpos``: a thermal printer through python-escpos; ``[printer] port`` is a
serial device (``/dev/ttyUSB0``), ``usb:VID:PID`` (hex) or ``tcp://host[:port]``.
``file``: writes each receipt's ESC/POS bytes to a file (tests, demo mode);
a fault file next to them (``printer-fault`` containing ``out_of_paper`` or
``offline``) makes it fail like a real printer. ``none``: no printer; every
print reports ``PrinterOffline`` so the sale shows the QR code instead.

A printer fault is reported, never fatal: the checkout keeps the receipt in
the ledger and on screen (QR code) and diagnostics show the fault.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from kiosk.config import PrinterSection, check_printer, printer_target
from kiosk.errors import ConfigError, KioskError, PrinterOffline, PrinterOutOfPaper
from kiosk.ports import DeviceHealth, Receipt
from kiosk.receipt import render_escpos

log = logging.getLogger(__name__)
FAULT_FILE = "printer-fault"
#: The health check's connection attempt to a network printer (nothing is sent).
PROBE_TIMEOUT_S = 2.0


class _BasePrinter:
    """Public method here (render, fault translation); backends implement ``_write``."""

    name = "printer"

    def __init__(self) -> None:
        self.last_error: str | None = None
        self._closed = False

    def print_receipt(self, receipt: Receipt) -> None:
        data = render_escpos(receipt)
        try:
            self._write(data, receipt.txn_id)
        except (PrinterOutOfPaper, PrinterOffline) as exc:
            self.last_error = exc.code
            raise
        self.last_error = None

    def _write(self, data: bytes, txn_id: str) -> None:
        raise NotImplementedError

    def health(self) -> DeviceHealth:
        """The last print's outcome, and the device or path checked now (nothing printed):
        a printer unplugged since its last receipt is not reported healthy."""
        if self.last_error == PrinterOutOfPaper.code:
            return DeviceHealth(self.name, False, "out of paper", "load a new paper roll")
        try:
            self._check_present()
        except (ConfigError, PrinterOffline) as exc:
            return DeviceHealth(self.name, False, exc.message, self._absent_advice(exc), {"error": exc.code})
        if self.last_error is not None:
            return DeviceHealth(self.name, False, "offline", "check the printer's power and cable")
        return DeviceHealth(self.name, True, self.describe())

    def _check_present(self) -> None:
        """Raise (``ConfigError`` naming the key, or ``PrinterOffline``) when the device or
        path is not there or not writable; never prints. Runs on a worker lane."""

    def _absent_advice(self, exc: KioskError) -> str:
        return "check the printer's power and cable"

    def describe(self) -> str:
        return self.name

    def close(self) -> None:
        self._closed = True


class FilePrinter(_BasePrinter):
    """Writes ``<dir>/<txn_id>.escpos`` (or appends to ``[printer] path`` when it names a file)."""

    def __init__(self, settings: PrinterSection, data_dir: Path | None = None) -> None:
        """Touches nothing: the folder is checked (``check_printer``) and created when the
        kiosk starts or a receipt is written, so a bad ``[printer] path`` is one line naming
        the key, never a traceback while the services are being built."""
        super().__init__()
        self.settings = settings
        self.data_dir = Path(data_dir or ".")
        target, self.single_file = printer_target(settings, self.data_dir)
        self.dir = target.parent if self.single_file else target
        self.target = target

    def set_fault(self, fault: str | None) -> None:
        """Fault injection: ``"out_of_paper"``, ``"offline"`` or ``None``."""
        path = self.dir / FAULT_FILE
        self.dir.mkdir(parents=True, exist_ok=True)
        if fault is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(fault, encoding="utf-8")

    def _fault(self) -> str | None:
        try:
            return (self.dir / FAULT_FILE).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _write(self, data: bytes, txn_id: str) -> None:
        fault = self._fault()
        if fault == "out_of_paper":
            raise PrinterOutOfPaper("printer out of paper (simulated)")
        if fault is not None:
            raise PrinterOffline("printer offline (simulated)")
        path = self.target if self.single_file else self.dir / f"{txn_id}.escpos"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(path, "ab" if self.single_file else "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise PrinterOffline(f"cannot write receipt to {path}: {exc.strerror}") from exc

    def _check_present(self) -> None:
        check_printer(self.settings, self.data_dir)

    def _absent_advice(self, exc: KioskError) -> str:
        return "check [printer] path in the configuration"

    def describe(self) -> str:
        return f"file printer ({self.target})"


class NullPrinter(_BasePrinter):
    """No printer installed: receipts go to the screen (QR code) and the ledger only."""

    def __init__(self, settings: PrinterSection | None = None, data_dir: Path | None = None) -> None:
        super().__init__()

    def _write(self, data: bytes, txn_id: str) -> None:
        raise PrinterOffline("no receipt printer configured", code="no_printer")

    def health(self) -> DeviceHealth:
        return DeviceHealth(self.name, True, "no printer configured (e-receipt QR code only)")


class EscposPrinter(_BasePrinter):
    """A real thermal printer; connected per receipt so an unplugged printer heals itself."""

    def __init__(self, settings: PrinterSection, data_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.port = settings.port
        if not self.port:
            raise ConfigError("[printer] port is empty for backend escpos")

    def _connect(self) -> Any:
        from escpos import printer as ep

        port, timeout = self.port, self.settings.timeout_s
        if port.startswith("usb:"):
            try:
                _, vid, pid = port.split(":")
                return ep.Usb(int(vid, 16), int(pid, 16), timeout=int(timeout * 1000))
            except ValueError as exc:
                raise ConfigError(f"[printer] port {port!r}: expected usb:VID:PID in hex") from exc
        if port.startswith("tcp://"):
            host, _, tcp_port = port.removeprefix("tcp://").partition(":")
            return ep.Network(host, int(tcp_port or 9100), timeout=timeout)
        return ep.Serial(devfile=port, timeout=timeout)

    def _write(self, data: bytes, txn_id: str) -> None:
        try:
            dev = self._connect()
        except ConfigError:
            raise
        except Exception as exc:  # python-escpos raises many foreign types; translate at the edge
            raise PrinterOffline(f"printer at {self.port} unreachable: {exc}") from exc
        try:
            try:
                paper = dev.paper_status()
            except Exception as exc:  # status needs a bidirectional link; absence is not a fault
                log.debug("printer paper status unavailable: %s", exc)
                paper = 2
            if paper == 0:
                raise PrinterOutOfPaper("printer out of paper")
            dev._raw(data)
        except PrinterOutOfPaper:
            raise
        except Exception as exc:
            raise PrinterOffline(f"printing failed on {self.port}: {exc}") from exc
        finally:
            try:
                dev.close()
            except Exception as exc:
                log.debug("closing the printer failed: %s", exc)

    def _check_present(self) -> None:
        """A device node or USB device that is there and writable; a network printer that
        accepts a connection (closed again at once, nothing sent)."""
        check_printer(self.settings, Path("."))
        if self.port.startswith("tcp://"):
            host, _, tcp_port = self.port.removeprefix("tcp://").partition(":")
            try:
                # bounded well below the check's 5 s: the kiosk's health probe shares the checkout lane
                with socket.create_connection((host, int(tcp_port or 9100)),
                                              timeout=min(self.settings.timeout_s, PROBE_TIMEOUT_S)):
                    pass
            except ValueError as exc:
                raise ConfigError(f"[printer] port {self.port!r}: expected tcp://host[:port]") from exc
            except OSError as exc:
                raise PrinterOffline(f"printer at {self.port} unreachable: {exc.strerror or exc}") from exc

    def describe(self) -> str:
        return f"ESC/POS printer at {self.port}"
