"""The ledger: an append-only, hash-chained event journal plus its transactions projection.

Every ``append`` is one database transaction that adds the event, advances the
chain head and folds the event into the ``transactions`` projection; it has
returned only once the commit is durable (SQLite WAL with ``synchronous=FULL``,
PostgreSQL's default synchronous commit). Callers journal an intent *before*
acting on it: that is what makes crash recovery possible.

Database errors are wrapped into :class:`kiosk.errors.LedgerError`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from kiosk.errors import LedgerError
from kiosk.ledger.chain import GENESIS, canonical_json, event_hash, format_at
from kiosk.ledger.migrations import HEAD_REVISION
from kiosk.ledger.models import PROJECTED_FIELDS, ChainHead, Event, Meta, Transaction
from kiosk.sqlite import configure_sqlite

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

SQLITE_FILE = "ledger.sqlite3"
MIGRATIONS = Path(__file__).with_name("migrations")
_EVENTS = cast(Table, Event.__table__)
_HEAD = cast(Table, ChainHead.__table__)
_TXNS = cast(Table, Transaction.__table__)
_META = cast(Table, Meta.__table__)
STREAM_BATCH = 2000


@dataclass(frozen=True)
class LedgerEvent:
    seq: int
    txn_id: str | None
    at: str
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "txn_id": self.txn_id, "at": self.at, "kind": self.kind,
            "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash,
        }


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / SQLITE_FILE}"


class Ledger:
    """Open with :meth:`open`; close with :meth:`close` or use as a context manager."""

    def __init__(self, engine: Engine, *, sqlite_path: Path | None) -> None:
        self._engine = engine
        self._sqlite_path = sqlite_path
        self._closed = False
        self._lock = threading.Lock()  # one appender per process at a time; the DB locks across processes
        self._sql = _DriverSql(engine.dialect.name)
        self._driver_errors: tuple[type[BaseException], ...] = (engine.dialect.loaded_dbapi.Error,)
        self._append_conn: Any = None

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, url: str | None, data_dir: Path, *, migrate: bool = True) -> Ledger:
        """Connect (empty ``url``: SQLite in ``data_dir``), back up and migrate when needed."""
        sqlite_path: Path | None = None
        if not url:
            data_dir.mkdir(parents=True, exist_ok=True)
            sqlite_path = data_dir / SQLITE_FILE
            url = sqlite_url(data_dir)
        elif url.startswith("sqlite:///"):
            sqlite_path = Path(url.removeprefix("sqlite:///"))
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if sqlite_path is not None:
                engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
                configure_sqlite(engine)
            else:
                if url.startswith("postgresql://"):
                    url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
                engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            ledger = cls(engine, sqlite_path=sqlite_path)
            if migrate:
                ledger.migrate()
            return ledger
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot open ledger at {_safe_url(url)}: {exc.__class__.__name__}: {exc}") from exc

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with self._lock:
                self._drop_append_connection(rollback=False)
            self._engine.dispose()

    def _append_connection(self) -> Any:
        """One pooled connection kept for appends: they are the hot path, so they use the
        driver directly (in its own parameter style) with no per-call checkout."""
        if self._closed:
            raise LedgerError("the ledger is closed")
        if self._append_conn is None:
            try:
                self._append_conn = self._engine.raw_connection()
            except SQLAlchemyError as exc:
                raise LedgerError(f"cannot connect to the ledger: {exc}") from exc
        return self._append_conn

    def _drop_append_connection(self, *, rollback: bool) -> None:
        conn, self._append_conn = self._append_conn, None
        if conn is None:
            return
        try:
            if rollback:
                conn.rollback()
        except self._driver_errors:
            log.warning("rollback after a failed append failed too; discarding the connection")
            conn.invalidate()
        finally:
            conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # ------------------------------------------------------------------ migrations

    # Alembic costs ~0.7 s to import: it is loaded only when the schema is not at
    # HEAD_REVISION (a new ledger, an upgrade), never on an ordinary start.

    def _alembic_config(self, conn: Connection | None = None) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        if conn is not None:
            cfg.attributes["connection"] = conn
        return cfg

    def schema_revision(self) -> str | None:
        """The revision stamped in ``alembic_version`` (``None``: an empty database)."""
        with self._engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(rows) > 1:
            raise LedgerError(f"ledger schema has several revisions stamped ({', '.join(rows)}); restore a backup")
        return str(rows[0]) if rows else None

    def head_revision(self) -> str | None:
        return HEAD_REVISION

    def migrate(self) -> str | None:
        """Bring the schema to head; back up an existing SQLite file first. Returns the backup path."""
        head = self.head_revision()
        with self._migration_lock():
            current = self.schema_revision()
            if current == head:
                return None
            from alembic import command
            from alembic.util.exc import CommandError as AlembicCommandError

            if current is not None and not self._known_revision(current):
                raise LedgerError(
                    f"ledger schema revision {current!r} is unknown to this version of simkiosk "
                    "(written by a newer one?): upgrade simkiosk or restore a backup")
            backup = None
            if self._sqlite_path is not None and current is not None:
                backup = self.backup(self._sqlite_path.with_name(
                    f"{SQLITE_FILE}.bak-{current}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"))
            log.info("migrating ledger schema", extra={"from_rev": current, "to_rev": head})
            try:
                with self._engine.begin() as conn:
                    command.upgrade(self._alembic_config(conn), "head")
                    if conn.execute(select(_HEAD.c.id)).first() is None:
                        conn.execute(insert(_HEAD).values(id=1, seq=0, hash=GENESIS))
            except (SQLAlchemyError, AlembicCommandError) as exc:
                raise LedgerError(f"ledger migration to {head} failed: {exc}") from exc
            except Exception as exc:  # a migration script is arbitrary code: one line naming what it raised
                raise LedgerError(f"ledger migration to {head} failed: {exc.__class__.__name__}: {exc}") from exc
            return str(backup) if backup else None

    def _known_revision(self, revision: str) -> bool:
        from alembic.script import ScriptDirectory
        from alembic.util.exc import CommandError as AlembicCommandError

        try:
            return ScriptDirectory.from_config(self._alembic_config()).get_revision(revision) is not None
        except AlembicCommandError:
            return False

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self._sqlite_path is not None:
            with open(self._sqlite_path.with_name("ledger.lock"), "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        else:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(727140)"))
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(727140)"))
                    conn.commit()

    def backup(self, dest: Path) -> Path:
        """Consistent copy of the SQLite ledger (safe while the kiosk runs, WAL included)."""
        if self._sqlite_path is None:
            raise LedgerError("backup() copies SQLite ledgers; use pg_dump for PostgreSQL")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        src = sqlite3.connect(self._sqlite_path)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dst.close()
        except sqlite3.Error as exc:
            raise LedgerError(f"backup to {dest} failed: {exc}") from exc
        finally:
            src.close()
        shutil.move(tmp, dest)
        return dest

    # ------------------------------------------------------------------ writing

    def append(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        txn_id: str | None = None,
        at: dt.datetime | None = None,
    ) -> LedgerEvent:
        """Journal one event durably; returns once committed. Never updates or deletes events."""
        if not kind or len(kind) > 64:
            raise LedgerError(f"bad event kind {kind!r}")
        try:
            payload_text = canonical_json(dict(payload))
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"event payload for {kind} is not JSON: {exc}") from exc
        at_text = format_at(at or dt.datetime.now(dt.UTC))
        with self._lock:
            conn = self._append_connection()
            cur = conn.cursor()
            try:
                if self._sqlite_path is not None:
                    cur.execute("BEGIN IMMEDIATE")
                cur.execute(self._sql.head)
                prev_seq, prev_hash = cur.fetchone()
                seq = prev_seq + 1
                digest = event_hash(prev_hash, seq, txn_id, at_text, kind, payload_text)
                cur.execute(self._sql.insert_event, {
                    "seq": seq, "txn_id": txn_id, "at": at_text, "kind": kind, "payload": payload_text,
                    "prev_hash": prev_hash, "hash": digest})
                cur.execute(self._sql.advance_head, {"seq": seq, "hash": digest})
                if txn_id is not None:
                    self._sql.fold(cur, txn_id, at_text, seq, payload)
                conn.commit()
            except self._driver_errors as exc:
                self._drop_append_connection(rollback=True)
                raise LedgerError(f"cannot append {kind} to the ledger: {exc.__class__.__name__}: {exc}") from exc
            finally:
                cur.close()
        return LedgerEvent(seq, txn_id, at_text, kind, json.loads(payload_text), prev_hash, digest)

    def rebuild_projection(self) -> int:
        """Recompute ``transactions`` from the events; returns how many transactions."""
        try:
            with self._lock, self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                conn.execute(delete(_TXNS))
                count = 0
                query = select(_EVENTS).where(_EVENTS.c.txn_id.is_not(None)).order_by(_EVENTS.c.seq)
                cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                try:
                    for row in _stream(conn, query):
                        count += self._sql.fold(cur, row.txn_id, row.at, row.seq, json.loads(row.payload))
                finally:
                    cur.close()
                return count
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot rebuild the transactions projection: {exc}") from exc

    # ------------------------------------------------------------------ reading

    def last_seq(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(_HEAD.c.seq).where(_HEAD.c.id == 1)).scalar_one())

    def events(
        self, after_seq: int = 0, limit: int | None = None, *, txn_id: str | None = None
    ) -> Iterator[LedgerEvent]:
        """Stream events oldest first (constant memory)."""
        query = select(_EVENTS).where(_EVENTS.c.seq > after_seq).order_by(_EVENTS.c.seq)
        if txn_id is not None:
            query = query.where(_EVENTS.c.txn_id == txn_id)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            for row in _stream(conn, query):
                yield LedgerEvent(
                    row.seq, row.txn_id, row.at, row.kind, json.loads(row.payload), row.prev_hash, row.hash
                )

    def raw_events(self, since: str | None = None, until: str | None = None) -> Iterator[Any]:
        """Stored rows as they are (payload as text) for verify and export."""
        query = select(_EVENTS).order_by(_EVENTS.c.seq)
        if since:
            query = query.where(_EVENTS.c.at >= since)
        if until:
            query = query.where(_EVENTS.c.at < until)
        with self._read() as conn:
            yield from _stream(conn, query)

    def transaction(self, txn_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(select(_TXNS).where(_TXNS.c.txn_id == txn_id)).mappings().first()
            return dict(row) if row else None

    def transactions(
        self,
        *,
        states: frozenset[str] | set[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream projection rows by creation time (``since`` inclusive, ``until`` exclusive)."""
        query = select(_TXNS).order_by(_TXNS.c.created_at, _TXNS.c.txn_id)
        if states is not None:
            query = query.where(_TXNS.c.state.in_(sorted(states)))
        if since:
            query = query.where(_TXNS.c.created_at >= since)
        if until:
            query = query.where(_TXNS.c.created_at < until)
        with self._read() as conn:
            for row in _stream(conn, query):
                yield dict(row._mapping)

    def head(self) -> tuple[int, str]:
        with self._read() as conn:
            row = conn.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).one()
            return int(row.seq), str(row.hash)

    def get_meta(self, name: str, default: str | None = None) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(_META.c.value).where(_META.c.name == name)).scalar()
            return default if value is None else str(value)

    def set_meta(self, name: str, value: str) -> None:
        try:
            with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                done = conn.execute(update(_META).where(_META.c.name == name).values(value=value))
                if done.rowcount == 0:
                    conn.execute(insert(_META).values(name=name, value=value))
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot store {name}: {exc}") from exc

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot read the ledger: {exc}") from exc


def _stream(conn: Connection, query: Any) -> Iterator[Any]:
    result = conn.execute(query, execution_options={"stream_results": True, "yield_per": STREAM_BATCH})
    yield from result


class _DriverSql:
    """The append path's statements in the driver's own parameter style.

    Appends are the kiosk's hot path; going through the DBAPI cursor inside
    SQLAlchemy's transaction keeps their cost close to a bare INSERT + COMMIT.
    """

    def __init__(self, dialect: str) -> None:
        self._style = "named" if dialect == "sqlite" else "pyformat"
        head = "SELECT seq, hash FROM chain_head WHERE id = 1"
        self.head = head if dialect == "sqlite" else head + " FOR UPDATE"
        cols = ("seq", "txn_id", "at", "kind", "payload", "prev_hash", "hash")
        self.insert_event = f"INSERT INTO events ({', '.join(cols)}) VALUES ({self._params(cols)})"
        self.advance_head = (
            f"UPDATE chain_head SET seq = {self._named('seq')}, hash = {self._named('hash')} WHERE id = 1"
        )
        self._fold_cache: dict[tuple[str, ...], tuple[str, str]] = {}

    def _named(self, name: str) -> str:
        return f":{name}" if self._style == "named" else f"%({name})s"

    def _params(self, names: tuple[str, ...]) -> str:
        return ", ".join(self._named(n) for n in names)

    def _fold_sql(self, keys: tuple[str, ...]) -> tuple[str, str]:
        cached = self._fold_cache.get(keys)
        if cached is None:
            sets = ", ".join(f"{k} = {self._named(k)}" for k in (*keys, "updated_at", "last_seq"))
            cols = ("txn_id", "created_at", *keys, "updated_at", "last_seq")
            cols = cols if "state" in keys else (*cols, "state")
            cached = (
                f"UPDATE transactions SET {sets} WHERE txn_id = {self._named('txn_id')}",
                f"INSERT INTO transactions ({', '.join(cols)}) VALUES ({self._params(cols)})",
            )
            self._fold_cache[keys] = cached
        return cached

    def fold(self, cur: Any, txn_id: str, at: str, seq: int, payload: Mapping[str, Any]) -> int:
        """Apply one event to its transaction's projection row; returns 1 when the row is new."""
        keys = tuple(k for k in PROJECTED_FIELDS if k in payload)
        params = {k: payload[k] for k in keys}
        params.update(txn_id=txn_id, updated_at=at, created_at=at, last_seq=seq)
        params.setdefault("state", "created")
        update_sql, insert_sql = self._fold_sql(keys)
        cur.execute(update_sql, params)
        if cur.rowcount:
            return 0
        cur.execute(insert_sql, params)
        return 1


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
