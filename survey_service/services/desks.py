"""One-stop desks and the short revocable codes printed in their QR cards."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from survey_service import errors
from survey_service.models import Desk, DeskCode, Response, Unit, utcnow

# No 0/O, 1/I/L or U/V look-alikes: a code read aloud or typed from a card is unambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 9  # 29**9 ≈ 1.45e13 ≈ 2**43.7 possible codes (at least 40 bits, as required)


def generate_code() -> str:
    """A new random desk code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """A code as typed (any case, stray spaces or dashes) in its stored form."""
    return code.strip().upper().replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class DeskAtCode:
    """What a public form needs to know about the desk behind a code."""

    desk: Desk
    unit: Unit
    code: str


def _unknown_code() -> errors.NotFound:
    return errors.NotFound(
        "Mã QR này không tồn tại hoặc đã bị thu hồi. Vui lòng quét mã đang dán tại quầy.",
        message_en="This QR code does not exist or has been withdrawn. "
        "Please scan the code at the desk.",
    )


def find_by_code(*, session: Session, code: str) -> DeskAtCode:
    """The active desk behind a live code, or 404 for unknown, revoked or inactive ones."""
    normal = normalise_code(code)
    if len(normal) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in normal):
        raise _unknown_code()
    row = session.exec(
        select(DeskCode, Desk, Unit)
        .join(Desk, col(Desk.id) == DeskCode.desk_id)
        .join(Unit, col(Unit.id) == Desk.unit_id)
        .where(DeskCode.code == normal)
    ).first()
    if row is None:
        raise _unknown_code()
    desk_code, desk, unit = row
    if not _live(desk_code, desk):
        raise _unknown_code()
    return DeskAtCode(desk=desk, unit=unit, code=normal)


def find_live(*, session: Session, codes: Iterable[str] | None) -> dict[str, DeskAtCode]:
    """The active desks behind those of ``codes`` that are live (every live code when None),
    by code in its stored form, in one query; unknown, revoked and inactive ones are left out."""
    query = (
        select(DeskCode, Desk, Unit)
        .join(Desk, col(Desk.id) == DeskCode.desk_id)
        .join(Unit, col(Unit.id) == Desk.unit_id)
    )
    if codes is None:
        query = query.where(col(DeskCode.revoked_at).is_(None), col(Desk.active).is_(True))
    else:
        query = query.where(col(DeskCode.code).in_(sorted({normalise_code(c) for c in codes})))
    rows = session.exec(query).all()
    return {
        desk_code.code: DeskAtCode(desk=desk, unit=unit, code=desk_code.code)
        for desk_code, desk, unit in rows
        if _live(desk_code, desk)
    }


def _live(desk_code: DeskCode, desk: Desk) -> bool:
    return desk_code.revoked_at is None and desk.active


def create_desk(*, session: Session, unit: Unit, name_vi: str, name_en: str) -> Desk:
    """Add a desk to ``unit`` with a fresh code."""
    assert unit.id is not None
    desk = Desk(unit_id=unit.id, name_vi=name_vi.strip(), name_en=name_en.strip() or name_vi)
    session.add(desk)
    session.flush()
    issue_code(session=session, desk=desk)
    return desk


def get_desk(*, session: Session, desk_id: int) -> Desk:
    """A desk by id, or 404."""
    desk = session.get(Desk, desk_id)
    if desk is None:
        raise errors.NotFound(f"Không có quầy số {desk_id}.", message_en=f"No desk {desk_id}.")
    return desk


def live_code(*, session: Session, desk: Desk) -> DeskCode | None:
    """The desk's current (unrevoked) code, if any."""
    return session.exec(
        select(DeskCode)
        .where(DeskCode.desk_id == desk.id, col(DeskCode.revoked_at).is_(None))
        .order_by(col(DeskCode.id).desc())
    ).first()


def issue_code(*, session: Session, desk: Desk) -> DeskCode:
    """Give the desk a new code (retrying the astronomically rare collision)."""
    assert desk.id is not None
    for _ in range(5):
        code = generate_code()
        exists = session.exec(select(DeskCode.id).where(DeskCode.code == code)).first()
        if exists is None:
            desk_code = DeskCode(desk_id=desk.id, code=code)
            session.add(desk_code)
            session.flush()
            return desk_code
    raise errors.Conflict(message_en="Could not find a free desk code; try again.")


def revoke_code(*, session: Session, desk: Desk) -> DeskCode | None:
    """Withdraw the desk's live code (its printed card stops working); returns it."""
    current = live_code(session=session, desk=desk)
    if current is not None:
        current.revoked_at = utcnow()
        session.add(current)
        session.flush()
    return current


def rotate_code(*, session: Session, desk: Desk) -> DeskCode:
    """Revoke the desk's live code and issue a new one (a card must be reprinted)."""
    revoke_code(session=session, desk=desk)
    return issue_code(session=session, desk=desk)


@dataclass(frozen=True)
class DeskRow:
    """A desk with its unit, live code and response count, for admin pages and exports."""

    desk: Desk
    unit: Unit
    code: str | None
    responses: int


def desk_rows(*, session: Session, unit_id: int | None = None) -> list[DeskRow]:
    """Every desk (or one unit's) with unit, live code and number of responses."""
    counts = (
        select(Response.desk_id, func.count().label("n")).group_by(col(Response.desk_id)).subquery()
    )
    query = (
        select(Desk, Unit, DeskCode.code, func.coalesce(counts.c.n, 0))
        .join(Unit, col(Unit.id) == Desk.unit_id)
        .outerjoin(
            DeskCode,
            (col(DeskCode.desk_id) == Desk.id) & col(DeskCode.revoked_at).is_(None),
        )
        .outerjoin(counts, counts.c.desk_id == Desk.id)
        .order_by(col(Unit.group), col(Unit.code), col(Desk.id))
    )
    if unit_id is not None:
        query = query.where(Desk.unit_id == unit_id)
    return [DeskRow(desk, unit, code, int(n)) for desk, unit, code, n in session.exec(query)]
