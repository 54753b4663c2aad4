"""``survey backup`` and ``survey restore``: round trips compared table by table, and refusals."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, select

from survey_service import backup, cli, db, demo, demo_responses
from survey_service.models import Campaign, Unit, UnitGroup
from survey_service.services import audit
from survey_service.services import par as par_service
from survey_service.settings import Settings
from tests import factories

HEAD = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
KEY_TABLES = ("alembic_version", "units", "desks", "responses", "appraisal_points", "audit_log")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> str:
    """The ``survey`` command pointed at the test's database; returns its URL."""
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def target(database_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Another empty, migrated database of the same kind to restore into.

    On PostgreSQL it is a new database holding a schema of the same name, because a pg_dump
    archive names the schema its tables belong to.
    """
    if backup.is_sqlite(database_url):
        path = tmp_path / "target.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    with _pg_database(database_url) as url:
        yield url


class _pg_database:  # noqa: N801 - used like a function, as a context manager
    """A new PostgreSQL database with the schema of ``like``'s search_path, migrated; dropped."""

    def __init__(self, like: str) -> None:
        self.parsed = make_url(like)
        self.name = f"survey_restore_{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(
            self.parsed.difference_update_query(["options"]), isolation_level="AUTOCOMMIT"
        )

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
        url = self.parsed.set(database=self.name).render_as_string(hide_password=False)
        schema = backup.pg_target(url).schema
        with _engine(url) as engine, engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        db.upgrade(url)
        return url

    def __exit__(self, *exc: object) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


class _engine:  # noqa: N801 - used like a function, as a context manager
    """An engine on ``url``, disposed at the end of the block."""

    def __init__(self, url: str) -> None:
        self.engine = db.make_engine(url)

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.engine.dispose()


def _fill(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's units, desks and campaign, simulated answers, appraisals and an audit entry."""
    monkeypatch.setattr(demo_responses, "PER_UNIT", {"citizen": 2, "business": 1, "official": 1})
    settings = Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-not-for-production")
    demo.seed(engine, settings, simulate=False)
    with db.session_scope(engine) as session:
        campaign = session.exec(select(Campaign)).one()
        demo_responses.simulate(session, campaign)
        _appraise(session, campaign)
        audit.record(
            session=session,
            actor=None,
            action="test.backup",
            entity="campaign",
            entity_id=campaign.id,
            after={"tỉnh": "Thành phố Hồ Chí Minh", "weight": 1.25},
        )


def _appraise(session: Session, campaign: Campaign) -> None:
    """A few appraisal entries (the demo's full set takes seconds to enter)."""
    assert campaign.id is not None
    for group, (_, scheme) in par_service.schemes(session=session, campaign=campaign).items():
        units = session.exec(select(Unit).where(Unit.group == group).order_by(Unit.id).limit(2))
        for unit in units.all():
            assert unit.id is not None
            for leaf in par_service.appraisal_leaves(scheme)[:3]:
                par_service.set_appraisal(
                    session=session,
                    campaign_id=campaign.id,
                    unit_id=unit.id,
                    code=leaf.code,
                    update=par_service.AppraisalUpdate(
                        self_points=leaf.max_points, appraised_points=leaf.max_points / 2
                    ),
                )


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with _engine(url) as engine, engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in inspector.get_table_names():
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            key = inspector.get_pk_constraint(name)["constrained_columns"]
            order = [table.c[column] for column in key] or list(table.c)
            tables[name] = [tuple(row) for row in conn.execute(sa.select(table).order_by(*order))]
    return tables


def _backup(out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli.main(["backup", str(out)]) == 0
    return capsys.readouterr().out


def _restore(source: Path, url: str, *extra: str) -> int:
    return cli.main(["restore", str(source), "--database-url", url, *extra])


def test_backup_then_restore_into_another_database_gives_every_row_of_every_table(
    env: str,
    engine: Engine,
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(engine, tmp_path, monkeypatch)
    out = tmp_path / "survey.backup"
    printed = _backup(out, capsys)
    original = _snapshot(env)
    rows = sum(len(r) for r in original.values())
    assert f"{out}: " in printed and f"{len(original)} tables, {rows} rows" in printed
    magic = backup.SQLITE_MAGIC if backup.is_sqlite(env) else b"PGDMP"
    assert out.read_bytes().startswith(magic)
    assert _snapshot(target)["units"] == []

    assert _restore(out, target) == 0
    assert f"{rows} rows; schema version {HEAD}" in capsys.readouterr().out
    restored = _snapshot(target)
    assert sorted(restored) == sorted(original)
    for name, table_rows in original.items():
        assert restored[name] == table_rows, name
    assert all(original[name] for name in KEY_TABLES)
    assert len(original["responses"]) > 100


def test_restore_refuses_a_database_with_data_without_force_and_leaves_it_unchanged(
    env: str,
    engine: Engine,
    target: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(engine, tmp_path, monkeypatch)
    out = tmp_path / "survey.backup"
    _backup(out, capsys)
    with _engine(target) as target_engine:
        factories.make_unit(target_engine, "ZZ", UnitGroup.DISTRICT, "Kept unless forced")
    before = _snapshot(target)

    assert _restore(out, target) == 1
    captured = capsys.readouterr()
    assert "already holds data (1 rows)" in captured.err and "--force" in captured.err
    assert "Traceback" not in captured.err
    assert _snapshot(target) == before

    assert _restore(out, target, "--force") == 0
    assert _snapshot(target) == _snapshot(env)


def test_restore_refuses_a_file_that_is_not_a_backup(
    env: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "notes.backup"
    bogus.write_text("these are meeting notes, not a database\n" * 10)
    before = _snapshot(target)

    assert _restore(bogus, target, "--force") == 1
    err = capsys.readouterr().err
    expected = (
        "not a SQLite database file" if backup.is_sqlite(env) else "not a pg_dump custom archive"
    )
    assert err.startswith(f"error: {bogus}: {expected}")
    assert _snapshot(target) == before


def test_restore_of_a_missing_file_says_so(
    env: str, target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _restore(tmp_path / "nowhere.backup", target) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nowhere.backup'}: no such file\n"


def test_restore_refuses_a_sqlite_file_of_another_application(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    target = tmp_path / "target.db"

    assert _restore(other, f"sqlite:///{target}") == 1
    assert "a SQLite file, but not a PAR Survey database" in capsys.readouterr().err
    assert not target.exists()


def test_restore_brings_an_older_backup_to_the_current_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(old, "0006")
    with _engine(old) as engine:
        factories.make_unit(engine, "Q9", UnitGroup.DISTRICT)
    monkeypatch.setenv("SURVEY_DATABASE_URL", old)
    out = tmp_path / "old.backup"
    assert "schema version 0006" in _backup(out, capsys)
    fresh = tmp_path / "fresh" / "survey.db"
    fresh.parent.mkdir()

    assert _restore(out, f"sqlite:///{fresh}") == 0
    assert f"schema version {HEAD}" in capsys.readouterr().out
    restored = _snapshot(f"sqlite:///{fresh}")
    assert restored["alembic_version"] == [(HEAD,)]
    assert [row[1] for row in restored["units"]] == ["Q9"]


def test_sqlite_restore_over_a_database_with_an_unmerged_write_ahead_log_gives_the_backup(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "source.db"
    shutil.copyfile(sqlite_template, source)
    out = tmp_path / "source.backup"
    assert cli.main(["backup", str(out), "--database-url", f"sqlite:///{source}"]) == 0
    target = tmp_path / "target.db"
    shutil.copyfile(sqlite_template, target)
    wal = target.with_name("target.db-wal")
    with _engine(f"sqlite:///{target}") as engine:
        factories.make_unit(engine, "STALE", UnitGroup.DISTRICT)
        # The pooled connection is still open, so this commit sits in the WAL, unmerged.
        stale = wal.read_bytes()
    wal.write_bytes(stale)

    assert _restore(out, f"sqlite:///{target}", "--force") == 0
    restored = _snapshot(f"sqlite:///{target}")
    assert restored["units"] == [] and restored == _snapshot(f"sqlite:///{source}")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sqlite_backup_while_another_connection_writes_is_an_intact_snapshot(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "busy.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with _engine(url) as engine:
            while not stop.is_set() or len(written) < 20:
                written.append(factories.make_unit(engine, f"W{len(written)}", UnitGroup.DISTRICT))

    writer = threading.Thread(target=write)
    writer.start()
    counts = []
    try:
        for n in range(5):
            out = tmp_path / f"busy-{n}.backup"
            assert cli.main(["backup", str(out), "--database-url", url]) == 0
            with sqlite3.connect(out) as copy:
                assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
                codes = [r[0] for r in copy.execute("SELECT code FROM units ORDER BY id")]
            assert codes == [f"W{i}" for i in range(len(codes))]  # a prefix: no torn writes
            counts.append(len(codes))
    finally:
        stop.set()
        writer.join()
    assert counts == sorted(counts) and counts[-1] <= len(written)
    assert len(written) > counts[0]  # the writer kept writing during the backups


def test_failed_pg_dump_leaves_the_previous_backup_in_place(
    pg_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        'for a; do case "$a" in --file=*) echo half > "${a#--file=}";; esac; done\n'
        "echo 'pg_dump: error: connection lost' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(backup, "PG_DUMP", str(fake))
    out = tmp_path / "nightly.backup"
    out.write_bytes(b"last night's backup")

    assert cli.main(["backup", str(out), "--database-url", pg_schema_url]) == 1
    assert capsys.readouterr().err == "error: pg_dump failed: pg_dump: error: connection lost\n"
    assert out.read_bytes() == b"last night's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.backup", "tools"]


def test_backup_without_pg_dump_says_what_to_install(
    pg_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(backup, "PG_DUMP", "survey-test-no-such-pg_dump")

    assert cli.main(["backup", str(tmp_path / "x.backup"), "--database-url", pg_schema_url]) == 1
    assert "survey-test-no-such-pg_dump not found; install the PostgreSQL client tools" in (
        capsys.readouterr().err
    )
    assert list(tmp_path.iterdir()) == []


def test_pg_restore_refuses_an_archive_of_another_schema(
    pg_schema_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source_schema = backup.pg_target(pg_schema_url).schema
    with _engine(pg_schema_url) as engine:
        factories.make_unit(engine, f"S{uuid.uuid4().hex[:6]}", UnitGroup.DISTRICT)
    out = tmp_path / "survey.backup"
    assert cli.main(["backup", str(out), "--database-url", pg_schema_url]) == 0
    source = _snapshot(pg_schema_url)
    other = f"survey_other_{uuid.uuid4().hex[:8]}"
    other_url = pg_schema_url.replace(f"search_path%3D{source_schema}", f"search_path%3D{other}")
    with _engine(other_url) as engine:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{other}"'))
        try:
            db.upgrade(other_url)
            assert _restore(out, other_url, "--force") == 1
            err = capsys.readouterr().err
            assert f"the backup holds schema {source_schema}" in err
            assert f"the database URL uses {other}" in err
            assert _snapshot(other_url)["units"] == []
            assert _snapshot(pg_schema_url) == source
        finally:
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{other}" CASCADE'))


def test_pg_target_moves_the_password_out_of_the_url_and_reads_the_schema() -> None:
    found = backup.pg_target(
        "postgresql+psycopg://ann:s%40cret@db.example:5433/survey?options=-csearch_path%3Dpar"
    )
    assert found.dsn == "postgresql://ann@db.example:5433/survey?options=-csearch_path%3Dpar"
    assert found.env == {"PGPASSWORD": "s@cret"}
    assert found.schema == "par"
    plain = backup.pg_target("postgresql://survey@localhost/survey")
    assert (plain.dsn, plain.env, plain.schema) == (
        "postgresql://survey@localhost/survey",
        {},
        None,
    )
