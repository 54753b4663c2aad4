"""Response-quality flags: signs that an answer may not be a real respondent's own.

Flags never block a submission (every acknowledged answer is kept); coordinators see them and
may exclude flagged responses, and the analysis records which exclusion policy it used.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import Response

TOO_FAST = "too_fast"
STRAIGHT_LINING = "straight_lining"
DESK_BURST = "desk_burst"
REPEAT_BROWSER = "repeat_browser"
HONEYPOT = "honeypot"
FLAGS = (TOO_FAST, STRAIGHT_LINING, DESK_BURST, REPEAT_BROWSER, HONEYPOT)

SECONDS_PER_ANSWER = 1.5  # reading and tapping one question takes longer than this
STRAIGHT_LINE_MIN_ITEMS = 8  # identical answers to this many scale questions or more
BURST_WINDOW = dt.timedelta(minutes=10)
BURST_MIN = 10  # at least this many answers from one desk in ten minutes …
BURST_FACTOR = 5  # … and this many times the desk's usual ten-minute rate over 7 days
REPEAT_WINDOW = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Signals:
    """What is known about one submission when it arrives."""

    campaign_id: int
    desk_id: int | None
    started_at: dt.datetime | None
    browser_hash: str | None
    honeypot: bool


def _too_fast(answers: Mapping[str, Any], started_at: dt.datetime | None, now: dt.datetime) -> bool:
    if started_at is None:
        return False
    return (now - started_at).total_seconds() < SECONDS_PER_ANSWER * max(1, len(answers))


def _straight_lining(q: qn.Questionnaire, answers: Mapping[str, Any]) -> bool:
    scale = [answers[i.id] for i in q.items if i.type is qn.ItemType.SCALE5 and i.id in answers]
    scale = [v for v in scale if v != qn.NOT_APPLICABLE]
    return len(scale) >= STRAIGHT_LINE_MIN_ITEMS and len(set(scale)) == 1


def answer_flags(
    questionnaire: qn.Questionnaire,
    answers: Mapping[str, Any],
    signals: Signals,
    now: dt.datetime,
) -> set[str]:
    """The flags a new response earns from itself: its timing, its answers, the honeypot."""
    raised = {
        TOO_FAST: _too_fast(answers, signals.started_at, now),
        STRAIGHT_LINING: _straight_lining(questionnaire, answers),
        HONEYPOT: signals.honeypot,
    }
    return {flag for flag, up in raised.items() if up}


def history_flags(session: Session, batch: Sequence[Signals], now: dt.datetime) -> list[set[str]]:
    """The flags new responses earn from what is already stored (a burst at their desk, a
    browser that answered within the day), for responses stored together in this order.

    Each is judged as if they were stored one after another: against the stored responses and
    the ones before it in ``batch``. Two or three queries serve the whole batch (the group
    commit of one-shot submissions stores dozens at a time).
    """
    bursts = _desk_bursts(session, [s.desk_id for s in batch], now)
    repeats = _repeat_browsers(session, batch, now)
    return [
        ({DESK_BURST} if burst else set()) | ({REPEAT_BROWSER} if repeat else set())
        for burst, repeat in zip(bursts, repeats, strict=True)
    ]


def ordered(raised: set[str]) -> list[str]:
    """Flags in the order of :data:`FLAGS` (how they are stored and shown)."""
    return [flag for flag in FLAGS if flag in raised]


def _desk_bursts(session: Session, desks: Sequence[int | None], now: dt.datetime) -> list[bool]:
    """Whether each new response makes a burst at its desk: at least ``BURST_MIN`` answers in
    ``BURST_WINDOW`` (itself and the batch's earlier ones included), and ``BURST_FACTOR`` times
    the desk's usual rate over the 7 days before the window.

    The window's answers are counted only as far as the decision needs, never more: first up to
    ``BURST_MIN`` (a quiet desk stops there), then, at a desk that may be busy, up to the
    threshold its week sets. A desk that reaches the threshold is a burst however far beyond
    it the count goes, so the flags are exact, and the work per batch stays bounded however
    many answers a desk gets (counting them all cost a third of PostgreSQL's submissions at 100
    clients once a few minutes of such load were stored, and made a flood of answers at one
    desk dearer to flag the more it flooded). The week's count is not bounded this way: only
    desks that may be busy need it, and the desk rate limit bounds what it reads.
    """
    known = sorted({d for d in desks if d is not None})
    if not known:
        return [False] * len(desks)
    window = now - BURST_WINDOW
    added = Counter(d for d in desks if d is not None)  # the batch's own, at most this many
    recent = _capped_counts(session, dict.fromkeys(known, BURST_MIN), window)
    maybe = [d for d in known if recent[d] + added[d] >= BURST_MIN]
    thresholds: dict[int, float] = {}
    if maybe:
        week = _counts_by_desk(
            session,
            col(Response.desk_id).in_(maybe),
            col(Response.submitted_at) >= now - dt.timedelta(days=7),
            col(Response.submitted_at) < window,
        )
        usual_share = dt.timedelta(days=7) / BURST_WINDOW
        thresholds = {
            d: max(BURST_MIN, BURST_FACTOR * max(week.get(d, 0) / usual_share, 1.0)) for d in maybe
        }
        higher = {d: math.ceil(t) for d, t in thresholds.items() if math.ceil(t) > BURST_MIN}
        if higher:  # a desk busy all week: count on up to its own threshold
            recent |= _capped_counts(session, higher, window)
    flags: list[bool] = []
    before: Counter[int] = Counter()
    for desk in desks:
        if desk is None or desk not in thresholds:
            flags.append(False)
            continue
        before[desk] += 1
        flags.append(recent[desk] + before[desk] >= thresholds[desk])  # this one and those before
    return flags


def _counts_by_desk(session: Session, *where: Any) -> dict[int, int]:
    rows = session.exec(
        select(Response.desk_id, func.count()).where(*where).group_by(col(Response.desk_id))
    ).all()
    return {int(desk): int(n) for desk, n in rows if desk is not None}


_CAPPED_PART = (  # one desk's part; its parameter names are numbered, every value is bound
    "SELECT CAST(:d{i} AS INTEGER) AS desk, count(*) AS n FROM (SELECT 1 FROM responses"
    " WHERE desk_id = :d{i} AND submitted_at >= :since LIMIT :c{i}) AS r{i}"
)


def _capped_counts(session: Session, caps: Mapping[int, int], since: dt.datetime) -> dict[int, int]:
    """Each desk's answers since ``since``, counted up to its cap (``min(count, cap)``): one
    statement, each desk's part reading at most ``cap`` entries of the (desk, time) index.

    Written as SQL text: built with SQLAlchemy's expressions, a union of 30 such parts cost
    12 ms of Python a batch to build and compile, the database 0.15 ms to run."""
    if not caps:
        return {}
    parts = [_CAPPED_PART.format(i=i) for i in range(len(caps))]  # nosec B608 - numbers only
    statement = sa.text(" UNION ALL ".join(parts)).bindparams(
        sa.bindparam("since", type_=Response.__table__.c.submitted_at.type)  # type: ignore[attr-defined]
    )
    values: dict[str, Any] = {"since": since}
    for i, (desk, cap) in enumerate(caps.items()):
        values |= {f"d{i}": desk, f"c{i}": cap}
    found = {int(desk): int(n) for desk, n in session.execute(statement, values).all()}
    return {desk: found.get(desk, 0) for desk in caps}


def _repeat_browsers(session: Session, batch: Sequence[Signals], now: dt.datetime) -> list[bool]:
    """Whether each new response comes from a browser that answered the same campaign within
    ``REPEAT_WINDOW`` (a stored response, or an earlier one in the batch)."""
    wanted = {(s.campaign_id, s.browser_hash) for s in batch if s.browser_hash is not None}
    seen: set[tuple[int, str]] = set()
    if wanted:
        rows = session.exec(
            select(Response.campaign_id, Response.browser_hash)
            .where(
                col(Response.campaign_id).in_(sorted({c for c, _ in wanted})),
                col(Response.browser_hash).in_(sorted({h for _, h in wanted})),
                col(Response.submitted_at) >= now - REPEAT_WINDOW,
            )
            .distinct()
        ).all()
        seen = {(c, h) for c, h in rows if h is not None}
    repeats: list[bool] = []
    for s in batch:
        key = (s.campaign_id, s.browser_hash) if s.browser_hash is not None else None
        repeats.append(key is not None and key in seen)
        if key is not None:
            seen.add(key)
    return repeats


def flagged(*, session: Session, campaign_id: int, limit: int = 500) -> list[Response]:
    """The campaign's flagged or excluded responses, newest first."""
    has_flags = sa.cast(Response.flags, sa.String) != "[]"  # JSON text on SQLite and PostgreSQL
    query = (
        select(Response)
        .where(Response.campaign_id == campaign_id, has_flags | col(Response.excluded))
        .order_by(col(Response.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def set_exclusion(
    *, session: Session, response_id: int, excluded: bool, reason: str
) -> tuple[Response, dict[str, Any]]:
    """Exclude a response from analysis (or include it again); returns it and its old state."""
    response = session.get(Response, response_id)
    if response is None:
        raise errors.NotFound(message_en=f"No response {response_id}.")
    reason = reason.strip()
    if excluded and not reason:
        raise errors.InvalidInput(
            "Vui lòng ghi lý do loại phiếu.", message_en="Say why the response is excluded."
        )
    before = {"excluded": response.excluded, "excluded_reason": response.excluded_reason}
    response.excluded = excluded
    response.excluded_reason = reason if excluded else ""
    session.add(response)
    session.flush()
    return response, before
