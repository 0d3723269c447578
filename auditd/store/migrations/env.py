"""Alembic environment: runs on the connection driftaudit hands over (never reads alembic.ini)."""

from __future__ import annotations

from alembic import context

from auditd.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `driftaudit db upgrade`, not the alembic command")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
