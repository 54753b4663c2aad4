"""Analysis runs in the service: weighting rules, exclusion policy, suppression, API, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import cli, db
from survey_service.models import (
    AdminTotal,
    AnalysisResult,
    AnalysisRun,
    AuditEntry,
    Invitation,
    QuestionnaireVersion,
    Response,
    Role,
    Unit,
    UnitGroup,
)
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services import desks as desk_service
from survey_service.services import questionnaires as questionnaire_service
from tests.analysis.api_data import DATA
from tests.factories import World, csrf_from, login, make_world

ACCESS = ("access_information", "access_signage", "access_premises", "access_equipment")


def _citizen(level: int) -> dict[str, Any]:
    """Answers with every access item at ``level`` and every other scale item at 4."""
    questionnaire = qn.builtin_definition("citizen")
    answers: dict[str, Any] = {}
    for item in questionnaire.items:
        if item.type is qn.ItemType.SCALE5:
            answers[item.id] = level if item.id in ACCESS else 4
    return answers


def _add(
    engine: Engine,
    world: World,
    answers: list[dict[str, Any]],
    *,
    desk_id: int | None = None,
    unit_id: int | None = None,
    version_id: int | None = None,
    channel: str = "desk_qr",
    stratum: str | None = None,
    design_weight: float | None = None,
    flags: list[str] | None = None,
    excluded: bool = False,
) -> None:
    with db.session_scope(engine) as session:
        for answer in answers:
            count = len(session.exec(select(Response.id)).all())
            session.add(
                Response(
                    campaign_id=world.campaign_id,
                    questionnaire_version_id=version_id or world.version_id,
                    unit_id=unit_id or world.unit_id,
                    desk_id=desk_id if channel == "desk_qr" else None,
                    channel=channel,
                    answers=answer,
                    client_submission_id=f"submission-{count:012d}",
                    stratum=stratum,
                    design_weight=design_weight,
                    flags=flags or [],
                    excluded=excluded,
                )
            )
            session.flush()


def _run(engine: Engine, world: World, **settings: Any) -> tuple[AnalysisRun, list[AnalysisResult]]:
    with db.session_scope(engine) as session:
        run = analysis_service.run_analysis(
            session=session,
            campaign_id=world.campaign_id,
            actor="test",
            settings=analysis_service.AnalysisSettings(**settings),
        )
        results = analysis_service.run_results(session=session, run_id=run.id or 0)
        session.expunge_all()
    return run, results


def _cell(results: list[AnalysisResult], dimension: str, unit_id: int, measure: str = "score"):
    return next(
        r
        for r in results
        if (r.dimension, r.unit_id, r.measure, r.item) == (dimension, unit_id, measure, None)
    )


def test_desk_answers_without_totals_get_equal_weights(engine: Engine) -> None:
    """Access levels 5,4,4,2,1 → scores 100,75,75,25,0: mean 55, se = s/√n (one unit)."""
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 2, 1)], desk_id=world.desk_id)
    run, results = _run(engine, world, min_n=3)
    scores = np.array([100, 75, 75, 25, 0.0])
    access = _cell(results, "access", world.unit_id)
    assert access.estimate == pytest.approx(55.0)
    assert access.se == pytest.approx(scores.std(ddof=1) / math.sqrt(5))
    assert access.n == 5 and access.flags == ["high_cv"]  # 18.4 / 55 > 0.3
    assert access.weighting == analysis_service.RULE_EQUAL
    top = _cell(results, "access", world.unit_id, "top_two")
    assert top.estimate == pytest.approx(60.0)
    # the overall index combines the five SIPAS dimensions equally; 'overall' itself weighs 0
    index = _cell(results, "index", world.unit_id)
    assert index.estimate == pytest.approx((55 + 4 * 75) / 5)
    assert run.responses_used == 5 and run.exclusion_policy == "excluded"
    assert len(run.checksum) == 64


def test_desk_answers_are_poststratified_to_dossier_totals(engine: Engine) -> None:
    """Desk A (levels 5, 5) handled 300 dossiers, desk B (1, 1, 1) 100: (300·100 + 100·0)/400."""
    world = make_world(engine)
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        other = desk_service.create_desk(session=session, unit=unit, name_vi="B", name_en="B")
        other_id = other.id
        analysis_service.set_total(
            session=session, campaign_id=world.campaign_id, desk_id=world.desk_id, dossiers=300
        )
        analysis_service.set_total(
            session=session, campaign_id=world.campaign_id, desk_id=other_id, dossiers=100
        )
    _add(engine, world, [_citizen(5)] * 2, desk_id=world.desk_id)
    _add(engine, world, [_citizen(1)] * 3, desk_id=other_id)
    _, results = _run(engine, world, min_n=1)
    access = _cell(results, "access", world.unit_id)
    assert access.estimate == pytest.approx(75.0)
    assert access.weighting == analysis_service.RULE_POSTSTRATIFIED
    # no spread within either desk: post-stratification leaves no sampling error
    assert access.se == pytest.approx(0.0, abs=1e-9)
    first, second = _run(engine, world, min_n=1), _run(engine, world, min_n=1)
    assert first[0].checksum == second[0].checksum  # same data and settings, same checksum


def test_exclusion_policy_decides_which_answers_count(engine: Engine) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(5)] * 3, desk_id=world.desk_id)
    _add(engine, world, [_citizen(1)], desk_id=world.desk_id, flags=["too_fast"])
    _add(engine, world, [_citizen(1)], desk_id=world.desk_id, excluded=True)
    default, results = _run(engine, world, min_n=1)
    assert _cell(results, "access", world.unit_id).estimate == pytest.approx(75.0)
    assert (default.responses_used, default.responses_left_out) == (4, 1)
    strict, results = _run(engine, world, min_n=1, exclusion="excluded_and_flagged")
    assert _cell(results, "access", world.unit_id).estimate == pytest.approx(100.0)
    assert strict.exclusion_policy == "excluded_and_flagged"
    assert strict.settings["exclusion"] == "excluded_and_flagged"
    everything, results = _run(engine, world, min_n=1, exclusion="none")
    assert _cell(results, "access", world.unit_id).estimate == pytest.approx(60.0)
    assert len({default.checksum, strict.checksum, everything.checksum}) == 3


def _official_world(engine: Engine, world: World) -> int:
    with db.session_scope(engine) as session:
        campaign = campaign_service.get_campaign(session=session, campaign_id=world.campaign_id)
        version = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.builtin_definition("official")
        )
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
        assert version.id is not None
        return version.id


def _official_answers(seed: int) -> dict[str, Any]:
    questionnaire = qn.builtin_definition("official")
    rng = np.random.default_rng(seed)
    answers: dict[str, Any] = {}
    for item in questionnaire.items:
        choices = questionnaire.choices(item)
        if item.dimension and choices:
            answers[item.id] = choices[int(rng.integers(0, len(choices)))].value
    return answers


def test_officials_small_cells_are_suppressed_everywhere(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    version_id = _official_world(engine, world)
    _add(
        engine,
        world,
        [_official_answers(seed) for seed in range(12)],
        version_id=version_id,
        channel="invitation",
        stratum="Q1 | leaders",
        design_weight=2.0,
    )
    _, results = _run(engine, world)
    official = [r for r in results if r.audience == "official"]
    assert official and all(r.suppressed for r in official)
    assert all(r.estimate is None and r.se is None and r.alpha is None for r in official)
    assert all("small_n" in r.flags for r in official)
    login(client, engine, Role.OBSERVER)
    api = client.get(f"/api/v1/campaigns/{world.campaign_id}/indices?audience=official&items=true")
    assert api.status_code == 200
    assert api.json()["count"] > 0
    assert all(row["estimate"] is None for row in api.json()["data"])
    page = client.get(f"/admin/campaigns/{world.campaign_id}/analysis?lang=en")
    assert page.status_code == 200 and "hidden" in page.text


def test_invitations_use_design_weights_with_nonresponse_adjustment(engine: Engine) -> None:
    """Stratum a: 4 invited (d = 10), 2 answered → weight 20; stratum b: 2 invited (d = 30),
    1 answered → 60. Access 100, 100 (a) and 0 (b): (20·100·2 + 60·0)/100 = 40."""
    world = make_world(engine)
    with db.session_scope(engine) as session:
        for stratum, weight, count in (("a", 10.0, 4), ("b", 30.0, 2)):
            for index in range(count):
                session.add(
                    Invitation(
                        code=f"{stratum}{index}{'x' * 20}",
                        campaign_id=world.campaign_id,
                        audience="citizen",
                        unit_id=world.unit_id,
                        stratum=stratum,
                        design_weight=weight,
                    )
                )
    kwargs = {"channel": "invitation"}
    _add(engine, world, [_citizen(5)] * 2, stratum="a", design_weight=10.0, **kwargs)
    _add(engine, world, [_citizen(1)], stratum="b", design_weight=30.0, **kwargs)
    _add(engine, world, [_citizen(3)], desk_id=world.desk_id)  # outside the sample: left out
    run, results = _run(engine, world, min_n=1)
    access = _cell(results, "access", world.unit_id)
    assert access.estimate == pytest.approx(40.0)
    assert access.weighting == analysis_service.RULE_DESIGN
    assert run.responses_used == 3 and run.responses_left_out == 1
    assert any("outside the sample" in note for note in run.notes)


def test_scorer_runs_from_the_page_and_it_is_audited(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(4)] * 3, desk_id=world.desk_id)
    login(client, engine, Role.SCORER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/analysis")
    assert page.status_code == 200
    answer = client.post(
        f"/admin/campaigns/{world.campaign_id}/analysis",
        data={"csrf_token": csrf_from(page.text), "exclusion": "excluded_and_flagged"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    with Session(engine) as session:
        run = session.exec(select(AnalysisRun)).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "analysis.run")).one()
    assert run.created_by == "scorer@example.org"
    assert entry.after is not None and entry.after["checksum"] == run.checksum
    shown = client.get(f"/admin/campaigns/{world.campaign_id}/analysis?lang=en")
    assert "75.0" in shown.text and "small n" in shown.text
    api = client.get(f"/api/v1/campaigns/{world.campaign_id}/indices").json()
    assert api["run"]["checksum"] == run.checksum
    access = next(r for r in api["data"] if r["dimension"] == "access" and r["measure"] == "score")
    assert access["estimate"] == pytest.approx(75.0) and access["unit_code"] == "Q1"
    assert access["flags"] == ["small_n"] and access["n"] == 3


def test_indices_api_needs_a_run_and_a_signed_in_user(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    assert client.get(f"/api/v1/campaigns/{world.campaign_id}/indices").status_code == 401
    login(client, engine, Role.OBSERVER)
    assert client.get(f"/api/v1/campaigns/{world.campaign_id}/indices").status_code == 404
    refused = client.post(f"/admin/campaigns/{world.campaign_id}/analysis", data={})
    assert refused.status_code == 403


def test_totals_form_saves_audits_and_refuses_bad_numbers(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    login(client, engine, Role.COORDINATOR)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/totals")
    assert page.status_code == 200 and f'name="desk_{world.desk_id}"' in page.text
    token = csrf_from(page.text)
    url = f"/admin/campaigns/{world.campaign_id}/totals"
    bad = client.post(url, data={"csrf_token": token, f"desk_{world.desk_id}": "-5"})
    assert bad.status_code == 422
    assert "-5" in bad.text
    with Session(engine) as session:
        assert session.exec(select(AdminTotal)).all() == []
    good = client.post(
        url, data={"csrf_token": token, f"desk_{world.desk_id}": "1200"}, follow_redirects=False
    )
    assert good.status_code == 303
    with Session(engine) as session:
        total = session.exec(select(AdminTotal)).one()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "admin_total.set")).one()
    assert total.dossiers == 1200
    assert entry.before == {"campaign_id": world.campaign_id, "dossiers": None}
    assert entry.after == {"campaign_id": world.campaign_id, "dossiers": 1200}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    return tmp_path


def test_cli_analyze_prints_json_and_stores_the_run(
    env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    world = make_world(engine)
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 2, 1)], desk_id=world.desk_id)
    assert (
        cli.main(["analyze", "--campaign", str(world.campaign_id), "--json", "--min-n", "2"]) == 0
    )
    payload = json.loads(capsys.readouterr().out)
    access = next(
        r for r in payload["indices"] if r["dimension"] == "access" and r["measure"] == "score"
    )
    assert access["estimate"] == pytest.approx(55.0)
    assert payload["run"]["settings"]["min_n"] == 2
    assert cli.main(["analyze", "--campaign", str(world.campaign_id)]) == 0
    table = capsys.readouterr().out
    assert "Q1" in table and "55.0" in table and "small_n" in table
    assert cli.main(["analyze", "--campaign", "999"]) == 1


def test_cli_analyze_csv_reproduces_r_on_apistrat(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """svymean(~api00, dstrat): 662.29, SE 9.4089 (the shared api README)."""
    if not DATA.is_dir():
        pytest.skip("the shared api data folder is absent")
    args = ["analyze-csv", str(DATA / "apistrat.csv"), "--var", "api00", "--weights", "pw"]
    args += ["--strata", "stype", "--fpc", "fpc", "--json"]
    assert cli.main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    mean = next(r for r in payload["estimates"] if r["statistic"] == "mean")
    assert mean["estimate"] == pytest.approx(662.29, abs=0.005)
    assert mean["se"] == pytest.approx(9.4089, abs=0.00005)
    assert payload["df"] == 197
    assert cli.main(args[:-1] + ["--domain", "stype"]) == 0
    assert "E" in capsys.readouterr().out


def test_cli_analyze_csv_reports_bad_input_clearly(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("y,w\n1,2\nabc,3\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="'abc' is not a number"):
        cli.main(["analyze-csv", str(path), "--var", "y"])
    with pytest.raises(SystemExit, match="no column 'z'"):
        cli.main(["analyze-csv", str(path), "--var", "z"])
    path.write_text("y,w\n1,2\n,3\n", encoding="utf-8")
    assert cli.main(["analyze-csv", str(path), "--var", "y", "--weights", "w"]) == 1
    assert "missing values" in capsys.readouterr().err
    assert cli.main(["analyze-csv", str(path), "--var", "y", "--missing", "exclude"]) == 0


def test_unknown_unit_group_is_irrelevant_to_units_without_answers(engine: Engine) -> None:
    """A unit with no answers has no rows; a second unit's cells are its own."""
    world = make_world(engine)
    with db.session_scope(engine) as session:
        other = Unit(code="Q3", name_vi="Quận 3", name_en="District 3", group=UnitGroup.DISTRICT)
        session.add(other)
        session.flush()
        other_id = other.id
    _add(engine, world, [_citizen(5)] * 2, desk_id=world.desk_id)
    _add(engine, world, [_citizen(1)] * 2, unit_id=other_id, desk_id=world.desk_id)
    _, results = _run(engine, world, min_n=1)
    assert _cell(results, "access", world.unit_id).estimate == pytest.approx(100.0)
    assert _cell(results, "access", other_id).estimate == pytest.approx(0.0)


def _driven(rng: np.random.Generator) -> dict[str, Any]:
    """Answers where overall satisfaction follows the civil-servants items, not the others."""
    questionnaire = qn.builtin_definition("citizen")
    staff = int(rng.integers(1, 6))
    answers: dict[str, Any] = {}
    for item in questionnaire.items:
        if item.type is not qn.ItemType.SCALE5:
            continue
        if item.dimension == "civil_servants":
            answers[item.id] = staff
        elif item.dimension == "overall":
            answers[item.id] = int(np.clip(staff + rng.integers(-1, 2), 1, 5))
        else:
            answers[item.id] = int(rng.integers(1, 6))
    return answers


def test_key_drivers_name_the_dimension_that_moves_overall_satisfaction(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    rng = np.random.default_rng(7)
    _add(engine, world, [_driven(rng) for _ in range(80)], desk_id=world.desk_id)
    _, results = _run(engine, world)
    drivers = {r.dimension: r for r in results if r.measure == "driver"}
    assert set(drivers) == {"access", "procedures", "civil_servants", "results", "feedback"}
    staff = drivers["civil_servants"]
    assert staff.unit_id is None and staff.n == 80 and staff.df == 80 - 1 - 6 + 1
    assert staff.estimate is not None and staff.ci_low is not None
    assert staff.ci_low > max(d.ci_high or 0 for k, d in drivers.items() if k != "civil_servants")
    assert staff.p_value is not None and staff.p_value < 1e-6
    login(client, engine, Role.OBSERVER)
    page = client.get(f"/admin/campaigns/{world.campaign_id}/analysis?lang=en")
    assert "Key drivers of overall satisfaction" in page.text
    drivers_table = page.text.split("<h3>Key drivers of overall satisfaction</h3>")[1]
    first_row = drivers_table.split("<tbody>")[1]
    assert "Civil servants" in first_row.split("</tr>")[0]  # ranked first


def _two_units(engine: Engine, world: World) -> int:
    with db.session_scope(engine) as session:
        other = Unit(code="Q3", name_vi="Quận 3", name_en="District 3", group=UnitGroup.DISTRICT)
        session.add(other)
        session.flush()
        assert other.id is not None
        return other.id


def test_comparing_two_units_and_two_years(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    other_id = _two_units(engine, world)
    _add(engine, world, [_citizen(level) for level in (5, 4, 4, 3, 5, 4)], desk_id=world.desk_id)
    _add(
        engine,
        world,
        [_citizen(level) for level in (2, 3, 1, 2, 3)],
        unit_id=other_id,
        desk_id=world.desk_id,
    )
    _, results = _run(engine, world, min_n=1)
    mine, theirs = (_cell(results, "access", u) for u in (world.unit_id, other_id))
    login(client, engine, Role.SCORER)
    url = f"/api/v1/campaigns/{world.campaign_id}/compare"
    query = {"audience": "citizen", "dimension": "access", "unit": world.unit_id}
    units = client.get(url, params={**query, "other_unit": other_id})
    assert units.status_code == 200, units.text
    body = units.json()
    assert body["kind"] == "units"
    assert body["difference"] == pytest.approx(mine.estimate - theirs.estimate)
    # each unit is its own stratum of desk users: independent, so the variances add
    assert body["se"] == pytest.approx(math.hypot(mine.se, theirs.se))
    assert body["p_value"] < 0.01 and body["ci_low"] > 0
    # a second campaign (another year) with the same answers at the same unit: no difference
    with db.session_scope(engine) as session:
        from survey_service.models import Campaign

        later = Campaign(year=2027, name="Khảo sát 2027", status="open")
        session.add(later)
        session.flush()
        campaign_service.pin_questionnaire(
            session=session,
            campaign=later,
            version=questionnaire_service.ensure_version(
                session=session, questionnaire=qn.builtin_definition("citizen")
            ),
        )
        later_id = later.id
    later_world = World(world.unit_id, world.desk_id, world.code, later_id, world.version_id)
    _add(
        engine,
        later_world,
        [_citizen(level) for level in (5, 4, 4, 3, 5, 4)],
        desk_id=world.desk_id,
    )
    _run(engine, later_world, min_n=1)
    years = client.get(url, params={**query, "other_campaign": later_id})
    assert years.status_code == 200, years.text
    assert years.json()["kind"] == "campaigns"
    assert years.json()["difference"] == pytest.approx(0.0, abs=1e-9)
    assert years.json()["se"] == pytest.approx(math.sqrt(2) * mine.se)
    assert years.json()["p_value"] == pytest.approx(1.0)
    neither = client.get(url, params=query)
    assert neither.status_code == 422


def test_suppressed_cells_cannot_be_compared(engine: Engine, client: TestClient) -> None:
    world = make_world(engine)
    version_id = _official_world(engine, world)
    other_id = _two_units(engine, world)
    for unit in (world.unit_id, other_id):
        _add(
            engine,
            world,
            [_official_answers(seed) for seed in range(5)],
            unit_id=unit,
            version_id=version_id,
            channel="invitation",
            stratum=f"{unit}",
            design_weight=3.0,
        )
    _run(engine, world)
    login(client, engine, Role.ADMIN)
    dimension = qn.builtin_definition("official").dimensions[0].id
    answer = client.get(
        f"/api/v1/campaigns/{world.campaign_id}/compare",
        params={
            "audience": "official",
            "dimension": dimension,
            "unit": world.unit_id,
            "other_unit": other_id,
        },
    )
    assert answer.status_code == 409
    assert "suppressed" in answer.json()["detail"]


def test_officials_answers_are_never_listed_by_the_responses_api(
    engine: Engine, client: TestClient
) -> None:
    world = make_world(engine)
    version_id = _official_world(engine, world)
    _add(engine, world, [_citizen(4)] * 2, desk_id=world.desk_id)
    _add(
        engine,
        world,
        [_official_answers(1)],
        version_id=version_id,
        channel="invitation",
        stratum="s",
        design_weight=1.0,
    )
    login(client, engine, Role.ADMIN)
    listed = client.get(f"/api/v1/campaigns/{world.campaign_id}/responses").json()
    assert listed["count"] == 2
    assert {row["questionnaire_version_id"] for row in listed["data"]} == {world.version_id}


def test_response_weights_follow_the_weighting_rules(engine: Engine) -> None:
    """Desk A (2 answers) handled 300 dossiers, desk B (3) 100: weights 150 and 33.3."""
    world = make_world(engine)
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        other = desk_service.create_desk(session=session, unit=unit, name_vi="B", name_en="B")
        other_id = other.id
        for desk, dossiers in ((world.desk_id, 300), (other_id, 100)):
            analysis_service.set_total(
                session=session, campaign_id=world.campaign_id, desk_id=desk, dossiers=dossiers
            )
    _add(engine, world, [_citizen(5)] * 2, desk_id=world.desk_id)
    _add(engine, world, [_citizen(1)] * 3, desk_id=other_id)
    _add(engine, world, [_citizen(1)], desk_id=other_id, excluded=True)
    with db.session_scope(engine) as session:
        weights = analysis_service.response_weights(session=session, campaign_id=world.campaign_id)
        rows = session.exec(select(Response).order_by(Response.id)).all()
    kept = [weights[r.id or 0][0] for r in rows[:5]]
    assert kept == pytest.approx([150, 150, 100 / 3, 100 / 3, 100 / 3])
    assert rows[5].id not in weights  # excluded by a coordinator: no weight
    assert len(weights) == 5
    assert {rule for _, rule in weights.values()} == {analysis_service.RULE_POSTSTRATIFIED}


def _design_weights(engine: Engine, campaign_id: int) -> dict[int, tuple[float, str]]:
    """Every response's weight and rule as the analysis design has them (``_prepare``, with the
    latest run's settings): the reference ``response_weights`` must reproduce."""
    with Session(engine) as session:
        run = analysis_service.latest_run(session=session, campaign_id=campaign_id)
        assert run is not None
        settings = analysis_service.AnalysisSettings(**run.settings)
        campaign = campaign_service.get_campaign(session=session, campaign_id=campaign_id)
        versions = {v.id: v for v in session.exec(select(QuestionnaireVersion)).all()}
        out: dict[int, tuple[float, str]] = {}
        pinned = campaign_service.pinned_versions(session=session, campaign=campaign)
        for audience, version in sorted(pinned.items()):
            prepared, _ = analysis_service._prepare(
                session, campaign_id, audience, version, versions, settings, []
            )
            if prepared is None:
                continue
            for row, weight in zip(prepared.audience.rows, prepared.design.weights, strict=True):
                out[row.id or 0] = (float(weight), prepared.audience.rules[row.unit_id])
        return out


def _business(level: int) -> dict[str, Any]:
    questionnaire = qn.builtin_definition("business")
    return {i.id: level for i in questionnaire.items if i.type is qn.ItemType.SCALE5}


@pytest.mark.parametrize("policy", [p.value for p in analysis_service.ExclusionPolicy])
def test_response_weights_agree_with_the_analysis_design(engine: Engine, policy: str) -> None:
    """Citizens at desks with totals (post-stratified), a desk without (equal weights) and open
    links; businesses invited in two strata with non-response, plus desk answers the sample
    leaves out; excluded and flagged answers in both. Every exclusion policy."""
    world = make_world(engine)
    with db.session_scope(engine) as session:
        unit = session.get(Unit, world.unit_id)
        assert unit is not None
        other = Unit(code="Q2", name_vi="Quận 2", name_en="District 2", group=UnitGroup.DISTRICT)
        third = Unit(code="Q3", name_vi="Quận 3", name_en="District 3", group=UnitGroup.DISTRICT)
        session.add_all([other, third])
        session.flush()
        second_desk = desk_service.create_desk(session=session, unit=unit, name_vi="B", name_en="B")
        bare_desk = desk_service.create_desk(session=session, unit=other, name_vi="C", name_en="C")
        ids = (second_desk.id, bare_desk.id, other.id, third.id)
        for desk, dossiers in ((world.desk_id, 300), (second_desk.id, 70)):
            analysis_service.set_total(
                session=session, campaign_id=world.campaign_id, desk_id=desk, dossiers=dossiers
            )
        business = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.builtin_definition("business")
        )
        campaign = campaign_service.get_campaign(session=session, campaign_id=world.campaign_id)
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=business)
        business_id = business.id
        for stratum, weight, count in (("small", 12.5, 7), ("large", 3.0, 5)):
            for index in range(count):
                session.add(
                    Invitation(
                        code=f"{stratum}{index}".ljust(24, "x"),
                        campaign_id=world.campaign_id,
                        audience="business",
                        unit_id=world.unit_id,
                        stratum=stratum,
                        design_weight=weight,
                    )
                )
    second, bare, q2, q3 = ids
    _add(engine, world, [_citizen(5)] * 3, desk_id=world.desk_id)
    _add(engine, world, [_citizen(2)] * 2, desk_id=second)
    _add(engine, world, [_citizen(1)], desk_id=second, excluded=True)
    _add(engine, world, [_citizen(4)], desk_id=world.desk_id, flags=["too_fast"])
    _add(engine, world, [_citizen(3)] * 2, desk_id=bare, unit_id=q2)
    _add(engine, world, [_citizen(4)], desk_id=bare, unit_id=q2, flags=["straight"])
    _add(engine, world, [_citizen(4)] * 2, unit_id=q3, channel="open_link")
    _add(engine, world, [_citizen(1)], unit_id=q3, channel="open_link", excluded=True)
    invited = {"version_id": business_id, "channel": "invitation"}
    _add(engine, world, [_business(4)] * 3, stratum="small", design_weight=12.5, **invited)
    _add(engine, world, [_business(5)] * 2, stratum="large", design_weight=3.0, **invited)
    _add(engine, world, [_business(2)], stratum="large", design_weight=3.0, flags=["x"], **invited)
    _add(
        engine, world, [_business(1)], stratum="small", design_weight=12.5, excluded=True, **invited
    )
    _add(engine, world, [_business(3)], stratum="none", design_weight=8.0, **invited)
    _add(engine, world, [_business(3)] * 2, version_id=business_id, desk_id=world.desk_id)
    settings = analysis_service.AnalysisSettings(exclusion=policy)
    with db.session_scope(engine) as session:
        session.add(
            AnalysisRun(
                campaign_id=world.campaign_id,
                created_by="test",
                settings=settings.as_json(),
                exclusion_policy=policy,
                checksum="0" * 64,
            )
        )
    expected = _design_weights(engine, world.campaign_id)
    with Session(engine) as session:
        weights = analysis_service.response_weights(session=session, campaign_id=world.campaign_id)
    assert sorted(weights) == sorted(expected)
    for rid, (weight, rule) in expected.items():
        assert weights[rid][0] == pytest.approx(weight, rel=1e-12) and weights[rid][1] == rule
    assert {rule for _, rule in expected.values()} == {
        analysis_service.RULE_DESIGN,
        analysis_service.RULE_POSTSTRATIFIED,
        analysis_service.RULE_EQUAL,
    }
    kept = {"none": 21, "excluded": 18, "excluded_and_flagged": 15}[policy]
    assert len(weights) == kept  # citizens kept plus businesses in the sample
    ids_sorted = np.array(sorted(expected), dtype=np.int64)
    values, codes = weights.lookup(np.append(ids_sorted, 10**9))
    assert np.isnan(values[-1]) and codes[-1] == -1
    assert values[:-1] == pytest.approx([expected[i][0] for i in ids_sorted.tolist()])
