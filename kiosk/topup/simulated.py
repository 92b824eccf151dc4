"""Embedded top-up provider for demo mode and tests.

It behaves like a conforming backend (docs/upstream-api.md): at most one
top-up per key, the key recorded as ``pending`` on receipt before anything is
performed, ``failed`` only when definite, and ``status`` of an unknown key is a
fence (the key is voided so a late submit performs nothing).

Its own records are a JSON-lines file in ``<data_dir>/topup-sim/records.jsonl``
(appended and fsync'd under a file lock; the last line per key wins): that
file is the provider's truth, which crash tests compare against the
terminal's journal. Each process keeps an index of it (key → latest record)
and reads only what other processes appended since (the file's tail), so a
submit or status costs the same after 20,000 sales as on an empty file. A
pending record names the outcome it will settle to and when (``will``,
``resolve_at``), so a top-up whose process was killed mid-way still settles,
as a real provider's back office would.

Faults come from ``<data_dir>/topup-sim/control.json`` (so a test can steer a
``kiosk`` subprocess) or :meth:`SimulatedProvider.set_control`:

``mode``: ``ok`` | ``fail`` (definite failure of ``failure_kind``) |
``unknown`` (performs, or not when ``perform`` is false, but answers
``failed``/``unknown``) | ``pending`` (answers ``pending``; settles after
``hang_s``) | ``hang`` (records pending, then blocks ``hang_s`` before
answering) | ``lost`` (the request never arrives: nothing recorded, raises
``UpstreamUnavailable``) | ``unreachable`` (same, at connect time; the catalog
is unreachable too).
``status_mode``: ``ok`` | ``unreachable`` | ``pending`` (always answers pending).
``lookup_mode``: ``ok`` | ``unreachable``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.errors import ConfigError, UpstreamUnavailable
from kiosk.ports import (
    Account,
    DeviceHealth,
    FailureKind,
    Plan,
    TopUpResult,
    TopUpStatus,
)
from kiosk.topup import KeyConflict, demo_catalog, valid_msisdn

log = logging.getLogger(__name__)

SIM_DIR = "topup-sim"
RECORDS_FILE = "records.jsonl"
CONTROL_FILE = "control.json"
MODES = ("ok", "fail", "unknown", "pending", "hang", "lost", "unreachable")

# Demo SIMs (the virtual/simulated test SIMs' ICCIDs without their Luhn digit).
_DEMO_SIMS: dict[str, tuple[str, str, str]] = {
    "8901260123456789012": ("12025550101", "T-Mobile", "tmo-unl-40"),
    "8901410321098765432": ("12025550102", "AT&T", "att-25"),
    "8914800000123456789": ("12025550103", "Verizon", "vzw-35"),
    "8901260987654321098": ("12025550104", "Mint Mobile", "mint-5gb-15"),
    "890126012345678901": ("12025550105", "T-Mobile", "tmo-10"),
}
_CARRIER_CYCLE = (
    "T-Mobile", "AT&T", "Verizon", "Mint Mobile", "Cricket Wireless", "Metro by T-Mobile", "Visible",
)


@dataclass
class Control:
    """Fault injection for the simulator (see the module docstring)."""

    mode: str = "ok"
    failure_kind: str = FailureKind.TRANSIENT.value
    hang_s: float = 30.0
    perform: bool = True
    status_mode: str = "ok"
    lookup_mode: str = "ok"
    latency_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Control:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        ctl = cls(**{k: v for k, v in data.items() if k in known})
        if ctl.mode not in MODES:
            raise ConfigError(f"topup simulator: unknown mode {ctl.mode!r}")
        FailureKind(ctl.failure_kind)
        return ctl


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


class SimulatedProvider:
    """A :class:`kiosk.ports.TopUpProvider` whose state lives in ``data_dir``."""

    def __init__(self, data_dir: Path, *, control: Control | None = None) -> None:
        self.dir = Path(data_dir) / SIM_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.records_path = self.dir / RECORDS_FILE
        self.control_path = self.dir / CONTROL_FILE
        self._plans = {p.id: p for p in demo_catalog()}
        #: key → (offset, length) of its latest line in records.jsonl, as of ``_offset``: the
        #: records stay on disk (memory does not grow with every sale), a lookup is one pread
        self._index: dict[str, tuple[int, int]] = {}
        self._offset = 0  # bytes of records.jsonl folded into the index
        self._inode: int | None = None
        if control is not None:
            self.set_control(control)

    # ------------------------------------------------------------------ control API

    def set_control(self, control: Control | None = None, **changes: Any) -> Control:
        """Persist the fault settings (visible to every process sharing the data directory)."""
        ctl = control or Control()
        data = {**asdict(ctl), **changes}
        data.pop("extra", None)
        ctl = Control.from_json(data)
        tmp = self.control_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(ctl)), encoding="utf-8")
        os.replace(tmp, self.control_path)
        return ctl

    def control(self) -> Control:
        try:
            data = json.loads(self.control_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Control()
        except (OSError, ValueError) as exc:
            raise ConfigError(f"topup simulator control file is unreadable: {exc}") from exc
        return Control.from_json(data)

    # ------------------------------------------------------------------ the provider's records

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.dir / "records.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _refresh(self) -> None:
        """Fold what was appended since the last call into the index (caller holds the lock).

        Only complete lines are read; a torn last line (its writer was killed) stays
        unread until a later writer closes it off, and is then skipped as garbage.
        """
        try:
            st = os.stat(self.records_path)
        except FileNotFoundError:
            self._index, self._offset, self._inode = {}, 0, None
            return
        if st.st_ino != self._inode or st.st_size < self._offset:  # a new file: start over
            self._index, self._offset, self._inode = {}, 0, st.st_ino
        if st.st_size == self._offset:
            return
        with open(self.records_path, "rb") as fh:
            fh.seek(self._offset)
            tail = fh.read(st.st_size - self._offset)
        end = tail.rfind(b"\n")
        if end < 0:
            return
        at = self._offset
        for line in tail[: end + 1].split(b"\n")[:-1]:
            try:
                rec = json.loads(line)
                self._index[str(rec["key"])] = (at, len(line))
            except (ValueError, KeyError, TypeError):  # a torn append, closed off by the next writer
                log.warning("top-up simulator: skipping a torn record in %s", self.records_path)
            at += len(line) + 1
        self._offset += end + 1

    def _get(self, key: str) -> dict[str, Any] | None:
        """The latest record of ``key`` (caller holds the lock and has refreshed)."""
        where = self._index.get(key)
        if where is None:
            return None
        with open(self.records_path, "rb") as fh:
            fh.seek(where[0])
            rec: dict[str, Any] = json.loads(fh.read(where[1]))
        return rec

    def _append(self, record: dict[str, Any]) -> None:
        """Append one record durably and index it (caller holds the lock and has refreshed)."""
        data = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        with open(self.records_path, "a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # a torn line from a killed writer: close it off
                    fh.write(b"\n")
            start = fh.tell()
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            size, inode = fh.tell(), os.fstat(fh.fileno()).st_ino
        if inode != self._inode or start != self._offset:  # (re)created, or another writer's
            self._refresh()  # lines or a closed-off torn line came first: fold them in order
            return
        self._index[str(record["key"])] = (start, len(data) - 1)
        self._offset = size

    def records(self) -> dict[str, dict[str, Any]]:
        """The latest record per key, as stored (for tests and diagnostics)."""
        with self._locked():
            self._refresh()
            return {key: rec for key in self._index if (rec := self._get(key)) is not None}

    def _settle(self, rec: dict[str, Any]) -> dict[str, Any]:
        """A pending record whose time has come settles to the outcome it named (caller holds the lock)."""
        if rec["status"] != "pending" or rec.get("resolve_at") is None:
            return rec
        if _parse(rec["resolve_at"]) > _now():
            return rec
        final = {**rec, "status": rec["will"], "at": _iso(_now())}
        final.pop("resolve_at", None)
        self._append(final)
        return final

    @staticmethod
    def _result(rec: dict[str, Any]) -> TopUpResult:
        status = TopUpStatus(rec["status"]) if rec["status"] != "void" else TopUpStatus.NOT_FOUND
        kind = rec.get("failure_kind")
        return TopUpResult(
            key=rec["key"],
            status=status,
            failure_kind=FailureKind(kind) if kind and status is TopUpStatus.FAILED else None,
            provider_ref=rec.get("provider_ref") if status is TopUpStatus.SUCCEEDED else None,
            message=rec.get("message", ""),
        )

    # ------------------------------------------------------------------ TopUpProvider

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Account | None:
        ctl = self.control()
        if ctl.lookup_mode == "unreachable":
            raise UpstreamUnavailable("top-up simulator: lookup unreachable (fault injected)")
        if iccid:
            demo = _DEMO_SIMS.get(iccid[:-1])
            if demo is not None:
                number, carrier, plan = demo
                return Account(msisdn=number, carrier=carrier, iccid=iccid, current_plan=plan,
                               expiry=(_now() + dt.timedelta(days=9)).date())
            if not msisdn:
                return None
        if msisdn:
            for number, carrier, plan in _DEMO_SIMS.values():
                if number == msisdn:
                    return Account(msisdn=number, carrier=carrier, iccid=iccid, current_plan=plan)
            if not valid_msisdn(msisdn) or msisdn.endswith("0000"):
                return None
            carrier = _CARRIER_CYCLE[sum(int(c) for c in msisdn) % len(_CARRIER_CYCLE)]
            return Account(msisdn=msisdn, carrier=carrier, iccid=iccid)
        return None

    def catalog(self, carrier: str | None = None) -> list[Plan]:
        if self.control().mode == "unreachable":
            raise UpstreamUnavailable("top-up simulator: catalog unreachable (fault injected)")
        plans = list(self._plans.values())
        if carrier:
            plans = [p for p in plans if p.carrier.casefold() == carrier.casefold()]
        return plans

    def submit(self, key: str, account: Account, plan: Plan) -> TopUpResult:
        ctl = self.control()
        if ctl.latency_s:
            time.sleep(ctl.latency_s)
        if ctl.mode in ("unreachable", "lost"):
            raise UpstreamUnavailable(f"top-up simulator: submit {ctl.mode} (fault injected)")
        body = {"msisdn": account.msisdn, "plan_id": plan.id, "amount_cents": plan.price_cents}
        with self._locked():
            self._refresh()
            existing = self._get(key)
            if existing is not None:
                if existing["status"] == "void":
                    return TopUpResult(key, TopUpStatus.FAILED, FailureKind.TRANSIENT, message="voided")
                if any(existing.get(k) != v for k, v in body.items()):
                    raise KeyConflict(f"top-up key {key} reused with a different body")
                return self._result(self._settle(existing))
            now = _now()
            base = {"key": key, **body, "carrier": account.carrier, "currency": plan.currency,
                    "at": _iso(now), "provider_ref": "SIM-" + hashlib.sha256(key.encode()).hexdigest()[:10].upper()}
            problem = self._validate(account, plan)
            if problem is not None:
                rec = {**base, "status": "failed", "failure_kind": FailureKind.CUSTOMER_FIXABLE.value,
                       "message": problem}
                self._append(rec)
                return self._result(rec)
            if ctl.mode == "fail":
                rec = {**base, "status": "failed", "failure_kind": ctl.failure_kind,
                       "message": f"simulated failure ({ctl.failure_kind})"}
                self._append(rec)
                return self._result(rec)
            will = "succeeded" if (ctl.mode == "ok" or ctl.perform) else "failed"
            delay = ctl.hang_s if ctl.mode in ("hang", "pending") else 0.0
            pending = {**base, "status": "pending", "will": will,
                       "failure_kind": None if will == "succeeded" else FailureKind.TRANSIENT.value,
                       "message": "" if will == "succeeded" else "carrier refused (simulated)",
                       "resolve_at": _iso(now + dt.timedelta(seconds=delay))}
            self._append(pending)  # recorded on receipt, before anything is performed
            if ctl.mode == "pending":
                return self._result(pending)
        if ctl.mode == "hang":
            time.sleep(delay)
        with self._locked():
            self._refresh()
            rec = self._settle(self._get(key) or pending)  # recorded above, never removed
        if ctl.mode == "unknown":
            return TopUpResult(key, TopUpStatus.FAILED, FailureKind.UNKNOWN, message="outcome unknown (simulated)")
        return self._result(rec)

    def status(self, key: str) -> TopUpResult:
        ctl = self.control()
        if ctl.status_mode == "unreachable":
            raise UpstreamUnavailable("top-up simulator: status unreachable (fault injected)")
        with self._locked():
            self._refresh()
            rec = self._get(key)
            if rec is None:  # the fence: a late submit with this key will perform nothing
                rec = {"key": key, "status": "void", "at": _iso(_now())}
                self._append(rec)
            if ctl.status_mode == "pending" and rec["status"] != "void":
                return TopUpResult(key, TopUpStatus.PENDING, message="pending (simulated)")
            return self._result(self._settle(rec))

    def health(self) -> DeviceHealth:
        try:
            ctl = self.control()
        except ConfigError as exc:
            return DeviceHealth("upstream", False, str(exc), "fix or delete the simulator control file")
        ok = ctl.mode in ("ok",) and ctl.status_mode == "ok"
        return DeviceHealth("upstream", ok, f"simulated provider (mode {ctl.mode}, status {ctl.status_mode})",
                            "" if ok else "reset the simulator's fault settings", {"mode": ctl.mode})

    def _validate(self, account: Account, plan: Plan) -> str | None:
        known = self._plans.get(plan.id)
        if known is None:
            return f"unknown plan {plan.id}"
        if not valid_msisdn(account.msisdn):
            return "invalid phone number"
        if known.carrier.casefold() != account.carrier.casefold():
            return f"plan {plan.id} is not available for {account.carrier}"
        if known.price_cents != plan.price_cents or known.currency != plan.currency:
            return "price_changed"
        return None
