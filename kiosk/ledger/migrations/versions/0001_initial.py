"""Initial ledger: events (hash chain), chain head, transactions projection, meta.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("txn_id", sa.String(36), nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_events_txn_id", "events", ["txn_id"])
    op.create_index("ix_events_at", "events", ["at"])
    op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "transactions",
        sa.Column("txn_id", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("carrier", sa.String(64)),
        sa.Column("msisdn", sa.String(20)),
        sa.Column("iccid", sa.String(22)),
        sa.Column("plan_id", sa.String(64)),
        sa.Column("amount_cents", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("terminal_receipt_no", sa.String(16)),
        sa.Column("terminal_trace_no", sa.String(16)),
        sa.Column("card_brand", sa.String(32)),
        sa.Column("pan_masked", sa.String(24)),
        sa.Column("topup_status", sa.String(16)),
        sa.Column("provider_ref", sa.String(64)),
        sa.Column("failure_kind", sa.String(32)),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_transactions_created_at", "transactions", ["created_at"])
    op.create_index("ix_transactions_state", "transactions", ["state"])
    op.create_table(
        "meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_table("transactions")
    op.drop_table("chain_head")
    op.drop_table("events")
