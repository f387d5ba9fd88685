"""Alembic environment: run the migrations on the connection briefgen hands over."""

from __future__ import annotations

from alembic import context

from briefgen.serve.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - briefgen always passes its connection
    raise RuntimeError("briefgen's migrations run through briefgen.serve.store.migrate()")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
