"""Accounts: API tokens for scripts, and signing out of every browser at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from survey_service import access, security, web
from survey_service.deps import CsrfChecked, CurrentUser, DbId, SessionDep
from survey_service.models import Role
from survey_service.services import audit
from survey_service.services import tokens as token_service

router = APIRouter(prefix="/admin", include_in_schema=False)


def _tokens_page(
    request: Request, session: SessionDep, user: CurrentUser, new_token: str | None = None
) -> Response:
    roles = [r for r in Role if access.rank(r) <= access.rank(user.role)]
    ctx = {
        "tokens": token_service.tokens_of(session=session, user=user),
        "roles": roles,
        "new_token": new_token,
    }
    return web.render(request, "admin/tokens.html", ctx)


@router.get("/tokens")
def tokens_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """The user's API tokens (an admin sees everyone's)."""
    return _tokens_page(request, session, user)


@router.post("/tokens")
def token_create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    _csrf: CsrfChecked,
    name: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[Role, Form()] = Role.OBSERVER,
) -> Response:
    """Make a token; its value is shown on this page once and never again."""
    token, plain = token_service.create_token(session=session, user=user, name=name, role=role)
    audit.record(
        session=session,
        actor=user,
        action="token.create",
        entity="api_token",
        entity_id=token.id,
        after=audit.snapshot(token, "name", "role", "user_id"),
    )
    return _tokens_page(request, session, user, new_token=plain)


@router.post("/tokens/{token_id}/revoke")
def token_revoke(
    token_id: DbId, session: SessionDep, user: CurrentUser, _csrf: CsrfChecked
) -> Response:
    """Revoke a token: scripts using it are refused from now on."""
    token = token_service.revoke(session=session, user=user, token_id=token_id)
    audit.record(
        session=session,
        actor=user,
        action="token.revoke",
        entity="api_token",
        entity_id=token_id,
        after=audit.snapshot(token, "name", "revoked_at"),
    )
    return RedirectResponse("/admin/tokens", status_code=303)


@router.post("/logout-everywhere")
def logout_everywhere(session: SessionDep, user: CurrentUser, _csrf: CsrfChecked) -> Response:
    """End every session of this user, on every browser (API tokens are revoked separately)."""
    before = user.session_epoch
    user.session_epoch += 1
    session.add(user)
    audit.record(
        session=session,
        actor=user,
        action="user.logout_everywhere",
        entity="user",
        entity_id=user.id,
        before={"session_epoch": before},
        after={"session_epoch": user.session_epoch},
    )
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response
