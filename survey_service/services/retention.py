"""Retention: forget what is kept only for a while (hashes on responses, drafts, counters)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from survey_service.models import Draft, RateCounter, Response, utcnow


@dataclass(frozen=True)
class Purged:
    """How many rows each step touched."""

    hashes: int
    drafts: int
    counters: int


def purge(*, session: Session, hash_days: int) -> Purged:
    """Blank address and browser hashes older than ``hash_days``, delete expired drafts and
    rate counters of windows that ended over an hour ago."""
    cutoff = utcnow() - dt.timedelta(days=hash_days)
    hashes = session.execute(
        sa.update(Response)
        .where(col(Response.submitted_at) < cutoff)
        .where(col(Response.client_hash).is_not(None) | col(Response.browser_hash).is_not(None))
        .values(client_hash=None, browser_hash=None)
    )
    drafts = session.execute(sa.delete(Draft).where(col(Draft.expires_at) <= utcnow()))
    counters = session.execute(
        sa.delete(RateCounter).where(col(RateCounter.window) < int(time.time()) - 3600)
    )
    return Purged(hashes.rowcount, drafts.rowcount, counters.rowcount)  # type: ignore[attr-defined]
