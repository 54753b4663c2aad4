"""Shared building blocks of the tables: the JSON and UTC timestamp column types, the clock, the
enumerations several tables use, and the string column helper."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def utcnow() -> dt.datetime:
    """The current time, UTC, aware."""
    return dt.datetime.now(dt.UTC)


class UnitGroup(StrEnum):
    """The PAR Index ranks departments and districts separately (DOMAIN.md)."""

    DEPARTMENT = "department"
    DISTRICT = "district"


class CampaignStatus(StrEnum):
    """A campaign's life: configured, collecting answers, closed, results published."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class Channel(StrEnum):
    """How a response reached us."""

    DESK_QR = "desk_qr"
    INVITATION = "invitation"
    PAPER = "paper"
    OPEN_LINK = "open_link"


class Role(StrEnum):
    """Roles, from most to least powerful."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    SCORER = "scorer"
    OBSERVER = "observer"


ROLE_RANK = {Role.OBSERVER: 0, Role.SCORER: 1, Role.COORDINATOR: 2, Role.ADMIN: 3}


def _str(length: int) -> Any:
    return sa.String(length)
