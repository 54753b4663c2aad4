"""``survey questionnaire``: check definition files, convert them to and from XLSForm, and
publish one as a stored version (pinned in a campaign when asked)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from survey_service import db
from survey_service.settings import Settings


def cmd_questionnaire_check(args: argparse.Namespace) -> int:
    """Check definition files; one line per problem (file:line: what), exit 1 if any."""
    import questionnaires as qn

    failed = False
    for name in args.files:
        problems = qn.check_file(name)
        for problem in problems:
            print(problem)
        if problems:
            failed = True
        else:
            q = qn.load_file(name)
            print(
                f"{name}: ok ({q.id}, {q.audience.value}, {len(q.items)} items, "
                f"version {qn.content_hash(q)[:12]})"
            )
    return 1 if failed else 0


def _checked_definition(path: str) -> Any:
    """The questionnaire in ``path``, or None after printing its problems to stderr."""
    import questionnaires as qn

    problems = qn.check_file(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    return None if problems else qn.load_file(path)


def cmd_questionnaire_export(args: argparse.Namespace) -> int:
    """Write a definition as an XLSForm workbook."""
    from questionnaires import xlsform

    questionnaire = _checked_definition(args.file)
    if questionnaire is None:
        return 1
    xlsform.export_xlsform(questionnaire, args.output)
    print(f"{args.output}: written")
    return 0


def cmd_questionnaire_import(args: argparse.Namespace) -> int:
    """Read an XLSForm workbook into a YAML definition."""
    import yaml

    from questionnaires import xlsform

    try:
        imported = xlsform.import_xlsform(args.form)
    except xlsform.XLSFormError as exc:
        for problem in exc.problems:
            print(f"{args.form}: {problem}", file=sys.stderr)
        return 1
    for note in imported.ignored:
        print(f"{args.form}: {note}")
    data = imported.questionnaire.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {
        "id": imported.questionnaire.id,
        "audience": imported.questionnaire.audience.value,
        **data,
    }
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"{args.output}: written ({len(imported.questionnaire.items)} items)")
    return 0


def cmd_questionnaire_publish(args: argparse.Namespace) -> int:
    """Store a definition as a version and, with --campaign, pin it for its audience."""
    from survey_service.services import campaigns as campaign_service
    from survey_service.services import questionnaires as questionnaire_service

    questionnaire = _checked_definition(args.file)
    if questionnaire is None:
        return 1
    engine = db.migrated_engine(Settings().resolved_database_url)
    with db.session_scope(engine) as session:
        version = questionnaire_service.ensure_version(session=session, questionnaire=questionnaire)
        print(
            f"Version {version.id}: {version.questionnaire_id} ({version.audience}), "
            f"hash {version.content_hash[:12]}"
        )
        if args.campaign is not None:
            campaign = campaign_service.get_campaign(session=session, campaign_id=args.campaign)
            campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
            print(f"Campaign {campaign.id} now uses it for {version.audience} answers.")
    return 0


def register(sub: Any) -> None:
    """Add ``questionnaire`` (check, export-xlsform, import-xlsform, publish) to ``survey``."""
    q = sub.add_parser("questionnaire", help="questionnaire definitions").add_subparsers(
        dest="questionnaire", required=True
    )
    check = q.add_parser("check", help="check definition files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=cmd_questionnaire_check)
    export = q.add_parser("export-xlsform", help="write a definition as XLSForm")
    export.add_argument("file", metavar="FILE.yaml")
    export.add_argument("-o", "--output", required=True, metavar="FORM.xlsx")
    export.set_defaults(func=cmd_questionnaire_export)
    imp = q.add_parser("import-xlsform", help="read an XLSForm into a definition")
    imp.add_argument("form", metavar="FORM.xlsx")
    imp.add_argument("-o", "--output", required=True, metavar="FILE.yaml")
    imp.set_defaults(func=cmd_questionnaire_import)
    publish = q.add_parser("publish", help="store a definition as a version (and pin it)")
    publish.add_argument("file", metavar="FILE.yaml")
    publish.add_argument("--campaign", type=int, help="pin it in this campaign")
    publish.set_defaults(func=cmd_questionnaire_publish)
