"""A ledger that cannot be swapped unnoticed: full verification (schema, projection, meta,
head record) and a restore that verifies the candidate first and refuses it with the first
reason, leaving the kiosk's own ledger untouched."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.errors import LedgerCorrupt
from kiosk.ledger import Ledger, verify
from kiosk.ledger.chain import canonical_json, event_hash
from kiosk.ledger.store import ACKED_HASH_META, ACKED_META, SQLITE_FILE, head_record_path, read_head_record
from kiosk.logs import setup_logging
from tests.ledger.conftest import fill

Cli = Callable[..., tuple[int, dict[str, object]]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``kiosk …--json`` in this process (the subprocess tests in test_ledger.py cover the entry point)."""
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)

    def run(data_dir: Path, *args: str) -> tuple[int, dict[str, object]]:
        from kiosk.cli import main

        capsys.readouterr()
        try:
            rc = main(["--data-dir", str(data_dir), *args, "--json"])
        finally:
            setup_logging(None)
        lines = capsys.readouterr().out.strip().splitlines()
        return rc, json.loads(lines[-1]) if lines else {}
    return run


def sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    try:
        for statement in statements:
            con.execute(statement)
        con.commit()
    finally:
        con.close()


def make_backup(source: Path, dest: Path) -> Path:
    with Ledger.open("", source) as ledger:
        return ledger.backup(dest)


@pytest.fixture
def kiosk_dir(tmp_path: Path) -> Path:
    """The kiosk's own ledger: 9 events, a sync position, a head record."""
    data = tmp_path / "kiosk"
    with Ledger.open("", data) as ledger:
        fill(ledger)
        ledger.set_metas({ACKED_META: "6", ACKED_HASH_META: ledger.hash_at(6) or ""})
    return data


def fingerprint(data: Path) -> tuple[int, str]:
    with Ledger.open("", data) as ledger:
        assert verify(ledger).ok
        return ledger.head()


# --------------------------------------------------------------------------- verify


def test_an_intact_ledger_passes_every_check(kiosk_dir: Path, cli: Cli) -> None:
    rc, out = cli(kiosk_dir, "ledger", "verify")
    assert rc == 0 and out["ok"] is True and out["events"] == 9
    assert read_head_record(head_record_path(kiosk_dir / SQLITE_FILE)) == fingerprint(kiosk_dir)


@pytest.mark.parametrize(("statements", "check", "words"), [
    (["CREATE TRIGGER hide AFTER INSERT ON events BEGIN DELETE FROM events WHERE seq = new.seq; END"],
     "schema", "unexpected trigger 'hide'"),
    (["CREATE VIEW v AS SELECT * FROM events"], "schema", "unexpected view 'v'"),
    (["CREATE TABLE shadow (x)"], "schema", "unexpected table 'shadow'"),
    (["CREATE INDEX ix_shadow ON events (kind)"], "schema", "unexpected index 'ix_shadow'"),
    (["ALTER TABLE meta ADD COLUMN note TEXT"], "schema", "table 'meta' has columns"),
    (["UPDATE transactions SET amount_cents = 1 WHERE txn_id LIKE '%1'"], "projection", "differs from the fold"),
    (["DELETE FROM transactions WHERE txn_id LIKE '%2'"], "projection", "missing from the transactions table"),
    (["INSERT INTO transactions (txn_id, created_at, updated_at, state, last_seq) "
      "VALUES ('ghost', 'x', 'x', 'completed', 99)"], "projection", "ghost has no events"),
    (["UPDATE meta SET value = '9999' WHERE name = 'sync.acked_through'"], "meta", "would never send"),
    (["UPDATE meta SET value = 'ff' WHERE name = 'sync.acked_hash'"], "meta", "not the hash of seq 6"),
    (["INSERT INTO meta VALUES ('technician.gate', '{\"v\": 2, \"failures\": -1000, \"lockouts\": 0}')"],
     "meta", "failures = -1000"),
])
def test_verify_names_what_was_changed(kiosk_dir: Path, cli: Cli, statements: list[str], check: str,
                                       words: str) -> None:
    sql(kiosk_dir / SQLITE_FILE, *statements)
    rc, out = cli(kiosk_dir, "ledger", "verify")
    assert rc == 1 and out["error"] == "ledger_corrupt" and out["check"] == check, out
    assert words in str(out["reason"])


def _recompute_from(path: Path, seq: int, *, new_amount: int) -> None:
    """A forger's full job: change an event, recompute every hash after it, fix the chain head,
    the projection and the sync meta, so the file is self-consistent."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT seq, txn_id, at, kind, payload, prev_hash FROM events WHERE seq >= ? "
                           "ORDER BY seq", (seq,)).fetchall()
        prev = rows[0][5]
        for s, txn, at, kind, payload, _ in rows:
            data = json.loads(payload)
            if s == seq:
                data["amount_cents"] = new_amount
            text = canonical_json(data)
            digest = event_hash(prev, s, txn, at, kind, text)
            con.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?", (text, prev, digest, s))
            prev = digest
        con.execute("UPDATE chain_head SET hash = ? WHERE id = 1", (prev,))
        con.execute("UPDATE transactions SET amount_cents = ? WHERE amount_cents = 3001", (new_amount,))
        con.execute("UPDATE meta SET value = (SELECT hash FROM events WHERE seq = 6) WHERE name = 'sync.acked_hash'")
        con.commit()
    finally:
        con.close()


def test_a_recomputed_chain_is_caught_by_the_head_record(kiosk_dir: Path, cli: Cli) -> None:
    _recompute_from(kiosk_dir / SQLITE_FILE, 4, new_amount=1)
    rc, out = cli(kiosk_dir, "ledger", "verify")
    assert rc == 1 and out["check"] == "head_record" and out["first_bad_seq"] == 9


def test_an_older_copy_put_in_place_is_caught(kiosk_dir: Path, tmp_path: Path, cli: Cli) -> None:
    old = make_backup(kiosk_dir, tmp_path / "old.sqlite3")
    with Ledger.open("", kiosk_dir) as ledger:
        ledger.append("txn.state", {"state": "completed"}, txn_id="later")
    for suffix in ("-wal", "-shm"):
        Path(f"{kiosk_dir / SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(old, kiosk_dir / SQLITE_FILE)
    rc, out = cli(kiosk_dir, "ledger", "verify")
    assert rc == 1 and out["check"] == "head_record" and out["first_bad_seq"] == 10
    assert "recorded seq 10" in str(out["reason"])


@pytest.mark.parametrize("how", ["emptied", "deleted"])
def test_an_empty_or_missing_ledger_is_refused_when_events_existed(kiosk_dir: Path, cli: Cli, how: str) -> None:
    path = kiosk_dir / SQLITE_FILE
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if how == "emptied":
        path.write_bytes(b"")
    else:
        path.unlink()
    rc, out = cli(kiosk_dir, "ledger", "verify")
    assert rc == 1 and out["error"] == "ledger_corrupt" and "recorded 9 events" in str(out["message"])
    with pytest.raises(LedgerCorrupt):
        Ledger.open("", kiosk_dir)  # the kiosk does not start a new chain on it either
    assert not path.exists() or path.stat().st_size == 0


def test_a_fresh_ledger_without_a_record_opens(tmp_path: Path) -> None:
    with Ledger.open("", tmp_path / "new") as ledger:
        assert verify(ledger).ok and ledger.recorded_head() is None


@pytest.mark.postgres
def test_postgres_triggers_and_projection_edits_are_caught(postgres_url: str, data_dir: Path) -> None:
    import psycopg

    with Ledger.open(postgres_url, data_dir) as ledger:
        fill(ledger, 2)
        assert verify(ledger).ok
    plain = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("UPDATE transactions SET state = 'created' WHERE txn_id LIKE '%1'")
    with Ledger.open(postgres_url, data_dir) as ledger:
        report = verify(ledger)
        assert not report.ok and report.check == "projection" and report.first_bad_seq == 6
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION nop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'")
        conn.execute("CREATE TRIGGER swallow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION nop()")
    with Ledger.open(postgres_url, data_dir) as ledger:
        report = verify(ledger)
        assert not report.ok and report.check == "schema" and "swallow" in report.reason


# --------------------------------------------------------------------------- restore


def _tamper(backup: Path, *statements: str) -> Path:
    sql(backup, *statements)
    return backup


@pytest.mark.parametrize(("prepare", "reason"), [
    (lambda b: b.write_bytes(b""), "it is empty (0 bytes)"),
    (lambda b: b.write_text("not a database"), "not a SQLite database"),
    (lambda b: (b.unlink(), sql(b, "CREATE TABLE x (y)")), "not a simkiosk ledger"),
    (lambda b: _tamper(b, "UPDATE meta SET value = '1000000' WHERE name = 'sync.acked_through'"), "meta"),
    (lambda b: _tamper(b, "INSERT INTO meta VALUES ('technician.gate', "
                          "'{\"v\": 2, \"failures\": -1000, \"lockouts\": 0, \"lock\": null}')"), "failures = -1000"),
    (lambda b: _tamper(b, "CREATE TRIGGER t AFTER INSERT ON events BEGIN SELECT 1; END"), "unexpected trigger"),
    (lambda b: _tamper(b, "UPDATE transactions SET amount_cents = 1"), "projection"),
    (lambda b: _tamper(b, "UPDATE events SET kind = 'x' WHERE seq = 2"), "chain at seq 2"),
    (lambda b: _tamper(b, "DELETE FROM events", "DELETE FROM transactions", "DELETE FROM meta",
                          "UPDATE chain_head SET seq = 0, hash = '" + "0" * 64 + "'"),
     "it holds no events but this kiosk had recorded 9"),
])
def test_restore_refuses_a_bad_backup_with_the_first_reason(kiosk_dir: Path, tmp_path: Path, cli: Cli,
                                                           prepare: Callable[[Path], object], reason: str) -> None:
    backup = make_backup(kiosk_dir, tmp_path / "backup.sqlite3")
    prepare(backup)
    before = fingerprint(kiosk_dir)
    rc, out = cli(kiosk_dir, "ledger", "restore", str(backup))
    assert rc == 1 and out["error"] == "ledger_corrupt", out
    assert "does not verify" in str(out["message"]) and reason in str(out["message"]), out
    assert fingerprint(kiosk_dir) == before  # the kiosk's own ledger is untouched
    assert not list(kiosk_dir.glob(f"{SQLITE_FILE}.replaced-*"))


@pytest.mark.parametrize(("statement", "message"), [
    ("UPDATE meta SET value = '1000000' WHERE name = 'sync.acked_through'",
     "meta sync.acked_through says the backend has seq 1000000 but the journal ends at seq 9: "
     "the kiosk would never send its events"),
    ("CREATE TRIGGER t AFTER INSERT ON events BEGIN SELECT 1; END", "schema: unexpected trigger 't' on 'events'"),
    ("UPDATE events SET kind = 'x' WHERE seq = 2", "chain at seq 2: contents do not match its hash (modified?)"),
])
def test_restore_refusal_says_exactly_what_is_wrong(kiosk_dir: Path, tmp_path: Path, cli: Cli, statement: str,
                                                    message: str) -> None:
    """No seq for a meta value (no event is bad; "at seq 10" past a journal ending at 9 misled),
    and a reason that names its check or seq is not prefixed with it again ("schema: schema:",
    "at seq 2: seq 2:")."""
    backup = _tamper(make_backup(kiosk_dir, tmp_path / "backup.sqlite3"), statement)
    rc, out = cli(kiosk_dir, "ledger", "restore", str(backup))
    assert rc == 1 and out["message"] == f"backup {backup} does not verify: {message}", out


def test_restore_refuses_another_kiosks_chain(kiosk_dir: Path, tmp_path: Path, cli: Cli) -> None:
    other = tmp_path / "other"
    with Ledger.open("", other) as ledger:
        fill(ledger, 4)  # longer, and different from seq 1 on
        ledger.append("x", {"other": True})
    backup = make_backup(other, tmp_path / "other.sqlite3")
    rc, out = cli(kiosk_dir, "ledger", "restore", str(backup))
    assert rc == 1 and "another chain: seq 9" in str(out["message"])


def test_restore_of_a_good_backup_resets_sync_so_the_backend_rechecks_it(kiosk_dir: Path, tmp_path: Path,
                                                                        cli: Cli) -> None:
    backup = make_backup(kiosk_dir, tmp_path / "good.sqlite3")
    with Ledger.open("", kiosk_dir) as ledger:
        ledger.append("txn.state", {"state": "created"}, txn_id="after-backup")
    rc, out = cli(kiosk_dir, "ledger", "restore", str(backup))
    assert rc == 0 and out["events"] == 9 and out["older_than_recorded"] is True and out["sync_reset"] is True
    with Ledger.open("", kiosk_dir) as ledger:
        assert verify(ledger).ok and ledger.last_seq() == 9
        assert ledger.get_meta(ACKED_META) == "0" and ledger.get_meta(ACKED_HASH_META) == ""
        assert ledger.recorded_head() == ledger.head()
    assert len(list(kiosk_dir.glob(f"{SQLITE_FILE}.replaced-*"))) == 1


def test_restore_onto_an_emptied_ledger_keeps_the_empty_file_aside(kiosk_dir: Path, tmp_path: Path,
                                                                   cli: Cli) -> None:
    backup = make_backup(kiosk_dir, tmp_path / "good.sqlite3")
    for suffix in ("-wal", "-shm"):
        Path(f"{kiosk_dir / SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    (kiosk_dir / SQLITE_FILE).write_bytes(b"")
    rc, out = cli(kiosk_dir, "ledger", "restore", str(backup))
    assert rc == 0, out
    assert fingerprint(kiosk_dir)[0] == 9
