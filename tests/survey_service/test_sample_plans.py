"""Sample plans: preview, a reproducible draw, invitations, reserves and the fieldwork monitor."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service import db, errors
from survey_service.models import (
    Frame,
    FrameRow,
    Invitation,
    SamplePlan,
    SampleUnit,
    UnitGroup,
)
from survey_service.services import fieldwork
from survey_service.services import sample_plans as plan_service
from tests.factories import hidden_fields, make_link, make_unit, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")


def _frame(engine: Engine, world, sizes: dict[tuple[int, str], int]) -> int:
    """A citizen frame with sizes[(unit_id, field)] rows in each cell."""
    with db.session_scope(engine) as session:
        frame = Frame(campaign_id=world.campaign_id, audience="citizen", name="hồ sơ 2026")
        session.add(frame)
        session.flush()
        n = 0
        for (unit_id, field), count in sizes.items():
            for _ in range(count):
                n += 1
                session.add(
                    FrameRow(
                        frame_id=frame.id,
                        external_id=f"HS{n:06d}",
                        unit_id=unit_id,
                        attributes={"field": field},
                    )
                )
        frame.row_count = n
        assert frame.id is not None
        return frame.id


def _plan(engine: Engine, world, frame_id: int, **kwargs) -> int:
    values = {
        "name": "mẫu",
        "strata_vars": ["field"],
        "allocation": "proportional",
        "seed": 20261126,
    } | kwargs
    with db.session_scope(engine) as session:
        plan = plan_service.create_plan(
            session=session,
            plan=SamplePlan(campaign_id=world.campaign_id, frame_id=frame_id, **values),
        )
        assert plan.id is not None
        return plan.id


def test_preview_sizes_follow_the_allocation(engine: Engine) -> None:
    world = make_world(engine)
    other = make_unit(engine, "Q3", UnitGroup.DISTRICT)
    frame = _frame(
        engine,
        world,
        {(world.unit_id, "land"): 600, (world.unit_id, "civil"): 300, (other, "land"): 100},
    )
    plan_id = _plan(engine, world, frame, total_n=100, response_rate=0.5, reserve_share=0.2)
    with Session(engine) as session:
        rows = plan_service.preview(
            session=session, plan=plan_service.get_plan(session=session, plan_id=plan_id)
        )
    got = {r.stratum: (r.population, r.sample, r.reserve) for r in rows}
    assert got == {
        "Q1 | civil": (300, 30, 6),
        "Q1 | land": (600, 60, 12),
        "Q3 | land": (100, 10, 2),
    }
    # 25 answers expected from 50 of 100: ±1.96·√(.25/25)·√(75/99) = 0.1706
    q3 = next(r for r in rows if r.stratum == "Q3 | land")
    assert q3.expected_moe == pytest.approx(
        1.959964 * math.sqrt(0.25 / 5) * math.sqrt(95 / 99), rel=1e-4
    )


def test_a_margin_of_error_plan_makes_every_unit_reportable(engine: Engine) -> None:
    world = make_world(engine)
    other = make_unit(engine, "Q3", UnitGroup.DISTRICT)
    frame = _frame(engine, world, {(world.unit_id, "land"): 1000, (other, "land"): 1000})
    plan_id = _plan(engine, world, frame, moe=0.05)
    with Session(engine) as session:
        plan = plan_service.get_plan(session=session, plan_id=plan_id)
        rows = plan_service.preview(session=session, plan=plan)
    # Cochran with the fpc: N = 1,000, e = .05, 95 % → 278 in each unit, not a city-wide n
    assert [(r.stratum, r.sample) for r in rows] == [("Q1 | land", 278), ("Q3 | land", 278)]


def test_the_draw_is_reproducible_and_invites_the_main_sample(engine: Engine) -> None:
    world = make_world(engine)
    frame = _frame(engine, world, {(world.unit_id, "land"): 200, (world.unit_id, "civil"): 50})
    picks = []
    for _ in range(2):
        plan_id = _plan(engine, world, frame, total_n=50, reserve_share=0.5)
        with db.session_scope(engine) as session:
            plan = plan_service.get_plan(session=session, plan_id=plan_id)
            drawn = plan_service.draw(session=session, plan=plan, audience="citizen")
        assert drawn == 75
        with Session(engine) as session:
            units = session.exec(
                select(SampleUnit)
                .where(SampleUnit.plan_id == plan_id)
                .order_by(SampleUnit.frame_row_id)
            ).all()
            picks.append([(u.frame_row_id, u.replicate) for u in units])
            land = [u for u in units if u.stratum == "Q1 | land" and u.released]
            assert len(land) == 40 and land[0].design_weight == pytest.approx(200 / 40)
            invited = session.exec(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.sample_unit_id.in_([u.id for u in units]))
            ).one()
            assert invited == 50
    assert picks[0] == picks[1]


def test_a_plan_is_drawn_once(engine: Engine) -> None:
    world = make_world(engine)
    frame = _frame(engine, world, {(world.unit_id, "land"): 20})
    plan_id = _plan(engine, world, frame, total_n=5)
    with db.session_scope(engine) as session:
        plan = plan_service.get_plan(session=session, plan_id=plan_id)
        plan_service.draw(session=session, plan=plan, audience="citizen")
        with pytest.raises(errors.Conflict):
            plan_service.draw(session=session, plan=plan, audience="citizen")


def test_releasing_a_reserve_invites_it_and_reweights(engine: Engine) -> None:
    world = make_world(engine)
    frame = _frame(engine, world, {(world.unit_id, "land"): 100})
    plan_id = _plan(engine, world, frame, total_n=10, reserve_share=0.5)
    with db.session_scope(engine) as session:
        plan = plan_service.get_plan(session=session, plan_id=plan_id)
        plan_service.draw(session=session, plan=plan, audience="citizen")
        released = plan_service.release_reserve(
            session=session, plan=plan, stratum="Q1 | land", audience="citizen"
        )
    assert released == 5
    with Session(engine) as session:
        units = session.exec(select(SampleUnit)).all()
        assert all(u.released for u in units) and len(units) == 15
        assert {round(u.design_weight, 6) for u in units} == {round(100 / 15, 6)}
        assert session.exec(select(func.count()).select_from(Invitation)).one() == 15


def test_the_monitor_counts_invitations_answers_and_desk_responses(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    make_link(engine, world.campaign_id, "business")  # pins every audience
    frame = _frame(engine, world, {(world.unit_id, "land"): 40})
    plan_id = _plan(engine, world, frame, total_n=8)
    with db.session_scope(engine) as session:
        plan = plan_service.get_plan(session=session, plan_id=plan_id)
        plan_service.draw(session=session, plan=plan, audience="citizen")
    with Session(engine) as session:
        codes = [i.code for i in session.exec(select(Invitation).order_by(Invitation.id))]
    for code in codes[:3]:
        page = client.get(f"/i/{code}").text
        data = hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"}
        assert client.post(f"/i/{code}", data=data, follow_redirects=False).status_code == 303
    desk_page = client.get(f"/s/{world.code}").text
    client.post(f"/s/{world.code}", data=hidden_fields(desk_page) | valid_answers(CITIZEN))
    with Session(engine) as session:
        [stratum] = fieldwork.by_stratum(session=session, plan_id=plan_id)
        [unit] = fieldwork.by_unit(session=session, plan_id=plan_id, campaign_id=world.campaign_id)
    assert (stratum.population, stratum.sample, stratum.issued, stratum.completed) == (40, 8, 8, 3)
    assert stratum.response_rate == pytest.approx(3 / 8)
    assert stratum.projected_moe == pytest.approx(
        1.959964 * math.sqrt(0.25 / 3) * math.sqrt(37 / 39), rel=1e-4
    )
    assert (unit.name, unit.completed, unit.desk_responses) == ("Q1", 3, 1)


def _drawn(engine: Engine, world, with_contacts: bool = True) -> int:
    from survey_service.models import FrameContact

    frame = _frame(engine, world, {(world.unit_id, "land"): 30})
    if with_contacts:
        with db.session_scope(engine) as session:
            for row in session.exec(select(FrameRow)).all():
                session.add(FrameContact(frame_row_id=row.id, contact={"phone": f"09{row.id:08d}"}))
    plan_id = _plan(engine, world, frame, total_n=6, reserve_share=0.5)
    with db.session_scope(engine) as session:
        plan_service.draw(
            session=session,
            plan=plan_service.get_plan(session=session, plan_id=plan_id),
            audience="citizen",
        )
    return plan_id


def test_the_fieldwork_page_and_reserve_release(client: TestClient, engine: Engine) -> None:
    from survey_service.models import Role
    from tests.factories import csrf_from, login

    world = make_world(engine)
    plan_id = _drawn(engine, world)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/fieldwork")
    assert page.status_code == 200 and "Q1 | land" in page.text
    assert '<td class="num">30</td><td class="num">6</td><td class="num">6</td>' in page.text
    client.post(
        f"/admin/plans/{plan_id}/release",
        data={"csrf_token": csrf_from(page.text), "stratum": "Q1 | land"},
    )
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Invitation)).one() == 9


def test_the_mail_merge_file_has_codes_links_and_contacts_and_is_audited(
    client: TestClient, engine: Engine
) -> None:
    import csv
    import io

    from survey_service.models import AuditEntry, Role
    from tests.factories import login

    world = make_world(engine)
    plan_id = _drawn(engine, world)
    login(client, engine, Role.COORDINATOR)
    exported = client.get(f"/admin/plans/{plan_id}/invitations.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 6
    assert rows[0]["url"] == f"http://testserver/i/{rows[0]['code']}"
    assert rows[0]["phone"].startswith("09") and rows[0]["unit_code"] == "Q1"
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry))]
    assert actions == ["plan.export_invitations"]
    letters = client.get(f"/admin/plans/{plan_id}/letters")
    assert letters.text.count('class="letter"') == 6
    assert rows[0]["code"] in letters.text
    svg = client.get("/admin/invitations/1/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
