"""Campaigns: annual survey rounds, their status and pinned questionnaires."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from survey_service import errors
from survey_service.models import (
    Campaign,
    CampaignBase,
    CampaignQuestionnaire,
    CampaignStatus,
    QuestionnaireVersion,
)
from survey_service.services import questionnaires as questionnaire_service

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving time in Viet Nam


def today() -> dt.date:
    """Today's date in Ho Chi Minh City."""
    return dt.datetime.now(VIETNAM).date()


def list_campaigns(*, session: Session) -> list[Campaign]:
    """All campaigns, newest first."""
    query = select(Campaign).order_by(col(Campaign.year).desc(), col(Campaign.id).desc())
    return list(session.exec(query))


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    """A campaign by id, or 404."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise errors.NotFound(
            f"Không có đợt khảo sát số {campaign_id}.",
            message_en=f"Campaign {campaign_id} does not exist.",
        )
    return campaign


def create_campaign(*, session: Session, campaign_in: CampaignBase) -> Campaign:
    """Add a campaign (draft unless stated)."""
    _check_period(campaign_in.period_start, campaign_in.period_end)
    campaign = Campaign.model_validate(campaign_in)
    session.add(campaign)
    session.flush()
    return campaign


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise errors.InvalidInput(
            "Ngày kết thúc phải sau ngày bắt đầu.", message_en="The period ends before it starts."
        )


def set_status(*, session: Session, campaign: Campaign, status: CampaignStatus) -> Campaign:
    """Move a campaign to ``status``."""
    campaign.status = status
    session.add(campaign)
    session.flush()
    return campaign


def is_collecting(campaign: Campaign, on: dt.date) -> bool:
    """Whether ``campaign`` accepts answers on date ``on``."""
    if campaign.status != CampaignStatus.OPEN:
        return False
    if campaign.period_start is not None and on < campaign.period_start:
        return False
    return campaign.period_end is None or on <= campaign.period_end


def collecting_campaign(*, session: Session) -> Campaign:
    """The campaign that accepts desk answers today (the newest open one), or 410."""
    on = today()
    for campaign in list_campaigns(session=session):
        if is_collecting(campaign, on):
            return campaign
    raise errors.Gone()


def pin_questionnaire(
    *, session: Session, campaign: Campaign, version: QuestionnaireVersion
) -> CampaignQuestionnaire:
    """Make ``version`` the questionnaire the campaign uses for its audience."""
    assert campaign.id is not None and version.id is not None
    pin = session.exec(
        select(CampaignQuestionnaire).where(
            CampaignQuestionnaire.campaign_id == campaign.id,
            CampaignQuestionnaire.audience == version.audience,
        )
    ).first()
    if pin is None:
        pin = CampaignQuestionnaire(
            campaign_id=campaign.id, audience=version.audience, questionnaire_version_id=version.id
        )
    pin.questionnaire_version_id = version.id
    session.add(pin)
    session.flush()
    return pin


def pinned_version(*, session: Session, campaign: Campaign, audience: str) -> QuestionnaireVersion:
    """The questionnaire version the campaign uses for ``audience``, or 410 when none is set."""
    version = session.exec(
        select(QuestionnaireVersion)
        .join(CampaignQuestionnaire)
        .where(
            CampaignQuestionnaire.campaign_id == campaign.id,
            CampaignQuestionnaire.audience == audience,
        )
        # the definition is read only when this process has not parsed the version yet (every
        # public form request comes here; decoding the whole definition each time was a tenth
        # of a submission's cost)
        .options(defer(QuestionnaireVersion.definition))
    ).first()
    if version is None:
        raise errors.Gone(
            "Đợt khảo sát chưa có phiếu cho đối tượng này.",
            message_en=f"This campaign has no {audience} questionnaire.",
        )
    return version


def year_before(*, session: Session, campaign: Campaign) -> list[int]:
    """The ids of the campaigns a year before ``campaign`` (what year-over-year changes use)."""
    return [
        int(c)
        for c in session.exec(select(Campaign.id).where(Campaign.year == campaign.year - 1))
        if c is not None
    ]


def dimension_titles(*, session: Session, campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Audience → dimension id → its title (vi/en), from the campaign's questionnaires."""
    return {
        audience: {d.id: d.title for d in questionnaire_service.parsed(version).dimensions}
        for audience, version in pinned_versions(session=session, campaign=campaign).items()
    }


def pinned_versions(*, session: Session, campaign: Campaign) -> dict[str, QuestionnaireVersion]:
    """Audience → the questionnaire version the campaign uses."""
    rows = session.exec(
        select(CampaignQuestionnaire.audience, QuestionnaireVersion)
        .join(QuestionnaireVersion)
        .where(CampaignQuestionnaire.campaign_id == campaign.id)
    )
    return dict(rows.all())
