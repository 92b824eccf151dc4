"""Simulated reader backend for demo mode and tests (``[reader] backend = "simulated"``).

It runs the same read sequence as the PC/SC backend against the virtual SIM's
card model (:mod:`devices.vsim.card`), so the demo exercises real decoding.
The demo panel drives it from the GUI thread through a small thread-safe
control API: :meth:`profiles`, :meth:`insert`, :meth:`pull`, and fault
injection (:meth:`set_delay`, :meth:`pull_after`, named faulty profiles).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.card.carriers import CarrierTable
from devices.card.reader_logic import read_sim
from devices.vsim.card import PROFILES, CardOptions, Fault, Mode, VirtualSim
from kiosk.config import ReaderSection
from kiosk.errors import (
    CardRemoved,
    ConfigError,
    NoCard,
    NoReader,
    ReaderTimeout,
)
from kiosk.ports import CardEvent, CardEventKind, DeviceHealth, SimCard

log = logging.getLogger(__name__)

READER_NAME = "Simulated SIM reader 00"


@dataclass(frozen=True)
class TestSim:
    """A named card for the demo panel: a profile plus how the card behaves."""

    profile: str
    options: CardOptions = field(default_factory=CardOptions)
    label: str = ""


#: The cards the demo panel offers, by name.
TEST_SIMS: dict[str, TestSim] = {
    "T-Mobile": TestSim("tmobile", label="T-Mobile prepaid"),
    "AT&T": TestSim("att", label="AT&T PREPAID"),
    "Verizon": TestSim("verizon", label="Verizon prepaid"),
    "Mint Mobile (MVNO on T-Mobile)": TestSim("mint", label="MVNO identified by GID1"),
    "Unknown MVNO on AT&T": TestSim("mvno-unknown", label="only the host network is known"),
    "T-Mobile, PIN enabled": TestSim("tmobile", CardOptions(pin_enabled=True)),
    "Old GSM SIM (AT&T)": TestSim("att", CardOptions(mode=Mode.GSM)),
    "Foreign SIM": TestSim("foreign", label="carrier unknown"),
    "Unreadable card": TestSim("tmobile", CardOptions(fault=Fault.GARBAGE)),
    "Damaged ICCID": TestSim("att", CardOptions(fault=Fault.NONBCD)),
}


class SimulatedCardReader:
    """``CardReader`` with one virtual slot; safe to drive from any thread."""

    def __init__(self, settings: ReaderSection, carriers: CarrierTable | None = None) -> None:
        self.settings = settings
        self.carriers = carriers or CarrierTable.load_default()
        self._cond = threading.Condition()
        self._card: VirtualSim | None = None
        self._generation = 0  # bumps on every insert and pull
        self._delay_s = 0.0
        self._pull_after: int | None = None
        self._unplugged = False
        self._listeners: list[Callable[[CardEvent], None]] = []
        self._watches: list[_SimulatedWatch] = []
        self._closed = False
        if settings.simulated_card:
            self.insert(settings.simulated_card)

    # ------------------------------------------------------------------ control API (demo panel)

    def profiles(self) -> list[str]:
        return list(TEST_SIMS)

    def insert(self, profile_name: str) -> None:
        """Insert the named test SIM (pulling any card already in the slot)."""
        try:
            spec = TEST_SIMS[profile_name]
        except KeyError as exc:
            raise ConfigError(f"unknown test SIM {profile_name!r}; known: "
                              + ", ".join(TEST_SIMS)) from exc
        sim = VirtualSim(PROFILES[spec.profile], spec.options)
        if self._card is not None:
            self.pull()
        with self._cond:
            self._card = sim
            self._generation += 1
            self._cond.notify_all()
        self._notify(CardEvent(CardEventKind.INSERTED, READER_NAME, sim.atr.hex().upper()))

    def pull(self) -> None:
        """Remove the card (a read in progress fails with ``CardRemoved``)."""
        with self._cond:
            had = self._card is not None
            self._card = None
            self._generation += 1
            self._cond.notify_all()
        if had:
            self._notify(CardEvent(CardEventKind.REMOVED, READER_NAME))

    def set_delay(self, seconds: float) -> None:
        """Fault injection: the card takes ``seconds`` to answer each command."""
        with self._cond:
            self._delay_s = max(0.0, seconds)

    def pull_after(self, commands: int | None) -> None:
        """Fault injection: pull the card when it receives command ``commands + 1``."""
        with self._cond:
            self._pull_after = commands

    def unplug(self, unplugged: bool = True) -> None:
        """Fault injection: the reader disappears (``NoReader``) or comes back."""
        with self._cond:
            self._unplugged = unplugged
        kind = CardEventKind.READER_REMOVED if unplugged else CardEventKind.READER_ADDED
        self._notify(CardEvent(kind, READER_NAME))

    # ------------------------------------------------------------------ port

    def readers(self) -> list[str]:
        return [] if self._unplugged else [READER_NAME]

    def read(self, timeout_s: float) -> SimCard:
        if self._unplugged:
            raise NoReader("the simulated reader is unplugged")
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._card is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    raise NoCard("no card inserted within the timeout")
                self._cond.wait(remaining)
            card, generation = self._card, self._generation
        card.reset()
        card.commands = 0
        return read_sim(lambda apdu: self._transmit(card, generation, apdu),
                        atr=card.atr.hex().upper(), reader=READER_NAME, carriers=self.carriers)

    def _transmit(self, card: VirtualSim, generation: int, command: bytes) -> bytes:
        step = self.settings.apdu_timeout_s
        with self._cond:
            delay, pull_after = self._delay_s, self._pull_after
        if pull_after is not None and card.commands >= pull_after:
            self.pull()
        with self._cond:
            end = time.monotonic() + min(delay, step)
            while self._generation == generation and (left := end - time.monotonic()) > 0:
                self._cond.wait(left)
            if self._generation != generation:
                raise CardRemoved("the card was removed during the read")
        if delay > step:
            raise ReaderTimeout(f"APDU {command[:2].hex().upper()}: no answer within {step} s")
        return card.process(command)

    def watch(self, on_event: Callable[[CardEvent], None]) -> _SimulatedWatch:
        w = _SimulatedWatch(self, on_event)
        with self._cond:
            self._watches.append(w)
            if self._card is not None and not self._unplugged:  # in the slot before the watch
                w.post(CardEvent(CardEventKind.PRESENT, READER_NAME, self._card.atr.hex().upper()))
        return w

    def health(self) -> DeviceHealth:
        if self._unplugged:
            return DeviceHealth("reader", False, "simulated reader unplugged", "plug it back in")
        state = "card present" if self._card is not None else "no card"
        return DeviceHealth("reader", True, f"{READER_NAME} ({state})")

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            watches = list(self._watches)
            self._cond.notify_all()
        for w in watches:
            w.close()

    def __enter__(self) -> SimulatedCardReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ events

    def _notify(self, event: CardEvent) -> None:
        with self._cond:
            watches = list(self._watches)
        for w in watches:
            w.post(event)

    def _forget(self, watch: _SimulatedWatch) -> None:
        with self._cond:
            if watch in self._watches:
                self._watches.remove(watch)


class _SimulatedWatch:
    """Delivers events on its own thread, like the PC/SC watch, so handlers never run
    on the thread that called ``insert``/``pull`` (the GUI thread in the demo)."""

    def __init__(self, reader: SimulatedCardReader, on_event: Callable[[CardEvent], None]) -> None:
        self._reader = reader
        self._on_event = on_event
        self._events: list[CardEvent | None] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="simulated-watch", daemon=True)
        self._thread.start()

    def post(self, event: CardEvent | None) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._events:
                    self._cond.wait()
                event = self._events.pop(0)
            if event is None:
                return
            try:
                self._on_event(event)
            except Exception:
                log.exception("card event handler failed for %s", event)

    def close(self) -> None:
        self._reader._forget(self)
        if self._thread.is_alive():
            self.post(None)
            if threading.current_thread() is not self._thread:
                self._thread.join(2.0)

    def __enter__(self) -> _SimulatedWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["READER_NAME", "TEST_SIMS", "SimulatedCardReader", "TestSim"]
