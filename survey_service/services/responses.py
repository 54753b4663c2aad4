"""Responses: validated, then stored exactly once per client submission id."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import (
    Campaign,
    Channel,
    QuestionnaireVersion,
    Response,
    utcnow,
)
from survey_service.services import quality
from survey_service.services import questionnaires as questionnaire_service

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Submission:
    """Where an answer comes from: campaign, version, unit, desk and channel, and the signals
    the quality flags read (keyed hashes only, never an address or a cookie value)."""

    campaign: Campaign
    version: QuestionnaireVersion
    unit_id: int
    desk_id: int | None
    channel: Channel
    language: str = "vi"
    started_at: dt.datetime | None = None
    client_hash: str | None = None
    browser_hash: str | None = None
    honeypot: bool = False
    stratum: str | None = None
    design_weight: float | None = None

    @property
    def anonymous(self) -> bool:
        """Officials' answers: nothing that could trace them to a person is kept."""
        return self.version.audience == qn.Audience.OFFICIAL.value


@dataclass(frozen=True)
class Stored:
    """The stored response, and whether this call stored it (False: it was a repeat)."""

    response_id: int
    created: bool


def check_submission_id(value: str | None) -> str:
    """The client submission id, or a clear error when it is missing or malformed."""
    if value is None or not SUBMISSION_ID.match(value):
        raise errors.InvalidInput(
            "Phiếu gửi lên không đầy đủ. Vui lòng mở lại đường dẫn và điền lại.",
            message_en="The form arrived incomplete (no valid submission id). "
            "Please open the link again and answer once more.",
        )
    return value


@dataclass(frozen=True)
class Prepared:
    """A checked response ready to be stored: its row, less what is settled at storing time
    (the time stamp and the flags that depend on the responses stored before it)."""

    values: dict[str, Any]
    signals: quality.Signals
    flags: frozenset[str]  # earned from itself (timing, answers, honeypot)
    anonymous: bool

    @property
    def client_submission_id(self) -> str:
        """The submission id it is stored under once."""
        return str(self.values["client_submission_id"])


def submit(
    *,
    session: Session,
    submission: Submission,
    client_submission_id: str,
    raw: Mapping[str, Any],
    context: qn.Context | None = None,
    checked: bool = False,
) -> Stored:
    """Validate ``raw`` against the pinned version and store it once.

    A repeat of a client submission id (double tap, back-and-resubmit, network retry) stores
    nothing and returns the first response. Invalid answers raise ``qn.AnswersInvalid``.
    ``checked=True`` says ``raw`` is already the clean result of ``qn.check_answers`` against
    this version and context with no errors (the form has just done it), so it is stored as is.
    """
    client_submission_id = check_submission_id(client_submission_id)
    questionnaire = questionnaire_service.parsed(submission.version)
    try:
        answers = dict(raw) if checked else qn.validate_answers(questionnaire, raw, context)
    except qn.AnswersInvalid:
        # a repeat is answered with the stored response even if this copy no longer validates
        existing = _by_submission_id(session=session, client_submission_id=client_submission_id)
        if existing is not None:
            return Stored(existing, created=False)
        raise
    prepared = prepare(submission, client_submission_id, questionnaire, answers)
    return store(session=session, batch=[prepared])[0]


def prepare(
    submission: Submission,
    client_submission_id: str,
    questionnaire: qn.Questionnaire,
    answers: dict[str, Any],
) -> Prepared:
    """The row of checked ``answers``; for officials only what cannot point to a person.

    An official's answer keeps the day it was given, not the time (set by :func:`store`), and
    no address or browser hash, so it cannot be joined to an invitation, a log line or a login
    by time or device. No I/O: this runs in the event loop for the one-shot desk submissions.
    """
    assert submission.campaign.id is not None
    anonymous = submission.anonymous
    signals = quality.Signals(
        campaign_id=submission.campaign.id,
        desk_id=submission.desk_id,
        started_at=submission.started_at,
        browser_hash=None if anonymous else submission.browser_hash,
        honeypot=submission.honeypot,
    )
    values: dict[str, Any] = {
        "campaign_id": submission.campaign.id,
        "questionnaire_version_id": submission.version.id,
        "unit_id": submission.unit_id,
        "desk_id": submission.desk_id,
        "channel": submission.channel.value,
        "language": submission.language,
        "answers": answers,
        "client_submission_id": client_submission_id,
        "stratum": submission.stratum,
        "design_weight": submission.design_weight,
        # every row has every column, so a batch is one executemany
        "excluded": submission.honeypot,
        "excluded_reason": "honeypot field filled in (a robot)" if submission.honeypot else "",
        "started_at": None if anonymous else submission.started_at,
        "client_hash": None if anonymous else submission.client_hash,
        "browser_hash": None if anonymous else submission.browser_hash,
    }
    flags = quality.answer_flags(questionnaire, answers, signals, utcnow())
    return Prepared(values, signals, frozenset(flags), anonymous)


def store(*, session: Session, batch: Sequence[Prepared]) -> list[Stored]:
    """Store prepared responses, each once per client submission id, in the caller's
    transaction: one INSERT … ON CONFLICT DO NOTHING for the whole batch (atomic under
    concurrency on both databases), the history flags judged as if stored one by one.

    A repeat (stored before, or earlier in the batch) stores nothing and gets the first
    response's id with ``created=False``.
    """
    now = utcnow()
    later = quality.history_flags(session, [p.signals for p in batch], now)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [
        p.values
        | {"flags": quality.ordered(set(p.flags) | more)}
        | {"submitted_at": day if p.anonymous else now}
        for p, more in zip(batch, later, strict=True)
    ]
    table = Response.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["client_submission_id"])
        .returning(table.c.client_submission_id, table.c.id)
    )
    created: dict[str, int] = dict(session.connection().execute(statement, rows).all())
    missing = sorted({p.client_submission_id for p in batch} - created.keys())
    earlier: dict[str, int] = {}
    if missing:
        earlier = dict(
            session.exec(
                select(Response.client_submission_id, Response.id).where(
                    col(Response.client_submission_id).in_(missing)
                )
            ).all()
        )
    results: list[Stored] = []
    for p in batch:
        sid = p.client_submission_id
        if sid in created:
            results.append(Stored(created.pop(sid), created=True))
            earlier[sid] = results[-1].response_id  # a second copy in the batch is a repeat
        else:
            results.append(Stored(earlier[sid], created=False))
    return results


def find_submitted(*, session: Session, client_submission_id: str | None) -> int | None:
    """The response stored under a client submission id, if any."""
    if not client_submission_id or not SUBMISSION_ID.match(client_submission_id):
        return None
    return _by_submission_id(session=session, client_submission_id=client_submission_id)


def _by_submission_id(*, session: Session, client_submission_id: str) -> int | None:
    return session.exec(
        select(Response.id).where(Response.client_submission_id == client_submission_id)
    ).first()


def pages(
    session: Session,
    columns: Sequence[Any],
    *,
    campaign_id: int,
    version_ids: Sequence[int | None],
    size: int,
    upto: int | None = None,
) -> Iterator[Sequence[Any]]:
    """A campaign's responses of ``version_ids`` as rows of ``columns`` (``Response.id`` first),
    in id order, ``size`` rows a page by id keyset (never an OFFSET, never the whole table in
    memory); up to id ``upto`` when given."""
    last = 0
    while True:
        statement = (
            select(*columns)
            .where(Response.campaign_id == campaign_id)
            .where(col(Response.questionnaire_version_id).in_(version_ids))
            .where(col(Response.id) > last)
        )
        if upto is not None:
            statement = statement.where(col(Response.id) <= upto)
        page = session.exec(statement.order_by(col(Response.id)).limit(size)).all()
        if not page:
            return
        last = page[-1][0]
        yield page
        del page  # not held while the next page is read (the callers drop theirs too)


def list_responses(
    *, session: Session, campaign_id: int, offset: int, limit: int
) -> tuple[list[Response], int]:
    """A page of a campaign's responses in submission order, and their total count.

    Officials' answers are never listed: they leave the database only as aggregates, suppressed
    below the minimum cell size (a unit's few officials could otherwise be told apart).
    """
    officials = select(QuestionnaireVersion.id).where(QuestionnaireVersion.audience == "official")
    where = (Response.campaign_id == campaign_id) & col(Response.questionnaire_version_id).not_in(
        officials
    )
    total = session.exec(select(func.count()).select_from(Response).where(where)).one()
    rows = session.exec(
        select(Response).where(where).order_by(col(Response.id)).offset(offset).limit(limit)
    )
    return list(rows), int(total)


def get_response(*, session: Session, response_id: int) -> Response:
    """A response by id, or 404."""
    response = session.get(Response, response_id)
    if response is None:
        raise errors.NotFound(message_en=f"No response {response_id}.")
    return response
