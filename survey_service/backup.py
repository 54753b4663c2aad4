"""Whole-database backups and restores: SQLite's online backup API, or pg_dump / pg_restore.

A backup is written to a temporary file beside its destination and renamed into place only once
it has been checked, so the destination never holds half a backup. A restore refuses a target
that holds data unless forced, replaces it in one step (file rename on SQLite, one transaction on
PostgreSQL), then migrates it so a backup from an older release gets the current schema.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from survey_service import db, errors

PG_DUMP = "pg_dump"
PG_RESTORE = "pg_restore"
SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables holding only bookkeeping: a migrated but otherwise empty database is "empty".
BOOKKEEPING = frozenset({"alembic_version"})


class BackupError(errors.DomainError):
    """A backup or restore that cannot be done; the message says why."""

    code = "backup_failed"


@dataclass(frozen=True)
class Report:
    """What a backup or restore handled: the file, its size, the tables and rows, the schema."""

    path: Path
    size: int
    tables: int
    rows: int
    version: str | None


@dataclass(frozen=True)
class PgTarget:
    """How pg_dump and pg_restore reach a database: a libpq URL, environment, and schema."""

    dsn: str
    env: dict[str, str]
    schema: str | None


def is_sqlite(url: str) -> bool:
    """Whether ``url`` names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def backup(*, url: str, out: Path) -> Report:
    """Write a backup of the database at ``url`` to ``out`` (SQLite file or pg_dump archive)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(message_en=f"{out.parent}: no such folder")
    if out.is_dir():
        raise BackupError(message_en=f"{out}: is a folder; give a file name")
    if is_sqlite(url):
        return _sqlite_backup(_sqlite_path(url), out)
    return _pg_backup(url, out)


def restore(*, url: str, source: Path, force: bool = False) -> Report:
    """Replace the database at ``url`` with the backup ``source``, then migrate it to head."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(message_en=f"{source}: no such file")
    if is_sqlite(url):
        _sqlite_restore(source, _sqlite_path(url), force=force)
    else:
        _pg_restore(source, url, force=force)
    db.upgrade(url)
    tables, rows, version = _census(url)
    return Report(source, source.stat().st_size, tables, rows, version)


# --- counting what a database holds ------------------------------------------------------------


def _census(url: str) -> tuple[int, int, str | None]:
    """Tables, rows (all tables) and schema version of the database at ``url``."""
    with _engine(url) as engine, engine.connect() as conn:
        counts = _row_counts(conn)
        version = _version(conn) if "alembic_version" in counts else None
    return len(counts), sum(counts.values()), version


def _row_counts(conn: sa.Connection) -> dict[str, int]:
    """Rows per table in the connection's default schema."""
    prep = conn.dialect.identifier_preparer
    return {
        name: int(conn.execute(sa.text(f"SELECT count(*) FROM {prep.quote(name)}")).scalar_one())
        for name in sa.inspect(conn).get_table_names()
    }


def _version(conn: sa.Connection) -> str | None:
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _data_rows(counts: dict[str, int]) -> int:
    return sum(n for name, n in counts.items() if name not in BOOKKEEPING)


@contextlib.contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = db.make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _refuse_data(rows: int, where: str, force: bool) -> None:
    if rows and not force:
        raise BackupError(
            message_en=(
                f"{where} already holds data ({rows} rows); nothing was changed. "
                "Add --force to replace it with the backup."
            )
        )


# --- files -------------------------------------------------------------------------------------


def _temp_beside(path: Path, tag: str) -> Path:
    """A fresh hidden file name in ``path``'s folder, so a rename into ``path`` is atomic."""
    return path.with_name(f".{path.name}.{tag}-{uuid.uuid4().hex[:8]}")


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _sidecars(path: Path) -> list[Path]:
    """SQLite's companion files of ``path`` (WAL, shared memory, rollback journal)."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _commit_file(tmp: Path, dest: Path) -> None:
    """Flush ``tmp`` to disk and rename it over ``dest`` (durable once the folder is synced)."""
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, dest)
    with contextlib.suppress(OSError):  # not every platform lets us open a folder
        fd = os.open(dest.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError(message_en="an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_backup(path: Path, out: Path) -> Report:
    if not path.is_file():
        raise BackupError(message_en=f"{path}: no database there")
    if out.exists() and out.samefile(path):
        raise BackupError(message_en=f"{out}: that is the database itself; choose another file")
    tmp = _temp_beside(out, "backup")
    try:
        _sqlite_copy(path, tmp, readonly=False)
        _check_sqlite_file(tmp)
        _commit_file(tmp, out)
    finally:
        _remove(tmp, *_sidecars(tmp))
    return _sqlite_report(out)


def _sqlite_report(path: Path) -> Report:
    """Tables, rows and schema version of a SQLite file, read without changing its journal mode."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        rows = sum(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names)
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        conn.close()
    return Report(path, path.stat().st_size, len(names), rows, version[0] if version else None)


def _sqlite_copy(source: Path, dest: Path, *, readonly: bool) -> None:
    """Copy ``source`` into the new file ``dest`` with the online backup API.

    The copy is a consistent snapshot even while the service writes (WAL readers do not block
    the writer), and it is switched to a rollback journal so it is one self-contained file.
    """
    uri = f"{source.resolve().as_uri()}?mode=ro" if readonly else str(source)
    src = sqlite3.connect(uri, uri=readonly, timeout=30)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _check_sqlite_file(path: Path) -> str:
    """The schema version of the SQLite backup ``path``; BackupError unless it is sound and ours."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(message_en=f"{path}: not a SQLite database file")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(message_en=f"{path}: damaged SQLite file: {'; '.join(problems[:3])}")
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        version = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone() if known else None
        )
    except sqlite3.DatabaseError as exc:
        raise BackupError(message_en=f"{path}: unreadable SQLite file ({exc})") from exc
    finally:
        conn.close()
    if not version:
        raise BackupError(message_en=f"{path}: a SQLite file, but not a PAR Survey database")
    return str(version[0])


def _sqlite_restore(source: Path, target: Path, *, force: bool) -> None:
    _check_sqlite_file(source)
    if target.exists() and target.samefile(source):
        raise BackupError(message_en=f"{source}: that is the database itself")
    if not target.parent.is_dir():
        raise BackupError(message_en=f"{target.parent}: no such folder")
    if target.exists():
        with _engine(f"sqlite:///{target}") as engine, engine.connect() as conn:
            rows = _data_rows(_row_counts(conn))
        _refuse_data(rows, str(target), force)
    tmp = _temp_beside(target, "restore")
    try:
        _sqlite_copy(source, tmp, readonly=True)
        _check_sqlite_file(tmp)
        # A WAL left by the old database must not be replayed onto the new file.
        _remove(*_sidecars(target))
        _commit_file(tmp, target)
    finally:
        _remove(tmp, *_sidecars(tmp))


# --- PostgreSQL --------------------------------------------------------------------------------

_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*\"?([^\s,\"]+)")


def pg_target(url: str) -> PgTarget:
    """The libpq URL (password moved to PGPASSWORD) and search_path schema of a SQLAlchemy URL."""
    parsed = make_url(url)
    options = parsed.query.get("options")
    found = _SEARCH_PATH.search(options) if isinstance(options, str) else None
    libpq = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    schema = found.group(1) if found else None
    return PgTarget(libpq.render_as_string(hide_password=False), env, schema)


def _run(tool: str, args: list[str], target: PgTarget | None = None) -> str:
    """Run a PostgreSQL client tool; its stdout, or BackupError with its first error lines."""
    binary = shutil.which(tool)
    if binary is None:
        raise BackupError(message_en=f"{tool} not found; install the PostgreSQL client tools")
    env = os.environ | (target.env if target else {})
    done = subprocess.run([binary, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()][:3]
        raise BackupError(
            message_en=f"{Path(tool).name} failed: {' / '.join(lines) or 'no output'}"
        )
    return done.stdout


def _pg_backup(url: str, out: Path) -> Report:
    target = pg_target(url)
    tables, rows, version = _census(url)
    tmp = _temp_beside(out, "backup")
    args = ["--format=custom", "--no-owner", f"--file={tmp}", f"--dbname={target.dsn}"]
    if target.schema:
        args.insert(2, f"--schema={target.schema}")
    try:
        _run(PG_DUMP, args, target)
        _archive_schemas(tmp)  # the archive reads back and holds our tables
        _commit_file(tmp, out)
    finally:
        _remove(tmp)
    return Report(out, out.stat().st_size, tables, rows, version)


def _archive_schemas(path: Path) -> set[str]:
    """The schemas of the tables in the pg_dump archive ``path``; BackupError unless ours."""
    try:
        listing = _run(PG_RESTORE, ["--list", str(path)])
    except BackupError as exc:
        raise BackupError(
            message_en=f"{path}: not a pg_dump custom archive ({exc.message_en})"
        ) from exc
    # Table lines look like "216; 1259 16389 TABLE schema name owner".
    tables = re.findall(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", listing, flags=re.MULTILINE)
    if not any(name == "alembic_version" for _, name in tables):
        raise BackupError(message_en=f"{path}: a pg_dump archive, but not of a PAR Survey database")
    return {schema for schema, name in tables if name == "alembic_version"}


def _pg_restore(source: Path, url: str, *, force: bool) -> None:
    target = pg_target(url)
    schemas = _archive_schemas(source)
    wanted = target.schema or "public"
    if wanted not in schemas:
        raise BackupError(
            message_en=(
                f"{source}: the backup holds schema {', '.join(sorted(schemas))} but the database "
                f"URL uses {wanted}; restore into a database whose search_path is the backup's"
            )
        )
    with _engine(url) as engine, engine.connect() as conn:
        rows = _data_rows(_pg_row_counts(conn, wanted))
    _refuse_data(rows, f"schema {wanted}", force)
    _run(
        PG_RESTORE,
        [
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # a failed restore changes nothing
            f"--dbname={target.dsn}",
            str(source),
        ],
        target,
    )


def _pg_row_counts(conn: sa.Connection, schema: str) -> dict[str, int]:
    """Rows per table of ``schema`` (none when the schema does not exist yet)."""
    prep = conn.dialect.identifier_preparer
    names = sa.inspect(conn).get_table_names(schema=schema)
    return {
        name: int(
            conn.execute(
                sa.text(f"SELECT count(*) FROM {prep.quote_schema(schema)}.{prep.quote(name)}")
            ).scalar_one()
        )
        for name in names
    }
