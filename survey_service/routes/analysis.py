"""Analysis: run it, read the sub-indices (page and API), enter administrative totals."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from survey_service import charts, errors, i18n, web
from survey_service.deps import MAX_ID, CsrfChecked, CurrentUser, DbId, FormDep, SessionDep
from survey_service.models import AnalysisRunPublic, ComparisonPublic, IndexPublic, IndicesPage
from survey_service.services import analysis as analysis_service
from survey_service.services import audit, dashboards
from survey_service.services import campaigns as campaign_service

router = APIRouter(prefix="/admin", include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/campaigns/{campaign_id}/analysis")
def analysis_page(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    measure: Annotated[str, Query(pattern="^(score|top_two)$")] = "score",
    chart: Annotated[str | None, Query(pattern=r"^[a-z_]{1,20}\.[a-z0-9_]{1,60}$")] = None,
) -> Response:
    """The latest run's sub-indices: a table per audience, units × dimensions; every unit on
    one chart for the dimension ``chart`` names (``audience.dimension``; the overall index by
    default), the heat map, and the change since last year's run where there is one."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    run = analysis_service.latest_run(session=session, campaign_id=campaign_id)
    tables: list[dict[str, Any]] = []
    titles = campaign_service.dimension_titles(session=session, campaign=campaign)
    lang = web.request_language(request)
    earlier = None
    if run is not None and run.id is not None:
        results = analysis_service.run_results(session=session, run_id=run.id)
        tables = _tables(results, analysis_service.unit_names(session=session), measure, titles)
        earlier = dashboards.earlier_run(session=session, campaign=campaign, measure=measure)
        audience, _, wanted = (chart or "").partition(".")
        for table in tables:
            chosen = wanted if table["audience"] == audience else "index"
            table["dimension"] = chosen if chosen in table["dimensions"] else "index"
            table["charts"] = _charts(
                run.id, table, titles, measure, lang, earlier=earlier, year=campaign.year
            )
    return web.render(
        request,
        "admin/analysis.html",
        {
            "campaign": campaign,
            "run": run,
            "tables": tables,
            "measure": measure,
            "titles": titles,
            "earlier_year": campaign.year - 1,
            "periods": (str(earlier.year), str(campaign.year)) if earlier else None,
        },
    )


@router.post("/campaigns/{campaign_id}/analysis")
def run_analysis(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    exclusion: Annotated[str, Form(pattern="^(excluded|excluded_and_flagged|none)$")] = "excluded",
) -> Response:
    """Compute every index of the campaign now and store the run (audited)."""
    settings = analysis_service.AnalysisSettings(
        exclusion=analysis_service.ExclusionPolicy(exclusion)
    )
    run = analysis_service.run_analysis(
        session=session, campaign_id=campaign_id, actor=user.email, settings=settings
    )
    audit.record(
        session=session,
        actor=user,
        action="analysis.run",
        entity="campaign",
        entity_id=campaign_id,
        after={"run_id": run.id, "checksum": run.checksum, "settings": run.settings},
    )
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/analysis", status_code=303)


@router.get("/campaigns/{campaign_id}/totals")
def totals_page(
    request: Request, campaign_id: DbId, session: SessionDep, user: CurrentUser
) -> Response:
    """Dossiers each desk handled in the period: the targets of desk-QR post-stratification."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    desks = analysis_service.desks_of_campaign(session=session, campaign_id=campaign_id)
    units = analysis_service.unit_names(session=session)
    return web.render(
        request,
        "admin/totals.html",
        {"campaign": campaign, "desks": desks, "units": units},
    )


@router.post("/campaigns/{campaign_id}/totals")
def save_totals(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    form: FormDep,
) -> Response:
    """Save every desk's total from the form (blank clears it); each change is audited."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    wanted: dict[int, int | None] = {}
    for key, value in form.multi_items():
        if not key.startswith("desk_"):
            continue
        desk_text, text = key.removeprefix("desk_"), str(value).strip()
        if not desk_text.isdigit() or int(desk_text) > MAX_ID:
            raise errors.InvalidInput("Quầy không hợp lệ.", message_en=f"Bad desk field {key}.")
        if text and not (text.isdigit() and len(text) <= 9):
            raise errors.InvalidInput(
                f"Số hồ sơ phải là số nguyên không âm: {text[:20]!r}.",
                message_en=f"Dossiers must be a whole number of zero or more: {text[:20]!r}.",
            )
        wanted[int(desk_text)] = int(text) if text else None
    current = {
        desk.id: total
        for desk, total in analysis_service.desks_of_campaign(
            session=session, campaign_id=campaign_id
        )
    }
    for desk_id, dossiers in wanted.items():
        if desk_id not in current:
            raise errors.NotFound("Không tìm thấy quầy.", message_en=f"No desk {desk_id}.")
        if current[desk_id] == dossiers:
            continue
        before, after = analysis_service.set_total(
            session=session, campaign_id=campaign_id, desk_id=desk_id, dossiers=dossiers
        )
        audit.record(
            session=session,
            actor=user,
            action="admin_total.set",
            entity="desk",
            entity_id=desk_id,
            before={"campaign_id": campaign_id, "dossiers": before},
            after={"campaign_id": campaign_id, "dossiers": after},
        )
    return RedirectResponse(f"/admin/campaigns/{campaign_id}/totals?saved=1", status_code=303)


@api_router.get("/campaigns/{campaign_id}/indices", response_model=IndicesPage)
def indices(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    run_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    audience: Annotated[str | None, Query(max_length=16)] = None,
    items: bool = False,
) -> IndicesPage:
    """The tidy table of a run's sub-indices (the latest run unless ``run_id`` is given).

    One row per unit × audience × dimension × measure (``score`` 0–100, ``top_two`` %), plus
    per item with ``items=true``; suppressed cells (officials below the minimum) have no numbers.
    """
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    run = analysis_service.get_run(session=session, campaign_id=campaign_id, run_id=run_id)
    units = analysis_service.unit_names(session=session)
    rows = [
        IndexPublic(**analysis_service.tidy(r, units))
        for r in analysis_service.run_results(session=session, run_id=run.id or 0)
        if (items or r.item is None) and (audience is None or r.audience == audience)
    ]
    return IndicesPage(
        data=rows,
        count=len(rows),
        run=AnalysisRunPublic.model_validate(run, from_attributes=True),
    )


@api_router.get("/campaigns/{campaign_id}/compare", response_model=ComparisonPublic)
def compare(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    audience: Annotated[str, Query(max_length=16)],
    dimension: Annotated[str, Query(max_length=64)],
    unit: Annotated[int, Query(ge=1, le=MAX_ID)],
    other_unit: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    other_campaign: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> ComparisonPublic:
    """A sub-index of ``unit`` minus that of ``other_unit`` (same campaign; the design's
    covariance kept) or minus the same unit's in ``other_campaign`` (another year; independent
    samples): difference, SE, 95 % CI, df and two-sided p-value, from the latest runs."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    result = analysis_service.compare(
        session=session,
        campaign_id=campaign_id,
        audience=audience,
        dimension=dimension,
        unit_id=unit,
        other_unit_id=other_unit,
        other_campaign_id=other_campaign,
    )
    return ComparisonPublic(**result)


_CHARTS: OrderedDict[tuple[Any, ...], dict[str, charts.Chart]] = OrderedDict()
CHART_CACHE = 48  # a run's results never change, so its charts are drawn once per language


def _charts(
    run_id: int,
    table: dict[str, Any],
    titles: dict[str, dict[str, Any]],
    measure: str,
    lang: str,
    *,
    earlier: dashboards.EarlierRun | None,
    year: int,
) -> dict[str, charts.Chart]:
    """Every unit on one chart for the table's dimension with its CI, and the change since last
    year for that dimension (when last year's run has it)."""
    dimension = table["dimension"]
    key = (run_id, table["audience"], measure, dimension, earlier.run_id if earlier else 0, lang)
    if key in _CHARTS:
        _CHARTS.move_to_end(key)
        return _CHARTS[key]
    units, dimensions = _names(table, titles, lang)
    where = table["dimensions"].index(dimension)
    intervals = []
    changes = []
    for name, row in zip(units, table["rows"], strict=True):
        cell = row["cells"][where]
        shown = cell is not None and cell.estimate is not None
        intervals.append(
            (
                name,
                cell.estimate if shown else None,
                cell.ci_low if shown else None,
                cell.ci_high if shown else None,
            )
        )
        before = (
            earlier.cells.get((table["audience"], row["unit_id"], dimension)) if earlier else None
        )
        changes.append((name, before, cell.estimate if shown else None))
    audience = i18n.translate(f"audience.{table['audience']}", lang)
    axis = i18n.translate(f"analysis.measure.{measure}", lang)
    drawn = {
        "index": charts.interval_chart(
            intervals,
            title=f"{audience}: {dimensions[where]}",
            axis_label=axis,
            lang=lang,
        ),
    }
    if earlier is not None and any(b is not None and a is not None for _, b, a in changes):
        drawn["change"] = charts.change_chart(
            changes,
            title=i18n.translate(
                "analysis.change_title",
                lang,
                audience=audience,
                dimension=dimensions[where],
                before=earlier.year,
                after=year,
            ),
            axis_label=axis,
            lang=lang,
            periods=(str(earlier.year), str(year)),
        )
    _CHARTS[key] = drawn
    while len(_CHARTS) > CHART_CACHE:
        _CHARTS.popitem(last=False)
    return drawn


def _names(
    table: dict[str, Any], titles: dict[str, dict[str, Any]], lang: str
) -> tuple[list[str], list[str]]:
    """The table's unit names and dimension titles in ``lang``."""
    names = titles.get(table["audience"], {})
    units = [
        str(r["unit"].name_vi if lang == "vi" else r["unit"].name_en)
        if r["unit"]
        else str(r["unit_id"])
        for r in table["rows"]
    ]
    dimensions = [
        i18n.translate("analysis.index", lang)
        if d == "index"
        else str(names[d].get(lang))
        if d in names
        else d
        for d in table["dimensions"]
    ]
    return units, dimensions


def _heatmap(
    run_id: int, table: dict[str, Any], titles: dict[str, dict[str, Any]], measure: str, lang: str
) -> charts.Chart:
    """The unit × dimension heat map of one audience (drawn once per run and language)."""
    key = ("heatmap", run_id, table["audience"], measure, lang)
    if key not in _CHARTS:
        units, dimensions = _names(table, titles, lang)
        audience = i18n.translate(f"audience.{table['audience']}", lang)
        axis = i18n.translate(f"analysis.measure.{measure}", lang)
        _CHARTS[key] = {
            "heatmap": charts.heatmap(
                units,
                dimensions,
                [
                    [
                        c.estimate if c is not None and c.estimate is not None else None
                        for c in row["cells"]
                    ]
                    for row in table["rows"]
                ],
                title=f"{audience}: {axis}",
                lang=lang,
            )
        }
        while len(_CHARTS) > CHART_CACHE:
            _CHARTS.popitem(last=False)
    _CHARTS.move_to_end(key)
    return _CHARTS[key]["heatmap"]


@router.get("/campaigns/{campaign_id}/analysis/heatmap")
def heatmap_page(
    request: Request,
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    audience: Annotated[str, Query(pattern="^(citizen|business|official)$")],
    measure: Annotated[str, Query(pattern="^(score|top_two)$")] = "score",
) -> Response:
    """One audience's units × dimensions as a heat map, with the same numbers in a table (its
    own page: drawing every cell takes a second, which the analysis page should not wait for)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    run = analysis_service.get_run(session=session, campaign_id=campaign_id, run_id=None)
    titles = campaign_service.dimension_titles(session=session, campaign=campaign)
    results = analysis_service.run_results(session=session, run_id=run.id or 0)
    tables = _tables(results, analysis_service.unit_names(session=session), measure, titles)
    table = next((t for t in tables if t["audience"] == audience), None)
    if table is None:
        raise errors.NotFound(
            "Lần phân tích này không có đối tượng đó.",
            message_en="This analysis run has no results for that audience.",
        )
    lang = web.request_language(request)
    units, dimensions = _names(table, titles, lang)
    return web.render(
        request,
        "admin/heatmap.html",
        {
            "campaign": campaign,
            "run": run,
            "table": table,
            "measure": measure,
            "units": units,
            "dimensions": dimensions,
            "chart": _heatmap(run.id or 0, table, titles, measure, lang),
        },
    )


def _tables(
    results: list[Any], units: dict[int, Any], measure: str, titles: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per audience: the dimensions (columns) and a row per unit with each dimension's cell."""
    by_audience: dict[str, dict[int, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    dimensions: dict[str, list[str]] = defaultdict(list)
    weighting: dict[tuple[str, int], str] = {}
    drivers: dict[str, list[Any]] = defaultdict(list)
    for row in results:
        if row.measure == "driver":
            drivers[row.audience].append(row)
            continue
        if row.item is not None or row.measure != measure or row.unit_id is None:
            continue
        by_audience[row.audience][row.unit_id][row.dimension] = row
        weighting[(row.audience, row.unit_id)] = row.weighting
        if row.dimension not in dimensions[row.audience]:
            dimensions[row.audience].append(row.dimension)
    tables = []
    for audience in sorted(by_audience):
        known = list(titles.get(audience, {}))
        listed = [d for d in dimensions[audience] if d != "index"]
        listed.sort(key=lambda d: known.index(d) if d in known else len(known))
        order = [*listed, "index"]
        unit_rows = []
        for unit_id, cells in by_audience[audience].items():
            unit = units.get(unit_id)
            unit_rows.append(
                {
                    "unit": unit,
                    "unit_id": unit_id,
                    "cells": [cells.get(d) for d in order],
                    "weighting": weighting[(audience, unit_id)],
                }
            )
        unit_rows.sort(key=lambda r: r["unit"].code if r["unit"] else str(r["unit_id"]))
        ranked = sorted(drivers[audience], key=lambda r: -(r.estimate or 0))
        tables.append(
            {"audience": audience, "dimensions": order, "rows": unit_rows, "drivers": ranked}
        )
    return tables
