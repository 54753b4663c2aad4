"""``survey export KIND``: responses, indices or PAR results as CSV, XLSX, SPSS, Stata or JSON."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from survey_service import db
from survey_service.settings import Settings


def cmd_export(args: argparse.Namespace) -> int:
    """Write the export and its codebook; responses exports are audited."""
    from survey_service.services import audit
    from survey_service.services import exports as export_service

    export_service.check(args.kind, args.format)
    settings = Settings()
    engine = db.make_engine(settings.resolved_database_url)
    with db.session_scope(engine) as session:
        report = export_service.export(
            session=session,
            kind=args.kind,
            campaign_id=args.campaign,
            fmt=args.format,
            out=Path(args.out),
            weights=not args.no_weights,
        )
        if args.kind == "responses":
            audit.record(
                session=session,
                actor=None,
                actor_label="command line",
                action="export.responses",
                entity="campaign",
                entity_id=args.campaign,
                after={"format": args.format, "rows": report.rows, "file": str(args.out)},
            )
    engine.dispose()
    print(
        f"{report.path}: {report.rows} rows, {report.variables} variables "
        f"(codebook {report.codebook})"
    )
    return 0


def register(sub: Any) -> None:
    """Add ``export`` to the ``survey`` parser."""
    from survey_service.services.exports import FORMATS, KINDS

    export = sub.add_parser("export", help="export responses, indices or PAR results")
    export.add_argument("kind", choices=KINDS, metavar="KIND", help=" | ".join(KINDS))
    export.add_argument("--campaign", type=int, required=True, metavar="ID")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--out", required=True, metavar="FILE")
    export.add_argument(
        "--no-weights",
        action="store_true",
        help="leave weight and weighting empty (skips recomputing the analysis weights)",
    )
    export.set_defaults(func=cmd_export)
