"""An independent, fault-injecting peer for the upstream top-up API (``docs/upstream-api.md``).

Written from ``docs/upstream-api.md`` and the signature v2 specification only, without looking at
our client (``kiosk/topup``, ``kiosk/sync``) or our server (``backend/``): when our client and our
simulators were written by the same hands they agreed with each other and a reply for another
top-up key was accepted as ours. This peer is a real HTTP server (standard library
``http.server``) that keeps the document's rules and breaks everything else on request.

Routes
------
``POST /v1/lookup``, ``GET /v1/catalog[?carrier=]``, ``POST /v1/topups``, ``GET /v1/topups/{key}``
as documented, plus ``POST /v1/kiosks/{id}/events`` (body ``{"events": [{"seq": N, "hash": H,
...}, ...]}`` or a bare list; acked minimally with ``{"acked_through": <highest seq>,
"acked_hash": <its hash>}``, ``null`` for both before any event; the same seq sent again with
another hash answers ``409 event_conflict``) and ``POST /v1/kiosks/{id}/heartbeat`` (any JSON
object; answers ``{"ok": true, "server_time": "...Z"}``). Anything else: ``404 not_found``.

The document's rules this peer keeps
------------------------------------
* At most once per key: a key already known answers ``200`` and the record as it stands; the
  same key with another ``msisdn``, ``plan_id`` or ``amount_cents`` answers ``409 key_conflict``
  and performs nothing (``conflict_on="body"`` compares every documented field instead).
* Recorded on receipt: a ``received`` line is fsync'd to the journal before the "carrier" is
  called, so ``GET`` answers pending/succeeded/failed from then on, even across a restart.
* ``failed`` is definite (never performed); ``failed``/``unknown`` is interim like ``pending``.
* Price check: ``amount_cents``/``currency`` must equal the plan's price, else ``failed``,
  ``customer_fixable``, message ``price_changed``. An unknown ``plan_id`` fails
  ``customer_fixable`` ``unknown_plan``; a plan of another carrier than the request's (or than
  the known account's) fails ``customer_fixable`` ``plan_not_allowed``. Nothing is performed.
* Fence: ``GET`` of an unknown key answers ``not_found`` and voids the key (journaled); a later
  ``POST`` with it answers ``200`` ``{"status": "failed", "failure_kind": "transient",
  "message": "voided"}`` and performs nothing; ``GET`` keeps answering ``not_found``.
* Status codes: ``201`` for a new record that is already definite, ``202`` for a new record still
  in progress (``pending`` or ``failed``/``unknown``), ``200`` for a known key.
* Malformed bodies answer ``400 bad_request`` naming the field; every error body is
  ``{"error": CODE, "message": TEXT}``.

Authentication (``verify=``)
----------------------------
``"none"``: headers ignored. ``"v1"``: ``X-Signature`` = lower-case hex HMAC-SHA256(secret,
``X-Timestamp + "\\n" + body``). ``"v2"``: ``X-Signature: v2:<hex>`` over ``METHOD\\nPATH\\nQUERY\\n
X-Timestamp\\nX-Nonce\\nhex(SHA-256(body))``; QUERY = the decoded parameters sorted by name then
value (code-point order), each RFC 3986 percent-encoded (unreserved ``A-Za-z0-9-._~`` kept,
UTF-8, upper-case hex), ``name=value`` joined by ``&``; PATH is the path exactly as on the request
line. ``X-Nonce`` must be 32 lower-case hex characters and is accepted once per kiosk (reuse
→ ``401 replayed``). Both: wrong ``X-Kiosk-Id`` → ``401 unknown_kiosk``; wrong signature →
``401 bad_signature``; a timestamp malformed or more than 5 minutes from the peer's clock
(``clock_offset_s`` shifts that clock) → ``401 stale_timestamp``. With verification on, a
top-up whose ``kiosk_id`` differs from ``X-Kiosk-Id`` answers ``400 bad_request``, and an
events/heartbeat path for another kiosk answers ``401 unknown_kiosk``.

Faults
------
A :class:`Fault` applies to one route selector: ``lookup``, ``catalog``, ``topups.post``,
``topups.get``, ``topups`` (both), ``events``, ``heartbeat`` or ``*``; optionally only to one
top-up ``key``; ``times=1`` (default), ``N``, or ``None``/``"always"``. For each request the peer
takes the first matching fault that has a *carrier outcome* and the first that has a *reply
effect* (often the same fault) and uses each up once.

Reply effects, applied at ``stage="before"`` (the request is not processed: nothing recorded,
nothing performed, no fence) or ``stage="after"`` (default: processed, then the reply replaced):

* ``delay_s=N``: wait N seconds at that stage (a late reply; alone, or before the ``reply``).
  Stopping the peer cuts the wait short and drops the connection.
* ``reply="drop"``: close the connection without an answer; ``drop_mode="fin"`` (default) or
  ``"rst"`` (connection reset).
* ``reply="status"``: answer ``status`` (default 500; 502/503 too) with an error body
  (``body`` overrides it, ``content_type`` too, e.g. an HTML proxy page).
* ``reply="other_key"``: a top-up record for ANOTHER key: the latest other record the peer holds,
  else an invented one with ``other_status`` (default ``succeeded``) under a fresh UUID.
* ``reply="duplicate"``: the request is processed twice concurrently (as if delivered twice);
  the answer is the one that found the key already known. Perform-once still holds.
* ``reply="body"``: ``body`` verbatim (a ``str`` is sent as is, anything else as JSON) with
  ``status`` (default the normal one) and ``content_type``.
* ``reply="garbage"`` with ``garbage=``: ``not_json``, ``html`` (an HTML page, text/html),
  ``empty``, ``truncated`` (the first half of the JSON, honest Content-Length), ``short_read``
  (Content-Length of the whole, half sent, connection closed), ``list`` (the reply wrapped in a
  JSON list), ``wrong_shape`` (lookup ``{"found": true, "account": "x"}``, catalog
  ``{"plans": "x"}``, top-ups ``{"record": {...}}``, events ``{"acked": true}``, heartbeat
  ``"ok"``), ``wrong_types`` (every value of another JSON type), ``string_numbers`` (every
  integer as a string; a top-up record has none), ``bad_values`` (right types, values outside
  the document: status ``"done"``, price ``-100``, currency ``"usd"``, ...), ``extra_fields``
  (unknown fields added everywhere: a tolerant client accepts them), ``missing_fields``
  (``fields`` removed at any depth; default per route: status, carrier, price_cents,
  acked_through, ok), ``mismatch`` (top-ups: the record carries ``msisdn``/``plan_id``/
  ``amount_cents``/``currency`` (or just ``fields``) differing from the request; lookup: the
  account is for another msisdn/iccid than the one asked). The HTTP status is the normal one
  unless ``status`` is set. At ``stage="before"`` the template is the record as it stands, or a
  ``pending`` record for an unknown key, so garbage never claims an unperformed success.

Carrier outcomes (``topups.post`` only; the default is an immediate success):

* ``outcome="fail", kind=K``: ``failed`` with ``failure_kind`` K (``customer_fixable``,
  ``transient``, ``out_of_service``; ``unknown`` is interim, see below) and ``message``.
* ``outcome="pending", pending_s=N, then="succeeded"|"failed", then_kind=K, interim=
  "pending"|"unknown"``: the record stays ``pending`` (or ``failed``/``unknown``) for N seconds
  (wall clock, survives a restart), then becomes ``then``; ``pending_s=None`` waits for
  :meth:`UpstreamPeer.resolve`. ``outcome="fail", kind="unknown"`` is the same with
  ``interim="unknown"``.
* ``carrier_delay_s`` (peer setting): how long the carrier call takes after the key is recorded.

Control
-------
In process: ``peer.set_faults(Fault(...), ...)`` (replaces), ``peer.add_faults(...)``,
``peer.clear_faults()``, ``peer.resolve(key, "succeeded")``, ``peer.clock_offset_s = -600``.
From another process: the control file (``control=`` / ``--control``) is checked on every
request and reloaded when its mtime, size or inode changed; write it with :func:`write_control`
(atomic). Format: ``{"faults": [Fault.to_json(), ...], "clock_offset_s": 0,
"carrier_delay_s": 0}`` (every key optional; ``faults`` replaces the list and its counters; the
file missing means no faults). A bad file is refused whole (the previous settings stay) and
reported in ``peer.control_errors`` and, from the command line, as a JSON line on stderr.

Inspection: ``peer.calls`` (every request: route, key, status or None when dropped, fault used),
``peer.calls_to(route)``, ``peer.records()``, ``peer.voided()``, ``peer.faults_left()``,
``peer.kiosk_events``, ``peer.heartbeats``. A request the peer itself fails on answers
``500 peer_bug`` and makes the ``with`` block raise :class:`PeerInvariantError` at its end.

Example::

    with UpstreamPeer(tmp_path / "peer.jsonl", verify="v2", secret=secret) as peer:
        peer.set_faults(Fault("topups.post", reply="drop", stage="after"),        # performed, no reply
                        Fault("topups.get", reply="status", status=503, times=2))  # then 2 x 503
        ...  # run the kiosk against peer.url
    assert_money_consistent(tmp_path / "peer.jsonl", standing_charges_from_the_ledger)

Journal and assertions
----------------------
The journal (JSON lines, each fsync'd) holds ``received``, ``status``, ``performed`` and
``voided`` events; a restarted peer replays it (schedules included; a top-up cut off by a stop in
the middle of its carrier call stays ``pending`` until :meth:`UpstreamPeer.resolve`).
:func:`performed_topups` gives every performed top-up (raising :class:`PeerInvariantError` if a
key was performed twice), :func:`topup_states` every key's last state, :func:`money_violations`
and :func:`assert_money_consistent` compare them with the kiosk's standing charges.

Command line
------------
``python -m tests.peers.upstream_peer --port 0 --journal FILE --control FILE [--secret-file F
--kiosk-id ID --verify v1|v2] [--catalog FILE] [--carrier-delay S]`` prints
``{"event": "ready", "url": ..., "pid": ...}`` and runs until SIGTERM (exit 0; 1 if the peer failed
internally; 2 for a bad argument). The secret file's content, surrounding whitespace stripped, is
the HMAC key. The catalog file
is ``{"version": ..., "plans": [...], "accounts": [...]}`` (``accounts`` optional: the SIMs and
numbers lookup knows). :class:`PeerProcess` runs it from a test.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import hmac
import json
import logging
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote

log = logging.getLogger("tests.peers.upstream")

REPO_ROOT = Path(__file__).resolve().parents[2]

ROUTES = ("lookup", "catalog", "topups.post", "topups.get", "events", "heartbeat")
ROUTE_SELECTORS = (*ROUTES, "topups", "*")
REPLIES = ("drop", "status", "other_key", "duplicate", "body", "garbage")
GARBAGE = (
    "not_json", "html", "empty", "truncated", "short_read", "list", "wrong_shape", "wrong_types",
    "string_numbers", "bad_values", "extra_fields", "missing_fields", "mismatch",
)
OUTCOMES = ("succeed", "fail", "pending")
FAILURE_KINDS = ("customer_fixable", "transient", "out_of_service", "unknown")
DEFINITE_KINDS = ("customer_fixable", "transient", "out_of_service")
VERIFY_MODES = ("none", "v1", "v2")
CONFLICT_FIELDS = ("msisdn", "plan_id", "amount_cents")
BODY_FIELDS = ("key", "msisdn", "carrier", "iccid", "plan_id", "amount_cents", "currency", "kiosk_id")
MAX_SKEW_S = 300.0
NONCE_KEEP_S = 2 * MAX_SKEW_S + 60.0
MAX_BODY = 1 << 20

_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_NONCE_RE = re.compile(r"[0-9a-f]{32}")
_MSISDN_RE = re.compile(r"[1-9]\d{6,14}")
_ICCID_RE = re.compile(r"\d{18,22}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_KIOSK_ROUTE_RE = re.compile(r"/v1/kiosks/([^/]+)/(events|heartbeat)")
_TOPUP_GET_RE = re.compile(r"/v1/topups/([^/]+)")

_DEFAULT_MESSAGES = {
    "customer_fixable": "number not eligible for this plan",
    "transient": "carrier busy, try again later",
    "out_of_service": "carrier unavailable",
    "unknown": "outcome not known yet",
}
_STATUS_ERRORS = {500: "internal_error", 502: "bad_gateway", 503: "unavailable", 504: "gateway_timeout"}

DEFAULT_CATALOG: dict[str, Any] = {
    "version": "2025-07-01T00:00:00Z",
    "plans": [
        {"id": "tmo-unl-50", "carrier": "T-Mobile", "name": "Unlimited 30 days", "price_cents": 5000,
         "currency": "USD", "validity_days": 30, "benefits": ["Unlimited talk & text", "Unlimited data"],
         "i18n": {"zh_CN": {"name": "无限流量 30 天", "benefits": ["无限通话和短信", "无限流量"]},
                  "es": {"name": "Ilimitado 30 días"}}},
        {"id": "tmo-basic-25", "carrier": "T-Mobile", "name": "Basic 30 days", "price_cents": 2500,
         "currency": "USD", "validity_days": 30, "benefits": ["Unlimited talk & text", "5 GB data"]},
        {"id": "vz-unl-65", "carrier": "Verizon", "name": "Unlimited Plus 30 days", "price_cents": 6500,
         "currency": "USD", "validity_days": 30, "benefits": ["Unlimited talk & text", "Unlimited 5G data"]},
        {"id": "att-15gb-40", "carrier": "AT&T", "name": "15 GB 30 days", "price_cents": 4000,
         "currency": "USD", "validity_days": 30, "benefits": ["Unlimited talk & text", "15 GB data"]},
    ],
    "accounts": [
        {"msisdn": "12025550123", "carrier": "T-Mobile", "iccid": "8901260123456789012",
         "current_plan": "tmo-unl-50", "expiry": "2025-08-01"},
        {"msisdn": "12025550199", "carrier": "Verizon", "iccid": "8914800000123456789",
         "current_plan": None, "expiry": None},
        {"msisdn": "13105550142", "carrier": "AT&T", "iccid": None,
         "current_plan": "att-15gb-40", "expiry": "2025-07-15"},
    ],
}


class PeerConfigError(ValueError):
    """A fault, control file, catalog or setting the peer cannot use (the message says which)."""


class PeerInvariantError(AssertionError):
    """The peer itself broke a rule (performed a key twice, crashed on a request)."""


def utc_now_iso(at: float | None = None) -> str:
    moment = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One misbehaviour; see the module docstring for every field."""

    route: str
    times: int | None = 1
    key: str | None = None
    stage: str = "after"
    delay_s: float = 0.0
    reply: str | None = None
    status: int | None = None
    garbage: str | None = None
    fields: tuple[str, ...] = ()
    body: Any = None
    content_type: str = "application/json"
    drop_mode: str = "fin"
    other_status: str = "succeeded"
    outcome: str | None = None
    kind: str = "transient"
    message: str | None = None
    pending_s: float | None = None
    then: str = "succeeded"
    then_kind: str = "transient"
    interim: str = "pending"

    def __post_init__(self) -> None:
        self.fields = tuple(self.fields)
        problems = list(self._problems())
        if problems:
            raise PeerConfigError(f"fault {self.describe()}: " + "; ".join(problems))

    def _problems(self) -> Iterator[str]:
        if self.route not in ROUTE_SELECTORS:
            yield f"route {self.route!r} is not one of {', '.join(ROUTE_SELECTORS)}"
        if self.times is not None and (not isinstance(self.times, int) or isinstance(self.times, bool)
                                       or self.times < 1):
            yield f"times must be a positive integer or None (always), not {self.times!r}"
        if self.stage not in ("before", "after"):
            yield f"stage must be 'before' or 'after', not {self.stage!r}"
        if not isinstance(self.delay_s, int | float) or self.delay_s < 0:
            yield f"delay_s must be a number >= 0, not {self.delay_s!r}"
        if self.reply is not None and self.reply not in REPLIES:
            yield f"reply {self.reply!r} is not one of {', '.join(REPLIES)}"
        if self.status is not None and (not isinstance(self.status, int) or not 100 <= self.status <= 599):
            yield f"status must be an HTTP status code, not {self.status!r}"
        if self.reply == "garbage" and self.garbage not in GARBAGE:
            yield f"garbage {self.garbage!r} is not one of {', '.join(GARBAGE)}"
        if self.reply != "garbage" and self.garbage is not None:
            yield "garbage is only used with reply='garbage'"
        if self.drop_mode not in ("fin", "rst"):
            yield f"drop_mode must be 'fin' or 'rst', not {self.drop_mode!r}"
        if self.other_status not in ("pending", "succeeded", "failed"):
            yield f"other_status must be pending, succeeded or failed, not {self.other_status!r}"
        topups_only = self.reply == "other_key" or (self.reply == "garbage" and self.garbage == "mismatch")
        allowed = ("topups.post", "topups.get", "topups", "*", *(("lookup",) if self.reply == "garbage" else ()))
        if topups_only and self.route not in allowed:
            yield f"{self.reply}/{self.garbage or ''} makes no sense on route {self.route!r}"
        if self.reply == "duplicate" and self.stage != "after":
            yield "reply='duplicate' is processing, so it has no 'before' stage"
        if self.outcome is not None:
            if self.outcome not in OUTCOMES:
                yield f"outcome {self.outcome!r} is not one of {', '.join(OUTCOMES)}"
            if self.route not in ("topups.post", "topups", "*"):
                yield f"a carrier outcome only applies to topups.post, not {self.route!r}"
        if self.kind not in FAILURE_KINDS:
            yield f"kind {self.kind!r} is not one of {', '.join(FAILURE_KINDS)}"
        if self.then_kind not in DEFINITE_KINDS:
            yield f"then_kind {self.then_kind!r} is not one of {', '.join(DEFINITE_KINDS)}"
        if self.then not in ("succeeded", "failed"):
            yield f"then must be 'succeeded' or 'failed', not {self.then!r}"
        if self.interim not in ("pending", "unknown"):
            yield f"interim must be 'pending' or 'unknown', not {self.interim!r}"
        if self.pending_s is not None and (not isinstance(self.pending_s, int | float) or self.pending_s < 0):
            yield f"pending_s must be a number >= 0 or None, not {self.pending_s!r}"
        if self.reply is None and self.outcome is None and not self.delay_s:
            yield "does nothing: give a reply, an outcome or a delay_s"

    @property
    def has_reply_effect(self) -> bool:
        return self.reply is not None or self.delay_s > 0

    def matches(self, route: str, key: str | None) -> bool:
        if self.route not in ("*", route) and not (self.route == "topups" and route.startswith("topups.")):
            return False
        return self.key is None or self.key == key

    def describe(self) -> str:
        parts = [self.route]
        if self.outcome:
            parts.append(f"outcome={self.outcome}")
        if self.delay_s:
            parts.append(f"delay={self.delay_s}s")
        if self.reply:
            parts.append(f"{self.reply}{'=' + self.garbage if self.garbage else ''}@{self.stage}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = list(self.fields)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise PeerConfigError(f"a fault must be a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PeerConfigError(f"unknown fault field(s) {', '.join(unknown)}")
        if "route" not in data:
            raise PeerConfigError("a fault needs a route")
        values = dict(data)
        if values.get("times") == "always":
            values["times"] = None
        if "fields" in values:
            if not isinstance(values["fields"], list) or not all(isinstance(x, str) for x in values["fields"]):
                raise PeerConfigError("fault fields must be a list of field names")
            values["fields"] = tuple(values["fields"])
        try:
            return cls(**values)
        except TypeError as exc:
            raise PeerConfigError(f"bad fault {data!r}: {exc}") from exc


@dataclass
class _ActiveFault:
    fault: Fault
    left: int | None

    def take(self) -> None:
        if self.left is not None:
            self.left -= 1


def write_control(path: Path | str, faults: Sequence[Fault] = (), **settings: float) -> None:
    """Atomically replace a peer's control file (a new inode, so the peer sees the change)."""
    path = Path(path)
    unknown = sorted(set(settings) - {"clock_offset_s", "carrier_delay_s"})
    if unknown:
        raise PeerConfigError(f"unknown control setting(s) {', '.join(unknown)}")
    doc: dict[str, Any] = {"faults": [f.to_json() for f in faults], **settings}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- journal


class Journal:
    """Append-only JSON lines, each flushed and fsync'd before the caller goes on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = open(path, "ab")  # noqa: SIM115 - held open for the peer's lifetime

    def append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_journal(path: Path | str) -> list[dict[str, Any]]:
    """Every complete line of a peer journal (a torn last line after a kill is ignored)."""
    path = Path(path)
    if not path.exists():
        return []
    events: list[dict[str, Any]] = []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError as exc:
            if number == len(lines):  # torn final line, never acknowledged
                break
            raise PeerInvariantError(f"{path}:{number}: journal line is not JSON: {exc}") from exc
        events.append(event)
    return events


def performed_topups(journal: Path | str) -> dict[str, dict[str, Any]]:
    """Key -> the performed top-up (request fields, provider_ref, at); a key performed twice raises."""
    performed: dict[str, dict[str, Any]] = {}
    for event in read_journal(journal):
        if event.get("event") != "performed":
            continue
        key = event["key"]
        if key in performed:
            raise PeerInvariantError(f"top-up {key} performed twice by the peer: {performed[key]} and {event}")
        performed[key] = {k: v for k, v in event.items() if k != "event"}
    return performed


def topup_states(journal: Path | str) -> dict[str, dict[str, Any]]:
    """Key -> its last state: status (pending/succeeded/failed/void), failure_kind, message, performed."""
    states: dict[str, dict[str, Any]] = {}
    for event in read_journal(journal):
        kind = event.get("event")
        key = event.get("key")
        if not isinstance(key, str):
            continue
        if kind == "received":
            states[key] = {"status": "pending", "failure_kind": None, "message": "", "provider_ref": None,
                           "performed": False, "request": event.get("request")}
        elif kind == "voided":
            states.setdefault(key, {"status": "void", "failure_kind": None, "message": "voided",
                                    "provider_ref": None, "performed": False, "request": None})
        elif kind == "status" and key in states:
            states[key].update({k: event.get(k) for k in ("status", "failure_kind", "message", "provider_ref")})
        elif kind == "performed" and key in states:
            states[key].update(status="succeeded", failure_kind=None, provider_ref=event.get("provider_ref"),
                               performed=True)
    return states


@dataclass(frozen=True)
class Charge:
    """A customer charge that stands (was not reversed) for the top-up ``key``."""

    key: str
    amount_cents: int
    currency: str = "USD"


def money_violations(journal: Path | str, standing_charges: Iterable[Charge | tuple[str, int, str]], *,
                     allow_pending: bool = False) -> list[str]:
    """What breaks 'nobody charged without the top-up, nobody topped up without paying'.

    Every performed top-up must match exactly one standing charge of the same amount and
    currency; every standing charge must have a performed top-up (one still pending or
    failed/unknown at the peer is reported too unless ``allow_pending``).
    """
    charges: dict[str, list[Charge]] = {}
    for item in standing_charges:
        charge = item if isinstance(item, Charge) else Charge(*item)
        charges.setdefault(charge.key, []).append(charge)
    performed = performed_topups(journal)
    states = topup_states(journal)
    problems: list[str] = []
    for key, topup in sorted(performed.items()):
        mine = charges.get(key, [])
        if not mine:
            problems.append(f"top-up {key} performed ({topup['amount_cents']} {topup['currency']}) "
                            "without a standing charge")
        elif len(mine) > 1:
            problems.append(f"top-up {key} performed once but charged {len(mine)} times")
        elif (mine[0].amount_cents, mine[0].currency) != (topup["amount_cents"], topup["currency"]):
            problems.append(f"top-up {key} performed for {topup['amount_cents']} {topup['currency']} "
                            f"but charged {mine[0].amount_cents} {mine[0].currency}")
    for key, mine in sorted(charges.items()):
        if key in performed:
            continue
        state = states.get(key)
        status = "unknown to the peer" if state is None else state["status"]
        interim = state is not None and (state["status"] == "pending" or state["failure_kind"] == "unknown")
        if interim and allow_pending:
            continue
        problems.append(f"charge for {key} ({mine[0].amount_cents} {mine[0].currency}) stands but no top-up "
                        f"was performed (peer: {status})")
    return problems


def assert_money_consistent(journal: Path | str, standing_charges: Iterable[Charge | tuple[str, int, str]],
                            *, allow_pending: bool = False) -> None:
    problems = money_violations(journal, standing_charges, allow_pending=allow_pending)
    assert not problems, "money invariant broken:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------- signatures


def canonical_query(raw_query: str) -> str:
    """Signature v2 QUERY as docs/upstream-api.md fixes it: decode the pairs ('+' is a space),
    RFC 3986-encode each name and value, sort by encoded name then encoded value (bytes),
    join with '&'."""
    pairs = [(quote(name, safe="-._~"), quote(value, safe="-._~"))
             for name, value in parse_qsl(raw_query, keep_blank_values=True)]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def v2_message(method: str, path: str, raw_query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    lines = [method, path, canonical_query(raw_query), timestamp, nonce, hashlib.sha256(body).hexdigest()]
    return "\n".join(lines).encode("utf-8")


def _parse_timestamp(value: str) -> float | None:
    if not _TIMESTAMP_RE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


# --------------------------------------------------------------------------- catalog


def _problem(where: str, message: str) -> PeerConfigError:
    return PeerConfigError(f"{where}: {message}")


def load_world(data: Any, where: str = "catalog") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate a catalog document ({version, plans, accounts?} or a list of plans)."""
    if isinstance(data, list):
        data = {"version": DEFAULT_CATALOG["version"], "plans": data}
    if not isinstance(data, dict):
        raise _problem(where, "must be a JSON object with version and plans")
    unknown = sorted(set(data) - {"version", "plans", "accounts"})
    if unknown:
        raise _problem(where, f"unknown key(s) {', '.join(unknown)}")
    version = data.get("version", DEFAULT_CATALOG["version"])
    plans = data.get("plans")
    if not isinstance(version, str) or not isinstance(plans, list):
        raise _problem(where, "version must be a string and plans a list")
    ids: set[str] = set()
    for i, plan in enumerate(plans):
        spot = f"{where} plans[{i}]"
        if not isinstance(plan, dict):
            raise _problem(spot, "must be an object")
        for name, kind in (("id", str), ("carrier", str), ("name", str), ("currency", str),
                           ("price_cents", int), ("validity_days", int), ("benefits", list)):
            if not isinstance(plan.get(name), kind) or isinstance(plan.get(name), bool):
                raise _problem(spot, f"{name} must be a {kind.__name__}")
        if plan["id"] in ids:
            raise _problem(spot, f"duplicate id {plan['id']!r}")
        ids.add(plan["id"])
    accounts = data.get("accounts", [])
    if not isinstance(accounts, list):
        raise _problem(where, "accounts must be a list")
    for i, account in enumerate(accounts):
        spot = f"{where} accounts[{i}]"
        if not isinstance(account, dict) or not isinstance(account.get("msisdn"), str) \
                or not isinstance(account.get("carrier"), str):
            raise _problem(spot, "needs msisdn and carrier strings")
        for name in ("iccid", "current_plan", "expiry"):
            if account.get(name) is not None and not isinstance(account[name], str):
                raise _problem(spot, f"{name} must be a string or null")
    catalog = {"version": version, "plans": copy.deepcopy(plans)}
    clean = [{"msisdn": a["msisdn"], "carrier": a["carrier"], "iccid": a.get("iccid"),
              "current_plan": a.get("current_plan"), "expiry": a.get("expiry")} for a in accounts]
    return catalog, clean


# --------------------------------------------------------------------------- records and replies


@dataclass
class TopUpRecord:
    key: str
    request: dict[str, Any]
    status: str = "pending"
    failure_kind: str | None = None
    provider_ref: str | None = None
    message: str = ""
    performed: bool = False
    resolve_at: float | None = None
    then: str = "succeeded"
    then_kind: str = "transient"

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "status": self.status, "failure_kind": self.failure_kind,
                "provider_ref": self.provider_ref, "message": self.message}

    @property
    def interim(self) -> bool:
        return self.status == "pending" or self.failure_kind == "unknown"


def _not_found(key: str) -> dict[str, Any]:
    return {"key": key, "status": "not_found", "failure_kind": None, "provider_ref": None, "message": ""}


def _voided(key: str) -> dict[str, Any]:
    return {"key": key, "status": "failed", "failure_kind": "transient", "provider_ref": None, "message": "voided"}


@dataclass
class Reply:
    code: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    mode: str = "normal"  # normal | drop | short_read
    drop_mode: str = "fin"

    @classmethod
    def json(cls, code: int, doc: Any) -> Reply:
        return cls(code, json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def error(cls, code: int, error: str, message: str) -> Reply:
        return cls.json(code, {"error": error, "message": message})

    def doc(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Request:
    method: str
    raw_path: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes
    route: str | None = None
    key: str | None = None
    path_kiosk: str | None = None

    def json_object(self) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise _BadRequest(f"Content-Type must be application/json, not {ctype!r}")
        try:
            doc = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _BadRequest(f"body is not UTF-8 JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise _BadRequest(f"body must be a JSON object, not {type(doc).__name__}")
        return doc


@dataclass(frozen=True)
class Call:
    """One request as the peer saw it: status None means the connection was dropped."""

    method: str
    path: str
    route: str | None
    key: str | None
    status: int | None
    fault: str | None
    at: float


# --------------------------------------------------------------------------- the peer


class UpstreamPeer:
    """The peer server; use as a context manager (``with UpstreamPeer(journal) as peer:``)."""

    def __init__(self, journal: Path | str, *, control: Path | str | None = None, kiosk_id: str = "KIOSK-0001",
                 secret: bytes | str | None = None, verify: str = "none", catalog: Any = None,
                 host: str = "127.0.0.1", port: int = 0, carrier_delay_s: float = 0.0,
                 clock_offset_s: float = 0.0, conflict_on: str = "rule", report_to_stderr: bool = False) -> None:
        if verify not in VERIFY_MODES:
            raise PeerConfigError(f"verify must be one of {', '.join(VERIFY_MODES)}, not {verify!r}")
        if verify != "none" and not secret:
            raise PeerConfigError(f"verify={verify!r} needs the kiosk's secret")
        if conflict_on not in ("rule", "body"):
            raise PeerConfigError(f"conflict_on must be 'rule' or 'body', not {conflict_on!r}")
        self.journal_path = Path(journal)
        self.control_path = Path(control) if control is not None else None
        self.kiosk_id = kiosk_id
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self.verify = verify
        self.catalog, self.accounts = load_world(DEFAULT_CATALOG if catalog is None else catalog)
        self.host, self._port = host, port
        self.carrier_delay_s = carrier_delay_s
        self.clock_offset_s = clock_offset_s
        self.conflict_on = conflict_on
        self.report_to_stderr = report_to_stderr
        self.calls: list[Call] = []
        self.internal_errors: list[str] = []
        self.control_errors: list[str] = []
        self.kiosk_events: dict[str, dict[int, dict[str, Any]]] = {}
        self.heartbeats: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._records: dict[str, TopUpRecord] = {}
        self._void: set[str] = set()
        self._nonces: dict[tuple[str, str], float] = {}
        self._faults: list[_ActiveFault] = []
        self._control_sig: tuple[int, int, int] | None = None
        self._refs = 0
        self._stopping = threading.Event()
        self._journal: Journal | None = None
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._started = False
        self._closed = False

    # ---- lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the peer is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> UpstreamPeer:
        if self._started:
            raise RuntimeError("a peer starts once")
        self._started = True
        self._replay()
        self._journal = Journal(self.journal_path)
        with self._lock:
            self._poll_control()
        self._server = _Server((self.host, self._port), self)
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                 name="upstream-peer-serve")
        resolver = threading.Thread(target=self._resolver, name="upstream-peer-resolver")
        self._threads = [serve, resolver]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut delays short, join every thread; idempotent."""
        if self._closed or not self._started:
            self._closed = True
            return
        self._closed = True
        self._stopping.set()
        server = self._server
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._journal is not None:
            self._journal.close()

    def __enter__(self) -> UpstreamPeer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        if exc is None and self.internal_errors:
            raise PeerInvariantError("the upstream peer failed internally:\n" + "\n".join(self.internal_errors))

    def __del__(self) -> None:
        if self._started and not self._closed:
            warnings.warn("UpstreamPeer was never stopped", ResourceWarning, stacklevel=1)

    # ---- control

    def set_faults(self, *faults: Fault) -> None:
        """Replace every fault (and its use counter)."""
        with self._lock:
            self._faults = [_ActiveFault(f, f.times) for f in faults]

    def add_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(_ActiveFault(f, f.times) for f in faults)

    def clear_faults(self) -> None:
        self.set_faults()

    def faults_left(self) -> list[tuple[Fault, int | None]]:
        """Faults not used up yet, with their remaining uses (None = always)."""
        with self._lock:
            return [(a.fault, a.left) for a in self._faults if a.left is None or a.left > 0]

    def records(self) -> dict[str, dict[str, Any]]:
        """Key -> public record, as GET would answer it now (voided keys excluded)."""
        with self._lock:
            return {k: r.public() for k, r in self._records.items()}

    def voided(self) -> set[str]:
        with self._lock:
            return set(self._void)

    def calls_to(self, route: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.route == route]

    def resolve(self, key: str, status: str, kind: str = "transient", message: str | None = None) -> None:
        """Settle an interim top-up: ``succeeded`` performs it, ``failed`` needs a definite ``kind``."""
        if status not in ("succeeded", "failed") or (status == "failed" and kind not in DEFINITE_KINDS):
            raise PeerConfigError(f"cannot resolve to {status}/{kind}")
        with self._lock:
            record = self._records.get(key)
            if record is None or not record.interim:
                raise PeerConfigError(f"top-up {key} is not pending at the peer")
            self._settle(record, status, kind, message)

    def _poll_control(self) -> None:
        """Reload the control file when it changed (called with the lock held)."""
        if self.control_path is None:
            return
        try:
            st = os.stat(self.control_path)
            sig: tuple[int, int, int] | None = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            sig = None
        if sig == self._control_sig:
            return
        self._control_sig = sig
        if sig is None:
            self._faults = []
            return
        try:
            doc = json.loads(self.control_path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                raise PeerConfigError("the control file must hold a JSON object")
            unknown = sorted(set(doc) - {"faults", "clock_offset_s", "carrier_delay_s"})
            if unknown:
                raise PeerConfigError(f"unknown control key(s) {', '.join(unknown)}")
            raw = doc.get("faults", [])
            if not isinstance(raw, list):
                raise PeerConfigError("faults must be a list")
            faults = [Fault.from_json(item) for item in raw]
            settings = {}
            for name in ("clock_offset_s", "carrier_delay_s"):
                if name in doc:
                    if not isinstance(doc[name], int | float) or isinstance(doc[name], bool):
                        raise PeerConfigError(f"{name} must be a number")
                    settings[name] = float(doc[name])
        except (OSError, ValueError) as exc:  # PeerConfigError is a ValueError, as is bad JSON
            message = f"control file {self.control_path} refused: {exc}"
            self.control_errors.append(message)
            if self.report_to_stderr:
                print(json.dumps({"event": "control_error", "message": message}), file=sys.stderr, flush=True)
            else:
                log.error("%s", message)
            return
        self._faults = [_ActiveFault(f, f.times) for f in faults]
        for name, value in settings.items():
            setattr(self, name, value)

    def _pick_faults(self, route: str, key: str | None) -> tuple[Fault | None, Fault | None]:
        with self._lock:
            outcome: _ActiveFault | None = None
            reply: _ActiveFault | None = None
            for active in self._faults:
                if active.left is not None and active.left <= 0:
                    continue
                if not active.fault.matches(route, key):
                    continue
                if outcome is None and active.fault.outcome is not None and route == "topups.post":
                    outcome = active
                if reply is None and active.fault.has_reply_effect:
                    reply = active
            for used in {id(a): a for a in (outcome, reply) if a is not None}.values():
                used.take()
            return (outcome.fault if outcome else None), (reply.fault if reply else None)

    # ---- request handling

    def handle(self, req: Request) -> Reply:
        """Answer one request (the HTTP handler's only entry point)."""
        fault_text: str | None = None
        try:
            with self._lock:
                self._poll_control()
            self._route(req)
            if req.route is None:
                reply = Reply.error(404, "not_found", f"no route {req.method} {req.path}")
            else:
                refused = self._authenticate(req)
                if refused is not None:
                    reply = refused
                else:
                    outcome, reply_fault = self._pick_faults(req.route, req.key)
                    fault_text = " + ".join(dict.fromkeys(f.describe() for f in (outcome, reply_fault) if f)) or None
                    reply = self._run(req, outcome, reply_fault)
        except Exception as exc:  # a peer bug must fail the test, not hang it
            message = f"{req.method} {req.raw_path}: {type(exc).__name__}: {exc}"
            log.exception("upstream peer bug on %s %s", req.method, req.raw_path)
            with self._lock:
                self.internal_errors.append(message)
            if self.report_to_stderr:
                print(json.dumps({"event": "internal_error", "message": message}), file=sys.stderr, flush=True)
            reply = Reply.error(500, "peer_bug", message)
        with self._lock:
            self.calls.append(Call(req.method, req.raw_path, req.route, req.key,
                                   None if reply.mode == "drop" else reply.code, fault_text, time.time()))
        return reply

    def _route(self, req: Request) -> None:
        path, method = req.path, req.method
        if method == "POST" and path == "/v1/lookup":
            req.route = "lookup"
        elif method == "GET" and path == "/v1/catalog":
            req.route = "catalog"
        elif method == "POST" and path == "/v1/topups":
            req.route = "topups.post"
            with contextlib.suppress(_BadRequest):
                key = req.json_object().get("key")
                req.key = key if isinstance(key, str) else None
        elif method == "GET" and (m := _TOPUP_GET_RE.fullmatch(path)):
            req.route, req.key = "topups.get", unquote(m.group(1))
        elif method == "POST" and (m := _KIOSK_ROUTE_RE.fullmatch(path)):
            req.route, req.path_kiosk = m.group(2), unquote(m.group(1))

    def _authenticate(self, req: Request) -> Reply | None:
        if self.verify == "none":
            return None
        assert self._secret is not None
        kiosk = req.headers.get("X-Kiosk-Id")
        if kiosk != self.kiosk_id:
            return Reply.error(401, "unknown_kiosk", f"kiosk {kiosk!r} is not known here")
        timestamp = req.headers.get("X-Timestamp", "")
        signature = req.headers.get("X-Signature", "")
        nonce = req.headers.get("X-Nonce", "")
        if self.verify == "v1":
            message = timestamp.encode("latin-1") + b"\n" + req.body
            prefix = ""
        else:
            if not _NONCE_RE.fullmatch(nonce):
                return Reply.error(401, "bad_signature", "X-Nonce must be 32 lower-case hex characters")
            message = v2_message(req.method, req.raw_path.split("?", 1)[0], req.raw_query, timestamp, nonce,
                                 req.body)
            prefix = "v2:"
        expected = prefix + hmac.new(self._secret, message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode("latin-1"), expected.encode("ascii")):
            return Reply.error(401, "bad_signature", "X-Signature does not match the request")
        sent = _parse_timestamp(timestamp)
        now = time.time() + self.clock_offset_s
        if sent is None:
            return Reply.error(401, "stale_timestamp", f"X-Timestamp {timestamp!r} is not YYYY-MM-DDTHH:MM:SSZ")
        if abs(now - sent) > MAX_SKEW_S:
            return Reply.error(401, "stale_timestamp", f"X-Timestamp {timestamp} is {sent - now:+.0f} s "
                                                       f"from the server clock {utc_now_iso(now)}")
        if self.verify == "v2":
            with self._lock:
                for seen, expires in list(self._nonces.items()):
                    if expires < now:
                        del self._nonces[seen]
                if (kiosk, nonce) in self._nonces:
                    return Reply.error(401, "replayed", f"nonce {nonce} was already used")
                self._nonces[(kiosk, nonce)] = now + NONCE_KEEP_S
        return None

    def _sleep(self, seconds: float) -> bool:
        """Wait; False when the peer is stopping meanwhile."""
        return not (seconds > 0 and self._stopping.wait(seconds))

    def _run(self, req: Request, outcome: Fault | None, fault: Fault | None) -> Reply:
        assert req.route is not None
        if fault is not None and fault.stage == "before":
            if not self._sleep(fault.delay_s):
                return Reply(mode="drop")
            if fault.reply is not None:
                return self._fault_reply(fault, req, None)
        if fault is not None and fault.reply == "duplicate":
            reply = self._twice(req, outcome)
        else:
            reply = self._process(req, outcome)
        if fault is not None and fault.stage == "after":
            if not self._sleep(fault.delay_s):
                return Reply(mode="drop")
            if fault.reply is not None and fault.reply != "duplicate":
                reply = self._fault_reply(fault, req, reply)
        return reply

    def _process(self, req: Request, outcome: Fault | None) -> Reply:
        handlers: dict[str, Callable[[Request, Fault | None], Reply]] = {
            "lookup": self._lookup, "catalog": self._catalog, "topups.post": self._topup_post,
            "topups.get": self._topup_get, "events": self._events, "heartbeat": self._heartbeat,
        }
        assert req.route is not None
        try:
            return handlers[req.route](req, outcome)
        except _BadRequest as exc:
            return Reply.error(400, "bad_request", exc.message)

    def _twice(self, req: Request, outcome: Fault | None) -> Reply:
        """Process the same request twice at once, as a duplicating proxy would."""
        replies: list[Reply | None] = [None, None]
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def deliver(i: int) -> None:
            try:
                barrier.wait(timeout=5)
                replies[i] = self._process(req, outcome)
            except BaseException as exc:  # re-raised below in the handler thread
                errors.append(exc)

        threads = [threading.Thread(target=deliver, args=(i,), name=f"upstream-peer-dup-{i}") for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        done = [r for r in replies if r is not None]
        known = [r for r in done if r.code == 200]
        return known[0] if known else done[-1]

    # ---- routes

    def _lookup(self, req: Request, _outcome: Fault | None) -> Reply:
        doc = req.json_object()
        iccid, msisdn = doc.get("iccid"), doc.get("msisdn")
        if iccid is None and msisdn is None:
            raise _BadRequest("give iccid, msisdn or both")
        if iccid is not None and (not isinstance(iccid, str) or not _ICCID_RE.fullmatch(iccid)):
            raise _BadRequest(f"iccid must be 18 to 22 digits, not {iccid!r}")
        if msisdn is not None and (not isinstance(msisdn, str) or not _MSISDN_RE.fullmatch(msisdn)):
            raise _BadRequest(f"msisdn must be E.164 digits without '+', not {msisdn!r}")
        account = None
        if iccid is not None:
            account = next((a for a in self.accounts if a["iccid"] == iccid), None)
            if account is not None and msisdn is not None and account["msisdn"] != msisdn:
                account = None
        elif msisdn is not None:
            account = next((a for a in self.accounts if a["msisdn"] == msisdn), None)
        if account is None:
            return Reply.json(200, {"found": False})
        return Reply.json(200, {"found": True, "account": dict(account)})

    def _catalog(self, req: Request, _outcome: Fault | None) -> Reply:
        wanted = [v for k, v in parse_qsl(req.raw_query, keep_blank_values=True) if k == "carrier"]
        plans = self.catalog["plans"]
        if wanted:
            plans = [p for p in plans if p["carrier"].casefold() == wanted[0].casefold()]
        return Reply.json(200, {"version": self.catalog["version"], "plans": plans})

    def _validate_topup(self, req: Request) -> dict[str, Any]:
        doc = req.json_object()
        missing = [name for name in BODY_FIELDS if name not in doc]
        if missing:
            raise _BadRequest(f"missing field(s) {', '.join(missing)}")
        key = doc["key"]
        if not isinstance(key, str) or not _UUID_RE.fullmatch(key):
            raise _BadRequest(f"key must be a UUID, not {key!r}")
        for name in ("msisdn", "carrier", "plan_id", "currency", "kiosk_id"):
            if not isinstance(doc[name], str) or not doc[name]:
                raise _BadRequest(f"{name} must be a non-empty string, not {doc[name]!r}")
        if not _MSISDN_RE.fullmatch(doc["msisdn"]):
            raise _BadRequest(f"msisdn must be E.164 digits without '+', not {doc['msisdn']!r}")
        if doc["iccid"] is not None and (not isinstance(doc["iccid"], str) or not _ICCID_RE.fullmatch(doc["iccid"])):
            raise _BadRequest(f"iccid must be 18 to 22 digits or null, not {doc['iccid']!r}")
        amount = doc["amount_cents"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise _BadRequest(f"amount_cents must be a positive integer, not {amount!r}")
        if not _CURRENCY_RE.fullmatch(doc["currency"]):
            raise _BadRequest(f"currency must be an ISO-4217 code like USD, not {doc['currency']!r}")
        if self.verify != "none" and doc["kiosk_id"] != req.headers.get("X-Kiosk-Id"):
            raise _BadRequest(f"kiosk_id {doc['kiosk_id']!r} is not the signing kiosk")
        return {name: doc[name] for name in BODY_FIELDS}

    def _conflicts(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        names = CONFLICT_FIELDS if self.conflict_on == "rule" else BODY_FIELDS
        return any(old.get(name) != new.get(name) for name in names)

    def _topup_post(self, req: Request, outcome: Fault | None) -> Reply:
        body = self._validate_topup(req)
        key = body["key"]
        with self._lock:
            if key in self._void:
                return Reply.json(200, _voided(key))
            known = self._records.get(key)
            if known is not None:
                if self._conflicts(known.request, body):
                    return Reply.error(409, "key_conflict", f"top-up key {key} was used with another body")
                return Reply.json(200, known.public())
            record = TopUpRecord(key=key, request=body)
            self._journal_append({"event": "received", "key": key, "request": body})
            self._records[key] = record
        refusal = self._price_check(body)
        if refusal is not None:
            with self._lock:
                self._set_status(record, "failed", "customer_fixable", refusal)
                return Reply.json(201, record.public())
        if not self._sleep(self.carrier_delay_s):
            return Reply(mode="drop")  # stopped mid carrier call: stays pending, like a crash
        with self._lock:
            self._carrier_outcome(record, outcome)
            return Reply.json(202 if record.interim else 201, record.public())

    def _price_check(self, body: dict[str, Any]) -> str | None:
        plan = next((p for p in self.catalog["plans"] if p["id"] == body["plan_id"]), None)
        if plan is None:
            return "unknown_plan"
        if plan["carrier"].casefold() != body["carrier"].casefold():
            return "plan_not_allowed"
        account = next((a for a in self.accounts if a["msisdn"] == body["msisdn"]), None)
        if account is not None and account["carrier"].casefold() != plan["carrier"].casefold():
            return "plan_not_allowed"
        if (plan["price_cents"], plan["currency"]) != (body["amount_cents"], body["currency"]):
            return "price_changed"
        return None

    def _carrier_outcome(self, record: TopUpRecord, outcome: Fault | None) -> None:
        """Decide what the carrier did (lock held)."""
        if outcome is None or outcome.outcome == "succeed":
            self._settle(record, "succeeded", "transient", outcome.message if outcome else None)
            return
        if outcome.outcome == "fail" and outcome.kind != "unknown":
            self._settle(record, "failed", outcome.kind, outcome.message)
            return
        interim = "unknown" if outcome.outcome == "fail" else outcome.interim
        record.resolve_at = None if outcome.pending_s is None else time.time() + outcome.pending_s
        record.then, record.then_kind = outcome.then, outcome.then_kind
        if interim == "unknown":
            self._set_status(record, "failed", "unknown", outcome.message or _DEFAULT_MESSAGES["unknown"])
        else:
            self._set_status(record, "pending", None, outcome.message or "in progress")
        self._wake.notify_all()

    def _settle(self, record: TopUpRecord, status: str, kind: str, message: str | None) -> None:
        """Make an interim record definite; success performs the top-up (lock held)."""
        record.resolve_at = None
        if status == "succeeded":
            if record.performed:
                raise PeerInvariantError(f"top-up {record.key} would be performed twice")
            self._refs += 1
            ref = f"{_ref_prefix(record.request['carrier'])}-{88000 + self._refs}"
            self._journal_append({"event": "performed", "key": record.key, **record.request, "provider_ref": ref})
            record.performed, record.status, record.failure_kind = True, "succeeded", None
            record.provider_ref, record.message = ref, message or "topped up"
        else:
            self._set_status(record, "failed", kind, message or _DEFAULT_MESSAGES[kind])

    def _set_status(self, record: TopUpRecord, status: str, kind: str | None, message: str) -> None:
        self._journal_append({"event": "status", "key": record.key, "status": status, "failure_kind": kind,
                              "message": message, "provider_ref": record.provider_ref,
                              "resolve_at": record.resolve_at, "then": record.then, "then_kind": record.then_kind})
        record.status, record.failure_kind, record.message = status, kind, message

    def _topup_get(self, req: Request, _outcome: Fault | None) -> Reply:
        key = req.key or ""
        if not _UUID_RE.fullmatch(key):
            raise _BadRequest(f"key must be a UUID, not {key!r}")
        with self._lock:
            record = self._records.get(key)
            if record is not None:
                return Reply.json(200, record.public())
            if key not in self._void:
                self._journal_append({"event": "voided", "key": key})
                self._void.add(key)
            return Reply.json(200, _not_found(key))

    def _kiosk_path_ok(self, req: Request) -> Reply | None:
        if self.verify != "none" and req.path_kiosk != req.headers.get("X-Kiosk-Id"):
            return Reply.error(401, "unknown_kiosk", f"path kiosk {req.path_kiosk!r} is not the signing kiosk")
        return None

    def _events(self, req: Request, _outcome: Fault | None) -> Reply:
        refused = self._kiosk_path_ok(req)
        if refused is not None:
            return refused
        ctype = req.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise _BadRequest(f"Content-Type must be application/json, not {ctype!r}")
        try:
            doc: Any = json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _BadRequest(f"body is not UTF-8 JSON: {exc}") from exc
        events = doc.get("events") if isinstance(doc, dict) else doc
        if not isinstance(events, list):
            raise _BadRequest("body must be {\"events\": [...]} or a list of events")
        for i, event in enumerate(events):
            if not isinstance(event, dict) or not isinstance(event.get("seq"), int) \
                    or isinstance(event.get("seq"), bool) or not isinstance(event.get("hash"), str):
                raise _BadRequest(f"events[{i}] needs an integer seq and a string hash")
        kiosk = req.path_kiosk or ""
        with self._lock:
            stored = self.kiosk_events.setdefault(kiosk, {})
            for event in events:
                old = stored.get(event["seq"])
                if old is not None and old["hash"] != event["hash"]:
                    return Reply.error(409, "event_conflict",
                                       f"seq {event['seq']} was received before with another hash")
            for event in events:
                stored.setdefault(event["seq"], event)
            if not stored:
                return Reply.json(200, {"acked_through": None, "acked_hash": None})
            last = max(stored)
            return Reply.json(200, {"acked_through": last, "acked_hash": stored[last]["hash"]})

    def _heartbeat(self, req: Request, _outcome: Fault | None) -> Reply:
        refused = self._kiosk_path_ok(req)
        if refused is not None:
            return refused
        doc = req.json_object() if req.body.strip() else {}
        with self._lock:
            self.heartbeats.append(doc)
        return Reply.json(200, {"ok": True, "server_time": utc_now_iso(time.time() + self.clock_offset_s)})

    # ---- fault replies

    def _template(self, req: Request, normal: Reply | None) -> tuple[int, Any]:
        """The well-formed answer a garbage fault distorts."""
        if normal is not None and normal.mode == "normal":
            doc = normal.doc()
            if doc is not None:
                return normal.code, doc
        route = req.route
        if route in ("topups.post", "topups.get"):
            key = req.key or str(uuid.uuid4())
            with self._lock:
                record = self._records.get(key)
                doc = record.public() if record else {**_not_found(key), "status": "pending", "message": "in progress"}
            return (202 if route == "topups.post" else 200), doc
        if route == "lookup":
            return 200, {"found": True, "account": dict(self.accounts[0])} if self.accounts else {"found": False}
        if route == "catalog":
            return 200, {"version": self.catalog["version"], "plans": self.catalog["plans"]}
        if route == "events":
            return 200, {"acked_through": None, "acked_hash": None}
        return 200, {"ok": True, "server_time": utc_now_iso()}

    def _fault_reply(self, fault: Fault, req: Request, normal: Reply | None) -> Reply:
        if fault.reply == "drop":
            return Reply(mode="drop", drop_mode=fault.drop_mode)
        if fault.reply == "status":
            code = fault.status or 500
            if fault.body is not None:
                return Reply(code, _raw(fault.body), fault.content_type)
            return Reply.error(code, _STATUS_ERRORS.get(code, "server_error"), f"injected {code}")
        if fault.reply == "body":
            code = fault.status or (normal.code if normal and normal.mode == "normal" else 200)
            return Reply(code, _raw(fault.body), fault.content_type)
        if fault.reply == "other_key":
            code = fault.status or (normal.code if normal and normal.mode == "normal" else 200)
            return Reply.json(code, self._other_record(req.key, fault.other_status))
        assert fault.reply == "garbage" and fault.garbage is not None
        code, doc = self._template(req, normal)
        code = fault.status or code
        return _garbage(fault, req, code, doc, self)

    def _other_record(self, key: str | None, status: str) -> dict[str, Any]:
        with self._lock:
            others = [r for k, r in self._records.items() if k != key]
            if others:
                return others[-1].public()
        other = str(uuid.uuid4())
        return {"key": other, "status": status, "failure_kind": "transient" if status == "failed" else None,
                "provider_ref": "TMO-77001" if status == "succeeded" else None, "message": "another top-up"}

    # ---- persistence

    def _journal_append(self, event: dict[str, Any]) -> None:
        assert self._journal is not None
        self._journal.append({**event, "at": utc_now_iso(), "t": time.time()})

    def _replay(self) -> None:
        for event in read_journal(self.journal_path):
            key, kind = event.get("key"), event.get("event")
            if not isinstance(key, str):
                continue
            if kind == "received":
                self._records[key] = TopUpRecord(key=key, request=event["request"])
            elif kind == "voided":
                self._void.add(key)
            elif kind == "status" and key in self._records:
                record = self._records[key]
                record.status, record.failure_kind = event["status"], event["failure_kind"]
                record.message, record.resolve_at = event["message"], event.get("resolve_at")
                record.then, record.then_kind = event.get("then", "succeeded"), event.get("then_kind", "transient")
                if not record.interim:
                    record.resolve_at = None
            elif kind == "performed" and key in self._records:
                record = self._records[key]
                record.performed, record.status, record.failure_kind = True, "succeeded", None
                record.provider_ref, record.message, record.resolve_at = event["provider_ref"], "topped up", None
                self._refs += 1

    def _resolver(self) -> None:
        """Settle pending records when their time comes (wall clock, so a restart keeps the schedule)."""
        while not self._stopping.is_set():
            with self._wake:
                now = time.time()
                due = [r for r in self._records.values() if r.resolve_at is not None and r.resolve_at <= now]
                try:
                    for record in due:
                        self._settle(record, record.then, record.then_kind, None)
                except Exception as exc:  # journal trouble: recorded, the test fails on exit
                    self.internal_errors.append(f"resolver: {type(exc).__name__}: {exc}")
                    log.exception("upstream peer resolver failed")
                    return
                upcoming = [r.resolve_at for r in self._records.values() if r.resolve_at is not None]
                wait = min(upcoming) - now if upcoming else 1.0
                self._wake.wait(timeout=max(0.01, min(wait, 1.0)))


def _ref_prefix(carrier: str) -> str:
    known = {"t-mobile": "TMO", "verizon": "VZW", "at&t": "ATT"}
    return known.get(carrier.casefold()) or (re.sub(r"[^A-Za-z0-9]", "", carrier).upper()[:3] or "REF")


def _raw(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


# --------------------------------------------------------------------------- garbage


def _walk(doc: Any, leaf: Callable[[Any], Any]) -> Any:
    if isinstance(doc, dict):
        return {k: _walk(v, leaf) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_walk(v, leaf) for v in doc]
    return leaf(doc)


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return 12345
    if value is None:
        return 0
    return value


def _wrong_types(doc: Any, root: bool = True) -> Any:
    if isinstance(doc, dict):
        out = {k: _wrong_types(v, False) for k, v in doc.items()}
        return out if root else [out]
    if isinstance(doc, list):
        return "x"
    return _other_type(doc)


def _string_numbers(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _remove_fields(doc: Any, names: Sequence[str]) -> Any:
    if isinstance(doc, dict):
        return {k: _remove_fields(v, names) for k, v in doc.items() if k not in names}
    if isinstance(doc, list):
        return [_remove_fields(v, names) for v in doc]
    return doc


def _add_extra(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {**{k: _add_extra(v) for k, v in doc.items()}, "x_unexpected": {"since": "v9", "list": [1, "a"]}}
    if isinstance(doc, list):
        return [_add_extra(v) for v in doc]
    return doc


_MISSING_DEFAULTS = {"topups.post": ("status",), "topups.get": ("status",), "lookup": ("carrier",),
                     "catalog": ("price_cents",), "events": ("acked_through",), "heartbeat": ("ok",)}
_WRONG_SHAPES: dict[str, Callable[[Any], Any]] = {
    "topups.post": lambda doc: {"record": doc},
    "topups.get": lambda doc: {"record": doc},
    "lookup": lambda doc: {"found": True, "account": "x"},
    "catalog": lambda doc: {"plans": "x"},
    "events": lambda doc: {"acked": True},
    "heartbeat": lambda doc: "ok",
}


def _bad_values(route: str, doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    if not isinstance(doc, dict):
        return doc
    if route.startswith("topups."):
        doc.update(status="done", failure_kind="maybe")
    elif route == "lookup":
        doc["found"] = True
        doc["account"] = {"msisdn": "+1 (202) 555-0123", "carrier": "Nonexistent Mobile", "iccid": "89-01",
                          "current_plan": "", "expiry": "next week"}
    elif route == "catalog":
        for plan in doc.get("plans", []):
            plan.update(price_cents=-100, currency="usd", validity_days=0, id="")
    elif route == "events":
        doc.update(acked_through=-1, acked_hash="")
    else:
        doc["server_time"] = "yesterday"
    return doc


def _mismatch(fault: Fault, req: Request, route: str, doc: Any, peer: UpstreamPeer) -> Any:
    doc = copy.deepcopy(doc)
    try:
        asked = req.json_object() if req.method == "POST" else {}
    except _BadRequest:
        asked = {}
    if route == "lookup":
        account = dict(doc.get("account") or (peer.accounts[0] if peer.accounts else {}))
        account["msisdn"] = _other_msisdn(asked.get("msisdn") or account.get("msisdn") or "12025550100")
        account["iccid"] = _other_iccid(asked.get("iccid") or account.get("iccid") or "8901260000000000000")
        return {"found": True, "account": account}
    if not isinstance(doc, dict):
        return doc
    if not asked and req.key is not None:
        with peer._lock:
            record = peer._records.get(req.key)
            asked = dict(record.request) if record else {}
    other_plan = next((p["id"] for p in peer.catalog["plans"] if p["id"] != asked.get("plan_id")), "zz-other")
    changed = {
        "msisdn": _other_msisdn(asked.get("msisdn") or "12025550100"),
        "plan_id": other_plan,
        "amount_cents": int(asked.get("amount_cents") or 0) + 100,
        "currency": "EUR" if asked.get("currency") != "EUR" else "USD",
    }
    for name in fault.fields or tuple(changed):
        doc[name] = changed.get(name, "mismatched")
    return doc


def _other_msisdn(msisdn: str) -> str:
    return msisdn[:-1] + str((int(msisdn[-1]) + 1) % 10) if msisdn[-1:].isdigit() else "12025550100"


def _other_iccid(iccid: str) -> str:
    return iccid[:-1] + str((int(iccid[-1]) + 1) % 10) if iccid[-1:].isdigit() else "8901260000000000001"


def _garbage(fault: Fault, req: Request, code: int, doc: Any, peer: UpstreamPeer) -> Reply:
    route = req.route or "heartbeat"
    kind = fault.garbage
    whole = json.dumps(doc).encode("utf-8")
    if kind == "not_json":
        return Reply(code, b"OK, topped up (probably)", "application/json")
    if kind == "html":
        return Reply(code, b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>", "text/html")
    if kind == "empty":
        return Reply(code, b"")
    if kind == "truncated":
        return Reply(code, whole[: max(1, len(whole) // 2)])
    if kind == "short_read":
        return Reply(code, whole, mode="short_read")
    if kind == "list":
        return Reply.json(code, [doc])
    if kind == "wrong_shape":
        return Reply.json(code, _WRONG_SHAPES[route](doc))
    if kind == "wrong_types":
        return Reply.json(code, _wrong_types(doc))
    if kind == "string_numbers":
        return Reply.json(code, _walk(doc, _string_numbers))
    if kind == "bad_values":
        return Reply.json(code, _bad_values(route, doc))
    if kind == "extra_fields":
        return Reply.json(code, _add_extra(doc))
    if kind == "missing_fields":
        return Reply.json(code, _remove_fields(doc, fault.fields or _MISSING_DEFAULTS[route]))
    assert kind == "mismatch"
    return Reply.json(code, _mismatch(fault, req, route, doc, peer))


# --------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread: nothing leaks
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], peer: UpstreamPeer) -> None:
        self.peer = peer
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Wake handler threads idling on keep-alive connections so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60
    server: _Server
    _ALLOWED: ClassVar[tuple[str, ...]] = ("GET", "POST", "PUT", "PATCH", "DELETE")

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: with Nagle on, the client's delayed ACK costs 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            with contextlib.suppress(OSError):
                super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("peer %s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(100)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1000).strip():
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(10)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY:
            raise _BadRequest(f"bad Content-Length {length!r}")
        return self.rfile.read(int(length))

    def _serve(self) -> None:
        raw_path = self.path
        path, _, query = raw_path.partition("?")
        headers = {k: v for k, v in self.headers.items()}
        try:
            body = self._read_body()
        except (_BadRequest, ValueError) as exc:
            self.close_connection = True
            self._send(Reply.error(400, "bad_request", f"unreadable body: {exc}"))
            return
        req = Request(self.command, raw_path, path, query, _Headers(headers), body)
        self._send(self.server.peer.handle(req))

    def _send(self, reply: Reply) -> None:
        try:
            if reply.mode == "drop":
                self.close_connection = True
                if reply.drop_mode == "rst":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(reply.code)
            self.send_header("Content-Type", reply.content_type + ("; charset=utf-8" if "json" in reply.content_type
                                                                   or "html" in reply.content_type else ""))
            self.send_header("Content-Length", str(len(reply.body)))
            if reply.mode == "short_read":
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply.body[: len(reply.body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away (or the peer is stopping)


class _Headers(dict[str, str]):
    """Case-insensitive header lookup over a plain dict."""

    def __init__(self, items: Mapping[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in items.items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


# --------------------------------------------------------------------------- another process


STOP_TIMEOUT_S = 60.0


class PeerProcess:
    """The peer as a separate process (``python -m tests.peers.upstream_peer``), controlled by file."""

    def __init__(self, journal: Path, control: Path, *, secret: bytes | str | None = None,
                 kiosk_id: str = "KIOSK-0001", verify: str = "none", catalog: Path | None = None,
                 carrier_delay_s: float = 0.0, ready_timeout_s: float = 30.0) -> None:
        self.journal, self.control = Path(journal), Path(control)
        self.secret, self.kiosk_id, self.verify = secret, kiosk_id, verify
        self.catalog, self.carrier_delay_s, self.ready_timeout_s = catalog, carrier_delay_s, ready_timeout_s
        self.stderr_path = self.journal.with_name(self.journal.name + ".stderr")
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.pid = 0

    def start(self) -> PeerProcess:
        cmd = [sys.executable, "-m", "tests.peers.upstream_peer", "--port", "0", "--journal", str(self.journal),
               "--control", str(self.control), "--kiosk-id", self.kiosk_id, "--verify", self.verify,
               "--carrier-delay", str(self.carrier_delay_s)]
        if self.secret is not None:
            secret_file = self.journal.with_name(self.journal.name + ".secret")
            secret_file.write_bytes(self.secret.encode() if isinstance(self.secret, str) else self.secret)
            secret_file.chmod(0o600)
            cmd += ["--secret-file", str(secret_file)]
        if self.catalog is not None:
            cmd += ["--catalog", str(self.catalog)]
        with open(self.stderr_path, "ab") as stderr:
            self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], self.ready_timeout_s)
        line = self.proc.stdout.readline() if ready else b""
        try:
            event = json.loads(line)
            self.url, self.pid = event["url"], event["pid"]
        except (ValueError, KeyError, TypeError) as exc:
            self.stop()
            raise RuntimeError(f"the peer did not start: {line!r}; stderr: {self.stderr()[-2000:]}") from exc
        return self

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def set_faults(self, *faults: Fault, **settings: float) -> None:
        write_control(self.control, faults, **settings)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Signal the peer (SIGTERM, or SIGKILL for a crash) and wait; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                # joining its handler threads takes a while on a loaded machine (CI: two cores
                # shared with a few hundred kiosk processes); 15 s was once too short
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                with open(self.stderr_path, "a") as stderr:
                    stderr.write(f"killed: did not stop within {STOP_TIMEOUT_S:.0f} s of signal {int(sig)}\n")
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> PeerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.peers.upstream_peer",
                                     description="Independent fault-injecting upstream top-up API peer.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--journal", required=True, type=Path)
    parser.add_argument("--control", type=Path)
    parser.add_argument("--secret-file", type=Path)
    parser.add_argument("--kiosk-id", default="KIOSK-0001")
    parser.add_argument("--verify", choices=VERIFY_MODES, default="none")
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--carrier-delay", type=float, default=0.0)
    parser.add_argument("--conflict-on", choices=("rule", "body"), default="rule")
    args = parser.parse_args(argv)

    def fail(message: str) -> int:
        print(json.dumps({"error": "bad_config", "message": message}), file=sys.stderr, flush=True)
        return 2

    try:
        secret = args.secret_file.read_bytes().strip() if args.secret_file else None
        catalog = json.loads(args.catalog.read_text(encoding="utf-8")) if args.catalog else None
        peer = UpstreamPeer(args.journal, control=args.control, kiosk_id=args.kiosk_id, secret=secret,
                            verify=args.verify, catalog=catalog, host=args.host, port=args.port,
                            carrier_delay_s=args.carrier_delay, conflict_on=args.conflict_on,
                            report_to_stderr=True)
    except (OSError, ValueError) as exc:
        return fail(str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        peer.start()
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc}")
    print(json.dumps({"event": "ready", "url": peer.url, "pid": os.getpid()}), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        peer.stop()
    print(json.dumps({"event": "stopped", "internal_errors": len(peer.internal_errors)}), flush=True)
    return 1 if peer.internal_errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
