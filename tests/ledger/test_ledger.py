import datetime as dt
import itertools
import json
import multiprocessing
import sqlite3
import subprocess
import sys

import pytest

from kiosk.errors import LedgerError
from kiosk.ledger import Ledger, verify
from kiosk.ledger.chain import GENESIS, event_hash
from kiosk.ledger.store import SQLITE_FILE
from tests.ledger.conftest import fill, kiosk_cli


def test_append_builds_a_chain_and_projection(data_dir):
    with Ledger.open("", data_dir) as ledger:
        fill(ledger, 2)
        events = list(ledger.events())
        assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
        assert events[0].prev_hash == GENESIS
        for a, b in itertools.pairwise(events):
            assert b.prev_hash == a.hash
        txn = ledger.transaction("00000000-0000-4000-8000-000000000001")
        assert txn is not None
        assert txn["state"] == "completed" and txn["amount_cents"] == 3001 and txn["terminal_receipt_no"] == "0001"
        assert txn["created_at"] == events[3].at and txn["updated_at"] == events[5].at
        assert verify(ledger).ok


def test_pragmas_are_durable(data_dir):
    with Ledger.open("", data_dir) as ledger, ledger._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_rebuilt_projection_equals_incremental(filled):
    with Ledger.open("", filled) as ledger:
        before = list(ledger.transactions())
        assert ledger.rebuild_projection() == 3
        assert list(ledger.transactions()) == before


def test_payload_must_be_json(data_dir):
    with Ledger.open("", data_dir) as ledger, pytest.raises(LedgerError, match="not JSON"):
        ledger.append("x", {"when": dt.datetime.now()})


def _sqlite(data_dir, sql):
    subprocess.run(["sqlite3", str(data_dir / SQLITE_FILE), sql], check=True, timeout=30)


def test_untouched_ledger_verifies_by_cli(filled):
    proc = kiosk_cli(filled, "ledger", "verify", "--json")
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == {"ok": True, "events": 9, "last_seq": 9, "first_bad_seq": None, "reason": "",
                                       "check": None}


@pytest.mark.parametrize(
    ("sql", "bad_seq"),
    [
        ("UPDATE events SET payload = replace(payload, '3001', '1') WHERE seq = 4", 4),
        ("UPDATE events SET at = '2020-01-01T00:00:00.000000Z' WHERE seq = 7", 7),
        ("DELETE FROM events WHERE seq = 5", 5),
        ("DELETE FROM events WHERE seq = 9", 9),
        ("UPDATE events SET seq = seq + 100 WHERE seq >= 6", 6),  # renumbered: a gap
    ],
)
def test_tampering_is_found_and_named(filled, sql, bad_seq):
    _sqlite(filled, sql)
    proc = kiosk_cli(filled, "ledger", "verify")
    assert proc.returncode == 1
    assert f"seq {bad_seq}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_row_inserted_in_the_middle_is_found(filled):
    _sqlite(filled, "UPDATE events SET seq = seq + 100 WHERE seq >= 6;"
                    " UPDATE events SET seq = seq - 99 WHERE seq >= 106")
    forged_prev = None
    con = sqlite3.connect(filled / SQLITE_FILE)
    forged_prev = con.execute("SELECT hash FROM events WHERE seq = 5").fetchone()[0]
    payload = '{"state":"completed"}'
    at = "2026-01-01T00:00:00.000000Z"
    h = event_hash(forged_prev, 6, None, at, "forged", payload)
    con.execute("INSERT INTO events (seq, txn_id, at, kind, payload, prev_hash, hash)"
                " VALUES (6, NULL, ?, 'forged', ?, ?, ?)", (at, payload, forged_prev, h))
    con.commit()
    con.close()
    proc = kiosk_cli(filled, "ledger", "verify", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["first_bad_seq"] == 7


def _appender(data_dir, n):
    with Ledger.open("", data_dir) as ledger:
        for i in range(n):
            ledger.append("load", {"i": i})


def test_concurrent_processes_keep_one_chain(data_dir):
    Ledger.open("", data_dir).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_appender, args=(data_dir, 25)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with Ledger.open("", data_dir) as ledger:
        report = verify(ledger)
        assert report.ok and report.events == 75


def test_migration_backs_up_existing_file_first(data_dir, monkeypatch):
    with Ledger.open("", data_dir) as ledger:
        ledger.append("x", {})
    # A newer release whose head is past the file's revision: the file is copied before upgrading.
    monkeypatch.setattr(Ledger, "head_revision", lambda self: "0002")
    with Ledger.open("", data_dir, migrate=False) as ledger:
        backup = ledger.migrate()
    assert backup is not None and "bak-0001-" in backup
    con = sqlite3.connect(backup)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    con.close()


def test_unknown_schema_revision_is_a_clear_error(data_dir):
    with Ledger.open("", data_dir) as ledger:
        ledger.append("x", {})
    con = sqlite3.connect(data_dir / SQLITE_FILE)
    con.execute("UPDATE alembic_version SET version_num = '9999'")  # written by a newer kiosk
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="revision '9999' is unknown"):
        Ledger.open("", data_dir)
    proc = kiosk_cli(data_dir, "ledger", "verify", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"] == "ledger_error"
    con = sqlite3.connect(data_dir / SQLITE_FILE)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # untouched
    con.close()


def test_head_revision_constant_matches_the_newest_migration_script():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from kiosk.ledger.migrations import HEAD_REVISION
    from kiosk.ledger.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_opening_a_current_ledger_does_not_load_alembic(data_dir):
    """Alembic costs ~0.7 s to import; an ordinary start (schema at head) must not pay it."""
    with Ledger.open("", data_dir) as ledger:  # creates and migrates
        ledger.append("x", {})
    script = (
        "import sys; from pathlib import Path; from kiosk.ledger import Ledger\n"
        f"with Ledger.open('', Path({str(data_dir)!r})) as ledger: n = ledger.last_seq()\n"
        "print(n, 'alembic' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert proc.stdout.split() == ["1", "False"]


def test_backup_command_makes_a_verifiable_copy(filled, tmp_path):
    dest = tmp_path / "copy.sqlite3"
    proc = kiosk_cli(filled, "ledger", "backup", str(dest), "--json")
    assert proc.returncode == 0, proc.stderr
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / SQLITE_FILE).write_bytes(dest.read_bytes())
    with Ledger.open("", restored) as ledger:
        assert verify(ledger).events == 9


@pytest.mark.postgres
def test_same_code_on_postgresql(postgres_url, data_dir):
    with Ledger.open(postgres_url, data_dir) as ledger:
        assert ledger.dialect == "postgresql"
        fill(ledger, 3)
        assert verify(ledger).ok
        before = list(ledger.transactions())
        assert ledger.rebuild_projection() == 3
        assert list(ledger.transactions()) == before
        assert ledger.transaction("00000000-0000-4000-8000-000000000002")["amount_cents"] == 3002
        ledger.set_meta("sync.acked_through", "5")
        ledger.set_meta("sync.acked_through", "7")
        assert ledger.get_meta("sync.acked_through") == "7"
    # Reopening runs no migration twice.
    with Ledger.open(postgres_url, data_dir) as ledger:
        assert ledger.schema_revision() == ledger.head_revision()
        assert ledger.last_seq() == 9


@pytest.mark.postgres
def test_postgres_tampering_is_found(postgres_url, data_dir):
    import psycopg

    with Ledger.open(postgres_url, data_dir) as ledger:
        fill(ledger, 2)
    with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("UPDATE events SET kind = 'txn.forged' WHERE seq = 3")
    with Ledger.open(postgres_url, data_dir) as ledger:
        report = verify(ledger)
        assert not report.ok and report.first_bad_seq == 3
