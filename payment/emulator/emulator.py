"""A ZVT payment terminal (the PT side) on a real pseudo-terminal pair.

The kiosk opens the pty's slave (or a symlink to it) exactly like a USB-serial
port; the emulator answers on the master with the same codecs and transport as
the driver, plus fault injection. It runs as a thread in tests
(:class:`ZvtEmulator` is a context manager) and as a process
(``python -m payment.emulator --link PATH``).

Faults (all in :class:`EmulatorConfig`, changeable while running with
:meth:`ZvtEmulator.update` or the ``--control`` file):

* ``decline`` / ``decline_code``: the issuer declines (04 0F with the code, then 06 1E)
* ``busy`` / ``busy_code``: every command is refused with 84 <code>; ``busy_count``:
  only the next N commands are (a terminal finishing something else)
* ``repeat_receipt=False``: Repeat Receipt (06 20) is answered 84 83 "function not possible"
* ``permitted_commands``: the registration's completion lists the commands the
  terminal permits (TLV 26), so the ECR need not probe
* ``status_layout``: how a status enquiry is answered: ``bmp`` (``19 <status> 29 <TID>``),
  ``lllvar`` (``<software version LLLVAR> <status>``), ``tlv`` (device information TLV);
  ``terminal_status`` is the status code reported, ``software_version`` the version
* ``lose_completion``: after a money operation's final status information, the
  completion (06 0F / 06 1E) goes out with a bad CRC on every try (lost on the line)
* ``undecodable_at``: at that stage the terminal sends a message the ECR cannot
  decode (04 0F with an unknown BMP), then abandons the transaction
* ``crc_error_rate``: share of frames sent with a damaged CRC (never more than
  ``max_consecutive_errors`` tries of one frame in a row, so a transfer can succeed)
* ``junk_rate``: share of frames preceded by 1-8 junk bytes
* ``nak_rate``: share of good frames answered with NAK (same consecutive limit)
* ``silent_at``: stage at which the terminal stops talking (see STAGES)
* ``disconnect_at``: stage at which the cable is pulled; it is plugged back after
  ``reconnect_after_s`` (a new pty; the symlink is moved to it)
* ``answer_delay_s``: slow answers (before every message the terminal sends): 3.0 is
  "a terminal answering every 3 s"
* ``card_delay_s``, ``pin_delay_s``, ``host_delay_s``: time at each stage
* ``real_timing``: bytes paced at ``baud`` with ``1 + bytesize + parity + stopbits`` bits each

Stage faults are used once unless ``repeat_faults`` is set.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import os
import random
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payment.emulator.journal import Journal, Record
from payment.emulator.pty_link import PtyLink
from payment.errors import CodecError, LinkDown, NoAcknowledge
from payment.zvt.apdu import Apdu
from payment.zvt.bmp import GroupTotal, IndividualTotals, Tlv, encode_tlv, int_to_bcd
from payment.zvt.codes import currency_alpha, mask_pan
from payment.zvt.frame import encode_frame
from payment.zvt.messages import (
    Abort,
    Authorization,
    BookTotal,
    Completion,
    Diagnosis,
    EcrCommand,
    EndOfDay,
    IntermediateStatus,
    LogOff,
    NegativeAck,
    PositiveAck,
    PreAuthorization,
    PreAuthReversal,
    PrintLine,
    PrintTextBlock,
    Refund,
    Registration,
    RepeatReceipt,
    Reversal,
    StatusEnquiry,
    StatusInformation,
    TerminalAbort,
    parse_ecr_command,
)
from payment.zvt.transport import Verdict, ZvtTransport

log = logging.getLogger(__name__)

#: Where ``silent_at`` / ``disconnect_at`` can strike, in order of a payment:
#: request (command not even ACKed), accepted (ACKed, before 80 00), card, pin,
#: host (before the issuer's answer), status (booked and journaled, before 04 0F),
#: print (04 0F delivered, before the receipt), completion (before 06 0F / 06 1E).
STAGES = ("request", "accepted", "card", "pin", "host", "status", "print", "completion")
STATUS_LAYOUTS = ("bmp", "lllvar", "tlv")

#: Commands that move money: ``stale_status`` strikes the next of these.
_MONEY = (Authorization, PreAuthorization, Refund, BookTotal, PreAuthReversal)

_JUNK = bytes(b for b in range(256) if b not in (0x06, 0x15, 0x10))


@dataclass(frozen=True)
class EmulatorConfig:
    baud: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 2
    real_timing: bool = False
    terminal_id: int = 52500001
    ack_timeout_s: float = 5.0  # the terminal's own T3
    require_registration: bool = True
    decline: bool = False
    decline_code: int = 0x05
    busy: bool = False
    busy_code: int = 0xA0
    busy_count: int = 0
    repeat_receipt: bool = True
    permitted_commands: bool = False
    status_layout: str = "bmp"
    terminal_status: int = 0x00
    software_version: str = "SIMKIOSK-EMU 1.0"
    lose_completion: bool = False
    #: the next money command crosses the tail of the previous transaction still on the line:
    #: the terminal sends that transaction's 04 0F, receipt and 06 0F again and drops the command
    stale_status: bool = False
    #: the same with only the previous transaction's completion (06 0F) left on the line
    stale_completion: bool = False
    #: deaf to 06 B0 while the customer and the issuer act (some terminals are): the payment
    #: goes on and its answer comes after the ECR gave up on it
    ignore_abort: bool = False
    undecodable_at: str | None = None
    crc_error_rate: float = 0.0
    junk_rate: float = 0.0
    nak_rate: float = 0.0
    max_consecutive_errors: int = 2
    silent_at: str | None = None
    disconnect_at: str | None = None
    reconnect_after_s: float = 0.5
    repeat_faults: bool = False
    answer_delay_s: float = 0.0
    card_delay_s: float = 0.0
    pin_delay_s: float = 0.0
    host_delay_s: float = 0.0
    card_pan: str = "4761739001010119"
    card_name: str = "VISA"
    card_type: int = 10
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("silent_at", "disconnect_at", "undecodable_at"):
            value = getattr(self, name)
            if value is not None and value not in STAGES:
                raise ValueError(f"{name} must be one of {', '.join(STAGES)}")
        if self.status_layout not in STATUS_LAYOUTS:
            raise ValueError(f"status_layout must be one of {', '.join(STATUS_LAYOUTS)}")

    @property
    def bits_per_byte(self) -> int:
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits

    @property
    def byte_time_s(self) -> float:
        return self.bits_per_byte / self.baud


class _Silence(Exception):
    """Stop talking for the rest of this transaction."""


class _Disconnect(Exception):
    """Pull the cable now."""


class _Lost(Exception):
    """The ECR stopped answering; abandon the transaction."""


class _AbortRequested(Exception):
    """The ECR sent 06 B0."""


@dataclass(frozen=True)
class _Raw:
    """Any APDU, sent as it is (for faults)."""

    apdu: Apdu

    def to_apdu(self) -> Apdu:
        return self.apdu


class _EmuTransport(ZvtTransport):
    """The driver's transport with the emulator's faults in its hooks."""

    def __init__(self, link: PtyLink, emu: ZvtEmulator) -> None:
        super().__init__(link, ack_timeout_s=emu.config.ack_timeout_s)
        self._emu = emu
        self._nak_run = 0

    def _wire_frame(self, apdu: bytes, attempt: int) -> bytes:
        cfg, rng = self._emu.config, self._emu.rng
        frame = encode_frame(apdu)
        if self._emu.garble_next:  # lost on the line: every try damaged
            self._emu.stats["crc_errors"] += 1
            return frame[:-2] + bytes((frame[-2] ^ 0x5A,)) + frame[-1:]
        if attempt <= cfg.max_consecutive_errors and rng.random() < cfg.crc_error_rate:
            frame = frame[:-2] + bytes((frame[-2] ^ 0x5A,)) + frame[-1:]
            self._emu.stats["crc_errors"] += 1
        if rng.random() < cfg.junk_rate:
            frame = bytes(rng.choice(_JUNK) for _ in range(rng.randint(1, 8))) + frame
            self._emu.stats["junk_bursts"] += 1
        return frame

    def _verdict(self, apdu: bytes) -> Verdict:
        verdict = self._emu.verdict(apdu)
        if verdict is not Verdict.ACK:
            return verdict
        cfg = self._emu.config
        if self._nak_run < cfg.max_consecutive_errors and self._emu.rng.random() < cfg.nak_rate:
            self._nak_run += 1
            self._emu.stats["naks"] += 1
            return Verdict.NAK
        self._nak_run = 0
        return Verdict.ACK


class ZvtEmulator:
    """Terminal emulator on a pty; ``port`` is what the kiosk opens."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        link: str | os.PathLike[str] | None = None,
        journal: str | os.PathLike[str] | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.link_path = Path(link) if link is not None else None
        self.journal = Journal(journal)
        self.rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._master_fd: int | None = None
        self._slave_fd: int | None = None
        self._slave_name = ""
        self._transport: _EmuTransport | None = None
        self._ignore: dict[bytes, int] = {}
        self._abort_pending = False
        self.garble_next = False
        self.registered = False
        self.connected = threading.Event()
        self.stats: dict[str, float] = {}
        self.reset_stats()
        self.commands: list[str] = []  # names of the commands received, for tests
        self.refused: list[str] = []  # commands answered 84 xx, for tests
        self._receipt_no = 0
        self._trace_no = 0
        self._batch = 1
        self._restore_counters()

    # ------------------------------------------------------------------ control

    def update(self, **changes: Any) -> None:
        """Change faults or delays while running (thread-safe)."""
        with self._lock:
            self.config = dataclasses.replace(self.config, **changes)

    def reset_stats(self) -> None:
        self.stats = {"bytes_on_wire": 0, "delays_s": 0.0, "crc_errors": 0, "junk_bursts": 0,
                      "naks": 0, "disconnects": 0, "stale_statuses": 0}

    @property
    def port(self) -> str:
        """The path the kiosk should open: the symlink if there is one, else the slave."""
        return str(self.link_path) if self.link_path is not None else self._slave_name

    @property
    def slave_name(self) -> str:
        return self._slave_name

    def start(self) -> ZvtEmulator:
        self._plug_in()
        self._thread = threading.Thread(target=self._run, name="zvt-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._unplug()
        if self.link_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link_path.unlink()

    def __enter__(self) -> ZvtEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ pty

    def _plug_in(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline: a plain byte pipe
        self._master_fd, self._slave_fd = master, slave
        self._slave_name = os.ttyname(slave)
        link = PtyLink(master, byte_time_s=self.config.byte_time_s if self.config.real_timing
                       else None)
        self._transport = _EmuTransport(link, self)
        if self.link_path is not None:
            tmp = self.link_path.with_name(self.link_path.name + ".tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.symlink(self._slave_name, tmp)
            os.replace(tmp, self.link_path)
        self.registered = False
        self.connected.set()

    def _unplug(self) -> None:
        self.connected.clear()
        if self._transport is not None:
            link = self._transport.link
            if isinstance(link, PtyLink):
                self.stats["bytes_on_wire"] += link.bytes_rx + link.bytes_tx
            self._transport.close()
            self._transport = None
        if self._slave_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._slave_fd)
            self._slave_fd = None

    def bytes_on_wire(self) -> int:
        """Bytes both ways since the last :meth:`reset_stats` (plus earlier connections)."""
        total = int(self.stats["bytes_on_wire"])
        if self._transport is not None and isinstance(self._transport.link, PtyLink):
            total += self._transport.link.bytes_rx + self._transport.link.bytes_tx
        return total

    def reset_wire_counters(self) -> None:
        self.reset_stats()
        if self._transport is not None and isinstance(self._transport.link, PtyLink):
            self._transport.link.bytes_rx = self._transport.link.bytes_tx = 0

    # ------------------------------------------------------------------ main loop

    def _run(self) -> None:
        while not self._stop.is_set():
            transport = self._transport
            if transport is None:
                break
            try:
                raw = transport.receive(0.1)
                if raw is None:
                    continue
                self._serve(raw)
            except _Disconnect:
                self._cable_pull()
            except LinkDown as exc:
                log.info("emulator link down: %s", exc)
                self._cable_pull()
            except Exception:  # keep serving; a test sees the failure in the journal/stats
                log.exception("emulator failed on a command")

    def _cable_pull(self) -> None:
        self.stats["disconnects"] += 1
        self._unplug()
        deadline = time.monotonic() + self.config.reconnect_after_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self._stop.is_set():
            self._plug_in()

    # ------------------------------------------------------------------ faults

    def verdict(self, apdu: bytes) -> Verdict:
        """Called by the transport for every good frame: silence at "request"."""
        left = self._ignore.get(apdu, 0)
        if left > 0:
            self._ignore[apdu] = left - 1
            return Verdict.IGNORE
        if len(apdu) >= 2 and apdu[0] in (0x05, 0x06) and apdu[:2] not in (b"\x06\xb0",):
            if self._take_fault("silent_at", "request"):
                self._ignore[apdu] = 2  # the ECR's other two tries of this frame
                return Verdict.IGNORE
            if self._take_fault("disconnect_at", "request"):
                raise _Disconnect
        return Verdict.ACK

    def _take_fault(self, name: str, stage: str) -> bool:
        with self._lock:
            if getattr(self.config, name) != stage:
                return False
            if not self.config.repeat_faults:
                changes: dict[str, Any] = {name: None}
                self.config = dataclasses.replace(self.config, **changes)
            return True

    def _stage(self, stage: str) -> None:
        if self._take_fault("silent_at", stage):
            log.info("emulator: silent at %s", stage)
            raise _Silence
        if self._take_fault("disconnect_at", stage):
            log.info("emulator: cable pulled at %s", stage)
            raise _Disconnect
        if self._take_fault("undecodable_at", stage):
            log.info("emulator: undecodable message at %s", stage)
            self._send(_Raw(Apdu(0x04, 0x0F, bytes.fromhex("2700FE01"))))  # BMP FE: no such tag
            raise _Silence

    def _take_busy(self) -> bool:
        with self._lock:
            if self.config.busy:
                return True
            if self.config.busy_count > 0:
                self.config = dataclasses.replace(self.config,
                                                  busy_count=self.config.busy_count - 1)
                return True
            return False

    # ------------------------------------------------------------------ talking

    def _delay(self, seconds: float) -> None:
        """Time spent "doing something"; the ECR may abort meanwhile."""
        if seconds <= 0:
            return
        self.stats["delays_s"] += seconds
        end = time.monotonic() + seconds
        while True:
            if self._abort_pending and not self.config.ignore_abort:
                raise _AbortRequested
            remaining = end - time.monotonic()
            if remaining <= 0:
                return
            assert self._transport is not None
            raw = self._transport.receive(remaining)
            if raw is not None:
                self._note_unexpected(raw)

    def _note_unexpected(self, raw: bytes) -> None:
        if raw[:2] == b"\x06\xb0":
            self._abort_pending = True

    def _send(self, message: Any, *, expect_ack: bool = True) -> None:
        assert self._transport is not None
        if self.config.answer_delay_s > 0:
            self.stats["delays_s"] += self.config.answer_delay_s
            time.sleep(self.config.answer_delay_s)
        try:
            self._transport.send(message.to_apdu().encode())
        except NoAcknowledge as exc:
            raise _Lost(str(exc)) from exc
        if not expect_ack:
            return
        end = time.monotonic() + self.config.ack_timeout_s
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise _Lost("ECR did not answer 80 00")
            raw = self._transport.receive(remaining)
            if raw is None:
                continue
            if raw[:2] in (b"\x80\x00", b"\x84\x00"):
                return
            self._note_unexpected(raw)

    def _stamp(self) -> tuple[str, str]:
        now = dt.datetime.now()
        return now.strftime("%H%M%S"), now.strftime("%m%d")

    def _next_numbers(self) -> tuple[int, int]:
        self._receipt_no = self._receipt_no % 9999 + 1
        self._trace_no = self._trace_no % 999999 + 1
        return self._receipt_no, self._trace_no

    def _restore_counters(self) -> None:
        records = self.journal.records
        self._receipt_no = max((r.get("receipt_no") or 0 for r in records), default=0)
        self._trace_no = max((r.get("trace_no") or 0 for r in records), default=0)
        self._batch = 1 + sum(1 for r in records if r["kind"] == "end_of_day")

    # ------------------------------------------------------------------ dispatch

    def _serve(self, raw: bytes) -> None:
        try:
            command = parse_ecr_command(Apdu.decode(raw))
        except CodecError as exc:
            log.info("emulator: unsupported command %s (%s)", raw[:3].hex(" "), exc)
            self._send(NegativeAck(0x83), expect_ack=False)
            return
        self.commands.append(type(command).__name__)
        self._abort_pending = False
        try:
            self._dispatch(command)
        except _Silence:
            return
        except _AbortRequested:
            self._send(TerminalAbort(0x6C))
        except _Lost as exc:
            log.info("emulator: transaction abandoned: %s", exc)

    def _dispatch(self, command: EcrCommand) -> None:
        cfg = self.config
        if isinstance(command, Abort):
            self._send(PositiveAck(), expect_ack=False)
            return
        if self._take_busy():
            self._stage("accepted")
            self.refused.append(type(command).__name__)
            self._send(NegativeAck(cfg.busy_code), expect_ack=False)
            return
        if isinstance(command, RepeatReceipt) and not cfg.repeat_receipt:
            self.refused.append(type(command).__name__)
            self._send(NegativeAck(0x83), expect_ack=False)
            return
        if isinstance(command, Registration):
            self._stage("accepted")
            self._send(PositiveAck(), expect_ack=False)
            self.registered = True
            permitted = None
            if cfg.permitted_commands:
                permitted = tuple(c for c in ((0x06, 0x01), (0x06, 0x30), (0x06, 0x31),
                                              (0x06, 0x50), (0x06, 0x70), (0x05, 0x01),
                                              (0x06, 0x20), (0x06, 0x22), (0x06, 0x24),
                                              (0x06, 0x25), (0x06, 0xB0))
                                  if c != (0x06, 0x20) or cfg.repeat_receipt)
            self._send(Completion(0x00, cfg.terminal_id, command.currency,
                                  permitted_commands=permitted))
            return
        if isinstance(command, LogOff):
            self._send(PositiveAck(), expect_ack=False)
            self.registered = False
            return
        if cfg.require_registration and not self.registered and not isinstance(
                command, StatusEnquiry):
            self._send(NegativeAck(0x6B), expect_ack=False)
            return
        if isinstance(command, _MONEY) and self._take_flag("stale_status") and self._stale_tail():
            return
        if isinstance(command, _MONEY) and self._take_flag("stale_completion"):
            self.stats["stale_statuses"] += 1
            self._send(Completion(terminal_id=cfg.terminal_id))
            return
        self._stage("accepted")
        self._send(PositiveAck(), expect_ack=False)
        if isinstance(command, PreAuthorization):
            self._payment(command.amount_cents, command.currency, "preauth")
        elif isinstance(command, Authorization):
            self._payment(command.amount_cents, command.currency, "approval")
        elif isinstance(command, Refund):
            self._payment(command.amount_cents, command.currency, "refund")
        elif isinstance(command, Reversal):
            self._reversal(command.receipt_no, "reversal", ("approval",), None)
        elif isinstance(command, BookTotal):
            self._reversal(command.receipt_no, "book_total", ("preauth",), command.amount_cents)
        elif isinstance(command, PreAuthReversal):
            self._reversal(command.receipt_no, "preauth_reversal", ("preauth",), None)
        elif isinstance(command, EndOfDay):
            self._end_of_day()
        elif isinstance(command, Diagnosis):
            self._diagnosis()
        elif isinstance(command, StatusEnquiry):
            self._send(self._status_completion())
        elif isinstance(command, RepeatReceipt):
            self._repeat_receipt()

    # ------------------------------------------------------------------ flows

    def _status_info(self, r: Record) -> StatusInformation:
        time_s, date_s = r.get("time") or self._stamp()[0], r.get("date") or self._stamp()[1]
        return StatusInformation(
            result_code=r["result_code"], amount_cents=r["amount_cents"],
            currency=r.get("currency_num"), trace_no=r.get("trace_no"), time=time_s,
            date=date_s, receipt_no=r.get("receipt_no"), terminal_id=self.config.terminal_id,
            pan=r.get("pan_masked"), card_type=r.get("card_type"),
            card_name=r.get("card_brand"),
        )

    def _receipt_lines(self, r: Record, title: str) -> tuple[str, ...]:
        amount = r["amount_cents"]
        ok = r["result_code"] == 0
        return (
            "SIMKIOSK TEST TERMINAL",
            f"TID {self.config.terminal_id:08d}",
            title,
            f"{r.get('card_brand') or ''} {r.get('pan_masked') or ''}".strip(),
            f"AMOUNT {r.get('currency', '')} {amount // 100}.{amount % 100:02d}",
            f"RECEIPT {r.get('receipt_no') or 0:04d}  TRACE {r.get('trace_no') or 0:06d}",
            "APPROVED" if ok else f"DECLINED ({r['result_code']:02X})",
        )

    def _finish(self, r: Record, title: str) -> None:
        """04 0F, receipt, then 06 0F or 06 1E (lost on the line with ``lose_completion``)."""
        self._stage("status")
        self._send(self._status_info(r))
        self._stage("print")
        self._send(PrintTextBlock(self._receipt_lines(r, title), 2))
        self._stage("completion")
        lose = self._take_flag("lose_completion")
        self.garble_next = lose
        try:
            if r["result_code"] == 0:
                self._send(Completion(terminal_id=self.config.terminal_id))
            else:
                self._send(TerminalAbort(r["result_code"]))
        finally:
            self.garble_next = False

    def _take_flag(self, name: str) -> bool:
        with self._lock:
            if not getattr(self.config, name):
                return False
            if not self.config.repeat_faults:
                changes: dict[str, Any] = {name: False}
                self.config = dataclasses.replace(self.config, **changes)
            return True

    def _status_completion(self) -> Completion:
        """The status enquiry's answer in the configured layout."""
        cfg = self.config
        tid = Tlv(0x1F44, int_to_bcd(cfg.terminal_id, 4))
        if cfg.status_layout == "lllvar":
            return Completion.status_enquiry(cfg.software_version, cfg.terminal_status,
                                             tlv=(tid,))
        if cfg.status_layout == "tlv":
            inner = (Tlv(0x1F40, b"SIMKIOSK EMULATOR"),
                     Tlv(0x1F41, cfg.software_version.encode("cp437")),
                     Tlv(0x1F42, bytes.fromhex("0001E240")),
                     Tlv(0x1F43, bytes((cfg.terminal_status,))))
            return Completion(tlv=(tid, Tlv(0xE4, encode_tlv(inner), inner)))
        return Completion(cfg.terminal_status, cfg.terminal_id)

    def _payment(self, amount: int, currency: int | None, kind: str) -> None:
        cfg = self.config
        try:
            self._stage("card")
            self._send(IntermediateStatus(0x0A))
            self._delay(cfg.card_delay_s)
            self._stage("pin")
            self._send(IntermediateStatus(0x01))
            self._delay(cfg.pin_delay_s)
            self._stage("host")
            self._send(IntermediateStatus(0x04))
            self._delay(cfg.host_delay_s)
            if self._abort_pending and not cfg.ignore_abort:
                raise _AbortRequested
        except _AbortRequested:
            self.journal.append("abort", amount_cents=amount, currency=self._alpha(currency),
                                result_code=0x6C, terminal_id=f"{cfg.terminal_id:08d}",
                                batch=self._batch)
            self._send(TerminalAbort(0x6C))
            return
        declined = cfg.decline and kind in ("approval", "preauth")
        receipt, trace = self._next_numbers()
        time_s, date_s = self._stamp()
        record = self.journal.append(
            "decline" if declined else kind,
            receipt_no=receipt, trace_no=trace, amount_cents=amount,
            currency=self._alpha(currency), currency_num=currency,
            result_code=cfg.decline_code if declined else 0,
            terminal_id=f"{cfg.terminal_id:08d}", card_brand=cfg.card_name,
            card_type=cfg.card_type, pan_masked=mask_pan(cfg.card_pan),
            original_receipt_no=None, batch=self._batch, time=time_s, date=date_s,
        )
        self._finish(record, {"approval": "PAYMENT", "preauth": "RESERVATION",
                              "refund": "REFUND"}[kind])

    def _reversal(self, receipt_no: int | None, kind: str, of: tuple[str, ...],
                  amount: int | None) -> None:
        cfg = self.config
        self._stage("card")
        self._send(IntermediateStatus(0x0E))
        self._delay(cfg.host_delay_s)
        records = self.journal.records
        target = None
        for r in reversed(records):
            if r["kind"] in of and (receipt_no is None or r.get("receipt_no") == receipt_no):
                target = r
                break
        done = {r.get("original_receipt_no") for r in records
                if r["kind"] in ("reversal", "book_total", "preauth_reversal")}
        code = 0
        if target is None or target.get("batch") != self._batch:
            code = 0xB5  # reversal not possible (unknown, or the batch is closed)
        elif target["receipt_no"] in done:
            code = 0xB4  # already reversed / booked
        elif amount is not None and amount > target["amount_cents"]:
            code = 0xB7
        if code:
            self._stage("status")
            self._send(StatusInformation(result_code=code, terminal_id=cfg.terminal_id))
            self._stage("completion")
            self._send(TerminalAbort(code))
            return
        assert target is not None
        receipt, trace = self._next_numbers()
        time_s, date_s = self._stamp()
        record = self.journal.append(
            kind, receipt_no=receipt, trace_no=trace,
            amount_cents=amount if amount is not None else target["amount_cents"],
            currency=target.get("currency"), currency_num=target.get("currency_num"),
            result_code=0, terminal_id=f"{cfg.terminal_id:08d}",
            card_brand=target.get("card_brand"), card_type=target.get("card_type"),
            pan_masked=target.get("pan_masked"), original_receipt_no=target["receipt_no"],
            batch=self._batch, time=time_s, date=date_s,
        )
        self._finish(record, {"reversal": "REVERSAL", "book_total": "BOOK TOTAL",
                              "preauth_reversal": "RESERVATION RELEASED"}[kind])

    def _end_of_day(self) -> None:
        cfg = self.config
        self._stage("card")
        self._send(IntermediateStatus(0x0E))
        self._delay(cfg.host_delay_s)
        batch = [r for r in self.journal.records if r.get("batch") == self._batch]
        sign = {"approval": 1, "book_total": 1, "reversal": -1, "refund": -1}
        total = sum(sign.get(r["kind"], 0) * r["amount_cents"] for r in batch)
        count = sum(1 for r in batch if r["kind"] in sign)
        receipts = [int(r["receipt_no"]) for r in batch if r.get("receipt_no")]
        _, trace = self._next_numbers()
        time_s, date_s = self._stamp()
        number = self._batch
        self.journal.append("end_of_day", amount_cents=total, count=count, trace_no=trace,
                            terminal_id=f"{cfg.terminal_id:08d}", batch=number,
                            result_code=0, receipt_from=min(receipts, default=0),
                            receipt_to=max(receipts, default=0))
        self._batch += 1
        by_brand = sum(sign.get(r["kind"], 0) * r["amount_cents"] for r in batch
                       if r.get("card_brand") == "VISA")
        totals = IndividualTotals(min(receipts, default=0), max(receipts, default=0), (
            GroupTotal("VISA", sum(1 for r in batch if r["kind"] in sign
                                   and r.get("card_brand") == "VISA"), max(0, by_brand)),
            GroupTotal("other", sum(1 for r in batch if r["kind"] in sign
                                    and r.get("card_brand") != "VISA"),
                       max(0, total - by_brand))))
        self._stage("status")
        self._send(StatusInformation(result_code=0, amount_cents=total, trace_no=trace,
                                     time=time_s, date=date_s, terminal_id=cfg.terminal_id,
                                     turnover_no=number, totals=totals))
        self._stage("print")
        self._send(PrintTextBlock(("END OF DAY", f"TRANSACTIONS {count}",
                                   f"TOTAL {total // 100}.{total % 100:02d}"), 3))
        self._stage("completion")
        self._send(Completion(terminal_id=cfg.terminal_id))

    def _diagnosis(self) -> None:
        cfg = self.config
        self._send(IntermediateStatus(0x0E))
        self._delay(cfg.host_delay_s)
        self._send(PrintLine("DIAGNOSIS", 0x00))
        self._send(PrintLine("HOST CONNECTION OK", 0x80))
        self._send(StatusInformation(result_code=0, terminal_id=cfg.terminal_id))
        self._send(Completion(terminal_id=cfg.terminal_id))

    def _stale_tail(self) -> bool:
        """The last payment's answer once more, as if still on its way when the command came."""
        last = next((r for r in reversed(self.journal.records)
                     if r["kind"] in ("approval", "decline", "preauth", "refund", "book_total")),
                    None)
        if last is None:
            return False
        log.info("emulator: stale status of receipt %s instead of an answer", last["receipt_no"])
        self.stats["stale_statuses"] += 1
        self._send(self._status_info(last))
        self._send(PrintTextBlock(self._receipt_lines(last, "PAYMENT"), 2))
        if last["result_code"] == 0:
            self._send(Completion(terminal_id=self.config.terminal_id))
        else:
            self._send(TerminalAbort(last["result_code"]))
        return True

    def _repeat_receipt(self) -> None:
        last = None
        for r in reversed(self.journal.records):
            if r["kind"] in ("approval", "decline"):
                last = r
                break
        if last is None:
            self._send(TerminalAbort(0x83))
            return
        self._send(self._status_info(last))
        self._send(PrintTextBlock(("DUPLICATE", *self._receipt_lines(last, "PAYMENT")), 2))
        self._send(Completion(terminal_id=self.config.terminal_id))

    @staticmethod
    def _alpha(numeric: int | None) -> str:
        return currency_alpha(numeric, "USD")
