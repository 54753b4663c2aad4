"""Every route × every role: the access table of ``survey_service/access.py`` is what happens.

The routes come from the app's router table, so a new route without a rule fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import select

from survey_service import access, db
from survey_service.models import Role, User
from survey_service.services import tokens as token_service
from tests.factories import make_link, make_user, make_world

ROLES = [None, Role.OBSERVER, Role.SCORER, Role.COORDINATOR, Role.ADMIN]


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every API route, also inside included routers (FastAPI keeps those as branches)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _routes(client: TestClient) -> list[tuple[str, str]]:
    routes = _api_routes(client.app.routes)  # type: ignore[attr-defined]
    return sorted((method, route.path) for route in routes for method in route.methods)


def test_every_route_has_exactly_one_rule(client: TestClient) -> None:
    routes = set(_routes(client))
    assert routes - set(access.POLICY) == set(), "routes without an access rule"
    assert set(access.POLICY) - routes == set(), "rules for routes that do not exist"


def _token(engine: Engine, role: Role) -> str:
    email = make_user(engine, role)
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        return token_service.create_token(session=session, user=user, name="t", role=role)[1]


def _url(path: str, code: str) -> str:
    # {token_id} names no token: revoking the test's own would sign it out mid-loop
    values = {"{code}": code, "{token_id}": "999999"}
    return re.sub(r"\{[a-z_]+\}", lambda m: values.get(m.group(0), "1"), path)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_access_matrix(client: TestClient, engine: Engine, role: Role | None) -> None:
    world = make_world(engine)
    make_link(engine, world.campaign_id, "business", unit_id=world.unit_id)
    headers = {"authorization": f"Bearer {_token(engine, role)}"} if role else {}
    wrong = []
    for method, path in _routes(client):
        if path in ("/admin/logout", "/admin/logout-everywhere") or (method, path) == (
            "POST",
            "/admin/login",
        ):
            continue  # they end the session the loop needs, or answer 401 for bad passwords
        response = client.request(
            method, _url(path, world.code), headers=headers, follow_redirects=False
        )
        allowed = access.allows(access.POLICY[(method, path)], role)
        refused = response.status_code in (401, 403) or (
            response.status_code == 303 and response.headers["location"].startswith("/admin/login")
        )
        if allowed == refused:
            wrong.append((method, path, response.status_code))
    assert wrong == []


def test_anonymous_html_goes_to_login_and_api_gets_401(client: TestClient, engine: Engine) -> None:
    html = client.get("/admin/units", follow_redirects=False)
    assert html.status_code == 303 and html.headers["location"] == "/admin/login?next=/admin/units"
    api = client.get("/api/v1/campaigns")
    assert api.status_code == 401 and api.json()["code"] == "not_authenticated"


def test_a_token_acts_with_its_own_role_not_its_users(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    email = make_user(engine, Role.ADMIN)
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        _, plain = token_service.create_token(
            session=session, user=user, name="r", role=Role.OBSERVER
        )
    headers = {"authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/campaigns", headers=headers).status_code == 200
    response = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses", headers=headers)
    assert response.status_code == 403


def test_revoked_and_forged_tokens_are_refused(client: TestClient, engine: Engine) -> None:
    email = make_user(engine, Role.SCORER)
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        token, plain = token_service.create_token(
            session=session, user=user, name="x", role=Role.SCORER
        )
        token_id = token.id
    ok = client.get("/api/v1/campaigns", headers={"authorization": f"Bearer {plain}"})
    assert ok.status_code == 200
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        token_service.revoke(session=session, user=user, token_id=token_id)
    for value in (plain, plain[:-1] + "x", "pst_forged", "not-a-token"):
        response = client.get("/api/v1/campaigns", headers={"authorization": f"Bearer {value}"})
        assert response.status_code == 401, value
