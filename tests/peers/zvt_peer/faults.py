"""Faults the peer injects on purpose, set in-process or through a control file.

A fault is a rule ``{"name": ..., "times": N | "always", <params>}``. Each time the terminal reaches
the point the rule names and its parameters match, one ``times`` is used up; a rule without
``times`` fires once. The catalogue, with parameters and defaults, is in the package docstring
(``tests.peers.zvt_peer``); ``FAULTS`` below is the same list in code, so a typo in a rule name is a
clear error rather than a fault that silently never fires.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Points of a command's life where ``silence`` / ``disconnect`` / ``unknown_message`` can strike.
STAGES = (
    "before_ack",  # the command frame arrived; not even the byte-level DLE ACK is sent
    "after_ack",  # DLE ACK sent, but no 80 00 / 84 xx
    "card",  # waiting for the card (after 04 FF "insert card")
    "pin",  # PIN entry
    "host",  # waiting for the host's answer
    "after_booking",  # the booking is journaled, its Status Information 04 0F not yet sent
    "after_status",  # 04 0F sent and answered by the ECR; receipt and Completion not yet sent
    "before_completion",  # receipt sent; Completion 06 0F not yet sent
)

#: name -> default parameters (``stage`` and ``command`` are match keys where listed).
FAULTS: dict[str, dict[str, Any]] = {
    "silence": {"stage": None, "command": None, "seconds": 3600.0},
    "disconnect": {"stage": None, "command": None, "reappear_s": 1.0},
    "completion_lost": {"command": None, "then": "idle", "seconds": 3600.0},
    "crc_error": {},
    "junk": {"data": "FF 00 55 AA"},
    "nak": {},
    "busy": {"command": None, "code": 0xA0},
    "decline": {"command": "0601", "code": 0x05, "layout": "status_then_abort"},
    "pace": {"seconds": 3.0},
    "no_repeat_receipt": {},
    "status_layout": {"layout": "completion_version"},
    "unknown_message": {"stage": "after_booking", "command": None, "kind": "unknown", "apdu": None},
    "abort": {"mode": "honour", "idle_answer": "8000"},
    "register_after_reconnect": {},
}

MATCH_KEYS = ("stage", "command")


class FaultError(ValueError):
    """A fault rule that names an unknown fault, stage or parameter."""


def _norm_command(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).replace(" ", "").upper()
    if len(text) != 4:
        raise FaultError(f"command {value!r} must be CLASS INSTR in hex, e.g. '06 01'")
    int(text, 16)
    return text


def make_rule(name: str, times: int | str | None = 1, **params: Any) -> dict[str, Any]:
    """A validated rule with defaults filled in."""
    if name not in FAULTS:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULTS))}")
    unknown = set(params) - set(FAULTS[name])
    if unknown:
        raise FaultError(f"fault {name!r} has no parameter(s) {sorted(unknown)}")
    if times in (None, "always"):
        left: int | None = None
    else:
        try:
            left = int(times)
        except (TypeError, ValueError) as exc:
            raise FaultError(f"fault {name!r}: times must be a positive number or 'always'") from exc
        if left < 1:
            raise FaultError(f"fault {name!r}: times must be at least 1")
    rule = {**FAULTS[name], **params, "name": name, "times": left}
    if "stage" in FAULTS[name] and rule["stage"] is not None and rule["stage"] not in STAGES:
        raise FaultError(f"fault {name!r}: unknown stage {rule['stage']!r}; stages: {', '.join(STAGES)}")
    if name in ("silence", "disconnect") and rule["stage"] is None:
        raise FaultError(f"fault {name!r} needs a stage: {', '.join(STAGES)}")
    if "command" in rule:
        rule["command"] = _norm_command(rule["command"])
    return rule


class Faults:
    """The active rules. Thread-safe; every change bumps ``generation`` (it ends a silence)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []
        self.generation = 0
        self.fired: list[dict[str, Any]] = []

    def add(self, name: str, times: int | str | None = 1, **params: Any) -> None:
        rule = make_rule(name, times, **params)
        with self._lock:
            self._rules.append(rule)
            self.generation += 1

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            self._rules = [r for r in self._rules if name is not None and r["name"] != name]
            self.generation += 1

    def replace(self, rules: Iterable[Mapping[str, Any]]) -> None:
        built = []
        for raw in rules:
            spec = dict(raw)
            name = spec.pop("name", None)
            if not isinstance(name, str):
                raise FaultError(f"fault rule {raw!r} has no name")
            times = spec.pop("times", 1)
            built.append(make_rule(name, times, **spec))
        with self._lock:
            self._rules = built
            self.generation += 1

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._rules]

    def take(self, name: str, **match: Any) -> dict[str, Any] | None:
        """The first matching rule's parameters, using up one ``times``; None when none matches."""
        if "command" in match:
            match["command"] = _norm_command(match["command"])
        with self._lock:
            for rule in self._rules:
                if rule["name"] != name:
                    continue
                if any(rule.get(k) is not None and rule.get(k) != v for k, v in match.items() if k in MATCH_KEYS):
                    continue
                if rule["times"] is not None:
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self._rules.remove(rule)
                fired = dict(rule)
                self.fired.append({**fired, **{k: v for k, v in match.items() if k in MATCH_KEYS}})
                return fired
        return None


class ControlFile:
    """A JSON file ``{"faults": [rule, ...], "settings": {...}}`` re-read whenever its mtime changes.

    The file states the whole wanted fault set: writing it replaces the rules (and so restarts their
    counts). A file that cannot be read or parsed is reported on stderr and the previous state kept.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None

    def poll(self) -> dict[str, Any] | None:
        """The new content when the file changed since the last poll, else None."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        key = (st.st_mtime_ns, st.st_size)
        if key == self._seen:
            return None
        self._seen = key
        try:
            content = json.loads(self.path.read_text() or "{}")
        except (OSError, json.JSONDecodeError) as exc:
            print(f"zvt_peer: control file {self.path} ignored: {exc}", file=sys.stderr)
            return None
        if not isinstance(content, dict):
            print(f"zvt_peer: control file {self.path} ignored: not a JSON object", file=sys.stderr)
            return None
        return content


def write_control(
    path: str | os.PathLike[str],
    faults: Iterable[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
) -> None:
    """Write a control file atomically (validated first), so the peer never reads half of it."""
    rules = [dict(r) for r in faults]
    Faults().replace(rules)  # raises FaultError on a bad rule, here rather than in the peer
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps({"faults": rules, "settings": dict(settings or {})}))
    os.replace(tmp, target)
