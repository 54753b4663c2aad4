"""JSON API: authentication, roles, pagination, errors as JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import questionnaires as qn
from survey_service.models import Role
from tests.factories import login, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")


def _submit(client: TestClient, code: str, n: int) -> None:
    for i in range(n):
        fields = valid_answers(CITIZEN) | {"submission_id": f"api-test-submission-{i:04d}"}
        assert client.post(f"/s/{code}", data=fields, follow_redirects=False).status_code == 303


def test_api_needs_a_signed_in_user(client: TestClient, engine: Engine) -> None:
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_campaigns_list(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.OBSERVER)
    body = client.get("/api/v1/campaigns").json()
    assert body["count"] == 1
    assert body["data"][0]["id"] == world.campaign_id
    assert body["data"][0]["status"] == "open" and body["data"][0]["year"] == 2026


def test_observer_may_not_read_responses(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.OBSERVER)
    response = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_responses_are_paginated(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    _submit(client, world.code, 5)
    login(client, engine, Role.SCORER)
    first = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses?limit=2").json()
    assert first["count"] == 5 and len(first["data"]) == 2
    rest = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses?offset=2&limit=10").json()
    assert [r["id"] for r in first["data"] + rest["data"]] == [1, 2, 3, 4, 5]
    row = rest["data"][0]
    assert row["channel"] == "desk_qr" and row["desk_id"] == world.desk_id
    assert row["answers"]["overall_satisfaction"] == 4
    assert "client_submission_id" not in row


def test_bad_query_is_422_json(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.SCORER)
    response = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses?limit=0")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_unknown_campaign_is_404_json(client: TestClient, engine: Engine) -> None:
    login(client, engine, Role.ADMIN)
    response = client.get("/api/v1/campaigns/999/responses")
    assert response.status_code == 404
    assert response.json() == {"detail": "Campaign 999 does not exist.", "code": "not_found"}


def test_openapi_lists_the_api(client: TestClient, engine: Engine) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/campaigns" in paths
    assert "/api/v1/campaigns/{campaign_id}/responses" in paths
    assert "/healthz" in paths
    assert not any(p.startswith("/admin") for p in paths)


def test_questionnaire_versions_stay_readable(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.OBSERVER)
    listing = client.get("/api/v1/questionnaire-versions").json()
    assert listing["count"] == 1
    version = client.get(f"/api/v1/questionnaire-versions/{world.version_id}").json()
    assert version["questionnaire_id"] == "citizen"
    assert qn.parse_definition(version["definition"]) == CITIZEN
    assert version["content_hash"] == qn.content_hash(CITIZEN)
