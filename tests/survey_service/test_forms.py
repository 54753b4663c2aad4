"""Paged forms, the unit picker, skip logic on the server, drafts that resume, form links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import db
from survey_service.models import CampaignStatus, Draft, QuestionnaireVersion, Response, UnitGroup
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service
from tests.factories import (
    hidden_fields,
    make_link,
    make_unit,
    make_world,
    page_answers,
    valid_answers,
    walk_pages,
)

BUSINESS = qn.builtin_definition("business")
OFFICIAL = qn.builtin_definition("official")
CITIZEN = qn.builtin_definition("citizen")


def _progress(html: str) -> tuple[int, int]:
    match = re.search(r"Trang (\d+)/(\d+)", html)
    assert match, "no progress indicator"
    return int(match.group(1)), int(match.group(2))


def _pick(client: TestClient, path: str, unit_id: int) -> str:
    picker = client.get(path)
    fields = hidden_fields(picker.text) | {"action": "unit", "unit_id": str(unit_id)}
    page = client.post(path, data=fields)
    assert page.status_code == 200
    return page.text


def _stored(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response).order_by(Response.id)))


def test_link_without_unit_starts_with_a_unit_picker(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official")
    page = client.get(f"/f/{code}")
    assert page.status_code == 200
    assert '<select name="unit_id" id="unit_id"' in page.text
    assert '<optgroup label="Quận, huyện">' in page.text and ">Quận 1</option>" in page.text


def test_unit_picker_refuses_an_unknown_unit(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official")
    picker = client.get(f"/f/{code}")
    fields = hidden_fields(picker.text) | {"action": "unit", "unit_id": "9999"}
    response = client.post(f"/f/{code}", data=fields)
    assert response.status_code == 422
    assert "Vui lòng chọn một đơn vị trong danh sách." in response.text


def test_official_form_end_to_end_stores_the_picked_unit(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    other = make_unit(engine, "SNV", UnitGroup.DEPARTMENT, "Sở Nội vụ")
    code = make_link(engine, world.campaign_id, "official")
    first = _pick(client, f"/f/{code}", other)
    assert _progress(first) == (1, len(OFFICIAL.sections))
    walk_pages(client, f"/f/{code}", OFFICIAL, first)
    [stored] = _stored(engine)
    assert stored.unit_id == other and stored.desk_id is None and stored.channel == "open_link"
    required = {i.id for i in OFFICIAL.items if i.required}
    assert required <= set(stored.answers)
    assert qn.item_score(OFFICIAL, OFFICIAL.item("leadership_direction"), "a") == 100.0


@pytest.mark.parametrize(
    ("group", "has_land"), [(UnitGroup.DISTRICT, True), (UnitGroup.DEPARTMENT, False)]
)
def test_business_land_section_only_for_districts(
    client: TestClient, engine: Engine, group: UnitGroup, has_land: bool
) -> None:
    world = make_world(engine)
    unit = make_unit(engine, "U1", group)
    code = make_link(engine, world.campaign_id, "business", unit_id=unit)
    first = client.get(f"/f/{code}").text
    expected_pages = len(BUSINESS.sections) - (0 if has_land else 1)
    assert _progress(first) == (1, expected_pages)
    pages = walk_pages(client, f"/f/{code}", BUSINESS, first)
    assert any('id="s-land_access"' in p for p in pages) is has_land
    [stored] = _stored(engine)
    land = {i.id for i in BUSINESS.items if BUSINESS.section_of(i.id).id == "land_access"}
    assert bool(land & set(stored.answers)) is has_land


def test_next_with_a_missing_answer_stays_on_the_page(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official", unit_id=world.unit_id)
    first = client.get(f"/f/{code}").text
    response = client.post(f"/f/{code}", data=hidden_fields(first) | {"action": "next"})
    assert response.status_code == 422
    assert 'id="err-respondent_role"' in response.text
    assert _progress(response.text) == (1, len(OFFICIAL.sections))
    assert _stored(engine) == []


def test_back_keeps_answers_without_checking_them(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official", unit_id=world.unit_id)
    first = client.get(f"/f/{code}").text
    role = {"q_respondent_role": OFFICIAL.choices(OFFICIAL.item("respondent_role"))[1].value}
    second = client.post(f"/f/{code}", data=hidden_fields(first) | role | {"action": "next"})
    assert _progress(second.text)[0] == 2
    back = client.post(f"/f/{code}", data=hidden_fields(second.text) | {"action": "back"})
    assert back.status_code == 200 and _progress(back.text)[0] == 1
    assert f'value="{role["q_respondent_role"]}" checked' in back.text


def test_an_unfinished_form_resumes_from_its_draft(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official", unit_id=world.unit_id)
    first = client.get(f"/f/{code}").text
    role = {"q_respondent_role": "staff"} if "staff" in first else page_answers(OFFICIAL, first)
    client.post(f"/f/{code}", data=hidden_fields(first) | role | {"action": "next"})
    resumed = client.get(f"/f/{code}")  # the tab was closed; the phone keeps its cookie
    assert _progress(resumed.text)[0] == 2
    with Session(engine) as session:
        draft = session.exec(select(Draft)).one()
        assert draft.answers == {k.removeprefix("q_"): v for k, v in role.items()}
        draft.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.add(draft)
        session.commit()
    assert _progress(client.get(f"/f/{code}").text)[0] == 1  # after 24 hours it starts afresh


def test_autosave_keeps_a_draft_and_answers_204(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}").text
    fields = hidden_fields(page) | {"action": "save", "q_access_signage": "2"}
    response = client.post(f"/s/{world.code}", data=fields)
    assert response.status_code == 204
    assert "survey_draft=" in response.headers["set-cookie"]
    assert f"Path=/s/{world.code}" in response.headers["set-cookie"]
    again = client.get(f"/s/{world.code}").text
    assert re.search(r'name="q_access_signage" value="2" checked', again)


def test_submission_discards_the_draft(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}").text
    client.post(f"/s/{world.code}", data=hidden_fields(page) | {"action": "save"})
    fields = hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"}
    assert client.post(f"/s/{world.code}", data=fields, follow_redirects=False).status_code == 303
    with Session(engine) as session:
        assert session.exec(select(Draft)).all() == []
    assert len(_stored(engine)) == 1


def test_answers_to_questions_skipped_by_logic_are_dropped(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}").text
    fields = (
        hidden_fields(page)
        | valid_answers(CITIZEN)
        | {"q_feedback_given": "no", "q_feedback_easy": "5", "action": "submit"}
    )
    assert client.post(f"/s/{world.code}", data=fields, follow_redirects=False).status_code == 303
    [stored] = _stored(engine)
    assert stored.answers["feedback_given"] == "no" and "feedback_easy" not in stored.answers


def test_questions_asked_by_logic_become_required(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}").text
    fields = hidden_fields(page) | valid_answers(CITIZEN) | {"q_feedback_given": "yes"}
    fields = {
        k: v for k, v in fields.items() if not k.startswith("q_feedback_") or k.endswith("given")
    }
    response = client.post(f"/s/{world.code}", data=fields, follow_redirects=False)
    assert response.status_code == 422
    assert 'id="err-feedback_easy"' in response.text
    assert _stored(engine) == []


def test_revoked_link_is_404_and_closed_campaign_410(client: TestClient, engine: Engine) -> None:
    from survey_service.services import form_links as link_service

    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "business", unit_id=world.unit_id)
    with db.session_scope(engine) as session:
        link = link_service.find_live(session=session, code=code)
        link_service.revoke(session=session, link_id=link.id)
    assert client.get(f"/f/{code}").status_code == 404
    closed = make_world(engine, status=CampaignStatus.CLOSED, unit_code="Q3")
    code = make_link(engine, closed.campaign_id, "business", unit_id=closed.unit_id)
    assert client.get(f"/f/{code}").status_code == 410


def test_a_changed_questionnaire_is_a_new_version_and_old_answers_keep_theirs(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}").text
    fields = hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"}
    client.post(f"/s/{world.code}", data=fields)
    data = CITIZEN.model_dump(mode="json", exclude_none=True)
    data["sections"][0]["items"][0]["text"]["vi"] += " (sửa đổi)"
    changed = qn.parse_definition(data)
    with db.session_scope(engine) as session:
        new = questionnaire_service.ensure_version(session=session, questionnaire=changed)
        campaign = campaign_service.get_campaign(session=session, campaign_id=world.campaign_id)
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=new)
        new_id = new.id
    assert new_id != world.version_id
    page = client.get(f"/s/{world.code}").text
    assert "(sửa đổi)" in page
    client.post(f"/s/{world.code}", data=hidden_fields(page) | valid_answers(CITIZEN))
    first, second = _stored(engine)
    assert (first.questionnaire_version_id, second.questionnaire_version_id) == (
        world.version_id,
        new_id,
    )
    with pytest.raises(ValueError, match="cannot be changed in place"), Session(engine) as s:
        version = s.get(QuestionnaireVersion, world.version_id)
        version.definition = {**version.definition, "id": "edited"}
        s.add(version)
        s.commit()
