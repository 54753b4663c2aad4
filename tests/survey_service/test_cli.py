"""The ``survey`` command: demo, users, QR export, migrations."""

from __future__ import annotations

import csv
from pathlib import Path

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from survey_service import cli, db
from survey_service.models import Campaign, CampaignStatus, Desk, Unit, UnitGroup, User
from survey_service.services import users as user_service


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("SURVEY_VAR_DIR", str(var))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    monkeypatch.setenv("SURVEY_PUBLIC_BASE_URL", "https://khaosat.example.vn")
    monkeypatch.delenv("SURVEY_DEMO_ADMIN_PASSWORD", raising=False)
    return var


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
        campaign = session.exec(select(Campaign)).one()
        assert (
            user_service.authenticate(session=session, email="admin@example.org", password=password)
            is not None
        )
    assert len(districts) == 22 and "Thành phố Thủ Đức" in {u.name_vi for u in districts}
    assert len(departments) >= 20
    assert campaign.status == CampaignStatus.OPEN
    assert 45 <= counts[1] <= 3 * counts[0]
    assert cli.main(["demo"]) == 0
    assert (_count(engine, Unit), _count(engine, Desk), _count(engine, Campaign)) == counts
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
    assert cli.main(["demo"]) == 0
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
