"""The fieldwork monitor: per stratum and per unit, who was invited, who answered, and the
margin of error the answers so far can support."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

import sampling
from survey_service.models import Channel, Invitation, InvitationStatus, Response, SampleUnit


@dataclass(frozen=True)
class Progress:
    """One row of the monitor (a stratum, or a unit summed over its strata)."""

    name: str
    population: int
    sample: int
    issued: int
    completed: int
    desk_responses: int = 0

    @property
    def response_rate(self) -> float:
        """Completed over issued invitations (AAPOR RR1 with every issued case eligible)."""
        return self.completed / self.issued if self.issued else 0.0

    @property
    def projected_moe(self) -> float | None:
        """The ± margin for a proportion from the answers so far (Cochran 1977, eq. 4.2)."""
        if self.completed == 0 or self.population == 0:
            return None
        return sampling.margin_of_error_proportion(
            min(self.completed, self.population), population=self.population
        )


def by_stratum(*, session: Session, plan_id: int) -> list[Progress]:
    """Progress of every stratum of a drawn plan."""
    units = session.exec(
        select(SampleUnit.stratum, func.count(), func.sum(SampleUnit.design_weight))
        .where(SampleUnit.plan_id == plan_id, col(SampleUnit.released))
        .group_by(col(SampleUnit.stratum))
    ).all()
    counts = session.exec(
        select(Invitation.stratum, Invitation.status, func.count())
        .join(SampleUnit, col(SampleUnit.id) == Invitation.sample_unit_id)
        .where(SampleUnit.plan_id == plan_id)
        .group_by(col(Invitation.stratum), col(Invitation.status))
    ).all()
    issued: dict[str, int] = defaultdict(int)
    completed: dict[str, int] = defaultdict(int)
    for stratum, status, count in counts:
        issued[stratum] += count
        if status == InvitationStatus.COMPLETED:
            completed[stratum] += count
    return [
        Progress(
            stratum, round(weight_sum / n * n) if n else 0, n, issued[stratum], completed[stratum]
        )
        for stratum, n, weight_sum in sorted(units)
    ]


def by_unit(*, session: Session, plan_id: int, campaign_id: int) -> list[Progress]:
    """Progress per unit (the first part of the stratum label), with desk-QR answers beside."""
    desk = dict(
        session.exec(
            select(Response.unit_id, func.count())
            .where(Response.campaign_id == campaign_id, Response.channel == Channel.DESK_QR)
            .group_by(col(Response.unit_id))
        ).all()
    )
    unit_ids = dict(
        session.exec(
            select(Invitation.stratum, Invitation.unit_id)
            .join(SampleUnit, col(SampleUnit.id) == Invitation.sample_unit_id)
            .where(SampleUnit.plan_id == plan_id)
            .distinct()
        ).all()
    )
    totals: dict[str, list[int]] = {}
    unit_of_name: dict[str, int | None] = {}
    for row in by_stratum(session=session, plan_id=plan_id):
        name = row.name.split(" | ")[0]
        unit_of_name[name] = unit_ids.get(row.name)
        total = totals.setdefault(name, [0, 0, 0, 0])
        for i, value in enumerate((row.population, row.sample, row.issued, row.completed)):
            total[i] += value
    return [
        Progress(name, *values, desk_responses=desk.get(unit_of_name[name] or -1, 0))
        for name, values in sorted(totals.items())
    ]
