"""Alembic's environment: run the revisions on the connection migrate.upgrade holds locked."""

from __future__ import annotations

from alembic import context

from hailong.server.storage.schema import metadata


def run() -> None:
    """Run the pending revisions inside the caller's transaction (it commits)."""
    connection = context.config.attributes.get("connection")
    if connection is None or context.is_offline_mode():
        raise RuntimeError("run the migrations with `hailong-collector db upgrade`")
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


run()
