"""Who may do what: the one table that decides access to every route.

Every route of the app must have an entry here (a test walks the router table, so a new route
cannot be forgotten); a route without one is refused to everybody. Roles rank
observer < scorer < coordinator < admin; observers (HĐND and MTTQ) read, and change nothing.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Request

from survey_service import errors
from survey_service.models import ROLE_RANK, Role, User


class Access(StrEnum):
    """The least a request needs to reach a route."""

    PUBLIC = "public"
    OBSERVER = "observer"
    SCORER = "scorer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


PUB, OBS, SCO, COO, ADM = (
    Access.PUBLIC,
    Access.OBSERVER,
    Access.SCORER,
    Access.COORDINATOR,
    Access.ADMIN,
)

POLICY: dict[tuple[str, str], Access] = {
    # public: the forms, their thanks pages, health, the home page, signing in and out
    ("GET", "/"): PUB,
    ("GET", "/healthz"): PUB,
    ("GET", "/s/{code}"): PUB,
    ("POST", "/s/{code}"): PUB,
    ("GET", "/s/{code}/thanks"): PUB,
    ("GET", "/f/{code}"): PUB,
    ("POST", "/f/{code}"): PUB,
    ("GET", "/f/{code}/thanks"): PUB,
    ("GET", "/i/{code}"): PUB,
    ("POST", "/i/{code}"): PUB,
    ("GET", "/i/{code}/thanks"): PUB,
    ("GET", "/results"): PUB,
    ("GET", "/results/{year}"): PUB,
    ("GET", "/results/{year}/units/{code}"): PUB,
    ("GET", "/results/{year}/methodology"): PUB,
    ("GET", "/results/{year}/download.{kind}"): PUB,
    ("GET", "/admin/login"): PUB,
    ("POST", "/admin/login"): PUB,
    ("POST", "/admin/logout"): PUB,
    # reading: every signed-in role, observers included
    ("GET", "/admin"): OBS,
    ("GET", "/admin/campaigns"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}"): OBS,
    ("GET", "/admin/units"): OBS,
    ("GET", "/admin/units/{unit_id}"): OBS,
    ("GET", "/admin/audit"): OBS,
    ("GET", "/admin/audit.csv"): OBS,
    ("GET", "/admin/tokens"): OBS,
    ("POST", "/admin/tokens"): OBS,
    ("POST", "/admin/tokens/{token_id}/revoke"): OBS,
    ("POST", "/admin/logout-everywhere"): OBS,
    ("GET", "/api/v1/campaigns"): OBS,
    ("GET", "/api/v1/questionnaire-versions"): OBS,
    ("GET", "/api/v1/questionnaire-versions/{version_id}"): OBS,
    ("GET", "/api/v1/audit"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/fieldwork"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/plans"): OBS,
    ("GET", "/api/v1/plans/{plan_id}/preview"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/analysis"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/analysis/heatmap"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/dashboard"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/answers"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/units/{unit_id}/report"): OBS,
    ("GET", "/api/v1/campaigns/{campaign_id}/indices"): OBS,
    ("GET", "/api/v1/campaigns/{campaign_id}/compare"): OBS,
    ("GET", "/api/v1/campaigns/{campaign_id}/par"): OBS,
    ("GET", "/api/v1/campaigns/{campaign_id}/par/components"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/par"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/par/units/{unit_id}"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/export/{kind}.{fmt}"): OBS,
    ("GET", "/admin/campaigns/{campaign_id}/export/{kind}.{fmt}.codebook.csv"): OBS,
    # analysis runs, PAR computations and appraisal points: scoring staff and up
    ("POST", "/admin/campaigns/{campaign_id}/par/compute"): SCO,
    ("POST", "/admin/campaigns/{campaign_id}/par/import"): SCO,
    ("POST", "/admin/campaigns/{campaign_id}/par/units/{unit_id}"): SCO,
    ("GET", "/admin/campaigns/{campaign_id}/par/units/{unit_id}/template.xlsx"): SCO,
    ("POST", "/admin/campaigns/{campaign_id}/analysis"): SCO,
    # answers themselves: scoring staff and up
    ("GET", "/api/v1/campaigns/{campaign_id}/responses"): SCO,
    ("GET", "/admin/campaigns/{campaign_id}/export/responses.{fmt}"): SCO,
    ("GET", "/admin/campaigns/{campaign_id}/export/responses.{fmt}.codebook.csv"): SCO,
    # fieldwork: coordinators and admins
    ("POST", "/admin/campaigns"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/status"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/pins"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/links"): COO,
    ("GET", "/admin/campaigns/{campaign_id}/flags"): COO,
    ("GET", "/admin/campaigns/{campaign_id}/totals"): COO,
    ("GET", "/admin/campaigns/{campaign_id}/comments"): COO,
    ("POST", "/admin/comments/{response_id}/{item_id}"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/totals"): COO,
    ("POST", "/admin/responses/{response_id}/exclusion"): COO,
    ("POST", "/admin/links/{link_id}/revoke"): COO,
    ("GET", "/admin/links/{link_id}/qr.png"): COO,
    ("POST", "/admin/units/{unit_id}/desks"): COO,
    ("POST", "/admin/desks/{desk_id}/rotate"): COO,
    ("POST", "/admin/desks/{desk_id}/revoke"): COO,
    ("GET", "/admin/desks/{desk_id}/qr.png"): COO,
    ("GET", "/admin/desks/{desk_id}/qr.svg"): COO,
    ("GET", "/admin/qr-cards"): COO,
    ("POST", "/admin/plans/{plan_id}/release"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/frames"): COO,
    ("POST", "/admin/campaigns/{campaign_id}/plans"): COO,
    ("POST", "/admin/plans/{plan_id}/draw"): COO,
    ("POST", "/api/v1/campaigns/{campaign_id}/plans"): COO,
    ("POST", "/api/v1/plans/{plan_id}/draw"): COO,
    ("POST", "/admin/invitations/{invitation_id}/status"): COO,
    # publishing freezes a campaign's numbers: admins only
    ("POST", "/admin/campaigns/{campaign_id}/par/publish"): ADM,
    ("GET", "/admin/plans/{plan_id}/invitations.csv"): COO,
    ("GET", "/admin/plans/{plan_id}/letters"): COO,
    ("GET", "/admin/invitations/{invitation_id}/qr.svg"): COO,
}


def rank(role: Role | str) -> int:
    """The rank of a role (observer 0 … admin 3)."""
    return ROLE_RANK[Role(role)]


def allows(access: Access, role: Role | str | None) -> bool:
    """Whether ``role`` (None: anonymous) may reach a route that needs ``access``."""
    if access is Access.PUBLIC:
        return True
    return role is not None and rank(role) >= rank(Role(access.value))


def required_access(request: Request) -> Access | None:
    """The access the matched route needs, or None when the route is not in the table."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return POLICY.get((request.method if request.method != "HEAD" else "GET", str(path)))


def enforce(request: Request, user: User | None, role: Role | None) -> None:
    """Refuse the request unless the table lets ``role`` reach the route."""
    access = required_access(request)
    if access is None:
        raise errors.Forbidden(message_en="This route has no access rule; it is refused.")
    if access is Access.PUBLIC or allows(access, role):
        return
    if user is None:
        raise errors.NotAuthenticated("Vui lòng đăng nhập.", message_en="Please sign in.")
    raise errors.Forbidden(
        "Vai trò của Ông/Bà không được phép thực hiện thao tác này.",
        message_en=f"This needs the {access.value} role or higher.",
    )
