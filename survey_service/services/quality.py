"""Response-quality flags: signs that an answer may not be a real respondent's own.

Flags never block a submission (every acknowledged answer is kept); coordinators see them and
may exclude flagged responses, and the analysis records which exclusion policy it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import Response, utcnow

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


def _count(session: Session, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(Response).where(*where)).one())


def _desk_burst(session: Session, desk_id: int | None, now: dt.datetime) -> bool:
    if desk_id is None:
        return False
    recent = _count(
        session, Response.desk_id == desk_id, col(Response.submitted_at) >= now - BURST_WINDOW
    )
    if recent + 1 < BURST_MIN:
        return False
    week_start = now - dt.timedelta(days=7)
    week = _count(
        session,
        Response.desk_id == desk_id,
        col(Response.submitted_at) >= week_start,
        col(Response.submitted_at) < now - BURST_WINDOW,
    )
    usual = week / (dt.timedelta(days=7) / BURST_WINDOW)
    return recent + 1 >= BURST_FACTOR * max(usual, 1.0)


def _repeat_browser(session: Session, signals: Signals, now: dt.datetime) -> bool:
    if signals.browser_hash is None:
        return False
    earlier = session.exec(
        select(Response.id)
        .where(
            Response.campaign_id == signals.campaign_id,
            Response.browser_hash == signals.browser_hash,
            col(Response.submitted_at) >= now - REPEAT_WINDOW,
        )
        .limit(1)  # one is enough: no count of a busy shared phone's every answer
    ).first()
    return earlier is not None


def flags_for(
    *,
    session: Session,
    questionnaire: qn.Questionnaire,
    answers: Mapping[str, Any],
    signals: Signals,
) -> list[str]:
    """The flags a new response earns, in the order of :data:`FLAGS`."""
    now = utcnow()
    raised = {
        TOO_FAST: _too_fast(answers, signals.started_at, now),
        STRAIGHT_LINING: _straight_lining(questionnaire, answers),
        DESK_BURST: _desk_burst(session, signals.desk_id, now),
        REPEAT_BROWSER: _repeat_browser(session, signals, now),
        HONEYPOT: signals.honeypot,
    }
    return [flag for flag in FLAGS if raised[flag]]


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
