"""Indexes for the operator queries at millions of events; one fewer index per stored event.

* ``kiosk_transactions (kiosk_id, created_at)``: a kiosk's transactions come out in the
  page's order straight from the index (before: all of the kiosk's rows read and sorted).
* ``kiosk_transactions (state, created_at)`` replaces ``(state)``: a state filter's first
  page is the index's first entries (before: every row in that state read and sorted,
  1.4 million ``completed`` rows at 10M events). The fleet view's needs-attention count
  uses its prefix as it used the old index.
* ``ix_kiosk_events_txn (kiosk_id, txn_id)`` dropped: no query reads events by
  transaction, and every stored event paid for keeping it (kiosk transaction ids are
  random UUIDs, so its inserts land anywhere in the kiosk's part of the index).

On PostgreSQL the new indexes are built under a lock that holds ingest back while they
build (about 10 s per million transactions on 2 cores): run ``kiosk-backend migrate``
in a quiet hour, or build them beforehand with ``CREATE INDEX CONCURRENTLY`` under the
same names (this revision then only drops what is left).

Revision ID: b0004
Revises: b0003
"""

import sqlalchemy as sa
from alembic import op

revision = "b0004"
down_revision = "b0003"
branch_labels = None
depends_on = None


def _indexes(table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes(table) if ix["name"]}


def upgrade() -> None:
    existing = _indexes("kiosk_transactions")
    if "ix_kiosk_transactions_kiosk_created" not in existing:
        op.create_index("ix_kiosk_transactions_kiosk_created", "kiosk_transactions", ["kiosk_id", "created_at"])
    if "ix_kiosk_transactions_state_created" not in existing:
        op.create_index("ix_kiosk_transactions_state_created", "kiosk_transactions", ["state", "created_at"])
    if "ix_kiosk_transactions_state" in existing:
        op.drop_index("ix_kiosk_transactions_state", table_name="kiosk_transactions")
    if "ix_kiosk_events_txn" in _indexes("kiosk_events"):
        op.drop_index("ix_kiosk_events_txn", table_name="kiosk_events")


def downgrade() -> None:
    op.create_index("ix_kiosk_events_txn", "kiosk_events", ["kiosk_id", "txn_id"])
    op.create_index("ix_kiosk_transactions_state", "kiosk_transactions", ["state"])
    op.drop_index("ix_kiosk_transactions_state_created", table_name="kiosk_transactions")
    op.drop_index("ix_kiosk_transactions_kiosk_created", table_name="kiosk_transactions")
