"""Accounts, audit log, throttling, quality flags and the privacy of officials' answers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import db, security
from survey_service.models import AuditEntry, Response, Role, User
from survey_service.services import quality
from tests.factories import (
    PASSWORD,
    csrf_from,
    hidden_fields,
    login,
    make_link,
    make_user,
    make_world,
    valid_answers,
    walk_pages,
)

CITIZEN = qn.builtin_definition("citizen")
OFFICIAL = qn.builtin_definition("official")


def _responses(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response).order_by(Response.id)))


def _audit(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


# --- passwords and sessions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10 characters"),
        ("aaaaaaaaaaaa", "repeats one or two characters"),
        ("abababababab", "repeats one or two characters"),
        ("matkhau123", "well-known password"),
        ("nguyen.van.an-2026", "contains the e-mail address"),
        ("x" * 1025, "at most 1,024"),
    ],
)
def test_password_rules(password: str, problem: str) -> None:
    assert problem in (security.password_problem(password, "nguyen.van.an@example.org") or "")


def test_a_good_password_passes() -> None:
    assert security.password_problem("Bến Thành 1975 chợ", "an@example.org") is None


def test_failed_sign_ins_are_throttled_per_account(
    client: TestClient, engine: Engine, settings
) -> None:
    email = make_user(engine, Role.ADMIN)
    token = csrf_from(client.get("/admin/login").text)
    for _ in range(settings.login_attempts_per_account):
        wrong = client.post(
            "/admin/login", data={"email": email, "password": "nope nope nope", "csrf_token": token}
        )
        assert wrong.status_code == 401
    blocked = client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 900
    assert "Đăng nhập sai quá nhiều lần" in blocked.text


def test_logout_everywhere_ends_every_session(client: TestClient, engine: Engine, settings) -> None:
    login(client, engine, Role.OBSERVER)
    other = TestClient(client.app)
    email = "observer@example.org"
    page = other.get("/admin/login")
    other.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    assert other.get("/admin/campaigns", follow_redirects=False).status_code == 200
    tokens_page = client.get("/admin/tokens")
    client.post("/admin/logout-everywhere", data={"csrf_token": csrf_from(tokens_page.text)})
    for browser in (client, other):
        assert browser.get("/admin/campaigns", follow_redirects=False).status_code == 303
    assert [e.action for e in _audit(engine)] == ["user.logout_everywhere"]


def test_api_token_is_shown_once_and_works_until_revoked(
    client: TestClient, engine: Engine
) -> None:
    make_world(engine)
    login(client, engine, Role.SCORER)
    page = client.get("/admin/tokens")
    created = client.post(
        "/admin/tokens",
        data={"csrf_token": csrf_from(page.text), "name": "R script", "role": "scorer"},
    )
    plain = created.text.split('<code class="token">')[1].split("</code>")[0]
    assert plain.startswith("pst_")
    assert plain not in client.get("/admin/tokens").text  # never shown again
    api = TestClient(client.app)
    headers = {"authorization": f"Bearer {plain}"}
    assert api.get("/api/v1/campaigns/1/responses", headers=headers).status_code == 200
    with Session(engine) as session:
        stored = session.exec(select(User)).one()
        assert stored.email == "scorer@example.org"
    token_id = _audit(engine)[0].entity_id
    client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert api.get("/api/v1/campaigns", headers=headers).status_code == 401
    assert [e.action for e in _audit(engine)] == ["token.create", "token.revoke"]


def test_a_scorer_cannot_make_an_admin_token(client: TestClient, engine: Engine) -> None:
    login(client, engine, Role.SCORER)
    page = client.get("/admin/tokens")
    response = client.post(
        "/admin/tokens", data={"csrf_token": csrf_from(page.text), "name": "x", "role": "admin"}
    )
    assert response.status_code == 403


# --- audit log --------------------------------------------------------------------------------


def test_changes_are_audited_with_before_and_after(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get("/admin/campaigns").text)
    client.post(
        f"/admin/campaigns/{world.campaign_id}/status",
        data={"csrf_token": token, "status": "closed"},
    )
    client.post(f"/admin/desks/{world.desk_id}/rotate", data={"csrf_token": token})
    entries = _audit(engine)
    assert [(e.actor, e.action, e.entity_id) for e in entries] == [
        ("coordinator@example.org", "campaign.status", str(world.campaign_id)),
        ("coordinator@example.org", "desk.rotate_code", str(world.desk_id)),
    ]
    assert entries[0].before == {"status": "open"} and entries[0].after == {"status": "closed"}
    assert entries[1].before == {"code": world.code} and entries[1].after["code"] != world.code


def test_the_audit_log_cannot_be_edited(engine: Engine) -> None:
    from survey_service.services import audit

    with db.session_scope(engine) as session:
        audit.record(session=session, actor=None, action="x.y", entity="x", entity_id=1)
    with pytest.raises(ValueError, match="cannot be changed"), Session(engine) as session:
        entry = session.exec(select(AuditEntry)).one()
        entry.action = "forged"
        session.add(entry)
        session.commit()
    with pytest.raises(ValueError, match="cannot be changed"), Session(engine) as session:
        session.delete(session.exec(select(AuditEntry)).one())
        session.commit()


def test_observers_read_filter_and_export_the_audit_log(client: TestClient, engine: Engine) -> None:
    from survey_service.services import audit

    with db.session_scope(engine) as session:
        for action in ("campaign.create", "desk.create", "campaign.status"):
            audit.record(
                session=session,
                actor=None,
                action=action,
                entity="x",
                entity_id=7,
                after={"name": "Khảo sát"},
            )
    login(client, engine, Role.OBSERVER)
    page = client.get("/admin/audit?action=campaign.")
    assert page.status_code == 200 and "desk.create" not in page.text
    assert "campaign.create" in page.text and "campaign.status" in page.text
    exported = client.get("/admin/audit.csv?action=campaign.")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["action"] for r in rows] == ["campaign.create", "campaign.status"]
    assert rows[0]["after"] == '{"name": "Khảo sát"}'
    api = client.get("/api/v1/audit?action=desk.").json()
    assert api["count"] == 1 and api["data"][0]["action"] == "desk.create"


# --- quality flags and exclusions -------------------------------------------------------------


def _submit(client: TestClient, code: str, fields: dict[str, object]) -> None:
    page = client.get(f"/s/{code}").text
    data = hidden_fields(page) | valid_answers(CITIZEN) | fields | {"action": "submit"}
    assert client.post(f"/s/{code}", data=data, follow_redirects=False).status_code == 303


def test_a_form_answered_in_seconds_is_flagged_too_fast(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, {})
    [stored] = _responses(engine)
    assert quality.TOO_FAST in stored.flags
    assert stored.started_at is not None and stored.started_at <= stored.submitted_at


def test_the_same_answer_everywhere_is_straight_lining(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, {})  # valid_answers gives 4 to every scale question
    assert quality.STRAIGHT_LINING in _responses(engine)[0].flags


def test_a_second_response_from_one_browser_is_flagged(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, {})
    _submit(client, world.code, {})
    first, second = _responses(engine)
    assert quality.REPEAT_BROWSER not in first.flags
    assert quality.REPEAT_BROWSER in second.flags
    assert first.browser_hash == second.browser_hash and len(first.browser_hash or "") == 64


def test_a_filled_honeypot_is_kept_but_excluded(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, {"website": "http://spam.example"})
    [stored] = _responses(engine)
    assert quality.HONEYPOT in stored.flags and stored.excluded


def test_a_burst_at_one_desk_is_flagged(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    for _ in range(quality.BURST_MIN):
        _submit(TestClient(client.app), world.code, {})
    flags = [r.flags for r in _responses(engine)]
    assert quality.DESK_BURST not in flags[0] and quality.DESK_BURST in flags[-1]


def test_raw_addresses_are_never_stored(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, {})
    [stored] = _responses(engine)
    assert stored.client_hash and "testclient" not in stored.client_hash
    assert len(stored.client_hash) == 64


def test_coordinators_exclude_and_include_flagged_responses(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    _submit(client, world.code, {})
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/flags")
    assert page.status_code == 200 and "Trả lời quá nhanh" in page.text
    token = csrf_from(page.text)
    refused = client.post(
        "/admin/responses/1/exclusion", data={"csrf_token": token, "excluded": "true", "reason": ""}
    )
    assert refused.status_code == 422
    client.post(
        "/admin/responses/1/exclusion",
        data={"csrf_token": token, "excluded": "true", "reason": "cùng một người"},
    )
    assert _responses(engine)[0].excluded
    client.post("/admin/responses/1/exclusion", data={"csrf_token": token, "excluded": "false"})
    assert not _responses(engine)[0].excluded
    exclusions = [e for e in _audit(engine) if e.action == "response.exclusion"]
    assert [e.after["excluded"] for e in exclusions] == [True, False]


# --- rate limits ------------------------------------------------------------------------------


def test_a_desk_over_its_rate_gets_429_with_retry_after(
    client: TestClient, engine: Engine, settings
) -> None:
    settings.rate_limit_per_desk = 3
    world = make_world(engine)
    codes = [
        client.post(
            f"/s/{world.code}",
            data={"submission_id": f"rate-limit-test-{i:04d}"},
            follow_redirects=False,
        ).status_code
        for i in range(4)
    ]
    assert codes[:3] == [422, 422, 422] and codes[3] == 429
    last = client.post(f"/s/{world.code}", data={"submission_id": "rate-limit-test-9999"})
    assert 1 <= int(last.headers["retry-after"]) <= 60
    assert "Có quá nhiều lượt gửi" in last.text


def test_nul_characters_in_urls_and_forms_are_refused(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    assert client.get("/s/AB%00CD").status_code == 400
    response = client.post(
        f"/s/{world.code}",
        content=b"q_comment=a%00b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert _responses(engine) == []


# --- officials --------------------------------------------------------------------------------


def test_an_officials_answer_keeps_no_hash_and_only_the_day(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    code = make_link(engine, world.campaign_id, "official", unit_id=world.unit_id)
    walk_pages(client, f"/f/{code}", OFFICIAL, client.get(f"/f/{code}").text)
    [stored] = _responses(engine)
    assert stored.client_hash is None and stored.browser_hash is None
    assert stored.started_at is None
    assert stored.submitted_at.time() == dt.time(0, 0)


def test_rate_limits_hold_across_app_processes_through_redis(
    settings, engine: Engine, redis_url: str
) -> None:
    from survey_service.app import create_app

    settings.redis_url = redis_url
    settings.rate_limit_per_desk = 2
    world = make_world(engine)
    first, second = (TestClient(create_app(settings, engine=engine)) for _ in range(2))
    assert type(first.app.state.limiter).__name__ == "RedisLimiter"  # type: ignore[attr-defined]
    statuses = [
        app.post(f"/s/{world.code}", data={"submission_id": f"redis-shared-{i:08d}"}).status_code
        for i, app in enumerate((first, second, first, second))
    ]
    assert statuses == [422, 422, 429, 429]
