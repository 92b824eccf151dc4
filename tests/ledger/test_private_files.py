"""Files holding phone numbers are owner-only whatever the umask: the ledger (with its WAL,
SHM, lock and head record), backups, exports masked or not, the logs, and the backend's
database, each 0600, and the directories made for them 0700. The process umask is 022
here, the usual default that made them 0644 before."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.ledger import Ledger
from kiosk.ledger.store import SQLITE_FILE
from kiosk.logs import LOG_FILE, setup_logging
from tests.ledger.conftest import fill, kiosk_cli


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(*paths: Path) -> None:
    for path in paths:
        assert path.exists(), path
        wanted = 0o700 if path.is_dir() else 0o600
        assert mode(path) == wanted, f"{path}: {oct(mode(path))}"


def test_ledger_files_and_the_directories_made_for_them(tmp_path: Path) -> None:
    data = tmp_path / "var" / "lib" / "simkiosk"
    with Ledger.open("", data) as ledger:
        fill(ledger, 1)
        assert_private(data / SQLITE_FILE, Path(f"{data / SQLITE_FILE}-wal"), Path(f"{data / SQLITE_FILE}-shm"))
    assert_private(data, data.parent, data.parent.parent, data / f"{SQLITE_FILE}.head", data / "ledger.lock")


def test_an_existing_wide_ledger_is_made_private_on_open(data_dir: Path) -> None:
    with Ledger.open("", data_dir) as ledger:
        fill(ledger, 1)
    (data_dir / SQLITE_FILE).chmod(0o644)  # e.g. `cp backup ledger.sqlite3` by an upgrade script
    with Ledger.open("", data_dir):
        pass
    assert_private(data_dir / SQLITE_FILE)


def test_backups_exports_and_restores(tmp_path: Path, data_dir: Path) -> None:
    with Ledger.open("", data_dir) as ledger:
        fill(ledger, 2)
    backups = tmp_path / "backups" / "nightly"
    kiosk_cli(data_dir, "ledger", "backup", str(backups / "b.sqlite3"), check=True)
    assert_private(backups / "b.sqlite3", backups, backups.parent)
    for args in ([], ["--unmask"], ["--events"], ["--format", "jsonl", "--unmask"]):
        out = tmp_path / f"export{len(args)}.csv"
        kiosk_cli(data_dir, "ledger", "export", "--out", str(out), *args, check=True)
        assert_private(out)
    kiosk_cli(data_dir, "ledger", "restore", str(backups / "b.sqlite3"), check=True)
    kept = next(data_dir.glob(f"{SQLITE_FILE}.replaced-*"))
    assert_private(data_dir / SQLITE_FILE, kept)


def test_operator_export_to_a_folder(tmp_path: Path, data_dir: Path) -> None:
    from kiosk.operator_export import export_transactions

    stick = tmp_path / "stick"
    stick.mkdir()
    with Ledger.open("", data_dir) as ledger:
        fill(ledger, 1)
        masked = export_transactions(ledger, stick, kiosk_id="K")
        plain = export_transactions(ledger, stick, kiosk_id="K", unmask=True, filename="plain.csv")
    assert_private(masked.path, plain.path)
    assert "12025550123" in plain.path.read_text() and "12025550123" not in masked.path.read_text()


def test_logs_and_their_rotations(data_dir: Path) -> None:
    from kiosk import logs

    setup_logging(data_dir, "INFO")
    try:
        handler = next(h for h in logs._installed if isinstance(h, logs.PrivateRotatingFileHandler))
        log = logging.getLogger("kiosk.test.private")
        log.warning("first line")
        handler.doRollover()
        log.warning("after the rollover")
    finally:
        setup_logging(None)
    path = data_dir / LOG_FILE
    assert_private(path, Path(f"{path}.1"), path.parent)
    assert json.loads(path.read_text().splitlines()[0])["message"] == "after the rollover"


def test_backend_database_and_its_directory(tmp_path: Path) -> None:
    from backend.store import Store

    db = tmp_path / "srv" / "backend.sqlite3"
    with Store.open(f"sqlite:///{db}") as store:
        store.add_kiosk("K", "", lambda k, g: b"x" * 64)
    assert_private(db, db.parent)
    for suffix in ("-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            assert_private(Path(f"{db}{suffix}"))


def backend_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``kiosk-backend`` command, inheriting this test's umask 022."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMKIOSK_BACKEND_")}
    return subprocess.run([str(Path(sys.executable).with_name("kiosk-backend")), *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_backend_data_directory_made_by_the_command_line(tmp_path: Path) -> None:
    """``add-kiosk --data-dir NEW`` writes the master key first: its directory (and the
    missing parents) 0700, not a plain mkdir's 0755 that the database then left alone."""
    data = tmp_path / "srv" / "backend"
    proc = backend_cli("add-kiosk", "K1", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    assert_private(data, data.parent, data / "master.key", data / "backend.sqlite3")


def test_an_existing_wide_backend_data_directory_is_tightened(tmp_path: Path) -> None:
    """A data directory an older release made 0755 is made 0700 like an old 0644 database
    file; directories the backend merely uses (``--master-key-file`` in a shared one) are not."""
    data = tmp_path / "backend"
    data.mkdir(mode=0o755)
    shared = tmp_path / "etc"
    shared.mkdir(mode=0o755)
    assert mode(data) == 0o755 and mode(shared) == 0o755
    proc = backend_cli("add-kiosk", "K1", "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    assert_private(data, data / "master.key", data / "backend.sqlite3")
    proc = backend_cli("add-kiosk", "K2", "--db", f"sqlite:///{data}/backend.sqlite3",
                       "--master-key-file", str(shared / "master.key"), "--data-dir", str(tmp_path / "unused"))
    assert proc.returncode == 0, proc.stderr
    assert mode(shared) == 0o755 and not (tmp_path / "unused").exists()
    assert_private(shared / "master.key")
