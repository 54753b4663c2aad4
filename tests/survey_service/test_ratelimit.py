"""Fixed-window rate limits: the same scenarios on SQLite, PostgreSQL and Redis.

``SURVEY_TEST_REDIS_URL`` turns the Redis runs on; ``SURVEY_REQUIRE_REDIS=1`` makes a missing or
unreachable Redis a failure instead of a skip. Redis keys get a random prefix and are deleted.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from survey_service import errors, ratelimit
from survey_service.models import RateCounter
from survey_service.settings import Settings

REDIS_URL = os.environ.get("SURVEY_TEST_REDIS_URL", "")
REQUIRE_REDIS = os.environ.get("SURVEY_REQUIRE_REDIS") == "1"

KEY = "addr:" + "ab" * 32  # shaped like a keyed hash, as callers pass them
START = 1_800_000_000  # a window boundary for 60 s windows (divisible by 60)


class Clock:
    """A settable clock for the limiters' ``now``."""

    def __init__(self, t: float = START + 15.5) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


Make = Callable[[Clock], ratelimit.Limiter]


# --- scenarios, each run against every backend ------------------------------------------------


def refuses_over_the_limit_with_retry_after_within_the_window(make: Make) -> None:
    limiter = make(Clock())
    decisions = [limiter.hit(KEY, 3, 60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4]
    assert decisions[0].retry_after == 0
    assert decisions[3].retry_after == 45  # the window ends 44.5 s later, rounded up


def allows_again_in_the_next_window(make: Make) -> None:
    clock = Clock()
    limiter = make(clock)
    for _ in range(3):
        limiter.hit(KEY, 2, 60)
    refused = limiter.hit(KEY, 2, 60)
    assert not refused.allowed
    clock.t += refused.retry_after
    assert limiter.hit(KEY, 2, 60) == ratelimit.Decision(allowed=True, count=1, retry_after=0)


def retry_after_is_at_least_one_second(make: Make) -> None:
    limiter = make(Clock(START + 59.9))
    limiter.hit(KEY, 1, 60)
    assert limiter.hit(KEY, 1, 60).retry_after == 1


def limit_zero_is_unlimited_and_stores_nothing(make: Make) -> None:
    limiter = make(Clock())
    for limit in (0, -1):
        for _ in range(500):
            assert limiter.hit(KEY, limit, 60) == ratelimit.Decision(True, 0, 0)
    assert limiter.hit(KEY, 1, 60) == ratelimit.Decision(True, 1, 0)


def counts_keys_apart(make: Make) -> None:
    limiter = make(Clock())
    limiter.hit("desk:1", 1, 60)
    assert not limiter.hit("desk:1", 1, 60).allowed
    assert limiter.hit("desk:2", 1, 60).allowed


def two_instances_share_counts(make: Make) -> None:
    clock = Clock()
    first, second = make(clock), make(clock)
    assert first.hit(KEY, 3, 60).count == 1
    assert second.hit(KEY, 3, 60).count == 2
    assert first.hit(KEY, 3, 60).count == 3
    assert not second.hit(KEY, 3, 60).allowed


def concurrent_hits_count_exactly(make: Make) -> None:
    threads, per_thread = 8, 25
    limiter = make(Clock())
    barrier = threading.Barrier(threads)
    counts: list[int] = []
    failures: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            counts.extend(limiter.hit(KEY, 10_000, 60).count for _ in range(per_thread))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    # Each hit saw its own count: no update was lost and none was read twice.
    assert sorted(counts) == list(range(1, threads * per_thread + 1))


def check_raises_too_many_requests_with_retry_after(make: Make) -> None:
    limiter = make(Clock())
    assert ratelimit.check(limiter, KEY, 1, 60).allowed
    with pytest.raises(errors.TooManyRequests) as caught:
        ratelimit.check(limiter, KEY, 1, 60)
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 45
    assert caught.value.text("vi") == (
        "Có quá nhiều lượt gửi trong thời gian ngắn. Vui lòng thử lại sau ít phút."
    )
    assert caught.value.text("en") == (
        "Too many submissions in a short time. Please try again in a few minutes."
    )


SCENARIOS = [
    refuses_over_the_limit_with_retry_after_within_the_window,
    allows_again_in_the_next_window,
    retry_after_is_at_least_one_second,
    limit_zero_is_unlimited_and_stores_nothing,
    counts_keys_apart,
    two_instances_share_counts,
    concurrent_hits_count_exactly,
    check_raises_too_many_requests_with_retry_after,
]
SCENARIO_IDS = [scenario.__name__ for scenario in SCENARIOS]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_database_limiter(engine: Engine, scenario: Callable[[Make], None]) -> None:
    scenario(lambda clock: ratelimit.DatabaseLimiter(engine, now=clock))


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A random key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"test-ratelimit-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def make_redis(redis_url: str, redis_prefix: str) -> Iterator[Make]:
    """Makes Redis limiters under the test's prefix (several share one Redis, like processes)."""
    made: list[ratelimit.RedisLimiter] = []

    def make(clock: Clock) -> ratelimit.Limiter:
        made.append(ratelimit.RedisLimiter(redis_url, prefix=redis_prefix, now=clock))
        return made[-1]

    yield make
    for limiter in made:
        limiter.close()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=SCENARIO_IDS)
def test_redis_limiter(make_redis: Make, scenario: Callable[[Make], None]) -> None:
    scenario(make_redis)


# --- backend details ----------------------------------------------------------------------------


def counter_rows(engine: Engine) -> list[tuple[str, int, int]]:
    table = RateCounter.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.key, table.c.window, table.c.count))
        return sorted((row.key, row.window, row.count) for row in rows)


def test_database_counts_live_in_rate_counters_by_window_start(engine: Engine) -> None:
    limiter = ratelimit.DatabaseLimiter(engine, now=Clock(START + 615.5))
    limiter.hit(KEY, 5, 60)
    limiter.hit(KEY, 5, 60)
    limiter.hit("desk:7", 5, 900)
    assert counter_rows(engine) == [(KEY, START + 600, 2), ("desk:7", START, 1)]


def test_database_sweeps_windows_older_than_an_hour(engine: Engine) -> None:
    clock = Clock()
    limiter = ratelimit.DatabaseLimiter(engine, now=clock)
    limiter.hit("old", 5, 60)
    clock.t += 1800
    limiter.hit("recent", 5, 60)
    clock.t += 1800 + 60
    limiter.hit("new", 5, 60)
    assert [row[0] for row in counter_rows(engine)] == ["new", "recent"]


def test_redis_keys_expire_when_their_window_ends(redis_url: str, redis_prefix: str) -> None:
    limiter = ratelimit.RedisLimiter(redis_url, prefix=redis_prefix, now=Clock())
    limiter.hit(KEY, 5, 60)
    limiter.close()
    client = redis.Redis.from_url(redis_url)
    name = f"{redis_prefix}:{KEY}:{START}"
    assert client.get(name) == b"1"
    assert 40 <= client.ttl(name) <= 46
    client.close()


@pytest.mark.parametrize(("key", "window"), [("", 60), ("k" * 129, 60), (KEY, 0), (KEY, 3601)])
def test_bad_keys_and_windows_are_refused(key: str, window: int) -> None:
    limiter = ratelimit.DatabaseLimiter(sa.create_engine("sqlite://"), now=Clock())
    with pytest.raises(ValueError, match="rate-limit"):
        limiter.hit(key, 5, window)


def test_make_limiter_picks_redis_when_configured() -> None:
    engine = sa.create_engine("sqlite://")
    settings = Settings(secret_key="x", redis_url="redis://127.0.0.1:6379/0")
    limiter = ratelimit.make_limiter(settings, engine)
    assert isinstance(limiter, ratelimit.RedisLimiter)
    limiter.close()
    assert isinstance(
        ratelimit.make_limiter(Settings(secret_key="x"), engine), ratelimit.DatabaseLimiter
    )


def test_too_many_requests_carries_retry_after_and_its_messages() -> None:
    error = errors.TooManyRequests("Chậm lại.", message_en="Slow down.", retry_after=17)
    assert (error.status_code, error.code, error.title_key) == (
        429,
        "too_many_requests",
        "error.too_many_requests",
    )
    assert (error.retry_after, error.text("vi"), error.text("en")) == (
        17,
        "Chậm lại.",
        "Slow down.",
    )
    assert isinstance(error, errors.DomainError)


def test_new_settings_read_their_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("SURVEY_RATE_LIMIT_PER_ADDRESS", "0")
    monkeypatch.setenv("SURVEY_RATE_LIMIT_PER_DESK", "12")
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "10.0.0.0/8")
    settings = Settings()
    assert settings.redis_url == "redis://cache:6379/1"
    assert (settings.rate_limit_per_address, settings.rate_limit_per_desk) == (0, 12)
    assert settings.trusted_proxies == "10.0.0.0/8"
    defaults = Settings.model_fields
    assert defaults["client_hash_days"].default == 30
    assert defaults["login_attempts_per_account"].default == 5
    assert defaults["login_attempts_per_address"].default == 20
