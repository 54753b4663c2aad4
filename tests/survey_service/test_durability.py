"""Crash durability: SIGKILL `survey serve` (parent and every worker) while answers are in flight.

An answer is acknowledged (303 to the thanks page) only after its transaction committed, so
after a crash and a restart every acknowledged submission must be stored exactly once, whole,
with valid references and no leftover draft; the restarted server must take new answers, and
a phone retrying an answer (acknowledged or cut off by the crash) must not store it twice.
Runs on a SQLite file (WAL, synchronous=FULL) and on a fresh PostgreSQL schema.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import questionnaires as qn
from survey_service import db
from survey_service.models import Unit
from survey_service.services import desks as desk_service
from tests import servers
from tests.factories import World, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")
THREADS = 8
LOAD_SECONDS = 2.5  # load before the kill; short, the machine is shared
DESKS = 3
FIELDS = valid_answers(CITIZEN)


@dataclass(frozen=True)
class Seeded:
    world: World
    codes: tuple[str, ...]
    desk_ids: frozenset[int]


@dataclass
class Load:
    """What the clients saw: acknowledged, refused (status and body) and cut-off submissions."""

    acknowledged: set[str] = field(default_factory=set)
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    cut_off: set[str] = field(default_factory=set)  # connection broke by the kill: unknown fate
    errors_before_kill: list[str] = field(default_factory=list)
    in_flight: int = 0
    in_flight_at_kill: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _seed(url: str) -> Seeded:
    engine = db.make_engine(url)
    try:
        world = make_world(engine)
        codes, desk_ids = [world.code], {world.desk_id}
        with db.session_scope(engine) as session:
            unit = session.get(Unit, world.unit_id)
            assert unit is not None
            for n in range(2, DESKS + 1):
                desk = desk_service.create_desk(
                    session=session, unit=unit, name_vi=f"Quầy {n}", name_en=f"Desk {n}"
                )
                code = desk_service.live_code(session=session, desk=desk)
                assert desk.id is not None and code is not None
                codes.append(code.code)
                desk_ids.add(desk.id)
        return Seeded(world, tuple(codes), frozenset(desk_ids))
    finally:
        engine.dispose()


def _expected_answers() -> dict[str, Any]:
    """The stored answers FIELDS must give (cleaned as the form route cleans them), as JSON."""

    def getlist(name: str) -> list[str]:
        value = FIELDS.get(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]

    raw = qn.from_form(CITIZEN, getlist)
    clean = qn.validate_answers(CITIZEN, raw, {"unit_group": "district"})
    expected: dict[str, Any] = json.loads(json.dumps(clean))
    return expected


def _new_sid(thread: int, n: int) -> str:
    return f"dur-{thread}-{n}-{uuid.uuid4().hex[:16]}"


def _is_thanks(answer: servers.Answer, code: str) -> bool:
    return answer.status == 303 and answer.headers.get("location", "").startswith(
        f"/s/{code}/thanks"
    )


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated to head: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'survey.db'}"
        db.upgrade(url)
        yield url
        return
    with servers.postgres_schema() as url:
        yield url


def _client_loop(
    port: int,
    codes: tuple[str, ...],
    thread: int,
    load: Load,
    stop: threading.Event,
    killed: threading.Event,
) -> None:
    client = servers.Client(port, timeout=30)
    n = 0
    try:
        while not stop.is_set():
            n += 1
            sid, code = _new_sid(thread, n), codes[(thread + n) % len(codes)]
            with load.lock:
                load.in_flight += 1
            try:
                answer = client.post_form(f"/s/{code}", FIELDS | {"submission_id": sid})
            except (OSError, http.client.HTTPException) as exc:
                with load.lock:
                    load.in_flight -= 1
                    if killed.is_set():
                        load.cut_off.add(sid)
                    else:
                        load.errors_before_kill.append(f"{sid}: {exc!r}")
                if killed.is_set():
                    return
                continue
            with load.lock:
                load.in_flight -= 1
                if _is_thanks(answer, code):
                    load.acknowledged.add(sid)
                else:
                    load.refused[sid] = (answer.status, answer.body[:2000])
    finally:
        client.close()


def _run_until_killed(server: servers.Server, seeded: Seeded) -> Load:
    """THREADS phones posting new answers for LOAD_SECONDS, then SIGKILL of the whole server
    group while requests are in flight."""
    load, stop, killed = Load(), threading.Event(), threading.Event()
    threads = [
        threading.Thread(
            target=_client_loop,
            args=(server.port, seeded.codes, i, load, stop, killed),
            name=f"phone-{i}",
            daemon=True,
        )
        for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    time.sleep(LOAD_SECONDS)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # kill while some request is surely in flight
        with load.lock:
            if load.in_flight >= 2:
                load.in_flight_at_kill = load.in_flight
                killed.set()
                break
        time.sleep(0.001)
    else:
        killed.set()
    assert server.members(), "the server group died before the kill"
    server.kill()
    assert server.members() == [], "a process of the killed server group survived"
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), f"{thread.name} is stuck after the kill"
    return load


def _stored(engine: sa.Engine) -> list[sa.Row[Any]]:
    query = sa.text(
        "SELECT id, client_submission_id, campaign_id, questionnaire_version_id, unit_id, "
        "desk_id, channel, CAST(answers AS TEXT) AS answers_text FROM responses"
    )
    with engine.connect() as conn:
        return list(conn.execute(query))


def _count(engine: sa.Engine, sid: str) -> int:
    query = sa.text("SELECT count(*) FROM responses WHERE client_submission_id = :sid")
    with engine.connect() as conn:
        return int(conn.execute(query, {"sid": sid}).scalar_one())


ORPHANS = {
    "campaign": "SELECT count(*) FROM responses r LEFT JOIN campaigns c ON c.id = r.campaign_id "
    "WHERE c.id IS NULL",
    "version": "SELECT count(*) FROM responses r LEFT JOIN questionnaire_versions v "
    "ON v.id = r.questionnaire_version_id WHERE v.id IS NULL",
    "unit": "SELECT count(*) FROM responses r LEFT JOIN units u ON u.id = r.unit_id "
    "WHERE u.id IS NULL",
    "desk": "SELECT count(*) FROM responses r LEFT JOIN desks d ON d.id = r.desk_id "
    "WHERE r.desk_id IS NOT NULL AND d.id IS NULL",
}


def _check_integrity(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
            assert list(conn.execute(sa.text("PRAGMA foreign_key_check"))) == []
        orphans = {name: int(conn.execute(sa.text(q)).scalar_one()) for name, q in ORPHANS.items()}
    assert orphans == dict.fromkeys(ORPHANS, 0), f"responses with broken references: {orphans}"


def test_acknowledged_answers_survive_sigkill_of_every_worker(
    database: str, tmp_path: Path
) -> None:
    seeded = _seed(database)
    expected = _expected_answers()
    server = servers.start_server(tmp_path / "serve", database, workers=2, name="crashed")
    restarted: servers.Server | None = None
    engine = db.make_engine(database)
    try:
        assert len(server.members()) >= 3, "expected a parent and two workers"
        load = _run_until_killed(server, seeded)

        # What the phones saw: answers acknowledged, none refused, requests cut off by the kill.
        assert load.errors_before_kill == [], "connections broke before the kill"
        refused = "; ".join(f"{sid}: {st} {body[:300]}" for sid, (st, body) in load.refused.items())
        assert load.refused == {}, f"valid answers refused under load (a 5xx is a bug): {refused}"
        assert len(load.acknowledged) > 0, "no answer was acknowledged before the kill"
        assert load.in_flight_at_kill > 0, "the kill did not catch requests in flight"
        assert load.cut_off, "no request was cut off by the kill"

        # What the database holds after the crash (before any restart).
        _check_integrity(engine)
        rows = _stored(engine)
        per_sid = Counter(row.client_submission_id for row in rows)
        duplicates = {sid: n for sid, n in per_sid.items() if n > 1}
        lost = sorted(sid for sid in load.acknowledged if per_sid[sid] == 0)
        stored = set(per_sid)
        assert duplicates == {}, f"answers stored more than once: {duplicates}"
        assert lost == [], f"{len(lost)} acknowledged answers lost in the crash: {lost[:10]}"
        assert len(rows) >= len(load.acknowledged)
        unexpected = stored - load.acknowledged - load.cut_off
        assert unexpected == set(), f"stored answers nobody sent or that were refused: {unexpected}"
        print(  # shown with `pytest -s`; bench/README.md records a run
            f"\ndurability[{engine.dialect.name}]: {len(load.acknowledged)} acknowledged, "
            f"{load.in_flight_at_kill} in flight at the kill, {len(load.cut_off)} cut off, "
            f"{len(rows)} stored after the crash, {len(lost)} lost, {len(duplicates)} duplicated"
        )
        for row in rows:
            assert json.loads(row.answers_text) == expected, f"half-stored answers in {row.id}"
            assert (row.campaign_id, row.questionnaire_version_id, row.unit_id) == (
                seeded.world.campaign_id,
                seeded.world.version_id,
                seeded.world.unit_id,
            )
            assert row.desk_id in seeded.desk_ids and row.channel == "desk_qr"
        with engine.connect() as conn:
            drafts = {r[0] for r in conn.execute(sa.text("SELECT submission_id FROM drafts"))}
        assert drafts & stored == set(), "drafts left behind for stored answers"
        # Each answer here starts and discards its draft in the one transaction that stores it,
        # so a crash leaves no draft at all (one would mean a transaction was half-committed).
        assert drafts == set(), f"{len(drafts)} drafts left behind by the crash"

        # The restarted server takes new answers and stores none twice (one worker is enough
        # here, and each worker costs seconds of CPU to import the app).
        restarted = servers.restart(server, workers=1)
        phone = servers.Client(restarted.port)
        try:
            code = seeded.codes[0]
            fresh = _new_sid(99, 0)
            answer = phone.post_form(f"/s/{code}", FIELDS | {"submission_id": fresh})
            assert _is_thanks(answer, code), f"new answer after restart: {answer.status}"
            assert _count(engine, fresh) == 1
            retried = sorted(load.acknowledged)[:3] + sorted(load.cut_off)[:3]
            for sid in retried:  # phones retrying: acknowledged ones and ones cut off mid-flight
                answer = phone.post_form(f"/s/{code}", FIELDS | {"submission_id": sid})
                assert _is_thanks(answer, code), f"retry of {sid}: {answer.status} {answer.body}"
                assert _count(engine, sid) == 1, f"retry of {sid} stored it twice"
        finally:
            phone.close()
        newly_stored = 1 + sum(1 for sid in retried if sid not in stored)
        assert len(_stored(engine)) == len(rows) + newly_stored
        _check_integrity(engine)
    finally:
        engine.dispose()
        for running in (server, restarted):
            if running is not None:
                running.terminate()
