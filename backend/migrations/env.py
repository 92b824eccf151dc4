"""Alembic environment: always run programmatically by backend.store.Store.migrate."""

from __future__ import annotations

from alembic import context

from backend.models import Base

VERSION_TABLE = "backend_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through backend.store.Store.migrate (it passes the connection)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
