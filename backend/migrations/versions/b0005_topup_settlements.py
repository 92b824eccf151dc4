"""Operator settlements of top-up keys the aggregator never saw (``topup_settlements``).

One row per settlement: which key, who, when, why, the record's status before and after,
and what the aggregator answered when it was asked at that moment. Rows are only ever
inserted (the audit trail of a money decision); the top-up record itself keeps its own
columns, so nothing in its history changes silently.

Revision ID: b0005
Revises: b0004
"""

import sqlalchemy as sa
from alembic import op

revision = "b0005"
down_revision = "b0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "topup_settlements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("kiosk_id", sa.String(64), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("failure_kind", sa.String(32), nullable=True),
        sa.Column("aggregator", sa.String(32), nullable=False),
        sa.Column("aggregator_answer", sa.Text(), nullable=False),
    )
    op.create_index("ix_topup_settlements_key", "topup_settlements", ["key"])
    op.create_index("ix_topups_status_created", "topups", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_topups_status_created", table_name="topups")
    op.drop_index("ix_topup_settlements_key", table_name="topup_settlements")
    op.drop_table("topup_settlements")
