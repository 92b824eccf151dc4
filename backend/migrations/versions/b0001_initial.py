"""Initial backend schema: kiosks, their events and transactions, incidents, top-ups, operators.

Revision ID: b0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "b0001"
down_revision = None
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("secret_generation", sa.Integer(), nullable=False),
        sa.Column("secret_check", sa.String(64), nullable=False),
        sa.Column("acked_through", BIGINT, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("last_event_at", sa.String(32)),
        sa.Column("last_heartbeat_at", sa.String(32)),
        sa.Column("status", sa.Text()),
        sa.Column("disabled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "kiosk_events",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("seq", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("txn_id", sa.String(64)),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_kiosk_events_txn", "kiosk_events", ["kiosk_id", "txn_id"])
    op.create_table(
        "kiosk_transactions",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("txn_id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        *[sa.Column(name, sa.Text()) for name in (
            "carrier", "msisdn", "iccid", "plan_id")],
        sa.Column("amount_cents", sa.BigInteger()),
        *[sa.Column(name, sa.Text()) for name in (
            "currency", "terminal_receipt_no", "terminal_trace_no", "card_brand", "pan_masked",
            "topup_status", "provider_ref", "failure_kind")],
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_kiosk_transactions_created", "kiosk_transactions", ["created_at"])
    op.create_index("ix_kiosk_transactions_state", "kiosk_transactions", ["state"])
    op.create_table(
        "incidents",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger()),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_incidents_kiosk_id", "incidents", ["kiosk_id"])
    op.create_table(
        "topups",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failure_kind", sa.String(32)),
        sa.Column("provider_ref", sa.Text()),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("msisdn", sa.String(20)),
        sa.Column("carrier", sa.Text()),
        sa.Column("iccid", sa.String(22)),
        sa.Column("plan_id", sa.Text()),
        sa.Column("amount_cents", sa.BigInteger()),
        sa.Column("currency", sa.String(3)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_topups_kiosk_id", "topups", ["kiosk_id"])
    op.create_table(
        "operators",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in ("operator_sessions", "operators", "topups", "incidents", "kiosk_transactions",
                  "kiosk_events", "kiosks"):
        op.drop_table(table)
