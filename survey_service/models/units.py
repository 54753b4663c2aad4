"""Units (departments and districts), their one-stop desks, and the desks' QR codes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from survey_service.models.base import UnitGroup, UTCDateTime, _str, utcnow


class UnitBase(SQLModel):
    code: str = Field(sa_type=_str(16), unique=True, index=True)
    name_vi: str = Field(sa_type=_str(200))
    name_en: str = Field(sa_type=_str(200))
    group: UnitGroup = Field(sa_type=_str(16))
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    successor_code: str | None = Field(default=None, sa_type=_str(16))


class Unit(UnitBase, table=True):
    """A department or district; reorganisations close a unit and name its successor."""

    __tablename__ = "units"
    id: int | None = Field(default=None, primary_key=True)


class UnitPublic(UnitBase):
    id: int


class DeskBase(SQLModel):
    unit_id: int = Field(foreign_key="units.id", index=True, ondelete="RESTRICT")
    name_vi: str = Field(sa_type=_str(200))
    name_en: str = Field(sa_type=_str(200))
    active: bool = True


class Desk(DeskBase, table=True):
    """A one-stop counter (bộ phận một cửa) of a unit."""

    __tablename__ = "desks"
    id: int | None = Field(default=None, primary_key=True)


class DeskCode(SQLModel, table=True):
    """A short code printed in a desk's QR card; rotating revokes the old one and adds a new one."""

    __tablename__ = "desk_codes"
    id: int | None = Field(default=None, primary_key=True)
    desk_id: int = Field(foreign_key="desks.id", index=True, ondelete="CASCADE")
    code: str = Field(sa_type=_str(16), unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
