"""Drafts: an unfinished form kept for 24 hours so it can be resumed on the same phone."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

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
) -> Draft:
    """A new empty draft (expired ones are ignored by :func:`find` and deleted by
    ``survey purge``, not here: this runs on every first submission).

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
    session.add(draft)
    session.flush()
    return draft


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
    session.delete(draft)
    session.flush()
