"""Public routes: the home page and health (the forms are in ``routes/forms.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import text

from survey_service import web
from survey_service.deps import SessionDep

router = APIRouter()


@router.get("/healthz", include_in_schema=True, tags=["health"])
def healthz(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    """A short page saying what this service is."""
    return web.render(request, "public/home.html")
