"""Drafts: an unfinished form kept for 24 hours so it can be resumed on the same phone."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from survey_service.models import Draft, utcnow

LIFETIME = dt.timedelta(hours=24)
COOKIE = "survey_draft"


def find(*, session: Session, token: str | None, form_key: str) -> Draft | None:
    """The live draft behind ``token`` for this form, or None."""
    if not token or len(token) > 64:
        return None
    draft = session.get(Draft, token)
    if draft is None or draft.form_key != form_key or draft.expires_at <= utcnow():
        return None
    return draft


def start(
    *,
    session: Session,
    form_key: str,
    submission_id: str | None = None,
    started_at: dt.datetime | None = None,
    stored: bool = True,
) -> Draft:
    """A new empty draft (expired ones are ignored by :func:`find` and deleted by
    ``survey purge``, not here: this runs on every first submission).

    With ``stored=False`` the draft lives only in this request until :func:`save` keeps it: a
    form answered in one go and submitted complete never writes (and deletes) a draft row.

    ``submission_id`` keeps the id the page was rendered with, so a repeated final tap is
    recognised as the same submission.
    """
    now = utcnow()
    draft = Draft(
        token=secrets.token_urlsafe(32),
        form_key=form_key,
        submission_id=submission_id or secrets.token_urlsafe(18),
        updated_at=now,
        expires_at=now + LIFETIME,
        started_at=started_at,
    )
    if stored:
        session.add(draft)
        session.flush()
    return draft


def is_stored(draft: Draft) -> bool:
    """Whether the draft is in the database (a resumable draft with a cookie)."""
    return bool(sa.inspect(draft).has_identity)


def save(
    *,
    session: Session,
    draft: Draft,
    answers: dict[str, Any],
    page: str,
    unit_id: int | None,
) -> Draft:
    """Keep the answers so far and the page reached; the 24 hours start again."""
    now = utcnow()
    draft.answers = answers
    draft.page = page
    draft.unit_id = unit_id
    draft.updated_at = now
    draft.expires_at = now + LIFETIME
    session.add(draft)
    session.flush()
    return draft


def discard(*, session: Session, draft: Draft) -> None:
    """Forget a draft (after the response is stored)."""
    if is_stored(draft):
        session.delete(draft)
        session.flush()
