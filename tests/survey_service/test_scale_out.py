"""Scale-out: two `survey serve` processes on different ports, one PostgreSQL schema, one Redis.

(a) answers spread over both processes are each stored exactly once; (b) one single-use
invitation submitted on both processes at the same moment is used exactly once, and the other
phones get a clear refusal, never a 500; (c) the per-desk rate limit, counted in Redis, holds
across the processes. PostgreSQL and Redis only (skipped, or failed when required, as in
conftest.py).
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import redis
import sqlalchemy as sa

import questionnaires as qn
from survey_service import db
from survey_service.models import Unit
from survey_service.services import desks as desk_service
from survey_service.services import invitations as invitation_service
from tests import servers
from tests.factories import World, make_link, make_world, valid_answers

CITIZEN = qn.builtin_definition("citizen")
FIELDS = valid_answers(CITIZEN)
DESK_LIMIT = 8  # SURVEY_RATE_LIMIT_PER_DESK for both processes
LOAD_DESKS = 40  # (a) spreads its answers so no desk comes near the limit
LOAD_THREADS = 6
LOAD_PER_THREAD = 35  # 210 answers in all
INVITATION_THREADS = 6  # below DESK_LIMIT: the invitation's code is rate-limited too
USED_UP = "đã được sử dụng"  # "has already been used", in the Vietnamese refusal page


@dataclass(frozen=True)
class Cluster:
    url: str
    engine: sa.Engine
    redis: redis.Redis
    servers: tuple[servers.Server, servers.Server]
    world: World
    load_codes: tuple[str, ...]
    limited_code: str
    limited_desk_id: int
    invitation_code: str

    @property
    def ports(self) -> tuple[int, int]:
        return self.servers[0].port, self.servers[1].port


def _seed(engine: sa.Engine) -> tuple[World, list[str], tuple[str, int], str]:
    world = make_world(engine)
    make_link(engine, world.campaign_id, "citizen")  # pins every audience's questionnaire
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        desks = []
        for n in range(LOAD_DESKS + 1):
            desk = desk_service.create_desk(
                session=session, unit=unit, name_vi=f"Quầy {n}", name_en=f"Desk {n}"
            )
            code = desk_service.live_code(session=session, desk=desk)
            assert desk.id is not None and code is not None
            desks.append((code.code, desk.id))
        invitation = invitation_service.issue(
            session=session,
            campaign_id=world.campaign_id,
            audience="citizen",
            unit_id=world.unit_id,
            stratum="scale-out",
            design_weight=3.0,
        )
        return world, [code for code, _ in desks[1:]], desks[0], invitation.code


def _forget_redis_counters(client: redis.Redis, codes: set[str]) -> None:
    """Delete the rate counters of our forms only (other tests may share the Redis db)."""
    doomed = []
    for key in client.scan_iter(match="ratelimit:form-code:*", count=1000):
        parts = key.decode().split(":")  # ratelimit:form-code:{route}:{code}:{window}
        if len(parts) == 5 and parts[3] in codes:
            doomed.append(key)
    if doomed:
        client.delete(*doomed)


@pytest.fixture(scope="module")
def cluster(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two servers (one worker each) on one fresh PostgreSQL schema, rate limits in Redis."""
    root = tmp_path_factory.mktemp("scale_out")
    with servers.postgres_schema() as url:
        engine = db.make_engine(url)
        store = redis.Redis.from_url(redis_url, socket_timeout=10)
        world, load_codes, (limited_code, limited_desk_id), invitation_code = _seed(engine)
        extra = {
            "SURVEY_REDIS_URL": redis_url,
            "SURVEY_RATE_LIMIT_PER_DESK": str(DESK_LIMIT),
            "SURVEY_RATE_LIMIT_PER_ADDRESS": "0",  # every phone here is 127.0.0.1
        }
        started: list[servers.Server] = []
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:  # the two start-ups overlap
                futures = [
                    pool.submit(
                        servers.start_server,
                        root / name,
                        url,
                        workers=1,
                        extra_env=extra,
                        name=name,
                    )
                    for name in ("first", "second")
                ]
                failures = []
                for future in futures:
                    try:
                        started.append(future.result())
                    except Exception as exc:  # noqa: BLE001 - raised below, after both ended
                        failures.append(exc)
            if failures:
                raise failures[0]
            yield Cluster(
                url=url,
                engine=engine,
                redis=store,
                servers=(started[0], started[1]),
                world=world,
                load_codes=tuple(load_codes),
                limited_code=limited_code,
                limited_desk_id=limited_desk_id,
                invitation_code=invitation_code,
            )
        finally:
            for server in started:
                server.terminate()
            engine.dispose()
            _forget_redis_counters(store, {*load_codes, limited_code, invitation_code})
            store.close()


def _sid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def _rows(engine: sa.Engine, where: str, **params: object) -> list[sa.Row[tuple[int, str]]]:
    query = sa.text(f"SELECT id, client_submission_id FROM responses WHERE {where}")
    with engine.connect() as conn:
        return list(conn.execute(query, params))


def _run(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), f"{thread.name} is stuck"


def test_answers_spread_over_two_processes_are_stored_exactly_once(cluster: Cluster) -> None:
    acknowledged: dict[str, int] = {}  # sid -> port that acknowledged it
    refused: list[str] = []
    lock = threading.Lock()

    def phone(thread: int) -> None:
        clients = [servers.Client(port) for port in cluster.ports]
        try:
            for n in range(LOAD_PER_THREAD):
                client = clients[(thread + n) % 2]  # alternate between the processes
                code = cluster.load_codes[(thread * LOAD_PER_THREAD + n) % LOAD_DESKS]
                sid = _sid(f"out{thread}")
                try:
                    answer = client.post_form(f"/s/{code}", FIELDS | {"submission_id": sid})
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        refused.append(f"{sid} on {client.port}: {exc!r}")
                    continue
                with lock:
                    if answer.status == 303 and "/thanks" in answer.headers.get("location", ""):
                        acknowledged[sid] = client.port
                    else:
                        refused.append(f"{sid} on {client.port}: {answer.status} {answer.body}")
        finally:
            for client in clients:
                client.close()

    _run([threading.Thread(target=phone, args=(i,)) for i in range(LOAD_THREADS)])

    assert refused == [], f"answers refused or cut off (a 5xx is a bug): {refused[:5]}"
    assert len(acknowledged) == LOAD_THREADS * LOAD_PER_THREAD
    assert set(Counter(acknowledged.values())) == set(cluster.ports), "one process got nothing"
    rows = _rows(cluster.engine, "client_submission_id LIKE 'out%'")
    per_sid = Counter(sid for _, sid in rows)
    assert {sid: n for sid, n in per_sid.items() if n > 1} == {}, "answers stored twice"
    assert sorted(set(acknowledged) - set(per_sid)) == [], "acknowledged answers lost"
    assert sorted(set(per_sid) - set(acknowledged)) == [], "stored answers never acknowledged"
    assert len(rows) == len(acknowledged)


@dataclass(frozen=True)
class Attempt:
    sid: str
    port: int
    status: int
    location: str
    body: str


def test_one_invitation_submitted_on_both_processes_at_once_is_used_once(
    cluster: Cluster,
) -> None:
    code = cluster.invitation_code
    first, second = _sid("inv-a"), _sid("inv-b")
    # Two phones share each of the first two ids (a double tap reaching both processes), the
    # others are different people with the same letter.
    sids = [first, first, second, second] + [
        _sid(f"inv-{n}") for n in range(INVITATION_THREADS - 4)
    ]
    barrier = threading.Barrier(INVITATION_THREADS)
    attempts: list[Attempt] = []
    broken: list[str] = []
    lock = threading.Lock()

    def phone(n: int) -> None:
        port = cluster.ports[n % 2]
        client = servers.Client(port)
        try:
            client.connect()
            barrier.wait(timeout=60)
            answer = client.post_form(f"/i/{code}", FIELDS | {"submission_id": sids[n]})
            with lock:
                attempts.append(
                    Attempt(
                        sids[n],
                        port,
                        answer.status,
                        answer.headers.get("location", ""),
                        answer.body,
                    )
                )
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            with lock:
                broken.append(f"{sids[n]} on {port}: {exc!r}")
        finally:
            client.close()

    _run([threading.Thread(target=phone, args=(n,)) for n in range(INVITATION_THREADS)])

    assert broken == []
    assert len(attempts) == INVITATION_THREADS
    statuses = Counter(a.status for a in attempts)
    server_errors = [a for a in attempts if a.status >= 500]
    assert server_errors == [], f"500s when one invitation is used twice at once: {server_errors}"
    assert set(statuses) <= {303, 410}, f"unexpected answers: {statuses}"
    stored = _rows(cluster.engine, "channel = 'invitation' AND stratum = 'scale-out'")
    assert len(stored) == 1, f"the invitation was used {len(stored)} times: {stored}"
    winner = stored[0][1]
    thanked = {a.sid for a in attempts if a.status == 303}
    assert thanked == {winner}, f"thanked {thanked} but only {winner} was stored"
    refused_winner = [a for a in attempts if a.sid == winner and a.status != 303]
    assert refused_winner == [], "a double tap of the stored submission was refused"
    for attempt in attempts:
        if attempt.status == 303:
            assert attempt.location.startswith(f"/i/{code}/thanks")
        else:
            assert USED_UP in attempt.body, f"unclear refusal: {attempt.body[:500]}"
    with cluster.engine.connect() as conn:
        status, completed_at = conn.execute(
            sa.text("SELECT status, completed_at FROM invitations WHERE code = :code"),
            {"code": code},
        ).one()
    assert status == "completed" and completed_at is not None

    # Afterwards: the winner's retry is thanked, a newcomer is refused, nothing more is stored.
    for port in cluster.ports:
        client = servers.Client(port)
        try:
            retry = client.post_form(f"/i/{code}", FIELDS | {"submission_id": winner})
            late = client.post_form(f"/i/{code}", FIELDS | {"submission_id": _sid("inv-late")})
        finally:
            client.close()
        assert retry.status == 303
        assert late.status == 410 and USED_UP in late.body
    assert len(_rows(cluster.engine, "channel = 'invitation'")) == 1


def _wait_for_fresh_window(margin: float = 12.0) -> int:
    """Sleep into the next 60 s rate-limit window when this one ends within ``margin`` seconds;
    the current window's start."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)
    return int(time.time() // 60) * 60


def test_desk_rate_limit_holds_across_processes(cluster: Cluster) -> None:
    code, threads, per_thread = cluster.limited_code, 4, DESK_LIMIT // 2
    assert threads * per_thread == 2 * DESK_LIMIT
    answers: list[tuple[str, int, servers.Answer]] = []
    broken: list[str] = []
    lock = threading.Lock()

    def phone(thread: int) -> None:
        clients = [servers.Client(port) for port in cluster.ports]
        try:
            for n in range(per_thread):
                client = clients[(thread + n) % 2]
                sid = _sid("limited")
                try:
                    answer = client.post_form(f"/s/{code}", FIELDS | {"submission_id": sid})
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        broken.append(f"{sid}: {exc!r}")
                    continue
                with lock:
                    answers.append((sid, client.port, answer))
        finally:
            for client in clients:
                client.close()

    window = _wait_for_fresh_window()
    _run([threading.Thread(target=phone, args=(i,)) for i in range(threads)])
    assert int(time.time() // 60) * 60 == window, "the posts straddled two rate-limit windows"

    assert broken == []
    statuses = Counter(answer.status for _, _, answer in answers)
    assert statuses == {303: DESK_LIMIT, 429: DESK_LIMIT}, f"answers: {statuses}"
    for _, _, answer in answers:
        if answer.status == 429:
            retry_after = answer.headers.get("retry-after", "")
            assert retry_after.isdigit() and 1 <= int(retry_after) <= 60, retry_after
    assert {port for _, port, a in answers if a.status == 303} <= set(cluster.ports)
    accepted = {sid for sid, _, answer in answers if answer.status == 303}
    stored = _rows(cluster.engine, "desk_id = :desk", desk=cluster.limited_desk_id)
    assert {sid for _, sid in stored} == accepted
    # Counted once per post in Redis (shared by both processes), not in the database.
    counter = cluster.redis.get(f"ratelimit:form-code:s:{code}:{window}")
    assert counter is not None and int(counter) == 2 * DESK_LIMIT
    with cluster.engine.connect() as conn:
        in_db = conn.execute(
            sa.text("SELECT count(*) FROM rate_counters WHERE key LIKE :key"),
            {"key": f"%{code}%"},
        ).scalar_one()
    assert in_db == 0
