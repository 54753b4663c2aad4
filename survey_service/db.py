"""Database engine, session and migrations (Alembic)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from survey_service import sqlite_writers

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; synchronous=FULL makes a commit durable before the
    # answer is acknowledged, even on power loss (see README, "Durability").
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``: SQLite with WAL, foreign keys and a busy timeout, or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "factory": sqlite_writers.QueuedConnection},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        sqlite_writers.install(engine)  # writers queue instead of sleeping on "database is locked"
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    """An Alembic configuration for our migrations against ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(url), revision)


def migrated_engine(url: str) -> Engine:
    """The schema at ``url`` brought up to date, then an engine on it (how commands start)."""
    upgrade(url)
    return make_engine(url)
