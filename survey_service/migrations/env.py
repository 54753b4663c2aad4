"""Alembic environment: runs our migrations against the URL set in the Config."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy import pool

from survey_service import models
from survey_service.db import make_engine

target_metadata = models.SQLModel.metadata


def run_migrations_online() -> None:
    """Run the migrations on a live connection (SQLite or PostgreSQL)."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our column types into migrations as plain SQLAlchemy types (migrations stay frozen)."""
    if type_ != "type":
        return False
    if isinstance(obj, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, sa.JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `survey db upgrade`")
run_migrations_online()
