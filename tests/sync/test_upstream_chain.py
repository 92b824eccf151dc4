"""The backend's word on the synced part of the chain: ``acked_hash`` kept with every ack,
``kiosk ledger verify --upstream`` and ``kiosk diag`` catching a chain recomputed after it was
synced, which no local check can (the forger rewrote the head record and meta too)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kiosk.diagnostics import ADVICE_LEDGER_CORRUPT, Diagnostics
from kiosk.ledger import Ledger, verify
from kiosk.ledger.chain import canonical_json, event_hash
from kiosk.ledger.store import ACKED_HASH_META, SQLITE_FILE, head_record_path, write_head_record
from kiosk.logs import setup_logging
from kiosk.sync import Syncer, UpstreamClient
from tests.backend.harness import ThreadedBackend
from tests.ledger.conftest import fill


@pytest.fixture
def synced(sqlite_backend: ThreadedBackend, data_dir: Path, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> tuple[ThreadedBackend, Path]:
    """A kiosk whose 9 events the backend holds, configured through the environment."""
    secret = sqlite_backend.add_kiosk("K-CHAIN")
    secret_file = tmp_path / "secret"
    secret_file.write_bytes(secret)
    secret_file.chmod(0o600)
    for name, value in {"KIOSK_KIOSK_ID": "K-CHAIN", "KIOSK_UPSTREAM_URL": sqlite_backend.base_url,
                        "KIOSK_UPSTREAM_SECRET_FILE": str(secret_file)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    with Ledger.open("", data_dir) as ledger, UpstreamClient(sqlite_backend.base_url, "K-CHAIN", secret) as client:
        fill(ledger)
        Syncer(ledger, client).sync_once()
        assert ledger.get_meta(ACKED_HASH_META) == ledger.hash_at(9)
        assert client.chain().acked_hash == ledger.hash_at(9)
    return sqlite_backend, data_dir


def cli(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, dict[str, object]]:
    from kiosk.cli import main

    capsys.readouterr()
    try:
        rc = main(["--data-dir", str(data_dir), *args, "--json"])
    finally:
        setup_logging(None)
    return rc, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def forge(data_dir: Path) -> None:
    """Recompute the chain from seq 4 with another amount, and everything local that could tell."""
    path = data_dir / SQLITE_FILE
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT seq, txn_id, at, kind, payload, prev_hash FROM events WHERE seq >= 4 "
                           "ORDER BY seq").fetchall()
        prev = rows[0][5]
        for seq, txn, at, kind, payload, _ in rows:
            data = json.loads(payload)
            if seq == 4:
                data["amount_cents"] = 1
            text = canonical_json(data)
            digest = event_hash(prev, seq, txn, at, kind, text)
            con.execute("UPDATE events SET payload = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                        (text, prev, digest, seq))
            prev = digest
        con.execute("UPDATE chain_head SET hash = ? WHERE id = 1", (prev,))
        con.execute("UPDATE transactions SET amount_cents = 1 WHERE amount_cents = 3001")
        con.execute("UPDATE meta SET value = ? WHERE name = 'sync.acked_hash'", (prev,))
        con.commit()
    finally:
        con.close()
    write_head_record(head_record_path(path), 9, prev)


def test_verify_upstream_confirms_an_untouched_ledger(synced: tuple[ThreadedBackend, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _backend, data_dir = synced
    rc, out = cli(capsys, data_dir, "ledger", "verify", "--upstream")
    upstream = out["upstream"]
    assert rc == 0 and out["ok"] is True and isinstance(upstream, dict) and upstream["acked_through"] == 9
    with Ledger.open("", data_dir) as ledger:
        assert upstream["acked_hash"] == ledger.hash_at(9)


def test_a_chain_recomputed_after_sync_is_caught_only_with_the_backend(synced: tuple[ThreadedBackend, Path],
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _backend, data_dir = synced
    forge(data_dir)
    with Ledger.open("", data_dir) as ledger:
        assert verify(ledger).ok  # locally consistent: head record, meta and projection all forged
    rc, out = cli(capsys, data_dir, "ledger", "verify", "--upstream")
    assert rc == 1 and out["check"] == "upstream" and out["first_bad_seq"] == 9, out
    from kiosk.config import load_settings

    with Ledger.open("", data_dir) as ledger:
        health = Diagnostics(load_settings(None), data_dir, ledger=ledger).check_upstream()
    assert not health.ok and health.advice == ADVICE_LEDGER_CORRUPT.format(seq=9), health
    assert health.data["chain"]["first_bad_seq"] == 9  # type: ignore[index]


def test_a_ledger_shorter_than_the_backends_copy_is_caught(synced: tuple[ThreadedBackend, Path],
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _backend, data_dir = synced
    fresh = tmp_path / "fresh"
    with Ledger.open("", fresh) as ledger:
        fill(ledger, 2)  # a fresh install's 6 events in place of the 9 already synced
    for name in (SQLITE_FILE, f"{SQLITE_FILE}.head"):
        (data_dir / name).unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{data_dir / SQLITE_FILE}{suffix}").unlink(missing_ok=True)
    (data_dir / SQLITE_FILE).write_bytes((fresh / SQLITE_FILE).read_bytes())
    rc, out = cli(capsys, data_dir, "ledger", "verify", "--upstream")
    assert rc == 1 and out["check"] == "upstream" and "holds 9 events" in str(out["reason"])
