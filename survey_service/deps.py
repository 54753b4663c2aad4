"""Request dependencies as ``Annotated`` aliases (STYLE.md rule 1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from survey_service import db, errors, security
from survey_service.models import ROLE_RANK, Role, User
from survey_service.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on error (STYLE.md rule 2).

    Used with ``scope="function"`` so the commit happens before the response is sent: an answer
    is acknowledged only once it is stored.
    """
    with db.session_scope(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user, or None (expired, forged or revoked sessions count as none)."""
    signer: security.Signer = request.app.state.signer
    data = signer.load_session(request.cookies.get(security.SESSION_COOKIE))
    if data is None:
        return None
    user = session.get(User, data.user_id)
    if user is None or not user.is_active or user.session_epoch != data.epoch:
        return None
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    """The signed-in user; anonymous requests get 401 (or the login page for HTML)."""
    if user is None:
        raise errors.NotAuthenticated("Vui lòng đăng nhập.", message_en="Please sign in.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(minimum: Role) -> Callable[[User], User]:
    """A dependency that lets through users whose role is ``minimum`` or higher."""

    def check(user: CurrentUser) -> User:
        if ROLE_RANK[Role(user.role)] < ROLE_RANK[minimum]:
            raise errors.Forbidden(
                "Vai trò của Ông/Bà không được phép thực hiện thao tác này.",
                message_en=f"This needs the {minimum.value} role or higher.",
            )
        return user

    return check


ObserverUser = Annotated[User, Depends(require_role(Role.OBSERVER))]
ScorerUser = Annotated[User, Depends(require_role(Role.SCORER))]
CoordinatorUser = Annotated[User, Depends(require_role(Role.COORDINATOR))]
AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Refuse a form post whose CSRF token does not match the browser's cookie."""
    signer: security.Signer = request.app.state.signer
    if not signer.csrf_valid(request.cookies.get(security.CSRF_COOKIE), csrf_token):
        raise errors.Forbidden(
            "Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.",
            message_en="The form has expired. Please reload the page and try again.",
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]


async def read_form(request: Request) -> FormData:
    """The submitted form, read in the event loop so sync routes can use it from a thread."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]
