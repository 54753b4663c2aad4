"""Shared fixtures: one fresh database per test, on SQLite and (when configured) PostgreSQL.

``SURVEY_TEST_POSTGRES_URL`` turns the PostgreSQL runs on; ``SURVEY_REQUIRE_POSTGRES=1`` (set by
.ci/run) makes a missing or unreachable PostgreSQL a failure instead of a skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from survey_service import db
from survey_service.app import create_app
from survey_service.models import SQLModel
from survey_service.settings import Settings

pytest_plugins = ["tests.browser_support"]

PG_URL = os.environ.get("SURVEY_TEST_POSTGRES_URL", "")
REQUIRE_PG = os.environ.get("SURVEY_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("SURVEY_TEST_REDIS_URL", "")
REQUIRE_REDIS = os.environ.get("SURVEY_REQUIRE_REDIS") == "1"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL schema of our own, migrated once; dropped at the end of the session."""
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("SURVEY_REQUIRE_POSTGRES=1 but SURVEY_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need SURVEY_TEST_POSTGRES_URL")
    base = Settings(database_url=PG_URL).resolved_database_url
    schema = f"survey_test_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}options=-csearch_path%3D{schema}"
    db.upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "survey.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_schema_url")
    engine = db.make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for a test app: its own var/ folder and database."""
    return Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        secret_key="test-secret-key-not-for-production",
        public_base_url="http://testserver",
        # tests change desks, codes and campaigns behind the app's back; the cache of what
        # desk codes open has its own tests (tests/survey_service/test_form_cache.py)
        form_cache_seconds=0,
    )


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A test client on an app bound to the test's database."""
    app = create_app(settings, engine=engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis, reachable; skipped (or failed, when required) otherwise."""
    if not REDIS_URL:
        if REQUIRE_REDIS:
            pytest.fail("SURVEY_REQUIRE_REDIS=1 but SURVEY_TEST_REDIS_URL is not set")
        pytest.skip("Redis tests need SURVEY_TEST_REDIS_URL")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required but unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    finally:
        client.close()
    return REDIS_URL
