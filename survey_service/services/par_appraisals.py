"""Appraisal points: the entries per unit and appraisal sub-criterion, self-assessed then
appraised by reviewers, and the form update that changes them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, select

from analysis import par
from survey_service import errors
from survey_service.models import AppraisalPoint, AppraisalStatus, Campaign, Unit, utcnow
from survey_service.services import campaigns as campaign_service
from survey_service.services.par_schemes import GROUPS, _refuse_if_published, schemes


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise errors.NotFound("Không tìm thấy đơn vị.", message_en=f"No unit {unit_id}.")
    return unit


def appraisal_leaves(scheme: par.Scheme) -> list[par.Leaf]:
    """The scheme's sub-criteria whose points are entered (not taken from the survey)."""
    return [leaf for leaf in scheme.leaves() if leaf.source == "appraisal"]


class AppraisalUpdate(BaseModel):
    """Fields of an appraisal entry to change (None leaves a field as it is)."""

    model_config = ConfigDict(extra="forbid")

    self_points: float | None = None
    evidence: str | None = Field(default=None, max_length=4000)
    links: list[str] | None = None
    appraised_points: float | None = None
    reviewer_comment: str | None = Field(default=None, max_length=4000)
    status: AppraisalStatus | None = None
    clear: tuple[str, ...] = ()  # fields to empty (points back to None, texts to "")

    @classmethod
    def from_form(cls, fields: dict[str, str]) -> AppraisalUpdate:
        """The update a submitted entry form asks for: a blank field empties it."""
        clear: list[str] = []
        values: dict[str, Any] = {}
        for name in ("self_points", "appraised_points"):
            text = fields.get(name, "").strip().replace(",", ".")
            if not text:
                clear.append(name)
                continue
            try:
                values[name] = float(text)
            except ValueError:
                raise errors.InvalidInput(
                    f"{text[:20]!r} không phải là số.", message_en=f"{text[:20]!r} is not a number."
                ) from None
        for name in ("evidence", "reviewer_comment"):
            text = fields.get(name, "").strip()
            if text:
                values[name] = text[:4000]
            else:
                clear.append(name)
        links = fields.get("links", "").split()
        if links:
            values["links"] = links[:50]
        else:
            clear.append("links")
        status = fields.get("status", "").strip()
        if status:
            if status not in {s.value for s in AppraisalStatus}:
                raise errors.InvalidInput(message_en=f"Unknown status {status[:20]!r}.")
            values["status"] = AppraisalStatus(status)
        return cls(**values, clear=tuple(clear))


FIELDS = ("self_points", "evidence", "links", "appraised_points", "reviewer_comment", "status")


def snapshot(point: AppraisalPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    data = {name: getattr(point, name) for name in FIELDS}
    data["status"] = str(point.status)
    return data


def leaf_for(session: Session, campaign: Campaign, unit: Unit, code: str) -> par.Leaf:
    """The appraisal sub-criterion ``code`` of the unit's group scheme, or a clear error."""
    group = str(unit.group)
    if group not in GROUPS:
        raise errors.InvalidInput(
            "Đơn vị không thuộc nhóm được chấm điểm.",
            message_en=f"Unit {unit.code} is in group {group}, which no scheme scores.",
        )
    _, scheme = schemes(session=session, campaign=campaign)[group]
    for leaf in appraisal_leaves(scheme):
        if leaf.code == code:
            return leaf
    raise errors.InvalidInput(
        f"Không có tiêu chí thẩm định {code!r} trong bộ tiêu chí.",
        message_en=f"The {group} scheme has no appraisal sub-criterion {code!r}.",
    )


def set_appraisal(
    *, session: Session, campaign_id: int, unit_id: int, code: str, update: AppraisalUpdate
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Change one appraisal entry; points must lie in [0, maximum]. Returns (before, after)."""
    campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    _refuse_if_published(session, campaign_id)
    unit = _unit(session, unit_id)
    leaf = leaf_for(session, campaign, unit, code)
    for name in ("self_points", "appraised_points"):
        value = getattr(update, name)
        if value is not None and not 0 <= value <= leaf.max_points:
            raise errors.InvalidInput(
                f"Điểm của {code} phải từ 0 đến {leaf.max_points:g}.",
                message_en=f"Points for {code} must be between 0 and {leaf.max_points:g}; "
                f"{value:g} is not.",
            )
    unknown = sorted(set(update.clear) - set(FIELDS))
    if unknown:
        raise errors.InvalidInput(message_en=f"Unknown fields to clear: {', '.join(unknown)}.")
    point = session.exec(
        select(AppraisalPoint)
        .where(AppraisalPoint.campaign_id == campaign_id)
        .where(AppraisalPoint.unit_id == unit_id)
        .where(AppraisalPoint.code == code)
    ).first()
    before = snapshot(point)
    if point is None:
        point = AppraisalPoint(campaign_id=campaign_id, unit_id=unit_id, code=code)
    for name in FIELDS:
        value = getattr(update, name)
        if value is not None:
            setattr(point, name, value)
    for name in update.clear:
        setattr(point, name, None if name.endswith("points") else [] if name == "links" else "")
    point.updated_at = utcnow()
    session.add(point)
    session.flush()
    after = snapshot(point)
    assert after is not None
    return before, after


def appraisals(*, session: Session, campaign_id: int, unit_id: int) -> dict[str, AppraisalPoint]:
    """The unit's appraisal entries by sub-criterion code."""
    rows = session.exec(
        select(AppraisalPoint)
        .where(AppraisalPoint.campaign_id == campaign_id)
        .where(AppraisalPoint.unit_id == unit_id)
    ).all()
    return {row.code: row for row in rows}
