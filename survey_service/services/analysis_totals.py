"""Administrative totals: the dossiers each desk handled in a campaign, the targets desk-QR
answers are post-stratified to."""

from __future__ import annotations

from sqlmodel import Session, col, select

from survey_service import errors
from survey_service.models import AdminTotal, Desk, utcnow
from survey_service.services import campaigns as campaign_service


def desks_of_campaign(*, session: Session, campaign_id: int) -> list[tuple[Desk, int | None]]:
    """Every desk with the campaign's administrative total for it (None when not entered)."""
    totals = {
        t.desk_id: t.dossiers
        for t in session.exec(select(AdminTotal).where(AdminTotal.campaign_id == campaign_id))
    }
    desks = session.exec(select(Desk).order_by(col(Desk.unit_id), col(Desk.id))).all()
    return [(d, totals.get(d.id or 0)) for d in desks]


def set_total(
    *, session: Session, campaign_id: int, desk_id: int, dossiers: int | None
) -> tuple[int | None, int | None]:
    """Set (or clear with None) a desk's administrative total; returns (before, after)."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    if session.get(Desk, desk_id) is None:
        raise errors.NotFound("Không tìm thấy quầy.", message_en=f"No desk {desk_id}.")
    if dossiers is not None and dossiers < 0:
        raise errors.InvalidInput(
            "Số hồ sơ phải không âm.", message_en="The number of dossiers cannot be negative."
        )
    existing = session.exec(
        select(AdminTotal)
        .where(AdminTotal.campaign_id == campaign_id)
        .where(AdminTotal.desk_id == desk_id)
    ).first()
    before = existing.dossiers if existing else None
    if dossiers is None:
        if existing:
            session.delete(existing)
    elif existing:
        existing.dossiers = dossiers
        existing.updated_at = utcnow()
        session.add(existing)
    else:
        session.add(AdminTotal(campaign_id=campaign_id, desk_id=desk_id, dossiers=dossiers))
    session.flush()
    return before, dossiers
