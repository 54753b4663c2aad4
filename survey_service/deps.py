"""Request dependencies as ``Annotated`` aliases (STYLE.md rule 1)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl

import anyio
import anyio.to_thread
from fastapi import Depends, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session
from starlette.datastructures import FormData

from survey_service import access, errors, security
from survey_service.models import Role, User
from survey_service.services import tokens as token_service
from survey_service.settings import Settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: commit on success, roll back on error (STYLE.md rule 2).

    Used with ``scope="function"`` so the commit happens before the response is sent: an answer
    is acknowledged only once it is stored. Opening a session does no I/O, so it happens in the
    event loop; the commit or rollback and the close run in the thread pool. (Every sync
    dependency costs a trip to a worker thread and back; with three of them these trips were
    a third of a public request's time.)
    """
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        await _ended(session, commit=False)
        raise
    await _ended(session, commit=True)
    if request.method != "GET" and request.url.path.startswith(("/admin", "/api")):
        # a desk, a code, a unit or a campaign may have changed: what desk codes open is
        # looked up afresh in this process (the others follow within SURVEY_FORM_CACHE_SECONDS)
        request.app.state.form_targets.clear()


SESSION_END_THREADS = 8
_end_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def _ended(session: Session, *, commit: bool) -> None:
    """Commit or roll back and close in threads of their own, shielded from cancellation.

    Own threads: when every request thread waits for a database connection, the connections
    are held by sessions waiting to be closed; were the closing queued behind those threads,
    nothing would move until the pool's timeout (seen at 500 concurrent clients). Shielded: a
    client that hangs up must not leave a transaction, and SQLite's writer queue, open.
    """
    if not session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.close()  # never used (a public page answered from memory): nothing to end
        return
    loop = asyncio.get_running_loop()
    limiter = _end_limiters.get(loop)
    if limiter is None:
        limiter = _end_limiters[loop] = anyio.CapacityLimiter(SESSION_END_THREADS)
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(partial(_end, session, commit=commit), limiter=limiter)


def _end(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close, in one trip to the thread pool."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_optional_user(request: Request, session: SessionDep) -> User | None:
    """The signed-in user (session cookie or ``Authorization: Bearer`` API token), or None.

    Expired, forged or revoked sessions and tokens count as none. The role the request acts
    with (a token's role may be lower than its user's) is kept in ``request.state.role``. A
    request with neither (every public form) is answered in the event loop; the lookups run in
    the thread pool.
    """
    request.state.user, request.state.role, request.state.by_token = None, None, False
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = await run_in_threadpool(
            token_service.authenticate, session=session, plain=header[7:].strip()
        )
        if found is None:
            return None
        request.state.user, request.state.role = found
        request.state.by_token = True
        return found[0]
    signer: security.Signer = request.app.state.signer
    data = signer.load_session(request.cookies.get(security.SESSION_COOKIE))
    if data is None:
        return None
    user = await run_in_threadpool(session.get, User, data.user_id)
    if user is None or not user.is_active or user.session_epoch != data.epoch:
        return None
    request.state.user, request.state.role = user, Role(user.role)
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def authorize(request: Request, user: OptionalUser) -> None:
    """Every route passes here: the access table of ``access.py`` decides (app dependency)."""
    access.enforce(request, user, request.state.role)


async def get_current_user(user: OptionalUser) -> User:
    """The signed-in user (the access table has already let the request through)."""
    if user is None:
        raise errors.NotAuthenticated("Vui lòng đăng nhập.", message_en="Please sign in.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def check_csrf(
    request: Request, user: OptionalUser, csrf_token: Annotated[str, Form()] = ""
) -> None:
    """Refuse a form post whose CSRF token does not match the browser's cookie.

    Requests signed with an API token carry no ambient browser credential and need none.
    """
    if request.state.by_token:
        return
    signer: security.Signer = request.app.state.signer
    if not signer.csrf_valid(request.cookies.get(security.CSRF_COOKIE), csrf_token):
        raise errors.Forbidden(
            "Phiên làm việc đã hết hạn. Vui lòng tải lại trang và thử lại.",
            message_en="The form has expired. Please reload the page and try again.",
        )


CsrfChecked = Annotated[None, Depends(check_csrf)]


async def read_form(request: Request) -> FormData:
    """The submitted form, read in the event loop so sync routes can use it from a thread.

    NUL characters are dropped from text values (PostgreSQL text cannot hold them), and file
    parts are dropped: the public forms take no files.
    """
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    # Not when FastAPI has already parsed the form for a Form() parameter (a CSRF token): the
    # body stream is then consumed, and the parsed form is there to reuse.
    parsed = getattr(request, "_form", None) is not None
    if kind == "application/x-www-form-urlencoded" and not parsed:
        # What Starlette's parser does (latin-1 bytes, then unquote_plus as UTF-8 with
        # replacement), in the standard library's parse_qsl: a fifth of the time, which was
        # a tenth of a whole submission's.
        try:
            pairs = parse_qsl(
                (await request.body()).decode("latin-1"),
                keep_blank_values=True,
                max_num_fields=MAX_FORM_FIELDS,
            )
        except ValueError as exc:
            raise errors.InvalidInput(
                "Phiếu gửi lên có quá nhiều trường.",
                message_en=f"At most {MAX_FORM_FIELDS} form fields may be sent.",
            ) from exc
        return FormData([(k, v.replace("\x00", "")) for k, v in pairs])
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    # Only text fields: a file sent where an answer is expected is not an answer.
    return FormData(
        [(k, v.replace("\x00", "")) for k, v in form.multi_items() if isinstance(v, str)]
    )


MAX_FORM_FIELDS = 1000  # Starlette's own default for form posts


FormDep = Annotated[FormData, Depends(read_form)]


MAX_ID = 2_147_483_647
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A row id in a path: a positive 32-bit integer (PostgreSQL's integer), else 422."""
