"""The payment terminal (PT) side of ZVT on a real pseudo-terminal. See the package docstring."""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from . import codec
from .codec import Apdu, CodecError, Received
from .faults import ControlFile, Faults
from .journal import Journal, Record, batch_totals

# Commands (PA00P015 ch. 2 and 3).
REGISTRATION = b"\x06\x00"
AUTHORIZATION = b"\x06\x01"
LOG_OFF = b"\x06\x02"
COMPLETION = b"\x06\x0f"
ABORT_PT = b"\x06\x1e"
REPEAT_RECEIPT = b"\x06\x20"
REVERSAL = b"\x06\x30"
REFUND = b"\x06\x31"
END_OF_DAY = b"\x06\x50"
DIAGNOSIS = b"\x06\x70"
ABORT_ECR = b"\x06\xb0"
STATUS_ENQUIRY = b"\x05\x01"
ACK_APDU = b"\x80\x00\x00"

# Result codes (PA00P015 ch. 10 "Error-messages").
RC_OK = 0x00
RC_NOT_REGISTERED = 0x6B  # "function deactivated (PT not registered)"
RC_ABORT = 0x6C  # "abort via time-out or abort-key"
RC_WRONG_CURRENCY = 0x6F
RC_NOT_POSSIBLE = 0x83
RC_PROTOCOL_ERROR = 0x9A
RC_RECEIVER_NOT_READY = 0xA0
RC_ALREADY_REVERSED = 0xB4
RC_REVERSAL_NOT_POSSIBLE = 0xB5

# Intermediate status codes (PA00P015 ch. 10.2 "Intermediate status").
IS_WATCH_PIN_PAD = 0x01
IS_WAITING_FOR_HOST = 0x04
IS_INSERT_CARD = 0x0A
IS_PLEASE_WAIT = 0x0E

# Commands that book money and so need a registered ECR (PA00P015 ch. 2.1: registration sets the
# ECR's configuration; without it this terminal refuses payment functions).
NEEDS_REGISTRATION = {AUTHORIZATION, REVERSAL, REFUND, END_OF_DAY, REPEAT_RECEIPT}

UNKNOWN_APDU = "04 EE 02 12 34"  # class 04 with an instruction the spec does not define
UNDECODABLE_APDU = "04 0F 04 27 00 04 00"  # Status Information whose BMP 04 stops after 1 of 6 bytes

# ZVT card-type ids (PA00P015 ch. 11 "List of ZVT card-type IDs") and the BMP 60 slot they count in.
CARD_SLOTS = {0x05: 0, 0x0B: 1, 0x06: 2, 0x08: 3, 0x0A: 4, 0x0C: 5}  # girocard JCB Eurocard Amex Visa Diners


@dataclass
class PeerSettings:
    """What a terminal is configured with; every field can also be set from the control file."""

    password: str = "000000"
    currency: int = 840  # ISO 4217 numeric (USD)
    tid: str = "52000001"
    vu: str = "KIOSKPEER000001"  # 15 characters, BMP 2A
    sw_version: str = "ZVT-PEER 1.0"
    terminal_status: int = 0x00  # terminal status code reported to Status Enquiry (00 = ready)
    pan: str = "476173EEEEEE0119"  # masked PAN as the terminal reports it (BMP 22, E = masked digit)
    expiry: str = "2812"  # YYMM
    card_type: int = 0x0A  # ZVT card-type id: Visa
    card_name: str = "VISA"
    aid: str = "A0000003"  # 8 ASCII characters, BMP 3B
    require_registration: bool = True
    receipt_mode: str = "auto"  # auto | lines | block | both | none
    receipt_lines: int = 12  # lines of a payment receipt (a long one makes 06 D3 use the FF lo hi length)
    card_s: float = 0.05  # time spent at each step of a payment (the ECR may send 06 B0 meanwhile)
    pin_s: float = 0.05
    host_s: float = 0.05
    pace_s: float = 0.0  # minimum gap between two messages from the terminal
    ack_timeout_s: float = 5.0  # T3: wait for DLE ACK after sending a frame (PA00P016 ch. 3.2.6)
    tries: int = 3  # a frame is sent at most this often (PA00P016 ch. 3.2.3)
    answer_timeout_s: float = 5.0  # wait for the ECR's 80 00 / 84 xx to a terminal message
    byte_time_s: float = 0.0  # per-byte gap when writing (11 bits at 9600 Bd = 0.00115 s); 0 = fast

    def update(self, values: dict[str, Any]) -> PeerSettings:
        known = {f.name: f.type for f in fields(self)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
        return replace(self, **values)


class _Unwind(Exception):
    """Ends the current command: the terminal is idle, silent or gone, as arranged before raising."""


class _Aborted(Exception):
    """The ECR's 06 B0 was honoured."""


class _Stopped(Exception):
    """The peer is being stopped."""


@dataclass
class _Session:
    """Per-registration state (PA00P015 ch. 2.1)."""

    registered: bool = False
    config: int = 0x00
    ecr_currency: int | None = None
    permitted: set[bytes] = field(default_factory=set)  # TLV tag 26: commands the ECR accepts


class ZvtPeer:
    """A ZVT terminal on a pseudo-terminal whose slave side is reachable at ``link`` (a symlink).

    Use as a context manager (``with ZvtPeer(link, journal) as pt:``) or ``start()`` / ``stop()``.
    One daemon thread runs the terminal; ``stop()`` joins it and removes the link.
    """

    def __init__(
        self,
        link: str | os.PathLike[str],
        journal: str | os.PathLike[str],
        *,
        control: str | os.PathLike[str] | None = None,
        settings: PeerSettings | None = None,
    ) -> None:
        self.link = Path(link)
        self.journal = Journal(journal)
        self.settings = settings or PeerSettings()
        self.faults = Faults()
        self._control = ControlFile(control) if control else None
        self.session = _Session()
        # ("rx"|"tx", hex) of the latest frames and byte answers, for a test's failure message.
        self.wire: deque[tuple[str, str]] = deque(maxlen=2000)
        self.state = "stopped"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._reader = codec.FrameReader()
        self._pending: deque[Received | bytes] = deque()
        self._last_tx = 0.0
        self._abortable = False
        self._silent_until = 0.0
        self._silent_generation = 0
        self._reappear_at = 0.0
        self._control_checked = 0.0
        self._batch, self._receipt_no, self._trace_no = self._resume_counters()
        self._batch_lock = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ZvtPeer:
        if self._thread is not None:
            raise RuntimeError("peer already started")
        self._poll_control(force=True)
        self._open_pty()
        self.state = "idle"
        self._thread = threading.Thread(target=self._run, name=f"zvt-peer {self.link.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Idempotent: ends the thread, closes the pty and removes the link."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                raise RuntimeError("zvt peer thread did not stop within 10 s")
            self._thread = None
        self._close_pty()
        self.state = "stopped"

    def __enter__(self) -> ZvtPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_state(self, state: str, timeout: float = 5.0) -> bool:
        """True once the terminal is in ``state`` (idle, busy, silent, disconnected)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state == state:
                return True
            time.sleep(0.01)
        return self.state == state

    def records(self) -> list[Record]:
        return self.journal.records()

    # --- the pty -----------------------------------------------------------------------------

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no ^C on ETX, no CR/LF mapping: bytes pass as they are
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        tmp = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.link)  # the link never points nowhere while it is being replaced
        self._reader.clear()
        self._pending.clear()

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    def _write(self, data: bytes) -> None:
        if self._master is None:
            raise _Unwind("no line")
        chunks = [data[i : i + 1] for i in range(len(data))] if self.settings.byte_time_s else [data]
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                _, writable, _ = select.select([], [self._master], [], 1.0)
                if self._stop.is_set():
                    raise _Stopped
                if not writable:
                    continue
                try:
                    n = os.write(self._master, view)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    raise _Unwind(f"line lost: {exc}") from exc
                view = view[n:]
            if self.settings.byte_time_s:
                time.sleep(self.settings.byte_time_s)

    def _pump(self, timeout: float) -> None:
        """Read what the ECR sent within ``timeout`` into the frame reader."""
        self._poll_control()
        if self._stop.is_set():
            raise _Stopped
        if self._master is None:
            time.sleep(timeout)
            return
        readable, _, _ = select.select([self._master], [], [], max(0.0, min(timeout, 0.05)))
        if readable:
            try:
                data = os.read(self._master, 4096)
            except BlockingIOError:
                return
            except OSError:
                time.sleep(0.01)  # EIO while no ECR holds the slave open (only the peer's own fd)
                return
            self._reader.feed(data)
            self._pending.extend(self._reader.events())

    def _next_event(self, timeout: float) -> Received | bytes | None:
        deadline = time.monotonic() + timeout
        while True:
            if self._pending:
                return self._pending.popleft()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._pump(remaining)

    # --- control -----------------------------------------------------------------------------

    def _poll_control(self, force: bool = False) -> None:
        if self._control is None:
            return
        now = time.monotonic()
        if not force and now - self._control_checked < 0.1:
            return
        self._control_checked = now
        content = self._control.poll()
        if content is None:
            return
        try:
            settings = self.settings.update(content.get("settings", {}))
            self.faults.replace(content.get("faults", []))
        except (ValueError, TypeError) as exc:
            print(f"zvt_peer: control file {self._control.path} ignored: {exc}", file=sys.stderr)
            return
        self.settings = settings

    # --- transport (PA00P016 ch. 3) ---------------------------------------------------------

    def _receive_frame(self, timeout: float) -> bytes | None:
        """The next good frame from the ECR (not yet acknowledged); CRC errors are NAKed here."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._next_event(max(0.0, deadline - time.monotonic()))
            if event is None:
                return None
            if isinstance(event, bytes):
                self.wire.append(("rx", event.hex()))
                continue  # a stray ACK/NAK: nothing of ours is waiting for it
            self.wire.append(("rx", event.apdu.hex()))
            if not event.crc_ok:
                self._raw(codec.NAK_BYTES)
                continue
            if self.faults.take("nak"):
                self._raw(codec.NAK_BYTES)
                continue
            return event.apdu

    def _raw(self, data: bytes) -> None:
        self.wire.append(("tx", data.hex()))
        self._write(data)

    def _ack(self) -> None:
        self._raw(codec.ACK_BYTES)

    def _send(self, apdu: bytes) -> None:
        """Send one APDU and wait for DLE ACK; repeat on NAK or time-out; give up after ``tries``."""
        pace = self.faults.take("pace")
        gap = float(pace["seconds"]) if pace else self.settings.pace_s
        if gap:
            self._sleep(self._last_tx + gap - time.monotonic())
        for _ in range(self.settings.tries):
            junk = self.faults.take("junk")
            if junk:
                self._raw(bytes.fromhex(junk["data"]))
            corrupt = self.faults.take("crc_error") is not None
            self.wire.append(("tx", apdu.hex()))
            self._write(codec.frame(apdu, corrupt_crc=corrupt))
            self._last_tx = time.monotonic()
            deadline = time.monotonic() + self.settings.ack_timeout_s
            while True:
                event = self._next_event(max(0.0, deadline - time.monotonic()))
                if event is None:
                    break  # T3 expired: repeat
                if event == codec.ACK_BYTES:
                    self.wire.append(("rx", event.hex()))
                    return
                if event == codec.NAK_BYTES:
                    self.wire.append(("rx", event.hex()))
                    break
                # The ECR sent a frame instead of acknowledging ours: keep it for later.
                self._pending.appendleft(event)
                break
        raise _Unwind("the ECR did not acknowledge")

    def _sleep(self, seconds: float) -> None:
        """Wait without reading (the pacing of a slow terminal); still stops promptly."""
        if seconds > 0 and self._stop.wait(seconds):
            raise _Stopped

    # --- application protocol (PA00P016 ch. 4: master and slave) ----------------------------

    def _tell(self, cls: int, instr: int, data: bytes = b"", *, repeatable: bool = False) -> bytes:
        """As master, send a message and wait for the ECR's answer (80 00 or 84 xx).

        ``repeatable``: an answer 84 9C asks for the message again (PA00P015 ch. 3.1.1, Status
        Information). An ECR that never answers makes the terminal give up and go idle.
        """
        for _ in range(10):
            self._send(codec.encode_apdu(cls, instr, data))
            answer = self._await_answer()
            if repeatable and answer[:2] == b"\x84\x9c":
                self._sleep(0.2)
                continue
            return answer
        return answer

    def _await_answer(self) -> bytes:
        deadline = time.monotonic() + self.settings.answer_timeout_s
        while True:
            raw = self._receive_frame(max(0.0, deadline - time.monotonic()))
            if raw is None:
                raise _Unwind("the ECR did not answer")
            self._ack()
            if raw[:1] in (b"\x80", b"\x84"):
                return raw
            self._while_master(raw)

    def _while_master(self, raw: bytes) -> None:
        """A command from the ECR while the terminal is master: only 06 B0 is allowed then."""
        if raw[:2] == ABORT_ECR:
            self._abort_request()
        else:
            self._send(bytes([0x84, RC_RECEIVER_NOT_READY, 0x00]))

    def _abort_request(self) -> None:
        rule = self.faults.take("abort")
        mode = rule["mode"] if rule else "honour"
        if mode == "ignore":
            return
        if mode == "refuse" or not self._abortable:
            self._send(bytes([0x84, RC_NOT_POSSIBLE, 0x00]))
            return
        self._send(ACK_APDU)
        raise _Aborted

    def _wait_step(self, seconds: float) -> None:
        """Spend a step's time listening, as the ECR may abort meanwhile."""
        deadline = time.monotonic() + seconds
        while True:
            raw = self._receive_frame(max(0.0, deadline - time.monotonic()))
            if raw is None:
                return
            self._ack()
            if raw[:1] in (b"\x80", b"\x84"):
                continue  # a late answer
            self._while_master(raw)

    # --- faults at stages ---------------------------------------------------------------------

    def _stage(self, stage: str, command: bytes) -> None:
        cmd = command.hex()
        rule = self.faults.take("silence", stage=stage, command=cmd)
        if rule:
            self._go_silent(float(rule["seconds"]))
        rule = self.faults.take("disconnect", stage=stage, command=cmd)
        if rule:
            self._disconnect(float(rule["reappear_s"]))
        rule = self.faults.take("unknown_message", stage=stage, command=cmd)
        if rule:
            default = UNDECODABLE_APDU if rule["kind"] == "undecodable" else UNKNOWN_APDU
            self._send(bytes.fromhex(rule["apdu"] or default))
            with contextlib.suppress(_Unwind):
                self._await_answer()

    def _go_silent(self, seconds: float) -> None:
        self._silent_until = time.monotonic() + seconds
        self._silent_generation = self.faults.generation
        self.state = "silent"
        raise _Unwind("silent")

    def _disconnect(self, reappear_s: float) -> None:
        self._close_pty()
        self._reappear_at = time.monotonic() + reappear_s
        self.state = "disconnected"
        raise _Unwind("disconnected")

    # --- main loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        # _Unwind ends one command (the state it leaves was set before raising); _Stopped ends all.
        with contextlib.suppress(_Stopped):
            while not self._stop.is_set():
                with contextlib.suppress(_Unwind):
                    self._serve_once()

    def _serve_once(self) -> None:
        if self.state == "silent":
            self._pump(0.05)
            self._pending.clear()  # a hung terminal reads nothing
            if time.monotonic() >= self._silent_until or self.faults.generation != self._silent_generation:
                self._reader.clear()
                self.state = "idle"
            return
        if self.state == "disconnected":
            self._poll_control()
            if self._stop.wait(0.02):
                raise _Stopped
            if time.monotonic() >= self._reappear_at:
                self._open_pty()
                if self.faults.take("register_after_reconnect"):
                    self.session = _Session()
                self.state = "idle"
            return
        raw = self._receive_frame(0.1)
        if raw is None:
            return
        self.state = "busy"
        self._abortable = False
        try:
            self._command(raw)
        except _Aborted:
            pass
        finally:
            if self.state == "busy":
                self.state = "idle"

    def _command(self, raw: bytes) -> None:
        try:
            apdu = codec.decode_apdu(raw)
        except CodecError:
            self._ack()
            self._send(bytes([0x84, RC_PROTOCOL_ERROR, 0x00]))
            return
        cmd = apdu.command
        self._stage("before_ack", cmd)
        self._ack()
        if cmd[:1] in (b"\x80", b"\x84"):
            return  # an answer nobody waits for any more
        self._stage("after_ack", cmd)
        busy = self.faults.take("busy", command=cmd.hex())
        if busy:
            self._send(bytes([0x84, int(busy["code"]), 0x00]))
            return
        handler = self._handlers().get(cmd)
        if handler is None:
            self._send(bytes([0x84, RC_NOT_POSSIBLE, 0x00]))  # PA00P015 ch. 3.2: 84 83 not supported
            return
        if cmd in NEEDS_REGISTRATION and self.settings.require_registration and not self.session.registered:
            self._send(bytes([0x84, RC_NOT_REGISTERED, 0x00]))
            return
        try:
            handler(apdu)
        except CodecError:
            self._send(bytes([0x84, RC_PROTOCOL_ERROR, 0x00]))

    def _handlers(self) -> dict[bytes, Any]:
        return {
            REGISTRATION: self._registration,
            AUTHORIZATION: self._authorization,
            LOG_OFF: self._log_off,
            REPEAT_RECEIPT: self._repeat_receipt,
            REVERSAL: self._reversal,
            REFUND: self._refund,
            END_OF_DAY: self._end_of_day,
            DIAGNOSIS: self._diagnosis,
            ABORT_ECR: self._abort_idle,
            STATUS_ENQUIRY: self._status_enquiry,
        }

    # --- commands -------------------------------------------------------------------------------

    def _password_ok(self, data: bytes) -> bool:
        return len(data) >= 3 and data[:3].hex() == self.settings.password

    def _refuse(self, code: int) -> None:
        self._send(bytes([0x84, code, 0x00]))

    def _registration(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.1: <password> <config-byte> [<CC> [03 <service-byte>] [06 <TLV>]]."""
        data = apdu.data
        if len(data) < 4 or not self._password_ok(data):
            self._refuse(RC_NOT_POSSIBLE)
            return
        config, rest = data[3], data[4:]
        currency = None
        # The CC has no BMP number; it is present when two bytes follow that do not start a BMP 03
        # or 06 which parses to the end (ambiguous for currencies 03xx/06xx; see the docstring).
        if len(rest) >= 2 and not _parses_as_bmps(rest):
            currency, rest = codec.from_bcd(rest[:2]), rest[2:]
        bmps = codec.read_bmps(rest)
        if currency is not None and currency != self.settings.currency:
            self._refuse(RC_WRONG_CURRENCY)
            return
        permitted: set[bytes] = set()
        if 0x06 in bmps:
            for tag, value in codec.read_tlv_items(bmps[0x06]):
                if tag == 0x26:
                    permitted |= {v for t, v in codec.read_tlv_items(value) if t == 0x0A}
        self.session = _Session(True, config, currency, permitted)
        self._send(ACK_APDU)
        completion = bytes([0x19, self.settings.terminal_status]) + b"\x29" + codec.bcd(self.settings.tid, 4)
        if currency is not None:
            completion += b"\x49" + codec.bcd(self.settings.currency, 2)
        self._stage("before_completion", apdu.command)
        self._tell(0x06, 0x0F, completion)

    def _log_off(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.3: the terminal answers 80 00 and forgets the registration."""
        self.session = _Session()
        self._send(ACK_APDU)

    def _abort_idle(self, apdu: Apdu) -> None:
        """06 B0 while the ECR is master: nothing runs that could be aborted."""
        rule = self.faults.take("abort")
        answer = (rule or {}).get("idle_answer", "8000")
        if rule and rule["mode"] == "ignore":
            return
        self._send(bytes.fromhex(answer) + b"\x00")

    def _authorization(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.2: [04 amount] [49 CC] ...; card, PIN, host, 04 0F, receipt, 06 0F."""
        bmps = codec.read_bmps(apdu.data)
        if 0x04 not in bmps:
            self._refuse(RC_NOT_POSSIBLE)  # this terminal has no amount entry for the customer
            return
        if 0x49 in bmps and codec.from_bcd(bmps[0x49]) != self.settings.currency:
            self._refuse(RC_WRONG_CURRENCY)
            return
        amount = codec.from_bcd(bmps[0x04])
        self._card_transaction(apdu.command, "approval", amount)

    def _refund(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.13: <password> 04 <amount> [49 CC]."""
        if not self._password_ok(apdu.data):
            self._refuse(RC_NOT_POSSIBLE)
            return
        bmps = codec.read_bmps(apdu.data[3:])
        if 0x04 not in bmps:
            self._refuse(RC_NOT_POSSIBLE)
            return
        if 0x49 in bmps and codec.from_bcd(bmps[0x49]) != self.settings.currency:
            self._refuse(RC_WRONG_CURRENCY)
            return
        self._card_transaction(apdu.command, "refund", codec.from_bcd(bmps[0x04]))

    def _card_transaction(self, command: bytes, kind: str, amount: int) -> None:
        self._send(ACK_APDU)
        try:
            self._abortable = True
            self._step(command, "card", IS_INSERT_CARD, self.settings.card_s)
            self._step(command, "pin", IS_WATCH_PIN_PAD, self.settings.pin_s)
            self._step(command, "host", IS_WAITING_FOR_HOST, self.settings.host_s)
        except _Aborted:
            self._abortable = False
            self.journal.append("abort", batch=self._batch, command=command.hex(), result_code=RC_ABORT)
            self._tell(0x06, 0x1E, bytes([RC_ABORT]))
            return
        self._abortable = False
        decline = self.faults.take("decline", command=command.hex())
        if decline:
            self._decline(command, amount, int(decline["code"]), str(decline["layout"]))
            return
        record = self._book(kind, amount, result_code=RC_OK)
        self._stage("after_booking", command)
        self._tell(0x04, 0x0F, self._status_info(record), repeatable=True)
        self._finish(command, self._receipt_text(record))

    def _decline(self, command: bytes, amount: int, code: int, layout: str) -> None:
        record = self.journal.append(
            "decline",
            batch=self._batch,
            amount_cents=amount,
            currency=str(self.settings.currency),
            result_code=code,
            trace_no=self._next_trace(),
            command=command.hex(),
        )
        self._stage("after_booking", command)
        if layout != "abort_only":
            self._tell(0x04, 0x0F, self._status_info(record), repeatable=True)
        self._stage("after_status", command)
        self._tell(0x06, 0x1E, bytes([code]))

    def _step(self, command: bytes, stage: str, status: int, seconds: float) -> None:
        if self.session.config & 0x08:  # config bit 3: the ECR wants intermediate status (ch. 2.1)
            self._tell(0x04, 0xFF, bytes([status]))
        self._stage(stage, command)
        self._wait_step(seconds)

    def _finish(self, command: bytes, receipt: list[str], *, admin: bool = False) -> None:
        """After the result: receipt, Completion (PA00P015 ch. 2.2.7-2.2.9), with their faults."""
        self._stage("after_status", command)
        self._print(receipt, admin=admin)
        self._stage("before_completion", command)
        lost = self.faults.take("completion_lost", command=command.hex())
        if lost:
            if lost["then"] == "silent":
                self._go_silent(float(lost["seconds"]))
            return
        self._tell(0x06, 0x0F, b"")

    def _reversal(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.12: <password> [87 <receipt-no>]; only within the open batch."""
        if not self._password_ok(apdu.data):
            self._refuse(RC_NOT_POSSIBLE)
            return
        bmps = codec.read_bmps(apdu.data[3:])
        records = self.journal.records()
        approvals = [r for r in records if r["kind"] == "approval"]
        if 0x87 in bmps:
            wanted = codec.from_bcd(bmps[0x87])
            matches = [r for r in approvals if r["receipt_no"] == wanted]
            original = matches[-1] if matches else None
        else:
            current = [r for r in approvals if r["batch"] == self._batch]
            original = current[-1] if current else None  # no receipt number: the last payment
        self._send(ACK_APDU)
        if original is None or original["batch"] != self._batch:
            self._tell(0x06, 0x1E, bytes([RC_REVERSAL_NOT_POSSIBLE]))
            return
        if any(
            r["kind"] == "reversal" and r["reverses_receipt_no"] == original["receipt_no"] and r["batch"] == self._batch
            for r in records
        ):
            self._tell(0x06, 0x1E, bytes([RC_ALREADY_REVERSED]))
            return
        try:
            self._abortable = True
            self._step(apdu.command, "host", IS_WAITING_FOR_HOST, self.settings.host_s)
        except _Aborted:
            self._abortable = False
            self.journal.append("abort", batch=self._batch, command=apdu.command.hex(), result_code=RC_ABORT)
            self._tell(0x06, 0x1E, bytes([RC_ABORT]))
            return
        self._abortable = False
        record = self._book(
            "reversal",
            original["amount_cents"],
            result_code=RC_OK,
            reverses_receipt_no=original["receipt_no"],
            reverses_trace_no=original["trace_no"],
        )
        self._stage("after_booking", apdu.command)
        self._tell(0x04, 0x0F, self._status_info(record), repeatable=True)
        self._finish(apdu.command, self._receipt_text(record))

    def _end_of_day(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.16: <password>; totals in 04 0F (BMP 04 total, BMP 60 single totals)."""
        if not self._password_ok(apdu.data):
            self._refuse(RC_NOT_POSSIBLE)
            return
        self._send(ACK_APDU)
        self._step(apdu.command, "host", IS_WAITING_FOR_HOST, self.settings.host_s)
        with self._batch_lock:
            record = self._settle_batch()
        self._stage("after_booking", apdu.command)
        self._tell(0x04, 0x0F, self._status_info(record), repeatable=True)
        self._finish(apdu.command, self._receipt_text(record), admin=True)

    def close_batch(self) -> Record:
        """The terminal settles its day on its own, without an ECR command (auto end-of-day at a fixed
        hour, as many terminals are set up): the batch's totals are journaled and a new batch opens,
        so a reversal of an earlier payment answers B5 (use refund) from now on. Thread-safe enough
        for a test calling it while the terminal idles or runs a command."""
        with self._batch_lock:
            return self._settle_batch()

    def _settle_batch(self) -> Record:
        """Journal the open batch's end-of-day record and open the next batch."""
        records = self.journal.records()
        batch = [r for r in records if r.get("batch") == self._batch]
        totals = batch_totals(records, self._batch)
        receipts = [r["receipt_no"] for r in batch if "receipt_no" in r]
        slots = [[0, 0] for _ in range(7)]
        for r in batch:
            if r["kind"] == "approval" and not any(
                x["kind"] == "reversal" and x["reverses_receipt_no"] == r["receipt_no"] for x in batch
            ):
                slot = slots[CARD_SLOTS.get(r.get("card_type", -1), 6)]
                slot[0] += 1
                slot[1] += r["amount_cents"]
        record = self.journal.append(
            "end_of_day",
            batch=self._batch,
            trace_no=self._next_trace(),
            result_code=RC_OK,
            currency=str(self.settings.currency),
            total_cents=max(0, totals["net_cents"]),
            receipt_from=min(receipts) if receipts else 0,
            receipt_to=max(receipts) if receipts else 0,
            slots=slots,
            **totals,
        )
        self._batch += 1
        return record

    def _repeat_receipt(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.19: the last payment or end-of-day receipt again, with its 04 0F."""
        if self.faults.take("no_repeat_receipt"):
            self._refuse(RC_NOT_POSSIBLE)
            return
        if not self._password_ok(apdu.data):
            self._refuse(RC_NOT_POSSIBLE)
            return
        kinds = {"approval", "decline", "reversal", "refund", "end_of_day"}
        last = [r for r in self.journal.records() if r["kind"] in kinds]
        self._send(ACK_APDU)
        if not last:
            self._tell(0x06, 0x1E, bytes([RC_NOT_POSSIBLE]))
            return
        record = last[-1]
        self._tell(0x04, 0x0F, self._status_info(record), repeatable=True)
        self._finish(apdu.command, ["** COPY **", *self._receipt_text(record)], admin=record["kind"] == "end_of_day")

    def _diagnosis(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.17: intermediate status, receipt, Completion with status byte and TID."""
        self._send(ACK_APDU)
        self._step(apdu.command, "host", IS_PLEASE_WAIT, self.settings.host_s)
        self._stage("after_status", apdu.command)
        self._print(["DIAGNOSIS", f"TID {self.settings.tid}", "HOST CONNECTION OK"], admin=True)
        self._stage("before_completion", apdu.command)
        self._tell(0x06, 0x0F, bytes([0x19, self.settings.terminal_status]) + b"\x29" + codec.bcd(self.settings.tid, 4))

    def _status_enquiry(self, apdu: Apdu) -> None:
        """PA00P015 ch. 2.55: [<password> [03 <service-byte>] [06 <TLV>]]; three answer layouts."""
        self._send(ACK_APDU)
        rule = self.faults.take("status_layout")
        layout = rule["layout"] if rule else "completion_version"
        status = self.settings.terminal_status
        tid = codec.bcd(self.settings.tid, 4)
        self._stage("before_completion", apdu.command)
        if layout == "status_info":
            self._tell(0x04, 0x0F, bytes([0x27, RC_OK, 0x19, status, 0x29]) + tid, repeatable=True)
            self._tell(0x06, 0x0F, b"")
        elif layout == "tlv":
            device = (
                codec.tlv(0x1F40, b"ZVT PEER")
                + codec.tlv(0x1F41, self.settings.sw_version.encode("ascii"))
                + codec.tlv(0x1F43, bytes([status]))
            )
            self._tell(0x06, 0x0F, codec.tlv_container(codec.tlv(0x1F44, tid), codec.tlv(0xE4, device)))
        else:
            version = codec.lllvar(self.settings.sw_version.encode("ascii"))
            self._tell(0x06, 0x0F, version + bytes([status, 0x29]) + tid)

    # --- bookings and messages -----------------------------------------------------------------

    def _resume_counters(self) -> tuple[int, int, int]:
        records = self.journal.records()
        batch = 1 + sum(1 for r in records if r["kind"] == "end_of_day")
        receipt = max((r.get("receipt_no", 0) for r in records), default=0)
        trace = max((r.get("trace_no", 0) for r in records), default=0)
        return batch, receipt, trace

    def _next_trace(self) -> int:
        self._trace_no = self._trace_no % 999999 + 1
        return self._trace_no

    def _book(self, kind: str, amount: int, **extra: Any) -> Record:
        """Journal (fsync'd) before anything is told to the ECR."""
        self._receipt_no = self._receipt_no % 9999 + 1
        now = datetime.now()
        return self.journal.append(
            kind,
            batch=self._batch,
            amount_cents=amount,
            currency=str(self.settings.currency),
            receipt_no=self._receipt_no,
            trace_no=self._next_trace(),
            turnover_no=self._trace_no,
            card_type=self.settings.card_type,
            card_name=self.settings.card_name,
            pan_masked=self.settings.pan,
            time=now.strftime("%H%M%S"),
            date=now.strftime("%m%d"),
            **extra,
        )

    def _status_info(self, r: Record) -> bytes:
        """Status Information 04 0F (PA00P015 ch. 3.1.1) for one journal record."""
        now = datetime.now()
        out = bytes([0x27, r.get("result_code", RC_OK)])
        amount = r.get("total_cents", r.get("amount_cents"))
        if amount is not None:
            out += b"\x04" + codec.bcd(amount, 6)
        out += b"\x0b" + codec.bcd(r["trace_no"], 3)
        out += b"\x0c" + codec.bcd(r.get("time", now.strftime("%H%M%S")), 3)
        out += b"\x0d" + codec.bcd(r.get("date", now.strftime("%m%d")), 2)
        out += b"\x29" + codec.bcd(self.settings.tid, 4)
        out += b"\x49" + codec.bcd(self.settings.currency, 2)
        if r["kind"] == "end_of_day":
            single = codec.bcd(r["receipt_from"], 2) + codec.bcd(r["receipt_to"], 2)
            for count, cents in r["slots"]:
                single += bytes([min(count, 255)]) + codec.bcd(cents, 6)
            return out + b"\x60" + codec.lllvar(single)
        if r["kind"] == "decline":
            return out
        out += b"\x0e" + codec.bcd(self.settings.expiry, 2)
        out += b"\x22" + codec.llvar(codec.masked_pan(r["pan_masked"]))
        out += b"\x2a" + self.settings.vu.encode("ascii")[:15].ljust(15)
        out += b"\x3b" + self.settings.aid.encode("ascii")[:8].ljust(8, b"0")
        out += b"\x87" + codec.bcd(r["receipt_no"], 2)
        out += b"\x88" + codec.bcd(r["turnover_no"], 3)
        out += bytes([0x8A, r["card_type"]])
        out += b"\x8b" + codec.llvar(r["card_name"].encode("ascii"))
        return out

    def _receipt_text(self, r: Record) -> list[str]:
        title = {
            "approval": "PAYMENT",
            "reversal": "REVERSAL",
            "refund": "REFUND",
            "decline": "DECLINED",
            "end_of_day": "END OF DAY",
        }[r["kind"]]
        lines = [title, f"TID {self.settings.tid}  TRACE {r['trace_no']:06d}"]
        if r["kind"] == "end_of_day":
            lines += [f"BATCH {r['batch']}", f"COUNT {r['count']}", f"TOTAL {r['total_cents'] / 100:.2f}"]
        else:
            lines += [
                f"RECEIPT {r.get('receipt_no', 0):04d}",
                f"{r.get('card_name', '')} {r.get('pan_masked', '')}",
                f"AMOUNT {r['amount_cents'] / 100:.2f}",
                "APPROVED" if r["result_code"] == 0 else "DECLINED",
            ]
        while len(lines) < self.settings.receipt_lines:
            lines.append(f"LINE {len(lines) + 1:02d} " + "-" * 24)
        return lines

    def _print(self, lines: list[str], *, admin: bool = False) -> None:
        """Receipt to the ECR as 06 D1 lines and/or one 06 D3 text block (PA00P015 ch. 3.5, 3.6).

        ``auto``: 06 D3 when the registration's TLV tag 26 permits it, else 06 D1 when config bit 7
        (print via Print Line) is set together with bit 1 (payment) or bit 2 (administration).
        """
        mode = self.settings.receipt_mode
        cfg = self.session.config
        wanted = bool(cfg & (0x04 if admin else 0x02))
        if mode == "auto":
            if not wanted:
                return
            if b"\x06\xd3" in self.session.permitted:
                mode = "block"
            elif cfg & 0x80:
                mode = "lines"
            else:
                return
        if mode in ("lines", "both"):
            for i, line in enumerate(lines):
                attribute = 0x81 if i == len(lines) - 1 else 0x00  # 1xxx xxxx (not 80): last line
                self._tell(0x06, 0xD1, bytes([attribute]) + line.encode("ascii", "replace"))
        if mode in ("block", "both"):
            body = b"".join(codec.tlv(0x07, line.encode("ascii", "replace")) for line in lines)
            block = codec.tlv_container(
                codec.tlv(0x1F07, bytes([0x03 if admin else 0x02])),
                codec.tlv(0x25, body + codec.tlv(0x09, b"")),
            )
            self._tell(0x06, 0xD3, block)


def _parses_as_bmps(data: bytes) -> bool:
    if data[:1] not in (b"\x03", b"\x06"):
        return False
    try:
        codec.read_bmps(data)
    except CodecError:
        return False
    return True
