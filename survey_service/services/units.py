"""Units: departments and districts, kept with validity dates so history survives change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from survey_service import errors
from survey_service.models import Desk, Response, Unit


def get_unit(*, session: Session, unit_id: int) -> Unit:
    """A unit by id, or 404."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise errors.NotFound(f"Không có đơn vị số {unit_id}.", message_en=f"No unit {unit_id}.")
    return unit


def get_by_code(*, session: Session, code: str) -> Unit | None:
    """A unit by its code."""
    return session.exec(select(Unit).where(Unit.code == code)).first()


@dataclass(frozen=True)
class UnitRow:
    """A unit with its number of desks and responses."""

    unit: Unit
    desks: int
    responses: int


def unit_rows(*, session: Session, campaign_id: int | None = None) -> list[UnitRow]:
    """Every unit with desk and response counts (responses of one campaign when given)."""
    desk_counts = (
        select(Desk.unit_id, func.count().label("n")).group_by(col(Desk.unit_id)).subquery()
    )
    responses = select(Response.unit_id, func.count().label("n"))
    if campaign_id is not None:
        responses = responses.where(Response.campaign_id == campaign_id)
    response_counts = responses.group_by(col(Response.unit_id)).subquery()
    query = (
        select(Unit, func.coalesce(desk_counts.c.n, 0), func.coalesce(response_counts.c.n, 0))
        .outerjoin(desk_counts, desk_counts.c.unit_id == Unit.id)
        .outerjoin(response_counts, response_counts.c.unit_id == Unit.id)
        .order_by(col(Unit.group), col(Unit.code))
    )
    return [UnitRow(unit, int(d), int(r)) for unit, d, r in session.exec(query)]
