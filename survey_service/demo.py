"""The demo: HCMC's units and desks, an open campaign for this year, the citizen questionnaire."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import questionnaires as qn
from survey_service import db, demo_responses
from survey_service.models import Campaign, CampaignStatus, Desk, Role, Unit, UnitGroup
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import form_links as link_service
from survey_service.services import par as par_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import users as user_service
from survey_service.settings import Settings, read_or_create

DEMO_ADMIN_EMAIL = "admin@example.org"
PASSWORD_FILE = "demo_admin_password"


@dataclass(frozen=True)
class DemoSummary:
    """What ``survey demo`` did and what to print for the person who ran it."""

    units_added: int
    desks_added: int
    campaign_id: int
    admin_email: str
    admin_password: str | None
    desk_url: str | None
    link_urls: tuple[str, ...] = ()
    responses_added: int = 0
    analysis_run: int | None = None


def load_roster() -> list[dict[str, Any]]:
    """The demo roster shipped in ``survey_service/demo_data/hcmc_units.yaml``."""
    text = (resources.files("survey_service") / "demo_data" / "hcmc_units.yaml").read_text("utf-8")
    units: list[dict[str, Any]] = yaml.safe_load(text)["units"]
    return units


def _seed_units(session: Session, roster: list[dict[str, Any]]) -> tuple[int, int]:
    units_added = desks_added = 0
    for entry in roster:
        unit = session.exec(select(Unit).where(Unit.code == entry["code"])).first()
        if unit is None:
            unit = Unit(
                code=entry["code"],
                name_vi=entry["name_vi"],
                name_en=entry["name_en"],
                group=UnitGroup(entry["group"]),
                valid_from=entry.get("valid_from"),
            )
            session.add(unit)
            session.flush()
            units_added += 1
        existing = set(session.exec(select(Desk.name_vi).where(Desk.unit_id == unit.id)))
        for desk in entry.get("desks", []):
            if desk["name_vi"] not in existing:
                desk_service.create_desk(
                    session=session, unit=unit, name_vi=desk["name_vi"], name_en=desk["name_en"]
                )
                desks_added += 1
    return units_added, desks_added


def _seed_campaign(session: Session, year: int) -> Campaign:
    name = f"Khảo sát sự hài lòng năm {year}"
    campaign = session.exec(
        select(Campaign).where(Campaign.year == year, Campaign.name == name)
    ).first()
    if campaign is None:
        campaign = Campaign(
            year=year,
            name=name,
            status=CampaignStatus.OPEN,
            period_start=dt.date(year, 1, 1),
            period_end=dt.date(year, 12, 31),
        )
        session.add(campaign)
        session.flush()
    _pin_builtin_questionnaires(session, campaign)
    assert campaign.id is not None
    if not link_service.campaign_links(session=session, campaign_id=campaign.id):
        for audience in (qn.Audience.BUSINESS, qn.Audience.OFFICIAL):
            link_service.create_link(
                session=session,
                campaign=campaign,
                audience=audience.value,
                unit=None,
                label=f"Demo: {audience.value} form, unit chosen by the respondent",
            )
    return campaign


def _previous_year(session: Session, year: int) -> None:
    """Last year's campaign, closed, analysed and published: /results has a ranking to show and
    this year's computation a change to report. Only made alongside this year's simulation."""
    name = f"Khảo sát sự hài lòng năm {year}"
    if session.exec(select(Campaign).where(Campaign.year == year, Campaign.name == name)).first():
        return
    campaign = Campaign(
        year=year,
        name=name,
        status=CampaignStatus.CLOSED,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    _pin_builtin_questionnaires(session, campaign)
    demo_responses.simulate(session, campaign, seed=year)
    analysis_service.run_analysis(session=session, campaign_id=campaign.id, actor="survey demo")
    demo_responses.simulate_appraisal(session, campaign, seed=year)
    par_service.compute(session=session, campaign_id=campaign.id, actor="survey demo")
    par_service.publish(session=session, campaign_id=campaign.id, actor="survey demo")


def _pin_builtin_questionnaires(session: Session, campaign: Campaign) -> None:
    """The campaign uses the built-in questionnaire of every audience."""
    for audience in qn.Audience:
        version = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.builtin_definition(audience.value)
        )
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)


def _demo_password(settings: Settings) -> str:
    """The demo admin's password: SURVEY_DEMO_ADMIN_PASSWORD, or one generated and kept in var/."""
    given = os.environ.get("SURVEY_DEMO_ADMIN_PASSWORD")
    if given:
        return given
    return read_or_create(Path(settings.var_dir) / PASSWORD_FILE, lambda: secrets.token_urlsafe(12))


def stored_demo_password(settings: Settings) -> str | None:
    """The demo admin password kept in var/, if the demo created one."""
    path = Path(settings.var_dir) / PASSWORD_FILE
    return path.read_text().strip() if path.exists() else None


def is_empty(engine: Engine) -> bool:
    """Whether the database has no units yet."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Unit)).one() == 0


def link_urls(engine: Engine, settings: Settings) -> tuple[str, ...]:
    """The URLs of the live form links of the newest campaign, with their audience."""
    with Session(engine) as session:
        campaigns = campaign_service.list_campaigns(session=session)
        if not campaigns or campaigns[0].id is None:
            return ()
        links = link_service.campaign_links(session=session, campaign_id=campaigns[0].id)
    return tuple(
        f"{link.audience}: {settings.public_url(f'/f/{link.code}')}"
        for link in reversed(links)
        if link.revoked_at is None
    )


def first_desk_url(engine: Engine, settings: Settings) -> str | None:
    """The form URL of the first desk with a live code."""
    with Session(engine) as session:
        rows = desk_service.desk_rows(session=session)
    for row in rows:
        if row.code:
            return settings.public_url(f"/s/{row.code}")
    return None


def seed(
    engine: Engine, settings: Settings, *, year: int | None = None, simulate: bool = True
) -> DemoSummary:
    """Add whatever of the demo is missing (running it again adds nothing).

    ``simulate`` adds simulated answers (``demo_responses``) to a campaign that has none and
    runs its analysis, so the results pages have something to show.
    """
    year = year or campaign_service.today().year
    with db.session_scope(engine) as session:
        units_added, desks_added = _seed_units(session, load_roster())
        campaign = _seed_campaign(session, year)
        password: str | None = None
        if user_service.get_by_email(session=session, email=DEMO_ADMIN_EMAIL) is None:
            password = _demo_password(settings)
            user_service.create_user(
                session=session, email=DEMO_ADMIN_EMAIL, password=password, role=Role.ADMIN
            )
        assert campaign.id is not None
        campaign_id = campaign.id
        responses_added = demo_responses.simulate(session, campaign) if simulate else 0
        run_id = None
        if responses_added:
            _previous_year(session, year - 1)
            run = analysis_service.run_analysis(
                session=session, campaign_id=campaign_id, actor="survey demo"
            )
            run_id = run.id
            demo_responses.simulate_appraisal(session, campaign)
            par_service.compute(session=session, campaign_id=campaign_id, actor="survey demo")
    return DemoSummary(
        units_added=units_added,
        desks_added=desks_added,
        campaign_id=campaign_id,
        admin_email=DEMO_ADMIN_EMAIL,
        admin_password=password or stored_demo_password(settings),
        desk_url=first_desk_url(engine, settings),
        link_urls=link_urls(engine, settings),
        responses_added=responses_added,
        analysis_run=run_id,
    )
