"""PC/SC backend (pyscard's low-level ``smartcard.scard`` API) for the ``CardReader`` port.

Why the low-level API: it returns PC/SC result codes instead of raising
pyscard's own exceptions, so every outcome is translated here into the
kiosk's error tree, and it has no hidden singletons (``CardMonitor``): each
reader object, read and watch owns its own PC/SC context.

Connection: a card is connected once per insertion and the connection is kept
across reads while it stays in (a kiosk reads the same SIM several times per
session). The first exchange on a kept connection tells whether it went stale
(card removed, swapped or reset: PC/SC answers "removed"/"reset" on the old
handle); then the read connects afresh, waiting for a card as usual.

Deadlines: PC/SC calls (notably ``SCardTransmit``) have no timeout of their
own, so each read runs its calls on a private worker thread and waits for
each one with a deadline (``[reader] apdu_timeout_s``). A call that misses it
raises ``ReaderTimeout``; the worker is abandoned and releases its card and
context as soon as the stuck call returns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

from devices.card.carriers import CarrierTable
from devices.card.reader_logic import Transmit, read_sim
from kiosk.config import ReaderSection
from kiosk.errors import (
    CardRemoved,
    NoCard,
    NoReader,
    ReaderError,
    ReaderTimeout,
    ReaderUnplugged,
    UnreadableCard,
)
from kiosk.ports import CardEvent, CardEventKind, DeviceHealth, SimCard

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How long one wait for a status change blocks before the reader list is checked again.
POLL_SLICE_S = 0.5


_SCARD: ModuleType | None = None


def _scard() -> ModuleType:
    global _SCARD
    if _SCARD is None:
        try:
            from smartcard import scard
        except ImportError as exc:  # pyscard not built, or libpcsclite missing
            raise NoReader(f"PC/SC library not available: {exc}") from exc
        _SCARD = scard
    return _SCARD


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


def _message(sc: ModuleType, hresult: int) -> str:
    try:
        return str(sc.SCardGetErrorMessage(hresult))
    except Exception:  # the message is cosmetic; the code is what matters
        return f"0x{_u32(hresult):08X}"


def _error_for(sc: ModuleType, hresult: int, what: str) -> ReaderError:
    """Map a PC/SC result code to the kiosk's reader errors."""
    code = _u32(hresult)
    text = f"{what}: {_message(sc, hresult)} (0x{code:08X})"
    if code in {_u32(sc.SCARD_W_REMOVED_CARD), _u32(sc.SCARD_E_NO_SMARTCARD),
                _u32(sc.SCARD_W_RESET_CARD)}:
        return CardRemoved(text)
    if code in {_u32(sc.SCARD_E_READER_UNAVAILABLE), _u32(sc.SCARD_E_UNKNOWN_READER)}:
        return ReaderUnplugged(text)
    if code in {_u32(sc.SCARD_E_NO_SERVICE), _u32(sc.SCARD_E_SERVICE_STOPPED),
                _u32(sc.SCARD_E_NO_READERS_AVAILABLE)}:
        return NoReader(text)
    if code == _u32(sc.SCARD_E_TIMEOUT):
        return ReaderTimeout(text)
    if code in {_u32(sc.SCARD_W_UNRESPONSIVE_CARD), _u32(sc.SCARD_W_UNPOWERED_CARD),
                _u32(sc.SCARD_E_PROTO_MISMATCH), _u32(sc.SCARD_E_NOT_TRANSACTED),
                _u32(sc.SCARD_E_COMM_DATA_LOST), _u32(sc.SCARD_F_COMM_ERROR)}:
        return UnreadableCard(text)
    return ReaderError(text)


def _call(sc: ModuleType, name: str, *args: Any) -> tuple[Any, ...]:
    """Call ``scard.<name>``; raise the mapped error on failure, return the other values."""
    try:
        result = getattr(sc, name)(*args)
    except Exception as exc:  # SWIG type errors, scard.error: never let them out
        raise ReaderError(f"{name} failed: {exc}") from exc
    if isinstance(result, tuple | list):
        hresult, rest = result[0], result[1:]
    else:
        hresult, rest = result, ()
    if hresult != sc.SCARD_S_SUCCESS:
        raise _error_for(sc, hresult, name)
    return tuple(rest)


@dataclass(frozen=True)
class _Connection:
    """A connected card, kept across reads for as long as it stays in the reader."""

    ctx: int
    reader: str
    hcard: int
    protocol: int
    atr: str
    #: card changes a running watch had seen in this reader when it was connected
    changes: int | None = None


class _StaleHandle(Exception):
    """The kept connection's card was removed, swapped or reset since the last read."""


def _matches(name: str, name_filter: str) -> bool:
    return name_filter.casefold() in name.casefold()


class _SlotLog:
    """What this reader's running watches saw, per reader: how many times the card in it
    changed (inserted, removed, the reader gone) and the ATR of the card now in it. Reads
    use it only as a shortcut; without a watch (or before it reports) they find out the
    slow way, from the card itself."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._changes: dict[str, int] = {}
        self._atr: dict[str, str | None] = {}

    def watching(self, delta: int) -> None:
        with self._lock:
            self._running += delta
            if self._running <= 0:  # nobody watches: what was seen goes stale
                self._running = 0
                self._changes.clear()
                self._atr.clear()

    def forget(self) -> None:
        self.watching(-1)

    def note(self, event: CardEvent) -> None:
        with self._lock:
            if event.kind is not CardEventKind.PRESENT:  # PRESENT: the first look, not a change
                self._changes[event.reader] = self._changes.get(event.reader, 0) + 1
            present = event.kind in (CardEventKind.INSERTED, CardEventKind.PRESENT)
            self._atr[event.reader] = event.atr if present else None

    def snapshot(self) -> dict[str, int] | None:
        """Change counts now, ``None`` when no watch runs."""
        with self._lock:
            return dict(self._changes) if self._running else None

    def changed_since(self, reader: str, changes: int | None) -> bool:
        with self._lock:
            return (self._running > 0 and changes is not None
                    and self._changes.get(reader, 0) != changes)

    def inserted(self, reader: str) -> tuple[int, str] | None:
        """(change count, ATR) of the card a watch saw in ``reader``, if any."""
        with self._lock:
            atr = self._atr.get(reader) if self._running else None
            return None if atr is None else (self._changes.get(reader, 0), atr)


# --------------------------------------------------------------------------- worker


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


class _Job:
    """One call handed to the worker (a plain slotted class: one is made per read)."""

    __slots__ = ("done", "error", "finished", "fn", "value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        #: released by the worker when the job is done: a bare lock wakes the caller sooner
        #: than an Event (one C-level futex instead of a condition and a waiter lock)
        self.done = _held_lock()
        self.finished = False
        self.value: Any = None
        self.error: BaseException | None = None


class _ApduName:
    """"APDU A4..." for a timeout message, formatted only if one is raised (per exchange)."""

    __slots__ = ("_command",)

    def __init__(self, command: bytes) -> None:
        self._command = command

    def __str__(self) -> str:
        return f"APDU {self._command[:2].hex().upper()}"


class _Guard:
    """The deadline of one blocking call, visible to the waiting caller while it runs."""

    __slots__ = ("_budget_s", "_what", "_worker")

    def __init__(self, worker: _Worker, what: str | _ApduName, budget_s: float) -> None:
        self._worker, self._what, self._budget_s = worker, what, budget_s

    def __enter__(self) -> None:
        self._worker._guard = (time.monotonic(), self._budget_s, self._what)

    def __exit__(self, *exc: object) -> None:
        self._worker._guard = None


class _Worker:
    """One thread that runs PC/SC calls so the caller can wait with a deadline."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._cleanups: list[Callable[[], None]] = []
        self._deferred: list[Callable[[], None]] = []  # worker thread only
        self.ctx: int | None = None  # PC/SC context kept across reads (worker thread only)
        self.hcard: int | None = None  # the connected card, if any (worker thread only)
        self.card: _Connection | None = None  # the connection kept while the card stays in
        self.abandoned = False  # set when a caller gave up on a stuck call
        self.readers: list[str] = []  # where the last card was found
        self.partial: SimCard | None = None  # the current read's card once the ICCID is known
        self._guard: tuple[float, float, str | _ApduName] | None = None  # (start, budget, what)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job.value = job.fn()
            except BaseException as exc:  # handed to the waiting caller, not lost
                job.error = exc
            job.finished = True
            job.done.release()
            self._run_deferred()
        self._run_deferred()
        for cleanup in reversed(self._cleanups):
            try:
                cleanup()
            except ReaderError as exc:
                log.debug("PC/SC cleanup failed: %s", exc)

    def call(self, fn: Callable[[], T], timeout_s: float, what: str) -> T:
        """Run ``fn`` on the worker; ``ReaderTimeout`` when it takes over ``timeout_s``."""
        job = _Job(lambda: self._guarded(what, timeout_s, fn))
        self._jobs.put(job)
        return self._wait(job, timeout_s)

    def run(self, fn: Callable[[], T], poll_s: float) -> T:
        """Run ``fn`` (a whole read) on the worker in one hand-over. The deadlines are
        those of the :meth:`guard` blocks inside it: the caller raises ``ReaderTimeout``
        as soon as one blocking call overruns its own budget."""
        job = _Job(fn)
        self._jobs.put(job)
        return self._wait(job, poll_s)

    def _wait(self, job: _Job, poll_s: float) -> T:  # type: ignore[type-var]
        while not job.finished:
            guard = self._guard
            wait_s = poll_s if guard is None else guard[0] + guard[1] - time.monotonic()
            if job.done.acquire(timeout=max(wait_s, 0.0)):
                break
            if guard is not None and self._guard is guard:
                self.abandoned = True  # the job stops at its next guarded call
                raise ReaderTimeout(f"{guard[2]}: no answer within {guard[1]:.1f} s")
        if job.error is not None:
            raise job.error
        return job.value  # type: ignore[no-any-return]

    def _guarded(self, what: str, budget_s: float, fn: Callable[[], T]) -> T:
        with self.guard(what, budget_s):
            return fn()

    def guard(self, what: str | _ApduName, budget_s: float) -> _Guard:
        """Mark a blocking call on the worker thread with its deadline (``with`` block)."""
        if self.abandoned:
            raise ReaderTimeout(f"{what}: the read was abandoned after a timeout")
        return _Guard(self, what, budget_s)

    def after_job(self, task: Callable[[], None]) -> None:
        """Run ``task`` on the worker once the current job's caller has its answer:
        housekeeping (releasing a stale card handle) stays off the caller's wait."""
        self._deferred.append(task)

    def _run_deferred(self) -> None:
        while self._deferred:
            task = self._deferred.pop(0)
            try:
                task()
            except ReaderError as exc:
                log.debug("PC/SC housekeeping failed: %s", exc)

    def on_close(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` on the worker thread when it stops (LIFO)."""
        self._cleanups.append(cleanup)

    def close(self, wait_s: float = 1.0) -> None:
        self._jobs.put(None)
        self._thread.join(wait_s)
        if self._thread.is_alive():
            log.warning("PC/SC worker %s still blocked; it will clean up when the call returns",
                        self._thread.name)


# --------------------------------------------------------------------------- reader


class PcscCardReader:
    """``CardReader`` over PC/SC. Construction does no I/O; each call opens what it needs."""

    def __init__(self, settings: ReaderSection, carriers: CarrierTable | None = None) -> None:
        self.settings = settings
        self.carriers = carriers or CarrierTable.load_default()
        self._watches: list[_PcscWatch] = []
        self._closed = False
        self._lock = threading.Lock()  # one read at a time per reader object
        self._worker: _Worker | None = None
        self._slots = _SlotLog()

    # ------------------------------------------------------------------ port

    def readers(self) -> list[str]:
        with self._lock:
            worker = self._get_worker()
            return self._call(worker, lambda: self._list(self._context(worker)),
                              self.settings.apdu_timeout_s, "SCardListReaders")

    def read(self, timeout_s: float) -> SimCard:
        return self._read(timeout_s, optional=True)

    def read_iccid(self, timeout_s: float) -> SimCard:
        """Only the mandatory part (ICCID, ATR, reader): what the benchmark times."""
        return self._read(timeout_s, optional=False)

    def watch(self, on_event: Callable[[CardEvent], None]) -> _PcscWatch:
        """Insertions and removals; while a watch runs, reads also learn from it that the
        kept connection's card was pulled or swapped (no failed exchange to find out) and
        the new card's ATR (no status round trip before connecting)."""
        slots = self._slots

        def observe(event: CardEvent) -> None:
            slots.note(event)
            on_event(event)

        w = _PcscWatch(self.settings.name_filter, observe, on_stop=slots.forget)
        slots.watching(+1)
        self._watches.append(w)
        return w

    def health(self) -> DeviceHealth:
        try:
            names = self.readers()
        except ReaderError as exc:
            return DeviceHealth("reader", False, str(exc), "check that pcscd is running")
        if not names:
            return DeviceHealth("reader", False, "no reader matches the name filter "
                                f"{self.settings.name_filter!r}", "check the reader's USB cable")
        return DeviceHealth("reader", True, ", ".join(names), data={"readers": names})

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in self._watches:
            w.close()
        self._watches.clear()
        with self._lock:
            if self._worker is not None:
                self._worker.close()
                self._worker = None

    def __enter__(self) -> PcscCardReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals (worker thread)

    def _get_worker(self) -> _Worker:
        if self._closed:
            raise ReaderError("reader is closed")
        if self._worker is None:
            self._worker = _Worker("pcsc-reader")
        return self._worker

    def _call(self, worker: _Worker, fn: Callable[[], T], timeout_s: float, what: str) -> T:
        """``worker.call``; a missed deadline abandons the worker (it cleans up when free)."""
        try:
            return worker.call(fn, timeout_s, what)
        except ReaderTimeout:
            self._abandon(worker)
            raise

    def _abandon(self, worker: _Worker) -> None:
        if worker.abandoned or self._worker is worker:
            if self._worker is worker:
                self._worker = None
            worker.close(wait_s=0)

    def _context(self, worker: _Worker) -> int:
        """The worker's PC/SC context, established on first use (worker thread)."""
        if worker.ctx is None:
            sc = _scard()
            (ctx,) = _call(sc, "SCardEstablishContext", sc.SCARD_SCOPE_USER)
            worker.ctx = int(ctx)
            worker.on_close(lambda: _release(sc, int(ctx)))
            worker.on_close(lambda: _disconnect_current(sc, worker))  # runs first (LIFO)
        return worker.ctx

    def _drop_context(self, worker: _Worker) -> None:
        """After a context-level failure (pcscd restarted...), start afresh next time."""
        worker.card = worker.hcard = None  # handles die with their context
        if worker.ctx is not None:
            ctx, worker.ctx = worker.ctx, None
            try:
                _release(_scard(), ctx)
            except ReaderError as exc:
                log.debug("SCardReleaseContext: %s", exc)

    def _list(self, ctx: int) -> list[str]:
        return _list_readers(_scard(), ctx, self.settings.name_filter)

    def _wait_for_card(self, ctx: int, deadline: float,
                       cached: list[str] | None = None) -> tuple[str, str]:
        """Block until a matching reader holds a responsive card; (reader, ATR hex).

        ``cached``: reader names from the previous read, tried first (saves a round trip
        to pcscd when the card is already in); any doubt falls back to listing."""
        sc = _scard()
        if cached:
            try:
                (states,) = _call(sc, "SCardGetStatusChange", ctx, 0,
                                  [(n, sc.SCARD_STATE_UNAWARE) for n in cached])
            except ReaderError:
                states = []
            for name, state, atr in states:
                if state & sc.SCARD_STATE_PRESENT and not state & (
                    sc.SCARD_STATE_MUTE | sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_UNAVAILABLE
                ):
                    return str(name), bytes(atr).hex().upper()
        first = True
        while True:
            names = self._list(ctx)
            if not names:
                if first:
                    raise NoReader(
                        f"no PC/SC reader matches {self.settings.name_filter!r}"
                        if self.settings.name_filter else "no PC/SC reader connected")
                raise ReaderUnplugged("the reader was unplugged while waiting for a card")
            first = False
            (states,) = _call(sc, "SCardGetStatusChange", ctx, 0,
                              [(n, sc.SCARD_STATE_UNAWARE) for n in names])
            mute = None
            for name, state, atr in states:
                if state & sc.SCARD_STATE_PRESENT and not state & sc.SCARD_STATE_MUTE:
                    return str(name), bytes(atr).hex().upper()
                if state & sc.SCARD_STATE_MUTE:
                    mute = str(name)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if mute is not None:
                    raise UnreadableCard(f"the card in {mute} does not answer (mute)")
                raise NoCard("no card inserted within the timeout")
            wait_ms = int(min(remaining, POLL_SLICE_S) * 1000) + 1
            try:
                _call(sc, "SCardGetStatusChange", ctx, wait_ms, list(states))
            except ReaderTimeout:
                continue  # slice over: re-list readers, check the deadline

    def _open_card(self, worker: _Worker, deadline: float) -> _Connection:
        """Wait for a card and connect."""
        sc = _scard()
        step = self.settings.apdu_timeout_s
        before = self._slots.snapshot()  # before looking: a change seen later means stale
        try:
            with worker.guard("waiting for a card", max(0.0, deadline - time.monotonic()) + step):
                ctx = self._context(worker)
                reader, atr = self._wait_for_card(ctx, deadline, worker.readers)
                worker.readers = [reader]
        except (NoReader, ReaderUnplugged, NoCard, ReaderTimeout):
            raise
        except ReaderError:
            self._drop_context(worker)
            raise
        with worker.guard("SCardConnect", step):
            hcard, protocol = _call(sc, "SCardConnect", ctx, reader, sc.SCARD_SHARE_SHARED,
                                    sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        worker.hcard = int(hcard)
        changes = None if before is None else before.get(reader, 0)
        worker.card = _Connection(ctx, reader, int(hcard), int(protocol), atr, changes)
        return worker.card

    def _exchanger(self, worker: _Worker, conn: _Connection, *, kept: bool) -> Transmit:
        """``transmit`` for one read on ``conn``: each exchange under its own deadline.
        ``kept``: the connection predates this read, so "removed" on its first exchange
        means the handle went stale (``_StaleHandle``), not that the card left mid-read.

        It runs between every two exchanges of a read, so the common case is kept to a
        few lookups bound once per read; failures take the slow path."""
        sc = _scard()
        scard_transmit, success = sc.SCardTransmit, sc.SCARD_S_SUCCESS
        hcard, protocol = conn.hcard, conn.protocol
        step = self.settings.apdu_timeout_s
        monotonic = time.monotonic
        first = kept

        def transmit(command: bytes) -> bytes:
            nonlocal first
            if worker.abandoned:
                raise ReaderTimeout(f"{_ApduName(command)}: the read was abandoned after a "
                                    "timeout")
            start = monotonic()
            worker._guard = (start, step, _ApduName(command))
            try:
                hresult, response = scard_transmit(hcard, protocol, list(command))
                if hresult != success or len(response) < 2:
                    self._exchange_failed(sc, conn, hresult, start + step * 0.9,
                                          stale=first)
            except (ReaderError, _StaleHandle):
                raise
            except Exception as exc:  # SWIG type errors, scard.error: never let them out
                raise ReaderError(f"SCardTransmit failed: {exc}") from exc
            finally:
                worker._guard = None
            first = False
            return bytes(response)

        return transmit

    def _exchange_failed(self, sc: ModuleType, conn: _Connection, hresult: int, end: float,
                         *, stale: bool) -> None:
        """An exchange failed (or answered without a status word): raise what happened,
        ``CardRemoved`` when the card turns out to be gone (``_StaleHandle`` if ``stale``).
        Returns only for a short answer from a card still there (a malformed response)."""
        try:
            if hresult != sc.SCARD_S_SUCCESS:
                error = _error_for(sc, hresult, "SCardTransmit")
                if isinstance(error, UnreadableCard) and _removed(
                        sc, conn.ctx, conn.reader, end - time.monotonic()):
                    raise CardRemoved("the card was removed during the read") from error
                raise error
            if _removed(sc, conn.ctx, conn.reader, end - time.monotonic()):
                # vpcd (and some drivers) answer an exchange with a vanished card with nothing
                raise CardRemoved("the card was removed during the read")
        except CardRemoved as exc:
            if stale:  # the handle predates a removal, swap or reset
                raise _StaleHandle() from exc
            raise

    def _read(self, timeout_s: float, *, optional: bool) -> SimCard:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            worker = self._get_worker()
            worker.partial = None
            try:
                return worker.run(lambda: self._read_on_worker(worker, deadline, optional),
                                  self.settings.apdu_timeout_s)
            except ReaderTimeout as exc:
                self._abandon(worker)
                if worker.partial is None:
                    raise
                log.warning("optional SIM files skipped: %s", exc)
                return worker.partial  # best effort: never hold up the flow

    def _read_on_worker(self, worker: _Worker, deadline: float, optional: bool) -> SimCard:
        """Read through the connection kept from the last read while the card stays in;
        connect afresh (waiting for a card) when there is none or it went stale."""
        card = worker.card
        if card is not None and self._slots.changed_since(card.reader, card.changes):
            log.debug("the watch saw the kept connection's card leave: connecting afresh")
            self._forget_card(worker, later=True)
            conn = self._connect_seen(worker, card)
            if conn is not None:
                return self._read_sim(worker, conn, optional, kept=False)
        elif card is not None:
            try:
                return self._read_sim(worker, card, optional, kept=True)
            except _StaleHandle:
                log.debug("kept card connection is stale (card removed, swapped or reset)")
        return self._read_sim(worker, self._open_card(worker, deadline), optional, kept=False)

    def _connect_seen(self, worker: _Worker, stale: _Connection) -> _Connection | None:
        """Connect straight to the card the watch saw inserted after ``stale``'s card left
        (its ATR from the event, no status round trip); ``None``: the watch has not seen a
        new card there (yet): wait for one as usual."""
        reader = stale.reader
        seen = self._slots.inserted(reader)
        if seen is None:
            return None
        changes, atr = seen
        sc = _scard()
        try:
            with worker.guard("SCardConnect", self.settings.apdu_timeout_s):
                hcard, protocol = _call(sc, "SCardConnect", stale.ctx, reader,
                                        sc.SCARD_SHARE_SHARED,
                                        sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        except (CardRemoved, UnreadableCard, ReaderUnplugged) as exc:
            log.debug("connecting to the card the watch saw: %s; waiting for a card", exc)
            return None
        except (NoReader, ReaderTimeout):
            raise
        except ReaderError:  # the context itself failed (pcscd restarted...): start afresh
            self._drop_context(worker)
            raise
        worker.hcard = int(hcard)
        worker.card = _Connection(stale.ctx, reader, int(hcard), int(protocol), atr, changes)
        return worker.card

    def _read_sim(self, worker: _Worker, conn: _Connection, optional: bool, *,
                  kept: bool) -> SimCard:
        try:
            return read_sim(self._exchanger(worker, conn, kept=kept), atr=conn.atr,
                            reader=conn.reader, carriers=self.carriers, optional=optional,
                            on_iccid=lambda card: setattr(worker, "partial", card))
        except _StaleHandle:
            # the read goes on with a new connection: release the dead handle after it
            self._forget_card(worker, later=True)
            raise
        except BaseException:
            self._forget_card(worker)  # after any failure the next read connects afresh
            raise

    def _forget_card(self, worker: _Worker, *, later: bool = False) -> None:
        """Disconnect the kept connection (worker thread); ``later``: once the current
        read has been answered (still under its own deadline, so a stuck pcscd makes the
        next read time out rather than hang)."""
        worker.card = None
        if worker.abandoned:
            return  # the worker disconnects when its stuck call returns
        hcard, worker.hcard = worker.hcard, None
        if hcard is None:
            return

        def disconnect() -> None:
            with worker.guard("SCardDisconnect", self.settings.apdu_timeout_s):
                sc = _scard()
                _call(sc, "SCardDisconnect", hcard, sc.SCARD_LEAVE_CARD)

        if later:
            worker.after_job(disconnect)
            return
        try:
            disconnect()
        except ReaderError as exc:
            log.debug("SCardDisconnect: %s", exc)


def _list_readers(sc: ModuleType, ctx: int, name_filter: str) -> list[str]:
    """Reader names matching the filter; an empty list (not an error) when there are none."""
    try:
        hresult, names = sc.SCardListReaders(ctx, [])
    except Exception as exc:
        raise ReaderError(f"SCardListReaders failed: {exc}") from exc
    if _u32(hresult) == _u32(sc.SCARD_E_NO_READERS_AVAILABLE):
        return []
    if hresult != sc.SCARD_S_SUCCESS:
        raise _error_for(sc, hresult, "SCardListReaders")
    return [str(n) for n in names if _matches(str(n), name_filter)]


def _removed(sc: ModuleType, ctx: int, reader: str, grace_s: float) -> bool:
    """After a failed exchange: is the card gone? pcscd notices a removal on its next
    poll, so wait up to ``grace_s`` for the reader to report it before saying no."""
    deadline = time.monotonic() + grace_s
    current = sc.SCARD_STATE_UNAWARE
    while True:
        try:
            (states,) = _call(sc, "SCardGetStatusChange", ctx,
                              max(1, int((deadline - time.monotonic()) * 1000)),
                              [(reader, current)])
        except ReaderTimeout:
            return False
        except (ReaderUnplugged, NoReader):
            return True
        _name, state, _atr = states[0]
        if not state & sc.SCARD_STATE_PRESENT or state & sc.SCARD_STATE_UNAVAILABLE:
            return True
        if time.monotonic() >= deadline:
            return False
        current = state & ~sc.SCARD_STATE_CHANGED


def _release(sc: ModuleType, ctx: int) -> None:
    _call(sc, "SCardReleaseContext", ctx)


def _disconnect_current(sc: ModuleType, worker: _Worker) -> None:
    hcard, worker.hcard = worker.hcard, None
    if hcard is not None:
        _call(sc, "SCardDisconnect", hcard, sc.SCARD_LEAVE_CARD)


# --------------------------------------------------------------------------- watch


class _PcscWatch:
    """Insertion/removal watch on its own thread and PC/SC context."""

    def __init__(self, name_filter: str, on_event: Callable[[CardEvent], None],
                 on_stop: Callable[[], None] | None = None) -> None:
        self._filter = name_filter
        self._on_event = on_event
        self._on_stop = on_stop
        self._stop = threading.Event()
        self._ctx: int | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="pcsc-watch", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (idempotent); wakes a blocked SCardGetStatusChange with SCardCancel."""
        self._stop.set()
        with self._lock:
            ctx = self._ctx
        if ctx is not None:
            try:
                _call(_scard(), "SCardCancel", ctx)
            except ReaderError as exc:
                log.debug("SCardCancel: %s", exc)
        if threading.current_thread() is not self._thread:
            self._thread.join(POLL_SLICE_S * 4 + 1)

    def __enter__(self) -> _PcscWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _emit(self, kind: CardEventKind, reader: str, atr: str | None = None) -> None:
        try:
            self._on_event(CardEvent(kind, reader, atr))
        except Exception:
            log.exception("card event handler failed for %s on %s", kind, reader)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._session()
                except ReaderError as exc:
                    if self._stop.is_set():
                        break
                    log.error("card watch: %s; retrying", exc)
                    self._stop.wait(1.0)
        finally:
            if self._on_stop is not None:
                self._on_stop()

    def _session(self) -> None:
        sc = _scard()
        (ctx,) = _call(sc, "SCardEstablishContext", sc.SCARD_SCOPE_USER)
        with self._lock:
            self._ctx = int(ctx)
        known: dict[str, int] = {}  # reader -> last event state
        present: dict[str, bool] = {}
        unseen: set[str] = set()  # readers whose first state is still to come
        first = True
        try:
            while not self._stop.is_set():
                names = _list_readers(sc, int(ctx), self._filter)
                for gone in [r for r in known if r not in names]:
                    if present.pop(gone, False):
                        self._emit(CardEventKind.REMOVED, gone)
                    known.pop(gone)
                    self._emit(CardEventKind.READER_REMOVED, gone)
                for new in [r for r in names if r not in known]:
                    known[new] = sc.SCARD_STATE_UNAWARE
                    present[new] = False
                    unseen.add(new)
                    if not first:
                        self._emit(CardEventKind.READER_ADDED, new)
                first = False
                if not names:
                    self._stop.wait(POLL_SLICE_S)
                    continue
                try:
                    (states,) = _call(sc, "SCardGetStatusChange", ctx,
                                      int(POLL_SLICE_S * 1000),
                                      [(r, known[r]) for r in names])
                except ReaderTimeout:
                    continue
                except ReaderError:
                    if self._stop.is_set():  # SCardCancel from close()
                        break
                    raise
                for name, state, atr in states:
                    name = str(name)
                    known[name] = state & ~sc.SCARD_STATE_CHANGED
                    is_present = bool(state & sc.SCARD_STATE_PRESENT)
                    if name in unseen:  # the reader's first state: a card in it was there already
                        unseen.discard(name)
                        present[name] = is_present
                        if is_present:
                            self._emit(CardEventKind.PRESENT, name, bytes(atr).hex().upper())
                        continue
                    if is_present != present.get(name, False):
                        present[name] = is_present
                        if is_present:
                            self._emit(CardEventKind.INSERTED, name, bytes(atr).hex().upper())
                        else:
                            self._emit(CardEventKind.REMOVED, name)
        finally:
            with self._lock:
                self._ctx = None
            try:
                _release(sc, int(ctx))
            except ReaderError as exc:
                log.debug("SCardReleaseContext: %s", exc)
