"""Single-use invitations: the form, exactly one completion, stratum and weight on the answer."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import db
from survey_service.models import Invitation, InvitationStatus, Response
from survey_service.services import invitations as invitation_service
from tests.factories import (
    hidden_fields,
    make_link,
    make_world,
    valid_answers,
    walk_pages,
)

CITIZEN = qn.builtin_definition("citizen")
OFFICIAL = qn.builtin_definition("official")


def _invite(engine: Engine, world, audience: str = "citizen") -> str:
    make_link(engine, world.campaign_id, audience)  # pins every audience's questionnaire
    with db.session_scope(engine) as session:
        invitation = invitation_service.issue(
            session=session,
            campaign_id=world.campaign_id,
            audience=audience,
            unit_id=world.unit_id,
            stratum="Q1|land",
            design_weight=12.5,
        )
        return invitation.code


def _status(engine: Engine) -> Invitation:
    with Session(engine) as session:
        return session.exec(select(Invitation)).one()


def _responses(engine: Engine) -> list[Response]:
    with Session(engine) as session:
        return list(session.exec(select(Response)))


def test_codes_have_at_least_64_bits() -> None:
    code = invitation_service.generate_code()
    assert len(code) == 14 and 29**14 > 2**64


def test_an_invitation_is_answered_once_with_its_stratum_and_weight(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    code = _invite(engine, world)
    page = client.get(f"/i/{code}")
    assert page.status_code == 200 and "Quận 1" in page.text
    assert _status(engine).status == InvitationStatus.OPENED
    fields = hidden_fields(page.text) | valid_answers(CITIZEN) | {"action": "submit"}
    done = client.post(f"/i/{code}", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith(f"/i/{code}/thanks")
    invitation = _status(engine)
    assert invitation.status == InvitationStatus.COMPLETED and invitation.completed_at
    [stored] = _responses(engine)
    assert (stored.channel, stored.stratum, stored.design_weight) == ("invitation", "Q1|land", 12.5)
    assert stored.unit_id == world.unit_id
    again = client.get(f"/i/{code}")
    assert again.status_code == 410 and "đã được sử dụng" in again.text
    retry = client.post(f"/i/{code}", data=fields, follow_redirects=False)
    assert retry.status_code == 303  # the same submission again: thanks, not an error
    assert len(_responses(engine)) == 1


def test_two_phones_with_one_code_store_one_answer(client: TestClient, engine: Engine) -> None:
    world = make_world(engine)
    code = _invite(engine, world)
    pages = [TestClient(client.app).get(f"/i/{code}").text for _ in range(2)]
    statuses: list[int] = []

    def submit(page: str) -> None:
        fields = hidden_fields(page) | valid_answers(CITIZEN) | {"action": "submit"}
        phone = TestClient(client.app)
        statuses.append(phone.post(f"/i/{code}", data=fields, follow_redirects=False).status_code)

    threads = [threading.Thread(target=submit, args=(page,)) for page in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303, 410]
    assert len(_responses(engine)) == 1


def test_a_double_tap_that_loses_the_race_is_thanked_not_refused(
    client: TestClient, engine: Engine, monkeypatch
) -> None:
    """Two app processes get the same submission at once: the one that finds the invitation
    used up by its twin looks again and thanks, because its own answer is the one stored."""
    from survey_service.services import responses as response_service

    world = make_world(engine)
    code = _invite(engine, world)
    fields = hidden_fields(client.get(f"/i/{code}").text) | valid_answers(CITIZEN)
    fields["action"] = "submit"
    assert client.post(f"/i/{code}", data=fields, follow_redirects=False).status_code == 303
    real = response_service.find_submitted
    looks: list[str] = []

    def late_first_look(*, session, client_submission_id):  # the twin had not committed yet
        looks.append(client_submission_id)
        return (
            None
            if len(looks) == 1
            else real(session=session, client_submission_id=client_submission_id)
        )

    monkeypatch.setattr(response_service, "find_submitted", late_first_look)
    twin = client.post(f"/i/{code}", data=fields, follow_redirects=False)
    assert twin.status_code == 303 and twin.headers["location"].startswith(f"/i/{code}/thanks")
    assert looks == [fields["submission_id"]] * 2
    other = dict(fields, submission_id="another-phone-000000001")
    looks.clear()
    refused = client.post(f"/i/{code}", data=other, follow_redirects=False)
    assert refused.status_code == 410 and "đã được sử dụng" in refused.text
    assert len(_responses(engine)) == 1


def test_unknown_codes_are_404(client: TestClient, engine: Engine) -> None:
    make_world(engine)
    assert client.get("/i/ABCDEFGHJKMNPQ").status_code == 404
    assert client.get("/i/short").status_code == 404


def test_an_officials_invitation_keeps_no_completion_time(
    client: TestClient, engine: Engine
) -> None:
    world = make_world(engine)
    code = _invite(engine, world, "official")
    walk_pages(client, f"/i/{code}", OFFICIAL, client.get(f"/i/{code}").text)
    invitation = _status(engine)
    assert invitation.status == InvitationStatus.COMPLETED and invitation.completed_at is None
    [stored] = _responses(engine)
    assert stored.client_hash is None and stored.submitted_at.hour == 0
