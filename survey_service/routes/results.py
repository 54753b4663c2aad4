"""Public results: published PAR Index rankings, unit pages, methodology and downloads.

Only published computations are shown here; their numbers are frozen. Anyone (HĐND and MTTQ
observers, the press, citizens) can verify a unit's total from its area breakdown and survey
sub-indices, and re-check a download against the published checksum.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Annotated, Any

import openpyxl
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlmodel import Session, col, select

from survey_service import charts, errors, i18n, web
from survey_service.deps import SessionDep
from survey_service.models import AnalysisResult, AnalysisRun, Campaign, ParComputation
from survey_service.services import campaigns as campaign_service
from survey_service.services import par as par_service
from survey_service.services import questionnaires as questionnaire_service

router = APIRouter(prefix="/results", include_in_schema=False)
Year = Annotated[int, Path(ge=2000, le=2100)]
DOWNLOAD_COLUMNS = (
    "group",
    "rank",
    "rank_low",
    "rank_high",
    "unit_code",
    "name_vi",
    "name_en",
    "index",
    "total",
    "maximum",
    "appraisal",
    "survey",
    "class_vi",
    "class_en",
    "change",
)


def _published(session: Session) -> list[tuple[Campaign, ParComputation]]:
    rows = session.exec(
        select(Campaign, ParComputation)
        .where(ParComputation.campaign_id == Campaign.id)
        .where(col(ParComputation.published_at).is_not(None))
        .order_by(col(Campaign.year).desc())
    ).all()
    return [(campaign, computation) for campaign, computation in rows]


def _year(session: Session, year: int) -> tuple[Campaign, ParComputation]:
    for campaign, computation in _published(session):
        if campaign.year == year:
            return campaign, computation
    raise errors.NotFound(
        f"Chưa công bố kết quả năm {year}.", message_en=f"No results are published for {year}."
    )


@router.get("")
def results_index(request: Request, session: SessionDep) -> Response:
    """The years with published results."""
    years = [campaign.year for campaign, _ in _published(session)]
    return web.render(request, "public/results_index.html", {"years": years})


@router.get("/{year}")
def results_year(request: Request, year: Year, session: SessionDep) -> Response:
    """The ranking of every unit group for the year."""
    campaign, computation = _year(session, year)
    lang = web.request_language(request)
    groups = [
        {
            "group": g,
            "rows": par_service.ranking(computation.results, g),
            "chart": _ranking_chart(computation, g, year, lang),
        }
        for g in par_service.GROUPS
        if any(r["group"] == g for r in computation.results)
    ]
    return web.render(
        request,
        "public/results_year.html",
        {"year": year, "campaign": campaign, "computation": computation, "groups": groups},
    )


@router.get("/{year}/units/{code}")
def results_unit(request: Request, year: Year, code: str, session: SessionDep) -> Response:
    """One unit: index, class, rank and rank range, areas, survey components and sub-indices."""
    campaign, computation = _year(session, year)
    row = next((r for r in computation.results if r["unit_code"] == code), None)
    if row is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit {code[:16]!r}.")
    scheme = _scheme(session, computation, row["group"])
    areas = [
        {"code": a.code, "title": a.title, "points": row["areas"][a.code][0], "max": a.max_points}
        for a in scheme.areas
        if a.code in row["areas"]
    ]
    components = [c for c in computation.components if c["unit_code"] == code]
    titles = _titles(scheme.areas)
    earned = row.get("criteria", {})
    criteria = [
        {
            "code": leaf.code,
            "area": leaf.area_code,
            "title": titles.get(leaf.code, {}),
            "source": leaf.source,
            "points": earned.get(leaf.code),
            "max": leaf.max_points,
        }
        for leaf in scheme.leaves()
    ]
    indices = session.exec(
        select(AnalysisResult)
        .where(AnalysisResult.run_id == computation.analysis_run_id)
        .where(AnalysisResult.unit_id == row["unit_id"])
        .where(col(AnalysisResult.item).is_(None))
        .where(AnalysisResult.measure == "score")
        .order_by(col(AnalysisResult.audience), col(AnalysisResult.dimension))
    ).all()
    dimension_titles = campaign_service.dimension_titles(session=session, campaign=campaign)
    lang = web.request_language(request)

    def shown_order(cell: AnalysisResult) -> tuple[str, int, str]:
        """The questionnaire's order of dimensions, the overall index last."""
        known = list(dimension_titles.get(cell.audience, {}))
        place = len(known) + (cell.dimension == "index")
        return (
            cell.audience,
            known.index(cell.dimension) if cell.dimension in known else place,
            cell.dimension,
        )

    indices = sorted(indices, key=shown_order)
    return web.render(
        request,
        "public/results_unit.html",
        {
            "year": year,
            "campaign": campaign,
            "row": row,
            "areas": areas,
            "components": components,
            "criteria": criteria,
            "indices": indices,
            "dimension_titles": dimension_titles,
            "charts": _unit_charts(computation, code, indices, dimension_titles, lang),
            "group_size": sum(1 for r in computation.results if r["group"] == row["group"]),
        },
    )


@router.get("/{year}/methodology")
def results_methodology(request: Request, year: Year, session: SessionDep) -> Response:
    """How the index is made: the criteria tree with points and sources, and the survey method."""
    campaign, computation = _year(session, year)
    schemes = [
        {"group": g, "scheme": _scheme(session, computation, g)}
        for g in par_service.GROUPS
        if g in computation.schemes
    ]
    surveys = [
        {
            "audience": audience,
            "dimensions": [
                {
                    "title": d.title,
                    "items": sum(1 for i in questionnaire.items if i.dimension == d.id),
                }
                for d in questionnaire.dimensions
            ],
        }
        for audience, questionnaire in (
            (a, questionnaire_service.parsed(v))
            for a, v in sorted(
                campaign_service.pinned_versions(session=session, campaign=campaign).items()
            )
        )
    ]
    run = session.get(AnalysisRun, computation.analysis_run_id or 0)
    rules = sorted(
        set(
            session.exec(
                select(AnalysisResult.weighting).where(
                    AnalysisResult.run_id == computation.analysis_run_id
                )
            ).all()
        )
    )
    return web.render(
        request,
        "public/results_methodology.html",
        {
            "year": year,
            "campaign": campaign,
            "computation": computation,
            "schemes": schemes,
            "surveys": surveys,
            "run": run,
            "rules": [r for r in rules if "+" not in r],
        },
    )


_CHARTS: dict[tuple[int, str, str], charts.Chart] = {}


def _ranking_chart(computation: ParComputation, group: str, year: int, lang: str) -> charts.Chart:
    """The group's indices, last year → this year where last year is known (drawn once: a
    published computation never changes)."""
    key = (computation.id or 0, group, lang)
    if key not in _CHARTS:
        rows = par_service.ranking(computation.results, group)
        name = "name_vi" if lang == "vi" else "name_en"
        title = f"{i18n.translate(f'par.group.{group}', lang)}: {i18n.translate('par.index', lang)}"
        axis = i18n.translate("par.index", lang)
        if any(r["change"] is not None for r in rows):
            _CHARTS[key] = charts.change_chart(
                [
                    (
                        r[name],
                        r["index"] - r["change"] if r["change"] is not None else None,
                        r["index"],
                    )
                    for r in rows
                ],
                title=title,
                axis_label=axis,
                lang=lang,
                periods=(str(year - 1), str(year)),
            )
        else:
            _CHARTS[key] = charts.interval_chart(
                [(r[name], r["index"], r["index"], r["index"]) for r in rows],
                title=title,
                axis_label=axis,
                lang=lang,
            )
    return _CHARTS[key]


def _unit_charts(
    computation: ParComputation,
    code: str,
    indices: Sequence[AnalysisResult],
    titles: dict[str, dict[str, Any]],
    lang: str,
) -> list[charts.Chart]:
    """Per audience, the unit's sub-indices by dimension with their CIs, in the questionnaire's
    order with the overall index last (drawn once per unit and language: published numbers
    never change). Suppressed sub-indices are listed as hidden, never drawn."""
    key = (computation.id or 0, code, lang)
    if key in _UNIT_CHARTS:
        return _UNIT_CHARTS[key]
    by_audience: dict[str, dict[str, AnalysisResult]] = {}
    for row in indices:
        by_audience.setdefault(row.audience, {})[row.dimension] = row
    drawn = []
    for audience, cells in sorted(by_audience.items()):
        names = titles.get(audience, {})
        order = [d for d in names if d in cells] + sorted(
            d for d in cells if d not in names and d != "index"
        )
        if "index" in cells:
            order.append("index")
        rows = []
        for dimension in order:
            cell = cells[dimension]
            label = (
                i18n.translate("analysis.index", lang)
                if dimension == "index"
                else str(names[dimension].get(lang))
                if dimension in names
                else dimension
            )
            rows.append((label, cell.estimate, cell.ci_low, cell.ci_high))
        drawn.append(
            charts.interval_chart(
                rows,
                title=i18n.translate(f"audience.{audience}", lang),
                axis_label=i18n.translate("analysis.measure.score", lang),
                lang=lang,
                sort=False,
            )
        )
    if len(_UNIT_CHARTS) >= UNIT_CHART_CACHE:
        _UNIT_CHARTS.pop(next(iter(_UNIT_CHARTS)))
    _UNIT_CHARTS[key] = drawn
    return drawn


_UNIT_CHARTS: dict[tuple[int, str, str], list[charts.Chart]] = {}
UNIT_CHART_CACHE = 400  # units × languages × published years worth keeping drawn


def _titles(nodes: Any) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for node in nodes:
        out[node.code] = dict(node.title)
        out.update(_titles(node.children))
    return out


def _scheme(session: Session, computation: ParComputation, group: str) -> Any:
    stored = par_service.scheme_row(session=session, content_hash=computation.schemes[group])
    return par_service.parsed(stored)


def _rows(computation: ParComputation) -> list[list[Any]]:
    out = []
    for group in par_service.GROUPS:
        for r in par_service.ranking(computation.results, group):
            label = r["class"] or {}
            out.append(
                [
                    group,
                    r["rank"],
                    r["rank_low"],
                    r["rank_high"],
                    r["unit_code"],
                    r["name_vi"],
                    r["name_en"],
                    round(r["index"], 4),
                    round(r["total"], 4),
                    r["maximum"],
                    round(r["appraisal"], 4),
                    round(r["survey"], 4),
                    label.get("vi", ""),
                    label.get("en", ""),
                    None if r["change"] is None else round(r["change"], 4),
                ]
            )
    return out


@router.get("/{year}/download.{kind}")
def results_download(
    year: Year, kind: Annotated[str, Path(pattern="^(csv|xlsx|json)$")], session: SessionDep
) -> Response:
    """The year's results as CSV (UTF-8 with BOM, for Excel), XLSX or JSON (with checksums)."""
    campaign, computation = _year(session, year)
    name = f"par-index-{year}.{kind}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "json":
        payload = {
            "year": year,
            "campaign": campaign.name,
            "published_at": computation.published_at.isoformat()
            if computation.published_at
            else None,
            "checksum": computation.checksum,
            "schemes": computation.schemes,
            "results": computation.results,
            "components": computation.components,
        }
        body = json.dumps(payload, ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json", headers=disposition)
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(DOWNLOAD_COLUMNS)
        writer.writerows(_rows(computation))
        return Response(
            "\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=disposition
        )
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"PAR {year}"
    sheet.append(list(DOWNLOAD_COLUMNS))
    for values in _rows(computation):
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )
