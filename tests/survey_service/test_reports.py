"""Comment moderation and the printable unit report."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey_service import db, errors
from survey_service.models import AuditEntry, Response, Role
from survey_service.services import analysis as analysis_service
from survey_service.services import comments
from survey_service.services import par as par_service
from tests.factories import csrf_from, login, make_world
from tests.survey_service.test_analysis_service import (
    _add,
    _citizen,
    _official_answers,
    _official_world,
)


def _with_comment(level: int, text: str) -> dict[str, Any]:
    return {**_citizen(level), "comment": text}


def test_comments_are_hidden_until_a_coordinator_shows_them(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    _add(
        engine,
        world,
        [
            _with_comment(5, "Cán bộ rất tận tình."),
            _with_comment(1, "Anh Nguyễn Văn A ở quầy 2 gắt gỏng."),
        ],
        desk_id=world.desk_id,
    )
    version_id = _official_world(engine, world)
    _add(
        engine,
        world,
        [{**_official_answers(1), "comment": "Lãnh đạo không lắng nghe."}],
        version_id=version_id,
        channel="invitation",
        stratum="s",
        design_weight=1.0,
    )
    with Session(engine) as session:
        waiting = comments.comments(session=session, campaign_id=world.campaign_id, status=None)
        ids = [r.id for r in session.exec(select(Response).order_by(Response.id))]
    assert [c.text for c in waiting] == [
        "Anh Nguyễn Văn A ở quầy 2 gắt gỏng.",
        "Cán bộ rất tận tình.",
    ]  # officials' never listed
    with db.session_scope(engine) as session, pytest.raises(errors.InvalidInput):
        comments.moderate(
            session=session, response_id=ids[2], item_id="comment", show=True, actor="x"
        )  # an official's comment cannot be shown
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/comments?lang=en")
    assert page.status_code == 200 and "Waiting (2)" in page.text
    assert "Lãnh đạo" not in page.text
    token = csrf_from(page.text)
    for response_id, show in ((ids[0], "true"), (ids[1], "false")):
        answer = client.post(
            f"/admin/comments/{response_id}/comment",
            data={"csrf_token": token, "show": show},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    with Session(engine) as session:
        shown = comments.comments(session=session, campaign_id=world.campaign_id, status="shown")
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "comment.moderate"))
        audited = sorted((e.entity_id, e.after["status"]) for e in entries if e.after)
    assert [c.text for c in shown] == ["Cán bộ rất tận tình."]
    assert audited == [(f"{ids[0]}/comment", "shown"), (f"{ids[1]}/comment", "hidden")]
    report = client.get(f"/admin/campaigns/{world.campaign_id}/units/{world.unit_id}/report")
    assert "Cán bộ rất tận tình." in report.text and "Nguyễn Văn A" not in report.text


def test_unit_report_shows_index_areas_items_and_group(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 3, 4, 5)], desk_id=world.desk_id)
    with db.session_scope(engine) as session:
        analysis_service.run_analysis(
            session=session,
            campaign_id=world.campaign_id,
            actor="t",
            settings=analysis_service.AnalysisSettings(min_n=1),
        )
        computation = par_service.compute(session=session, campaign_id=world.campaign_id, actor="t")
        (row,) = computation.results
    login(client, engine, Role.OBSERVER)
    report = client.get(
        f"/admin/campaigns/{world.campaign_id}/units/{world.unit_id}/report?lang=en"
    )
    assert report.status_code == 200
    assert f"{row['index']:.2f}" in report.text and "Mean index of the group" in report.text
    strongest = report.text.split('class="strongest"')[1].split("</ol>")[0]
    weakest = report.text.split('class="weakest"')[1].split("</ol>")[0]
    assert strongest.count("<li>") == 3 and weakest.count("<li>") == 3
    # access items: levels 5,4,4,3,4,5 → mean 79.2; every other item was answered 4 → 75.0
    assert strongest.count("<strong>79.2</strong>") == 3
    assert weakest.count("<strong>75.0</strong>") == 3
    assert "Access to services" in report.text.split('class="dimensions"')[1]
    assert client.get(f"/admin/campaigns/{world.campaign_id}/units/9999/report").status_code == 404
