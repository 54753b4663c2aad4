"""Invitations: single-use codes for sampled respondents (``/i/{code}``)."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import Invitation, InvitationStatus, SampleUnit, utcnow
from survey_service.services import desks as desk_service

CODE_LENGTH = 14  # 29**14 ≈ 2**68: at least 64 bits, as invitations require
OPEN_STATUSES = (InvitationStatus.ISSUED, InvitationStatus.OPENED)


def generate_code() -> str:
    """A new invitation code from the unambiguous alphabet of desk codes."""
    alphabet = desk_service.CODE_ALPHABET
    return "".join(secrets.choice(alphabet) for _ in range(CODE_LENGTH))


def issue(
    *,
    session: Session,
    campaign_id: int,
    audience: str,
    unit_id: int,
    stratum: str,
    design_weight: float,
    sample_unit: SampleUnit | None = None,
) -> Invitation:
    """A new invitation for one sampled respondent."""
    invitation = Invitation(
        code=generate_code(),
        campaign_id=campaign_id,
        audience=audience,
        unit_id=unit_id,
        stratum=stratum,
        design_weight=design_weight,
        sample_unit_id=sample_unit.id if sample_unit else None,
    )
    session.add(invitation)
    session.flush()
    return invitation


def _unknown() -> errors.NotFound:
    return errors.NotFound(
        "Mã thư mời không tồn tại. Vui lòng kiểm tra lại đường dẫn trong thư mời.",
        message_en="This invitation code does not exist. Please check the link in your letter.",
    )


def find(*, session: Session, code: str) -> Invitation:
    """The invitation behind ``code``: 404 if unknown, 410 once it has been used or closed."""
    normal = desk_service.normalise_code(code)
    if len(normal) != CODE_LENGTH or any(ch not in desk_service.CODE_ALPHABET for ch in normal):
        raise _unknown()
    invitation = session.exec(select(Invitation).where(Invitation.code == normal)).first()
    if invitation is None:
        raise _unknown()
    if invitation.status in (InvitationStatus.REFUSED, InvitationStatus.UNREACHABLE):
        raise errors.Gone(
            "Thư mời này không còn hiệu lực.", message_en="This invitation is no longer valid."
        )
    if invitation.status not in OPEN_STATUSES:
        raise errors.Gone(
            "Thư mời này đã được sử dụng. Mỗi thư mời chỉ trả lời được một lần. Cảm ơn Ông/Bà.",
            message_en="This invitation has already been used; each can be answered once. "
            "Thank you.",
        )
    return invitation


def mark_opened(*, session: Session, invitation_id: int) -> None:
    """Record the first opening of an issued invitation."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is not None and invitation.status == InvitationStatus.ISSUED:
        invitation.status = InvitationStatus.OPENED
        invitation.opened_at = utcnow()
        session.add(invitation)
        session.flush()


def complete(*, session: Session, invitation_id: int) -> None:
    """Use the invitation up, atomically: of two concurrent submissions only one gets here.

    Officials' invitations keep no completion time, so nothing joins them to an answer by time.
    """
    row = session.get(Invitation, invitation_id)
    official = row is not None and row.audience == qn.Audience.OFFICIAL.value
    done = session.execute(
        sa.update(Invitation)
        .where(col(Invitation.id) == invitation_id, col(Invitation.status).in_(OPEN_STATUSES))
        .values(status=InvitationStatus.COMPLETED, completed_at=None if official else utcnow())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.Gone(
            "Thư mời này đã được sử dụng.", message_en="This invitation has already been used."
        )
