"""The desk lane: fresh desk form pages from their kept text, and complete one-go submissions
stored by the group commit, both answered before FastAPI's routing, with the same answers as
the usual path (``survey_service/routes/forms.py``, ``survey_service/submission_writer.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.datastructures import FormData

import questionnaires as qn
from survey_service import db, deps, web
from survey_service.app import create_app
from survey_service.models import Draft, Response, Unit
from survey_service.routes import form_pages
from survey_service.services import quality
from survey_service.settings import Settings
from tests.factories import hidden_fields, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")


LANE = {"form_cache_seconds": 60.0, "rate_limit_per_address": 0, "rate_limit_per_desk": 0}


@pytest.fixture
def lane(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A client of an app that remembers desk codes, with the rate limits off (the lane's
    condition for submissions)."""
    app = create_app(settings.model_copy(update=LANE), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def request_sessions(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The request sessions FastAPI's routes open (the lane opens none)."""
    opened: list[object] = []

    class Counted(deps.Session):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(deps, "Session", Counted)
    return opened


def _rows(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response).order_by(Response.id)))


def _fields(page: str, **extra: object) -> dict[str, object]:
    return hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"} | extra


def _batches(client: TestClient) -> int:
    return int(client.app.state.submission_writer.batches)  # type: ignore[attr-defined]


def test_fresh_pages_are_kept_once_and_filled_in_per_request(
    lane: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(engine)
    rendered: list[str] = []
    render = web.render
    monkeypatch.setattr(
        web, "render", lambda r, name, *a, **k: rendered.append(name) or render(r, name, *a, **k)
    )
    first = lane.get(f"/s/{world.code}")
    second = lane.get(f"/s/{world.code}")
    assert rendered == ["public/form.html"]  # once; the second page is the kept one
    assert first.status_code == second.status_code == 200
    one, two = hidden_fields(first.text), hidden_fields(second.text)
    assert one["submission_id"] != two["submission_id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", two["submission_id"])
    assert lane.app.state.signer.stamped_time(two["started"]) is not None  # type: ignore[attr-defined]
    assert form_pages.SUBMISSION_SLOT not in second.text
    assert form_pages.STARTED_SLOT not in second.text
    # the same page but for those two values, with the cookies the usual path sets
    blank = re.compile(r'name="(submission_id|started)" value="[^"]*"')
    assert blank.sub("", first.text) == blank.sub("", second.text)
    assert "survey_browser" in first.cookies  # the browser id, as the usual path gives it
    english = lane.get(f"/s/{world.code}?lang=en")
    assert english.status_code == 200 and 'lang="en"' in english.text


def test_a_change_made_through_the_app_renders_the_page_again(
    lane: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    assert "Quận 1" in lane.get(f"/s/{world.code}").text
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        unit.name_vi = "Quận Một"
        session.add(unit)
    lane.app.state.form_targets.clear()  # type: ignore[attr-defined]  # what an admin write does
    assert "Quận Một" in lane.get(f"/s/{world.code}").text


def test_a_complete_form_is_stored_once_by_the_group_commit(
    lane: TestClient, engine: Engine, request_sessions: list[object]
) -> None:
    world = make_world(engine)
    page = lane.get(f"/s/{world.code}").text
    fields = _fields(page)
    before, routed = _batches(lane), len(request_sessions)
    answer = lane.post(f"/s/{world.code}", data=fields, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/s/{world.code}/thanks?lang=vi"
    assert _batches(lane) == before + 1  # stored by the group commit …
    assert len(request_sessions) == routed  # … answered by the lane, not FastAPI's route
    again = lane.post(f"/s/{world.code}", data=fields, follow_redirects=False)  # a double tap
    assert again.status_code == 303
    [stored] = _rows(engine)
    assert stored.client_submission_id == fields["submission_id"]
    assert (stored.unit_id, stored.desk_id, stored.campaign_id) == (
        world.unit_id,
        world.desk_id,
        world.campaign_id,
    )
    assert stored.answers["trips"] == int(str(valid_answers(CITIZEN)[qn.form_field("trips")]))
    assert stored.flags == [quality.TOO_FAST, quality.STRAIGHT_LINING]
    assert stored.started_at is not None and stored.client_hash and stored.browser_hash
    assert not stored.excluded


def test_what_the_lane_does_not_take_goes_the_usual_way(lane: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = lane.get(f"/s/{world.code}").text
    before = _batches(lane)
    # answers with an error: the page again with the error, nothing stored
    wrong = _fields(page, **{qn.form_field("trips"): "-3"})
    refused = lane.post(f"/s/{world.code}", data=wrong, follow_redirects=False)
    assert refused.status_code == 422 and _rows(engine) == []
    # an autosave keeps a draft (the usual path); the submission that follows discards it
    saved = lane.post(f"/s/{world.code}", data=_fields(page, action="save"))
    assert saved.status_code == 204 and lane.cookies.get("survey_draft")
    sent = lane.post(f"/s/{world.code}", data=_fields(page), follow_redirects=False)
    assert sent.status_code == 303 and len(_rows(engine)) == 1
    with Session(engine) as session:
        assert session.exec(select(Draft)).all() == []
    assert _batches(lane) == before  # none of these went to the group commit
    # an unknown code: FastAPI's 404 page, as before
    assert lane.post("/s/NOSUCHCODE", data=_fields(page)).status_code == 404


def test_the_honeypot_is_kept_but_excluded(lane: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = lane.get(f"/s/{world.code}").text
    assert lane.post(f"/s/{world.code}", data=_fields(page, website="x")).status_code == 200
    [stored] = _rows(engine)
    assert stored.excluded and quality.HONEYPOT in stored.flags


def test_rate_limits_still_refuse(settings: Settings, engine: Engine) -> None:
    """With limits on, submissions go through FastAPI's route and its 429."""
    world = make_world(engine)
    app = create_app(
        settings.model_copy(update={"form_cache_seconds": 60.0, "rate_limit_per_desk": 2}),
        engine=engine,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get(f"/s/{world.code}").text
        codes = []
        for _ in range(3):
            fields = _fields(page, submission_id=f"limit-check-{len(codes):04d}-abcdef")
            codes.append(client.post(f"/s/{world.code}", data=fields).status_code)
        batches = int(client.app.state.submission_writer.batches)  # type: ignore[attr-defined]
    assert codes == [200, 200, 429]  # thanks page (redirect followed), thanks, refused
    assert len(_rows(engine)) == 2
    assert batches == 2  # FastAPI's route counted them, then handed them to the group commit


def test_a_form_body_is_parsed_as_starlette_would(lane: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = lane.get(f"/s/{world.code}").text
    fields = _fields(page, **{qn.form_field("comment"): "Nhanh hơn nữa+ạ & gọn"})
    assert lane.post(f"/s/{world.code}", data=fields).status_code == 200
    [stored] = _rows(engine)
    assert stored.answers["comment"] == "Nhanh hơn nữa+ạ & gọn"  # UTF-8, "+" and "&" as sent


def test_too_many_fields_get_a_clear_error(lane: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    assert lane.get(f"/s/{world.code}").status_code == 200  # remembered: the lane sees the post
    body = "&".join(f"f{i}=1" for i in range(1_001))
    answer = lane.post(
        f"/s/{world.code}",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422 and "quá nhiều trường" in answer.text
    assert _rows(engine) == []


def test_a_multipart_post_goes_the_usual_way(lane: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    page = lane.get(f"/s/{world.code}").text
    wrong = _fields(page, **{qn.form_field("trips"): "-3"})
    parts = {k: (None, str(v if not isinstance(v, list) else v[0])) for k, v in wrong.items()}
    answer = lane.post(f"/s/{world.code}", files=parts)
    assert answer.status_code == 422 and _rows(engine) == []
    good = {
        k: (None, str(v if not isinstance(v, list) else v[0])) for k, v in _fields(page).items()
    }
    assert lane.post(f"/s/{world.code}", files=good).status_code == 200
    assert len(_rows(engine)) == 1


def test_field_values_gathers_every_value_of_a_name_in_order() -> None:
    """What ``qn.from_form`` reads a posted form through (one pass, not Starlette's getlist
    per name): repeated fields keep their order, absent ones are empty."""
    form = FormData([("q_a", "1"), ("q_b", "x"), ("q_a", "3"), ("lang", "vi")])
    values = form_pages.field_values(form)
    assert values("q_a") == ["1", "3"]
    assert values("q_b") == ["x"]
    assert values("q_missing") == []
    assert all(values(name) == [str(v) for v in form.getlist(name)] for name in form)
