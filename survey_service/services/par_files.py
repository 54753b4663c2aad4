"""Appraisal workbooks: an XLSX per unit to fill in offline, and its import with a row-level report.

The template lists the unit's appraisal sub-criteria with their maximum points and what is
entered so far. Importing checks every row first; any problem and nothing is stored, every
problem listed as ``row N, column: what``; otherwise each changed entry is saved and audited.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from sqlmodel import Session, select

from survey_service import errors
from survey_service.models import AppraisalStatus, Unit, User
from survey_service.services import audit
from survey_service.services import campaigns as campaign_service
from survey_service.services import par as par_service

COLUMNS = (
    "code",
    "area",
    "title",
    "max_points",
    "self_points",
    "evidence",
    "links",
    "appraised_points",
    "reviewer_comment",
    "status",
)
SHEET = "appraisal"
EMPTY = {
    "self_points": None,
    "evidence": "",
    "links": [],
    "appraised_points": None,
    "reviewer_comment": "",
    "status": AppraisalStatus.DRAFT.value,
}


def template(*, session: Session, campaign_id: int, unit_code: str) -> bytes:
    """The unit's appraisal workbook (XLSX) with its current entries."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    unit = _unit_by_code(session, unit_code)
    _, scheme = par_service.schemes(session=session, campaign=campaign)[str(unit.group)]
    current = par_service.appraisals(session=session, campaign_id=campaign_id, unit_id=unit.id or 0)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([f"campaign={campaign_id}", f"unit={unit.code}", unit.name_vi])
    sheet.append(list(COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for leaf in par_service.appraisal_leaves(scheme):
        point = current.get(leaf.code)
        sheet.append(
            [
                leaf.code,
                leaf.area_code,
                _title(scheme, leaf.code),
                leaf.max_points,
                point.self_points if point else None,
                point.evidence if point else "",
                " ".join(point.links) if point else "",
                point.appraised_points if point else None,
                point.reviewer_comment if point else "",
                str(point.status) if point else AppraisalStatus.DRAFT.value,
            ]
        )
    for letter, width in zip("ABCDEFGHIJ", (10, 8, 60, 10, 10, 40, 30, 12, 40, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _title(scheme: Any, code: str) -> str:
    def walk(nodes: Any) -> str | None:
        for node in nodes:
            if node.code == code:
                return str(node.title.get("vi", ""))
            found = walk(node.children)
            if found is not None:
                return found
        return None

    return walk(scheme.areas) or ""


def _unit_by_code(session: Session, code: str) -> Unit:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit with code {code!r}.")
    return unit


@dataclass(frozen=True)
class ImportReport:
    """What an import did: entries changed, or the problems that stopped it."""

    unit_code: str
    changed: int
    problems: tuple[str, ...]


def import_workbook(
    *, session: Session, campaign_id: int, path: Path, actor: User | None, actor_label: str
) -> ImportReport:
    """Read a filled-in template; all rows valid → save and audit the changes, else nothing."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise errors.InvalidInput(
            "Không đọc được tệp Excel.", message_en=f"Not a readable XLSX workbook: {exc}"
        ) from None
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    if len(rows) < 2 or not rows[0] or not str(rows[0][1] or "").startswith("unit="):
        raise errors.InvalidInput(
            "Tệp không phải mẫu chấm điểm của hệ thống.",
            message_en="This is not an appraisal template (row 1 must name the unit).",
        )
    meta_campaign = str(rows[0][0] or "")
    if meta_campaign != f"campaign={campaign_id}":
        raise errors.InvalidInput(
            "Tệp là mẫu của đợt khảo sát khác.",
            message_en=f"The workbook is for {meta_campaign or 'no campaign'}, "
            f"not campaign={campaign_id}.",
        )
    unit = _unit_by_code(session, str(rows[0][1])[len("unit=") :])
    header = [str(v or "").strip() for v in rows[1]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise errors.InvalidInput(message_en=f"Columns missing from row 2: {', '.join(missing)}.")
    position = {name: header.index(name) for name in COLUMNS}
    problems: list[str] = []
    updates: list[tuple[str, par_service.AppraisalUpdate]] = []
    for number, values in enumerate(rows[2:], start=3):
        if not any(v not in (None, "") for v in values):
            continue
        row = {name: values[i] if i < len(values) else None for name, i in position.items()}
        update = _row_update(session, campaign, unit, number, row, problems)
        if update is not None:
            updates.append(update)
    if problems:
        return ImportReport(unit.code, 0, tuple(problems))
    current = par_service.appraisals(session=session, campaign_id=campaign_id, unit_id=unit.id or 0)
    changed = 0
    for code, update in updates:
        point = current.get(code)
        expected = {
            "self_points": update.self_points,
            "evidence": update.evidence or "",
            "links": update.links or [],
            "appraised_points": update.appraised_points,
            "reviewer_comment": update.reviewer_comment or "",
            "status": str(update.status),
        }
        if par_service.snapshot(point) == expected or (point is None and expected == EMPTY):
            continue
        before, after = par_service.set_appraisal(
            session=session,
            campaign_id=campaign_id,
            unit_id=unit.id or 0,
            code=code,
            update=update,
        )
        audit.record(
            session=session,
            actor=actor,
            actor_label=actor_label,
            action="appraisal.set",
            entity="appraisal",
            entity_id=f"{campaign_id}/{unit.code}/{code}",
            before=before,
            after=after,
        )
        changed += 1
    return ImportReport(unit.code, changed, ())


def _number(value: Any, column: str, number: int, problems: list[str]) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        problems.append(f"row {number}, {column}: {str(value)[:40]!r} is not a number")
        return None


def _row_update(
    session: Session,
    campaign: Any,
    unit: Unit,
    number: int,
    row: dict[str, Any],
    problems: list[str],
) -> tuple[str, par_service.AppraisalUpdate] | None:
    code = str(row["code"] or "").strip()
    try:
        leaf = par_service.leaf_for(session, campaign, unit, code)
    except errors.DomainError:
        problems.append(f"row {number}, code: {code!r} is not an appraisal sub-criterion")
        return None
    before = len(problems)
    points = {
        name: _number(row[name], name, number, problems)
        for name in ("self_points", "appraised_points")
    }
    for name, value in points.items():
        if value is not None and not 0 <= value <= leaf.max_points:
            problems.append(f"row {number}, {name}: {value:g} is outside 0–{leaf.max_points:g}")
    status_text = str(row["status"] or "draft").strip()
    if status_text not in {s.value for s in AppraisalStatus}:
        problems.append(
            f"row {number}, status: {status_text!r} is not draft, submitted, appraised or final"
        )
    for name in ("evidence", "reviewer_comment"):
        if len(str(row[name] or "")) > 4000:
            problems.append(f"row {number}, {name}: longer than 4000 characters")
    if len(problems) > before:
        return None
    clear = tuple(
        name
        for name in ("self_points", "appraised_points", "evidence", "links", "reviewer_comment")
        if row[name] in (None, "")
    )
    update = par_service.AppraisalUpdate(
        self_points=points["self_points"],
        evidence=str(row["evidence"]) if row["evidence"] not in (None, "") else None,
        links=str(row["links"]).split() if row["links"] not in (None, "") else None,
        appraised_points=points["appraised_points"],
        reviewer_comment=(
            str(row["reviewer_comment"]) if row["reviewer_comment"] not in (None, "") else None
        ),
        status=AppraisalStatus(status_text),
        clear=clear,
    )
    return code, update
