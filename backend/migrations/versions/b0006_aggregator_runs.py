"""The last run of each aggregator job, shared by the fleet (``aggregator_runs``).

One row per provider and job (``catalog`` refresh, health ``check``): when it started, when
it ended, whether it worked, its result (the health with the balance; the refresh's counts)
and which process ran it. Every backend process reads it to skip a run another one did within
the interval, and the operator page shows it, so every worker shows the same check.

Revision ID: b0006
Revises: b0005
"""

import sqlalchemy as sa
from alembic import op

revision = "b0006"
down_revision = "b0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregator_runs",
        sa.Column("provider", sa.String(32), primary_key=True),
        sa.Column("job", sa.String(16), primary_key=True),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("runner", sa.String(96), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("aggregator_runs")
