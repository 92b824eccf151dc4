"""Backend tables (SQLAlchemy 2). Schema changes go through ``backend/migrations``.

Table names carry a prefix-free but backend-specific vocabulary (``kiosk_events``,
``kiosk_transactions``...) and the Alembic version table is
``backend_alembic_version``, so the backend can share a PostgreSQL database with
a kiosk ledger without clashing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

BIGINT = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    pass


class Kiosk(Base):
    """One kiosk. The secret itself is never stored: it is derived from the server's
    master key, ``secret_generation`` and the id; ``secret_check`` is a hash of it
    that proves the master key in use is the one the secret was issued with."""

    __tablename__ = "kiosks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    location: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(32))
    secret_generation: Mapped[int] = mapped_column(Integer, default=1)
    secret_check: Mapped[str] = mapped_column(String(64))
    acked_through: Mapped[int] = mapped_column(BIGINT, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    last_event_at: Mapped[str | None] = mapped_column(String(32))
    last_heartbeat_at: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(Text)  # last heartbeat body, canonical JSON
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class KioskEvent(Base):
    """Each kiosk's ledger events, stored once per ``(kiosk_id, seq)``, contiguous from 1."""

    __tablename__ = "kiosk_events"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=False)
    txn_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[str] = mapped_column(String(32))


class KioskTransaction(Base):
    """Projection of each kiosk's transactions from its events (same fields as the kiosk's)."""

    __tablename__ = "kiosk_transactions"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    txn_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(Text)
    carrier: Mapped[str | None] = mapped_column(Text)
    msisdn: Mapped[str | None] = mapped_column(Text)
    iccid: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[str | None] = mapped_column(Text)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(Text)
    terminal_receipt_no: Mapped[str | None] = mapped_column(Text)
    terminal_trace_no: Mapped[str | None] = mapped_column(Text)
    card_brand: Mapped[str | None] = mapped_column(Text)
    pan_masked: Mapped[str | None] = mapped_column(Text)
    topup_status: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(Text)
    failure_kind: Mapped[str | None] = mapped_column(Text)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    #: The last ``txn.receipt`` event's receipt (JSON, ``kiosk.receipt.receipt_to_json``; b0007):
    #: the e-receipt page reads it by primary key.
    receipt: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_kiosk_transactions_created", "created_at"),
        Index("ix_kiosk_transactions_kiosk_created", "kiosk_id", "created_at"),
        Index("ix_kiosk_transactions_state_created", "state", "created_at"),
    )


class Incident(Base):
    """What the backend refused from an authenticated kiosk (tampering, gaps, conflicts), and
    the alerts a kiosk's events carry (``end_of_day_mismatch``: its terminal's batch total
    differs from its ledger; ``seq`` is that event)."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)


class TopUp(Base):
    """One top-up key: recorded ``pending`` before the carrier is called; ``void`` fences a
    key that was answered ``not_found``."""

    __tablename__ = "topups"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending|succeeded|failed|void
    failure_kind: Mapped[str | None] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text, default="")
    msisdn: Mapped[str | None] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(Text)
    iccid: Mapped[str | None] = mapped_column(String(22))
    plan_id: Mapped[str | None] = mapped_column(Text)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))

    __table_args__ = (Index("ix_topups_status_created", "status", "created_at"),)  # the pending list


class TopUpSettlement(Base):
    """An operator's settlement of a pending key the aggregator said it never saw (b0005):
    who, when, why, and the aggregator's answer at that moment. Only ever inserted."""

    __tablename__ = "topup_settlements"
    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    kiosk_id: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    failure_kind: Mapped[str | None] = mapped_column(String(32))
    aggregator: Mapped[str] = mapped_column(String(32))
    aggregator_answer: Mapped[str] = mapped_column(Text)


class Operator(Base):
    __tablename__ = "operators"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class OperatorSession(Base):
    """A web login. Only a hash of the cookie's token is stored."""

    __tablename__ = "operator_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    operator: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))


class CatalogPlan(Base):
    """A plan as last fetched from the aggregator; ``withdrawn_at`` set once it disappeared
    (kept, so a top-up or a translation that names it still resolves)."""

    __tablename__ = "catalog_plans"
    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    carrier: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    validity_days: Mapped[int] = mapped_column(Integer)
    benefits: Mapped[str] = mapped_column(Text)  # JSON list of strings
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    withdrawn_at: Mapped[str | None] = mapped_column(String(32))


class PlanTranslation(Base):
    """An operator's name/benefits for a plan in one kiosk language (``zh_CN``, ``es``)."""

    __tablename__ = "plan_translations"
    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lang: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    benefits: Mapped[str] = mapped_column(Text)  # JSON list of strings
    updated_at: Mapped[str] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(64))


class CatalogVersion(Base):
    """One row per change of the catalog the kiosks see; the newest row's ``version`` is served."""

    __tablename__ = "catalog_versions"
    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(32))
    at: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))  # refresh | translation
    detail: Mapped[str] = mapped_column(Text)


class RequestNonce(Base):
    """Each signed request's ``X-Nonce``, kept until its timestamp leaves the ±5 min window,
    so a captured request cannot be replayed to any worker, before or after a restart."""

    __tablename__ = "request_nonces"
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger)  # epoch seconds: purged after this

    __table_args__ = (Index("ix_request_nonces_expires", "expires_at"),)


class LoginAttempt(Base):
    """One operator login attempt, counted *before* its password is checked (``key`` is
    ``user:<casefolded name>`` or ``client:<address>``)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(BIGINT, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160))
    at_ms: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds

    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at_ms"), Index("ix_login_attempts_at", "at_ms"))


class AggregatorRun(Base):
    """The last run of each fleet-wide aggregator job (``catalog`` refresh, health ``check``),
    shared by every backend process on the database: a process skips a job whose stored run
    is more recent than its interval, and the operator page shows the stored result, so every
    worker and machine shows the same one."""

    __tablename__ = "aggregator_runs"
    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    job: Mapped[str] = mapped_column(String(16), primary_key=True)  # catalog | check
    started_ms: Mapped[int] = mapped_column(BigInteger)  # epoch ms: the interval counts from here
    at: Mapped[str] = mapped_column(String(32))  # when it ended
    ok: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str | None] = mapped_column(Text)  # JSON: the health, or the last good refresh's counts
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str] = mapped_column(String(96))  # host[pid] of the process that ran it
