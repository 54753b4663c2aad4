"""The ``survey`` command: serve, database migrations, demo data, users, QR exports, frames and
purging; the other commands are registered from the ``cli_*`` modules."""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from survey_service import (
    cli_analysis,
    cli_backup,
    cli_export,
    cli_par,
    cli_questionnaires,
    cli_sampling,
    db,
    errors,
    qr,
)
from survey_service.models import Role
from survey_service.settings import Settings


def _settings() -> Settings:
    return Settings()


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web server (migrating the database first)."""
    import uvicorn

    settings = _settings()
    db.upgrade(settings.resolved_database_url)
    settings.resolved_secret_key  # noqa: B018 - create the key file once, before workers fork
    print(f"Serving on http://{args.host}:{args.port} ({args.workers} worker(s))", flush=True)
    uvicorn.run(
        "survey_service.app:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_level=args.log_level,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply every pending migration."""
    settings = _settings()
    db.upgrade(settings.resolved_database_url)
    print("Database schema is up to date.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Bring the schema up to date, then add the demo data that is missing."""
    from survey_service import demo

    settings = _settings()
    engine = db.migrated_engine(settings.resolved_database_url)
    if args.if_empty and not demo.is_empty(engine):
        print("The database has data already; the demo was not added again.")
        password = demo.stored_demo_password(settings)
        url_line = demo.first_desk_url(engine, settings)
        links = demo.link_urls(engine, settings)
    else:
        summary = demo.seed(engine, settings, simulate=not args.no_responses)
        print(
            f"Demo: {summary.units_added} units and {summary.desks_added} desks added; "
            f"open campaign #{summary.campaign_id}."
        )
        if summary.responses_added:
            print(
                f"Demo: {summary.responses_added} simulated responses added and analysed "
                f"(run #{summary.analysis_run})."
            )
        password, url_line, links = summary.admin_password, summary.desk_url, summary.link_urls
    print(f"Admin sign-in: {settings.public_url('/admin/login')}")
    print(f"  e-mail:   {demo.DEMO_ADMIN_EMAIL}")
    print(f"  password: {password or '(set by you earlier; not stored)'}")
    if url_line:
        print(f"A desk's citizen form: {url_line}")
    for line in links:
        print(f"Form link, {line}")
    engine.dispose()
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a user; the password comes from SURVEY_USER_PASSWORD or a prompt."""
    from survey_service.services import users as user_service

    password = os.environ.get("SURVEY_USER_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            print("error: set SURVEY_USER_PASSWORD or run in a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat password: "):
            print("error: the passwords differ", file=sys.stderr)
            return 2
    engine = db.migrated_engine(_settings().resolved_database_url)
    with db.session_scope(engine) as session:
        user = user_service.create_user(
            session=session, email=args.email, password=password, role=Role(args.role)
        )
        print(f"User {user.email} added with role {user.role}.")
    return 0


def cmd_qr_export(args: argparse.Namespace) -> int:
    """Write one PNG and one SVG per desk with a live code, and index.csv."""
    from sqlmodel import Session

    from survey_service.services import desks as desk_service

    settings = _settings()
    engine = db.make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        rows = [r for r in desk_service.desk_rows(session=session) if r.code and r.desk.active]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "index.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["unit_code", "unit_name", "desk_id", "desk_name", "desk_code", "url", "png", "svg"]
        )
        for row in rows:
            assert row.code is not None
            url = settings.public_url(f"/s/{row.code}")
            stem = f"{row.unit.code}-{row.desk.id}-{row.code}"
            (out / f"{stem}.png").write_bytes(qr.png(url))
            (out / f"{stem}.svg").write_bytes(qr.svg(url))
            writer.writerow(
                [
                    row.unit.code,
                    row.unit.name_vi,
                    row.desk.id,
                    row.desk.name_vi,
                    row.code,
                    url,
                    f"{stem}.png",
                    f"{stem}.svg",
                ]
            )
    print(f"{len(rows)} desks written to {out}/ (index.csv, PNG and SVG per desk).")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Forget expiring data: old address/browser hashes, expired drafts, old rate counters."""
    from survey_service.services import retention

    settings = _settings()
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_scope(engine) as session:
        done = retention.purge(session=session, hash_days=settings.client_hash_days)
    print(
        f"Hashes blanked on {done.hashes} responses older than {settings.client_hash_days} "
        f"days; {done.drafts} expired drafts and {done.counters} old rate counters deleted."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``survey``."""
    parser = argparse.ArgumentParser(prog="survey", description="PAR Survey service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    database = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    database.add_parser("upgrade", help="apply pending migrations").set_defaults(
        func=cmd_db_upgrade
    )

    demo = sub.add_parser("demo", help="add the demo campaign, units and desks")
    demo.add_argument("--if-empty", action="store_true", help="only when there are no units yet")
    demo.add_argument(
        "--no-responses", action="store_true", help="do not add simulated answers to analyse"
    )
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="user accounts").add_subparsers(dest="user", required=True)
    add = user.add_parser("add", help="add a user")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.set_defaults(func=cmd_user_add)

    qr_cmd = sub.add_parser("qr", help="QR codes").add_subparsers(dest="qr", required=True)
    export = qr_cmd.add_parser("export", help="write desk QR codes as PNG and SVG")
    export.add_argument("--out", required=True, help="folder to write into")
    export.set_defaults(func=cmd_qr_export)
    cli_questionnaires.register(sub)
    _frame_parser(sub)
    cli_sampling.register(sub)
    cli_analysis.register(sub)
    cli_par.register(sub)
    cli_export.register(sub)
    cli_backup.register(sub)
    purge = sub.add_parser("purge", help="forget expiring data (run it daily)")
    purge.set_defaults(func=cmd_purge)
    return parser


SHOWN_ERRORS = 50  # row errors printed by `survey frame import`; the rest are counted


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    """FIELD=COLUMN pairs as a dict, or None after printing the first malformed one."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        name, sep, column = pair.partition("=")
        if not sep or not name.strip() or not column.strip():
            print(f"error: --map needs FIELD=COLUMN, not {pair!r}", file=sys.stderr)
            return None
        mapping[name.strip()] = column.strip()
    return mapping


def cmd_frame_import(args: argparse.Namespace) -> int:
    """Import a sampling frame from CSV or XLSX; print the bad rows (exit 1) if there are any."""
    from survey_service.services import campaigns as campaign_service
    from survey_service.services import frames as frame_service

    mapping = _mapping(args.map)
    if mapping is None:
        return 2
    engine = db.migrated_engine(_settings().resolved_database_url)
    with db.session_scope(engine) as session:
        campaign = campaign_service.get_campaign(session=session, campaign_id=args.campaign)
        report = frame_service.import_frame(
            session=session,
            campaign=campaign,
            audience=args.audience,
            name=args.name,
            path=Path(args.file),
            mapping=mapping,
        )
    engine.dispose()
    if report.frame_id is None:
        for error in report.errors[:SHOWN_ERRORS]:
            column = f", column {error.column}" if error.column else ""
            print(f"{args.file}: row {error.row}{column}: {error.problem}", file=sys.stderr)
        if report.error_count > SHOWN_ERRORS:
            print(f"… and {report.error_count - SHOWN_ERRORS} more", file=sys.stderr)
        return 1
    print(f"Frame {report.frame_id}: {report.rows} rows imported.")
    return 0


def cmd_frame_purge_contacts(args: argparse.Namespace) -> int:
    """Delete the contact data of a campaign's frames (after fieldwork)."""
    from survey_service.services import frames as frame_service

    settings = _settings()
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_scope(engine) as session:
        deleted = frame_service.purge_contacts(session=session, campaign_id=args.campaign)
    engine.dispose()
    print(f"{deleted} contacts deleted from the frames of campaign {args.campaign}.")
    return 0


def _frame_parser(sub: Any) -> None:
    frame = sub.add_parser("frame", help="sampling frames").add_subparsers(
        dest="frame", required=True
    )
    imp = frame.add_parser("import", help="import a frame from CSV or XLSX")
    imp.add_argument("--campaign", type=int, required=True, metavar="ID")
    imp.add_argument("--audience", required=True, choices=["citizen", "business", "official"])
    imp.add_argument("--name", required=True)
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="read FIELD from the file's COLUMN (repeatable)",
    )
    imp.set_defaults(func=cmd_frame_import)
    purge = frame.add_parser("purge-contacts", help="delete the frames' contact data")
    purge.add_argument("--campaign", type=int, required=True, metavar="ID")
    purge.set_defaults(func=cmd_frame_purge_contacts)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``survey`` console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except errors.DomainError as exc:
        print(f"error: {exc.text('en')}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output was piped into `head` or similar
        sys.stderr.close()
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
