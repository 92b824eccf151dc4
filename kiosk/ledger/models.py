"""Ledger tables (SQLAlchemy 2 declarative). Schema changes go through Alembic migrations."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Event(Base):
    """Append-only journal; never updated or deleted. ``at`` is ISO-8601 UTC text (sortable)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    txn_id: Mapped[str | None] = mapped_column(String(36), index=True)
    at: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChainHead(Base):
    """One row (id=1): the last seq and hash; appenders lock it to serialise the chain."""

    __tablename__ = "chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Transaction(Base):
    """Projection of the events of each transaction; rebuilt from events at will."""

    __tablename__ = "transactions"
    txn_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    carrier: Mapped[str | None] = mapped_column(String(64))
    msisdn: Mapped[str | None] = mapped_column(String(20))
    iccid: Mapped[str | None] = mapped_column(String(22))
    plan_id: Mapped[str | None] = mapped_column(String(64))
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    terminal_receipt_no: Mapped[str | None] = mapped_column(String(16))
    terminal_trace_no: Mapped[str | None] = mapped_column(String(16))
    card_brand: Mapped[str | None] = mapped_column(String(32))
    pan_masked: Mapped[str | None] = mapped_column(String(24))
    topup_status: Mapped[str | None] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(64))
    failure_kind: Mapped[str | None] = mapped_column(String(32))
    last_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_transactions_created_at", "created_at"), Index("ix_transactions_state", "state"))


class Meta(Base):
    """Small mutable kiosk state that is not ledger history (e.g. the acknowledged sync seq)."""

    __tablename__ = "meta"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


#: Projection columns an event payload may set, besides ``state``.
PROJECTED_FIELDS: tuple[str, ...] = (
    "state", "carrier", "msisdn", "iccid", "plan_id", "amount_cents", "currency",
    "terminal_receipt_no", "terminal_trace_no", "card_brand", "pan_masked",
    "topup_status", "provider_ref", "failure_kind",
)
