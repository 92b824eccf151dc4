"""Diagnostics shared by the technician screen and ``kiosk diag``.

Every check returns a :class:`kiosk.ports.DeviceHealth` whose ``advice`` says
what to do next, runs under its own deadline and never raises: a device that
is missing, busy or slow is a *result*, not an exception. A check runs on a
daemon thread of its own, so a driver stuck in a system call cannot hold the
caller past the deadline (the stuck call finishes, or not, in the background).

Two ways in:

* :class:`Diagnostics` — built from already-open adapters (the running kiosk's
  services); one method per technician action, plus :meth:`Diagnostics.run`
  by action name for a view model's worker thread.
* :func:`run_all` — builds the configured adapters itself, runs every
  non-invasive check in parallel and closes everything; backs ``kiosk diag``.

Nothing here imports Qt; heavy packages (SQLAlchemy, httpx, pyscard) are
imported inside the checks that need them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import logging
import platform
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.config import Settings
from kiosk.errors import (
    CardRemoved,
    ConfigError,
    KioskError,
    LedgerCorrupt,
    LedgerError,
    NoCard,
    NoReader,
    PrinterError,
    PrinterOffline,
    PrinterOutOfPaper,
    ReaderTimeout,
    ReaderUnplugged,
    TerminalUnavailable,
    UnreadableCard,
    UpstreamError,
)
from kiosk.ports import (
    CardReader,
    DeviceHealth,
    PaymentTerminal,
    Receipt,
    ReceiptPrinter,
    TerminalReport,
)

if TYPE_CHECKING:
    from kiosk.ledger import Ledger

log = logging.getLogger(__name__)

#: Ledger meta holding the highest seq the backend acknowledged (kiosk.sync.engine.ACKED_META).
ACKED_META = "sync.acked_through"
#: Disk: fail when this full, or when less than MIN_FREE_BYTES are left.
DISK_FULL_PERCENT = 95.0
MIN_FREE_BYTES = 200 * 1024 * 1024
#: Attention rows listed in a result's data (the count is always exact).
ATTENTION_LIST_MAX = 20

# Advice texts: stable, because the technician guide and the UI's translations use them.
ADVICE_READER_MISSING = "reader not found: check the USB cable"
ADVICE_PCSC_DOWN = "card reader service not running: restart pcscd (or reboot the kiosk)"
ADVICE_READER_UNPLUGGED = "reader unplugged: check the USB cable"
ADVICE_READER_STUCK = "reader not answering: unplug the reader, wait 5 s, plug it back in"
ADVICE_READER_FAULT = "reader error: unplug and replug the reader; if it persists, replace it"
ADVICE_NO_SIM = "no SIM in the reader: insert a SIM and retry"
ADVICE_SIM_REMOVED = "SIM removed during the test: push it fully in and retry"
ADVICE_SIM_UNREADABLE = "SIM unreadable: try another SIM; if every SIM fails, clean or replace the reader"
ADVICE_TERMINAL_MISSING = "terminal not found: check the serial cable and the terminal's power"
ADVICE_TERMINAL_BUSY = "terminal busy: retry in a minute"
ADVICE_TERMINAL_SILENT = "terminal not answering: check its power and cable, then restart it"
ADVICE_TERMINAL_FAULT = (
    "terminal reports a fault: read its display, run a diagnosis; call the payment provider if it persists"
)
ADVICE_END_OF_DAY_FAILED = "end of day failed: retry in a minute; if it fails again call the payment provider"
ADVICE_END_OF_DAY_MISMATCH = (
    "end of day differs from the ledger by {difference}: compare the terminal's end-of-day receipt with "
    "the ledger export, check the transactions listed, then tell support"
)
ADVICE_END_OF_DAY_OVERDUE = "no end of day since {since}: check the terminal, then run its end of day here"
ADVICE_PRINTER_PAPER = "printer out of paper: load a roll"
ADVICE_PRINTER_OFFLINE = "printer offline: check its power and cable, and that the cover is closed"
ADVICE_PRINTER_NONE = "no printer configured: receipts are shown as a QR code only ([printer] backend)"
ADVICE_PRINTER_CONFIG = "printer misconfigured: check [printer] port or path in the configuration"
ADVICE_STARTUP_FAILED = ("out of service until this is fixed: correct what the line above names, "
                         "then leave this screen (the kiosk starts again)")
ADVICE_CONFIG = "configuration problem: correct the setting the line above names, then restart the kiosk"
ADVICE_UPSTREAM_DOWN = "upstream unreachable: check the network cable; sales continue offline"
ADVICE_UPSTREAM_ERROR = "upstream server error: sales continue offline; tell support if it persists"
ADVICE_UPSTREAM_REFUSED = "upstream refuses the kiosk: check [upstream] url"
ADVICE_UPSTREAM_UNSET = "no upstream configured: set [upstream] url in the configuration"
ADVICE_SECRET = "upstream secret unreadable: reinstall the kiosk secret ([upstream] secret_file)"
ADVICE_LEDGER_CORRUPT = "ledger corrupt at seq {seq}: call support, do not power off"
ADVICE_LEDGER_UNREADABLE = "ledger unreadable: call support, do not power off"
#: A check that names no event failed (schema, counters, meta past the journal's end).
ADVICE_LEDGER_INCONSISTENT = "ledger inconsistent: call support, do not power off"
ADVICE_ATTENTION = ("{count} transaction(s) need attention: settle each with the payment provider "
                    "using its receipt number, then tell support")
ADVICE_UNFINISHED = "{count} unfinished transaction(s): run `kiosk recover` or restart the kiosk"
ADVICE_DISK = "disk {percent:.0f}% full: delete old backups and logs in {path}, or replace the disk"
ADVICE_DISK_ERROR = "data disk unreadable: call support, do not power off"
ADVICE_SOFTWARE = "software incomplete: reinstall the kiosk software"
ADVICE_TIMEOUT = "{what} did not answer within {seconds:g} s: retry in a minute; if it persists, restart it"
ADVICE_INTERNAL = "diagnostics failed unexpectedly: note the detail and call support"
ADVICE_SPEECH_SOFTWARE = ("audio guidance unavailable: reinstall the kiosk software "
                          "(PySide6-Addons, speech-dispatcher, espeak-ng)")
ADVICE_SPEECH_VOICE = "no voice for {lang}: install the Debian package espeak-ng-data"

#: Packages reported by the versions check; ``True`` = the kiosk cannot run without it.
VERSION_PACKAGES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("simkiosk", ("simkiosk",), False),  # run from a checkout, it may not be installed
    ("PySide6", ("PySide6-Essentials", "PySide6"), True),
    ("pyscard", ("pyscard",), True),
    ("pyserial", ("pyserial",), True),
    ("SQLAlchemy", ("SQLAlchemy",), True),
    ("alembic", ("alembic",), True),
    ("httpx", ("httpx",), True),
    ("python-escpos", ("python-escpos",), True),
    ("argon2-cffi", ("argon2-cffi",), True),
)


class AuditSink(Protocol):
    """Where attention and sync state come from; :class:`kiosk.ledger.Ledger` satisfies it."""

    def last_seq(self) -> int: ...

    def get_meta(self, name: str, default: str | None = None) -> str | None: ...

    def transactions(
        self, *, states: frozenset[str] | set[str] | None = None,
        since: str | None = None, until: str | None = None,
    ) -> Iterator[dict[str, Any]]: ...


# --------------------------------------------------------------------------- deadlines


@dataclass(frozen=True)
class CheckDeadlines:
    """Seconds each check may take before it is reported as not answering."""

    reader_status: float = 5.0
    sim_read: float = 15.0  # wait for a card + read it
    terminal_status: float = 30.0
    terminal_diagnosis: float = 120.0
    terminal_end_of_day: float = 300.0
    printer_status: float = 5.0
    printer_test: float = 30.0
    upstream: float = 15.0
    ledger_verify: float = 300.0
    attention: float = 30.0
    disk: float = 5.0
    startup: float = 10.0
    versions: float = 10.0
    speech: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckDeadlines:
        r, t, p, u = settings.reader, settings.terminal, settings.printer, settings.upstream
        return cls(
            reader_status=r.apdu_timeout_s + 3.0,
            sim_read=r.read_timeout_s + 10 * r.apdu_timeout_s,
            terminal_status=max(4 * t.ack_timeout_s, 10.0) + 10.0,
            terminal_diagnosis=4 * t.ack_timeout_s + min(t.master_timeout_s, 120.0),
            terminal_end_of_day=4 * t.ack_timeout_s + t.master_timeout_s + 60.0,
            printer_status=5.0,
            printer_test=p.timeout_s + 10.0,
            upstream=u.timeout_s + 2.0,
        )


def guarded(
    name: str,
    fn: Callable[[], DeviceHealth],
    timeout_s: float,
    *,
    classify: Callable[[KioskError], DeviceHealth] | None = None,
    what: str | None = None,
) -> DeviceHealth:
    """Run one check on a daemon thread; whatever happens, return a ``DeviceHealth``.

    ``classify`` turns the kiosk's typed errors into advice; anything else (a bug in
    a driver) is logged with its traceback and reported as an internal failure.
    """
    box: list[DeviceHealth] = []
    done = threading.Event()
    started = time.monotonic()

    def work() -> None:
        try:
            box.append(fn())
        except KioskError as exc:
            box.append(classify(exc) if classify else _generic(name, exc))
        except Exception as exc:  # a driver bug must not crash diagnostics; logged and reported
            log.exception("diagnostic check %s crashed", name)
            box.append(DeviceHealth(name, False, f"internal error: {exc.__class__.__name__}: {exc}",
                                    ADVICE_INTERNAL))
        finally:
            done.set()

    threading.Thread(target=work, name=f"diag-{name}", daemon=True).start()
    if not done.wait(timeout_s):
        log.warning("diagnostic check %s timed out after %.1f s", name, timeout_s)
        return DeviceHealth(name, False, f"no answer within {timeout_s:g} s",
                            ADVICE_TIMEOUT.format(what=what or name, seconds=timeout_s),
                            {"timeout_s": timeout_s})
    result = box[0]
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if result.name != name:
        result = dataclasses.replace(result, name=name)
    return dataclasses.replace(result, data={**result.data, "elapsed_ms": elapsed_ms})


def _generic(name: str, exc: KioskError) -> DeviceHealth:
    return DeviceHealth(name, False, exc.message, ADVICE_INTERNAL, {"error": exc.code})


# --------------------------------------------------------------------------- reader


def reader_advice(exc: KioskError) -> str:
    """The technician's next step for a reader error."""
    if isinstance(exc, NoReader):
        text = exc.message.lower()
        if "service" in text or "library" in text:
            return ADVICE_PCSC_DOWN
        return ADVICE_READER_MISSING
    if isinstance(exc, ReaderUnplugged):
        return ADVICE_READER_UNPLUGGED
    if isinstance(exc, NoCard):
        return ADVICE_NO_SIM
    if isinstance(exc, CardRemoved):
        return ADVICE_SIM_REMOVED
    if isinstance(exc, UnreadableCard):
        return ADVICE_SIM_UNREADABLE
    if isinstance(exc, ReaderTimeout):
        return ADVICE_READER_STUCK
    return ADVICE_READER_FAULT


def _reader_error(name: str) -> Callable[[KioskError], DeviceHealth]:
    def classify(exc: KioskError) -> DeviceHealth:
        return DeviceHealth(name, False, exc.message, reader_advice(exc), {"error": exc.code})

    return classify


def reader_status(reader: CardReader) -> DeviceHealth:
    """Which readers the kiosk sees (no card needed)."""
    names = reader.readers()
    if not names:
        return DeviceHealth("reader", False, "no card reader connected", ADVICE_READER_MISSING,
                            {"readers": []})
    adapter = reader.health()
    detail = adapter.detail if adapter.ok and adapter.detail else ", ".join(names)
    return DeviceHealth("reader", True, detail, "", {"readers": names})


def sim_read_test(reader: CardReader, wait_s: float, *, require_card: bool = True) -> DeviceHealth:
    """Read the SIM in the slot as a sale would (ICCID, carrier...); PII masked.

    ``require_card=False`` (``kiosk diag``): an empty slot is fine, the reader works.
    """
    from kiosk.privacy import mask_iccid, mask_msisdn

    try:
        card = reader.read(wait_s)
    except NoCard:
        if require_card:
            raise
        return DeviceHealth("sim", True, "no SIM in the reader (insert one to test reading)", "",
                            {"card_present": False})
    data: dict[str, object] = {
        "card_present": True, "reader": card.reader, "iccid": mask_iccid(card.iccid),
        "iccid_valid": card.iccid_valid, "carrier": card.carrier, "atr": card.atr,
        "msisdn": mask_msisdn(card.msisdn) if card.msisdn and card.msisdn != "protected" else card.msisdn,
    }
    carrier = card.carrier or "carrier unknown"
    if not card.iccid_valid:
        return DeviceHealth("sim", False, f"SIM read, but its ICCID check digit is wrong ({carrier})",
                            ADVICE_SIM_UNREADABLE, data)
    return DeviceHealth("sim", True, f"SIM read: {mask_iccid(card.iccid)} ({carrier})", "", data)


# --------------------------------------------------------------------------- terminal


def terminal_advice(exc: KioskError) -> str:
    """Busy (84 xx), absent (port) or silent: three different trips to the kiosk."""
    if getattr(exc, "nack_code", None) is not None or exc.code == "terminal_busy":  # 84 xx, or its lock
        return ADVICE_TERMINAL_BUSY
    text = exc.message.lower()
    if "busy" in text:
        return ADVICE_TERMINAL_BUSY
    if "port" in text and ("unavailable" in text or "not found" in text or "no such" in text):
        return ADVICE_TERMINAL_MISSING
    if isinstance(exc, TerminalUnavailable):
        return ADVICE_TERMINAL_SILENT
    return ADVICE_TERMINAL_FAULT


def _terminal_error(name: str) -> Callable[[KioskError], DeviceHealth]:
    def classify(exc: KioskError) -> DeviceHealth:
        data: dict[str, object] = {"error": exc.code}
        nack = getattr(exc, "nack_code", None)
        if isinstance(nack, int):
            data["nack_code"] = f"0x{nack:02X}"
        return DeviceHealth(name, False, exc.message, terminal_advice(exc), data)

    return classify


def _from_report(name: str, report: TerminalReport, fault_advice: str) -> DeviceHealth:
    data: dict[str, object] = {
        "result_code": report.result_code, "terminal_id": report.terminal_id,
        "lines": list(report.lines),
    }
    if report.totals_cents is not None:
        data["totals_cents"] = report.totals_cents
    detail = report.message
    if report.terminal_id:
        detail += f" (terminal {report.terminal_id})"
    caps = report.capabilities
    if caps is not None:
        data["repeat_receipt"] = caps.repeat_receipt
        data["preauth"] = caps.preauth
        if caps.software_version:
            data["software_version"] = caps.software_version
        detail += {None: "; repeat receipt: not probed yet", True: "; repeat receipt: yes",
                   False: "; repeat receipt: NO (payments in doubt settle from the terminal's "
                          "evidence and end of day)"}[caps.repeat_receipt]
    return DeviceHealth(name, report.ok, detail, "" if report.ok else fault_advice, data)


def terminal_status(terminal: PaymentTerminal) -> DeviceHealth:
    """ZVT status enquiry (05 01): is the terminal there and ready?"""
    return _from_report("terminal", terminal.status(), ADVICE_TERMINAL_FAULT)


def terminal_diagnosis(terminal: PaymentTerminal) -> DeviceHealth:
    """ZVT diagnosis (06 70): the terminal checks its own link to the payment host."""
    return _from_report("terminal_diagnosis", terminal.diagnose(), ADVICE_TERMINAL_FAULT)


def terminal_end_of_day(terminal: PaymentTerminal) -> DeviceHealth:
    """ZVT end of day (06 50) alone: closes the terminal's batch (see :meth:`Diagnostics.
    check_terminal_end_of_day` for the one the kiosk journals and reconciles)."""
    return _from_report("terminal_end_of_day", terminal.end_of_day(), ADVICE_END_OF_DAY_FAILED)


def _money(cents: object) -> str:
    return f"{cents / 100:.2f}" if isinstance(cents, int) else "?"


def end_of_day_check(ledger: Any, settings: Settings, now: dt.datetime) -> DeviceHealth:
    """The last end of day in the ledger: when, whether it matched the ledger (with the
    transactions that could explain a difference), and whether the scheduled one
    (``[terminal] end_of_day_at``) is overdue."""
    from kiosk.reconcile import end_of_day_due
    from kiosk.upkeep import last_end_of_day, local_now

    at = settings.terminal.end_of_day_at
    last, payload = last_end_of_day(ledger)
    schedule = f"scheduled daily at {at}" if at else "not scheduled ([terminal] end_of_day_at)"
    data: dict[str, object] = {"scheduled_at": at or None, "last_at": last.isoformat() if last else None}
    local = local_now(settings.kiosk.timezone, now)
    if last is None:
        return DeviceHealth("end_of_day", True, f"no end of day in the ledger yet; {schedule}", "", data)
    when = local_now(settings.kiosk.timezone, last)
    data.update({k: payload.get(k) for k in ("matches", "batch_no", "terminal_cents", "ledger_cents",
                                             "difference_cents", "suspects", "terminal_count", "ledger_count")})
    stamp = when.strftime("%Y-%m-%d %H:%M")
    if payload.get("matches") is False:
        summary = str(payload.get("summary") or "the terminal's total differs from the ledger")
        return DeviceHealth("end_of_day", False, f"last end of day {stamp}: {summary}",
                            ADVICE_END_OF_DAY_MISMATCH.format(difference=_money(payload.get("difference_cents"))),
                            data)
    if at and end_of_day_due(local - dt.timedelta(hours=2), at, when):
        return DeviceHealth("end_of_day", False, f"the end of day {schedule} has not run since {stamp}",
                            ADVICE_END_OF_DAY_OVERDUE.format(since=stamp), data)
    return DeviceHealth("end_of_day", True,
                        f"last end of day {stamp}: reconciled (batch {payload.get('batch_no') or '?'}, "
                        f"total {_money(payload.get('terminal_cents'))}); {schedule}", "", data)


# --------------------------------------------------------------------------- start-up


def startup_check(settings: Settings, data_dir: Path) -> DeviceHealth:
    """What the kiosk checks before it sells (:func:`kiosk.config.check_environment`): paths
    writable, the printer device there, the upstream secret readable. Prints nothing."""
    from kiosk.config import check_environment

    check_environment(settings, data_dir, devices=True)
    return DeviceHealth("startup", True, "configuration checked: paths writable, devices present")


def _startup_error(exc: KioskError) -> DeviceHealth:
    from kiosk.config import PRINTER_MISSING

    advice = ADVICE_PRINTER_OFFLINE if exc.code == PRINTER_MISSING else ADVICE_CONFIG
    if not isinstance(exc, ConfigError):
        advice = ADVICE_INTERNAL
    return DeviceHealth("startup", False, exc.message, advice, {"error": exc.code})


def startup_failure_health(code: str, message: str) -> DeviceHealth:
    """The running kiosk's own start-up failure (it shows "Out of service" meanwhile)."""
    return DeviceHealth("startup", False, message or code, ADVICE_STARTUP_FAILED, {"error": code})


# --------------------------------------------------------------------------- printer


def printer_advice(exc: KioskError) -> str:
    if isinstance(exc, PrinterOutOfPaper):
        return ADVICE_PRINTER_PAPER
    if exc.code == "no_printer":
        return ADVICE_PRINTER_NONE
    if isinstance(exc, ConfigError):
        return ADVICE_PRINTER_CONFIG
    if isinstance(exc, PrinterOffline | PrinterError):
        return ADVICE_PRINTER_OFFLINE
    return ADVICE_PRINTER_OFFLINE


def _printer_error(name: str) -> Callable[[KioskError], DeviceHealth]:
    def classify(exc: KioskError) -> DeviceHealth:
        return DeviceHealth(name, False, exc.message, printer_advice(exc), {"error": exc.code})

    return classify


def printer_status(printer: ReceiptPrinter) -> DeviceHealth:
    """The printer's last known state plus its device or path checked now, without printing
    (only the test page probes the paper and the link of most printers)."""
    h = printer.health()
    if h.ok:
        return DeviceHealth("printer", True, h.detail, "", dict(h.data))
    text = f"{h.detail} {h.advice}".lower()
    if h.data.get("error") == ConfigError.code:
        advice = ADVICE_PRINTER_CONFIG  # a path or permission to fix, not a cable
    else:
        advice = ADVICE_PRINTER_PAPER if "paper" in text else ADVICE_PRINTER_OFFLINE
    return DeviceHealth("printer", False, h.detail, advice, dict(h.data))


def test_receipt(settings: Settings, at: dt.datetime) -> Receipt:
    """A receipt that is obviously a test: no money, no customer data."""
    return Receipt(
        txn_id=f"TEST-{at:%Y%m%dT%H%M%S}", kiosk_id=settings.kiosk.id, location=settings.kiosk.location,
        at=at, carrier="TEST PAGE", plan_name="Printer test - not a sale", amount_cents=0,
        currency=settings.kiosk.currency, msisdn_masked="-", provider_confirmation="-",
        terminal_lines=("*** PRINTER TEST ***", "No payment was made."),
        support_contact=settings.kiosk.support_contact,
        url=settings.receipt.url_template.format(txn_id="TEST", kiosk_id=settings.kiosk.id),
    )


def printer_test_page(printer: ReceiptPrinter, settings: Settings,
                      clock: Callable[[], dt.datetime] | None = None) -> DeviceHealth:
    """Print a test receipt: the only real probe of paper and link for most printers."""
    at = (clock or _utcnow)()
    printer.print_receipt(test_receipt(settings, at))
    return DeviceHealth("printer_test", True, "test page printed: check it came out readable", "",
                        {"at": at.isoformat()})


# --------------------------------------------------------------------------- upstream


def unsynced_events(ledger: AuditSink) -> tuple[int, int]:
    """``(last_seq, unsynced)`` from the ledger head and the acknowledged seq."""
    last = ledger.last_seq()
    raw = ledger.get_meta(ACKED_META)
    try:
        acked = int(raw) if raw else 0
    except ValueError as exc:
        raise LedgerError(f"ledger meta {ACKED_META} is not a number: {raw!r}") from exc
    return last, max(last - acked, 0)


HttpGet = Callable[[str, float], int]  # (url, timeout_s) -> HTTP status; raises OSError/UpstreamError
#: () -> (acked_through, acked_hash) the backend holds for this kiosk; raises UpstreamError.
ChainPosition = Callable[[], tuple[int, str]]


def backend_chain_position(settings: Settings) -> tuple[int, str]:
    """Ask the backend (signed ``GET /v1/kiosks/{id}/chain``) how far it holds this kiosk's chain."""
    from kiosk.config import read_secret
    from kiosk.sync import UpstreamClient

    up = settings.upstream
    with UpstreamClient(up.url, settings.kiosk.id, read_secret(up.secret_file), timeout_s=up.timeout_s) as client:
        position = client.chain()
    return position.acked_through, position.acked_hash


def _chain_check(ledger: Any, chain: ChainPosition) -> tuple[bool, str, str, dict[str, object]]:
    """``(ok, detail, advice, data)`` of comparing the local chain with the backend's copy."""
    from kiosk.ledger import verify_upstream
    from kiosk.sync import SyncRejected

    try:
        acked, digest = chain()
    except SyncRejected as exc:
        return False, f"chain check refused: {exc.message}", ADVICE_UPSTREAM_REFUSED, {"error": exc.error}
    except (UpstreamError, OSError) as exc:
        return False, f"chain check failed: {exc}", ADVICE_UPSTREAM_DOWN, {"error": str(exc)}
    report = verify_upstream(ledger, acked, digest)
    data: dict[str, object] = {"acked_through": acked, "ok": report.ok}
    if report.ok:
        return True, f"chain matches the backend through seq {acked}", "", data
    seq = report.first_bad_seq
    return False, report.reason, _corrupt_advice(seq), {**data, "first_bad_seq": seq}


def _http_get(url: str, timeout_s: float) -> int:
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))) as client:
            return client.get(url, headers={"User-Agent": "simkiosk-diag/1"}).status_code
    except httpx.HTTPError as exc:
        raise UpstreamError(f"{exc.__class__.__name__}: {exc}", code="upstream_unavailable") from exc


def upstream_check(settings: Settings, ledger: AuditSink | None, *,
                   http_get: HttpGet | None = None, chain: ChainPosition | None = None) -> DeviceHealth:
    """Reachability of ``[upstream] url`` (GET /healthz), how many events wait to sync, and
    (``chain``) whether the backend's copy still matches the local chain at the last seq it
    acknowledged: a ledger replaced or recomputed after syncing is caught here."""
    from kiosk.config import read_secret

    data: dict[str, object] = {"url": settings.upstream.url}
    backlog = ""
    if ledger is not None:
        try:
            last, unsynced = unsynced_events(ledger)
            data.update(last_seq=last, unsynced=unsynced)
            backlog = f"; {unsynced} event(s) not yet synced"
        except LedgerError as exc:
            data["unsynced_error"] = exc.message
            backlog = "; unsynced count unknown (ledger unreadable)"
    url = settings.upstream.url
    if not url:
        if settings.provider.backend == "simulated":
            return DeviceHealth("upstream", True, "no upstream configured (demo, offline)" + backlog, "", data)
        return DeviceHealth("upstream", False, "no upstream configured" + backlog, ADVICE_UPSTREAM_UNSET, data)
    try:
        read_secret(settings.upstream.secret_file)
    except ConfigError as exc:
        return DeviceHealth("upstream", False, exc.message + backlog, ADVICE_SECRET, data)
    get = http_get or _http_get
    timeout = settings.upstream.timeout_s
    started = time.monotonic()
    try:
        status = get(url.rstrip("/") + "/healthz", timeout)
    except (UpstreamError, OSError) as exc:
        data["error"] = str(exc)
        return DeviceHealth("upstream", False, f"{url} unreachable: {exc}{backlog}", ADVICE_UPSTREAM_DOWN, data)
    data.update(http_status=status, latency_ms=round((time.monotonic() - started) * 1000))
    if status >= 500:
        return DeviceHealth("upstream", False, f"{url} answered HTTP {status}{backlog}", ADVICE_UPSTREAM_ERROR, data)
    if status >= 400:
        return DeviceHealth("upstream", False, f"{url} answered HTTP {status} (wrong url?){backlog}",
                            ADVICE_UPSTREAM_REFUSED, data)
    reachable = f"{url} reachable ({data['latency_ms']} ms)"
    if chain is not None and ledger is not None and hasattr(ledger, "hash_at"):
        ok, detail, advice, chain_data = _chain_check(ledger, chain)
        data["chain"] = chain_data
        if not ok:
            return DeviceHealth("upstream", False, f"{reachable}; {detail}{backlog}", advice, data)
        reachable += f"; {detail}"
    return DeviceHealth("upstream", True, f"{reachable}{backlog}", "", data)


# --------------------------------------------------------------------------- ledger


def ledger_verify(ledger: Ledger) -> DeviceHealth:
    """Walk the whole hash chain."""
    from kiosk.ledger import verify

    report = verify(ledger)
    data: dict[str, object] = dict(report.as_json())
    if report.ok:
        return DeviceHealth("ledger", True, f"intact: {report.events} events, last seq {report.last_seq}", "",
                            data)
    seq = report.first_bad_seq
    detail = f"corrupt at seq {seq}: {report.reason.removeprefix(f'seq {seq}: ')}" if seq is not None \
        else f"corrupt: {report.reason}"
    return DeviceHealth("ledger", False, detail, _corrupt_advice(seq), data)


def _corrupt_advice(seq: int | None) -> str:
    """The advice names the bad event when the check found one (never "seq None")."""
    return ADVICE_LEDGER_CORRUPT.format(seq=seq) if seq is not None else ADVICE_LEDGER_INCONSISTENT


def _ledger_error(name: str) -> Callable[[KioskError], DeviceHealth]:
    def classify(exc: KioskError) -> DeviceHealth:
        if isinstance(exc, LedgerCorrupt):
            return DeviceHealth(name, False, exc.message, _corrupt_advice(exc.seq),
                                {"error": exc.code, "first_bad_seq": exc.seq})
        if isinstance(exc, LedgerError):
            return DeviceHealth(name, False, exc.message, ADVICE_LEDGER_UNREADABLE, {"error": exc.code})
        return _generic(name, exc)

    return classify


def attention_check(ledger: AuditSink) -> DeviceHealth:
    """Transactions staff must settle by hand (``needs_attention``), and unfinished ones
    (stopped mid-way by a crash: recovery settles them)."""
    from kiosk.privacy import mask_msisdn
    from kiosk.saga import OPEN

    rows: list[dict[str, object]] = []
    count = 0
    for row in ledger.transactions(states={"needs_attention"}):
        count += 1
        if len(rows) < ATTENTION_LIST_MAX:
            rows.append({
                "txn_id": row.get("txn_id"), "created_at": row.get("created_at"),
                "updated_at": row.get("updated_at"), "amount_cents": row.get("amount_cents"),
                "currency": row.get("currency"), "terminal_receipt_no": row.get("terminal_receipt_no"),
                "topup_status": row.get("topup_status"), "msisdn": mask_msisdn(row.get("msisdn")),
            })
    unfinished = [str(row.get("txn_id")) for row in ledger.transactions(states={p.value for p in OPEN})]
    data: dict[str, object] = {"count": count, "transactions": rows, "unfinished": unfinished[:ATTENTION_LIST_MAX],
                               "unfinished_count": len(unfinished)}
    if count:
        first = rows[0]
        detail = (f"{count} transaction(s) need attention; oldest {first['txn_id']} "
                  f"({first['amount_cents']} {first['currency']}, receipt {first['terminal_receipt_no']})")
        if unfinished:
            detail += f"; {len(unfinished)} unfinished"
        return DeviceHealth("attention", False, detail, ADVICE_ATTENTION.format(count=count), data)
    if unfinished:
        return DeviceHealth("attention", False, f"{len(unfinished)} unfinished transaction(s), e.g. {unfinished[0]}",
                            ADVICE_UNFINISHED.format(count=len(unfinished)), data)
    return DeviceHealth("attention", True, "no transaction needs attention", "", data)


# --------------------------------------------------------------------------- disk and versions


DiskUsage = Callable[[Path], Any]  # shutil.disk_usage's shape: .total, .used, .free


def disk_check(path: Path, *, usage: DiskUsage | None = None,
               full_percent: float = DISK_FULL_PERCENT, min_free: int = MIN_FREE_BYTES) -> DeviceHealth:
    """Free space where the ledger and logs live."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent  # the data dir may not exist yet: measure the disk it will be on
    try:
        u = (usage or shutil.disk_usage)(probe)
    except OSError as exc:
        return DeviceHealth("disk", False, f"cannot read {path}: {exc.strerror or exc}", ADVICE_DISK_ERROR)
    percent = 100.0 * (u.total - u.free) / u.total if u.total else 100.0
    data: dict[str, object] = {"path": str(path), "free_bytes": u.free, "total_bytes": u.total,
                               "used_percent": round(percent, 1)}
    detail = f"{u.free // (1024 * 1024)} MiB free of {u.total // (1024 * 1024)} MiB ({percent:.0f}% used)"
    if percent >= full_percent or u.free < min_free:
        return DeviceHealth("disk", False, detail, ADVICE_DISK.format(percent=percent, path=path), data)
    return DeviceHealth("disk", True, detail, "", data)


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.partition("=")[2].strip().strip('"')
    except OSError as exc:
        log.debug("no /etc/os-release: %s", exc)
    return platform.platform()


def versions_check(*, version_of: Callable[[str], str] | None = None) -> DeviceHealth:
    """Software versions a support call asks for first."""
    lookup = version_of or importlib.metadata.version
    found: dict[str, object] = {"python": platform.python_version()}
    missing: list[str] = []
    for label, dists, required in VERSION_PACKAGES:
        found[label] = None
        for dist in dists:
            try:
                found[label] = lookup(dist)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
        if found[label] is None and required:
            missing.append(label)
    if found.get("simkiosk") is None:
        found["simkiosk"] = "checkout"  # run from a source tree, not installed
    qt = sys.modules.get("PySide6.QtCore")
    if qt is not None:
        found["Qt"] = str(qt.qVersion())
    found["os"] = _os_name()
    found["kernel"] = platform.release()
    summary = ", ".join(f"{k} {v}" for k, v in found.items() if k in ("simkiosk", "python", "PySide6"))
    if missing:
        return DeviceHealth("versions", False, f"missing: {', '.join(missing)}; {summary}", ADVICE_SOFTWARE, found)
    return DeviceHealth("versions", True, summary, "", found)


#: espeak-ng voices (``espeak-ng --voices``) the audio guidance uses for each kiosk language.
SPEECH_VOICES: Mapping[str, str] = {"en": "en-us", "zh_CN": "cmn", "es": "es-419"}
ESPEAK_MODULE = Path("/usr/lib/speech-dispatcher-modules/sd_espeak-ng")


def _pyside_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")  # the package's location only: no Qt module loads
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def speech_check(settings: Settings, *, pyside: Path | None = None, which: Callable[[str], str | None] = shutil.which,
                 espeak_module: Path = ESPEAK_MODULE, voices: Callable[[], str] | None = None) -> DeviceHealth:
    """Audio guidance (``[speech]``): Qt TextToSpeech and its engine plugin are installed, and
    for speech-dispatcher the daemon, its espeak-ng module and a voice for every kiosk
    language. Without them the kiosk works but says nothing (it falls back silently)."""
    sp = settings.speech
    data: dict[str, object] = {"engine": sp.engine, "rate": sp.rate, "volume": sp.volume,
                               "headphones": sp.headphones}
    if sp.engine == "none":
        return DeviceHealth("speech", True, "audio guidance off ([speech] engine = none)", "", data)
    qt = pyside if pyside is not None else _pyside_dir()
    missing: list[str] = []
    if qt is None or not any(qt.glob("QtTextToSpeech*.so")):
        missing.append("Qt TextToSpeech (PySide6-Addons)")
    elif not (qt / "Qt" / "plugins" / "texttospeech" / f"libqtexttospeech_{sp.engine}.so").exists():
        missing.append(f"the Qt {sp.engine} speech plugin")
    if sp.engine == "speechd":
        if which("speech-dispatcher") is None:
            missing.append("speech-dispatcher")
        if not espeak_module.exists():
            missing.append("speech-dispatcher-espeak-ng")
    if missing:
        return DeviceHealth("speech", False, "missing: " + ", ".join(missing), ADVICE_SPEECH_SOFTWARE, data)
    if sp.engine != "speechd":
        return DeviceHealth("speech", True, f"{sp.engine} engine (silent: for tests)", "", data)
    listing = voices() if voices is not None else _espeak_voices()
    names = {line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1}
    data["voices"] = {lang: v for lang, v in SPEECH_VOICES.items() if v in names}
    for lang in settings.kiosk.languages:
        wanted = SPEECH_VOICES.get(lang)
        if wanted and wanted not in names:
            return DeviceHealth("speech", False, f"espeak-ng has no {wanted} voice",
                                ADVICE_SPEECH_VOICE.format(lang=lang), data)
    said = ", ".join(f"{lang} {SPEECH_VOICES[lang]}" for lang in settings.kiosk.languages if lang in SPEECH_VOICES)
    return DeviceHealth("speech", True, f"speech-dispatcher with espeak-ng; voices {said}; rate {sp.rate:g}, "
                        f"volume {sp.volume:g}, {'headphones' if sp.headphones else 'speaker'}", "", data)


def _espeak_voices() -> str:
    import subprocess

    try:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=8, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KioskError(f"espeak-ng --voices failed: {exc}", code="speech_unavailable") from exc
    return out.stdout


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- the technician's actions


@dataclass(frozen=True)
class Action:
    """One button on the technician (or operator) screen."""

    name: str
    title: str
    roles: frozenset[str]
    invasive: bool = False  # prints paper, settles money: never part of run_all


TECHNICIAN = "technician"
OPERATOR = "operator"
_TECH = frozenset({TECHNICIAN})
_BOTH = frozenset({TECHNICIAN, OPERATOR})

ACTIONS: tuple[Action, ...] = (
    Action("startup", "Start-up and configuration", _TECH),
    Action("reader", "Card reader status", _TECH),
    Action("sim", "Live SIM read test", _TECH),
    Action("terminal", "Payment terminal status", _TECH),
    Action("terminal_diagnosis", "Payment terminal diagnosis", _TECH),
    Action("terminal_end_of_day", "Payment terminal end of day", _BOTH, invasive=True),
    Action("end_of_day", "Last end of day (reconciliation)", _BOTH),
    Action("printer", "Printer status", _TECH),
    Action("printer_test", "Printer test page", _TECH, invasive=True),
    Action("upstream", "Upstream reachability and unsynced events", _TECH),
    Action("ledger", "Ledger verify", _TECH),
    Action("attention", "Transactions needing attention", _BOTH),
    Action("disk", "Disk space", _TECH),
    Action("speech", "Audio guidance", _TECH),
    Action("versions", "Versions", _BOTH),
)
ACTIONS_BY_NAME: Mapping[str, Action] = {a.name: a for a in ACTIONS}
#: What ``kiosk diag`` runs: everything that neither prints nor touches money.
RUN_ALL_ORDER: tuple[str, ...] = (
    "startup", "reader", "sim", "terminal", "printer", "upstream", "ledger", "attention", "end_of_day", "disk",
    "versions", "speech",
)
#: Checks ``kiosk diag`` runs that are not buttons on the technician screen.
DIAG_ONLY: frozenset[str] = frozenset()


class Diagnostics:
    """The technician screen's backend: every method blocks (call it on a worker thread),
    honours its deadline and returns a ``DeviceHealth``; none raises.

    Any adapter may be ``None`` (not built, or failed to open): its checks then
    report the absence instead of running.
    """

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        *,
        ledger: Ledger | None = None,
        reader: CardReader | None = None,
        terminal: PaymentTerminal | None = None,
        printer: ReceiptPrinter | None = None,
        deadlines: CheckDeadlines | None = None,
        http_get: HttpGet | None = None,
        chain_position: ChainPosition | None = None,
        clock: Callable[[], dt.datetime] = _utcnow,
        unavailable: Mapping[str, str] | None = None,
        terminal_lock: Any | None = None,
        startup_failure: Callable[[], tuple[str, str] | None] | None = None,
    ) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self.ledger = ledger
        self.reader = reader
        self.terminal = terminal
        self.printer = printer
        self.deadlines = deadlines or CheckDeadlines.from_settings(settings)
        self._http_get = http_get
        # The real backend is asked for its chain position unless the network is faked: a test
        # that fakes reachability alone (http_get) gets no chain check unless it fakes that too.
        if chain_position is None and http_get is None:
            chain_position = lambda: backend_chain_position(settings)  # noqa: E731
        self._chain_position = chain_position
        self._clock = clock
        #: Why an adapter is missing, e.g. {"ledger": "cannot open ledger: ..."}.
        self.unavailable = dict(unavailable or {})
        #: :class:`kiosk.lease.TerminalLock`: every terminal check holds it, so it never
        #: talks to the terminal while a sale (of any process on this data directory) does.
        self.terminal_lock = terminal_lock
        #: The running kiosk's start-up failure ``(code, one line)``, or ``None`` when it
        #: started (``kiosk diag``: nothing recorded, the start-up checks run instead).
        self.startup_failure = startup_failure or (lambda: None)

    @classmethod
    def from_services(cls, services: Any, **kwargs: Any) -> Diagnostics:
        """From :class:`kiosk.app.Services` (the running kiosk's adapters, shared)."""
        ownership = getattr(services, "ownership", None)
        kwargs.setdefault("terminal_lock", ownership.terminal if ownership is not None else None)
        return cls(services.settings, services.data_dir, ledger=services.ledger, reader=services.reader,
                   terminal=services.terminal, printer=services.printer, **kwargs)

    # -------------------------------------------------------------- one action by name

    def actions(self, role: str | None = None) -> list[Action]:
        return [a for a in ACTIONS if role is None or role in a.roles]

    def run(self, action: str) -> DeviceHealth:
        """Run one action by its :data:`ACTIONS` name (the view model's single entry point)."""
        method: Callable[[], DeviceHealth] | None = getattr(self, f"check_{action}", None)
        if (action not in ACTIONS_BY_NAME and action not in DIAG_ONLY) or method is None:
            return DeviceHealth(action, False, f"unknown diagnostic {action!r}", ADVICE_INTERNAL)
        return method()

    def run_all(self, names: Iterable[str] = RUN_ALL_ORDER) -> list[DeviceHealth]:
        """Run the named checks in parallel; results in the order asked for."""
        order = list(names)
        results: dict[str, DeviceHealth] = {}
        lock = threading.Lock()

        def one(name: str) -> None:
            health = self.run(name)
            with lock:
                results[name] = health

        threads = [threading.Thread(target=one, args=(n,), name=f"diag-run-{n}", daemon=True) for n in order]
        for t in threads:
            t.start()
        for t in threads:
            t.join()  # each check returns by its own deadline
        return [results[n] for n in order]

    # -------------------------------------------------------------- checks

    def _absent(self, name: str, part: str, advice: str) -> DeviceHealth:
        why = self.unavailable.get(part, f"no {part} configured")
        return DeviceHealth(name, False, why, advice)

    def check_startup(self) -> DeviceHealth:
        failure = self.startup_failure()
        if failure is not None:
            return startup_failure_health(*failure)
        return guarded("startup", lambda: startup_check(self.settings, self.data_dir), self.deadlines.startup,
                       classify=_startup_error, what="the start-up check")

    def check_reader(self) -> DeviceHealth:
        if self.reader is None:
            return self._absent("reader", "reader", ADVICE_READER_MISSING)
        reader = self.reader
        return guarded("reader", lambda: reader_status(reader), self.deadlines.reader_status,
                       classify=_reader_error("reader"), what="the card reader")

    def check_sim(self, *, wait_s: float | None = None, require_card: bool = True) -> DeviceHealth:
        """Live read; ``wait_s`` defaults to ``[reader] read_timeout_s`` for a technician to insert one."""
        if self.reader is None:
            return self._absent("sim", "reader", ADVICE_READER_MISSING)
        reader = self.reader
        wait = self.settings.reader.read_timeout_s if wait_s is None else wait_s
        return guarded("sim", lambda: sim_read_test(reader, wait, require_card=require_card),
                       max(self.deadlines.sim_read, wait + 5.0), classify=_reader_error("sim"),
                       what="the card reader")

    def _terminal(self, name: str, fn: Callable[[PaymentTerminal], DeviceHealth], timeout: float) -> DeviceHealth:
        if self.terminal is None:
            return self._absent(name, "terminal", ADVICE_TERMINAL_MISSING)
        terminal, lock = self.terminal, self.terminal_lock
        wait_s = min(self.settings.terminal.lock_wait_s, max(timeout / 2, 0.0))

        def check() -> DeviceHealth:
            if lock is None:
                return fn(terminal)
            lock.acquire(wait_s)  # TerminalBusy: "terminal busy" with the holder's pid
            try:
                return fn(terminal)
            finally:
                lock.release()

        return guarded(name, check, timeout, classify=_terminal_error(name), what="the payment terminal")

    def check_terminal(self) -> DeviceHealth:
        return self._terminal("terminal", terminal_status, self.deadlines.terminal_status)

    def check_terminal_diagnosis(self) -> DeviceHealth:
        return self._terminal("terminal_diagnosis", terminal_diagnosis, self.deadlines.terminal_diagnosis)

    def check_terminal_end_of_day(self) -> DeviceHealth:
        """End of day: with a ledger, journaled and reconciled like the scheduled one (a
        batch closed without it would land in the next end of day's comparison)."""
        if self.ledger is None:
            return self._terminal("terminal_end_of_day", terminal_end_of_day, self.deadlines.terminal_end_of_day)
        ledger = self.ledger

        def closed(terminal: PaymentTerminal) -> DeviceHealth:
            from kiosk.txn import Deadlines
            from kiosk.upkeep import close_batch

            report, rec = close_batch(terminal, ledger, lock=None, wait_s=0.0,
                                      deadlines=Deadlines.from_settings(self.settings), clock=self._clock)
            health = _from_report("terminal_end_of_day", report, ADVICE_END_OF_DAY_FAILED)
            if rec is None:
                return health
            data = {**health.data, "reconciliation": rec.as_json()}
            if rec.matches:
                return dataclasses.replace(health, detail=f"{health.detail}; {rec.summary()}", data=data)
            return DeviceHealth("terminal_end_of_day", False, f"{health.detail}; {rec.summary()}",
                                ADVICE_END_OF_DAY_MISMATCH.format(difference=_money(rec.difference_cents)), data)

        return self._terminal("terminal_end_of_day", closed, self.deadlines.terminal_end_of_day)

    def check_end_of_day(self) -> DeviceHealth:
        if self.ledger is None:
            return self._absent("end_of_day", "ledger", ADVICE_LEDGER_UNREADABLE)
        ledger = self.ledger
        return guarded("end_of_day", lambda: end_of_day_check(ledger, self.settings, self._clock()),
                       self.deadlines.attention, classify=_ledger_error("end_of_day"), what="the ledger")

    def check_printer(self) -> DeviceHealth:
        if self.printer is None:
            return self._absent("printer", "printer", ADVICE_PRINTER_OFFLINE)
        printer = self.printer
        return guarded("printer", lambda: printer_status(printer), self.deadlines.printer_status,
                       classify=_printer_error("printer"), what="the printer")

    def check_printer_test(self) -> DeviceHealth:
        if self.printer is None:
            return self._absent("printer_test", "printer", ADVICE_PRINTER_OFFLINE)
        printer = self.printer
        return guarded("printer_test", lambda: printer_test_page(printer, self.settings, self._clock),
                       self.deadlines.printer_test, classify=_printer_error("printer_test"), what="the printer")

    def check_upstream(self) -> DeviceHealth:
        ledger = self.ledger
        return guarded("upstream", lambda: upstream_check(self.settings, ledger, http_get=self._http_get,
                                                          chain=self._chain_position),
                       self.deadlines.upstream * 2, what="the upstream server")

    def check_ledger(self) -> DeviceHealth:
        if self.ledger is None:
            return self._absent("ledger", "ledger", ADVICE_LEDGER_UNREADABLE)
        ledger = self.ledger
        return guarded("ledger", lambda: ledger_verify(ledger), self.deadlines.ledger_verify,
                       classify=_ledger_error("ledger"), what="the ledger")

    def check_attention(self) -> DeviceHealth:
        if self.ledger is None:
            return self._absent("attention", "ledger", ADVICE_LEDGER_UNREADABLE)
        ledger = self.ledger
        return guarded("attention", lambda: attention_check(ledger), self.deadlines.attention,
                       classify=_ledger_error("attention"), what="the ledger")

    def check_disk(self) -> DeviceHealth:
        return guarded("disk", lambda: disk_check(self.data_dir), self.deadlines.disk, what="the disk")

    def check_versions(self) -> DeviceHealth:
        return guarded("versions", versions_check, self.deadlines.versions, what="the version check")

    def check_speech(self) -> DeviceHealth:
        return guarded("speech", lambda: speech_check(self.settings), self.deadlines.speech,
                       classify=lambda exc: DeviceHealth("speech", False, exc.message, ADVICE_SPEECH_SOFTWARE),
                       what="the speech check")


# --------------------------------------------------------------------------- kiosk diag


def run_all(
    settings: Settings,
    data_dir: Path,
    *,
    names: Iterable[str] = RUN_ALL_ORDER,
    sim_wait_s: float = 0.5,
    deadlines: CheckDeadlines | None = None,
    http_get: HttpGet | None = None,
) -> list[DeviceHealth]:
    """``kiosk diag``: open what the configuration names, run the non-invasive checks, close.

    Recovery is not run and nothing is printed or settled. An adapter that cannot
    even be built (bad configuration, missing driver) is reported by its check. The
    caller holds the terminal lock around it (``kiosk/cli/diag.py``).
    """
    from kiosk import app

    opened: list[Any] = []
    unavailable: dict[str, str] = {}

    def build(part: str, make: Callable[[], Any]) -> Any:
        try:
            obj = make()
        except KioskError as exc:
            unavailable[part] = exc.message
            return None
        opened.append(obj)
        return obj

    ledger = build("ledger", lambda: _open_ledger(settings, data_dir))
    reader = build("reader", lambda: app.make_reader(settings))
    terminal = build("terminal", lambda: app.make_terminal(settings, data_dir))
    printer = build("printer", lambda: app.make_printer(settings, data_dir))
    diag = Diagnostics(settings, data_dir, ledger=ledger, reader=reader, terminal=terminal, printer=printer,
                       deadlines=deadlines, http_get=http_get, unavailable=unavailable)
    try:
        wanted = list(names)
        results = {h.name: h for h in diag.run_all([n for n in wanted if n != "sim"])}
        if "sim" in wanted:  # after the reader check: one PC/SC user at a time is kinder to pcscd
            results["sim"] = diag.check_sim(wait_s=sim_wait_s, require_card=False)
        return [results[n] for n in wanted]
    finally:
        for obj in reversed(opened):
            try:
                obj.close()
            except (KioskError, OSError) as exc:
                log.warning("closing %s after diagnostics failed: %s", type(obj).__name__, exc)


def _open_ledger(settings: Settings, data_dir: Path) -> Ledger:
    from kiosk.ledger import Ledger

    return Ledger.open(settings.ledger.url, data_dir)


def report(results: list[DeviceHealth]) -> dict[str, Any]:
    """The ``kiosk diag --json`` object: ``ok`` plus one entry per check."""
    return {"ok": all(h.ok for h in results), "checks": [dataclasses.asdict(h) for h in results]}


def report_text(results: list[DeviceHealth]) -> str:
    """Plain text for a technician's terminal: one line per check, advice below a failure."""
    lines = []
    for h in results:
        lines.append(f"{'OK  ' if h.ok else 'FAIL'} {h.name:<20} {h.detail}")
        if not h.ok and h.advice:
            lines.append(f"     -> {h.advice}")
    return "\n".join(lines)


def heartbeat_devices(results: Iterable[DeviceHealth]) -> dict[str, Any]:
    """For ``kiosk.sync`` heartbeats (``status_provider``): ``{"devices": {name: {...}}}``."""
    return {"devices": {h.name: {"ok": h.ok, "detail": h.detail, "advice": h.advice} for h in results}}
