"""Form links: shareable, revocable links to one audience's form (``/f/{code}``)."""

from __future__ import annotations

from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import Campaign, FormLink, Unit, utcnow
from survey_service.services import desks as desk_service


def create_link(
    *, session: Session, campaign: Campaign, audience: str, unit: Unit | None, label: str = ""
) -> FormLink:
    """A new link for ``audience`` in ``campaign``, rating ``unit`` or letting people pick one."""
    if audience not in {a.value for a in qn.Audience}:
        raise errors.InvalidInput(message_en=f"Unknown audience '{audience}'.")
    assert campaign.id is not None
    for _ in range(5):
        code = desk_service.generate_code()
        if session.exec(select(FormLink.id).where(FormLink.code == code)).first() is None:
            link = FormLink(
                code=code,
                campaign_id=campaign.id,
                audience=audience,
                unit_id=unit.id if unit else None,
                label=label.strip(),
            )
            session.add(link)
            session.flush()
            return link
    raise errors.Conflict(message_en="Could not find a free link code; try again.")


def find_live(*, session: Session, code: str) -> FormLink:
    """The unrevoked link behind ``code``, or 404."""
    normal = desk_service.normalise_code(code)
    link = session.exec(select(FormLink).where(FormLink.code == normal)).first()
    if link is None or link.revoked_at is not None:
        raise errors.NotFound(
            "Đường dẫn này không tồn tại hoặc đã bị thu hồi.",
            message_en="This link does not exist or has been withdrawn.",
        )
    return link


def campaign_links(*, session: Session, campaign_id: int) -> list[FormLink]:
    """A campaign's links, newest first."""
    query = (
        select(FormLink)
        .where(FormLink.campaign_id == campaign_id)
        .order_by(col(FormLink.id).desc())
    )
    return list(session.exec(query))


def get_link(*, session: Session, link_id: int) -> FormLink:
    """A link by id, or 404."""
    link = session.get(FormLink, link_id)
    if link is None:
        raise errors.NotFound(message_en=f"No link {link_id}.")
    return link


def revoke(*, session: Session, link_id: int) -> FormLink:
    """Withdraw a link; it answers 404 from now on."""
    link = get_link(session=session, link_id=link_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        session.add(link)
        session.flush()
    return link
