"""Security headers on every kind of response; HSTS only over HTTPS; no Swagger UI."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from survey_service.headers import BASE_HEADERS, CONTENT_SECURITY_POLICY, SecurityHeaders
from tests.factories import make_world

HSTS = "Strict-Transport-Security"


def _assert_secured(response: Any) -> None:
    for name, value in BASE_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.url}"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_csp_forbids_inline_code_and_framing() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_public_page_has_security_headers(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    _assert_secured(response)


def test_form_page_has_security_headers(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    response = client.get(f"/s/{world.code}")
    assert response.status_code == 200 and 'name="submission_id"' in response.text
    _assert_secured(response)
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the desk code is in the URL


def test_admin_redirect_has_security_headers(client: TestClient) -> None:
    response = client.get("/admin/campaigns", follow_redirects=False)
    assert response.status_code == 303
    _assert_secured(response)


def test_api_json_error_has_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    _assert_secured(response)


def test_static_file_has_security_headers(client: TestClient) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    _assert_secured(response)


def test_not_found_page_has_security_headers(client: TestClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    _assert_secured(response)


def test_payload_too_large_has_security_headers(client: TestClient) -> None:
    limit = client.app.state.settings.max_body_bytes
    response = client.post("/s/NOCODE", content=b"x" * (limit + 1))
    assert response.status_code == 413
    _assert_secured(response)


def test_no_hsts_over_plain_http(client: TestClient) -> None:
    assert HSTS not in client.get("/").headers


def test_hsts_over_https(client: TestClient) -> None:
    with TestClient(client.app, base_url="https://testserver") as https:
        response = https.get("/")
    assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"
    _assert_secured(response)


def test_hsts_lifetime_is_configurable() -> None:
    app = SecurityHeaders(PlainTextResponse("ok"), hsts_seconds=600)
    response = TestClient(app, base_url="https://testserver").get("/")
    assert response.headers[HSTS] == "max-age=600; includeSubDomains"


def test_header_set_by_a_route_is_kept() -> None:
    route = PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})
    response = TestClient(SecurityHeaders(route)).get("/")
    assert response.headers.get_list("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/boom-test-route", "/api/boom-test-route"])
def test_server_error_page_has_security_headers(client: TestClient, path: str) -> None:
    async def boom(request: Request) -> PlainTextResponse:
        raise RuntimeError("boom")

    client.app.add_route(path, boom)  # type: ignore[attr-defined]
    response = client.get(path)
    assert response.status_code == 500
    _assert_secured(response)


def test_swagger_ui_is_gone_but_openapi_stays(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 404
    schema = client.get("/openapi.json")
    assert schema.status_code == 200 and "/api/v1/campaigns" in schema.json()["paths"]
    _assert_secured(schema)
