"""The results dashboard (every unit on one chart per dimension, change since last year), the
public unit page's sub-index chart, and response rates against the plan on the fieldwork
dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey_service import db
from survey_service.models import (
    AnalysisResult,
    AnalysisRun,
    Campaign,
    CampaignStatus,
    Invitation,
    ParComputation,
    Role,
)
from survey_service.services import dashboards
from tests.factories import hidden_fields, login, make_world, valid_answers
from tests.survey_service.test_analysis_service import _add, _citizen, _run
from tests.survey_service.test_sample_plans import CITIZEN, _drawn


def _last_year(engine: Engine, unit_id: int, cells: dict[str, float | None]) -> int:
    """A 2025 campaign with one analysis run holding ``cells`` (dimension → estimate; None is a
    suppressed cell) for the citizens of ``unit_id``; returns the run id."""
    with db.session_scope(engine) as session:
        campaign = Campaign(year=2025, name="Khảo sát 2025", status=CampaignStatus.CLOSED)
        session.add(campaign)
        session.flush()
        run = AnalysisRun(
            campaign_id=campaign.id or 0,
            created_by="test",
            settings={},
            exclusion_policy="excluded",
            checksum="0" * 64,
        )
        session.add(run)
        session.flush()
        for dimension, estimate in cells.items():
            session.add(
                AnalysisResult(
                    run_id=run.id or 0,
                    unit_id=unit_id,
                    audience="citizen",
                    dimension=dimension,
                    measure="score",
                    estimate=estimate,
                    ci_low=None if estimate is None else estimate - 5,
                    ci_high=None if estimate is None else estimate + 5,
                    n=40,
                    suppressed=estimate is None,
                    weighting="equal",
                )
            )
        return run.id or 0


def _cell_rows(html: str) -> dict[str, list[str]]:
    """The change table's rows: unit → [before, after, difference]."""
    table = html.split('<table class="changes">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>((?:<td class="num">[^<]*</td>)+)', table)
    return {unit: re.findall(r'<td class="num">([^<]*)</td>', cells) for unit, cells in rows}


def test_earlier_run_prefers_the_published_computation_and_drops_suppressed_cells(
    engine: Engine,
) -> None:
    world = make_world(engine)
    first = _last_year(engine, world.unit_id, {"access": 50.0, "index": 60.0, "staff": None})
    second = _last_year(engine, world.unit_id, {"access": 70.0, "index": 75.0})
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        latest = dashboards.earlier_run(session=session, campaign=campaign, measure="score")
    assert latest is not None and (latest.year, latest.run_id) == (2025, second)
    assert latest.cells == {
        ("citizen", world.unit_id, "access"): 70.0,
        ("citizen", world.unit_id, "index"): 75.0,
    }
    with db.session_scope(engine) as session:
        run = session.get(AnalysisRun, first)
        assert run is not None
        session.add(
            ParComputation(
                campaign_id=run.campaign_id,
                created_by="test",
                schemes={},
                analysis_run_id=first,
                appraisal_checksum="0" * 64,
                checksum="0" * 64,
                published_at=dt.datetime(2025, 12, 20, tzinfo=dt.UTC),
                published_by="test",
            )
        )
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        published = dashboards.earlier_run(session=session, campaign=campaign, measure="score")
        top_two = dashboards.earlier_run(session=session, campaign=campaign, measure="top_two")
    assert published is not None and published.run_id == first
    assert published.cells == {
        ("citizen", world.unit_id, "access"): 50.0,
        ("citizen", world.unit_id, "index"): 60.0,
    }  # the suppressed "staff" cell never comes back as a number
    assert top_two is not None and top_two.cells == {}


def test_analysis_page_charts_the_chosen_dimension_and_the_change_since_last_year(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 3, 5, 4)], desk_id=world.desk_id)
    _, results = _run(engine, world)
    now = {
        r.dimension: r.estimate
        for r in results
        if r.item is None and r.measure == "score" and r.unit_id == world.unit_id
    }
    assert now["access"] is not None and now["index"] is not None
    _last_year(engine, world.unit_id, {"access": 50.0, "index": 60.0})
    login(client, engine, Role.OBSERVER)
    url = f"/admin/campaigns/{world.campaign_id}/analysis?lang=en"

    page = client.get(url).text
    assert (
        "Citizens and organisations: Overall index, 2025 → 2026" in page
    )  # default: the overall index
    assert _cell_rows(page)["District 1"] == [
        "60.0",
        f"{now['index']:.1f}",
        f"{now['index'] - 60.0:+.1f}",
    ]
    assert 'aria-current="true">Overall index</strong>' in page

    chosen = client.get(url + "&chart=citizen.access").text
    access_title = re.search(r'aria-current="true">([^<]+)</strong>', chosen)
    assert access_title is not None and access_title.group(1) != "Overall index"
    title = f"Citizens and organisations: {access_title.group(1)}, 2025 → 2026"
    assert title in chosen and chosen.count('role="img"') == 2  # the dimension, its change
    assert _cell_rows(chosen)["District 1"] == [
        "50.0",
        f"{now['access']:.1f}",
        f"{now['access'] - 50.0:+.1f}",
    ]
    # a dimension the audience does not have falls back to the overall index
    unknown = client.get(url + "&chart=citizen.no_such_dimension").text
    assert "Citizens and organisations: Overall index, 2025 → 2026" in unknown
    assert client.get(url + "&chart=not-a-chart").status_code == 400  # a clear error page


def test_analysis_page_without_last_year_says_so(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(4)] * 4, desk_id=world.desk_id)
    _run(engine, world)
    login(client, engine, Role.OBSERVER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/analysis?lang=en").text
    assert "No results from 2025 to compare with." in page
    assert 'class="changes"' not in page and page.count('role="img"') == 1


def test_heat_map_page_draws_every_cell_with_the_numbers_in_a_table(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 4, 3, 4)], desk_id=world.desk_id)
    _, results = _run(engine, world)
    cells = {
        r.dimension: r.estimate
        for r in results
        if r.item is None and r.measure == "score" and r.unit_id == world.unit_id
    }
    login(client, engine, Role.OBSERVER)
    base = f"/admin/campaigns/{world.campaign_id}/analysis"
    analysis = client.get(f"{base}?lang=en").text
    link = f"{base}/heatmap?audience=citizen&amp;measure=score&amp;lang=en"
    assert link in analysis
    page = client.get(f"{base}/heatmap?audience=citizen&lang=en")
    assert page.status_code == 200 and page.text.count('role="img"') == 1
    table = page.text.split('<table class="heat">', 1)[1].split("</table>", 1)[0]
    numbers = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert len(numbers) == len(cells) and f"{cells['index']:.1f}" == numbers[-1]
    assert sorted(numbers) == sorted(f"{v:.1f}" for v in cells.values() if v is not None)
    assert client.get(f"{base}/heatmap?audience=official").status_code == 404  # not in the run
    assert client.get(f"{base}/heatmap?audience=nobody").status_code == 400


def test_public_unit_page_charts_its_sub_indices_with_their_intervals(
    engine: Engine, client: TestClient
) -> None:
    from survey_service.services import par as par_service
    from tests.survey_service.test_par_service import _analysed, _compute

    world = _analysed(engine)
    _compute(engine, world)
    with db.session_scope(engine) as session:
        par_service.publish(session=session, campaign_id=world.campaign_id, actor="test")
    page = client.get("/results/2026/units/Q1?lang=en")
    assert page.status_code == 200
    charts = re.findall(r'<figure class="chart">.*?</figure>', page.text, flags=re.S)
    (citizens,) = [
        c for c in charts if "<figcaption><strong>Citizens and organisations</strong>" in c
    ]
    with Session(engine) as session:
        cells = session.exec(
            select(AnalysisResult)
            .where(AnalysisResult.unit_id == world.unit_id)
            .where(AnalysisResult.audience == "citizen")
            .where(AnalysisResult.measure == "score")
            .where(AnalysisResult.item == None)  # noqa: E711 - SQL IS NULL
        ).all()
    drawn = [c for c in cells if c.estimate is not None]
    assert len(drawn) >= 5
    assert len(re.findall(r'id="[^"]*-dot-\d+"', citizens)) == len(drawn)
    assert len(re.findall(r'id="[^"]*-ci-\d+"', citizens)) == len(drawn)
    # in the questionnaire's order, the overall index last; titles, not codes, in the table
    table = page.text.split("<h2>Satisfaction sub-indices</h2>", 1)[1]
    assert (
        "Citizens and organisations · Access to services" in table
        and "Citizens and organisations · access<" not in table
    )
    rows = re.findall(r"<td>Citizens and organisations · ([^<]+)</td>", table)
    assert rows[0] == "Access to services" and rows[-1] == "Overall index"
    assert len(rows) == len(cells)


def test_fieldwork_dashboard_shows_response_rates_against_the_plan(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    _drawn(engine, world)
    with Session(engine) as session:
        codes = [i.code for i in session.exec(select(Invitation)).all()]
    for code in codes[:3]:
        page = client.get(f"/i/{code}").text
        data = hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"}
        assert client.post(f"/i/{code}", data=data, follow_redirects=False).status_code == 303
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/dashboard?lang=en").text
    assert "Response rate by unit" in page and "dashed line" in page
    rates = page.split('<table class="rates">', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', rates)
    assert cells == ["6", "6", "3", "50 %"]  # target, issued, completed, rate
    assert re.search(r'id="[^"]*-reference"', page)  # the expected rate drawn as a line
    desks = page.split('<table class="desks">', 1)[1].split("</table>", 1)[0]
    assert "Civil status desk" in desks


@pytest.mark.parametrize("lang, word", [("vi", "Tỷ lệ trả lời"), ("en", "Response rate")])
def test_rate_chart_is_labelled_in_the_page_language(
    engine: Engine, client: TestClient, lang: str, word: str
) -> None:
    world = make_world(engine)
    _drawn(engine, world)
    login(client, engine, Role.OBSERVER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/dashboard?lang={lang}").text
    assert f"<title>{word}" in page or f"<figcaption>{word}" in page
