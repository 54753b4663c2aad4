"""The ``survey`` command: demo, users, QR export, migrations."""

from __future__ import annotations

import csv
import inspect
from pathlib import Path

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from survey_service import cli, db, web
from survey_service.models import (
    AppraisalPoint,
    Campaign,
    CampaignStatus,
    Desk,
    ParComputation,
    Response,
    Unit,
    UnitGroup,
    User,
)
from survey_service.services import comments
from survey_service.services import users as user_service


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("SURVEY_VAR_DIR", str(var))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    monkeypatch.setenv("SURVEY_PUBLIC_BASE_URL", "https://khaosat.example.vn")
    monkeypatch.delenv("SURVEY_DEMO_ADMIN_PASSWORD", raising=False)
    return var


def _count_previous(engine: Engine) -> int:
    """Answers of every campaign but the newest (the demo's simulated previous year)."""
    with Session(engine) as session:
        newest = session.exec(select(Campaign).order_by(Campaign.year.desc())).first()
        assert newest is not None
        return int(
            session.exec(
                select(func.count()).select_from(Response).where(Response.campaign_id != newest.id)
            ).one()
        )


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_demo_seeds_hcmc_and_running_it_twice_adds_nothing(
    env: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "admin@example.org" in out and "https://khaosat.example.vn/s/" in out
    password = (env / "demo_admin_password").read_text().strip()
    assert password in out
    counts = (_count(engine, Unit), _count(engine, Desk), _count(engine, Campaign))
    with Session(engine) as session:
        districts = session.exec(select(Unit).where(Unit.group == UnitGroup.DISTRICT)).all()
        departments = session.exec(select(Unit).where(Unit.group == UnitGroup.DEPARTMENT)).all()
        campaign, previous = session.exec(select(Campaign).order_by(Campaign.year.desc())).all()
        assert previous.year == campaign.year - 1 and previous.status == CampaignStatus.PUBLISHED
        answered = session.exec(
            select(func.count()).select_from(Response).where(Response.campaign_id == campaign.id)
        ).one()
        appraised = session.exec(
            select(func.count())
            .select_from(AppraisalPoint)
            .where(AppraisalPoint.campaign_id == campaign.id)
        ).one()
        computed = session.exec(
            select(ParComputation).where(ParComputation.campaign_id == campaign.id)
        ).one()
        assert (
            user_service.authenticate(session=session, email="admin@example.org", password=password)
            is not None
        )
    assert len(districts) == 22 and "Thành phố Thủ Đức" in {u.name_vi for u in districts}
    assert len(departments) >= 20
    assert campaign.status == CampaignStatus.OPEN
    assert 45 <= counts[1] <= 3 * counts[0]
    # a complete, plausible ranking: every unit ranked, no survey sub-criterion missing
    assert answered > 3000 and appraised > 40 * len(departments)
    assert len(computed.results) == counts[0]
    assert all(r["missing"] == [] for r in computed.results)
    assert all(r["change"] is not None for r in computed.results)
    with Session(engine) as session:  # comments to moderate, none from officials
        waiting = comments.comments(session=session, campaign_id=campaign.id or 0, status=None)
    assert len(waiting) >= 20
    assert any("Trần Thị B" in c.text for c in waiting)
    assert cli.main(["demo"]) == 0
    assert (_count(engine, Unit), _count(engine, Desk), _count(engine, Campaign)) == counts
    assert _count(engine, Response) == answered + _count_previous(engine)
    assert _count(engine, User) == 1
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "was not added again" in capsys.readouterr().out


def test_user_add_takes_the_password_from_the_environment(
    env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_USER_PASSWORD", "a long enough password")
    assert cli.main(["user", "add", "Scorer@Example.org", "--role", "scorer"]) == 0
    with Session(engine) as session:
        user = session.exec(select(User)).one()
    assert (user.email, user.role) == ("scorer@example.org", "scorer")
    assert user.password_hash.startswith("$argon2id$")


def test_user_add_refuses_a_short_password_and_a_duplicate(
    env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEY_USER_PASSWORD", "short")
    assert cli.main(["user", "add", "a@example.org", "--role", "admin"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setenv("SURVEY_USER_PASSWORD", "a long enough password")
    assert cli.main(["user", "add", "a@example.org", "--role", "admin"]) == 0
    assert cli.main(["user", "add", "a@example.org", "--role", "admin"]) == 1
    assert "exists already" in capsys.readouterr().err
    assert _count(engine, User) == 1


def test_qr_export_writes_png_svg_and_index(env: Path, engine: Engine, tmp_path: Path) -> None:
    assert cli.main(["demo", "--no-responses"]) == 0
    out = tmp_path / "qr"
    assert cli.main(["qr", "export", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "index.csv").open(encoding="utf-8")))
    assert len(rows) == _count(engine, Desk)
    first = rows[0]
    assert first["url"] == f"https://khaosat.example.vn/s/{first['desk_code']}"
    decoded = zxingcpp.read_barcodes(PIL.Image.open(out / first["png"]))
    assert [r.text for r in decoded] == [first["url"]]
    assert (out / first["svg"]).read_text().startswith("<?xml")
    assert len({r["desk_code"] for r in rows}) == len(rows)


def test_db_upgrade_command(env: Path, database_url: str) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    db.upgrade(database_url)


def test_questionnaire_check_passes_the_shipped_definitions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = sorted(str(p) for p in Path("questionnaires/definitions").glob("*.yaml"))
    assert len(files) == 3
    assert cli.main(["questionnaire", "check", *files]) == 0
    out = capsys.readouterr().out
    for audience in ("citizen", "business", "official"):
        assert f"{audience}.yaml: ok ({audience}, {audience}," in out


BROKEN = """\
id: broken
audience: citizen
title: {vi: "Phiếu"}
intro: {vi: "Giới thiệu", en: "Intro"}
sections:
  - id: main
    title: {vi: "Chính", en: "Main"}
    items:
      - id: q1
        type: single_choice
        options: []
        text: {vi: "Câu 1", en: "Q1"}
"""

BROKEN_REFERENCES = """\
id: broken
audience: citizen
title: {vi: "Phiếu", en: "Form"}
intro: {vi: "Giới thiệu", en: "Intro"}
dimensions:
  - {id: access, title: {vi: "Tiếp cận", en: "Access"}}
sections:
  - id: main
    title: {vi: "Chính", en: "Main"}
    items:
      - id: q1
        type: yes_no
        relevant: "${q2} = 'yes'"
        text: {vi: "Câu 1", en: "Q1"}
      - id: q2
        type: yes_no
        text: {vi: "Câu 2", en: "Q2"}
      - id: q2
        type: rating10
        dimension: speed
        text: {vi: "Câu 3", en: "Q3"}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            BROKEN,
            [
                "broken.yaml:3: title.en: the English (en) text is missing",
                "broken.yaml:9: sections[0].items[0]: a choice item needs at least two options",
            ],
        ),
        (
            BROKEN_REFERENCES,
            [
                "broken.yaml:18: sections[0].items[2].id: duplicate item id 'q2'",
                "broken.yaml:20: sections[0].items[2].dimension: unknown dimension 'speed'",
                "broken.yaml:13: sections[0].items[0].relevant: 'q2' is not an earlier item",
            ],
        ),
        ("id: [unclosed\n", ["broken.yaml:2: not valid YAML"]),
    ],
)
def test_questionnaire_check_names_file_line_and_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli.main(["questionnaire", "check", str(path)]) == 1
    lines = [line.removeprefix(f"{tmp_path}/") for line in capsys.readouterr().out.splitlines()]
    for wanted in expected:
        assert any(line.startswith(wanted) for line in lines), (wanted, lines)
    assert len(lines) == len(expected)


def test_questionnaire_publish_stores_a_version_and_pins_it(
    env: Path, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo", "--no-responses"]) == 0
    definition = Path("questionnaires/definitions/official.yaml").read_text(encoding="utf-8")
    changed = tmp_path / "official.yaml"
    changed.write_text(definition.replace("Không nắm được thông tin", "Không rõ"), "utf-8")
    with Session(engine) as session:
        campaign_id = session.exec(select(Campaign.id)).one()
    assert cli.main(["questionnaire", "publish", str(changed), "--campaign", str(campaign_id)]) == 0
    assert f"Campaign {campaign_id} now uses it for official answers." in capsys.readouterr().out
    from survey_service.services import campaigns as campaign_service

    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        pins = campaign_service.pinned_versions(session=session, campaign=campaign)
        assert "Không rõ" in str(pins["official"].definition)
        assert "Không rõ" not in str(pins["business"].definition)


def test_xlsform_export_then_import_through_the_cli_keeps_the_questionnaire(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import questionnaires as qn

    source = Path("questionnaires/definitions/business.yaml")
    form, back = tmp_path / "business.xlsx", tmp_path / "business.yaml"
    assert cli.main(["questionnaire", "export-xlsform", str(source), "-o", str(form)]) == 0
    assert cli.main(["questionnaire", "import-xlsform", str(form), "-o", str(back)]) == 0
    assert cli.main(["questionnaire", "check", str(back)]) == 0
    assert qn.content_hash(qn.load_file(back)) == qn.content_hash(qn.load_file(source))


def test_xlsform_import_lists_unsupported_features_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)", "calculation"])
    survey.append(["geopoint", "where", "Vị trí", "Location", ""])
    survey.append(["calculate", "total", "", "", "1 + 1"])
    form, out = tmp_path / "kobo.xlsx", tmp_path / "kobo.yaml"
    book.save(form)
    assert cli.main(["questionnaire", "import-xlsform", str(form), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "survey row 2" in err and "geopoint" in err
    assert "survey row 3" in err and "calculate" in err
    assert not out.exists()


def test_purge_blanks_old_hashes_and_drops_expired_drafts(
    env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    from survey_service.models import Draft, Response
    from tests.factories import make_world

    world = make_world(engine)
    now = dt.datetime.now(dt.UTC)
    with db.session_scope(engine) as session:
        for days, sid in ((40, "old-response-000000001"), (1, "new-response-000000001")):
            session.add(
                Response(
                    campaign_id=world.campaign_id,
                    questionnaire_version_id=world.version_id,
                    unit_id=world.unit_id,
                    channel="desk_qr",
                    answers={},
                    client_submission_id=sid,
                    submitted_at=now - dt.timedelta(days=days),
                    client_hash="c" * 64,
                    browser_hash="b" * 64,
                )
            )
        session.add(
            Draft(
                token="t" * 40,
                form_key="s:X",
                submission_id="s" * 20,
                expires_at=now - dt.timedelta(hours=1),
            )
        )
    monkeypatch.setenv("SURVEY_CLIENT_HASH_DAYS", "30")
    assert cli.main(["purge"]) == 0
    assert "Hashes blanked on 1 responses older than 30 days; 1 expired drafts" in (
        capsys.readouterr().out
    )
    with Session(engine) as session:
        old, new = session.exec(select(Response).order_by(Response.id)).all()
        assert (old.client_hash, old.browser_hash) == (None, None)
        assert new.client_hash == "c" * 64
        assert session.exec(select(Draft)).all() == []


def test_serve_builds_its_app_with_the_desk_codes_remembered_and_objects_frozen(
    env: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`survey serve`'s workers build the app with every live desk code remembered, so their
    first requests take the desk lane, the public templates compiled, and with gc.freeze()
    (see create_served_app): the modules, app and tables made at start-up are no longer walked
    by every full collection."""
    import gc

    from survey_service.app import create_served_app
    from survey_service.models import Desk
    from tests.factories import make_world

    world, closed = make_world(engine), make_world(engine, unit_code="Q2")
    with db.session_scope(engine) as session:
        desk = session.get(Desk, closed.desk_id)
        assert desk is not None
        desk.active = False
        session.add(desk)

    assert "survey_service.app:create_served_app" in inspect.getsource(cli.cmd_serve)
    gc.unfreeze()
    web._env.cache.clear()  # as in a new process: nothing compiled yet
    try:
        app = create_served_app()
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # the test process builds many apps: keep its garbage collectable
    app.state.engine.dispose()
    # the public templates compiled at start: the first form pages read none from disk
    loader = web._env.loader
    assert loader is not None
    read: list[str] = []
    real_source = loader.get_source
    monkeypatch.setattr(
        loader, "get_source", lambda env, name: read.append(name) or real_source(env, name)
    )
    for name in ("public/form.html", "public/_questions.html", "public/thanks.html", "base.html"):
        web._env.get_template(name)
    assert read == []
    web._env.get_template("admin/login.html")  # the admin pages compile on first use
    assert read == ["admin/login.html"]
    assert frozen > 50_000  # the imported modules alone are far more objects than this
    remembered = app.state.form_targets.peek(world.code)
    assert remembered is not None and remembered.desk.id == world.desk_id
    assert app.state.form_targets.peek(closed.code) is None  # a closed desk opens nothing
