"""The PAR Index in the service: appraisal entry, workbooks, computation, API, publication."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from analysis import par
from survey_service import cli, db, errors
from survey_service.models import AppraisalPoint, AuditEntry, Campaign, Role, Unit
from survey_service.services import analysis as analysis_service
from survey_service.services import par as par_service
from survey_service.services import par_files
from tests.factories import World, csrf_from, login, make_world
from tests.survey_service.test_analysis_service import _add, _citizen

DISTRICT = par.builtin_scheme("district")
APPRAISAL = [leaf for leaf in DISTRICT.leaves() if leaf.source == "appraisal"]
SURVEY = [leaf for leaf in DISTRICT.leaves() if leaf.source == "survey"]


def _analysed(engine: Engine) -> World:
    world = make_world(engine)  # unit Q1, a district, with citizens' answers at level 4
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 3, 4, 5)], desk_id=world.desk_id)
    with db.session_scope(engine) as session:
        analysis_service.run_analysis(
            session=session,
            campaign_id=world.campaign_id,
            actor="test",
            settings=analysis_service.AnalysisSettings(min_n=1),
        )
    return world


def _set(engine: Engine, world: World, code: str, **fields: Any) -> None:
    with db.session_scope(engine) as session:
        par_service.set_appraisal(
            session=session,
            campaign_id=world.campaign_id,
            unit_id=world.unit_id,
            code=code,
            update=par_service.AppraisalUpdate(**fields),
        )


def _compute(engine: Engine, world: World) -> dict[str, Any]:
    with db.session_scope(engine) as session:
        computation = par_service.compute(
            session=session, campaign_id=world.campaign_id, actor="test"
        )
        return {
            "results": computation.results,
            "components": computation.components,
            "run": computation.analysis_run_id,
            "schemes": computation.schemes,
            "appraisal": computation.appraisal_checksum,
        }


def test_total_is_appraised_plus_survey_points(engine: Engine) -> None:
    world = _analysed(engine)
    first, second = APPRAISAL[0], APPRAISAL[1]
    _set(
        engine,
        world,
        first.code,
        self_points=first.max_points,
        appraised_points=first.max_points / 2,
    )
    _set(engine, world, second.code, self_points=second.max_points)  # not appraised: no points
    computed = _compute(engine, world)
    (row,) = [r for r in computed["results"] if r["unit_code"] == "Q1"]
    survey = sum(c["points"] or 0.0 for c in computed["components"] if c["unit_code"] == "Q1")
    assert row["appraisal"] == pytest.approx(first.max_points / 2)
    assert row["survey"] == pytest.approx(survey)
    assert row["total"] == pytest.approx(first.max_points / 2 + survey)
    assert row["index"] == pytest.approx(row["total"] / DISTRICT.maximum * 100)
    assert row["rank"] == 1 and row["rank_low"] == 1 and row["rank_high"] == 1
    # the numbers add up criterion by criterion, area by area
    assert sum(row["criteria"].values()) == pytest.approx(row["total"])
    assert row["criteria"][first.code] == pytest.approx(first.max_points / 2)
    for area in DISTRICT.areas:
        inside = [leaf.code for leaf in DISTRICT.leaves() if leaf.area_code == area.code]
        assert sum(row["criteria"][c] for c in inside) == pytest.approx(row["areas"][area.code][0])
    for component in computed["components"]:
        if component["points"] is not None:
            assert row["criteria"][component["criterion"]] == pytest.approx(component["points"])
    assert second.code in row["missing"]
    assert computed["schemes"]["district"] == par.content_hash(DISTRICT)
    linear = [c for c in computed["components"] if c["conversion"] == "linear"]
    for component in linear:
        if component["estimate"] is not None:
            expected = component["max_points"] * component["estimate"] / 100
            assert component["points"] == pytest.approx(expected)


def test_points_outside_the_maximum_or_unknown_codes_are_refused(engine: Engine) -> None:
    world = _analysed(engine)
    leaf = APPRAISAL[0]
    with pytest.raises(errors.InvalidInput, match="between 0 and"):
        _set(engine, world, leaf.code, appraised_points=leaf.max_points + 0.5)
    with pytest.raises(errors.InvalidInput, match="between 0 and"):
        _set(engine, world, leaf.code, self_points=-1)
    with pytest.raises(errors.InvalidInput, match="no appraisal sub-criterion"):
        _set(engine, world, "nope", self_points=1)
    if SURVEY:
        with pytest.raises(errors.InvalidInput, match="no appraisal sub-criterion"):
            _set(engine, world, SURVEY[0].code, self_points=0)
    with Session(engine) as session:
        assert session.exec(select(AppraisalPoint)).all() == []


def test_workbook_round_trip_and_row_level_errors(engine: Engine, tmp_path: Path) -> None:
    world = _analysed(engine)
    with db.session_scope(engine) as session:
        data = par_files.template(session=session, campaign_id=world.campaign_id, unit_code="Q1")
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    codes = [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)]
    assert codes == [leaf.code for leaf in APPRAISAL]
    sheet.cell(row=3, column=5).value = APPRAISAL[0].max_points  # self_points
    sheet.cell(row=3, column=6).value = "Quyết định 123/QĐ-UBND"
    sheet.cell(row=3, column=8).value = 1  # appraised_points
    sheet.cell(row=3, column=10).value = "appraised"
    sheet.cell(row=4, column=8).value = APPRAISAL[1].max_points + 9  # too many points
    sheet.cell(row=5, column=5).value = "abc"
    path = tmp_path / "filled.xlsx"
    book.save(path)
    with db.session_scope(engine) as session:
        report = par_files.import_workbook(
            session=session,
            campaign_id=world.campaign_id,
            path=path,
            actor=None,
            actor_label="test",
        )
    assert report.changed == 0
    assert any(p.startswith("row 4, appraised_points:") for p in report.problems)
    assert any(p.startswith("row 5, self_points:") and "'abc'" in p for p in report.problems)
    with Session(engine) as session:
        assert session.exec(select(AppraisalPoint)).all() == []
    sheet.cell(row=4, column=8).value = None
    sheet.cell(row=5, column=5).value = None
    book.save(path)
    with db.session_scope(engine) as session:
        report = par_files.import_workbook(
            session=session,
            campaign_id=world.campaign_id,
            path=path,
            actor=None,
            actor_label="test",
        )
    assert report.problems == () and report.changed == 1
    with Session(engine) as session:
        point = session.exec(select(AppraisalPoint)).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "appraisal.set")).one()
    assert (point.code, point.appraised_points, str(point.status)) == (
        APPRAISAL[0].code,
        1.0,
        "appraised",
    )
    assert point.evidence == "Quyết định 123/QĐ-UBND"
    assert entry.before is None and entry.after is not None and entry.after["appraised_points"] == 1
    with db.session_scope(engine) as session:  # importing the same file again changes nothing
        again = par_files.import_workbook(
            session=session,
            campaign_id=world.campaign_id,
            path=path,
            actor=None,
            actor_label="test",
        )
    assert again.changed == 0


def test_change_since_last_year(engine: Engine) -> None:
    world = _analysed(engine)
    first = _compute(engine, world)["results"][0]
    with db.session_scope(engine) as session:
        campaign = session.get(Campaign, world.campaign_id)
        assert campaign is not None
        campaign.year = 2025  # this campaign becomes last year's
        later = Campaign(year=2026, name="Khảo sát 2026 (2)", status="open")
        session.add(later)
        session.flush()
        later_id = later.id
        assert later_id is not None
        import questionnaires as qn
        from survey_service.services import campaigns as campaign_service
        from survey_service.services import questionnaires as questionnaire_service

        campaign_service.pin_questionnaire(
            session=session,
            campaign=later,
            version=questionnaire_service.ensure_version(
                session=session, questionnaire=qn.builtin_definition("citizen")
            ),
        )
    later_world = World(world.unit_id, world.desk_id, world.code, later_id, world.version_id)
    _add(engine, later_world, [_citizen(5)] * 6, desk_id=world.desk_id)
    with db.session_scope(engine) as session:
        analysis_service.run_analysis(
            session=session,
            campaign_id=later_id,
            actor="test",
            settings=analysis_service.AnalysisSettings(min_n=1),
        )
    second = _compute(engine, later_world)["results"][0]
    assert second["change"] == pytest.approx(second["index"] - first["index"])
    assert second["change"] > 0


def test_pages_api_and_publication(engine: Engine, client: TestClient) -> None:
    world = _analysed(engine)
    login(client, engine, Role.SCORER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/par?lang=en")
    assert page.status_code == 200 and "has not been computed" in page.text
    token = csrf_from(page.text)
    assert (
        client.post(
            f"/admin/campaigns/{world.campaign_id}/par/compute",
            data={"csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    shown = client.get(f"/admin/campaigns/{world.campaign_id}/par?lang=en")
    assert "Districts" in shown.text and "District 1" in shown.text
    unit_page = client.get(f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}")
    assert unit_page.status_code == 200
    leaf = APPRAISAL[0]
    saved = client.post(
        f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}",
        data={
            "csrf_token": csrf_from(unit_page.text),
            "code": leaf.code,
            "self_points": "1",
            "appraised_points": "1,5",
            "evidence": "ok",
            "status": "appraised",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    refused = client.post(
        f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}",
        data={
            "csrf_token": csrf_from(unit_page.text),
            "code": leaf.code,
            "appraised_points": str(leaf.max_points + 1),
        },
    )
    assert refused.status_code == 422
    history = client.get(f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}")
    assert "scorer@example.org" in history.text
    components = client.get(f"/api/v1/campaigns/{world.campaign_id}/par/components").json()
    assert components["count"] == len(SURVEY)  # one district unit, Q1
    assert {c["criterion"] for c in components["data"]} == {leaf.code for leaf in SURVEY}
    # publishing needs an admin, then freezes the numbers
    publish_url = f"/admin/campaigns/{world.campaign_id}/par/publish"
    assert client.post(publish_url, data={"csrf_token": token}).status_code == 403
    client.post("/admin/logout", data={"csrf_token": token})
    login(client, engine, Role.ADMIN)
    admin_page = client.get(f"/admin/campaigns/{world.campaign_id}/par")
    assert (
        client.post(
            publish_url, data={"csrf_token": csrf_from(admin_page.text)}, follow_redirects=False
        ).status_code
        == 303
    )
    with pytest.raises(errors.Conflict, match="frozen"):
        _set(engine, world, leaf.code, appraised_points=0)
    with pytest.raises(errors.Conflict, match="frozen"):
        _compute(engine, world)
    results = client.get(f"/api/v1/campaigns/{world.campaign_id}/par").json()
    assert results["computation"]["published_at"] is not None
    assert results["data"][0]["unit_code"] == "Q1"


def test_compute_needs_an_analysis_run(engine: Engine) -> None:
    world = make_world(engine)
    with pytest.raises(errors.Conflict, match="Run the survey analysis first"):
        _compute(engine, world)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    return tmp_path


def test_cli_checks_schemes_and_computes(
    env: Path, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shipped = Path(par.__file__).parent / "schemes"
    assert (
        cli.main(["par", "check", str(shipped / "district.yaml"), str(shipped / "department.yaml")])
        == 0
    )
    bad = tmp_path / "bad.yaml"
    text = (shipped / "district.yaml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace(f'code: "{APPRAISAL[1].code}"', f'code: "{APPRAISAL[0].code}"', 1),
        encoding="utf-8",
    )
    assert cli.main(["par", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:" in out and "duplicate" in out.lower()
    world = _analysed(engine)
    assert cli.main(["par", "compute", "--campaign", str(world.campaign_id)]) == 0
    assert "Q1" in capsys.readouterr().out
    with Session(engine) as session:
        assert session.exec(select(Unit)).first() is not None


def test_public_results_after_publication(engine: Engine, client: TestClient) -> None:
    world = _analysed(engine)
    _set(engine, world, APPRAISAL[0].code, appraised_points=APPRAISAL[0].max_points)
    computed = _compute(engine, world)
    assert client.get("/results/2026").status_code == 404  # not published yet
    with db.session_scope(engine) as session:
        par_service.publish(session=session, campaign_id=world.campaign_id, actor="test")
    index = client.get("/results?lang=en")
    assert index.status_code == 200 and 'href="/results/2026?lang=en"' in index.text
    year = client.get("/results/2026?lang=en")
    assert year.status_code == 200 and "District 1" in year.text and "Districts" in year.text
    (row,) = computed["results"]
    assert f"{row['index']:.2f}" in year.text
    unit = client.get("/results/2026/units/Q1?lang=en")
    assert unit.status_code == 200
    assert f"{row['total']:.2f}/{row['maximum']:g}" in unit.text
    assert "Points by area" in unit.text and "Satisfaction sub-indices" in unit.text
    assert "Points criterion by criterion" in unit.text
    assert f"{APPRAISAL[0].max_points:.2f}/{APPRAISAL[0].max_points:g}" in unit.text
    method = client.get("/results/2026/methodology?lang=en")
    assert method.status_code == 200 and APPRAISAL[0].code in method.text
    assert "editable example" in method.text
    assert "Access to services" in method.text and "fewer than 1 answers" in method.text
    raw_csv = client.get("/results/2026/download.csv")
    assert raw_csv.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw_csv.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["group", "rank", "rank_low", "rank_high", "unit_code"]
    assert lines[1][4] == "Q1" and float(lines[1][7]) == pytest.approx(row["index"], abs=1e-4)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/results/2026/download.xlsx").content))
    sheet = book.active
    assert sheet is not None and sheet.cell(row=2, column=5).value == "Q1"
    assert sheet.cell(row=2, column=9).value == pytest.approx(row["total"], abs=1e-4)
    payload = client.get("/results/2026/download.json").json()
    assert payload["results"] == computed["results"]
    assert client.get("/results/2026/units/NOPE").status_code == 404
    assert client.get("/results/1999").status_code == 400  # out of range: a clear error page


def test_workbook_import_from_the_page(engine: Engine, client: TestClient) -> None:
    world = _analysed(engine)
    login(client, engine, Role.SCORER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}")
    template = client.get(
        f"/admin/campaigns/{world.campaign_id}/par/units/{world.unit_id}/template.xlsx"
    )
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.active
    assert sheet is not None
    sheet.cell(row=3, column=8).value = APPRAISAL[0].max_points + 5
    bad = io.BytesIO()
    book.save(bad)
    url = f"/admin/campaigns/{world.campaign_id}/par/import"
    token = csrf_from(page.text)
    files = {"file": ("q1.xlsx", bad.getvalue(), "application/octet-stream")}
    refused = client.post(url, data={"csrf_token": token}, files=files)
    assert refused.status_code == 422
    assert "row 3, appraised_points" in refused.text
    sheet.cell(row=3, column=8).value = APPRAISAL[0].max_points
    good = io.BytesIO()
    book.save(good)
    files = {"file": ("q1.xlsx", good.getvalue(), "application/octet-stream")}
    saved = client.post(url, data={"csrf_token": token}, files=files, follow_redirects=False)
    assert saved.status_code == 303 and "imported=1" in saved.headers["location"]
    with Session(engine) as session:
        point = session.exec(select(AppraisalPoint)).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "appraisal.set")).one()
    assert point.appraised_points == APPRAISAL[0].max_points
    assert entry.actor == "scorer@example.org"
    not_xlsx = client.post(
        url, data={"csrf_token": token}, files={"file": ("a.csv", b"x", "text/csv")}
    )
    assert not_xlsx.status_code == 422
