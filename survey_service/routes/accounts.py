"""Accounts: signing in and out (failed sign-ins throttled), API tokens for scripts, and signing
out of every browser at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from survey_service import access, clients, errors, security, web
from survey_service.deps import (
    CsrfChecked,
    CurrentUser,
    DbId,
    OptionalUser,
    SessionDep,
    SettingsDep,
)
from survey_service.models import Role
from survey_service.services import audit
from survey_service.services import tokens as token_service
from survey_service.services import users as user_service

router = APIRouter(prefix="/admin", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/admin/campaigns"


@router.get("/login")
def login_page(
    request: Request,
    user: OptionalUser,
    next_url: Annotated[str | None, Query(alias="next", max_length=500)] = None,
) -> Response:
    """The sign-in form."""
    if user is not None:
        return RedirectResponse(_safe_next(next_url), status_code=303)
    ctx = {"next": _safe_next(next_url), "error": None, "email": ""}
    return web.render(request, "admin/login.html", ctx)


LOGIN_WINDOW = 15 * 60


def _login_keys(request: Request, email: str) -> tuple[str, str]:
    """Rate-limit keys of the account and of the address (keyed hashes, never the values)."""
    secret = request.app.state.settings.resolved_secret_key
    address = clients.address_bucket(clients.request_client(request))
    account = user_service.normalise_email(email)
    return (
        "login-account:" + clients.keyed_hash(secret, "login", account),
        "login-address:" + clients.keyed_hash(secret, "login", address),
    )


def _limits(request: Request) -> tuple[int, int]:
    settings = request.app.state.settings
    return settings.login_attempts_per_account, settings.login_attempts_per_address


def _refuse_when_throttled(request: Request, keys: tuple[str, str]) -> None:
    limiter = request.app.state.limiter
    for key, limit in zip(keys, _limits(request), strict=True):
        if limit > 0 and limiter.used(key, LOGIN_WINDOW) >= limit:
            raise errors.TooManyRequests(
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.",
                message_en="Too many failed sign-ins. Please try again in 15 minutes.",
                retry_after=LOGIN_WINDOW,
            )


def _count_failure(request: Request, keys: tuple[str, str]) -> None:
    limiter = request.app.state.limiter
    for key, limit in zip(keys, _limits(request), strict=True):
        limiter.hit(key, limit, LOGIN_WINDOW)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfChecked,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    """Check the credentials and start a session (failed attempts are throttled)."""
    keys = _login_keys(request, email)
    _refuse_when_throttled(request, keys)
    user = user_service.authenticate(session=session, email=email, password=password)
    if user is None:
        _count_failure(request, keys)
        ctx = {"next": _safe_next(next_url), "error": "login.failed", "email": email}
        return web.render(request, "admin/login.html", ctx, status_code=401)
    assert user.id is not None
    signer: security.Signer = request.app.state.signer
    response = RedirectResponse(_safe_next(next_url), status_code=303)
    response.set_cookie(
        security.SESSION_COOKIE,
        signer.dump_session(security.SessionData(user.id, user.session_epoch)),
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@router.post("/logout")
def logout(_csrf: CsrfChecked) -> Response:
    """End this browser's session."""
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


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
