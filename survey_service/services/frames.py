"""Sampling frames: population lists imported from CSV or XLSX, and their contacts purged.

A file is read twice, streaming, so a million rows never sit in memory: the first pass checks every
row (keeping only the set of external ids and the unit codes) and the second, run only when nothing
was wrong, inserts the rows in batches. Contact data goes to ``frame_contacts`` alone, so that
deleting it after fieldwork leaves the frame, its strata and its samples intact.

Two imports of the same campaign and audience at once never both store an id: on PostgreSQL
the second waits for the first before its check (an advisory lock); on SQLite the second looks
at the first's rows again once it writes, and stops with nothing stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import Campaign, Frame, FrameContact, FrameRow, Unit, User, utcnow
from survey_service.services import audit
from survey_service.services import campaigns as campaign_service
from survey_service.services.frame_files import (
    _KEYS,
    BATCH,
    ImportReport,
    RowError,
    _blank,
    _Check,
    _Layout,
    _layout,
    _numbered,
    _Unreadable,
    held_ids,
)

__all__ = ["ImportReport", "RowError", "import_frame", "list_frames", "purge_contacts"]


# --- import, list, purge ------------------------------------------------------------------------


def _audience(audience: str) -> qn.Audience:
    try:
        return qn.Audience(audience)
    except ValueError:
        raise errors.InvalidInput(
            f"Không có đối tượng {audience!r}.", message_en=f"There is no audience {audience!r}."
        ) from None


def _unit_codes(session: Session) -> dict[str, int]:
    units = session.exec(select(Unit.id, Unit.code))
    return {code.casefold(): unit_id for unit_id, code in units if unit_id is not None}


def _earlier_frames(session: Session, campaign_id: int, audience: qn.Audience) -> list[int]:
    query = select(Frame.id).where(Frame.campaign_id == campaign_id, Frame.audience == audience)
    return [frame_id for frame_id in session.exec(query) if frame_id is not None]


IMPORT_LOCK = 0x46524D49  # "FRMI": the first key of PostgreSQL's advisory lock on imports


def _one_import_at_a_time(session: Session, campaign_id: int, audience: qn.Audience) -> None:
    """On PostgreSQL, wait until no other transaction imports a frame of this campaign and
    audience, and hold that turn to the end of this one (an advisory lock), so this import's
    check sees every id the other stored. SQLite needs no lock here: its writer queue makes
    the second import wait at its first INSERT, and :func:`_store` looks again from there."""
    if session.get_bind().dialect.name == "postgresql":
        audiences = list(qn.Audience)
        key = campaign_id * len(audiences) + audiences.index(audience)
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK, key % 2**31)))


def _check_file(
    *,
    session: Session,
    campaign_id: int,
    audience: qn.Audience,
    path: Path,
    mapping: Mapping[str, str],
    max_errors: int,
) -> _Check | list[RowError]:
    """The first pass: the finished check, or the problems that stop it at the header."""
    check: _Check | None = None
    with closing(_numbered(path)) as numbered:
        try:
            header = next(numbered, None)
            if header is None:
                return [RowError(1, "", "The file is empty.")]
            layout, problems = _layout(header[1], audience, mapping)
            if problems:
                return problems
            earlier = _earlier_frames(session, campaign_id, audience)
            check = _Check(session, layout, _unit_codes(session), earlier, max_errors)
            for number, cells in numbered:
                if not _blank(cells):
                    check.row(number, cells)
        except _Unreadable as exc:
            if check is None:
                return [RowError(exc.row, "", exc.problem)]
            check.add(exc.row, "", exc.problem)
    check.look_up_earlier()
    check.found.sort(key=lambda error: error.row)
    if check.rows == 0:
        check.add(1, "", "The file has no data rows.")
    return check


def _insert(session: Session, batch: list[tuple[dict[str, Any], dict[str, str]]]) -> int:
    """Insert a batch of (row, contact), then the contacts of rows that have one."""
    if not batch:
        return 0
    table = FrameRow.__table__  # type: ignore[attr-defined]
    statement = sa.insert(table).returning(table.c.external_id, table.c.id)
    ids = dict(session.execute(statement, [row for row, _ in batch]).all())
    contacts = [
        {"frame_row_id": ids[row["external_id"]], "contact": contact}
        for row, contact in batch
        if contact
    ]
    if contacts:
        session.execute(sa.insert(FrameContact.__table__), contacts)  # type: ignore[attr-defined]
    return len(batch)


def _split(
    layout: _Layout, values: dict[str, Any], frame_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """A checked row as stored: the frame row, and apart from it the contact fields with a value."""
    row = {"frame_id": frame_id, "external_id": values["external_id"], "unit_id": values["unit"]}
    row["attributes"], contact = {}, {}
    for spec, _, _ in layout.columns:
        if spec.contact:
            if values[spec.name] is not None:
                contact[spec.name] = values[spec.name]
        elif spec.name not in _KEYS:
            row["attributes"][spec.name] = values[spec.name]
    return row, contact


def _store(session: Session, frame: Frame, path: Path, check: _Check) -> int:
    """The second pass: insert every row in batches; returns how many.

    Called with the frame's own row written, so this transaction now writes alone (SQLite's
    writer queue; on PostgreSQL the import lock was taken before the check). A frame of the
    same campaign and audience that another import stored after this one's check is looked
    at here, batch by batch: an id it holds stops the import with nothing stored.
    """
    assert frame.id is not None
    known = set(check.earlier) | {frame.id}
    others = _earlier_frames(session, frame.campaign_id, qn.Audience(frame.audience))
    newer = [frame_id for frame_id in others if frame_id not in known]
    batch: list[tuple[dict[str, Any], dict[str, str]]] = []
    total = 0

    def insert() -> int:
        if newer and batch:
            _refuse_ids_in(session, newer, [row["external_id"] for row, _ in batch])
        return _insert(session, batch)

    with closing(_numbered(path)) as numbered:
        next(numbered)
        for _, cells in numbered:
            if _blank(cells):
                continue
            values, problems = check.layout.parse(cells, check.units)
            if problems:
                raise errors.Conflict(
                    "Tệp đã thay đổi trong khi nhập.", message_en="The file changed during import."
                )
            batch.append(_split(check.layout, values, frame.id))
            if len(batch) >= BATCH:
                total += insert()
                batch.clear()
    return total + insert()


def _refuse_ids_in(session: Session, frames: list[int], external_ids: list[str]) -> None:
    taken = session.exec(held_ids(frames, external_ids).limit(1)).first()
    if taken is not None:
        raise errors.Conflict(
            f"Một lần nhập khác của cùng chiến dịch và đối tượng vừa xong trong lúc nhập và đã có"
            f" mã {taken!r}; chưa lưu gì. Hãy nhập lại để xem mọi dòng trùng.",
            message_en=(
                f"Another import for the same campaign and audience finished during this one"
                f" and holds id {taken!r}; nothing was stored. Import again to see every"
                f" such row."
            ),
        )


def import_frame(
    *,
    session: Session,
    campaign: Campaign,
    audience: str,
    name: str,
    path: Path | str,
    mapping: Mapping[str, str] | None = None,
    max_errors: int = 1000,
    actor: User | None = None,
) -> ImportReport:
    """Check a CSV or XLSX file of ``audience``, then store it as a frame if nothing is wrong."""
    kind, path, name = _audience(audience), Path(path), name.strip()
    if not name or len(name) > 200:
        raise errors.InvalidInput(
            "Tên khung mẫu cần 1–200 ký tự.", message_en="A frame name needs 1–200 characters."
        )
    if not path.is_file():
        raise errors.InvalidInput(f"Không có tệp {path}.", message_en=f"There is no file {path}.")
    assert campaign.id is not None
    _one_import_at_a_time(session, campaign.id, kind)
    check = _check_file(
        session=session,
        campaign_id=campaign.id,
        audience=kind,
        path=path,
        mapping=mapping or {},
        max_errors=max_errors,
    )
    if isinstance(check, list):
        return ImportReport(None, 0, tuple(check), len(check))
    if check.count:
        return ImportReport(None, check.rows, tuple(check.found), check.count)
    check.seen.clear()  # every id is checked: free them for the second pass
    frame = Frame(campaign_id=campaign.id, audience=kind.value, name=name)
    session.add(frame)
    session.flush()
    frame.row_count = _store(session, frame, path, check)
    session.add(frame)
    session.flush()
    after = {"name": name, "audience": kind.value, "rows": frame.row_count}
    audit.record(
        session=session,
        actor=actor,
        action="frame.import",
        entity="frame",
        entity_id=frame.id,
        after=after,
    )
    return ImportReport(frame.id, frame.row_count, (), 0)


def list_frames(*, session: Session, campaign_id: int) -> list[Frame]:
    """The campaign's frames in import order."""
    query = select(Frame).where(Frame.campaign_id == campaign_id).order_by(col(Frame.id))
    return list(session.exec(query))


def purge_contacts(*, session: Session, campaign_id: int, actor: User | None = None) -> int:
    """Delete the contact data of every frame of the campaign (after fieldwork); how many."""
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    frames = list_frames(session=session, campaign_id=campaign_id)
    campaign_frames = select(Frame.id).where(Frame.campaign_id == campaign_id)
    frame_rows = select(FrameRow.id).where(col(FrameRow.frame_id).in_(campaign_frames))
    deleted = session.execute(
        sa.delete(FrameContact)
        .where(col(FrameContact.frame_row_id).in_(frame_rows))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    now = utcnow()
    for frame in frames:
        frame.contacts_purged_at = now
        session.add(frame)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="frame.purge_contacts",
        entity="campaign",
        entity_id=campaign_id,
        after={"contacts_deleted": deleted, "frames": len(frames)},
    )
    return int(deleted)
