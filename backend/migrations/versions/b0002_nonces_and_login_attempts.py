"""Replay protection and atomic login throttling: request nonces, login attempts.

Revision ID: b0002
Revises: b0001
"""

import sqlalchemy as sa
from alembic import op

revision = "b0002"
down_revision = "b0001"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "request_nonces",
        sa.Column("kiosk_id", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(32), primary_key=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_request_nonces_expires", "request_nonces", ["expires_at"])
    op.create_table(
        "login_attempts",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_login_attempts_key_at", "login_attempts", ["key", "at_ms"])
    op.create_index("ix_login_attempts_at", "login_attempts", ["at_ms"])


def downgrade() -> None:
    op.drop_table("login_attempts")
    op.drop_table("request_nonces")
