"""Operator logins: argon2id password hashes, and the pure helpers of the operator views."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backend.errors import bad_request
from kiosk.ledger.chain import format_at
from kiosk.ledger.export import neutralise_csv_cell
from kiosk.privacy import mask_iccid, mask_msisdn

_HASHER = PasswordHasher()
#: Verified against when the operator does not exist, so both cases take as long.
_DUMMY_HASH = _HASHER.hash("simkiosk-no-such-operator")
MIN_PASSWORD = 10

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "kiosk_id", "txn_id", "created_at", "updated_at", "state", "carrier", "msisdn", "iccid", "plan_id",
    "amount_cents", "currency", "terminal_receipt_no", "terminal_trace_no", "card_brand", "pan_masked",
    "topup_status", "provider_ref", "failure_kind",
)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must have at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """``(ok, new_hash)``; ``new_hash`` is set when the stored one used older parameters."""
    try:
        _HASHER.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    return True, _HASHER.hash(password) if _HASHER.check_needs_rehash(stored_hash) else None


MAX_PARAM = 200
_INT = re.compile(r"-?[0-9]{1,18}")


def parse_time_param(value: str | None, name: str) -> str | None:
    """ISO date or date-time (naive means UTC) → the sortable ``at`` text form, or a 400
    (also for a time that leaves years 1..9999 once in UTC, e.g. ``9999-12-31T23:59-05:00``)."""
    if not value:
        return None
    shown = repr(value[:40])
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return format_at(parsed)
    except ValueError as exc:
        raise bad_request(f"{name} is not an ISO date or date-time: {shown}", field=name) from exc
    except OverflowError as exc:
        raise bad_request(f"{name} is out of range once in UTC: {shown}", field=name) from exc


def parse_text_param(value: str | None, name: str) -> str | None:
    """A free-text filter: at most :data:`MAX_PARAM` printable characters (a NUL would
    reach the database, which refuses it), or a 400; empty means no filter."""
    if not value:
        return None
    if len(value) > MAX_PARAM or not value.isprintable():
        raise bad_request(f"{name} must be up to {MAX_PARAM} printable characters", field=name)
    return value


def parse_int_param(value: str | None, name: str, default: int, lo: int, hi: int) -> int:
    if value is None or value == "":
        return default
    if not _INT.fullmatch(value):
        raise bad_request(f"{name} must be an integer", field=name)
    number = int(value)
    if not lo <= number <= hi:
        raise bad_request(f"{name} must be within {lo}..{hi}", field=name)
    return number


def masked(row: dict[str, Any], unmask: bool) -> dict[str, Any]:
    out = {col: row.get(col) for col in TRANSACTION_COLUMNS}
    if not unmask:
        out["msisdn"] = mask_msisdn(out["msisdn"])
        out["iccid"] = mask_iccid(out["iccid"])
    return out


def csv_cell(value: Any) -> Any:
    """Empty for None; formula-like text neutralised (``kiosk.ledger.export.neutralise_csv_cell``)."""
    return neutralise_csv_cell(value)


#: Rows per streamed chunk: Starlette pulls each chunk of a plain iterator on its thread pool,
#: so one chunk per row cost a thread hand-off per row (7,000 rows/s for a fleet-day export).
CSV_CHUNK_ROWS = 500


def csv_lines(rows: Iterable[dict[str, Any]], chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[str]:
    """RFC 4180 CSV, header first, streamed in chunks of ``chunk_rows`` rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(TRANSACTION_COLUMNS)
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(col)) for col in TRANSACTION_COLUMNS])
        pending += 1
        if pending >= chunk_rows:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
            pending = 0
    yield buf.getvalue()


@functools.lru_cache(maxsize=4)
def _cutoff(now: dt.datetime, offline_after_s: float) -> str:
    """The oldest heartbeat time that still counts as online, in the stored text form."""
    return format_at(now - dt.timedelta(seconds=offline_after_s))


def fleet_row(kiosk: dict[str, Any], now: dt.datetime, offline_after_s: float) -> dict[str, Any]:
    """One fleet-table row from the stored kiosk and its last heartbeat."""
    status = kiosk["status"] if isinstance(kiosk.get("status"), dict) else {}
    raw_devices = status.get("devices")
    devices: dict[str, Any] = raw_devices if isinstance(raw_devices, dict) else {}
    faults = sorted(name for name, info in devices.items()
                    if not (isinstance(info, dict) and info.get("ok") is True))
    # the stored times are fixed-width UTC text that sorts as the times do: compare as text
    # (parsing each with strptime was most of the fleet view's time with 10,000 kiosks)
    online = bool(kiosk.get("last_heartbeat_at")) and kiosk["last_heartbeat_at"] >= _cutoff(now, offline_after_s)
    unsynced = status.get("unsynced_events")
    return {
        "kiosk_id": kiosk["kiosk_id"], "location": kiosk["location"],
        "last_heartbeat_at": kiosk["last_heartbeat_at"], "online": online, "device_faults": faults,
        "devices": devices, "unsynced_events": unsynced if isinstance(unsynced, int) else None,
        "needs_attention": kiosk["needs_attention"],
        "reported_needs_attention": status.get("needs_attention"),
        "acked_through": kiosk["acked_through"], "last_event_at": kiosk["last_event_at"],
        "incidents": kiosk["incidents"], "disabled": kiosk["disabled"],
        "end_of_day_mismatches": kiosk.get("end_of_day_mismatches", 0),
        "last_end_of_day_mismatch_at": kiosk.get("last_end_of_day_mismatch_at"),
    }
