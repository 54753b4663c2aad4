"""Small factory functions for tests (one per domain object)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import questionnaires as qn
from survey_service import db
from survey_service.models import Campaign, CampaignStatus, Role, Unit, UnitGroup
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import users as user_service

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class World:
    """A unit with one desk and its live code, and an open campaign using the citizen form."""

    unit_id: int
    desk_id: int
    code: str
    campaign_id: int
    version_id: int


def make_world(
    engine: Engine,
    *,
    status: CampaignStatus = CampaignStatus.OPEN,
    unit_code: str = "Q1",
    period: tuple[dt.date | None, dt.date | None] = (None, None),
) -> World:
    """Create a unit, a desk with a code, and a campaign pinning the built-in citizen form."""
    with db.session_scope(engine) as session:
        unit = Unit(
            code=unit_code, name_vi="Quận 1", name_en="District 1", group=UnitGroup.DISTRICT
        )
        session.add(unit)
        session.flush()
        desk = desk_service.create_desk(
            session=session, unit=unit, name_vi="Quầy Hộ tịch", name_en="Civil status desk"
        )
        code = desk_service.live_code(session=session, desk=desk)
        campaign = Campaign(
            year=2026,
            name="Khảo sát 2026",
            status=status,
            period_start=period[0],
            period_end=period[1],
        )
        session.add(campaign)
        session.flush()
        version = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.builtin_definition("citizen")
        )
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
        assert unit.id and desk.id and campaign.id and version.id and code
        return World(unit.id, desk.id, code.code, campaign.id, version.id)


def make_user(engine: Engine, role: Role, email: str | None = None) -> str:
    """Create a user with ``role``; returns the e-mail (the password is PASSWORD)."""
    email = email or f"{role.value}@example.org"
    with db.session_scope(engine) as session:
        user_service.create_user(session=session, email=email, password=PASSWORD, role=role)
    return email


def csrf_from(html: str) -> str:
    """The CSRF token in a rendered admin form."""
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client: TestClient, engine: Engine, role: Role) -> None:
    """Sign ``client`` in as a new user with ``role``."""
    email = make_user(engine, role)
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def valid_answers(questionnaire: qn.Questionnaire) -> dict[str, Any]:
    """Form fields answering every required item of ``questionnaire`` plausibly."""
    fields: dict[str, Any] = {}
    for item in questionnaire.items:
        if not item.required:
            continue
        name = qn.form_field(item.id)
        if item.type is qn.ItemType.INTEGER:
            fields[name] = str(item.min if item.min is not None else 1)
        elif item.type is qn.ItemType.MULTIPLE_CHOICE:
            fields[name] = [str(questionnaire.choices(item)[0].value)]
        elif item.type is qn.ItemType.TEXT:
            fields[name] = "ok"
        else:
            choices = questionnaire.choices(item)
            fields[name] = str(choices[min(3, len(choices) - 1)].value)
    return fields


def make_link(engine: Engine, campaign_id: int, audience: str, unit_id: int | None = None) -> str:
    """A form link for ``audience`` in the campaign; returns its code."""
    from survey_service.models import Campaign as CampaignTable
    from survey_service.services import form_links as link_service

    with db.session_scope(engine) as session:
        campaign = session.get(CampaignTable, campaign_id)
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        assert campaign is not None
        pinned = {
            a.value: questionnaire_service.ensure_version(
                session=session, questionnaire=qn.builtin_definition(a.value)
            )
            for a in qn.Audience
        }
        for version in pinned.values():
            campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
        link = link_service.create_link(
            session=session, campaign=campaign, audience=audience, unit=unit
        )
        return link.code


def make_unit(engine: Engine, code: str, group: UnitGroup, name: str | None = None) -> int:
    """Another unit; returns its id."""
    with db.session_scope(engine) as session:
        unit = Unit(code=code, name_vi=name or code, name_en=name or code, group=group)
        session.add(unit)
        session.flush()
        assert unit.id is not None
        return unit.id


def page_answers(questionnaire: qn.Questionnaire, html: str) -> dict[str, Any]:
    """Form fields answering the required items rendered on ``html`` (one page)."""
    fields: dict[str, Any] = {}
    for item in questionnaire.items:
        if f'id="q-{item.id}"' not in html or not item.required:
            continue
        choices = questionnaire.choices(item)
        if item.type is qn.ItemType.INTEGER:
            fields[qn.form_field(item.id)] = str(item.min if item.min is not None else 1)
        elif item.type is qn.ItemType.MULTIPLE_CHOICE:
            fields[qn.form_field(item.id)] = [str(choices[0].value)]
        elif item.type is qn.ItemType.TEXT:
            fields[qn.form_field(item.id)] = "ok"
        elif item.type is qn.ItemType.DATE:
            fields[qn.form_field(item.id)] = "2026-11-01"
        else:
            fields[qn.form_field(item.id)] = str(choices[min(3, len(choices) - 1)].value)
    return fields


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a rendered form (submission id, draft, page, lang)."""
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


def walk_pages(client: Any, path: str, q: qn.Questionnaire, page_html: str) -> list[str]:
    """Answer the required items of every page of a form and submit; the pages' html."""
    seen = [page_html]
    for _ in range(len(q.sections) + 1):
        fields = hidden_fields(page_html) | page_answers(q, page_html)
        last = 'value="submit"' in page_html
        fields["action"] = "submit" if last else "next"
        answer = client.post(path, data=fields, follow_redirects=False)
        if last:
            assert answer.status_code == 303, answer.text[:2000]
            return seen
        assert answer.status_code == 200, answer.text[:2000]
        page_html = answer.text
        seen.append(page_html)
    raise AssertionError("never reached the last page")
