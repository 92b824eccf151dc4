"""E-receipts: each transaction's receipt, projected at ingest (``kiosk_transactions.receipt``).

The kiosk journals the whole receipt in its ``txn.receipt`` event
(``kiosk.receipt.receipt_to_json``); ingest copies it into the transaction's row, so the
public e-receipt page (``GET /r/{kiosk_id}/{txn_id}``) is one primary-key read. The events
are not indexed by transaction (b0004 dropped that index on purpose), and this needs none.

Adding a nullable column without a default rewrites nothing (PostgreSQL and SQLite alike):
the migration is instant whatever the table's size. Rows synced before it stay ``NULL``
(their page says "not available"); they are not back-filled.

Revision ID: b0007
Revises: b0006
"""

import sqlalchemy as sa
from alembic import op

revision = "b0007"
down_revision = "b0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("kiosk_transactions", sa.Column("receipt", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_transactions") as batch:
        batch.drop_column("receipt")
