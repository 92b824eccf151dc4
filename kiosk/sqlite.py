"""SQLite settings shared by the kiosk ledger and the reference backend."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event


def configure_sqlite(engine: Engine, *, busy_timeout_ms: int = 10_000,
                     cache_kib: int | None = None) -> None:
    """WAL + ``synchronous=FULL`` (a commit is durable when it returns), foreign keys on,
    and explicit ``BEGIN`` so writers can ask for ``BEGIN IMMEDIATE`` (execution option
    ``sqlite_immediate=True``) and wait for the lock up front instead of failing mid-way.

    ``cache_kib``: each connection's page cache (SQLite's default is 2 MiB); it fills
    as the file grows, so a kiosk's resident size grew with its ledger until then."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        if cache_kib is not None:
            cur.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
