"""Group commit: many submissions a transaction, each acknowledged after the COMMIT that holds
it, stored once, flagged as if stored one by one, and a bad row failing alone."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import db
from survey_service.models import Campaign, Channel, QuestionnaireVersion, Response
from survey_service.services import quality
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service
from survey_service.submission_writer import SubmissionWriter
from tests.factories import World, make_world

CITIZEN = qn.builtin_definition("citizen")
ANSWERS = {i.id: 4 for i in CITIZEN.items if i.required and i.type is qn.ItemType.SCALE5} | {
    "trips": 2,
    "informal_payment": "no",
    "feedback_given": "no",
}


def _prepared(
    engine: Engine, world: World, sid: str, browser: str | None = None, unit_id: int = 0
) -> response_service.Prepared:
    with Session(engine, expire_on_commit=False) as session:
        submission = response_service.Submission(
            campaign=session.get(Campaign, world.campaign_id),  # type: ignore[arg-type]
            version=session.get(QuestionnaireVersion, world.version_id),  # type: ignore[arg-type]
            unit_id=unit_id or world.unit_id,
            desk_id=world.desk_id,
            channel=Channel.DESK_QR,
            browser_hash=browser,
        )
        return response_service.prepare(submission, sid, CITIZEN, dict(ANSWERS))


def _rows(engine: Engine, world: World) -> list[Response]:
    with Session(engine) as session:
        query = select(Response).where(Response.desk_id == world.desk_id).order_by(Response.id)
        return list(session.exec(query))


def test_a_batch_is_flagged_as_if_stored_one_by_one(engine: Engine) -> None:
    together, apart = make_world(engine), make_world(engine, unit_code="Q2")
    n = quality.BURST_MIN + 2
    batch = [_prepared(engine, together, f"together-{i:04d}-abcdef") for i in range(n)]
    with db.session_scope(engine) as session:
        response_service.store(session=session, batch=batch)
    for i in range(n):
        with db.session_scope(engine) as session:
            one = _prepared(engine, apart, f"apart-{i:04d}-abcdefgh")
            response_service.store(session=session, batch=[one])
    bursts = [quality.DESK_BURST in r.flags for r in _rows(engine, together)]
    # the tenth answer in ten minutes at a desk with no history is a burst, and all after it
    assert bursts == [False] * (quality.BURST_MIN - 1) + [True] * 3
    assert [r.flags for r in _rows(engine, together)] == [r.flags for r in _rows(engine, apart)]


def test_a_browser_seen_earlier_in_the_batch_is_a_repeat(engine: Engine) -> None:
    world = make_world(engine)
    batch = [
        _prepared(engine, world, "browser-one-0001-abc", browser="a" * 64),
        _prepared(engine, world, "browser-two-0001-abc", browser="b" * 64),
        _prepared(engine, world, "browser-one-0002-abc", browser="a" * 64),
    ]
    with db.session_scope(engine) as session:
        response_service.store(session=session, batch=batch)
    with db.session_scope(engine) as session:  # and one stored before, in another transaction
        response_service.store(
            session=session,
            batch=[_prepared(engine, world, "browser-two-0002-abc", browser="b" * 64)],
        )
    repeats = [quality.REPEAT_BROWSER in r.flags for r in _rows(engine, world)]
    assert repeats == [False, False, True, True]


def test_repeats_in_and_before_a_batch_store_nothing(engine: Engine) -> None:
    world = make_world(engine)
    with db.session_scope(engine) as session:
        [first] = response_service.store(
            session=session, batch=[_prepared(engine, world, "stored-before-0001")]
        )
    batch = [
        _prepared(engine, world, "double-tap-0001-abc"),
        _prepared(engine, world, "stored-before-0001"),
        _prepared(engine, world, "double-tap-0001-abc"),
    ]
    with db.session_scope(engine) as session:
        results = response_service.store(session=session, batch=batch)
    assert [r.created for r in results] == [True, False, False]
    assert results[1].response_id == first.response_id
    assert results[0].response_id == results[2].response_id != first.response_id
    assert len(_rows(engine, world)) == 2


def test_concurrent_submissions_share_transactions_and_each_gets_its_row(engine: Engine) -> None:
    world = make_world(engine)
    writer = SubmissionWriter(engine)
    prepared = [_prepared(engine, world, f"concurrent-{i:04d}-abcdef") for i in range(60)]

    async def all_at_once() -> list[response_service.Stored]:
        return await asyncio.gather(*(writer.store(p) for p in prepared))

    results = asyncio.run(all_at_once())
    rows = {r.client_submission_id: r.id for r in _rows(engine, world)}
    assert len(rows) == 60
    assert [rows[p.client_submission_id] for p in prepared] == [r.response_id for r in results]
    assert all(r.created for r in results)
    assert 1 <= writer.batches < 60  # the first alone, then the rest gathered while it wrote


def test_a_bad_row_fails_alone(engine: Engine) -> None:
    world = make_world(engine)
    writer = SubmissionWriter(engine)
    good = [_prepared(engine, world, f"good-row-{i:04d}-abcdef") for i in range(5)]
    bad = _prepared(engine, world, "bad-row-unit-gone-0001", unit_id=2_000_000)  # no such unit
    # the good ones and the bad one in one batch (queued behind a first submission)
    batch = [good[0], bad, *good[1:]]

    async def all_at_once() -> list[response_service.Stored | BaseException]:
        return await asyncio.gather(*(writer.store(p) for p in batch), return_exceptions=True)

    results = asyncio.run(all_at_once())
    assert isinstance(results[1], Exception)  # the foreign key refused it
    assert all(
        isinstance(r, response_service.Stored) and r.created for r in results[:1] + results[2:]
    )
    stored = {r.client_submission_id for r in _rows(engine, world)}
    assert stored == {p.client_submission_id for p in good}


def test_officials_rows_keep_the_day_only(engine: Engine) -> None:
    world = make_world(engine)
    official = qn.builtin_definition("official")
    with db.session_scope(engine) as session:
        version = questionnaire_service.ensure_version(session=session, questionnaire=official)
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        submission = response_service.Submission(
            campaign=campaign,
            version=version,
            unit_id=world.unit_id,
            desk_id=None,
            channel=Channel.INVITATION,
            browser_hash="c" * 64,
            client_hash="d" * 64,
        )
        prepared = response_service.prepare(submission, "official-answer-0001", official, {})
        assert dataclasses.asdict(prepared.signals)["browser_hash"] is None
        [stored] = response_service.store(session=session, batch=[prepared])
        row = session.get(Response, stored.response_id)
        assert row is not None
        assert row.browser_hash is None and row.client_hash is None and row.started_at is None
        assert (row.submitted_at.hour, row.submitted_at.minute, row.submitted_at.second) == (
            0,
            0,
            0,
        )


@pytest.mark.parametrize("size", [1, 3])
def test_the_writer_commits_before_it_answers(engine: Engine, size: int) -> None:
    """What a waiter is told is stored can be read by another connection at once."""
    world = make_world(engine)
    writer = SubmissionWriter(engine)
    prepared = [_prepared(engine, world, f"visible-{size}-{i:04d}-abcdef") for i in range(size)]

    async def one_by_one() -> list[int]:
        seen = []
        for p in prepared:
            await writer.store(p)
            seen.append(len(_rows(engine, world)))
        return seen

    assert asyncio.run(one_by_one()) == list(range(1, size + 1))


def _copies(engine: Engine, world: World, tag: str, ages: list[dt.timedelta]) -> None:
    """Stored answers at ``world``'s desk, one per age (how long before now it was given)."""
    with db.session_scope(engine) as session:
        response_service.store(session=session, batch=[_prepared(engine, world, f"{tag}-seed-x")])
    table = Response.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        seed = session.exec(
            select(Response).where(Response.client_submission_id == f"{tag}-seed-x")
        ).one()
        row = {c.name: getattr(seed, c.name) for c in table.columns if c.name != "id"}
        now = dt.datetime.now(dt.UTC)
        rows = [
            row | {"client_submission_id": f"{tag}-{i:06d}-copy", "submitted_at": now - age}
            for i, age in enumerate(ages)
        ]
        session.execute(sa.delete(table).where(table.c.id == seed.id))
        session.execute(sa.insert(table), rows)
        session.commit()


def test_burst_counts_stop_where_the_decision_is_made(engine: Engine) -> None:
    """The window's answers are counted only up to the threshold, with the same flags as
    counting them all: a quiet desk, one flooded with no history, and one busy all week (its
    usual rate sets a threshold above BURST_MIN)."""
    quiet, flooded = make_world(engine), make_world(engine, unit_code="Q2")
    busy = make_world(engine, unit_code="Q3")
    minute = dt.timedelta(minutes=1)
    _copies(engine, quiet, "quiet", [minute * 2] * 3)
    _copies(engine, flooded, "flood", [minute * 3] * 400)
    # 3,000 answers over the week: a usual 10 minutes holds 3000/1008 of them; times 5 = 14.9
    _copies(engine, busy, "busyweek", [dt.timedelta(days=1 + i % 5) for i in range(3_000)])
    _copies(engine, busy, "busynow", [minute * 4] * 12)
    now = dt.datetime.now(dt.UTC)
    desks = [quiet.desk_id, busy.desk_id, flooded.desk_id, busy.desk_id, quiet.desk_id]
    desks += [busy.desk_id, None]
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    with Session(engine) as session:
        flags = quality._desk_bursts(session, desks, now)
        capped = quality._capped_counts(
            session, {quiet.desk_id: 10, flooded.desk_id: 10, busy.desk_id: 15}, now - 10 * minute
        )
    # busy: 12 in the window, so its answers in the batch are the 13th, 14th and 15th: only the
    # 15th reaches 14.9; flooded: 401st; quiet: 4th and 5th
    assert flags == [False, False, True, False, False, True, False]
    assert capped == {quiet.desk_id: 3, flooded.desk_id: 10, busy.desk_id: 12}
    counting = [q for q in seen if "count(" in q.lower() and "LIMIT" in q.upper()]
    assert len(counting) == 3  # BURST_MIN for all, the busy desk's own threshold, the check
