"""Free-text comments: moderated before anything is shown.

Citizens' and businesses' free-text answers appear in unit reports only after a coordinator has
marked them shown (a comment naming a person or abusive is hidden). Officials' comments are never
listed for moderation nor shown: their words could identify them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import (
    CommentModeration,
    CommentStatus,
    QuestionnaireVersion,
    Response,
    utcnow,
)
from survey_service.services import questionnaires as questionnaire_service

SHOWN_AUDIENCES = ("citizen", "business")


@dataclass(frozen=True)
class Comment:
    """One free-text answer and its moderation state (None: not decided yet)."""

    response_id: int
    unit_id: int
    item_id: str
    text: str
    status: CommentStatus | None


def _text_items(session: Session) -> dict[int, tuple[str, set[str]]]:
    """Version id → (audience, ids of its free-text items), for the shown audiences."""
    out: dict[int, tuple[str, set[str]]] = {}
    for version in session.exec(
        select(QuestionnaireVersion).where(col(QuestionnaireVersion.audience).in_(SHOWN_AUDIENCES))
    ):
        questionnaire = questionnaire_service.parsed(version)
        texts = {i.id for i in questionnaire.items if i.type is qn.ItemType.TEXT}
        if texts and version.id is not None:
            out[version.id] = (version.audience, texts)
    return out


def comments(
    *,
    session: Session,
    campaign_id: int,
    unit_id: int | None = None,
    status: CommentStatus | None | str = "any",
    limit: int = 200,
) -> list[Comment]:
    """Free-text answers of the campaign (citizens and businesses only), newest first;
    ``status`` None lists the undecided ones, a status those decided so, "any" all."""
    items = _text_items(session)
    if not items:
        return []
    decided = {
        (m.response_id, m.item_id): m.status
        for m in session.exec(
            select(CommentModeration)
            .join(Response, col(Response.id) == CommentModeration.response_id)
            .where(Response.campaign_id == campaign_id)
        )
    }
    query = (
        select(Response.id, Response.unit_id, Response.questionnaire_version_id, Response.answers)
        .where(Response.campaign_id == campaign_id)
        .where(col(Response.questionnaire_version_id).in_(list(items)))
        .where(col(Response.excluded).is_(False))
        .order_by(col(Response.id).desc())
    )
    if unit_id is not None:
        query = query.where(Response.unit_id == unit_id)
    out: list[Comment] = []
    for response_id, unit, version_id, answers in session.exec(query):
        for item_id in sorted(items[version_id][1]):
            text = answers.get(item_id)
            if not isinstance(text, str) or not text.strip():
                continue
            state = decided.get((response_id, item_id))
            if status == "any" or state == status:
                out.append(Comment(response_id, unit, item_id, text.strip(), state))
                if len(out) >= limit:
                    return out
    return out


def moderate(
    *, session: Session, response_id: int, item_id: str, show: bool, actor: str
) -> tuple[str | None, str]:
    """Show or hide one comment; returns (before, after) states for the audit log."""
    response = session.get(Response, response_id)
    if response is None:
        raise errors.NotFound(message_en=f"No response {response_id}.")
    items = _text_items(session)
    if (
        response.questionnaire_version_id not in items
        or item_id not in items[response.questionnaire_version_id][1]
    ):
        raise errors.InvalidInput(
            "Không có ý kiến này để kiểm duyệt.",
            message_en=f"Response {response_id} has no moderated free-text item {item_id!r}.",
        )
    row = session.exec(
        select(CommentModeration)
        .where(CommentModeration.response_id == response_id)
        .where(CommentModeration.item_id == item_id)
    ).first()
    before = str(row.status) if row else None
    status = CommentStatus.SHOWN if show else CommentStatus.HIDDEN
    if row is None:
        row = CommentModeration(
            response_id=response_id, item_id=item_id, status=status, moderated_by=actor
        )
    else:
        row.status, row.moderated_by, row.moderated_at = status, actor, utcnow()
    session.add(row)
    session.flush()
    return before, status.value
