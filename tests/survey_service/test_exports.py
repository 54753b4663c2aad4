"""Exports: read back with the matching library, they hold the database's rows, labels, numbers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pyreadstat
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import questionnaires as qn
from survey_service import cli, db, errors
from survey_service.models import AuditEntry, Role
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services import export_variables
from survey_service.services import exports as export_service
from survey_service.services import par as par_service
from survey_service.services import questionnaires as questionnaire_service
from tests.factories import World, login, make_world
from tests.survey_service.test_analysis_service import _add, _citizen

BOM = b"\xef\xbb\xbf"


def _official_version(engine: Engine, world: World) -> int:
    """Pin the built-in officials' form in the world's campaign; returns its version id."""
    with db.session_scope(engine) as session:
        version = questionnaire_service.ensure_version(
            session=session, questionnaire=qn.builtin_definition("official")
        )
        campaign = campaign_service.get_campaign(session=session, campaign_id=world.campaign_id)
        campaign_service.pin_questionnaire(session=session, campaign=campaign, version=version)
        assert version.id is not None
        return version.id


def _seed(engine: Engine) -> World:
    """Four citizens (one with a comment, priorities, N/A, a flag) and two officials."""
    world = make_world(engine)
    first = {
        **_citizen(5),
        "priorities": ["shorten_time", "staff_attitude"],
        "comment": "Cán bộ rất nhiệt tình",
        "feedback_given": "no",
        "trips": 2,
    }
    _add(engine, world, [first, _citizen(4), _citizen(2)], desk_id=world.desk_id)
    _add(
        engine,
        world,
        [{**_citizen(1), "results_fair": "na"}],
        desk_id=world.desk_id,
        flags=["fast"],
    )
    official = _official_version(engine, world)
    answers = {"respondent_role": "civil_servant", "leadership_direction": "a"}
    _add(engine, world, [answers, answers], version_id=official, channel="open_link")
    return world


def _export(engine: Engine, world: World, kind: str, fmt: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{kind}.{fmt}"
    with Session(engine) as session:
        report = export_service.export(
            session=session, kind=kind, campaign_id=world.campaign_id, fmt=fmt, out=out
        )
    assert report.path == out and report.codebook.exists()
    return out


def _database(engine: Engine, world: World) -> dict[int, dict[str, Any]]:
    """The citizens' responses by id, with their analysis weight."""
    from survey_service.models import Response

    with Session(engine) as session:
        weights = analysis_service.response_weights(session=session, campaign_id=world.campaign_id)
        rows = session.exec(
            select(Response).where(Response.questionnaire_version_id == world.version_id)
        )
        return {
            r.id: {**r.answers, "weight": weights.get(r.id or 0, (None, None))[0], "flags": r.flags}
            for r in rows
            if r.id is not None
        }


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_responses_csv_has_bom_rows_weights_and_no_officials(
    engine: Engine, tmp_path: Path
) -> None:
    world = _seed(engine)
    out = _export(engine, world, "responses", "csv", tmp_path)
    assert out.read_bytes().startswith(BOM)
    rows = _csv_rows(out)
    database = _database(engine, world)
    assert [int(r["response_id"]) for r in rows] == sorted(database)
    assert {r["audience"] for r in rows} == {"citizen"}
    for row in rows:
        stored = database[int(row["response_id"])]
        assert float(row["weight"]) == pytest.approx(stored["weight"])
        assert row["weighting"] == analysis_service.RULE_EQUAL
        assert int(row["access_information"]) == stored["access_information"]
        assert row["unit_code"] == "Q1" and row["questionnaire_version"]
    first, last = rows[0], rows[-1]
    assert first["comment"] == "Cán bộ rất nhiệt tình" and first["trips"] == "2"
    assert (first["priorities_shorten_time"], first["priorities_staff_attitude"]) == ("1", "1")
    assert (
        first["priorities_simplify_procedures"] == "0" and rows[1]["priorities_shorten_time"] == ""
    )
    assert first["feedback_given"] == "no"  # text codes stay text in CSV
    assert last["results_fair"] == "-1" and last["flags"] == "fast"


def test_responses_never_carry_contact_columns(engine: Engine, tmp_path: Path) -> None:
    world = _seed(engine)
    out = _export(engine, world, "responses", "csv", tmp_path)
    names = _csv_rows(out)[0].keys()
    assert not [n for n in names if any(w in n for w in ("phone", "email", "address"))]


def test_codebook_lists_every_variable_with_labels_and_version(
    engine: Engine, tmp_path: Path
) -> None:
    world = _seed(engine)
    out = _export(engine, world, "responses", "csv", tmp_path)
    book = export_service.codebook_path(out)
    assert book.read_bytes().startswith(BOM)
    entries = {r["name"]: r for r in _csv_rows(book)}
    assert list(entries) == list(_csv_rows(out)[0].keys())
    access = entries["access_information"]
    questionnaire = qn.builtin_definition("citizen")
    assert access["label_vi"] == questionnaire.item("access_information").text.vi
    assert access["dimension"] == "access" and access["questionnaire_id"] == "citizen"
    assert access["questionnaire_version"] == qn.content_hash(questionnaire)[:12]
    assert access["values"].startswith("1 = ")
    assert "officials" in entries["audience"]["label_en"].lower()


def test_responses_xlsx_holds_the_csv_rows(engine: Engine, tmp_path: Path) -> None:
    world = _seed(engine)
    expected = _csv_rows(_export(engine, world, "responses", "csv", tmp_path))
    book = openpyxl.load_workbook(_export(engine, world, "responses", "xlsx", tmp_path))
    values = list(book["data"].iter_rows(values_only=True))
    header = list(values[0])
    assert header == list(expected[0].keys()) and len(values) == len(expected) + 1
    for row, wanted in zip(values[1:], expected, strict=True):
        record = dict(zip(header, row, strict=True))
        assert record["response_id"] == int(wanted["response_id"])
        assert record["access_information"] == int(wanted["access_information"])
        assert record["weight"] == pytest.approx(float(wanted["weight"]))
        assert str(record["submitted_date"])[:10] == wanted["submitted_date"]


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_files_keep_values_and_labels(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    world = _seed(engine)
    out = _export(engine, world, "responses", fmt, tmp_path)
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(out), output_format="dict", user_missing=True)
    database = _database(engine, world)
    assert [int(i) for i in frame["response_id"]] == sorted(database)
    assert [int(v) for v in frame["access_information"]] == [
        database[i]["access_information"] for i in sorted(database)
    ]
    for got, rid in zip(frame["weight"], sorted(database), strict=True):
        assert got == pytest.approx(database[rid]["weight"])
    questionnaire = qn.builtin_definition("citizen")
    labels = meta.column_names_to_labels
    limit = export_service.LABEL_LIMIT[fmt]
    assert labels["access_information"] == questionnaire.item("access_information").text.vi[:limit]
    scale = meta.variable_value_labels["access_information"]
    assert scale[5] == questionnaire.choices(questionnaire.item("access_information"))[4].vi
    # text codes become 1..k with their labels; multiple choice 0/1
    assert meta.variable_value_labels["feedback_given"] == {1: "Có", 2: "Không"}
    assert meta.variable_value_labels["results_fair"][-1] == "Không biết / Không áp dụng"
    assert int(frame["results_fair"][-1]) == -1  # SPSS: declared user-missing
    if fmt == "sav":
        assert meta.missing_ranges["results_fair"] == [{"lo": -1.0, "hi": -1.0}]
    assert int(frame["feedback_given"][0]) == 2
    assert int(frame["priorities_shorten_time"][0]) == 1
    assert frame["comment"][0] == "Cán bộ rất nhiệt tình"
    assert all(len(name) <= export_service.NAME_LIMIT[fmt] for name in meta.column_names)


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_dates_are_dates_and_absent_weights_are_empty(
    engine: Engine, tmp_path: Path, fmt: str
) -> None:
    """Dates are written as the format's own date numbers with a date format (read back as
    dates); without weights the weight variable is there and empty."""
    world = _seed(engine)
    expected = _csv_rows(_export(engine, world, "responses", "csv", tmp_path))
    out = tmp_path / f"plain.{fmt}"
    with Session(engine) as session:
        export_service.export(
            session=session,
            kind="responses",
            campaign_id=world.campaign_id,
            fmt=fmt,
            out=out,
            weights=False,
        )
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(out), output_format="dict")
    assert meta.original_variable_types["submitted_date"] == export_service.DATE_FORMAT[fmt]
    assert [d.isoformat() for d in frame["submitted_date"]] == [
        row["submitted_date"] for row in expected
    ]
    assert len(frame["weight"]) == len(expected)
    assert all(w is None or w != w for w in frame["weight"])  # missing (None or NaN)
    assert meta.column_names_to_labels["weight"].startswith("Trọng số")


def test_responses_json_is_one_object_with_the_rows(engine: Engine, tmp_path: Path) -> None:
    world = _seed(engine)
    payload = json.loads(_export(engine, world, "responses", "json", tmp_path).read_text())
    database = _database(engine, world)
    assert [r["response_id"] for r in payload["data"]] == sorted(database)
    assert payload["meta"]["note"] == export_service.OFFICIALS_NOTE
    first = payload["data"][0]
    assert first["comment"] == "Cán bộ rất nhiệt tình" and first["access_information"] == 5
    assert first["weight"] == pytest.approx(database[first["response_id"]]["weight"])
    assert {v["name"] for v in payload["variables"]} == set(first)


def _analysed(engine: Engine) -> World:
    world = _seed(engine)
    with db.session_scope(engine) as session:
        analysis_service.run_analysis(
            session=session,
            campaign_id=world.campaign_id,
            actor="test",
            settings=analysis_service.AnalysisSettings(min_n=2),
        )
    return world


def test_indices_export_is_the_tidy_table_with_suppressed_numbers_empty(
    engine: Engine, tmp_path: Path
) -> None:
    world = _analysed(engine)
    rows = _csv_rows(_export(engine, world, "indices", "csv", tmp_path))
    with Session(engine) as session:
        run = analysis_service.latest_run(session=session, campaign_id=world.campaign_id)
        assert run is not None
        results = analysis_service.run_results(session=session, run_id=run.id or 0)
    assert len(rows) == len(results)
    for row, result in zip(rows, results, strict=True):
        assert row["dimension"] == result.dimension and row["audience"] == result.audience
        if result.suppressed:
            assert row["estimate"] == row["se"] == row["n"] == "" and row["suppressed"] == "1"
        elif result.estimate is not None:
            assert float(row["estimate"]) == pytest.approx(result.estimate)
    assert any(r["suppressed"] == "1" for r in rows)  # two officials: below the minimum
    frame, meta = pyreadstat.read_dta(
        str(_export(engine, world, "indices", "dta", tmp_path)), output_format="dict"
    )
    assert len(frame["estimate"]) == len(results)
    assert meta.column_names_to_labels["estimate"] == "Ước lượng"


def test_par_export_flattens_areas_and_json_has_components(engine: Engine, tmp_path: Path) -> None:
    world = _analysed(engine)
    with db.session_scope(engine) as session:
        computation = par_service.compute(session=session, campaign_id=world.campaign_id, actor="t")
        results, components = computation.results, computation.components
    rows = _csv_rows(_export(engine, world, "par", "csv", tmp_path))
    assert [r["unit_code"] for r in rows] == [r["unit_code"] for r in results]
    area, (points, maximum) = next(iter(results[0]["areas"].items()))
    name = export_variables._safe_name(f"area_{area}")
    assert float(rows[0][f"{name}_max"]) == pytest.approx(maximum)
    assert float(rows[0][name] or 0) == pytest.approx(points or 0)
    payload = json.loads(_export(engine, world, "par", "json", tmp_path).read_text())
    assert payload["components"] == components and len(payload["data"]) == len(results)
    frame, meta = pyreadstat.read_sav(
        str(_export(engine, world, "par", "sav", tmp_path)), output_format="dict"
    )
    assert frame["index"][0] == pytest.approx(results[0]["index"])


def test_unknown_kind_or_format_is_refused_clearly(engine: Engine, tmp_path: Path) -> None:
    world = make_world(engine)
    with Session(engine) as session:
        with pytest.raises(errors.InvalidInput, match="kind 'votes'"):
            export_service.export(
                session=session,
                kind="votes",
                campaign_id=world.campaign_id,
                fmt="csv",
                out=tmp_path / "x.csv",
            )
        with pytest.raises(errors.InvalidInput, match="format 'pdf'.*csv, xlsx, sav, dta, json"):
            export_service.export(
                session=session,
                kind="responses",
                campaign_id=world.campaign_id,
                fmt="pdf",
                out=tmp_path / "x.pdf",
            )


def test_cli_writes_the_export_and_audits_it(
    engine: Engine, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    world = _seed(engine)
    out = tmp_path / "answers.sav"
    argv = ["export", "responses", "--campaign", str(world.campaign_id), "--format", "sav"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert out.exists() and export_service.codebook_path(out).exists()
    with Session(engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "export.responses")
        ).one()
    assert entry.actor == "command line" and entry.after == {
        "format": "sav",
        "rows": 4,
        "file": str(out),
    }
    with pytest.raises(SystemExit):
        cli.main([*argv[:4], "--format", "pdf", "--out", str(out)])


def test_observer_gets_indices_but_not_responses(client: TestClient, engine: Engine) -> None:
    world = _analysed(engine)
    login(client, engine, Role.OBSERVER)
    base = f"/admin/campaigns/{world.campaign_id}/export"
    assert client.get(f"{base}/responses.csv").status_code == 403
    assert client.get(f"{base}/responses.csv.codebook.csv").status_code == 403
    indices = client.get(f"{base}/indices.csv")
    assert indices.status_code == 200 and indices.content.startswith(BOM)
    assert "attachment" in indices.headers["content-disposition"]
    book = client.get(f"{base}/indices.xlsx.codebook.csv")
    assert book.status_code == 200 and b"estimate" in book.content
    assert client.get(f"{base}/indices.pdf").status_code == 422


def test_scorer_downloads_responses_and_each_download_is_audited(
    client: TestClient, engine: Engine
) -> None:
    world = _seed(engine)
    login(client, engine, Role.SCORER)
    base = f"/admin/campaigns/{world.campaign_id}/export"
    got = client.get(f"{base}/responses.json")
    assert got.status_code == 200, got.text
    assert len(got.json()["data"]) == 4
    book = client.get(f"{base}/responses.sav.codebook.csv")
    assert book.status_code == 200 and b"access_information" in book.content
    assert client.get(f"{base}/votes.csv").status_code == 422
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "export.responses")
        ).all()
    assert [(e.actor, e.after) for e in entries] == [
        ("scorer@example.org", {"format": "json", "rows": 4})
    ]
