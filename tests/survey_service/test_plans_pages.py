"""Frames and plans in the admin pages: upload, bad-row report, plan with preview, draw."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from survey_service.models import AuditEntry, FrameRow, Invitation, InvitationStatus, Role
from tests.factories import csrf_from, login, make_world

CSV = "external_id,unit,field,phone\n" + "".join(
    f"HS{i:04d},Q1,{'land' if i % 3 else 'civil'},09{i:08d}\n" for i in range(90)
)


def _upload(client: TestClient, campaign_id: int, body: str, token: str):
    return client.post(
        f"/admin/campaigns/{campaign_id}/frames",
        data={"csrf_token": token, "audience": "citizen", "name": "hồ sơ tháng 3"},
        files={"file": ("dossiers.csv", body.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )


def test_a_coordinator_uploads_a_frame_plans_and_draws(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/plans")
    token = csrf_from(page.text)
    assert _upload(client, world.campaign_id, CSV, token).status_code == 303
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FrameRow)).one() == 90
    created = client.post(
        f"/admin/campaigns/{world.campaign_id}/plans",
        data={
            "csrf_token": token,
            "frame_id": "1",
            "name": "SIPAS",
            "strata": "field",
            "total_n": "30",
            "allocation": "proportional",
            "seed": "11",
            "reserve_share": "0.2",
            "response_rate": "0.6",
            "minimum": "0",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = client.get(f"/admin/campaigns/{world.campaign_id}/plans")
    assert (
        "Q1 | civil" in page.text and '<td class="num">60</td><td class="num">20</td>' in page.text
    )
    preview = client.get("/api/v1/plans/1/preview").json()
    assert [(r["stratum"], r["sample"]) for r in preview["data"]] == [
        ("Q1 | civil", 10),
        ("Q1 | land", 20),
    ]
    drawn = client.post(
        "/admin/plans/1/draw",
        data={"csrf_token": token, "audience": "citizen"},
        follow_redirects=False,
    )
    assert drawn.headers["location"] == f"/admin/campaigns/{world.campaign_id}/fieldwork"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Invitation)).one() == 30
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["frame.import", "plan.create", "plan.draw"]


def test_a_bad_frame_lists_its_rows_and_stores_nothing(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get(f"/admin/campaigns/{world.campaign_id}/plans").text)
    bad = CSV + "HS9999,ZZ,land,0900000000\n"
    response = _upload(client, world.campaign_id, bad, token)
    assert response.status_code == 422
    assert "row 92, unit:" in response.text
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(FrameRow)).one() == 0


def test_a_frame_upload_may_exceed_the_form_body_limit(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get(f"/admin/campaigns/{world.campaign_id}/plans").text)
    big = "external_id,unit,field\n" + "".join(f"HS{i:06d},Q1,land\n" for i in range(6000))
    assert len(big) > 64 * 1024
    assert _upload(client, world.campaign_id, big, token).status_code == 303


def test_invitations_can_be_marked_refused_but_not_completed(
    client: TestClient, engine: Engine
) -> None:
    from survey_service import db
    from survey_service.services import invitations as invitation_service

    world = make_world(engine)
    with db.session_scope(engine) as session:
        invitation_service.issue(
            session=session,
            campaign_id=world.campaign_id,
            audience="citizen",
            unit_id=world.unit_id,
            stratum="Q1",
            design_weight=3.0,
        )
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get("/admin/campaigns").text)
    ok = client.post("/admin/invitations/1/status", data={"csrf_token": token, "status": "refused"})
    assert ok.status_code == 204
    with Session(engine) as session:
        assert session.exec(select(Invitation)).one().status == InvitationStatus.REFUSED
    no = client.post(
        "/admin/invitations/1/status", data={"csrf_token": token, "status": "completed"}
    )
    assert no.status_code == 409


def test_plans_through_the_api_with_a_token(client: TestClient, engine: Engine) -> None:
    from survey_service import db
    from survey_service.models import User
    from survey_service.services import tokens as token_service
    from tests.factories import make_user

    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get(f"/admin/campaigns/{world.campaign_id}/plans").text)
    _upload(client, world.campaign_id, CSV, token)
    email = make_user(engine, Role.COORDINATOR, "script@example.org")
    with db.session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == email)).one()
        plain = token_service.create_token(
            session=session, user=user, name="r", role=Role.COORDINATOR
        )[1]
    api = TestClient(client.app, headers={"authorization": f"Bearer {plain}"})
    created = api.post(
        f"/api/v1/campaigns/{world.campaign_id}/plans",
        json={"frame_id": 1, "name": "API", "seed": 5, "strata_vars": ["field"], "moe": 0.2},
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    # e = .2: N = 30 → 28.812 / 2.1204 = 13.6 → 14; N = 60 → 57.624 / 3.3204 = 17.4 → 18
    assert api.post(f"/api/v1/plans/{plan_id}/draw").json() == {"plan_id": plan_id, "units": 32}
    assert api.post(f"/api/v1/plans/{plan_id}/draw").status_code == 409
    both = api.post(
        f"/api/v1/campaigns/{world.campaign_id}/plans",
        json={"frame_id": 1, "name": "x", "seed": 1, "moe": 0.1, "total_n": 10},
    )
    assert both.status_code == 422


def test_a_neyman_plan_through_the_api(client: TestClient, engine: Engine) -> None:
    """Neyman: n_h ∝ N_h·S_h. N = (30, 60), S = (0.5, 0.1), n = 20: shares 15 : 6 → 14.3, 5.7
    → largest remainder (14, 6)."""
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    token = csrf_from(client.get(f"/admin/campaigns/{world.campaign_id}/plans").text)
    _upload(client, world.campaign_id, CSV, token)
    created = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/plans",
        json={
            "frame_id": 1,
            "name": "N",
            "seed": 3,
            "strata_vars": ["field"],
            "total_n": 20,
            "allocation": "neyman",
            "stddev": {"Q1 | civil": 0.5, "Q1 | land": 0.1},
        },
    )
    assert created.status_code == 201, created.text
    preview = client.get(f"/api/v1/plans/{created.json()['id']}/preview").json()
    assert [(r["stratum"], r["sample"]) for r in preview["data"]] == [
        ("Q1 | civil", 14),
        ("Q1 | land", 6),
    ]
    missing = client.post(
        f"/api/v1/campaigns/{world.campaign_id}/plans",
        json={
            "frame_id": 1,
            "name": "N",
            "seed": 3,
            "strata_vars": ["field"],
            "total_n": 20,
            "allocation": "neyman",
        },
    )
    assert missing.status_code == 422 and "stddev" in missing.json()["detail"].lower()
