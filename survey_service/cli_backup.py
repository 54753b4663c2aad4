"""``survey backup OUT`` and ``survey restore IN``: the whole database to a file and back."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from survey_service import backup
from survey_service.settings import Settings


def _url(args: argparse.Namespace) -> str:
    if args.database_url:
        return Settings(database_url=args.database_url).resolved_database_url
    return Settings().resolved_database_url


def _size(n: int) -> str:
    """A byte count for people: 512 B, 3.4 kB, 12.0 MB."""
    if n < 1000:
        return f"{n} B"
    size = float(n)
    for unit in ("kB", "MB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size / 1000:.1f} GB"


def _failed(exc: Exception) -> int:
    """Report a database or file error as one line (no traceback) and return exit code 1."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    print(f"error: {detail}", file=sys.stderr)
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Write a backup: a checked SQLite copy, or a pg_dump custom-format archive."""
    url = _url(args)
    try:
        report = backup.backup(url=url, out=Path(args.out))
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        return _failed(exc)
    kind = "SQLite copy, integrity ok" if backup.is_sqlite(url) else "pg_dump custom archive"
    print(
        f"{report.path}: {_size(report.size)} written ({kind}); {report.tables} tables, "
        f"{report.rows} rows, schema version {report.version or 'none'}."
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the database with a backup, then bring its schema up to date."""
    try:
        report = backup.restore(url=_url(args), source=Path(args.file), force=args.force)
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError) as exc:
        return _failed(exc)
    print(
        f"Restored from {report.path}: {report.tables} tables, {report.rows} rows; "
        f"schema version {report.version}."
    )
    return 0


def register(sub: Any) -> None:
    """Add ``backup`` and ``restore`` to the ``survey`` parser."""
    dump = sub.add_parser("backup", help="write the whole database to a file")
    dump.add_argument("out", metavar="OUT", help="file to write (replaced only when complete)")
    dump.add_argument("--database-url", help="back up this database instead of the configured one")
    dump.set_defaults(func=cmd_backup)
    load = sub.add_parser("restore", help="replace the database with a backup file")
    load.add_argument("file", metavar="IN", help="a file written by `survey backup`")
    load.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    load.add_argument("--database-url", help="restore into this database instead")
    load.set_defaults(func=cmd_restore)
