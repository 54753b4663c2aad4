"""Fixed-window rate limits, counted in the database or, when configured, in Redis.

Both backends share one interface, ``hit(key, limit, window_seconds) -> Decision``, and count in
the same place for every app process, so limits hold across processes and machines. Keys are
opaque: callers hash client addresses with ``clients.keyed_hash`` first, so no raw address is
ever stored.
"""

from __future__ import annotations

import abc
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from survey_service import errors
from survey_service.models import RateCounter
from survey_service.settings import Settings

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128  # rate_counters.key is VARCHAR(128)
MAX_WINDOW_SECONDS = 3600  # counters older than this are swept away, so no window may be longer
SWEEP_EVERY_SECONDS = 300

Clock = Callable[[], float]


@dataclass(frozen=True)
class Decision:
    """The outcome of one hit: allowed or not, the count so far, and the wait when refused."""

    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends when refused; 0 when allowed


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window_seconds: int) -> Decision: ...

    def used(self, key: str, window_seconds: int) -> int: ...


class _FixedWindow(abc.ABC):
    """The window arithmetic both backends share; subclasses only count."""

    def __init__(self, now: Clock) -> None:
        self._now = now

    def hit(self, key: str, limit: int, window_seconds: int) -> Decision:
        """Count one request for ``key``; refuse it once ``limit`` is passed within the window."""
        if limit <= 0:
            return Decision(allowed=True, count=0, retry_after=0)
        _validate(key, window_seconds)
        now = self._now()
        start = int(now // window_seconds) * window_seconds
        remaining = max(1, math.ceil(start + window_seconds - now))
        count = self._increment(key, start, remaining)
        if count <= limit:
            return Decision(allowed=True, count=count, retry_after=0)
        return Decision(allowed=False, count=count, retry_after=remaining)

    def used(self, key: str, window_seconds: int) -> int:
        """How many hits ``key`` has had in the current window (counting nothing)."""
        _validate(key, window_seconds)
        return self._read(key, int(self._now() // window_seconds) * window_seconds)

    @abc.abstractmethod
    def _increment(self, key: str, start: int, remaining: int) -> int:
        """Add one to the window's count and return the new count."""

    @abc.abstractmethod
    def _read(self, key: str, start: int) -> int:
        """The window's count."""


def _validate(key: str, window_seconds: int) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"rate-limit keys must have 1 to {MAX_KEY_LENGTH} characters")
    if not 1 <= window_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError(f"rate-limit windows must last 1 to {MAX_WINDOW_SECONDS} seconds")


_INSERTS: dict[str, Callable[[Any], Any]] = {
    "sqlite": sqlite.insert,
    "postgresql": postgresql.insert,
}


class DatabaseLimiter(_FixedWindow):
    """Counts in ``rate_counters`` with one atomic upsert per hit, in its own short transaction."""

    def __init__(self, engine: Engine, *, now: Clock = time.time) -> None:
        super().__init__(now)
        if engine.dialect.name not in _INSERTS:
            raise ValueError(f"no rate-limit upsert for the {engine.dialect.name} dialect")
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]
        self._next_sweep = 0.0

    def _increment(self, key: str, start: int, remaining: int) -> int:
        table = RateCounter.__table__  # type: ignore[attr-defined]
        statement = (
            self._insert(table)
            .values(key=key, window=start, count=1)
            .on_conflict_do_update(
                index_elements=[table.c.key, table.c.window],
                set_={"count": table.c.count + 1},
            )
            .returning(table.c.count)
        )
        # Its own transaction, apart from the request's: a refused request still counts, and the
        # row lock is held for one statement only.
        with self._engine.begin() as conn:
            count: int = conn.execute(statement).scalar_one()
        self._sweep()
        return count

    def _read(self, key: str, start: int) -> int:
        table = RateCounter.__table__  # type: ignore[attr-defined]
        query = sa.select(table.c.count).where(table.c.key == key, table.c.window == start)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def _sweep(self) -> None:
        """Now and then, delete windows that ended (every window starts < 1 hour before it ends)."""
        now = self._now()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_SECONDS  # first, so concurrent hits skip the sweep
        table = RateCounter.__table__  # type: ignore[attr-defined]
        try:
            with self._engine.begin() as conn:
                conn.execute(sa.delete(table).where(table.c.window < now - MAX_WINDOW_SECONDS))
        except sa.exc.SQLAlchemyError:
            # Housekeeping must not fail a request; the next sweep will catch up.
            log.warning("sweeping old rate counters failed", exc_info=True)


class RedisLimiter(_FixedWindow):
    """Counts in Redis: INCR and EXPIRE on ``{prefix}:{key}:{window}`` in one pipeline."""

    def __init__(self, url: str, *, prefix: str = "ratelimit", now: Clock = time.time) -> None:
        super().__init__(now)
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def _increment(self, key: str, start: int, remaining: int) -> int:
        name = f"{self._prefix}:{key}:{start}"
        pipe = self._redis.pipeline(transaction=True)
        pipe.incr(name)
        pipe.expire(name, remaining + 1)  # the counter outlives its window by a second, no more
        count, _ = pipe.execute()
        return int(count)

    def _read(self, key: str, start: int) -> int:
        value = self._redis.get(f"{self._prefix}:{key}:{start}")
        return int(value) if value is not None else 0  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the connection pool."""
        self._redis.close()


def make_limiter(settings: Settings, engine: Engine) -> DatabaseLimiter | RedisLimiter:
    """Redis when ``SURVEY_REDIS_URL`` is set, otherwise the database."""
    if settings.redis_url.strip():
        return RedisLimiter(settings.redis_url.strip())
    return DatabaseLimiter(engine)


def check(limiter: Limiter, key: str, limit: int, window_seconds: int) -> Decision:
    """Count one request; raise ``TooManyRequests`` (with ``retry_after``) when it is refused."""
    decision = limiter.hit(key, limit, window_seconds)
    if not decision.allowed:
        raise errors.TooManyRequests(
            "Có quá nhiều lượt gửi trong thời gian ngắn. Vui lòng thử lại sau ít phút.",
            message_en="Too many submissions in a short time. Please try again in a few minutes.",
            retry_after=decision.retry_after,
        )
    return decision
