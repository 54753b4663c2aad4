"""Database tables (SQLModel) and the schemas the API returns.

Naming follows STYLE.md rule 4: ``XBase`` / ``X(table=True)`` / ``XPublic``. Enumerations are
stored as short strings so that adding a value needs no database type change.

One submodule per domain (``units``, ``campaigns``, ``responses``, ``users``, ``sampling``,
``analysis``, ``par``, ``comments``, ``system``), with the shared column types, clock and
enumerations in ``base``; import the names from here, ``survey_service.models``.
"""

from __future__ import annotations

from sqlmodel import SQLModel

# isort: off
# Imported in the order the tables were once defined in one module, so that they are added to
# SQLModel.metadata (and created by create_all) in the same order as before the split.
from survey_service.models.base import (
    ROLE_RANK,
    CampaignStatus,
    Channel,
    JSONType,
    Role,
    UnitGroup,
    UTCDateTime,
    utcnow,
)
from survey_service.models.units import Desk, DeskBase, DeskCode, Unit, UnitBase, UnitPublic
from survey_service.models.campaigns import (
    Campaign,
    CampaignBase,
    CampaignPublic,
    CampaignQuestionnaire,
    Draft,
    FormLink,
    QuestionnaireVersion,
    QuestionnaireVersionPublic,
)
from survey_service.models.responses import Response, ResponseBase, ResponsePublic
from survey_service.models.users import User
from survey_service.models.sampling import (
    Frame,
    FrameContact,
    FrameRow,
    Invitation,
    InvitationStatus,
    SamplePlan,
    SampleUnit,
)
from survey_service.models.analysis import (
    AdminTotal,
    AnalysisResult,
    AnalysisRun,
    AnalysisRunPublic,
    ComparisonPublic,
    IndexPublic,
    IndicesPage,
)
from survey_service.models.par import (
    AppraisalPoint,
    AppraisalStatus,
    CampaignScheme,
    ParComputation,
    ParScheme,
)
from survey_service.models.comments import CommentModeration, CommentStatus
from survey_service.models.system import ApiToken, AuditEntry, Page, RateCounter, T

# isort: on

__all__ = [
    "ROLE_RANK",
    "AdminTotal",
    "AnalysisResult",
    "AnalysisRun",
    "AnalysisRunPublic",
    "ApiToken",
    "AppraisalPoint",
    "AppraisalStatus",
    "AuditEntry",
    "Campaign",
    "CampaignBase",
    "CampaignPublic",
    "CampaignQuestionnaire",
    "CampaignScheme",
    "CampaignStatus",
    "Channel",
    "CommentModeration",
    "CommentStatus",
    "ComparisonPublic",
    "Desk",
    "DeskBase",
    "DeskCode",
    "Draft",
    "FormLink",
    "Frame",
    "FrameContact",
    "FrameRow",
    "IndexPublic",
    "IndicesPage",
    "Invitation",
    "InvitationStatus",
    "JSONType",
    "Page",
    "ParComputation",
    "ParScheme",
    "QuestionnaireVersion",
    "QuestionnaireVersionPublic",
    "RateCounter",
    "Response",
    "ResponseBase",
    "ResponsePublic",
    "Role",
    "SQLModel",
    "SamplePlan",
    "SampleUnit",
    "T",
    "UTCDateTime",
    "Unit",
    "UnitBase",
    "UnitGroup",
    "UnitPublic",
    "User",
    "utcnow",
]
