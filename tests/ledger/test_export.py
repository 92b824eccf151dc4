import csv
import io
import json

import pytest

from kiosk.ledger import Ledger
from tests.ledger.conftest import kiosk_cli


def test_csv_export_masks_by_default(filled, tmp_path):
    out = tmp_path / "t.csv"
    proc = kiosk_cli(filled, "ledger", "export", "--format", "csv", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rows"] == 3
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 3
    for key in ("txn_id", "created_at", "updated_at", "state", "carrier", "msisdn", "iccid", "plan_id",
                "amount_cents", "currency", "terminal_receipt_no", "terminal_trace_no", "topup_status", "provider_ref"):
        assert key in rows[0]
    assert rows[0]["msisdn"] == "*******0123"
    assert rows[0]["iccid"] == "890126*********9012"
    assert "12025550123" not in out.read_text()


def test_jsonl_unmasked_export(filled):
    proc = kiosk_cli(filled, "ledger", "export", "--format", "jsonl", "--unmask")
    assert proc.returncode == 0
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["amount_cents"] for r in rows] == [3000, 3001, 3002]
    assert rows[0]["msisdn"] == "12025550123" and rows[0]["state"] == "completed"


def test_event_export_has_seq_and_hash_and_masks_payload(filled):
    proc = kiosk_cli(filled, "ledger", "export", "--events", "--format", "jsonl")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["seq"] for r in rows] == list(range(1, 10))
    assert all(len(r["hash"]) == 64 for r in rows)
    assert rows[0]["payload"]["msisdn"] == "*******0123"
    proc = kiosk_cli(filled, "ledger", "export", "--events", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == 9 and json.loads(rows[0]["payload"])["iccid"].startswith("890126*")


def test_time_range_filters(data_dir):
    import datetime as dt

    with Ledger.open("", data_dir) as ledger:
        for day in (1, 2, 3):
            ledger.append("txn.created", {"state": "created"}, txn_id=f"t{day}",
                          at=dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC))
    proc = kiosk_cli(data_dir, "ledger", "export", "--format", "jsonl",
                     "--since", "2026-03-02", "--until", "2026-03-03")
    assert [json.loads(x)["txn_id"] for x in proc.stdout.splitlines()] == ["t2"]
    proc = kiosk_cli(data_dir, "ledger", "export", "--format", "jsonl", "--since", "2026-03-02T08:00:00-05:00")
    assert [json.loads(x)["txn_id"] for x in proc.stdout.splitlines()] == ["t3"]


def test_bad_since_is_a_clear_error(filled):
    proc = kiosk_cli(filled, "ledger", "export", "--since", "yesterday", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"error": "bad_argument",
                                       "message": "--since 'yesterday' is not an ISO date or date-time"}


def test_csv_cells_cannot_become_formulas(data_dir):
    with Ledger.open("", data_dir) as ledger:
        ledger.append("txn.created", {"state": "created", "carrier": "=HYPERLINK(\"x\")"}, txn_id="t")
    proc = kiosk_cli(data_dir, "ledger", "export")
    assert "'=HYPERLINK" in proc.stdout


@pytest.mark.parametrize(("cell", "shown"), [
    ("=1+1", "'=1+1"), (" =1+1", "' =1+1"), ("\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"),
    ("\r\n@SUM(A1)", "'\r\n@SUM(A1)"), ("  +HYPERLINK(\"x\")", "'  +HYPERLINK(\"x\")"), ("\tplain", "'\tplain"),
    ("\rplain", "'\rplain"), ("-cmd", "'-cmd"), ("-1+1", "'-1+1"),
    ("-5", "-5"), (" -5", " -5"), ("+1.5e3", "+1.5e3"), ("T-Mobile", "T-Mobile"), ("a=b", "a=b"), ("", ""),
    (None, ""), (3000, 3000),
])
def test_formula_cells_are_neutralised_after_leading_blanks(cell, shown):
    from backend.operators import csv_cell
    from kiosk.ledger.export import neutralise_csv_cell

    assert neutralise_csv_cell(cell) == shown
    assert csv_cell(cell) == shown  # the backend's CSV download uses the same rule
