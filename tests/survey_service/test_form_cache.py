"""What desk codes open is remembered a few seconds per process, and forgotten after a change
made through the admin pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from survey_service import db
from survey_service.app import create_app
from survey_service.models import Campaign, CampaignStatus, Desk, Role
from survey_service.services import desks as desk_service
from survey_service.services import forms as form_service
from survey_service.settings import Settings
from tests.factories import csrf_from, login, make_world


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _change_desk(engine: Engine, desk_id: int, **values: object) -> None:
    """Change a desk in the database directly, as another process or the CLI would."""
    with db.session_scope(engine) as session:
        desk = session.get(Desk, desk_id)
        assert desk is not None
        for name, value in values.items():
            setattr(desk, name, value)
        session.add(desk)


def _queries(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_desk_code_is_looked_up_once_while_fresh(engine: Engine) -> None:
    world = make_world(engine)
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    seen = _queries(engine)
    with Session(engine) as session:
        first = cache.desk_target(session=session, code=world.code)
        looked_up = len(seen)
        again = cache.desk_target(session=session, code=world.code.lower())  # same code
        assert again is first and len(seen) == looked_up and looked_up >= 3
        clock.now += 5.1
        later = cache.desk_target(session=session, code=world.code)
    assert len(seen) > looked_up  # expired: looked up again (unchanged, so the same object)
    assert later is first
    assert (later.desk.id, later.unit.id, later.version.id) == (
        world.desk_id,
        world.unit_id,
        world.version_id,
    )
    assert later.questionnaire.id == "citizen"  # parsed while attached: usable when detached


def test_zero_seconds_looks_up_every_time(engine: Engine) -> None:
    world = make_world(engine)
    cache = form_service.TargetCache(0)
    with Session(engine) as session:
        one = cache.desk_target(session=session, code=world.code)
        two = cache.desk_target(session=session, code=world.code)
    assert one is not two and one.desk.id == two.desk.id


def test_a_code_rotated_on_the_admin_page_stops_at_once(engine: Engine, settings: Settings) -> None:
    world = make_world(engine)
    app = create_app(settings.model_copy(update={"form_cache_seconds": 60.0}), engine=engine)
    with TestClient(app) as client:
        assert client.get(f"/s/{world.code}").status_code == 200  # now remembered
        login(client, engine, Role.COORDINATOR)
        page = client.get(f"/admin/units/{world.unit_id}")
        rotated = client.post(
            f"/admin/desks/{world.desk_id}/rotate",
            data={"csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert rotated.status_code == 303
        assert client.get(f"/s/{world.code}").status_code == 404  # forgotten, looked up again
        with Session(engine) as session:
            desk = session.get(Desk, world.desk_id)
            assert desk is not None
            fresh = desk_service.live_code(session=session, desk=desk).code
        assert client.get(f"/s/{fresh}").status_code == 200


def test_a_change_behind_the_apps_back_shows_once_the_entry_expires(
    engine: Engine, settings: Settings
) -> None:
    """A campaign closed by another process (or the CLI): this process keeps accepting for at
    most ``form_cache_seconds``."""
    world = make_world(engine)
    app = create_app(settings.model_copy(update={"form_cache_seconds": 60.0}), engine=engine)
    clock = Clock()
    app.state.form_targets = form_service.TargetCache(60.0, clock=clock)
    with TestClient(app) as client:
        assert client.get(f"/s/{world.code}").status_code == 200
        with db.session_scope(engine) as session:
            campaign = session.get(Campaign, world.campaign_id)
            assert campaign is not None
            campaign.status = CampaignStatus.CLOSED
            session.add(campaign)
        assert client.get(f"/s/{world.code}").status_code == 200  # still remembered
        clock.now += 61
        assert client.get(f"/s/{world.code}").status_code == 410


def test_a_code_in_use_is_looked_up_again_before_it_expires(engine: Engine) -> None:
    world = make_world(engine)
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    with Session(engine) as session:
        first = cache.desk_target(session=session, code=world.code)
    assert not cache.refresh_due(world.code)  # young: nothing to do
    clock.now += 4.1  # in the last fifth of its life
    assert cache.refresh_due(world.code) and not cache.refresh_due(world.code)  # one at a time
    with Session(engine) as session:
        cache.refresh(session=session)
    clock.now += 4.0  # past the first entry's end, within the refreshed one's
    again = cache.peek(world.code)
    assert again is first  # unchanged: the same object, kept a further 5 s


def test_a_refresh_forgets_a_code_that_no_longer_opens(engine: Engine) -> None:
    world = make_world(engine)
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    with Session(engine) as session:
        cache.desk_target(session=session, code=world.code)
    with db.session_scope(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        campaign.status = CampaignStatus.CLOSED
        session.add(campaign)
    clock.now += 4.5
    assert cache.refresh_due(world.code)
    with Session(engine) as session:
        cache.refresh(session=session)
    assert cache.peek(world.code) is None  # the next request looks it up and gets the 410


def test_a_refresh_begun_before_a_clear_is_not_kept(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(engine)
    cache = form_service.TargetCache(5.0)
    original = form_service.desk_targets

    def cleared_meanwhile(
        *, session: Session, codes: list[str]
    ) -> dict[str, form_service.FormTarget]:
        found = original(session=session, codes=codes)
        cache.clear()  # an admin change lands while the lookup runs
        return found

    with Session(engine) as session:
        cache.desk_target(session=session, code=world.code)
        monkeypatch.setattr(form_service, "desk_targets", cleared_meanwhile)
        cache.refresh(session=session)
    assert cache.peek(world.code) is None


def test_kept_pages_go_with_their_target(engine: Engine) -> None:
    world = make_world(engine)
    cache = form_service.TargetCache(5.0)
    with Session(engine) as session:
        target = cache.desk_target(session=session, code=world.code)
        other = form_service.desk_target(session=session, code=world.code)  # not remembered
    cache.keep_page(target, "1:vi", "<p>page</p>")
    cache.keep_page(other, "1:vi", "<p>other</p>")  # ignored: not the remembered object
    assert cache.page(target, "1:vi") == "<p>page</p>"
    assert cache.page(other, "1:vi") is None and cache.page(target, "1:en") is None
    cache.clear()
    assert cache.page(target, "1:vi") is None


def test_an_unchanged_code_keeps_its_pages_through_a_refresh(engine: Engine) -> None:
    world = make_world(engine)
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    with Session(engine) as session:
        target = cache.desk_target(session=session, code=world.code)
    cache.keep_page(target, "1:vi", "<p>page</p>")
    clock.now += 4.5
    assert cache.refresh_due(world.code)
    with Session(engine) as session:
        cache.refresh(session=session)
    clock.now += 4.0  # the first entry's time is over; the refreshed one lives
    assert cache.peek(world.code) is target and cache.page(target, "1:vi") == "<p>page</p>"
    _change_desk(engine, world.desk_id, name_vi="Quầy Một cửa")  # behind the app's back
    clock.now += 0.6
    assert cache.refresh_due(world.code)
    with Session(engine) as session:
        cache.refresh(session=session)
    fresh = cache.peek(world.code)
    assert fresh is not None and fresh is not target and fresh.desk.name_vi == "Quầy Một cửa"
    assert cache.page(fresh, "1:vi") is None  # rendered again with the new name


def test_an_expired_code_looked_up_again_keeps_its_pages_unless_changed(engine: Engine) -> None:
    """A code no request used for a while expires; its next request looks it up again, and
    when nothing changed the page kept for it serves on (not rendered again for every desk
    after each quiet spell)."""
    world = make_world(engine)
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    seen = _queries(engine)
    with Session(engine) as session:
        target = cache.desk_target(session=session, code=world.code)
    cache.keep_page(target, "1:vi", "<p>page</p>")
    clock.now += 60  # long expired
    assert cache.peek(world.code) is None
    before = len(seen)
    with Session(engine) as session:
        again = cache.desk_target(session=session, code=world.code)
    assert len(seen) > before and again is target and cache.page(again, "1:vi") == "<p>page</p>"
    assert cache.peek(world.code) is target  # fresh for another 5 s
    _change_desk(engine, world.desk_id, name_vi="Quầy Một cửa")  # behind the app's back
    clock.now += 60
    with Session(engine) as session:
        changed = cache.desk_target(session=session, code=world.code)
    assert changed is not target and changed.desk.name_vi == "Quầy Một cửa"
    assert cache.page(changed, "1:vi") is None


def _count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from survey_service import web

    renders: list[str] = []
    real_render = web.render

    def counting_render(request, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        renders.append(name)
        return real_render(request, name, *args, **kwargs)

    monkeypatch.setattr(web, "render", counting_render)
    return renders


def _submission_id(page: str) -> str:
    return page.split('name="submission_id" value="', 1)[1].split('"', 1)[0]


def test_after_a_quiet_spell_one_refresh_serves_every_desk(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entry expired (no request for a while): the first request has every remembered
    code looked up again in one query, the others wait for it, and the kept pages serve on."""
    first, second = make_world(engine), make_world(engine, unit_code="Q2")
    app = create_app(settings, engine=engine)
    clock = Clock()
    app.state.form_targets = form_service.TargetCache(5.0, clock=clock)
    renders = _count_renders(monkeypatch)
    with TestClient(app) as client:
        for world in (first, second):
            assert client.get(f"/s/{world.code}").status_code == 200
        assert renders.count("public/form.html") == 2
        clock.now += 60
        seen = _queries(engine)
        pages = [client.get(f"/s/{world.code}") for world in (first, second)]
    assert [page.status_code for page in pages] == [200, 200]
    assert len([q for q in seen if "desk_codes" in q]) == 1  # both codes, one query
    assert renders.count("public/form.html") == 2  # none rendered again
    assert _submission_id(pages[0].text) != _submission_id(pages[1].text)


def test_the_route_serves_a_kept_page_after_its_entry_expired_unchanged(
    engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the shared refresh did not bring an expired entry back (it failed, or raced), the
    route looks the code up itself; the page kept for the unchanged target is filled in, not
    rendered again."""
    from survey_service.routes import forms as form_routes

    async def no_refresh(request, code):  # type: ignore[no-untyped-def]
        return request.app.state.form_targets.peek(code)

    monkeypatch.setattr(form_routes, "remembered_target", no_refresh)
    world = make_world(engine)
    app = create_app(settings, engine=engine)
    clock = Clock()
    app.state.form_targets = form_service.TargetCache(5.0, clock=clock)
    renders = _count_renders(monkeypatch)
    with TestClient(app) as client:
        first = client.get(f"/s/{world.code}")
        assert first.status_code == 200 and renders.count("public/form.html") == 1
        clock.now += 60
        assert app.state.form_targets.peek(world.code) is None  # expired: the route looks up
        second = client.get(f"/s/{world.code}")
    assert second.status_code == 200 and renders.count("public/form.html") == 1
    ids = [_submission_id(page.text) for page in (first, second)]
    assert ids[0] != ids[1] and all(len(x) >= 20 for x in ids)  # each page its own id


def test_codes_due_are_refreshed_together(engine: Engine) -> None:
    """One refresh looks up every code due in one query, drops the revoked, keeps the rest."""
    first, second = make_world(engine), make_world(engine, unit_code="Q2")
    clock = Clock()
    cache = form_service.TargetCache(5.0, clock=clock)
    with Session(engine) as session:
        kept = cache.desk_target(session=session, code=first.code)
        cache.desk_target(session=session, code=second.code)
    _change_desk(engine, second.desk_id, active=False)  # closed behind the app's back
    clock.now += 4.5
    seen = _queries(engine)
    assert cache.refresh_due(first.code)
    with Session(engine) as session:
        cache.refresh(session=session)
    code_queries = [q for q in seen if "desk_codes" in q]
    assert len(code_queries) == 1  # both codes in one query
    assert cache.peek(first.code) is kept and cache.peek(second.code) is None
    assert cache.refresh_due(first.code) is False  # fresh again, and the refresh is over


def test_remember_all_takes_every_live_code_in_one_query(engine: Engine) -> None:
    first, second = make_world(engine), make_world(engine, unit_code="Q2")
    with db.session_scope(engine) as session:
        desk = session.get(Desk, second.desk_id)
        assert desk is not None
        desk_service.revoke_code(session=session, desk=desk)
    seen = _queries(engine)
    cache = form_service.TargetCache(5.0)
    with Session(engine) as session:
        assert cache.remember_all(session=session) == 1
    assert len([q for q in seen if "desk_codes" in q]) == 1
    target = cache.peek(first.code)
    assert target is not None and target.desk.id == first.desk_id
    assert cache.peek(second.code) is None  # revoked
    off = form_service.TargetCache(0)
    with Session(engine) as session:
        assert off.remember_all(session=session) == 0
    assert off.peek(first.code) is None
