"""Alembic environment: always run programmatically by kiosk.ledger.migrate with a connection."""

from __future__ import annotations

from alembic import context

from kiosk.ledger.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through kiosk.ledger (it passes the connection)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
