"""The ledger: an append-only, hash-chained event journal plus its transactions projection.

Every ``append`` is one database transaction that adds the event, advances the
chain head and folds the event into the ``transactions`` projection; it has
returned only once the commit is durable (SQLite WAL with ``synchronous=FULL``,
PostgreSQL's default synchronous commit). Callers journal an intent *before*
acting on it: that is what makes crash recovery possible.

Database errors are wrapped into :class:`kiosk.errors.LedgerError`.

A SQLite ledger is private (file, WAL and directory owner-only, whatever the umask) and
keeps a *head record* beside it (``ledger.sqlite3.head``: the last seq and hash this
kiosk appended, written after each commit). It is how an emptied or swapped file is
noticed: :meth:`Ledger.open` refuses an empty or missing ledger when the record says
events existed, and ``kiosk ledger verify`` checks the chain still holds that hash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
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
    MetaData,
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

from kiosk.errors import LedgerCorrupt, LedgerError
from kiosk.ledger.chain import GENESIS, canonical_json, event_hash, format_at
from kiosk.ledger.migrations import HEAD_REVISION
from kiosk.ledger.models import PROJECTED_FIELDS, Base, ChainHead, Event, Meta, Transaction
from kiosk.private_files import create_private, open_private, private_dir, tighten
from kiosk.sqlite import configure_sqlite

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig


#: SQLite page cache per ledger connection: a sale touches the newest pages and the
#: index paths to them, and the cache is full (so memory flat) long before a kiosk's
#: first thousand sales (``make soak``); SQLite's 2 MiB default took far longer
LEDGER_CACHE_KIB = 256

log = logging.getLogger(__name__)

SQLITE_FILE = "ledger.sqlite3"
HEAD_SUFFIX = ".head"
MIGRATIONS = Path(__file__).with_name("migrations")
_EVENTS = cast(Table, Event.__table__)
_HEAD = cast(Table, ChainHead.__table__)
_TXNS = cast(Table, Transaction.__table__)
_META = cast(Table, Meta.__table__)
STREAM_BATCH = 2000
#: Ledger meta: the highest seq the backend acknowledged, and the hash it holds there.
ACKED_META = "sync.acked_through"
ACKED_HASH_META = "sync.acked_hash"
VERSION_TABLE = "alembic_version"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_VERIFY_TABLE = "verify_transactions"


def head_record_path(sqlite_path: Path) -> Path:
    return sqlite_path.with_name(sqlite_path.name + HEAD_SUFFIX)


_HEAD_FORMAT = "simkiosk-ledger-head 1 {seq:020d} {hash}\n"  # fixed width: rewritten in place


def format_head_record(seq: int, digest: str) -> bytes:
    return _HEAD_FORMAT.format(seq=seq, hash=digest.ljust(64, "0")[:64]).encode("ascii")


def read_head_record(path: Path) -> tuple[int, str] | None:
    """``(seq, hash)`` from a head record, ``None`` when there is none. An unreadable one
    (a power cut while it was written) is logged and ignored: it is a tripwire, and
    stopping the kiosk for it would do more harm than it prevents."""
    try:
        text = path.read_text(encoding="ascii")
        magic, version, seq_text, digest = text.split()
        if magic != "simkiosk-ledger-head" or version != "1" or not seq_text.isdigit() \
                or not _HEX64.fullmatch(digest):
            raise ValueError(f"unexpected content {text[:120]!r}")
        return int(seq_text), digest
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        log.warning("ledger head record %s is unreadable (%s); ignoring it", path, exc)
        return None


def write_head_record(path: Path, seq: int, digest: str) -> None:
    """Replace the head record atomically (restore, tests; appends rewrite it in place)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    with open_private(tmp, "wb") as fh:
        fh.write(format_head_record(seq, digest))
    os.replace(tmp, path)


def _private_sqlite(path: Path) -> None:
    """The ledger file and its WAL/SHM owner-only; created empty (a valid empty database)
    so SQLite never creates it with the umask's mode. SQLite gives the WAL and SHM files
    the database file's mode."""
    private_dir(path.parent)
    create_private(path)
    for suffix in ("-wal", "-shm", "-journal", HEAD_SUFFIX):
        tighten(Path(f"{path}{suffix}"))


def _refuse_emptied(path: Path) -> None:
    """An empty or missing ledger where the head record says events existed was emptied or
    swapped: opening it would start a new chain and hide the loss."""
    record = read_head_record(head_record_path(path))
    if record is None or record[0] == 0:
        return
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = -1
    if size > 0:
        return
    what = "missing" if size < 0 else "empty (0 bytes)"
    raise LedgerCorrupt(f"ledger file {path} is {what} but this kiosk had recorded {record[0]} events: "
                        "restore a backup (`kiosk ledger restore`); do not start the kiosk on an empty ledger",
                        seq=1)


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
        self._head_file = head_record_path(sqlite_path) if sqlite_path is not None else None
        self._head_fd: int | None = None  # kept open: each append rewrites the record with one pwrite
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
            sqlite_path = data_dir / SQLITE_FILE
            url = sqlite_url(data_dir)
        elif url.startswith("sqlite:///"):
            sqlite_path = Path(url.removeprefix("sqlite:///"))
        if sqlite_path is not None:
            try:
                private_dir(sqlite_path.parent)
                _refuse_emptied(sqlite_path)
                _private_sqlite(sqlite_path)
            except OSError as exc:
                raise LedgerError(f"cannot open ledger file {sqlite_path}: {exc.strerror or exc}") from exc
        try:
            if sqlite_path is not None:
                engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})
                configure_sqlite(engine, cache_kib=LEDGER_CACHE_KIB)
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
                if self._head_fd is not None:
                    os.close(self._head_fd)
                    self._head_fd = None
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
            lock_file = self._sqlite_path.with_name("ledger.lock")
            create_private(lock_file)
            with open(lock_file, "a") as fh:
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
        tmp = dest.with_name(dest.name + ".part")
        try:
            private_dir(dest.parent)
            with open_private(tmp, "wb"):
                pass  # sqlite3 then writes into a file that is private from the start
        except OSError as exc:
            raise LedgerError(f"cannot write backup {dest}: {exc.strerror or exc}") from exc
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
            self._record_head(seq, digest)
        return LedgerEvent(seq, txn_id, at_text, kind, json.loads(payload_text), prev_hash, digest)

    def _record_head(self, seq: int, digest: str) -> None:
        """After a commit (under the append lock): one ``pwrite`` of a fixed-width line, no
        fsync (a record that lags after a power cut still names a seq and hash the chain
        holds). Several processes may write it; the last one wins, each line is true."""
        if self._head_file is None:
            return
        try:
            if self._head_fd is None:
                self._head_fd = os.open(self._head_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            os.pwrite(self._head_fd, format_head_record(seq, digest), 0)
        except OSError as exc:  # the event is committed; only the tripwire lags
            log.warning("cannot update the ledger head record %s: %s", self._head_file, exc)

    def recorded_head(self) -> tuple[int, str] | None:
        """What the head record beside a SQLite ledger says (``None``: none, or PostgreSQL)."""
        return read_head_record(self._head_file) if self._head_file is not None else None

    def reset_head_record(self) -> None:
        """Make the head record name this ledger's head (after ``kiosk ledger restore``)."""
        if self._head_file is not None:
            seq, digest = self.head()
            try:
                with self._lock:
                    if self._head_fd is not None:
                        os.close(self._head_fd)
                        self._head_fd = None
                    write_head_record(self._head_file, seq, digest)
            except OSError as exc:
                raise LedgerError(f"cannot write the ledger head record {self._head_file}: {exc}") from exc

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

    def last_event(self, kind: str) -> LedgerEvent | None:
        """The newest event of ``kind`` (``None``: there is none), e.g. the last end of day."""
        query = select(_EVENTS).where(_EVENTS.c.kind == kind).order_by(_EVENTS.c.seq.desc()).limit(1)
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return LedgerEvent(row.seq, row.txn_id, row.at, row.kind, json.loads(row.payload), row.prev_hash, row.hash)

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

    def hash_at(self, seq: int) -> str | None:
        """The hash of event ``seq`` (``None`` when there is no such event)."""
        with self._read() as conn:
            value = conn.execute(select(_EVENTS.c.hash).where(_EVENTS.c.seq == seq)).scalar()
            return None if value is None else str(value)

    def metas(self) -> dict[str, str]:
        with self._read() as conn:
            return {str(r.name): str(r.value) for r in conn.execute(select(_META.c.name, _META.c.value))}

    def get_meta(self, name: str, default: str | None = None) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(_META.c.value).where(_META.c.name == name)).scalar()
            return default if value is None else str(value)

    def set_meta(self, name: str, value: str) -> None:
        self.set_metas({name: value})

    def set_metas(self, values: Mapping[str, str]) -> None:
        """Store several meta values in one transaction (all or none)."""
        try:
            with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                for name, value in values.items():
                    done = conn.execute(update(_META).where(_META.c.name == name).values(value=value))
                    if done.rowcount == 0:
                        conn.execute(insert(_META).values(name=name, value=value))
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot store {', '.join(values)}: {exc}") from exc

    @contextlib.contextmanager
    def locked_meta(self, name: str) -> Iterator[tuple[str | None, Any]]:
        """Read-modify-write of one meta value under the database's write lock, so processes
        sharing the ledger take turns (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``FOR UPDATE``,
        the row created first when missing). Yields ``(value, store)``: call ``store(text)``
        to write; the transaction commits when the block ends."""
        try:
            with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("INSERT INTO meta (name, value) VALUES (:n, '') ON CONFLICT DO NOTHING"),
                                 {"n": name})
                value = conn.execute(select(_META.c.value).where(_META.c.name == name).with_for_update()).scalar()

                def store(new: str) -> None:
                    done = conn.execute(update(_META).where(_META.c.name == name).values(value=new))
                    if done.rowcount == 0:
                        conn.execute(insert(_META).values(name=name, value=new))

                yield (None if value is None or value == "" else str(value)), store
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot update {name}: {exc}") from exc

    # ------------------------------------------------------------------ verification helpers

    def schema_problems(self) -> list[str]:
        """Schema objects the migrations did not create (triggers, views, tables, indexes,
        columns), each as one sentence; empty when the schema is exactly the migrations'."""
        expected_tables = {t.name: {c.name for c in t.columns} for t in Base.metadata.sorted_tables}
        expected_tables[VERSION_TABLE] = {"version_num"}
        expected_indexes = {ix.name for t in Base.metadata.sorted_tables for ix in t.indexes}
        problems: list[str] = []
        with self._read() as conn:
            if self.dialect == "sqlite":
                for kind, name, table in conn.exec_driver_sql("SELECT type, name, tbl_name FROM sqlite_master"):
                    if str(name).startswith("sqlite_"):
                        continue  # autoindexes and ANALYZE statistics; user objects cannot use the prefix
                    if kind == "table" and name in expected_tables:
                        continue
                    if kind == "index" and name in expected_indexes:
                        continue
                    problems.append(f"unexpected {kind} {name!r} on {table!r}" if kind in ("trigger", "index")
                                    else f"unexpected {kind} {name!r}")
                for table, columns in expected_tables.items():
                    found = {str(r[1]) for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')}
                    if found != columns:
                        problems.append(f"table {table!r} has columns {sorted(found)}, expected {sorted(columns)}")
            else:
                problems += self._pg_schema_problems(conn, expected_tables)
        return problems

    def _pg_schema_problems(self, conn: Connection, expected: dict[str, set[str]]) -> list[str]:
        """PostgreSQL: the ledger may share its database (the backend's tables live beside it),
        so only what could change the ledger's own tables is checked: they are real tables with
        their columns, and carry no triggers or rules."""
        names = sorted(expected)
        problems: list[str] = []
        kinds = {str(r[0]): str(r[1]) for r in conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
            "AND c.relname = ANY(:names)"), {"names": names})}
        for name in names:
            if kinds.get(name) != "r":
                problems.append(f"{name!r} is not a plain table (relkind {kinds.get(name)!r})")
        for trigger, table in conn.execute(text(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace "
                "AND c.relname = ANY(:names)"), {"names": names}):
            problems.append(f"unexpected trigger {trigger!r} on {table!r}")
        for rule, table in conn.execute(text(
                "SELECT rulename, tablename FROM pg_rules WHERE schemaname = current_schema() "
                "AND tablename = ANY(:names)"), {"names": names}):
            problems.append(f"unexpected rule {rule!r} on {table!r}")
        columns: dict[str, set[str]] = {}
        for table, column in conn.execute(text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ANY(:names)"), {"names": names}):
            columns.setdefault(str(table), set()).add(str(column))
        for table, wanted in expected.items():
            if table in columns and columns[table] != wanted:
                problems.append(f"table {table!r} has columns {sorted(columns[table])}, expected {sorted(wanted)}")
        return problems

    def _fold_and_compare(self, conn: Connection, tmp: Table, columns: list[str]) -> Any:
        tmp.create(conn)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            query = select(_EVENTS).where(_EVENTS.c.txn_id.is_not(None)).order_by(_EVENTS.c.seq)
            for row in _stream(conn, query):
                try:
                    payload = json.loads(row.payload)
                    if not isinstance(payload, dict):
                        raise ValueError("payload is not a JSON object")
                    self._sql.fold(cur, row.txn_id, row.at, row.seq, payload, table=_VERIFY_TABLE)
                except (ValueError, TypeError, *self._driver_errors) as exc:  # type: ignore[misc]
                    raise _Unprojectable(str(row.txn_id), int(row.seq),
                                         f"event seq {row.seq} cannot be projected: {exc}") from exc
        finally:
            cur.close()
        stored = select(*(_TXNS.c[c] for c in columns))
        folded = select(*(tmp.c[c] for c in columns))
        extra = conn.execute(stored.except_(folded).order_by(text("last_seq")).limit(1)).first()
        missing = conn.execute(folded.except_(stored).order_by(text("last_seq")).limit(1)).first()
        return extra, missing

    def projection_mismatch(self) -> tuple[str, int, str] | None:
        """Fold every event into a temporary copy of ``transactions`` (the same statements
        appends use, so the same type rules) and compare the two tables. Returns
        ``(txn_id, seq, reason)`` for the first row that differs, ``None`` when equal."""
        columns = [c.name for c in _TXNS.columns]
        tmp = Table(_VERIFY_TABLE, MetaData(), *(c._copy() for c in _TXNS.columns), prefixes=["TEMPORARY"])
        try:
            with self._engine.connect() as conn:
                trans = conn.begin()
                try:
                    extra, missing = self._fold_and_compare(conn, tmp, columns)
                finally:
                    trans.rollback()  # drops the temporary table; nothing else was written
        except _Unprojectable as bad:
            return bad.txn_id, bad.seq, bad.reason
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot check the transactions projection: {exc}") from exc
        if missing is not None:
            txn = str(missing.txn_id)
            if self.transaction(txn) is None:
                return txn, int(missing.last_seq), \
                    f"transaction {txn} is missing from the transactions table, though events name it (deleted?)"
            return txn, int(missing.last_seq), f"transactions row {txn} differs from the fold of its events (edited?)"
        if extra is not None:
            return str(extra.txn_id), int(extra.last_seq), \
                f"transactions row {extra.txn_id} has no events behind it (added?)"
        return None

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise LedgerError(f"cannot read the ledger: {exc}") from exc


class _Unprojectable(Exception):
    def __init__(self, txn_id: str, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.txn_id, self.seq, self.reason = txn_id, seq, reason


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

    def _fold_sql(self, keys: tuple[str, ...], table: str) -> tuple[str, str]:
        cached = self._fold_cache.get((table, *keys))
        if cached is None:
            sets = ", ".join(f"{k} = {self._named(k)}" for k in (*keys, "updated_at", "last_seq"))
            cols = ("txn_id", "created_at", *keys, "updated_at", "last_seq")
            cols = cols if "state" in keys else (*cols, "state")
            cached = (
                f"UPDATE {table} SET {sets} WHERE txn_id = {self._named('txn_id')}",
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({self._params(cols)})",
            )
            self._fold_cache[(table, *keys)] = cached
        return cached

    def fold(self, cur: Any, txn_id: str, at: str, seq: int, payload: Mapping[str, Any], *,
             table: str = "transactions") -> int:
        """Apply one event to its transaction's projection row; returns 1 when the row is new."""
        keys = tuple(k for k in PROJECTED_FIELDS if k in payload)
        params = {k: payload[k] for k in keys}
        params.update(txn_id=txn_id, updated_at=at, created_at=at, last_seq=seq)
        params.setdefault("state", "created")
        update_sql, insert_sql = self._fold_sql(keys, table)
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
