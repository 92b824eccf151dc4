"""Fixtures: the backend under real uvicorn on loopback, on the suite's PostgreSQL or on SQLite."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.harness import BackendProcess, ThreadedBackend
from tests.pg import PostgresServer

_dbs = itertools.count(1)
#: Small enough limits that the over-limit cases stay cheap to send.
LIMITS_ENV = {"SIMKIOSK_BACKEND_MAX_BODY_BYTES": str(1_000_000), "SIMKIOSK_BACKEND_MAX_BATCH_EVENTS": "1000"}


def fresh_pg(server: PostgresServer, tag: str) -> str:
    return server.create_database(f"b{os.getpid()}_{tag}_{next(_dbs)}")


@pytest.fixture(scope="module")
def pg_backend(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    """One backend process per test module on a fresh PostgreSQL database."""
    workdir = tmp_path_factory.mktemp("backend")
    proc = BackendProcess(fresh_pg(postgres_server, "mod"), workdir, env=LIMITS_ENV)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[ThreadedBackend]:
    server = ThreadedBackend(f"sqlite:///{tmp_path / 'backend.sqlite3'}", tmp_path).start()
    try:
        yield server
    finally:
        server.stop()
