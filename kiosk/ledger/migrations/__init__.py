"""Alembic migrations of the kiosk ledger.

``HEAD_REVISION`` names the newest script in ``versions/`` so an ordinary start can
see the schema is current without importing Alembic; a test keeps the two in step.
"""

HEAD_REVISION = "0001"
