"""``survey par check|compute|publish|template|import``: the PAR Index from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from survey_service import db
from survey_service.settings import Settings


def _engine() -> Any:
    return db.migrated_engine(Settings().resolved_database_url)


def known_subindices() -> dict[str, set[str]]:
    """Dimension and item ids of the built-in questionnaires, per audience (and "index")."""
    import questionnaires as qn

    known: dict[str, set[str]] = {}
    for audience in qn.Audience:
        questionnaire = qn.builtin_definition(audience.value)
        ids = {d.id for d in questionnaire.dimensions} | {i.id for i in questionnaire.items}
        known[audience.value] = ids | {"index"}
    return known


def cmd_check(args: argparse.Namespace) -> int:
    """Check scheme files: exit 0 when valid, else one line per problem and exit 1."""
    from analysis import par

    failed = False
    for name in args.files:
        problems = par.check_scheme_file(Path(name), known=known_subindices())
        for problem in problems:
            line = f"{problem.line}" if problem.line is not None else "-"
            print(f"{name}:{line}: {problem.where}: {problem.what}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{name}: ok")
    return 1 if failed else 0


def cmd_compute(args: argparse.Namespace) -> int:
    """Compute every unit's PAR Index; print the ranking (or JSON)."""
    from survey_service.services import par as par_service

    with db.session_scope(_engine()) as session:
        computation = par_service.compute(
            session=session, campaign_id=args.campaign, actor="command line"
        )
        payload = {
            "id": computation.id,
            "campaign_id": computation.campaign_id,
            "schemes": computation.schemes,
            "analysis_run_id": computation.analysis_run_id,
            "appraisal_checksum": computation.appraisal_checksum,
            "checksum": computation.checksum,
            "results": computation.results,
        }
    if args.json:
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(
        f"PAR computation {payload['id']} (analysis run {payload['analysis_run_id']}); "
        f"checksum {str(payload['checksum'])[:16]}…"
    )
    for group in par_service.GROUPS:
        rows = par_service.ranking(payload["results"], group)
        if not rows:
            continue
        print(f"\n{group}: rank (range)  unit        index   total/max  class")
        for row in rows:
            label = (row["class"] or {}).get("vi", "—")
            change = f" ({row['change']:+.1f})" if row["change"] is not None else ""
            print(
                f"  {row['rank']:>3} ({row['rank_low']}–{row['rank_high']})  "
                f"{row['unit_code']:10} {row['index']:6.2f}{change}  "
                f"{row['total']:.2f}/{row['maximum']:g}  {label}"
            )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish the campaign's latest computation (its numbers freeze)."""
    from survey_service.services import audit
    from survey_service.services import par as par_service

    with db.session_scope(_engine()) as session:
        computation = par_service.publish(
            session=session, campaign_id=args.campaign, actor="command line"
        )
        audit.record(
            session=session,
            actor=None,
            actor_label="command line",
            action="par.publish",
            entity="campaign",
            entity_id=args.campaign,
            after={"computation_id": computation.id, "checksum": computation.checksum},
        )
    print(f"Published computation {computation.id} of campaign {args.campaign}.")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    """Write a unit's appraisal workbook to fill in offline."""
    from survey_service.services import par_files

    with db.session_scope(_engine()) as session:
        data = par_files.template(session=session, campaign_id=args.campaign, unit_code=args.unit)
    Path(args.out).write_bytes(data)
    print(f"Wrote {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a filled-in appraisal workbook: all rows valid, or nothing stored."""
    from survey_service.services import par_files

    with db.session_scope(_engine()) as session:
        report = par_files.import_workbook(
            session=session,
            campaign_id=args.campaign,
            path=Path(args.file),
            actor=None,
            actor_label="command line",
        )
    if report.problems:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        print(f"Nothing was stored: {len(report.problems)} problems.", file=sys.stderr)
        return 1
    print(f"Unit {report.unit_code}: {report.changed} entries changed.")
    return 0


def register(sub: Any) -> None:
    """Add the ``par`` command group to the ``survey`` parser."""
    par_cmd = sub.add_parser("par", help="PAR Index schemes, appraisal and scoring")
    group = par_cmd.add_subparsers(dest="par", required=True)
    check = group.add_parser("check", help="check scheme files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=cmd_check)
    compute = group.add_parser("compute", help="compute every unit's index, rank and class")
    compute.add_argument("--campaign", type=int, required=True)
    compute.add_argument("--json", action="store_true")
    compute.set_defaults(func=cmd_compute)
    publish = group.add_parser("publish", help="publish the latest computation (freezes it)")
    publish.add_argument("--campaign", type=int, required=True)
    publish.set_defaults(func=cmd_publish)
    template = group.add_parser("template", help="a unit's appraisal workbook (XLSX)")
    template.add_argument("--campaign", type=int, required=True)
    template.add_argument("--unit", required=True, metavar="CODE")
    template.add_argument("--out", required=True, metavar="FILE.xlsx")
    template.set_defaults(func=cmd_template)
    imp = group.add_parser("import", help="import a filled-in appraisal workbook")
    imp.add_argument("--campaign", type=int, required=True)
    imp.add_argument("file", metavar="FILE.xlsx")
    imp.set_defaults(func=cmd_import)
