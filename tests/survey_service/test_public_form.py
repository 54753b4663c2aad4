"""The desk QR form: rendering, submitting once, clear refusals that store nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service import db
from survey_service.models import CampaignStatus, Response
from survey_service.services import desks as desk_service
from tests.factories import make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def _post(client: TestClient, code: str, fields: dict[str, object], sid: str = "s" * 20):
    return client.post(f"/s/{code}", data={**fields, "submission_id": sid}, follow_redirects=False)


def test_form_shows_every_item_in_vietnamese(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}")
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert CITIZEN.title.vi in page.text
    for item in CITIZEN.items:
        assert f'id="q-{item.id}"' in page.text
    assert "Rất hài lòng" in page.text and 'name="submission_id"' in page.text


def test_form_in_english_on_request(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = client.get(f"/s/{world.code}?lang=en")
    assert '<html lang="en">' in page.text
    assert str(escape(CITIZEN.title.en)) in page.text and "Very satisfied" in page.text


def test_code_is_read_case_insensitively(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    assert client.get(f"/s/{world.code.lower()}").status_code == 200


def test_valid_submission_is_stored_against_campaign_unit_and_desk(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    fields = valid_answers(CITIZEN)
    fields["q_comment"] = "  Cán bộ nhiệt tình.  "
    fields["q_priorities"] = ["simplify_procedures", "online_services"]
    response = _post(client, world.code, {**fields, "lang": "en"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/s/{world.code}/thanks?lang=en"
    with Session(engine) as session:
        stored = session.exec(select(Response)).one()
    assert (stored.campaign_id, stored.unit_id, stored.desk_id) == (
        world.campaign_id,
        world.unit_id,
        world.desk_id,
    )
    assert stored.channel == "desk_qr" and stored.language == "en"
    assert stored.questionnaire_version_id == world.version_id
    assert stored.answers["overall_satisfaction"] == 4
    assert stored.answers["trips"] == 1
    assert stored.answers["comment"] == "Cán bộ nhiệt tình."
    assert stored.answers["priorities"] == ["simplify_procedures", "online_services"]
    assert "age_band" not in stored.answers
    thanks = client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text


def test_double_submit_stores_one_response(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    fields = valid_answers(CITIZEN)
    first = _post(client, world.code, fields, sid="double-tap-000000001")
    second = _post(client, world.code, fields, sid="double-tap-000000001")
    assert first.status_code == second.status_code == 303
    assert _count(engine) == 1
    _post(client, world.code, fields, sid="another-person-000001")
    assert _count(engine) == 2


def test_missing_required_answer_shows_message_at_the_item(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    fields = valid_answers(CITIZEN)
    del fields["q_overall_satisfaction"]
    response = _post(client, world.code, fields)
    assert response.status_code == 422
    assert 'id="err-overall_satisfaction"' in response.text
    assert "Vui lòng trả lời câu hỏi này." in response.text
    assert 'id="error-summary"' in response.text
    # the answers already given are kept in the form
    assert 'name="q_trips" aria-label' in response.text and 'value="1"' in response.text
    assert _count(engine) == 0


def test_answer_outside_the_options_is_refused(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    fields = valid_answers(CITIZEN) | {"q_overall_satisfaction": "7", "q_trips": "99"}
    response = _post(client, world.code, fields)
    assert response.status_code == 422
    assert 'id="err-overall_satisfaction"' in response.text
    assert "Số quá lớn: tối đa là 20." in response.text
    assert _count(engine) == 0


def test_not_applicable_only_where_offered(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    response = _post(client, world.code, valid_answers(CITIZEN) | {"q_overall_satisfaction": "na"})
    assert response.status_code == 422
    assert _count(engine) == 0


def test_body_over_64_kb_is_refused_with_413(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    fields = valid_answers(CITIZEN) | {"q_comment": "x" * 70_000}
    response = _post(client, world.code, fields)
    assert response.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in response.text
    assert _count(engine) == 0


def test_missing_submission_id_gets_a_friendly_page(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    response = client.post(f"/s/{world.code}", data=valid_answers(CITIZEN))
    assert response.status_code == 422
    assert "Vui lòng mở lại đường dẫn" in response.text
    assert "Traceback" not in response.text
    assert _count(engine) == 0


def test_malformed_body_gets_a_friendly_page(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    response = client.post(
        f"/s/{world.code}",
        content=b"\xff\xfe--not-a-form",
        headers={"content-type": "multipart/form-data; boundary=zzz"},
    )
    assert response.status_code in (400, 422)
    assert "text/html" in response.headers["content-type"]
    assert "Traceback" not in response.text
    assert _count(engine) == 0


def test_unknown_code_is_404_page(client: TestClient, engine: Engine) -> None:
    make_world(engine)
    for code in ("ZZZZZZZZZ", "short", "not-a-code-at-all-really"):
        response = client.get(f"/s/{code}")
        assert response.status_code == 404
        assert "Mã QR này không tồn tại hoặc đã bị thu hồi" in response.text


def test_revoked_code_is_404_and_rotation_gives_a_working_one(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    with db.session_scope(engine) as session:
        desk = desk_service.get_desk(session=session, desk_id=world.desk_id)
        new_code = desk_service.rotate_code(session=session, desk=desk).code
    assert client.get(f"/s/{world.code}").status_code == 404
    assert _post(client, world.code, valid_answers(CITIZEN)).status_code == 404
    assert client.get(f"/s/{new_code}").status_code == 200
    assert _count(engine) == 0


def test_closed_campaign_is_410_page(client: TestClient, engine: Engine) -> None:
    world = make_world(engine, status=CampaignStatus.CLOSED)
    page = client.get(f"/s/{world.code}")
    assert page.status_code == 410
    assert "Đợt khảo sát không còn mở" in page.text
    assert _post(client, world.code, valid_answers(CITIZEN)).status_code == 410
    assert _count(engine) == 0


def test_open_campaign_outside_its_period_is_410(client: TestClient, engine: Engine) -> None:
    ended = (dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    world = make_world(engine, period=ended)
    assert client.get(f"/s/{world.code}").status_code == 410


def test_healthz(client: TestClient, engine: Engine) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_unknown_page_is_friendly_404(client: TestClient, engine: Engine) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Không tìm thấy" in response.text


def test_unexpected_error_shows_a_friendly_page_without_traceback(
    settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_service import access
    from survey_service.app import create_app

    monkeypatch.setitem(access.POLICY, ("GET", "/boom"), access.Access.PUBLIC)
    app = create_app(settings, engine=engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.get("/boom")
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in response.text
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_wrong_method_is_a_friendly_405(client: TestClient, engine: Engine) -> None:
    response = client.put("/healthz")
    assert response.status_code == 405
