"""JSON API under ``/api/v1`` (OpenAPI at ``/openapi.json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from survey_service.deps import MAX_ID, CurrentUser, DbId, SessionDep
from survey_service.models import CampaignPublic, Page, QuestionnaireVersionPublic, ResponsePublic
from survey_service.services import campaigns as campaign_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.get("/campaigns", response_model=Page[CampaignPublic])
def list_campaigns(session: SessionDep, user: CurrentUser) -> Page[CampaignPublic]:
    """Every campaign, newest first."""
    campaigns = campaign_service.list_campaigns(session=session)
    data = [CampaignPublic.model_validate(c, from_attributes=True) for c in campaigns]
    return Page[CampaignPublic](data=data, count=len(data))


@router.get("/campaigns/{campaign_id}/responses", response_model=Page[ResponsePublic])
def list_responses(
    campaign_id: DbId,
    session: SessionDep,
    user: CurrentUser,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ResponsePublic]:
    """A page of the campaign's responses (``count`` is the total, not the page size)."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    rows, total = response_service.list_responses(
        session=session, campaign_id=campaign_id, offset=offset, limit=limit
    )
    data = [ResponsePublic.model_validate(r, from_attributes=True) for r in rows]
    return Page[ResponsePublic](data=data, count=total)


@router.get("/questionnaire-versions", response_model=Page[QuestionnaireVersionPublic])
def list_versions(session: SessionDep, user: CurrentUser) -> Page[QuestionnaireVersionPublic]:
    """Every stored questionnaire version (old ones stay readable for analysis)."""
    versions = questionnaire_service.list_versions(session=session)
    data = [QuestionnaireVersionPublic.model_validate(v, from_attributes=True) for v in versions]
    return Page[QuestionnaireVersionPublic](data=data, count=len(data))


@router.get("/questionnaire-versions/{version_id}", response_model=QuestionnaireVersionPublic)
def get_version(
    version_id: DbId, session: SessionDep, user: CurrentUser
) -> QuestionnaireVersionPublic:
    """One questionnaire version with its whole definition."""
    version = questionnaire_service.get_version(session=session, version_id=version_id)
    return QuestionnaireVersionPublic.model_validate(version, from_attributes=True)
