"""Streaming exports of the ledger: one row per transaction, or the raw events.

Rows are written as they are read, so memory stays flat whatever the ledger's
size. Phone numbers and ICCIDs are masked unless the operator asks otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from kiosk.errors import KioskError
from kiosk.ledger.chain import format_at
from kiosk.ledger.store import Ledger
from kiosk.privacy import mask_iccid, mask_msisdn

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "txn_id", "created_at", "updated_at", "state", "carrier", "msisdn", "iccid", "plan_id",
    "amount_cents", "currency", "terminal_receipt_no", "terminal_trace_no", "card_brand",
    "pan_masked", "topup_status", "provider_ref", "failure_kind",
)
EVENT_COLUMNS: tuple[str, ...] = ("seq", "txn_id", "at", "kind", "payload", "prev_hash", "hash")
FORMATS = ("csv", "jsonl")
_MASKED_PAYLOAD_KEYS = {"msisdn": mask_msisdn, "iccid": mask_iccid}


def parse_time(value: str | None, what: str) -> str | None:
    """ISO date or date-time (naive means UTC) → the ledger's sortable text form."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return format_at(parsed)
    except ValueError as exc:
        raise KioskError(f"--{what} {value!r} is not an ISO date or date-time", code="bad_argument") from exc
    except OverflowError as exc:
        raise KioskError(f"--{what} {value!r} is outside years 1..9999 once in UTC", code="bad_argument") from exc


def transaction_rows(ledger: Ledger, since: str | None, until: str | None, unmask: bool) -> Iterator[dict[str, Any]]:
    for row in ledger.transactions(since=since, until=until):
        out = {col: row.get(col) for col in TRANSACTION_COLUMNS}
        if not unmask:
            out["msisdn"] = mask_msisdn(out["msisdn"])
            out["iccid"] = mask_iccid(out["iccid"])
        yield out


def event_rows(ledger: Ledger, since: str | None, until: str | None, unmask: bool) -> Iterator[dict[str, Any]]:
    for row in ledger.raw_events(since, until):
        payload = json.loads(row.payload)
        if not unmask:
            for key, mask in _MASKED_PAYLOAD_KEYS.items():
                if isinstance(payload.get(key), str):
                    payload[key] = mask(payload[key])
        yield {"seq": row.seq, "txn_id": row.txn_id, "at": row.at, "kind": row.kind,
               "payload": payload, "prev_hash": row.prev_hash, "hash": row.hash}


def write_export(rows: Iterator[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: TextIO) -> int:
    """Write rows as CSV (header first, RFC 4180) or JSON lines; returns the row count."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            if isinstance(row.get("payload"), dict):
                row = {**row, "payload": json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)}
            writer.writerow({k: neutralise_csv_cell(v) for k, v in row.items()})
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    else:
        raise KioskError(f"unknown export format {fmt!r} (use csv or jsonl)", code="bad_argument")
    return count


_FORMULA_START = ("=", "+", "-", "@")
_LEADING_BLANKS = " \t\r\n"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise_csv_cell(value: Any) -> Any:
    """Empty for None; a cell a spreadsheet would run as a formula gets a leading ``'``.

    Spreadsheets skip leading spaces, tabs and line breaks before looking for ``= + - @``
    (OWASP "CSV injection"), and a cell that starts with a tab or CR is itself suspect; a
    plain number such as ``-5`` or ``+1.5e3`` stays a number."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    stripped = value.lstrip(_LEADING_BLANKS)
    if value[:1] in ("\t", "\r") or (stripped[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(stripped)):
        return "'" + value
    return value

