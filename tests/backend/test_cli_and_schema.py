"""``kiosk-backend`` commands, secrets at rest, and the migrations against the models."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from backend.cli import main
from backend.keys import derive_secret, load_master_key, secret_check
from backend.models import Base
from backend.store import Store
from kiosk.errors import KioskError
from kiosk.sync.signing import signed_headers
from tests.backend.harness import ROOT


def backend_cli(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process."""
    return subprocess.run([sys.executable, "-m", "backend", *args, "--data-dir", str(data_dir)],
                          input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
            ) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``backend.cli.main`` in this process (fast); same result shape as :func:`backend_cli`."""
    def run(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main([*args, "--data-dir", str(data_dir)])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)
    return run


def test_add_kiosk_prints_a_secret_once_and_stores_none(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    first = backend_cli(tmp_path, "add-kiosk", "KIOSK-7", "--location", "Airport", "--json")
    assert first.returncode == 0, first.stderr
    secret = json.loads(first.stdout)["secret"].encode()
    assert len(secret) == 64
    again = run_cli(tmp_path, "add-kiosk", "KIOSK-7", "--json")
    assert (again.returncode, json.loads(again.stdout)["error"]) == (1, "kiosk_exists")
    assert oct((tmp_path / "master.key").stat().st_mode & 0o777) == "0o600"
    raw = (tmp_path / "backend.sqlite3").read_bytes()
    assert secret not in raw  # only a check value is stored
    with Store.open(f"sqlite:///{tmp_path / 'backend.sqlite3'}") as store:
        auth = store.kiosk_auth("KIOSK-7")
    assert auth is not None and auth.check == secret_check(secret)


def test_rotating_a_secret_invalidates_the_old_one(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    old = json.loads(run_cli(tmp_path, "add-kiosk", "K", "--json").stdout)["secret"]
    new = json.loads(run_cli(tmp_path, "add-kiosk", "K", "--rotate", "--json").stdout)["secret"]
    assert old != new
    master = load_master_key(tmp_path / "master.key", create=False)
    assert derive_secret(master, "K", 2).decode() == new
    from backend.app import Backend, SignedRequest
    from backend.errors import ApiError
    from backend.provider import SimulatedProvider
    from backend.settings import BackendSettings

    with Store.open(f"sqlite:///{tmp_path / 'backend.sqlite3'}") as store:
        backend = Backend(BackendSettings(db_url="", master_key_file=tmp_path / "master.key"), store, master,
                          SimulatedProvider())
        now = dt.datetime.now(dt.UTC)

        def request(secret: str) -> SignedRequest:
            headers = signed_headers("K", secret.encode(), "POST", "/v1/lookup", "", b"{}", now)
            return SignedRequest("POST", "/v1/lookup", [], {k.lower(): v for k, v in headers.items()}, b"{}")

        assert backend.authenticate(request(new)) == "K"
        with pytest.raises(ApiError) as info:
            backend.authenticate(request(old))
        assert info.value.code == "bad_signature"


def test_add_operator(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    short = run_cli(tmp_path, "add-operator", "bob", "--json", stdin="short\n")
    assert (short.returncode, json.loads(short.stdout)["error"]) == (1, "bad_argument")
    ok = run_cli(tmp_path, "add-operator", "bob", stdin="a long enough password\n")
    assert ok.returncode == 0, ok.stderr
    with Store.open(f"sqlite:///{tmp_path / 'backend.sqlite3'}") as store:
        stored = store.operator_hash("bob")
    assert stored is not None and stored.startswith("$argon2id$") and "a long enough" not in stored


def test_a_world_readable_master_key_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "master.key"
    load_master_key(key, create=True)
    key.chmod(0o644)
    with pytest.raises(KioskError) as info:
        load_master_key(key, create=False)
    assert info.value.code == "master_key_exposed"


def _diff(url: str) -> list[object]:
    with Store.open(url):
        pass
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": "backend_alembic_version"})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'b.sqlite3'}") == []


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(postgres_url: str) -> None:
    assert _diff(postgres_url) == []
    with Store.open(postgres_url) as store:  # a second start finds the schema current
        assert store.schema_revision() == store.head_revision()
