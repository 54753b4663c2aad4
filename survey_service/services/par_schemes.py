"""PAR schemes: versions stored by content hash, pinned per campaign and unit group, and the
check that refuses changes once a campaign's results are published."""

from __future__ import annotations

from sqlmodel import Session, col, select

from analysis import par
from survey_service import errors
from survey_service.models import (
    Campaign,
    CampaignScheme,
    CampaignStatus,
    ParComputation,
    ParScheme,
)

GROUPS = ("department", "district")


def scheme_version(*, session: Session, scheme: par.Scheme) -> ParScheme:
    """The stored version of ``scheme`` (stored now if new)."""
    digest = par.content_hash(scheme)
    row = session.exec(select(ParScheme).where(ParScheme.content_hash == digest)).first()
    if row is None:
        row = ParScheme(
            scheme_id=scheme.id,
            group=scheme.group,
            content_hash=digest,
            definition=scheme.model_dump(mode="json"),
        )
        session.add(row)
        session.flush()
    return row


_PARSED: dict[str, par.Scheme] = {}


def parsed(row: ParScheme) -> par.Scheme:
    """The scheme of a stored version (parsed once per process: versions never change)."""
    scheme = _PARSED.get(row.content_hash)
    if scheme is None:
        scheme = par.scheme_from_dict(row.definition)
        if par.content_hash(scheme) == row.content_hash:
            _PARSED[row.content_hash] = scheme
    return scheme


def scheme_row(*, session: Session, content_hash: str) -> ParScheme:
    """The stored scheme version with this content hash."""
    row = session.exec(select(ParScheme).where(ParScheme.content_hash == content_hash)).first()
    if row is None:
        raise errors.NotFound(message_en=f"No stored scheme {content_hash[:12]}.")
    return row


def pin_scheme(*, session: Session, campaign: Campaign, version: ParScheme) -> None:
    """Make the campaign score the version's unit group with it (refused once published)."""
    _refuse_if_published(session, campaign.id or 0)
    pin = session.exec(
        select(CampaignScheme)
        .where(CampaignScheme.campaign_id == campaign.id)
        .where(CampaignScheme.group == version.group)
    ).first()
    if pin is None:
        pin = CampaignScheme(
            campaign_id=campaign.id or 0, group=version.group, par_scheme_id=version.id or 0
        )
    else:
        pin.par_scheme_id = version.id or 0
    session.add(pin)
    session.flush()


def schemes(*, session: Session, campaign: Campaign) -> dict[str, tuple[ParScheme, par.Scheme]]:
    """The scheme of each unit group; the shipped example is pinned for a group without one."""
    out: dict[str, tuple[ParScheme, par.Scheme]] = {}
    for group in GROUPS:
        pin = session.exec(
            select(CampaignScheme)
            .where(CampaignScheme.campaign_id == campaign.id)
            .where(CampaignScheme.group == group)
        ).first()
        if pin is None:
            version = scheme_version(session=session, scheme=par.builtin_scheme(group))
            if campaign.status != CampaignStatus.PUBLISHED:
                pin_scheme(session=session, campaign=campaign, version=version)
        else:
            stored = session.get(ParScheme, pin.par_scheme_id)
            assert stored is not None
            version = stored
        out[group] = (version, parsed(version))
    return out


def is_published(*, session: Session, campaign_id: int) -> bool:
    """Whether a computation of the campaign has been published (its numbers are frozen)."""
    return (
        session.exec(
            select(ParComputation.id)
            .where(ParComputation.campaign_id == campaign_id)
            .where(col(ParComputation.published_at).is_not(None))
        ).first()
        is not None
    )


def _refuse_if_published(session: Session, campaign_id: int) -> None:
    if is_published(session=session, campaign_id=campaign_id):
        raise errors.Conflict(
            "Kết quả đã công bố nên không thể thay đổi.",
            message_en="The campaign's results are published; its numbers are frozen.",
        )
