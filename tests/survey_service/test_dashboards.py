"""Fieldwork at a glance: counts per day, unit and audience, desk activity, flags."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey_service import db
from survey_service.models import Campaign, Response, Role, Unit
from survey_service.services import dashboards
from survey_service.services import desks as desk_service
from tests.factories import login, make_world
from tests.survey_service.test_analysis_service import (
    _add,
    _citizen,
    _official_answers,
    _official_world,
)

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_fieldwork_summary_counts_days_units_desks_and_flags(engine: Engine) -> None:
    world = make_world(engine)
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        quiet = desk_service.create_desk(session=session, unit=unit, name_vi="B", name_en="B")
        quiet_id = quiet.id
    _add(engine, world, [_citizen(4)] * 3, desk_id=world.desk_id)
    _add(engine, world, [_citizen(2)], desk_id=world.desk_id, flags=["too_fast"])
    _add(engine, world, [_citizen(2)], desk_id=world.desk_id, excluded=True)
    with db.session_scope(engine) as session:
        rows = session.exec(select(Response).order_by(Response.id)).all()
        for row, days_ago in zip(rows, (0, 0, 1, 1, 6), strict=True):
            row.submitted_at = NOW - dt.timedelta(days=days_ago, hours=1)
            session.add(row)
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        summary = dashboards.fieldwork_summary(session=session, campaign=campaign, now=NOW)
    assert (summary.total, summary.flagged, summary.excluded) == (5, 1, 1)
    assert summary.days == [
        (dt.date(2026, 11, 20), 1),
        (dt.date(2026, 11, 25), 2),
        (dt.date(2026, 11, 26), 2),
    ]
    (unit_row,) = [u for u in summary.units if u.unit_id == world.unit_id]
    assert unit_row.by_audience == {"citizen": 5} and unit_row.total == 5
    desks = {d.desk_id: d for d in summary.desks}
    assert desks[world.desk_id].responses == 5 and not desks[world.desk_id].quiet
    assert desks[quiet_id].responses == 0 and desks[quiet_id].quiet
    assert [d.desk_id for d in summary.quiet_desks] == [quiet_id]
    assert summary.audiences == ["citizen"]


def test_item_distribution_counts_options_and_hides_small_official_cells(engine: Engine) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 5, 4, 1)], desk_id=world.desk_id)
    _add(engine, world, [_citizen(3)], desk_id=world.desk_id, excluded=True)
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        shown = dashboards.item_distribution(
            session=session,
            campaign=campaign,
            audience="citizen",
            item_id="access_information",
            lang="en",
        )
    assert shown.labels[:5] == [
        "Very dissatisfied",
        "Dissatisfied",
        "Neutral",
        "Satisfied",
        "Very satisfied",
    ]
    assert shown.counts[:5] == [1, 0, 0, 1, 2] and shown.total == 4 and not shown.suppressed
    version_id = _official_world(engine, world)
    _add(
        engine,
        world,
        [_official_answers(s) for s in range(3)],
        version_id=version_id,
        channel="invitation",
        stratum="s",
        design_weight=1.0,
    )
    official_item = next(
        i.id
        for i in __import__("questionnaires").builtin_definition("official").items
        if i.dimension
    )
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        hidden = dashboards.item_distribution(
            session=session,
            campaign=campaign,
            audience="official",
            item_id=official_item,
            lang="vi",
        )
    assert hidden.suppressed and hidden.total == 0


def test_dashboard_page_for_observers_and_up(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(4)] * 2, desk_id=world.desk_id)
    url = f"/admin/campaigns/{world.campaign_id}/dashboard?lang=en"
    assert client.get(url, follow_redirects=False).status_code in (303, 401)
    login(client, engine, Role.OBSERVER)
    page = client.get(url)
    assert page.status_code == 200
    assert "Fieldwork dashboard" in page.text and "<strong>2</strong> answers" in page.text
    assert "District 1" in page.text and "Every desk has recent answers." in page.text


def test_answer_distribution_page_with_chart_and_table(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 5, 4, 1)], desk_id=world.desk_id)
    login(client, engine, Role.OBSERVER)
    url = f"/admin/campaigns/{world.campaign_id}/answers"
    page = client.get(url, params={"item": "access_information", "lang": "en"})
    assert page.status_code == 200
    assert 'role="img"' in page.text and "<title" in page.text
    table = page.text.split('class="distribution"')[1]
    assert "Very satisfied" in table and ">50.0<" in table and ">25.0<" in table
    by_unit = client.get(url, params={"item": "access_information", "unit": world.unit_id})
    assert by_unit.status_code == 200 and "n = 4" in by_unit.text
    assert client.get(url, params={"item": "nope"}).status_code == 404
    assert client.get(url, params={"audience": "official"}).status_code == 404
