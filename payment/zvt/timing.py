"""How long the driver waits: configuration, the terminal's measured pace, and bounds.

Every wait in the driver is one of the functions below, of :class:`Timing` (from
``[terminal]``: T3 = ``ack_timeout_s``, T4 = ``master_timeout_s``) and the
terminal's *pace*: how long it takes to produce its next message when no human
is involved (measured, see :class:`Pace`). A terminal that answers every 3 s
gets waits three seconds longer per message than one that answers at once,
instead of failing a fixed deadline.

The rules, in words:

* a silence while the customer may be acting (card, PIN, host) may last T4;
* any other silence (registration, status enquiry, repeat receipt, the rest of
  an operation once the terminal has sent its final status information) may
  last two messages at the measured pace, at least T3;
* once the final status information (04 0F with a result code) has arrived, the
  operation settles on it after at most ``settle_silence_s`` of silence, a
  dropped link or an undecodable message, and at most ``settle_cap_s`` after it;
* "busy" answers are retried for ``busy_window_s``;
* after an abort (06 B0) the terminal gets ``abort_grace_s`` to end the command,
  then the link is dropped (the next command registers again).

The documented bounds (docs/zvt.md, fault matrix) are computed by these same
functions; nothing here does I/O.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

#: Operations whose customer phase may be silent for T4 (card, PIN, the host).
INTERACTIVE = frozenset({"authorize", "reserve", "refund", "reverse", "book_total", "release",
                         "end_of_day", "diagnose"})

#: Messages after the first answer, before any learning: registration (06 0F),
#: status (06 0F), repeat receipt (04 0F, receipt, 06 0F), log-off (none).
EXPECTED_MESSAGES = {"register": 1, "status": 1, "last_result": 3, "log_off": 0}

#: Extra time a caller waits beyond the driver's own budget.
CALLER_MARGIN_S = 2.0


@dataclass(frozen=True)
class Timing:
    """Time constants; ``from_settings`` for production, smaller ones in tests."""

    ack_s: float = 5.0  # T3: wait for a byte ACK; floor of every other short wait
    master_s: float = 180.0  # T4: silence while the customer may be acting
    overhead_s: float = 0.5  # per message on top of the pace (transfer, our own work)
    settle_max_s: float = 8.0  # silence after the final status never waits longer
    settle_cap_s: float = 10.0  # the rest of a money operation after its final status
    busy_window_s: float = 10.0  # "busy" answers retried this long before refusing
    abort_max_s: float = 10.0  # grace after 06 B0 never longer than this
    close_s: float = 5.0  # close() returns within this, whatever the terminal does
    status_cap_s: float = 7.0  # a status enquiry answers within this (the CLI: 10 s with start-up)
    tries: int = 3  # sends of one frame (PA00P016)

    @classmethod
    def from_settings(cls, settings: object) -> Timing:
        return cls(ack_s=float(getattr(settings, "ack_timeout_s", 5.0)),
                   master_s=float(getattr(settings, "master_timeout_s", 180.0)))

    # ------------------------------------------------------------------ single waits

    def message_s(self, pace: float) -> float:
        """One message of the terminal at ``pace``."""
        return max(0.0, pace) + self.overhead_s

    def first_answer_s(self, pace: float) -> float:
        """Command ACKed -> the terminal's first answer (80 00, 84 xx or a message)."""
        return max(self.ack_s, 2 * self.message_s(pace))

    def quick_silence_s(self, pace: float) -> float:
        """Longest silence when no human is involved."""
        return max(self.ack_s, 2 * self.message_s(pace))

    def settle_silence_s(self, pace: float) -> float:
        """Silence after the final status information that settles the operation."""
        return min(self.settle_max_s, max(self.ack_s, 2 * self.message_s(pace)))

    def abort_grace_s(self, pace: float) -> float:
        """After 06 B0: time the terminal gets to end the command before the link is dropped."""
        return min(self.abort_max_s, max(self.ack_s, 2 * self.message_s(pace)))

    def send_s(self) -> float:
        """A frame the terminal never acknowledges: every try waits T3."""
        return self.tries * self.ack_s

    def connect_s(self) -> float:
        """Opening the port (retried, so a cable plugged back in is picked up)."""
        return max(self.ack_s, 1.0) + 0.5

    def quiet_cap_s(self, pace: float) -> float:
        """Longest wait for the line to fall silent after a command abandoned while the terminal
        was master: one quiet interval, plus the rest a terminal may still send."""
        return self.quick_silence_s(pace) + self.settle_cap_s

    def busy_s(self, pace: float) -> float:
        return self.busy_window_s + self.first_answer_s(pace)

    def abort_bound_s(self, pace: float) -> float:
        """From ``abort()`` to the operation's end: the first answer may still be due (06 B0
        may only be sent while the terminal is master), then the grace, then the link drop."""
        return self.first_answer_s(pace) + self.abort_grace_s(pace) + 0.5

    # ------------------------------------------------------------------ whole operations

    def command_s(self, pace: float, messages: int) -> float:
        """One non-interactive command: its frame, its first answer, ``messages`` more."""
        return self.send_s() + self.first_answer_s(pace) + messages * self.quick_silence_s(pace)

    def register_s(self, pace: float) -> float:
        return self.connect_s() + self.busy_s(pace) + self.command_s(pace, EXPECTED_MESSAGES["register"])

    def budget_s(self, operation: str, pace: float, *, messages: int | None = None,
                 probe: bool = False, quiet: bool = False) -> float:
        """The driver's own limit for ``operation``, registration included.

        ``messages`` overrides the expected message count (the driver learns it);
        ``probe`` adds the repeat-receipt probe that follows a first registration;
        ``quiet`` the wait for the line to fall silent before it (:meth:`quiet_cap_s`).
        """
        if operation == "abort":
            return self.abort_bound_s(pace)
        if operation == "close":
            return self.close_s
        base = self.register_s(pace)
        if quiet:
            base += self.quiet_cap_s(pace)
        if probe:
            base += self.command_s(pace, EXPECTED_MESSAGES["last_result"])
        if operation == "register":
            return base
        if operation == "status":
            return min(self.status_cap_s, self.connect_s() + self.command_s(
                pace, messages if messages is not None else EXPECTED_MESSAGES["status"]))
        if operation in INTERACTIVE:
            return (base + self.busy_s(pace) + self.send_s() + self.first_answer_s(pace)
                    + 2 * self.master_s + self.settle_cap_s)
        n = messages if messages is not None else EXPECTED_MESSAGES.get(operation, 3)
        return base + self.busy_s(pace) + self.command_s(pace, n)

    def deadline_s(self, operation: str, pace: float, *, messages: int | None = None,
                   probe: bool = False, quiet: bool = False) -> float:
        """What a caller should wait: the driver's budget, then its abort, plus a margin."""
        if operation in ("abort", "close"):
            return self.budget_s(operation, pace) + CALLER_MARGIN_S
        return (self.budget_s(operation, pace, messages=messages, probe=probe, quiet=quiet)
                + self.abort_bound_s(pace) + CALLER_MARGIN_S)


class Pace:
    """The terminal's pace: the upper quartile of its last 8 answer times (seconds).

    Samples are answer times with no human involved: the first answer to every
    command, and the gaps in registration, status enquiry, repeat receipt and
    after a final status information. A terminal that is slow every time is
    measured as slow; one odd slow answer (a host call, an automatic end of
    day) does not stretch every wait after it. Thread-safe.
    """

    def __init__(self, window: int = 8, *, ceiling_s: float = 60.0) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self._ceiling = ceiling_s
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(min(max(0.0, seconds), self._ceiling))

    @property
    def value(self) -> float:
        with self._lock:
            ordered = sorted(self._samples)
        if not ordered:
            return 0.0
        return ordered[-(-3 * (len(ordered) - 1) // 4)]  # ceil(0.75 (n - 1))

    def __len__(self) -> int:
        with self._lock:
            return len(self._samples)
