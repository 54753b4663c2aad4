"""The public forms: what a code opens (campaign, questionnaire, unit, desk) and its pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, or_, select

import questionnaires as qn
from questionnaires import expressions
from survey_service import errors
from survey_service.models import Campaign, Channel, Desk, QuestionnaireVersion, Unit
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import form_links as link_service
from survey_service.services import invitations as invitation_service
from survey_service.services import questionnaires as questionnaire_service

UNIT_PAGE = "unit"
ALL = "all"


_NOT_COMPARED = frozenset({"_sa_instance_state", "definition"})


@dataclass(frozen=True)
class FormTarget:
    """Everything a public form needs to know about the code it was opened with."""

    route: str  # "s" (desk QR), "f" (form link) or "i" (invitation)
    code: str
    campaign: Campaign
    version: QuestionnaireVersion
    channel: Channel
    unit: Unit | None
    desk: Desk | None
    invitation_id: int | None = None
    stratum: str | None = None
    design_weight: float | None = None

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything about this target as stored: equal fingerprints, the same forms. (The
        version's definition is left out: its content hash, compared, stands for it.)"""
        rows = [
            None if row is None else {k: v for k, v in vars(row).items() if k not in _NOT_COMPARED}
            for row in (self.campaign, self.version, self.unit, self.desk)
        ]
        head = (self.route, self.code, self.channel, self.invitation_id, self.stratum)
        return (*head, self.design_weight, *rows)

    @property
    def key(self) -> str:
        """The form's key in drafts and rate limits."""
        return f"{self.route}:{self.code}"

    @property
    def base_path(self) -> str:
        """The form's URL path."""
        return f"/{self.route}/{self.code}"

    @property
    def questionnaire(self) -> qn.Questionnaire:
        """The pinned version, parsed (once per process)."""
        return questionnaire_service.parsed(self.version)


def _campaign_and_version(
    session: Session, audience: str, campaign: Campaign | None = None
) -> tuple[Campaign, QuestionnaireVersion]:
    campaign = campaign or campaign_service.collecting_campaign(session=session)
    if not campaign_service.is_collecting(campaign, campaign_service.today()):
        raise errors.Gone()
    version = campaign_service.pinned_version(session=session, campaign=campaign, audience=audience)
    return campaign, version


def desk_target(*, session: Session, code: str) -> FormTarget:
    """The citizen form of the desk behind a desk code."""
    found = desk_service.find_by_code(session=session, code=code)
    return _desk_form(found, *_campaign_and_version(session, qn.Audience.CITIZEN.value))


def _desk_form(
    at: desk_service.DeskAtCode, campaign: Campaign, version: QuestionnaireVersion
) -> FormTarget:
    target = FormTarget(
        route="s",
        code=at.code,
        campaign=campaign,
        version=version,
        channel=Channel.DESK_QR,
        unit=at.unit,
        desk=at.desk,
    )
    target.questionnaire  # noqa: B018 - parsed while the version can still load its text
    return target


def desk_targets(*, session: Session, codes: Iterable[str] | None) -> dict[str, FormTarget]:
    """:func:`desk_target` for many codes at once (every live code when None), by code in its
    stored form: the codes in one query, the campaign and its version once. Codes that open no
    form are left out."""
    found = desk_service.find_live(session=session, codes=codes)
    if not found:
        return {}
    try:
        campaign, version = _campaign_and_version(session, qn.Audience.CITIZEN.value)
    except errors.DomainError:  # no campaign collecting: no desk code opens a form
        return {}
    return {code: _desk_form(at, campaign, version) for code, at in found.items()}


class TargetCache:
    """What desk codes opened, remembered for a few seconds by one app process.

    Every desk-QR page and submission needs the desk, its unit, the collecting campaign and
    its citizen questionnaire: four queries that were a fifth of a submission's time at peak.
    The entries live ``seconds`` at most, and the whole cache is emptied after any change made
    through this process's admin pages or API, so a revoked code, a closed desk or a closed
    campaign takes effect at once here and within ``seconds`` in the other app processes.
    Invitations are never cached (each is single-use).

    Codes in use are looked up again, together, before they expire (:meth:`refresh_due`,
    then :meth:`refresh` in the background), so at a peak the desk codes, all remembered
    within the same second, do not all expire in the same second in front of their requests
    (seen: p99 at 100 clients 135–166 ms with a cache that never expired, 239–251 ms with 5 s;
    refreshed one code at a time they cost a tenth of a worker's time).
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, FormTarget]] = {}
        self._lock = threading.Lock()
        self._refreshing = False  # one refresh at a time, for every entry due
        self._ahead = seconds * REFRESH_AHEAD
        self._pages: dict[tuple[str, str], tuple[FormTarget, str]] = {}
        self._generation = 0  # counts clear(): a lookup begun before one is not remembered

    def desk_target(self, *, session: Session, code: str) -> FormTarget:
        """``desk_target``, from memory while fresh."""
        if self.seconds <= 0:
            return desk_target(session=session, code=code)
        key = desk_service.normalise_code(code)
        now = self._clock()
        found = self._entries.get(key)
        if found is not None and found[0] > now:
            return found[1]
        target = _unchanged(found, desk_target(session=session, code=code))
        with self._lock:
            if len(self._entries) >= CACHE_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self.seconds, target)
        return target

    def peek(self, code: str) -> FormTarget | None:
        """What ``code`` opens if it is remembered and fresh (no I/O: for the event loop)."""
        if self.seconds <= 0:
            return None
        found = self._entries.get(desk_service.normalise_code(code))
        return found[1] if found is not None and found[0] > self._clock() else None

    def remembers(self, code: str) -> bool:
        """True when ``code`` has an entry, fresh or expired."""
        return desk_service.normalise_code(code) in self._entries

    def refresh_due(self, code: str) -> bool:
        """True when ``code``'s entry is in the last ``REFRESH_AHEAD`` of its life and no
        refresh is running: the caller then runs :meth:`refresh` (in the background: no
        request waits for it)."""
        found = self._entries.get(desk_service.normalise_code(code))
        if found is None or found[0] - self._clock() > self._ahead:
            return False
        with self._lock:
            if self._refreshing:
                return False
            self._refreshing = True
            return True

    def refresh(self, *, session: Session) -> None:
        """Look every entry in the last ``REFRESH_AHEAD`` of its life up again, together (one
        query for the codes, one for the campaign), and remember them afresh: an unchanged one
        as the same object (its kept pages stay), a changed one anew, and one that no longer
        opens a form not at all (its next request gets the error from a lookup of its own)."""
        generation = self._generation
        now = self._clock()
        due = [k for k, (ends, _) in list(self._entries.items()) if ends - now <= self._ahead]
        try:
            fresh = desk_targets(session=session, codes=due)
        finally:
            with self._lock:
                self._refreshing = False
        with self._lock:
            if generation != self._generation:
                return  # cleared meanwhile: what was read may be from before the change
            for key in due:
                target = fresh.get(key)
                old = self._entries.pop(key, None)
                if target is not None:
                    self._entries[key] = (self._clock() + self.seconds, _unchanged(old, target))

    def remember_all(self, *, session: Session) -> int:
        """Remember what every live desk code opens (one query for the codes, one for the
        campaign), so that a process started at a peak does not send each desk's first request
        the slow way (seen: p99 of several seconds in the first round of a fresh server).
        Returns how many; none when caching is off or no campaign is collecting."""
        if self.seconds <= 0:
            return 0
        generation = self._generation
        found = desk_targets(session=session, codes=None)
        with self._lock:
            if generation != self._generation:
                return 0
            ends = self._clock() + self.seconds
            for key, target in list(found.items())[:CACHE_ENTRIES]:
                self._entries.setdefault(key, (ends, target))
        return min(len(found), CACHE_ENTRIES)

    def page(self, target: FormTarget, variant: str) -> str | None:
        """A page kept by :meth:`keep_page` for this very ``target`` object and ``variant``."""
        found = self._pages.get((target.key, variant))
        return found[1] if found is not None and found[0] is target else None

    def keep_page(self, target: FormTarget, variant: str, page: str) -> None:
        """Keep a rendered page of a remembered ``target`` (it goes when the target does)."""
        found = self._entries.get(desk_service.normalise_code(target.code))
        if found is None or found[1] is not target:
            return  # not from this cache (a form link, or caching off)
        with self._lock:
            if len(self._pages) >= CACHE_ENTRIES:
                self._pages.clear()
            self._pages[(target.key, variant)] = (target, page)

    def clear(self) -> None:
        """Forget everything (after a change through the admin pages or the API)."""
        with self._lock:
            self._entries.clear()
            self._pages.clear()
            self._generation += 1


def _unchanged(old: tuple[float, FormTarget] | None, target: FormTarget) -> FormTarget:
    """The remembered target when ``target``, looked up again, is the same as stored (the same
    object, so the pages kept for it stay); else ``target``."""
    if old is not None and old[1].fingerprint() == target.fingerprint():
        return old[1]
    return target


REFRESH_AHEAD = 0.2  # share of an entry's life at the end of which it is looked up again
CACHE_ENTRIES = 10_000  # desk codes a process remembers at most (a city has a few thousand)


def link_target(*, session: Session, code: str) -> FormTarget:
    """The form behind a form link."""
    link = link_service.find_live(session=session, code=code)
    campaign = campaign_service.get_campaign(session=session, campaign_id=link.campaign_id)
    campaign, version = _campaign_and_version(session, link.audience, campaign)
    unit = session.get(Unit, link.unit_id) if link.unit_id is not None else None
    return FormTarget(
        route="f",
        code=link.code,
        campaign=campaign,
        version=version,
        channel=Channel.OPEN_LINK,
        unit=unit,
        desk=None,
    )


def invitation_target(*, session: Session, code: str) -> FormTarget:
    """The form of a single-use invitation (its unit, stratum and design weight are known)."""
    invitation = invitation_service.find(session=session, code=code)
    campaign = campaign_service.get_campaign(session=session, campaign_id=invitation.campaign_id)
    campaign, version = _campaign_and_version(session, invitation.audience, campaign)
    return FormTarget(
        route="i",
        code=invitation.code,
        campaign=campaign,
        version=version,
        channel=Channel.INVITATION,
        unit=session.get(Unit, invitation.unit_id),
        desk=None,
        invitation_id=invitation.id,
        stratum=invitation.stratum,
        design_weight=invitation.design_weight,
    )


def choosable_units(*, session: Session) -> list[Unit]:
    """Units a respondent may pick: those still in existence today, by group and name."""
    today = campaign_service.today()
    query = (
        select(Unit)
        .where(or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) >= today))
        .order_by(col(Unit.group), col(Unit.name_vi))
    )
    return list(session.exec(query))


def context(unit: Unit | None) -> dict[str, Any]:
    """The context variables skip logic may read."""
    return {"unit_group": unit.group if unit is not None else ""}


def pages(
    questionnaire: qn.Questionnaire, answers: dict[str, Any], ctx: dict[str, Any]
) -> list[str]:
    """The page ids to go through: every shown section, or "all" on a one-page form."""
    if questionnaire.layout is qn.Layout.ONE_PAGE:
        return [ALL]
    return [section.id for section in qn.shown(questionnaire, answers, ctx).sections]


def page_sections(
    questionnaire: qn.Questionnaire, page: str, answers: dict[str, Any], ctx: dict[str, Any]
) -> list[qn.Section]:
    """The sections on ``page``."""
    sections = qn.shown(questionnaire, answers, ctx).sections
    return list(sections) if page == ALL else [s for s in sections if s.id == page]


def page_items(sections: list[qn.Section]) -> list[qn.Item]:
    """The items of the sections of a page."""
    return [item for section in sections for item in section.items]


def rendered_items(
    questionnaire: qn.Questionnaire,
    sections: list[qn.Section],
    answers: dict[str, Any],
    ctx: dict[str, Any],
) -> set[str]:
    """Items to put on the page: those asked given answers from other pages, and those whose
    condition depends on this page (the browser script shows or hides them as people answer;
    without JavaScript they stay visible and unneeded answers are dropped on submission)."""
    on_page = {item.id for item in page_items(sections)}
    off_page = {k: v for k, v in answers.items() if k not in on_page}
    asked = {item.id for item in qn.asked_items(questionnaire, off_page, ctx)}
    out: set[str] = set()
    for item in page_items(sections):
        depends_here = item.relevant is not None and any(
            name in on_page for name in expressions.references(qn.parsed_expression(item.relevant))
        )
        if item.id in asked or depends_here:
            out.add(item.id)
    return out


def browser_rules(questionnaire: qn.Questionnaire) -> dict[str, Any]:
    """Parsed skip logic for static/form.js: item or section id → expression as JSON."""
    rules: dict[str, Any] = {}
    for section in questionnaire.sections:
        if section.relevant:
            rules[f"s-{section.id}"] = expressions.to_json(qn.parsed_expression(section.relevant))
        for item in section.items:
            if item.relevant:
                rules[f"q-{item.id}"] = expressions.to_json(qn.parsed_expression(item.relevant))
    return rules
