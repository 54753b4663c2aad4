"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from survey_service import db
from survey_service.models import SQLModel
from survey_service.settings import Settings
from tests.conftest import PG_URL, REQUIRE_PG


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_at_head(engine: Engine, database_url: str) -> None:
    db.upgrade(database_url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert (
        version == ScriptDirectory.from_config(db.alembic_config(database_url)).get_current_head()
    )


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new PostgreSQL schema (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SURVEY_REQUIRE_POSTGRES=1 but SURVEY_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need SURVEY_TEST_POSTGRES_URL")
    base = Settings(database_url=PG_URL).resolved_database_url
    schema = f"survey_old_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_upgrading_a_first_release_database_keeps_its_data(empty_url: str) -> None:
    """A database made by the first migration, with answers in it, upgrades to head intact."""
    url = empty_url
    db.upgrade(url, "0001")
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO units (id, code, name_vi, name_en, "group") '
                "VALUES (1, 'Q1', 'Quận 1', 'District 1', 'district')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO campaigns (id, year, name, status, created_at) "
                "VALUES (1, 2025, 'Khảo sát 2025', 'closed', '2025-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO questionnaire_versions (id, questionnaire_id, audience, content_hash, "
                "definition, created_at) VALUES (1, 'citizen', 'citizen', 'abc', '{}', "
                "'2025-01-01 00:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO responses (id, campaign_id, questionnaire_version_id, unit_id, "
                "channel, language, submitted_at, answers, client_submission_id) "
                "VALUES (1, 1, 1, 1, 'desk_qr', 'vi', '2025-03-01 08:00:00', "
                "'{\"overall_satisfaction\": 4}', 'old-submission-0000001')"
            )
        )
    db.upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT answers, flags, excluded, excluded_reason, stratum FROM responses")
        ).one()
    engine.dispose()
    answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers)
    flags = row.flags if isinstance(row.flags, list) else json.loads(row.flags)
    assert answers == {"overall_satisfaction": 4}
    assert (flags, bool(row.excluded), row.excluded_reason, row.stratum) == ([], False, "", None)
    check = db.make_engine(url)
    with check.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("responses")}
    check.dispose()
    assert version == ScriptDirectory.from_config(db.alembic_config(url)).get_current_head()
    assert "ix_responses_desk_submitted" in indexes  # the newest migration ran too
