"""The response service: exactly once under concurrency, nothing stored on invalid answers."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service import db, errors
from survey_service.models import Campaign, Channel, QuestionnaireVersion, Response
from survey_service.services import responses as response_service
from tests.factories import make_world

CITIZEN = qn.builtin_definition("citizen")
ANSWERS = {i.id: 4 for i in CITIZEN.items if i.required and i.type is qn.ItemType.SCALE5} | {
    "trips": 2,
    "informal_payment": "no",
    "feedback_given": "no",
}


def _submission(session: Session, world) -> response_service.Submission:
    return response_service.Submission(
        campaign=session.get(Campaign, world.campaign_id),
        version=session.get(QuestionnaireVersion, world.version_id),
        unit_id=world.unit_id,
        desk_id=world.desk_id,
        channel=Channel.DESK_QR,
    )


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Response)).one())


def test_concurrent_repeats_of_one_submission_store_one_row(engine: Engine) -> None:
    world = make_world(engine)
    results: list[response_service.Stored] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(8)

    def submit() -> None:
        try:
            barrier.wait()
            with db.session_scope(engine) as session:
                stored = response_service.submit(
                    session=session,
                    submission=_submission(session, world),
                    client_submission_id="same-phone-same-tap-0001",
                    raw=ANSWERS,
                )
            results.append(stored)
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _count(engine) == 1
    assert sum(r.created for r in results) == 1
    assert len({r.response_id for r in results}) == 1


def test_invalid_answers_store_nothing(engine: Engine) -> None:
    world = make_world(engine)
    with pytest.raises(qn.AnswersInvalid), db.session_scope(engine) as session:
        response_service.submit(
            session=session,
            submission=_submission(session, world),
            client_submission_id="invalid-answers-00001",
            raw=ANSWERS | {"overall_satisfaction": 9},
        )
    assert _count(engine) == 0


@pytest.mark.parametrize("sid", [None, "", "short", "has spaces in it here", "x" * 65])
def test_malformed_submission_ids_are_refused(engine: Engine, sid: str | None) -> None:
    world = make_world(engine)
    with pytest.raises(errors.InvalidInput), db.session_scope(engine) as session:
        response_service.submit(
            session=session,
            submission=_submission(session, world),
            client_submission_id=sid,  # type: ignore[arg-type]
            raw=ANSWERS,
        )
    assert _count(engine) == 0
