"""Sample plans: strata from a frame, sizes per stratum, a reproducible draw, reserves.

The statistics are the ``sampling`` package's; this module reads frames from the database,
stores plans and selections, and issues an invitation to every released sampled unit.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

import sampling
from survey_service import errors
from survey_service.models import (
    Frame,
    FrameRow,
    Invitation,
    SamplePlan,
    SampleUnit,
    Unit,
    utcnow,
)
from survey_service.services import invitations as invitation_service

SEPARATOR = " | "


@dataclass(frozen=True)
class StratumPreview:
    """One stratum before the draw: its size, sample size, reserve and expected margin."""

    stratum: str
    population: int
    sample: int
    reserve: int
    expected_moe: float


def create_plan(*, session: Session, plan: SamplePlan) -> SamplePlan:
    """Store a plan after checking it makes sense."""
    frame = session.get(Frame, plan.frame_id)
    if frame is None or frame.campaign_id != plan.campaign_id:
        raise errors.InvalidInput(message_en="The frame does not belong to this campaign.")
    if (plan.moe is None) == (plan.total_n is None):
        raise errors.InvalidInput(
            message_en="Give either a margin of error or a total sample size."
        )
    if plan.allocation not in {a.value for a in sampling.Allocation}:
        raise errors.InvalidInput(message_en=f"Unknown allocation '{plan.allocation}'.")
    if not 0 < plan.response_rate <= 1 or not 0 <= plan.reserve_share <= 1:
        raise errors.InvalidInput(
            message_en="The response rate must be in (0, 1] and the reserve share in [0, 1]."
        )
    session.add(plan)
    session.flush()
    return plan


def get_plan(*, session: Session, plan_id: int) -> SamplePlan:
    """A plan by id, or 404."""
    plan = session.get(SamplePlan, plan_id)
    if plan is None:
        raise errors.NotFound(message_en=f"No sample plan {plan_id}.")
    return plan


def _stratum(unit_code: str, attributes: dict[str, Any], strata_vars: list[str]) -> str:
    parts = [unit_code] + [str(attributes.get(name, "")) for name in strata_vars]
    return SEPARATOR.join(parts)


def frame_strata(*, session: Session, plan: SamplePlan) -> tuple[np.ndarray, np.ndarray]:
    """Row ids and stratum labels of the plan's frame, in id order (the unit is always a
    stratification variable: every unit must be reportable)."""
    query = (
        select(FrameRow.id, Unit.code, FrameRow.attributes)
        .join(Unit, col(Unit.id) == FrameRow.unit_id)
        .where(FrameRow.frame_id == plan.frame_id)
        .order_by(col(FrameRow.id))
    )
    ids: list[int] = []
    labels: list[str] = []
    for row_id, unit_code, attributes in session.exec(query):
        ids.append(int(row_id))
        labels.append(_stratum(unit_code, attributes or {}, list(plan.strata_vars)))
    if not ids:
        raise errors.InvalidInput(message_en="The frame is empty.")
    return np.asarray(ids, dtype=np.int64), np.asarray(labels, dtype=object)


def _sizes(plan: SamplePlan, population: dict[str, int]) -> dict[str, int]:
    if plan.moe is not None:
        return sampling.domain_sample_sizes(
            population, plan.moe, confidence=plan.confidence, response_rate=plan.response_rate
        )
    assert plan.total_n is not None
    try:
        return sampling.allocate(
            population,
            plan.total_n,
            sampling.Allocation(plan.allocation),
            stddev=plan.stddev,
            cost=plan.cost,
            minimum=plan.minimum,
        )
    except ValueError as exc:
        raise errors.InvalidInput(message_en=str(exc)) from None


def preview(*, session: Session, plan: SamplePlan) -> list[StratumPreview]:
    """Per stratum: N_h, n_h, the reserve and the margin of error expected from n_h answers
    at the planned response rate (Cochran 1977, eq. 4.2 with the fpc)."""
    _, labels = frame_strata(session=session, plan=plan)
    population = dict(sorted(Counter(labels.tolist()).items()))
    sizes = _sizes(plan, population)
    out = []
    for stratum, size in population.items():
        n = sizes.get(stratum, 0)
        reserve = min(size - n, math.ceil(n * plan.reserve_share))
        answers = max(1, round(n * plan.response_rate))
        moe = sampling.margin_of_error_proportion(
            min(answers, size), confidence=plan.confidence, population=size
        )
        out.append(StratumPreview(stratum, size, n, reserve, moe))
    return out


def draw(*, session: Session, plan: SamplePlan, audience: str) -> int:
    """Draw the sample (main + reserve replicate), store it, invite the main sample.

    SRSWOR of n_h + r_h per stratum with the plan's seed, then a seeded random split: the
    first n_h are the main sample (π = n_h/N_h), the rest the reserve, released on demand.
    """
    if plan.drawn_at is not None:
        raise errors.Conflict(message_en=f"Plan {plan.id} was drawn already.")
    row_ids, labels = frame_strata(session=session, plan=plan)
    rows = preview(session=session, plan=plan)
    totals = {r.stratum: r.sample + r.reserve for r in rows if r.sample + r.reserve > 0}
    rng = np.random.default_rng(plan.seed)
    chosen = sampling.select(labels, totals, method=sampling.SelectionMethod.SRSWOR, rng=rng)
    by_stratum: dict[str, list[int]] = {}
    for index in chosen.indices.tolist():
        by_stratum.setdefault(str(labels[index]), []).append(int(row_ids[index]))
    units = _store_units(session, plan, rows, by_stratum, rng)
    plan.drawn_at = utcnow()
    session.add(plan)
    _invite(session, plan, audience, [u for u in units if u.released])
    return len(units)


def _store_units(
    session: Session,
    plan: SamplePlan,
    rows: list[StratumPreview],
    by_stratum: dict[str, list[int]],
    rng: np.random.Generator,
) -> list[SampleUnit]:
    assert plan.id is not None
    units = []
    for row in rows:
        members = by_stratum.get(row.stratum, [])
        order = rng.permutation(len(members))
        weight = row.population / row.sample if row.sample else 0.0
        for rank, position in enumerate(order.tolist()):
            main = rank < row.sample
            units.append(
                SampleUnit(
                    plan_id=plan.id,
                    frame_row_id=members[position],
                    stratum=row.stratum,
                    inclusion_probability=row.sample / row.population,
                    design_weight=weight,
                    replicate=0 if main else 1,
                    released=main,
                )
            )
    session.add_all(units)
    session.flush()
    return units


def _invite(session: Session, plan: SamplePlan, audience: str, units: list[SampleUnit]) -> None:
    unit_of = dict(
        session.exec(
            select(FrameRow.id, FrameRow.unit_id).where(
                col(FrameRow.id).in_([u.frame_row_id for u in units])
            )
        ).all()
    )
    for unit in units:
        invitation_service.issue(
            session=session,
            campaign_id=plan.campaign_id,
            audience=audience,
            unit_id=unit_of[unit.frame_row_id],
            stratum=unit.stratum,
            design_weight=unit.design_weight,
            sample_unit=unit,
        )


def release_reserve(*, session: Session, plan: SamplePlan, stratum: str, audience: str) -> int:
    """Release a stratum's reserve replicate: invite it, and recompute the stratum's design
    weights for the enlarged sample (N_h / (n_h + r_h))."""
    units = list(
        session.exec(
            select(SampleUnit).where(SampleUnit.plan_id == plan.id, SampleUnit.stratum == stratum)
        )
    )
    reserve = [u for u in units if not u.released]
    if not reserve:
        raise errors.Conflict(message_en=f"Stratum '{stratum}' has no reserve left to release.")
    population = round(units[0].design_weight * sum(u.released for u in units))
    weight = population / len(units)
    for unit in units:
        unit.released, unit.design_weight = True, weight
        unit.inclusion_probability = len(units) / population
    session.add_all(units)
    session.flush()
    _invite(session, plan, audience, reserve)
    _reweight_open_invitations(session, [u.id for u in units if u.id is not None], weight)
    return len(reserve)


def _reweight_open_invitations(session: Session, unit_ids: list[int], weight: float) -> None:
    for invitation in session.exec(
        select(Invitation).where(col(Invitation.sample_unit_id).in_(unit_ids))
    ):
        if invitation.status in invitation_service.OPEN_STATUSES:
            invitation.design_weight = weight
            session.add(invitation)
    session.flush()
