"""Admin pages: sign-in, roles, CSRF, campaigns, units and desks, QR cards."""

from __future__ import annotations

import io

import PIL.Image
import pytest
import zxingcpp
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from survey_service.models import Campaign, CampaignStatus, DeskCode, FormLink, Role
from tests.factories import PASSWORD, csrf_from, login, make_user, make_world


def test_admin_pages_send_anonymous_users_to_login(client: TestClient, engine: Engine) -> None:
    for path in ("/admin/campaigns", "/admin/units", "/admin/qr-cards"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=/admin/")


def test_wrong_password_is_refused(client: TestClient, engine: Engine) -> None:
    email = make_user(engine, Role.ADMIN)
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": email, "password": "not the password", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401
    assert "Sai thư điện tử hoặc mật khẩu." in response.text
    assert client.get("/admin/campaigns", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(client: TestClient, engine: Engine) -> None:
    email = make_user(engine, Role.ADMIN)
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 403


def test_session_cookie_is_httponly_and_lax(client: TestClient, engine: Engine) -> None:
    email = make_user(engine, Role.ADMIN)
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        follow_redirects=False,
        data={"email": email.upper(), "password": PASSWORD, "csrf_token": csrf_from(page.text)},
    )
    cookie = response.headers["set-cookie"]
    assert "survey_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_then_logout(client: TestClient, engine: Engine) -> None:
    login(client, engine, Role.OBSERVER)
    page = client.get("/admin/campaigns")
    assert page.status_code == 200
    client.post("/admin/logout", data={"csrf_token": csrf_from(page.text)})
    assert client.get("/admin/campaigns", follow_redirects=False).status_code == 303


def test_login_redirect_stays_on_this_site(client: TestClient, engine: Engine) -> None:
    email = make_user(engine, Role.ADMIN)
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        follow_redirects=False,
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/admin/campaigns"


def test_coordinator_creates_and_opens_a_campaign(client: TestClient, engine: Engine) -> None:
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get("/admin/campaigns").text)
    response = client.post(
        "/admin/campaigns",
        follow_redirects=False,
        data={
            "csrf_token": token,
            "year": "2027",
            "name": "Khảo sát 2027",
            "period_start": "2027-03-01",
            "period_end": "2027-10-31",
        },
    )
    assert response.status_code == 303
    with Session(engine) as session:
        campaign = session.exec(select(Campaign)).one()
    assert (campaign.year, campaign.status) == (2027, CampaignStatus.DRAFT)
    client.post(
        f"/admin/campaigns/{campaign.id}/status", data={"csrf_token": token, "status": "open"}
    )
    with Session(engine) as session:
        assert session.get(Campaign, campaign.id).status == CampaignStatus.OPEN


def test_campaign_with_bad_period_is_refused_and_not_stored(
    client: TestClient, engine: Engine
) -> None:
    login(client, engine, Role.ADMIN)
    token = csrf_from(client.get("/admin/campaigns").text)
    response = client.post(
        "/admin/campaigns",
        data={
            "csrf_token": token,
            "year": "2027",
            "name": "X",
            "period_start": "2027-10-01",
            "period_end": "2027-03-01",
        },
    )
    assert response.status_code == 422
    assert "The period ends before it starts." in response.text
    with Session(engine) as session:
        assert session.exec(select(Campaign)).all() == []


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.SCORER])
def test_readers_cannot_change_campaigns(client: TestClient, engine: Engine, role: Role) -> None:
    world = make_world(engine)
    login(client, engine, role)
    page = client.get("/admin/campaigns")
    assert page.status_code == 200 and "Khảo sát 2026" in page.text
    response = client.post(
        f"/admin/campaigns/{world.campaign_id}/status",
        data={"csrf_token": csrf_from(page.text), "status": "closed"},
    )
    assert response.status_code == 403
    assert client.get("/admin/qr-cards").status_code == 403


def test_units_page_counts_desks_and_responses(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.OBSERVER)
    page = client.get("/admin/units")
    assert page.status_code == 200
    assert f'href="/admin/units/{world.unit_id}?lang=vi">Quận 1</a>' in page.text
    assert '<td class="num">1</td><td class="num">0</td>' in page.text


def test_rotating_a_desk_code_from_the_unit_page(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/units/{world.unit_id}")
    assert world.code in page.text
    client.post(f"/admin/desks/{world.desk_id}/rotate", data={"csrf_token": csrf_from(page.text)})
    with Session(engine) as session:
        codes = session.exec(select(DeskCode).order_by(DeskCode.id)).all()
    assert len(codes) == 2 and codes[0].revoked_at is not None and codes[1].revoked_at is None
    assert client.get(f"/s/{world.code}").status_code == 404
    assert client.get(f"/s/{codes[1].code}").status_code == 200


def test_adding_a_desk_issues_a_code(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/units/{world.unit_id}")
    client.post(
        f"/admin/units/{world.unit_id}/desks",
        data={
            "csrf_token": csrf_from(page.text),
            "name_vi": "Quầy Đất đai",
            "name_en": "Land desk",
        },
    )
    page = client.get(f"/admin/units/{world.unit_id}")
    assert "Quầy Đất đai" in page.text
    with Session(engine) as session:
        assert len(session.exec(select(DeskCode)).all()) == 2


def test_qr_png_decodes_to_the_desk_url(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    response = client.get(f"/admin/desks/{world.desk_id}/qr.png")
    assert response.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(response.content)))
    assert [r.text for r in decoded] == [f"http://testserver/s/{world.code}"]
    svg = client.get(f"/admin/desks/{world.desk_id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


def test_qr_cards_page_lists_each_desk_with_its_url(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/qr-cards?unit_id={world.unit_id}")
    assert page.status_code == 200
    assert f"http://testserver/s/{world.code}" in page.text
    assert f'src="/admin/desks/{world.desk_id}/qr.svg"' in page.text
    assert "Quét mã để đánh giá" in page.text and "Quận 1" in page.text


def test_campaign_page_shows_pinned_versions_and_manages_links(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}")
    assert page.status_code == 200
    assert f"citizen #{world.version_id}" in page.text
    token = csrf_from(page.text)
    client.post(
        f"/admin/campaigns/{world.campaign_id}/links",
        data={
            "csrf_token": token,
            "audience": "official",
            "unit_id": "",
            "label": "Gửi qua Sở Nội vụ",
        },
    )
    with Session(engine) as session:
        link = session.exec(select(FormLink)).one()
    assert (link.audience, link.unit_id, link.label) == ("official", None, "Gửi qua Sở Nội vụ")
    page = client.get(f"/admin/campaigns/{world.campaign_id}")
    assert f"http://testserver/f/{link.code}" in page.text
    assert client.get(f"/f/{link.code}").status_code == 410  # official form not pinned yet
    qr_png = client.get(f"/admin/links/{link.id}/qr.png")
    decoded = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(qr_png.content)))
    assert [r.text for r in decoded] == [f"http://testserver/f/{link.code}"]
    client.post(f"/admin/links/{link.id}/revoke", data={"csrf_token": token})
    assert client.get(f"/f/{link.code}").status_code == 404


def test_pinning_another_version_from_the_campaign_page(client: TestClient, engine: Engine) -> None:
    import questionnaires as qn
    from survey_service import db
    from survey_service.services import campaigns as campaign_service
    from survey_service.services import questionnaires as questionnaire_service

    world = make_world(engine)
    data = qn.builtin_definition("citizen").model_dump(mode="json", exclude_none=True)
    data["intro"]["en"] = "A shorter introduction."
    with db.session_scope(engine) as session:
        new = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.parse_definition(data)
        )
        new_id = new.id
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}")
    client.post(
        f"/admin/campaigns/{world.campaign_id}/pins",
        data={"csrf_token": csrf_from(page.text), "version_id": str(new_id)},
    )
    with Session(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert (
            campaign_service.pinned_versions(session=session, campaign=campaign)["citizen"].id
            == new_id
        )
