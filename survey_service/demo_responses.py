"""Simulated answers for the demo campaign, so its analysis pages have something to show.

Clearly demo data: every simulated response has a ``demo-`` submission id and comes only from
``survey demo``. Each unit gets its own satisfaction level and each respondent their own mood, so
units differ and items of a dimension correlate (Cronbach's α is meaningful); answers pass the
questionnaire's own validation, skip logic included. Half of the units get dossier totals for
their desks, so both desk-QR weighting rules appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service.models import (
    AppraisalStatus,
    Campaign,
    Channel,
    Desk,
    Response,
    Unit,
    utcnow,
)
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service

STEADY_SEED = 7
FIELDWORK_DAYS = 28
# Free-text comments of the simulated citizens and businesses (officials write none here): some
# name a person, as real ones do, so the moderation page has something to hide.
PRAISE = (
    "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn.",
    "Nơi tiếp nhận sạch sẽ, có chỗ ngồi chờ.",
    "Trả kết quả đúng hẹn, cảm ơn bộ phận một cửa.",
)
COMPLAINTS = (
    "Phải đi lại nhiều lần vì hồ sơ bị yêu cầu bổ sung.",
    "Thời gian chờ quá lâu, nên có thêm quầy vào giờ cao điểm.",
    "Chị Trần Thị B ở quầy số 3 trả lời thiếu tôn trọng.",
)
PER_UNIT = {"citizen": 36, "business": 24, "official": 32}
CHANNEL = {"citizen": Channel.DESK_QR, "business": Channel.OPEN_LINK, "official": Channel.OPEN_LINK}


def simulate(session: Session, campaign: Campaign, *, seed: int = 2026) -> int:
    """Add simulated responses when the campaign has none; returns how many were added."""
    assert campaign.id is not None
    existing = session.exec(
        select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id)
    ).one()
    if existing:
        return 0
    rng = np.random.default_rng(seed)
    clock = np.random.default_rng(seed + 1)  # when each answer came: its own stream, so the
    now = utcnow()  # answers themselves are the same as before times were added
    if campaign.year < now.year:  # an earlier year's fieldwork ended in that year's November
        now = dt.datetime(campaign.year, 11, 28, 10, 0, tzinfo=dt.UTC)
    steady = np.random.default_rng(STEADY_SEED)  # each unit's level is much the same every year
    pinned = campaign_service.pinned_versions(session=session, campaign=campaign)
    units = session.exec(select(Unit).order_by(Unit.code)).all()
    desks: dict[int, list[Desk]] = {}
    for desk in session.exec(select(Desk).order_by(Desk.id)).all():
        desks.setdefault(desk.unit_id, []).append(desk)
    added = 0
    for position, unit in enumerate(units):
        assert unit.id is not None
        level = steady.normal(0.5, 0.45) + rng.normal(0, 0.1)
        for audience, version in sorted(pinned.items()):
            questionnaire = questionnaire_service.parsed(version)
            own = desks.get(unit.id, [])
            if audience == "citizen" and not own:
                continue
            for _ in range(PER_UNIT.get(audience, 0)):
                answers = _answers(questionnaire, rng, level, unit)
                if answers is None:
                    continue
                desk = own[int(rng.integers(0, len(own)))] if audience == "citizen" else None
                session.add(
                    Response(
                        campaign_id=campaign.id,
                        questionnaire_version_id=version.id or 0,
                        unit_id=unit.id,
                        desk_id=desk.id if desk else None,
                        channel=CHANNEL[audience],
                        language="vi",
                        answers=answers,
                        submitted_at=_office_hours(now, clock),
                        client_submission_id=f"demo-{campaign.id}-{added:08d}",
                    )
                )
                added += 1
        if position % 2 == 0:
            for desk in desks.get(unit.id, []):
                analysis_service.set_total(
                    session=session,
                    campaign_id=campaign.id,
                    desk_id=desk.id or 0,
                    dossiers=int(rng.integers(200, 3000)),
                )
    session.flush()
    return added


def _office_hours(now: dt.datetime, clock: np.random.Generator) -> dt.datetime:
    """A time in the last four weeks on a working day, 7:30–17:00 in Viet Nam (UTC+7), so the
    dashboard's answers per day and quiet desks look like fieldwork."""
    while True:
        day = (now - dt.timedelta(days=int(clock.integers(0, FIELDWORK_DAYS)))).date()
        if day.weekday() < 5:
            break
    minutes = int(clock.integers(30, 600))  # 7:30 → 17:00 local is 0:30 → 10:00 UTC
    at = dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    return min(at, now)


def _answers(
    questionnaire: qn.Questionnaire, rng: np.random.Generator, level: float, unit: Unit
) -> dict[str, Any] | None:
    mood = level + rng.normal(0, 0.6)
    raw: dict[str, Any] = {}
    for item in questionnaire.items:
        value = _value(questionnaire, item, rng, mood)
        if value is not None:
            raw[item.id] = value
    if questionnaire.audience != "official" and rng.random() < 0.15:
        pool = PRAISE if mood > 0.5 else COMPLAINTS
        raw["comment"] = pool[int(rng.integers(0, len(pool)))]
    clean, errors = qn.check_answers(questionnaire, raw, {"unit_group": str(unit.group)})
    return None if errors else clean


def _value(
    questionnaire: qn.Questionnaire, item: qn.Item, rng: np.random.Generator, mood: float
) -> Any:
    choices = questionnaire.choices(item)
    latent = mood + rng.normal(0, 0.5)
    if item.type in (qn.ItemType.SCALE5, qn.ItemType.RATING10):
        if item.not_applicable is not None and rng.random() < 0.04:
            return qn.NOT_APPLICABLE
        share = 1 / (1 + np.exp(-1.6 * latent))
        index = int(
            np.clip(round(share * (len(choices) - 1) + rng.normal(0, 0.4)), 0, len(choices) - 1)
        )
        return choices[index].value
    if item.type is qn.ItemType.SINGLE_CHOICE:
        scored = [o for o in choices if o.score is not None]
        if scored and item.dimension:
            ranked = sorted(scored, key=lambda o: -(o.score or 0))
            share = 1 / (1 + np.exp(-1.6 * latent))
            index = int(np.clip(round((1 - share) * (len(ranked) - 1)), 0, len(ranked) - 1))
            return ranked[index].value
        return choices[int(rng.integers(0, len(choices)))].value
    if item.type is qn.ItemType.YES_NO:
        return choices[0].value if rng.random() < 0.3 else choices[-1].value
    if item.type is qn.ItemType.MULTIPLE_CHOICE:
        return [choices[int(rng.integers(0, len(choices)))].value]
    if item.type is qn.ItemType.INTEGER:
        low = item.min if item.min is not None else 0
        return int(low + rng.integers(0, 3))
    if item.required and item.type is qn.ItemType.TEXT:
        return "—"
    if item.required and item.type is qn.ItemType.DATE:
        return "2026-06-01"
    return None


def simulate_appraisal(session: Session, campaign: Campaign, *, seed: int = 2026) -> int:
    """Appraised points for every scored unit's appraisal sub-criteria (60–100 % of the maximum,
    in quarter points), status final; returns how many entries were added."""
    from survey_service.services import par as par_service

    assert campaign.id is not None
    rng = np.random.default_rng(seed)
    steady = np.random.default_rng(STEADY_SEED + 1)
    schemes = par_service.schemes(session=session, campaign=campaign)
    added = 0
    for unit in session.exec(select(Unit).order_by(Unit.code)).all():
        group = str(unit.group)
        if group not in schemes or unit.id is None:
            continue
        strength = float(np.clip(steady.uniform(0.6, 1.0) + rng.normal(0, 0.03), 0, 1))
        for leaf in par_service.appraisal_leaves(schemes[group][1]):
            share = float(np.clip(strength + rng.normal(0, 0.1), 0, 1))
            appraised = round(leaf.max_points * share * 4) / 4
            par_service.set_appraisal(
                session=session,
                campaign_id=campaign.id,
                unit_id=unit.id,
                code=leaf.code,
                update=par_service.AppraisalUpdate(
                    self_points=min(leaf.max_points, appraised + 0.25),
                    appraised_points=min(leaf.max_points, appraised),
                    evidence="Demo",
                    status=AppraisalStatus.FINAL,
                ),
            )
            added += 1
    return added
