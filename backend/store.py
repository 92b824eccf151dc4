"""The backend's persistence: one small repository over SQLAlchemy Core.

SQLite (the default; WAL, ``BEGIN IMMEDIATE`` for writers) and PostgreSQL (row locks
on the kiosk being written) run the same code. Every public method is one database
transaction; SQLAlchemy errors become :class:`backend.errors.StoreError`, except
the :class:`backend.errors.ApiError` a plan raises, which rolls the transaction back
and passes through untouched.

State every worker must share lives here, never in a process: request nonces (replay
protection) and operator login attempts (throttling). On PostgreSQL the per-request
statements (kiosk lookup, nonce) run in autocommit: one round trip each, no BEGIN or
COMMIT around them. A SQLite database file and its directory are owner-only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import orjson
import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    bindparam,
    create_engine,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from backend.errors import ApiError, BackendError, StoreError
from backend.ingest import (
    END_OF_DAY_KIND,
    END_OF_DAY_MISMATCH,
    IncomingEvent,
    IngestPlan,
    TxnRow,
    end_of_day_incidents,
    end_of_day_of,
    fold,
    plan_ingest,
)
from backend.keys import secret_check
from backend.models import (
    AggregatorRun,
    CatalogPlan,
    CatalogVersion,
    Incident,
    Kiosk,
    KioskEvent,
    KioskTransaction,
    LoginAttempt,
    Operator,
    OperatorSession,
    PlanTranslation,
    RequestNonce,
    TopUp,
    TopUpSettlement,
)
from kiosk.ledger.chain import GENESIS, format_at
from kiosk.ledger.models import PROJECTED_FIELDS
from kiosk.private_files import create_private, private_dir, tighten
from kiosk.sqlite import configure_sqlite

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "backend_alembic_version"
KIOSKS = cast(Table, Kiosk.__table__)
EVENTS = cast(Table, KioskEvent.__table__)
TXNS = cast(Table, KioskTransaction.__table__)
INCIDENTS = cast(Table, Incident.__table__)
TOPUPS = cast(Table, TopUp.__table__)
SETTLEMENTS = cast(Table, TopUpSettlement.__table__)
OPERATORS = cast(Table, Operator.__table__)
SESSIONS = cast(Table, OperatorSession.__table__)
PLANS = cast(Table, CatalogPlan.__table__)
PLAN_I18N = cast(Table, PlanTranslation.__table__)
CATALOG_VERSIONS = cast(Table, CatalogVersion.__table__)
RUNS = cast(Table, AggregatorRun.__table__)
_PLAN_CONTENT = ("carrier", "name", "price_cents", "currency", "validity_days", "benefits", "position")
NONCES = cast(Table, RequestNonce.__table__)
ATTEMPTS = cast(Table, LoginAttempt.__table__)
#: What operator views read of a transaction: everything but the receipt's JSON (the e-receipt
#: page's; an export of a fleet's day would carry it for nothing).
OPERATOR_TXN_COLUMNS = tuple(c for c in TXNS.c if c.name != "receipt")
_TXN_FIELDS = (*PROJECTED_FIELDS, "created_at", "updated_at", "last_seq", "receipt")
#: PostgreSQL connections per process (a request holds one only while it talks to the database).
DEFAULT_POOL_SIZE = 10


def now_text(now: dt.datetime | None = None) -> str:
    return format_at(now or dt.datetime.now(dt.UTC))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KioskAuth:
    kiosk_id: str
    generation: int
    check: str
    disabled: bool


@dataclass(frozen=True)
class NonceClaim:
    """A signed request's nonce, to be recorded once; ``generation`` is the secret generation
    its signature was verified with (recording it re-checks that generation and the disabled
    flag in the same statement, so a rotation or a disable takes effect at once)."""

    kiosk_id: str
    nonce: str
    generation: int
    expires_at: int  # epoch seconds: the nonce is kept until its timestamp leaves the window


@dataclass(frozen=True)
class HeartbeatResult:
    received_at: str
    acked_through: int
    head_hash: str


@dataclass(frozen=True)
class IngestResult:
    acked_through: int
    stored: int
    duplicates: int
    acked_hash: str  # the hash of event acked_through (GENESIS when nothing is stored)


def _lock_id(key: str) -> int:
    """A stable 64-bit advisory lock id for ``key`` (Python's ``hash`` differs per process)."""
    return int.from_bytes(hashlib.sha256(b"simkiosk-lock\x00" + key.encode("utf-8")).digest()[:8], "big",
                          signed=True)


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _engine(url: str, pool_size: int) -> Engine:
    """An engine for ``url`` (SQLite file or PostgreSQL), with its pool."""
    url = _normalise_url(url)
    try:
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            _private_sqlite(path)
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                   pool_size=8, max_overflow=40)
            configure_sqlite(engine, busy_timeout_ms=30_000)
        elif url.startswith("postgresql+psycopg://"):
            # A fixed pool: no overflow connections that are closed on return (each new
            # PostgreSQL session is a fork, ~1 ms of its CPU); a request waits for a free
            # connection instead. Sized per worker process (docs/backend.md, "Pool sizing").
            engine = create_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=30,
                                   pool_recycle=3600, connect_args={
                                       "connect_timeout": 10,
                                       # which worker a session belongs to, in pg_stat_activity
                                       "application_name": f"kiosk-backend[{os.getpid()}]"})
        else:
            raise BackendError(f"unsupported database URL {url.split(':', 1)[0]}: use sqlite:/// "
                               "or postgresql://", code="config_error")
        return engine
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the backend database: {exc.__class__.__name__}: {exc}") from exc


class Store:
    """Open with :meth:`open`; close with :meth:`close` or as a context manager."""

    def __init__(self, engine: Engine, replica: Engine | None = None) -> None:
        self._engine = engine
        self._replica = replica  # operator views may read here (a streaming replica); None: the primary
        self._closed = False
        self._locks: Engine | None = None  # PostgreSQL fleet locks' connections (see exclusive)
        self._lock_engine_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, pool_size: int = DEFAULT_POOL_SIZE,
             read_url: str | None = None) -> Store:
        """``read_url``: a PostgreSQL read replica for the operator views (transactions, CSV,
        daily sales, fleet view, incidents); everything else, sessions included, stays on ``url``."""
        try:
            store = cls(_engine(url, pool_size),
                        _engine(read_url, pool_size) if read_url else None)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the backend database: {exc.__class__.__name__}: {exc}") from exc
        if store._replica is not None and store._replica.dialect.name != "postgresql":
            store.close()
            raise BackendError("a read replica must be PostgreSQL", code="config_error")
        if migrate:
            store.migrate()
        return store


    def close(self) -> None:
        """Dispose of the connection pool (idempotent)."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()
            if self._locks is not None:
                self._locks.dispose()
            if self._replica is not None:
                self._replica.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    # ------------------------------------------------------------------ migrations

    def _alembic(self, conn: Connection | None = None) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        if conn is not None:
            cfg.attributes["connection"] = conn
        return cfg

    def schema_revision(self) -> str | None:
        with self._engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return ctx.get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic()).get_current_head()

    def migrate(self) -> None:
        """Bring the schema to head (PostgreSQL: under an advisory lock, so two servers may start)."""
        try:
            with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(727141)"))
                current = MigrationContext.configure(
                    conn, opts={"version_table": VERSION_TABLE}).get_current_revision()
                if current != self.head_revision():
                    log.info("migrating backend schema", extra={"from_rev": current})
                    command.upgrade(self._alembic(conn), "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"backend migration failed: {exc}") from exc

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed: {exc.__class__.__name__}: {exc}") from exc

    @contextlib.contextmanager
    def _autocommit(self) -> Iterator[Connection]:
        """One statement, one round trip: PostgreSQL autocommit; SQLite an immediate transaction."""
        if self.dialect != "postgresql":
            with self._write() as conn:
                yield conn
            return
        with self._pg_autocommit("statement") as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """Single-statement reads. PostgreSQL: autocommit (no BEGIN before, no ROLLBACK when
        the connection goes back to the pool: one round trip per statement)."""
        if self.dialect != "postgresql":
            with self._snapshot() as conn:
                yield conn
            return
        with self._pg_autocommit("read") as conn:
            yield conn

    @contextlib.contextmanager
    def _pg_autocommit(self, what: str) -> Iterator[Connection]:
        try:
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database {what} failed: {exc.__class__.__name__}: {exc}") from exc

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """Reads of several statements that must agree, and streamed results (a server-side
        cursor needs a transaction): one read transaction."""
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database read failed: {exc.__class__.__name__}: {exc}") from exc

    @contextlib.contextmanager
    def _operator_read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """Operator views: on the read replica when there is one (they tolerate its lag of a
        second or so; nothing a kiosk is answered with is read there), else as ``_read`` or
        ``_snapshot``."""
        if self._replica is None:
            with self._snapshot() if snapshot else self._read() as conn:
                yield conn
            return
        try:
            connection = self._replica.connect()
            if not snapshot:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            with connection as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"replica read failed: {exc.__class__.__name__}: {exc}") from exc

    def _pg_row(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """PostgreSQL hot path: one statement on a pooled connection in autocommit, straight
        through psycopg (a server-side prepared statement from its first use on a connection),
        bypassing SQLAlchemy's per-statement layer; the first row or ``None``."""
        try:
            fairy = self._engine.raw_connection()
        except SQLAlchemyError as exc:
            raise StoreError(f"database connection failed: {exc.__class__.__name__}: {exc}") from exc
        driver: Any = fairy.driver_connection
        try:
            driver.autocommit = True  # a client-side flag: nothing is sent
            try:
                with driver.cursor() as cur:
                    cur.execute(sql, params, prepare=True)
                    return cast(tuple[Any, ...] | None, cur.fetchone())
            finally:
                if not driver.closed:
                    driver.autocommit = False
        except psycopg.Error as exc:
            if driver.closed or driver.broken:  # a broken connection is not put back in the pool
                fairy.invalidate()
            raise StoreError(f"database statement failed: {exc.__class__.__name__}: {exc}") from exc
        finally:
            fairy.close()

    # ------------------------------------------------------------------ kiosks

    def add_kiosk(self, kiosk_id: str, location: str, secret_for: Any, *, rotate: bool = False) -> bytes:
        """Create the kiosk (or, with ``rotate``, issue it a new secret); returns the secret.

        ``secret_for(kiosk_id, generation) -> bytes`` derives the secret (see backend.keys)."""
        with self._write() as conn:
            row = conn.execute(select(KIOSKS.c.secret_generation).where(KIOSKS.c.id == kiosk_id)
                               .with_for_update()).first()
            if row is not None and not rotate:
                raise BackendError(f"kiosk {kiosk_id} exists; use --rotate to issue a new secret",
                                   code="kiosk_exists")
            generation = 1 if row is None else int(row.secret_generation) + 1
            secret: bytes = secret_for(kiosk_id, generation)
            if row is None:
                conn.execute(insert(KIOSKS).values(
                    id=kiosk_id, location=location, created_at=now_text(), secret_generation=generation,
                    secret_check=secret_check(secret), acked_through=0, head_hash=GENESIS, disabled=False))
            else:
                values: dict[str, Any] = {"secret_generation": generation,
                                          "secret_check": secret_check(secret)}
                if location:
                    values["location"] = location
                conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(**values))
            return secret

    def kiosk_auth(self, kiosk_id: str) -> KioskAuth | None:
        if self.dialect == "postgresql":
            found = self._pg_row(_PG_KIOSK_AUTH, {"kiosk": kiosk_id})
        else:
            with self._read() as conn:
                found = conn.execute(select(KIOSKS.c.secret_generation, KIOSKS.c.secret_check, KIOSKS.c.disabled)
                                     .where(KIOSKS.c.id == kiosk_id)).first()
        if found is None:
            return None
        generation, check, disabled = found
        return KioskAuth(kiosk_id, int(generation), str(check), bool(disabled))

    def kiosk_state(self, kiosk_id: str) -> tuple[int, str]:
        with self._read() as conn:
            row = conn.execute(select(KIOSKS.c.acked_through, KIOSKS.c.head_hash)
                               .where(KIOSKS.c.id == kiosk_id)).one()
        return int(row.acked_through), str(row.head_hash)

    def record_nonce(self, kiosk_id: str, nonce: str, generation: int, expires_at: int) -> bool:
        """Remember a signed request's nonce; ``False`` when it was seen before *or* the
        kiosk's secret generation is no longer ``generation`` (rotated) or it was disabled
        (the caller tells these apart by reading the kiosk again: the rare path).

        One statement: the kiosk row is checked in the same ``INSERT ... SELECT``, so a
        rotation or a disable takes effect for the very next request, with no cache to expire."""
        return self.claim_nonce(NonceClaim(kiosk_id, nonce, generation, expires_at))

    def claim_nonce(self, claim: NonceClaim) -> bool:
        """:meth:`record_nonce` for a :class:`NonceClaim`, as a statement of its own."""
        if self.dialect == "postgresql":
            return self._pg_row(_PG_CLAIM + " SELECT kiosk_id FROM claimed", _claim_params(claim)) is not None
        with self._autocommit() as conn:
            return self._claim_in(conn, claim)

    def _claim_in(self, conn: Connection, claim: NonceClaim) -> bool:
        """The nonce insert inside a transaction the caller holds (its fate is the transaction's)."""
        current = select(literal(claim.kiosk_id), literal(claim.nonce), literal(claim.expires_at)).where(
            exists().where(KIOSKS.c.id == claim.kiosk_id, KIOSKS.c.secret_generation == claim.generation,
                           KIOSKS.c.disabled.is_(False)))
        maker = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = (maker(NONCES).from_select(["kiosk_id", "nonce", "expires_at"], current).on_conflict_do_nothing()
                .returning(NONCES.c.nonce))
        return conn.execute(stmt).first() is not None

    def purge_expired(self, now_s: int, attempts_before_ms: int) -> tuple[int, int]:
        """Drop nonces past their window and login attempts older than the throttle window;
        both through an index on the time, so the cost is the rows removed, not the table."""
        with self._autocommit() as conn:
            nonces = conn.execute(delete(NONCES).where(NONCES.c.expires_at < now_s)).rowcount
        with self._autocommit() as conn:
            attempts = conn.execute(delete(ATTEMPTS).where(ATTEMPTS.c.at_ms < attempts_before_ms)).rowcount
        return int(nonces or 0), int(attempts or 0)

    # ------------------------------------------------------------------ login throttle

    def admit_login(self, limits: Sequence[tuple[str, int]], now_ms: int, window_ms: int
                    ) -> tuple[list[int], dict[str, list[int]]]:
        """Count one login attempt under every key *before* its password is checked, atomically:
        keys are locked (PostgreSQL advisory locks in a fixed order; SQLite's write lock), the
        attempts within the window read, and the new ones written only when every key is under
        its limit. Returns ``(attempt ids, {})`` when admitted, else ``([], recent times by key)``
        for the caller to say how long to wait."""
        keys = sorted({key for key, _ in limits})
        cutoff = now_ms - window_ms
        with self._write() as conn:
            if self.dialect == "postgresql":
                for key in keys:  # sorted: two transactions never wait on each other in a cycle
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id("login:" + key)})
            recent: dict[str, list[int]] = {key: [] for key in keys}
            for key, at in conn.execute(select(ATTEMPTS.c.key, ATTEMPTS.c.at_ms).where(
                    ATTEMPTS.c.key.in_(keys), ATTEMPTS.c.at_ms > cutoff).order_by(ATTEMPTS.c.key, ATTEMPTS.c.at_ms)):
                recent[str(key)].append(int(at))
            if any(len(recent[key]) >= limit for key, limit in limits):
                return [], recent
            ids = [int(conn.execute(insert(ATTEMPTS).values(key=key, at_ms=now_ms).returning(ATTEMPTS.c.id))
                       .scalar_one()) for key in keys]
        return ids, {}

    def clear_login_attempts(self, keys: Iterable[str], ids: Iterable[int]) -> None:
        """After a right password: the name's attempts go, and this attempt's own rows."""
        keys, ids = list(keys), list(ids)
        with self._write() as conn:
            conn.execute(delete(ATTEMPTS).where(or_(ATTEMPTS.c.key.in_(keys), ATTEMPTS.c.id.in_(ids))))

    def heartbeat(self, kiosk_id: str, status: dict[str, Any], claim: NonceClaim | None = None
                  ) -> HeartbeatResult | None:
        """Keep the kiosk's last heartbeat and answer its chain position; with ``claim``, the
        request's nonce is recorded in the same transaction, and ``None`` is returned (nothing
        written) when it is refused (replayed, secret rotated, kiosk disabled).

        One row written (the kiosk's) besides the nonce; PostgreSQL: one statement, one round
        trip (nonce insert, kiosk update, position read). Rewriting an unchanged status costs
        nothing extra there: an update writes a new row version either way, and its WAL record
        leaves out the bytes the old and new versions share."""
        at = now_text()
        text_status = json.dumps(status, sort_keys=True, separators=(",", ":"))
        if self.dialect == "postgresql" and claim is not None:
            row = self._pg_row(_PG_HEARTBEAT, {**_claim_params(claim), "at": at, "status": text_status})
            return None if row is None else HeartbeatResult(at, int(row[0]), str(row[1]))
        with self._write() as conn:
            if claim is not None and not self._claim_in(conn, claim):
                return None
            conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(last_heartbeat_at=at,
                                                                             status=text_status))
            row = conn.execute(select(KIOSKS.c.acked_through, KIOSKS.c.head_hash)
                               .where(KIOSKS.c.id == kiosk_id)).one()
        return HeartbeatResult(at, int(row.acked_through), str(row.head_hash))

    # ------------------------------------------------------------------ ingest

    def ingest(self, kiosk_id: str, events: Sequence[IncomingEvent], claim: NonceClaim | None = None
               ) -> IngestResult | None:
        """Store the new events of a checked batch under the kiosk's row lock. With ``claim``
        the request's nonce is recorded first in the same transaction: ``None`` (nothing
        written) when it is refused; a batch refused by the plan (409/422) still commits the
        nonce alone, so a replay of it is refused as such and cannot add incidents."""
        received = now_text()
        refused: ApiError | None = None
        plan: IngestPlan | None = None
        with self._write() as conn:
            if claim is not None and not self._claim_in(conn, claim):
                return None
            row = conn.execute(select(KIOSKS.c.acked_through, KIOSKS.c.head_hash)
                               .where(KIOSKS.c.id == kiosk_id).with_for_update()).one()
            acked = int(row.acked_through)
            stored: dict[int, str] = {}
            top = min(events[-1].seq, acked)
            if events[0].seq <= top:
                stored = {int(r.seq): str(r.hash) for r in conn.execute(
                    select(EVENTS.c.seq, EVENTS.c.hash).where(
                        EVENTS.c.kiosk_id == kiosk_id, EVENTS.c.seq.between(events[0].seq, top)))}
            try:
                plan = plan_ingest(events, acked, str(row.head_hash), stored)
            except ApiError as exc:
                if claim is None:
                    raise
                refused = exc  # nothing of the batch is written; the nonce commits
            if plan is not None and plan.new:
                self._apply(conn, kiosk_id, plan, received)
        if refused is not None:
            raise refused
        assert plan is not None
        return IngestResult(plan.acked_through, len(plan.new), plan.duplicates, plan.head_hash)

    def _apply(self, conn: Connection, kiosk_id: str, plan: IngestPlan, received: str) -> None:
        _bulk_insert(conn, EVENTS, [
            {"kiosk_id": kiosk_id, "seq": ev.seq, "txn_id": ev.txn_id, "at": ev.at, "kind": ev.kind,
             "payload": ev.payload_text, "prev_hash": ev.prev_hash, "hash": ev.hash, "received_at": received}
            for ev in plan.new])
        if conn.dialect.name == "postgresql":
            _project_pg(conn, kiosk_id, plan.new)
        else:
            self._project(conn, kiosk_id, plan.new)
        conn.execute(update(KIOSKS).where(KIOSKS.c.id == kiosk_id).values(
            acked_through=plan.acked_through, head_hash=plan.head_hash,
            last_event_at=max(ev.at for ev in plan.new)))
        alerts = end_of_day_incidents(plan.new)  # rare: an end of day that does not match
        if alerts:
            conn.execute(insert(INCIDENTS), [{"kiosk_id": kiosk_id, **a} for a in alerts])

    @staticmethod
    def _project(conn: Connection, kiosk_id: str, events: Sequence[IncomingEvent]) -> None:
        """The transaction projection (SQLite): read the touched rows, fold, write back."""
        txn_ids = sorted({ev.txn_id for ev in events if ev.txn_id is not None})
        rows: dict[str, TxnRow] = {}
        for r in _projection_rows(conn, kiosk_id, txn_ids):
            rows[r["txn_id"]] = TxnRow(kiosk_id, r["txn_id"], r["created_at"], r["updated_at"],
                                       r["last_seq"], {f: r[f] for f in PROJECTED_FIELDS}, r["receipt"])
        existing = set(rows)
        fold(rows, kiosk_id, events)
        inserts = [rows[t].as_row() for t in rows if t not in existing]
        updates = [{**{f: rows[t].as_row()[f] for f in _TXN_FIELDS}, "b_kiosk": kiosk_id, "b_txn": t}
                   for t in existing]
        if inserts:
            _bulk_insert(conn, TXNS, inserts)
        if updates:
            conn.execute(update(TXNS).where(TXNS.c.kiosk_id == bindparam("b_kiosk"),
                                            TXNS.c.txn_id == bindparam("b_txn")), updates)

    def receipt(self, kiosk_id: str, txn_id: str) -> str | None:
        """The receipt JSON the kiosk journaled for a transaction (one primary-key read), or
        ``None``: unknown transaction, or no ``txn.receipt`` event synced yet. Read on the
        primary, not the replica: a customer scans the code seconds after the sale."""
        with self._read() as conn:
            return cast(str | None, conn.execute(select(TXNS.c.receipt).where(
                TXNS.c.kiosk_id == kiosk_id, TXNS.c.txn_id == txn_id)).scalar())

    def record_incident(self, kiosk_id: str, code: str, seq: int | None, detail: str) -> None:
        with self._write() as conn:
            conn.execute(insert(INCIDENTS).values(kiosk_id=kiosk_id, at=now_text(), code=code, seq=seq,
                                                  detail=detail[:2000]))

    # ------------------------------------------------------------------ operator views

    def kiosks_overview(self) -> list[dict[str, Any]]:
        attention_q, incidents_q, kiosks_q = overview_queries()
        with self._operator_read(snapshot=True) as conn:
            attention = {str(r[0]): int(r[1]) for r in conn.execute(attention_q)}
            incidents = {str(r[0]): int(r[1]) for r in conn.execute(incidents_q)}
            mismatches = {str(r[0]): (int(r[1]), str(r[2])) for r in conn.execute(
                end_of_day_mismatch_query())}
            rows = conn.execute(kiosks_q).all()
        # plain tuples (a RowMapping lookup per field was most of this with 10,000 kiosks)
        return [{"kiosk_id": kid, "location": location, "acked_through": acked, "last_event_at": last_event,
                 "last_heartbeat_at": last_beat,
                 "status": orjson.loads(status) if status else {},  # our own canonical JSON
                 "needs_attention": attention.get(kid, 0), "incidents": incidents.get(kid, 0),
                 "end_of_day_mismatches": mismatches.get(kid, (0, None))[0],
                 "last_end_of_day_mismatch_at": mismatches.get(kid, (0, None))[1],
                 "disabled": bool(disabled)}
                for kid, location, acked, last_event, last_beat, status, disabled in rows]

    def transactions(
        self, *, since: str | None = None, until: str | None = None, kiosk_id: str | None = None,
        state: str | None = None, limit: int | None = None, offset: int = 0,
    ) -> Iterator[dict[str, Any]]:
        """Projection rows by creation time (``since`` inclusive, ``until`` exclusive), streamed."""
        query = transactions_query(since=since, until=until, kiosk_id=kiosk_id, state=state, limit=limit,
                                   offset=offset)
        with self._operator_read(snapshot=True) as conn:
            result = conn.execution_options(stream_results=True, yield_per=1000).execute(query)
            for row in result.mappings():
                yield dict(row)

    def daily_sales(self, *, since: str | None = None, until: str | None = None,
                    kiosk_id: str | None = None) -> list[dict[str, Any]]:
        """Completed sales per UTC day, kiosk and currency."""
        query = daily_sales_query(since=since, until=until, kiosk_id=kiosk_id)
        with self._operator_read() as conn:
            return [{"day": r.day, "kiosk_id": r.kiosk_id, "currency": r.currency, "count": int(r._mapping["count"]),
                     "amount_cents": int(r.amount_cents)} for r in conn.execute(query)]

    def incidents(self, limit: int = 200, *, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        query = select(INCIDENTS).order_by(INCIDENTS.c.id.desc()).limit(limit)
        if kiosk_id is not None:
            query = query.where(INCIDENTS.c.kiosk_id == kiosk_id)
        with self._operator_read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def last_end_of_day(self, kiosk_id: str) -> dict[str, Any] | None:
        """The kiosk's latest end of day (time, totals, whether it matched the ledger), from
        its events: walks the kiosk's primary-key range backwards, so the cost is the events
        since that end of day (a day's worth on a kiosk that closes its batch daily)."""
        with self._operator_read() as conn:
            row = conn.execute(select(EVENTS.c.seq, EVENTS.c.at, EVENTS.c.payload).where(
                EVENTS.c.kiosk_id == kiosk_id, EVENTS.c.kind == END_OF_DAY_KIND)
                .order_by(EVENTS.c.seq.desc()).limit(1)).first()
        if row is None:
            return None
        payload = orjson.loads(row.payload)  # stored canonical JSON of a checked event
        return end_of_day_of(int(row.seq), str(row.at), payload if isinstance(payload, dict) else {})

    def kiosk_exists(self, kiosk_id: str) -> bool:
        with self._operator_read() as conn:
            return conn.execute(select(KIOSKS.c.id).where(KIOSKS.c.id == kiosk_id)).first() is not None

    def event_count(self, kiosk_id: str | None = None) -> int:
        query = select(func.count()).select_from(EVENTS)
        if kiosk_id:
            query = query.where(EVENTS.c.kiosk_id == kiosk_id)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def stored_events(self, kiosk_id: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            return [dict(r) for r in conn.execute(
                select(EVENTS).where(EVENTS.c.kiosk_id == kiosk_id).order_by(EVENTS.c.seq)).mappings()]

    # ------------------------------------------------------------------ operators and sessions

    def add_operator(self, name: str, password_hash: str, *, replace: bool = False) -> None:
        with self._write() as conn:
            exists = conn.execute(select(OPERATORS.c.name).where(OPERATORS.c.name == name)).first()
            if exists and not replace:
                raise BackendError(f"operator {name} exists; use --reset to set a new password",
                                   code="operator_exists")
            if exists:
                conn.execute(update(OPERATORS).where(OPERATORS.c.name == name)
                             .values(password_hash=password_hash))
                conn.execute(delete(SESSIONS).where(SESSIONS.c.operator == name))
            else:
                conn.execute(insert(OPERATORS).values(name=name, password_hash=password_hash,
                                                      created_at=now_text()))

    def operator_hash(self, name: str) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(OPERATORS.c.password_hash).where(OPERATORS.c.name == name)).scalar()
        return None if value is None else str(value)

    def set_operator_hash(self, name: str, password_hash: str) -> None:
        with self._write() as conn:
            conn.execute(update(OPERATORS).where(OPERATORS.c.name == name).values(password_hash=password_hash))

    def create_session(self, operator: str, ttl_s: float) -> tuple[str, str]:
        """A new session; returns ``(cookie token, csrf token)``. Only the token's hash is kept."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        with self._write() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now_text(now)))
            conn.execute(insert(SESSIONS).values(
                token_hash=_token_hash(token), operator=operator, csrf_token=csrf, created_at=now_text(now),
                expires_at=now_text(now + dt.timedelta(seconds=ttl_s))))
        return token, csrf

    def session(self, token: str) -> tuple[str, str] | None:
        """``(operator, csrf token)`` for a live session, else ``None``."""
        with self._read() as conn:
            row = conn.execute(select(SESSIONS.c.operator, SESSIONS.c.csrf_token, SESSIONS.c.expires_at)
                               .where(SESSIONS.c.token_hash == _token_hash(token))).first()
        if row is None or row.expires_at < now_text():
            return None
        return str(row.operator), str(row.csrf_token)

    def delete_session(self, token: str) -> None:
        with self._write() as conn:
            conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == _token_hash(token)))

    # ------------------------------------------------------------------ top-ups

    def topup(self, key: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(select(TOPUPS).where(TOPUPS.c.key == key)).mappings().first()
        return dict(row) if row else None

    def create_topup(self, values: dict[str, Any]) -> bool:
        """Insert a new record (``pending`` or ``void``); ``False`` when the key already exists."""
        at = now_text()
        maker = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = (maker(TOPUPS).values(created_at=at, updated_at=at, **values)
                .on_conflict_do_nothing(index_elements=[TOPUPS.c.key]).returning(TOPUPS.c.key))
        try:
            with self._autocommit() as conn:  # committed (durably) before the caller asks the aggregator
                return conn.execute(stmt).first() is not None
        except StoreError as exc:
            raise StoreError(f"cannot record top-up {key_of(values)}: {exc}") from exc

    def update_topup(self, key: str, *, status: str, failure_kind: str | None, provider_ref: str | None,
                     message: str, only_if_no_ref: bool = False) -> dict[str, Any]:
        """Settle a pending record. A record already definite is left as it is; with
        ``only_if_no_ref`` also one that carries an aggregator transaction id. An outcome
        without a ref keeps the ref already noted."""
        query = update(TOPUPS).where(TOPUPS.c.key == key, TOPUPS.c.status == "pending")
        if only_if_no_ref:
            query = query.where(TOPUPS.c.provider_ref.is_(None))
        values: dict[str, Any] = {"status": status, "failure_kind": failure_kind, "message": message,
                                  "updated_at": now_text()}
        if provider_ref is not None:
            values["provider_ref"] = provider_ref
        with self._autocommit() as conn:  # one statement; the read only when nothing was pending
            row = conn.execute(query.values(**values).returning(*TOPUPS.c)).mappings().first()
        if row is None:
            with self._read() as conn:
                row = conn.execute(select(TOPUPS).where(TOPUPS.c.key == key)).mappings().one()
        return dict(row)

    def pending_topups(self, limit: int = 200) -> list[dict[str, Any]]:
        """Records still ``pending``, oldest first (the operator's "stuck" list)."""
        with self._read() as conn:
            return [dict(r) for r in conn.execute(
                select(TOPUPS).where(TOPUPS.c.status == "pending").order_by(TOPUPS.c.created_at)
                .limit(limit)).mappings()]

    def settle_topup(self, key: str, *, status: str, failure_kind: str | None, message: str,
                     audit: dict[str, Any]) -> dict[str, Any] | None:
        """An operator's settlement: the record leaves ``pending`` and the audit row is written,
        in one transaction. Only a record still pending and without an aggregator transaction
        id is settled; ``None`` when it is not (anymore)."""
        at = now_text()
        with self._write() as conn:
            row = conn.execute(
                update(TOPUPS).where(TOPUPS.c.key == key, TOPUPS.c.status == "pending",
                                     TOPUPS.c.provider_ref.is_(None))
                .values(status=status, failure_kind=failure_kind, message=message, updated_at=at)
                .returning(*TOPUPS.c)).mappings().first()
            if row is None:
                return None
            conn.execute(insert(SETTLEMENTS).values(
                key=key, kiosk_id=row["kiosk_id"], at=at, from_status="pending", to_status=status,
                failure_kind=failure_kind, **audit))
        return dict(row)

    def topup_settlements(self, key: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The settlement audit trail, newest first."""
        query = select(SETTLEMENTS).order_by(SETTLEMENTS.c.id.desc()).limit(limit)
        if key is not None:
            query = query.where(SETTLEMENTS.c.key == key)
        with self._read() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def note_topup_ref(self, key: str, provider_ref: str) -> bool:
        """Journal the aggregator's transaction id for a still-pending key (compare-and-set):
        ``False`` when the key is definite or carries another id."""
        with self._write() as conn:
            result = conn.execute(update(TOPUPS).where(
                TOPUPS.c.key == key, TOPUPS.c.status == "pending",
                (TOPUPS.c.provider_ref.is_(None)) | (TOPUPS.c.provider_ref == provider_ref),
            ).values(provider_ref=provider_ref, updated_at=now_text()))
            return bool(result.rowcount == 1)

    # ------------------------------------------------------------------ catalog (backend/catalog.py)

    def catalog_version(self) -> str | None:
        with self._read() as conn:
            value = conn.execute(select(CATALOG_VERSIONS.c.version).order_by(CATALOG_VERSIONS.c.id.desc())
                                 .limit(1)).scalar()
        return None if value is None else str(value)

    def catalog_plans(self, *, include_withdrawn: bool = False) -> list[dict[str, Any]]:
        """Plans in catalog order with their ``i18n`` (lang -> name, benefits) attached."""
        query = select(PLANS).order_by(PLANS.c.withdrawn_at.is_not(None), PLANS.c.position, PLANS.c.plan_id)
        if not include_withdrawn:
            query = query.where(PLANS.c.withdrawn_at.is_(None))
        with self._snapshot() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
            texts = [dict(r) for r in conn.execute(select(PLAN_I18N).order_by(PLAN_I18N.c.lang)).mappings()]
        i18n: dict[str, dict[str, Any]] = {}
        for t in texts:
            i18n.setdefault(t["plan_id"], {})[t["lang"]] = {"name": t["name"], "benefits": json.loads(t["benefits"])}
        for r in rows:
            r["benefits"] = json.loads(r["benefits"])
            r["i18n"] = i18n.get(r["plan_id"], {})
        return rows

    def apply_catalog(self, source: str, plans: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Store a fetched catalog: new plans added, changed ones updated, missing ones withdrawn,
        returning ones restored; a new version row when anything changed (or none exists)."""
        now = now_text()
        added = changed = withdrawn = 0
        with self._write() as conn:
            existing = {str(r["plan_id"]): dict(r) for r in conn.execute(select(PLANS)).mappings()}
            seen: set[str] = set()
            for position, plan in enumerate(plans):
                values = {"carrier": plan["carrier"], "name": plan["name"], "price_cents": plan["price_cents"],
                          "currency": plan["currency"], "validity_days": plan["validity_days"],
                          "benefits": json.dumps(list(plan["benefits"]), ensure_ascii=False),
                          "position": position, "source": source}
                seen.add(plan["id"])
                old = existing.get(plan["id"])
                if old is None:
                    # Another process's refresh may insert the same new plan meanwhile: its row
                    # stands (the insert waits for it on the key, then does nothing), no error.
                    added += self._insert_new(conn, PLANS, ["plan_id"], plan_id=plan["id"], first_seen_at=now,
                                              updated_at=now, withdrawn_at=None, **values)
                elif old["withdrawn_at"] is not None or any(old[k] != values[k] for k in _PLAN_CONTENT):
                    conn.execute(update(PLANS).where(PLANS.c.plan_id == plan["id"]).values(
                        updated_at=now, withdrawn_at=None, **values))
                    changed += 1
            for plan_id, old in existing.items():
                if plan_id not in seen and old["withdrawn_at"] is None:
                    conn.execute(update(PLANS).where(PLANS.c.plan_id == plan_id).values(withdrawn_at=now,
                                                                                        updated_at=now))
                    withdrawn += 1
            has_version = conn.execute(select(CATALOG_VERSIONS.c.id).limit(1)).first() is not None
            detail = f"{source}: {len(plans)} plans, +{added} ~{changed} -{withdrawn}"
            if added or changed or withdrawn or not has_version:
                conn.execute(insert(CATALOG_VERSIONS).values(version=now, at=now, reason="refresh", detail=detail))
            version = conn.execute(select(CATALOG_VERSIONS.c.version).order_by(CATALOG_VERSIONS.c.id.desc())
                                   .limit(1)).scalar_one()
        return {"version": str(version), "plans": len(plans), "added": added, "changed": changed,
                "withdrawn": withdrawn}

    def _insert_new(self, conn: Connection, table: Table, key: list[str], **values: Any) -> int:
        """``INSERT … ON CONFLICT (key) DO NOTHING``; 1 when the row was inserted, 0 when it was there."""
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        result = conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=key))
        return 1 if result.rowcount == 1 else 0

    def set_translation(self, plan_id: str, lang: str, name: str, benefits: Sequence[str],
                        operator: str) -> str | None:
        """Attach (or, with an empty name and no benefits, remove) a plan's text in ``lang``;
        returns the new catalog version, ``None`` for an unknown plan."""
        now = now_text()
        with self._write() as conn:
            if conn.execute(select(PLANS.c.plan_id).where(PLANS.c.plan_id == plan_id)).first() is None:
                return None
            conn.execute(delete(PLAN_I18N).where(PLAN_I18N.c.plan_id == plan_id, PLAN_I18N.c.lang == lang))
            if name or benefits:
                conn.execute(insert(PLAN_I18N).values(
                    plan_id=plan_id, lang=lang, name=name, benefits=json.dumps(list(benefits), ensure_ascii=False),
                    updated_at=now, updated_by=operator))
            conn.execute(insert(CATALOG_VERSIONS).values(version=now, at=now, reason="translation",
                                                         detail=f"{operator}: {plan_id} {lang}"))
        return now

    # ------------------------------------------------------------------ fleet-wide runs (backend/monitor.py)

    @contextlib.contextmanager
    def exclusive(self, name: str, wait_s: float = 0.0) -> Iterator[bool]:
        """Hold the fleet-wide lock ``name`` for the block; yields whether it was had within
        ``wait_s`` (0: one try). Every backend process on this database, on any machine, sees it.

        PostgreSQL: a transaction-scoped advisory lock (``pg_try_advisory_xact_lock``) in a
        transaction left open on a connection of its own, outside the pool (the work under the
        lock uses the pool freely, and a pool of one cannot deadlock). It ends with that
        transaction, so neither a crashed process nor pgbouncer in transaction mode (which
        would hand a *session* lock's server connection to someone else) can leave it held;
        the open transaction takes no row locks and no snapshot between its statements.
        SQLite (one machine): an exclusive ``flock`` on a file beside the database, released
        when the file is closed."""
        deadline = time.monotonic() + max(0.0, wait_s)
        if self.dialect == "postgresql":
            with self._pg_lock(name, deadline) as held:
                yield held
        else:
            with self._file_lock(name, deadline) as held:
                yield held

    @contextlib.contextmanager
    def _pg_lock(self, name: str, deadline: float) -> Iterator[bool]:
        try:
            conn = self._lock_engine().connect()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open a lock connection: {exc.__class__.__name__}: {exc}") from exc
        try:
            held = False
            try:
                while True:
                    held = bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                             {"k": _lock_id("fleet:" + name)}).scalar())
                    if held or time.monotonic() >= deadline:
                        break
                    time.sleep(min(LOCK_POLL_S, max(0.0, deadline - time.monotonic())))
            except SQLAlchemyError as exc:
                raise StoreError(f"advisory lock failed: {exc.__class__.__name__}: {exc}") from exc
            yield held
        finally:
            conn.close()  # rolls the transaction back (and ends the session): the lock goes with it

    def _lock_engine(self) -> Engine:
        """One connection per held lock, opened for it and closed after (no pool)."""
        with self._lock_engine_lock:
            if self._locks is None:
                self._locks = create_engine(self._engine.url, poolclass=NullPool, connect_args={
                    "connect_timeout": 10, "application_name": f"kiosk-backend[{os.getpid()}] lock"})
            return self._locks

    @contextlib.contextmanager
    def _file_lock(self, name: str, deadline: float) -> Iterator[bool]:
        database = self._engine.url.database
        if not database or database == ":memory:":  # one process: a lock of this process is the fleet's
            lock = _MEMORY_LOCKS.setdefault(name, threading.Lock())
            held = lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
            try:
                yield held
            finally:
                if held:
                    lock.release()
            return
        path = Path(database).with_name(f"{Path(database).name}.{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot open lock file {path}: {exc.strerror}") from exc
        try:
            held = False
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = True
                except BlockingIOError:
                    pass
                if held or time.monotonic() >= deadline:
                    break
                time.sleep(min(LOCK_POLL_S, max(0.0, deadline - time.monotonic())))
            yield held
        finally:
            os.close(fd)  # releases the flock

    def aggregator_run(self, provider: str, job: str) -> dict[str, Any] | None:
        """The stored last run of ``job`` for ``provider`` (``result`` parsed), or ``None``."""
        with self._read() as conn:
            row = conn.execute(select(RUNS).where(RUNS.c.provider == provider, RUNS.c.job == job)).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["ok"] = bool(out["ok"])
        out["result"] = json.loads(out["result"]) if out["result"] else None
        return out

    def record_aggregator_run(self, provider: str, job: str, *, started_ms: int, ok: bool,
                              result: dict[str, Any] | None, error: str | None, runner: str) -> None:
        """Store a run as the last of its job; ``result=None`` keeps the stored result (a failed
        refresh leaves the last good refresh's counts on show)."""
        values = {"started_ms": started_ms, "at": now_text(), "ok": ok, "error": error, "runner": runner,
                  "result": None if result is None else json.dumps(result, ensure_ascii=False)}
        dialect_insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
        stmt = dialect_insert(RUNS).values(provider=provider, job=job, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["provider", "job"], set_={
            **{k: stmt.excluded[k] for k in values if k != "result"},
            "result": func.coalesce(stmt.excluded.result, RUNS.c.result)})
        with self._write() as conn:
            conn.execute(stmt)


#: Fleet locks of a process without a database file (SQLite in memory): one process is the fleet.
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
#: How often a lock held elsewhere is tried again while waiting for it.
LOCK_POLL_S = 0.1

#: PostgreSQL hot-path statements (psycopg placeholders), run through :meth:`Store._pg_row`.
_PG_KIOSK_AUTH = "SELECT secret_generation, secret_check, disabled FROM kiosks WHERE id = %(kiosk)s::varchar"
#: The nonce, recorded only while the kiosk has this secret generation and is not disabled.
_PG_CLAIM = """WITH claimed AS (
    INSERT INTO request_nonces (kiosk_id, nonce, expires_at)
    SELECT %(kiosk)s::varchar, %(nonce)s::varchar, %(expires)s::bigint
    WHERE EXISTS (SELECT 1 FROM kiosks WHERE id = %(kiosk)s::varchar AND secret_generation = %(generation)s::int
                  AND NOT disabled)
    ON CONFLICT DO NOTHING
    RETURNING kiosk_id)"""
#: Heartbeat: the nonce, the kiosk's heartbeat time and status, and the chain position, in one
#: autocommit statement; no row when the nonce is refused.
_PG_HEARTBEAT = _PG_CLAIM + """
UPDATE kiosks SET last_heartbeat_at = %(at)s::varchar, status = %(status)s::text
FROM claimed WHERE kiosks.id = claimed.kiosk_id
RETURNING kiosks.acked_through, kiosks.head_hash"""


def _claim_params(claim: NonceClaim) -> dict[str, Any]:
    return {"kiosk": claim.kiosk_id, "nonce": claim.nonce, "expires": claim.expires_at,
            "generation": claim.generation}


# --------------------------------------------------------------------------- operator queries
# Built here, apart from their execution, so bench/scale_backend.py can EXPLAIN exactly these.


def transactions_query(*, since: str | None = None, until: str | None = None, kiosk_id: str | None = None,
                       state: str | None = None, limit: int | None = None, offset: int = 0) -> Select[Any]:
    query = select(*OPERATOR_TXN_COLUMNS).order_by(TXNS.c.created_at, TXNS.c.kiosk_id, TXNS.c.txn_id)
    if since:
        query = query.where(TXNS.c.created_at >= since)
    if until:
        query = query.where(TXNS.c.created_at < until)
    if kiosk_id:
        query = query.where(TXNS.c.kiosk_id == kiosk_id)
    if state:
        query = query.where(TXNS.c.state == state)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return query


def daily_sales_query(*, since: str | None = None, until: str | None = None,
                      kiosk_id: str | None = None) -> Select[Any]:
    day = func.substr(TXNS.c.created_at, 1, 10).label("day")
    query = (select(day, TXNS.c.kiosk_id, TXNS.c.currency, func.count().label("count"),
                    func.coalesce(func.sum(TXNS.c.amount_cents), 0).label("amount_cents"))
             .where(TXNS.c.state == "completed")
             .group_by(day, TXNS.c.kiosk_id, TXNS.c.currency)
             .order_by(day, TXNS.c.kiosk_id))
    if since:
        query = query.where(TXNS.c.created_at >= since)
    if until:
        query = query.where(TXNS.c.created_at < until)
    if kiosk_id:
        query = query.where(TXNS.c.kiosk_id == kiosk_id)
    return query


def end_of_day_mismatch_query() -> Select[Any]:
    """Per kiosk: how many end-of-day mismatches it reported and the latest one's time."""
    return (select(INCIDENTS.c.kiosk_id, func.count(), func.max(INCIDENTS.c.at))
            .where(INCIDENTS.c.code == END_OF_DAY_MISMATCH).group_by(INCIDENTS.c.kiosk_id))


def overview_queries() -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The fleet view: needs-attention counts, incident counts, the kiosks."""
    return (select(TXNS.c.kiosk_id, func.count()).where(TXNS.c.state == "needs_attention")
            .group_by(TXNS.c.kiosk_id),
            select(INCIDENTS.c.kiosk_id, func.count()).group_by(INCIDENTS.c.kiosk_id),
            select(KIOSKS.c.id, KIOSKS.c.location, KIOSKS.c.acked_through, KIOSKS.c.last_event_at,
                   KIOSKS.c.last_heartbeat_at, KIOSKS.c.status, KIOSKS.c.disabled).order_by(KIOSKS.c.id))


def _private_sqlite(path: Path) -> None:
    """The database file (and the WAL/SHM SQLite gives its mode) owner-only, its directory too."""
    try:
        private_dir(path.parent)
        create_private(path)
        for suffix in ("-wal", "-shm", "-journal"):
            tighten(Path(f"{path}{suffix}"))
    except OSError as exc:
        raise BackendError(f"cannot create the database file {path}: {exc.strerror or exc}",
                           code="config_error") from exc


_TXN_COLUMNS = ("txn_id", "created_at", "updated_at", "last_seq", *PROJECTED_FIELDS, "receipt")
_TXN_TYPES = {"last_seq": "bigint", "amount_cents": "bigint"}
_TXN_UNNEST = ("SELECT %(kiosk)s::varchar, " + ", ".join(f"r.{c}" for c in _TXN_COLUMNS) + " FROM unnest("
               + ", ".join(f"%({c})s::{_TXN_TYPES.get(c, 'text')}[]" for c in _TXN_COLUMNS)
               + ") AS r(" + ", ".join(_TXN_COLUMNS) + ")")
#: Every transaction of a batch, proposed as new (from the batch's events alone): inserted when
#: new; when stored, left as it is (the no-op update locks it and returns the stored values).
_PG_TXN_PROPOSE = ("INSERT INTO kiosk_transactions AS t (kiosk_id, " + ", ".join(_TXN_COLUMNS) + ") "
                   + _TXN_UNNEST + " ON CONFLICT (kiosk_id, txn_id) DO UPDATE SET last_seq = t.last_seq "
                   "RETURNING (t.xmax <> 0) AS stored, " + ", ".join(f"t.{c}" for c in _TXN_COLUMNS))
#: The stored transactions the batch continues, with their folded values.
_PG_TXN_MERGE = ("INSERT INTO kiosk_transactions AS t (kiosk_id, " + ", ".join(_TXN_COLUMNS) + ") "
                 + _TXN_UNNEST + " ON CONFLICT (kiosk_id, txn_id) DO UPDATE SET "
                 + ", ".join(f"{c} = EXCLUDED.{c}" for c in _TXN_COLUMNS if c != "txn_id"))


def _txn_arrays(kiosk_id: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"kiosk": kiosk_id, **{c: [r[c] for r in rows] for c in _TXN_COLUMNS}}


def _project_pg(conn: Connection, kiosk_id: str, events: Sequence[IncomingEvent]) -> None:
    """The transaction projection on PostgreSQL, without ever *looking rows up*.

    Both statements find rows through the primary key's uniqueness check (``ON CONFLICT``),
    which no query plan and no statistics can change. Before, the batch's rows were read with
    ``kiosk_id = $1 AND txn_id IN (...)``: planned with the statistics of a nearly empty table
    (a prepared statement's generic plan; stale statistics chose the same for a custom plan),
    it read every stored transaction of the kiosk and filtered them against the batch's ~330
    ids, so each batch got slower as the kiosk's history grew (bench_sync's slow chunks;
    docs/backend.md, "The periodic slowdown").

    1. every transaction of the batch is proposed as new (the batch's events folded alone):
       new ones are inserted as they are; stored ones are left unchanged and come back with
       their stored values (``xmax <> 0`` tells them apart);
    2. those (usually none, or the one a batch boundary cut) are folded on from their stored
       values and written back, again through ``ON CONFLICT``."""
    proposed: dict[str, TxnRow] = {}
    fold(proposed, kiosk_id, events)
    if not proposed:
        return
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cur:
        cur.execute(_PG_TXN_PROPOSE, _txn_arrays(kiosk_id, [r.as_row() for r in proposed.values()]))
        names = [d.name for d in cur.description]
        stored: dict[str, TxnRow] = {}
        for values in cur.fetchall():
            r = dict(zip(names, values, strict=True))
            if r["stored"]:
                stored[r["txn_id"]] = TxnRow(kiosk_id, r["txn_id"], r["created_at"], r["updated_at"],
                                             r["last_seq"], {f: r[f] for f in PROJECTED_FIELDS}, r["receipt"])
        if stored:
            fold(stored, kiosk_id, [ev for ev in events if ev.txn_id in stored])
            cur.execute(_PG_TXN_MERGE, _txn_arrays(kiosk_id, [r.as_row() for r in stored.values()]))


def _projection_rows(conn: Connection, kiosk_id: str, txn_ids: list[str]) -> list[dict[str, Any]]:
    """The stored projection rows of ``txn_ids`` (SQLite)."""
    if not txn_ids:
        return []
    return [dict(r) for r in conn.execute(select(TXNS).where(TXNS.c.kiosk_id == kiosk_id,
                                                            TXNS.c.txn_id.in_(txn_ids))).mappings()]


def _bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows at once: PostgreSQL ``COPY`` (one round trip, no per-row parse), else executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    column_list = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cur, cur.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def key_of(values: dict[str, Any]) -> str:
    return str(values.get("key", "?"))


__all__ = ["ApiError", "HeartbeatResult", "IngestResult", "KioskAuth", "NonceClaim", "Store", "now_text"]
