"""Sampling frames: CSV and XLSX imports per audience, bad rows, duplicates, contacts, purge."""

from __future__ import annotations

import csv
import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from survey_service import cli, db, errors
from survey_service.models import (
    AuditEntry,
    Campaign,
    Frame,
    FrameContact,
    FrameRow,
    Unit,
    UnitGroup,
)
from survey_service.services import frame_files
from survey_service.services import frames as frame_service
from survey_service.services.frames import RowError
from tests.factories import World, make_unit, make_world

Table = list[list[Any]]

CITIZENS: Table = [
    ["external_id", "unit", "field", "channel", "completed_on", "phone", "email", "address"],
    [
        "HS-001",
        "Q1",
        "Hộ tịch",
        "trực tiếp",
        "2026-03-05",
        "0901234567",
        "an@example.vn",
        "1 Lê Lợi",
    ],
    ["HS-002", "Q3", "Đất đai", "", "05/03/2026", "", "", ""],
]
BUSINESSES: Table = [
    ["external_id", "unit", "sector", "size_class", "phone", "email", "address"],
    ["0301234567", "Q1", "Thương mại", "Small", "02838221234", "", ""],
    ["0312345678 001", "Q3", "Xây dựng", "micro", "", "", ""],
]
OFFICIALS: Table = [
    ["external_id", "unit", "position_level", "phone", "email"],
    ["CB-17", "Q1", "Leader", "", "lanh.dao@q1.gov.vn"],
    ["CB-18", "Q3", "staff", "", ""],
]
# audience → (table, {external_id: (unit code, attributes)}, {external_id: contact})
EXPECTED: dict[str, tuple[Table, dict[str, Any], dict[str, Any]]] = {
    "citizen": (
        CITIZENS,
        {
            "HS-001": (
                "Q1",
                {"field": "Hộ tịch", "channel": "trực tiếp", "completed_on": "2026-03-05"},
            ),
            "HS-002": ("Q3", {"field": "Đất đai", "channel": None, "completed_on": "2026-03-05"}),
        },
        {"HS-001": {"phone": "0901234567", "email": "an@example.vn", "address": "1 Lê Lợi"}},
    ),
    "business": (
        BUSINESSES,
        {
            "0301234567": ("Q1", {"sector": "Thương mại", "size_class": "small"}),
            "0312345678-001": ("Q3", {"sector": "Xây dựng", "size_class": "micro"}),
        },
        {"0301234567": {"phone": "02838221234"}},
    ),
    "official": (
        OFFICIALS,
        {
            "CB-17": ("Q1", {"position_level": "leader"}),
            "CB-18": ("Q3", {"position_level": "staff"}),
        },
        {"CB-17": {"email": "lanh.dao@q1.gov.vn"}},
    ),
}


def write_csv(path: Path, table: Table, delimiter: str = ",", bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(table)
    return path


def write_xlsx(path: Path, table: Table) -> Path:
    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append(row)
    workbook.save(path)
    return path


def write(tmp_path: Path, table: Table, fmt: str = "csv") -> Path:
    path = tmp_path / f"frame.{fmt}"
    return write_xlsx(path, table) if fmt == "xlsx" else write_csv(path, table)


@pytest.fixture
def world(engine: Engine) -> World:
    """Units Q1 and Q3 and an open campaign."""
    found = make_world(engine)
    make_unit(engine, "Q3", UnitGroup.DISTRICT)
    return found


def import_file(
    engine: Engine, campaign_id: int, path: Path, audience: str = "citizen", **kwargs: Any
) -> frame_service.ImportReport:
    with db.session_scope(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return frame_service.import_frame(
            session=session,
            campaign=campaign,
            audience=audience,
            name=kwargs.pop("name", f"{audience} 2026"),
            path=path,
            **kwargs,
        )


def stored_rows(engine: Engine, frame_id: int) -> dict[str, Any]:
    """external_id → (unit code, attributes) of a frame."""
    query = (
        select(FrameRow.external_id, Unit.code, FrameRow.attributes)
        .join(Unit, col(Unit.id) == FrameRow.unit_id)
        .where(FrameRow.frame_id == frame_id)
    )
    with Session(engine) as session:
        return {external_id: (code, attrs) for external_id, code, attrs in session.exec(query)}


def stored_contacts(engine: Engine) -> dict[str, Any]:
    """external_id → contact, over every frame."""
    query = select(FrameRow.external_id, FrameContact.contact).join(
        FrameRow, col(FrameRow.id) == FrameContact.frame_row_id
    )
    with Session(engine) as session:
        return dict(session.exec(query).all())


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def audit_entries(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def assert_nothing_stored(engine: Engine) -> None:
    assert (count(engine, Frame), count(engine, FrameRow), count(engine, FrameContact)) == (0, 0, 0)
    assert audit_entries(engine, "frame.import") == []


# --- imports per audience and format ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("audience", ["citizen", "business", "official"])
def test_each_audience_imports_from_csv_and_xlsx(
    engine: Engine, world: World, tmp_path: Path, audience: str, fmt: str
) -> None:
    table, rows, contacts = EXPECTED[audience]
    report = import_file(engine, world.campaign_id, write(tmp_path, table, fmt), audience)
    assert (report.rows, report.errors, report.error_count) == (2, (), 0)
    assert report.frame_id is not None
    assert stored_rows(engine, report.frame_id) == rows
    assert stored_contacts(engine) == contacts
    with Session(engine) as session:
        frame = session.get(Frame, report.frame_id)
    assert frame is not None
    assert (frame.audience, frame.row_count, frame.campaign_id) == (audience, 2, world.campaign_id)
    [entry] = audit_entries(engine, "frame.import")
    assert entry.after == {"name": f"{audience} 2026", "audience": audience, "rows": 2}
    assert (entry.entity, entry.entity_id, entry.actor) == ("frame", str(frame.id), "system")


def test_xlsx_number_and_date_cells_are_read_as_text_and_iso_dates(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table: Table = [
        ["external_id", "unit", "field", "completed_on"],
        [20260001, "Q1", "Hộ tịch", dt.date(2026, 3, 5)],
        [20260002, "Q1", "Hộ tịch", dt.datetime(2026, 3, 6, 14, 30)],
    ]
    report = import_file(engine, world.campaign_id, write_xlsx(tmp_path / "f.xlsx", table))
    assert report.frame_id is not None, report.errors
    rows = stored_rows(engine, report.frame_id)
    assert {k: v[1]["completed_on"] for k, v in rows.items()} == {
        "20260001": "2026-03-05",
        "20260002": "2026-03-06",
    }


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (3.01234567001e12, "3012345670010"),  # a number some writers store with an exponent
        (1.5, "1.5"),
        (dt.datetime(2026, 3, 6, 14, 30), "2026-03-06"),
        (" Q1 ", "Q1"),
    ],
)
def test_spreadsheet_cells_become_text(value: Any, text: str) -> None:
    assert frame_files._cell_text(value) == text


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_with_a_bom_and_a_semicolon_or_tab_delimiter(
    engine: Engine, world: World, tmp_path: Path, delimiter: str
) -> None:
    table = [
        ["external_id", "unit", "field", "address"],
        ["HS-1", "Q1", "Hộ tịch", "12, Lê Lợi, Bến Nghé"],  # commas inside a value
        ["HS-2", "Q3", "Đất đai", ""],
    ]
    path = write_csv(tmp_path / "f.csv", table, delimiter=delimiter, bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = import_file(engine, world.campaign_id, path)
    assert report.frame_id is not None, report.errors
    assert set(stored_rows(engine, report.frame_id)) == {"HS-1", "HS-2"}
    assert stored_contacts(engine) == {"HS-1": {"address": "12, Lê Lợi, Bến Nghé"}}


VIETNAMESE_HEADER = {
    "external_id": "Mã hồ sơ",
    "unit": "Đơn vị",
    "field": "Lĩnh vực",
    "completed_on": "Ngày hoàn thành",
    "phone": "Điện thoại",
}


def test_a_column_mapping_reads_fields_from_other_column_names(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table = [
        ["Ngày hoàn thành", "Mã hồ sơ", "Ghi chú", "Đơn vị", "Lĩnh vực", "Điện thoại"],
        ["01/12/2026", "HS-9", "bỏ qua", "q1", "Xây dựng", "0911000222"],
    ]
    path = write(tmp_path, table)
    report = import_file(engine, world.campaign_id, path, mapping=VIETNAMESE_HEADER)
    assert report.frame_id is not None, report.errors
    assert stored_rows(engine, report.frame_id) == {
        "HS-9": ("Q1", {"field": "Xây dựng", "completed_on": "2026-12-01"}),
    }
    assert stored_contacts(engine) == {"HS-9": {"phone": "0911000222"}}


def test_bad_mapping_and_missing_required_columns_are_reported_on_row_1(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    path = write(tmp_path, [["external_id", "field"], ["HS-1", "Hộ tịch"]])
    mapping = {"colour": "Màu", "field": "Lĩnh vực"}
    report = import_file(engine, world.campaign_id, path, mapping=mapping)
    assert report.frame_id is None
    assert report.errors == (
        RowError(1, "Màu", "'colour' is not a field of citizen frames."),
        RowError(1, "unit", "The required column for unit is missing."),
        RowError(1, "Lĩnh vực", "The mapped column is not in the file."),
    )
    assert_nothing_stored(engine)


# --- bad rows -----------------------------------------------------------------------------------


def test_bad_citizen_rows_are_reported_with_row_column_and_problem_and_nothing_is_stored(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table = [
        CITIZENS[0],
        ["HS-1", "Q9", "Hộ tịch", "", "2026-03-05", "0901234567", "", ""],
        ["HS-2", "Q1", "Hộ tịch", "", "31/02/2026", "", "", ""],
        ["HS-3", "Q1", "", "", "", "", "", ""],
        ["HS-4", "Q1", "Đất đai", "", "2026-13-01", "", "", ""],
        ["", "", "", "", "", "", "", ""],  # blank rows are skipped but keep their number
        ["HS-5", "Q1", "Đất đai", "", "5/3/2026", "0902000111", "", ""],
    ]
    report = import_file(engine, world.campaign_id, write(tmp_path, table))
    assert report.frame_id is None
    assert report.rows == 5
    assert report.error_count == 4
    assert report.errors == (
        RowError(2, "unit", "Unit code 'Q9' is not in the list of units."),
        RowError(3, "completed_on", "'31/02/2026' is not a date; write YYYY-MM-DD or DD/MM/YYYY."),
        RowError(4, "field", "The value is missing; it is required."),
        RowError(5, "completed_on", "'2026-13-01' is not a date; write YYYY-MM-DD or DD/MM/YYYY."),
    )
    assert_nothing_stored(engine)


def test_bad_business_rows_name_the_tax_code_and_size_class_problems(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    tax = "is not a tax code: 10 digits, or 13 written as 0123456789-001."
    table = [
        BUSINESSES[0],
        ["030123456", "Q1", "Thương mại", "small"],
        ["0301234567", "Q1", "Thương mại", "huge"],
        ["", "Q1", "", "small"],
        ["0301234567-01", "Q1", "Dịch vụ", "medium"],
        [301234567, "Q1", "Dịch vụ", "medium"],  # typed into a number cell: its 0 is gone
    ]
    report = import_file(engine, world.campaign_id, write(tmp_path, table, "xlsx"), "business")
    lost = (
        " A leading 0 seems lost (Excel drops it from number cells):"
        " format the column as Text and type the codes again."
    )
    assert report.errors == (
        RowError(2, "external_id", f"'030123456' {tax}"),
        RowError(3, "size_class", "'huge' is not one of micro, small, medium, large."),
        RowError(4, "external_id", "The value is missing; it is required."),
        RowError(4, "sector", "The value is missing; it is required."),
        RowError(5, "external_id", f"'0301234567-01' {tax}"),
        RowError(6, "external_id", f"'301234567' {tax}{lost}"),
    )
    assert_nothing_stored(engine)


def test_errors_name_the_files_own_column_under_a_mapping(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table = [list(VIETNAMESE_HEADER.values()), ["HS-1", "Q1", "Hộ tịch", "hôm qua", ""]]
    report = import_file(
        engine, world.campaign_id, write(tmp_path, table), mapping=VIETNAMESE_HEADER
    )
    problem = "'hôm qua' is not a date; write YYYY-MM-DD or DD/MM/YYYY."
    assert report.errors == (RowError(2, "Ngày hoàn thành", problem),)


def test_only_max_errors_are_kept_but_all_are_counted(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table = [["external_id", "unit", "field"]] + [[f"HS-{i}", "Q9", "x"] for i in range(30)]
    report = import_file(engine, world.campaign_id, write(tmp_path, table), max_errors=10)
    assert report.error_count == 30
    assert [error.row for error in report.errors] == list(range(2, 12))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", RowError(1, "", "The file is empty.")),
        (b"external_id,unit,field\r\n", RowError(1, "", "The file has no data rows.")),
        (
            "external_id,unit,field\nHS-1,Q1,x\nHS-2,Q1,Đô\n".encode("cp1258"),
            RowError(3, "", "The text is not UTF-8; save the file as CSV UTF-8."),
        ),
        (
            b"PK\x03\x04 not a workbook",
            RowError(1, "", "The file is not a readable XLSX workbook."),
        ),
    ],
    ids=["empty", "header only", "not utf-8", "broken xlsx"],
)
def test_files_that_cannot_be_read_are_reported_not_raised(
    engine: Engine, world: World, tmp_path: Path, content: bytes, problem: RowError
) -> None:
    path = tmp_path / "frame.csv"
    path.write_bytes(content)
    report = import_file(engine, world.campaign_id, path)
    assert (report.frame_id, report.errors) == (None, (problem,))
    assert_nothing_stored(engine)


# --- duplicates -------------------------------------------------------------------------------


def test_duplicates_within_the_file_are_refused(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    table = [
        BUSINESSES[0],
        ["0301234567001", "Q1", "Thương mại", "small"],
        ["0309999999", "Q1", "Thương mại", "small"],
        ["0301234567-001", "Q3", "Dịch vụ", "large"],  # the same code once normalised
    ]
    report = import_file(engine, world.campaign_id, write(tmp_path, table), "business")
    problem = "External id '0301234567-001' is in an earlier row too."
    assert report.errors == (RowError(4, "external_id", problem),)
    assert_nothing_stored(engine)


def test_ids_of_an_earlier_frame_of_the_same_campaign_and_audience_are_refused(
    engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frame_service, "BATCH", 2)  # several look-ups in the earlier frame
    header = ["external_id", "unit", "field"]
    first = [header] + [[f"HS-{i}", "Q1", "x"] for i in range(5)]
    assert import_file(engine, world.campaign_id, write(tmp_path, first)).frame_id is not None
    second = [header] + [[f"HS-{i}", "Q1", "x"] for i in (9, 0, 8, 7, 4)]
    report = import_file(engine, world.campaign_id, write(tmp_path, second))
    assert report.errors == (
        RowError(3, "external_id", "External id 'HS-0' is in an earlier frame of the campaign."),
        RowError(6, "external_id", "External id 'HS-4' is in an earlier frame of the campaign."),
    )
    assert count(engine, Frame) == 1
    officials = [["external_id", "unit", "position_level"], ["HS-0", "Q1", "staff"]]
    assert import_file(engine, world.campaign_id, write(tmp_path, officials), "official").frame_id
    other = make_world(engine, unit_code="Q7").campaign_id
    assert import_file(engine, other, write(tmp_path, second)).frame_id is not None


def test_rows_over_several_batches_keep_their_own_contacts(
    engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(frame_service, "BATCH", 3)
    table = [["external_id", "unit", "field", "phone"]]
    table += [[f"HS-{i}", "Q1", "x", f"09{i:08d}" if i % 2 else ""] for i in range(10)]
    report = import_file(engine, world.campaign_id, write(tmp_path, table))
    assert report.rows == 10 and report.frame_id is not None
    assert len(stored_rows(engine, report.frame_id)) == 10
    assert stored_contacts(engine) == {f"HS-{i}": {"phone": f"09{i:08d}"} for i in (1, 3, 5, 7, 9)}


# --- privacy: contacts apart, then purged --------------------------------------------------------


def test_contact_data_is_stored_only_in_frame_contacts(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    for audience, (table, _, _) in EXPECTED.items():
        assert import_file(engine, world.campaign_id, write(tmp_path, table), audience).frame_id
    contact_values = [
        value
        for _, _, contacts in EXPECTED.values()
        for contact in contacts.values()
        for value in contact.values()
    ]
    assert len(contact_values) == 5
    with engine.connect() as conn:
        frame_rows = str(conn.execute(sa.text("SELECT * FROM frame_rows")).all())
        audit_log = str(conn.execute(sa.text("SELECT * FROM audit_log")).all())
    for value in contact_values:
        assert value not in frame_rows and value not in audit_log
    assert len(stored_contacts(engine)) == 3


def test_purge_contacts_deletes_the_campaigns_contacts_and_is_audited(
    engine: Engine, world: World, tmp_path: Path
) -> None:
    for audience in ("citizen", "business"):
        import_file(engine, world.campaign_id, write(tmp_path, EXPECTED[audience][0]), audience)
    other = make_world(engine, unit_code="Q7").campaign_id
    import_file(engine, other, write(tmp_path, OFFICIALS), "official")
    with db.session_scope(engine) as session:
        deleted = frame_service.purge_contacts(session=session, campaign_id=world.campaign_id)
    assert deleted == 2
    assert stored_contacts(engine) == {"CB-17": {"email": "lanh.dao@q1.gov.vn"}}
    assert count(engine, FrameRow) == 6
    with Session(engine) as session:
        purged = frame_service.list_frames(session=session, campaign_id=world.campaign_id)
        kept = frame_service.list_frames(session=session, campaign_id=other)
    assert [frame.audience for frame in purged] == ["citizen", "business"]
    assert all(frame.contacts_purged_at is not None for frame in purged)
    assert [frame.contacts_purged_at for frame in kept] == [None]
    [entry] = audit_entries(engine, "frame.purge_contacts")
    assert (entry.entity, entry.entity_id) == ("campaign", str(world.campaign_id))
    assert entry.after == {"contacts_deleted": 2, "frames": 2}


def test_purge_contacts_of_an_unknown_campaign_is_not_found(engine: Engine) -> None:
    with pytest.raises(errors.NotFound), db.session_scope(engine) as session:
        frame_service.purge_contacts(session=session, campaign_id=999)


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Path:
    var = tmp_path / "var"
    monkeypatch.setenv("SURVEY_VAR_DIR", str(var))
    monkeypatch.setenv("SURVEY_DATABASE_URL", database_url)
    return var


def test_cli_imports_a_frame_with_a_mapping_then_purges_its_contacts(
    env: Path, engine: Engine, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = [list(VIETNAMESE_HEADER.values())]
    table += [["HS-1", "Q1", "Hộ tịch", "", "0901234567"], ["HS-2", "Q3", "Đất đai", "", ""]]
    path = write_csv(tmp_path / "ho_so.csv", table, delimiter=";", bom=True)
    maps = [
        arg for field, column in VIETNAMESE_HEADER.items() for arg in ("--map", f"{field}={column}")
    ]
    args = ["frame", "import", "--campaign", str(world.campaign_id), "--audience", "citizen"]
    assert cli.main([*args, "--name", "Hồ sơ quý 1", *maps, str(path)]) == 0
    match = re.fullmatch(r"Frame (\d+): 2 rows imported\.\n", capsys.readouterr().out)
    assert match is not None
    assert stored_contacts(engine) == {"HS-1": {"phone": "0901234567"}}
    assert cli.main(["frame", "purge-contacts", "--campaign", str(world.campaign_id)]) == 0
    out = capsys.readouterr().out
    assert out == f"1 contacts deleted from the frames of campaign {world.campaign_id}.\n"
    assert stored_contacts(engine) == {}
    assert len(stored_rows(engine, int(match[1]))) == 2


def test_cli_prints_at_most_50_row_errors_and_exits_1(
    env: Path, engine: Engine, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = [["external_id", "unit", "field"]] + [[f"HS-{i}", "Q9", "x"] for i in range(60)]
    path = write(tmp_path, table, "xlsx")
    args = ["frame", "import", "--campaign", str(world.campaign_id), "--audience", "citizen"]
    assert cli.main([*args, "--name", "Hồ sơ", str(path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 51
    assert lines[0] == f"{path}: row 2, column unit: Unit code 'Q9' is not in the list of units."
    assert lines[49].startswith(f"{path}: row 51, column unit:")
    assert lines[50] == "… and 10 more"
    assert_nothing_stored(engine)


def test_cli_refuses_an_unknown_campaign_and_a_malformed_map(
    env: Path, engine: Engine, world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, CITIZENS)
    args = ["frame", "import", "--audience", "citizen", "--name", "x", str(path)]
    assert cli.main([*args, "--campaign", "999"]) == 1
    assert "Campaign 999 does not exist." in capsys.readouterr().err
    assert cli.main([*args, "--campaign", str(world.campaign_id), "--map", "unit"]) == 2
    assert "--map needs FIELD=COLUMN" in capsys.readouterr().err
    assert cli.main(["frame", "purge-contacts", "--campaign", "999"]) == 1
    assert_nothing_stored(engine)


def test_frame_to_invitations_from_the_command_line(
    env: Path, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Import a frame, plan with a margin of error per unit, draw: every unit gets its n."""
    from survey_service import cli
    from survey_service.models import Invitation

    world = make_world(engine)
    frame_file = tmp_path / "dossiers.csv"
    lines = ["external_id,unit,field,phone"] + [
        f"HS{i:05d},Q1,{'land' if i % 2 else 'civil'},09{i:08d}" for i in range(400)
    ]
    frame_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert (
        cli.main(
            [
                "frame",
                "import",
                "--campaign",
                str(world.campaign_id),
                "--audience",
                "citizen",
                "--name",
                "hồ sơ",
                str(frame_file),
            ]
        )
        == 0
    )
    assert (
        cli.main(
            [
                "sample",
                "plan",
                "--campaign",
                str(world.campaign_id),
                "--frame",
                "1",
                "--name",
                "SIPAS",
                "--strata",
                "field",
                "--moe",
                "0.1",
                "--seed",
                "7",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    # Cochran with the fpc: N = 200, e = .10, 95 % → n0 = 96.04, n = 65.7… → 66 per stratum
    assert "Q1 | civil" in out and " 200     66 " in out
    assert cli.main(["sample", "draw", "--plan", "1"]) == 0
    with Session(engine) as session:
        assert len(session.exec(select(Invitation)).all()) == 132


def test_two_imports_at_once_never_put_one_id_in_two_frames(
    engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two coordinators import lists of the same campaign and audience at the same moment,
    sharing one id. The second import to check must not miss the first's rows: on PostgreSQL it
    waits for the first to finish, then its check finds the id; on SQLite (no wait at the check,
    so the writer lock is not held for it) it looks again once it writes, and stops."""
    late_file = write(tmp_path, CITIZENS)  # HS-001, HS-002
    early_table = [CITIZENS[0], ["HS-002", "Q1", "Hộ tịch", "", "", "", "", ""]]
    early_table.append(["HS-003", "Q3", "Đất đai", "", "", "", "", ""])
    early_file = write_csv(tmp_path / "early.csv", early_table)
    real_check = frame_service._check_file
    outcome: dict[str, Any] = {}

    def early_import() -> None:
        try:
            outcome["early"] = import_file(engine, world.campaign_id, early_file, name="early")
        except Exception as exc:  # noqa: BLE001 - handed to the test's thread
            outcome["early"] = exc

    def checked_then_overtaken(**kwargs: Any) -> Any:
        found = real_check(**kwargs)
        if kwargs["path"] == late_file:  # the late import has checked: the early one runs now
            early = threading.Thread(target=early_import)
            early.start()
            early.join(timeout=1.5)  # PostgreSQL: still waiting for the late import's turn
            outcome["early_waited"] = early.is_alive()
            outcome["thread"] = early
        return found

    monkeypatch.setattr(frame_service, "_check_file", checked_then_overtaken)
    try:
        outcome["late"] = import_file(engine, world.campaign_id, late_file, name="late")
    except errors.Conflict as exc:
        outcome["late"] = exc
    outcome["thread"].join(timeout=30)

    with Session(engine) as session:
        frames = session.exec(select(Frame.name, Frame.id).order_by(col(Frame.id))).all()
        shared = session.exec(
            select(FrameRow.external_id).group_by(FrameRow.external_id).having(func.count() > 1)
        ).all()
    assert shared == []
    assert len(frames) == 1
    if engine.dialect.name == "postgresql":
        assert outcome["early_waited"] is True
        assert [name for name, _ in frames] == ["late"]
        assert outcome["early"].frame_id is None
        assert outcome["early"].errors == (
            RowError(
                2, "external_id", "External id 'HS-002' is in an earlier frame of the campaign."
            ),
        )
    else:
        assert outcome["early_waited"] is False
        assert [name for name, _ in frames] == ["early"]
        assert isinstance(outcome["late"], errors.Conflict)
        assert "holds id 'HS-002'; nothing was stored" in str(outcome["late"])
        assert stored_rows(engine, frames[0][1]).keys() == {"HS-002", "HS-003"}
