"""XLSForm import and export: lossless round trips, pyxform conversion, Kobo-style forms and
every unsupported feature named with its row."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyxform.xls2xform import convert

import questionnaires as qn
from questionnaires import xlsform

DEFINITIONS = sorted(
    path.stem for path in (Path(qn.__file__).parent / "definitions").glob("*.yaml")
)
VI, EN = "label::Vietnamese (vi)", "label::English (en)"
NA = {"vi": "Không áp dụng", "en": "Not applicable"}
DONT_KNOW = {"vi": "Không biết", "en": "Don't know"}
NA_TYPES = (qn.ItemType.SCALE5, qn.ItemType.RATING10, qn.ItemType.YES_NO, qn.ItemType.SINGLE_CHOICE)


# --- factories -------------------------------------------------------------------------------


def _t(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def _points(*scores: float) -> list[dict[str, Any]]:
    names = ["Rất kém", "Kém", "Trung bình", "Tốt", "Rất tốt"]
    points: list[dict[str, Any]] = [
        {"value": n + 1, "vi": names[n], "en": f"Point {n + 1}"} for n in range(5)
    ]
    for point, score in zip(points, scores, strict=False):
        point["score"] = score
    return points


def _option(value: str | int, en: str, score: float | None = None) -> dict[str, Any]:
    option: dict[str, Any] = {"value": value, "vi": f"Phương án {en}", "en": en}
    return option if score is None else {**option, "score": score}


def _item(item_id: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": kind,
        "text": _t(f"Câu {item_id}", f"Question {item_id}"),
        **fields,
    }


def _synthetic_data(layout: str = "section_per_page") -> dict[str, Any]:
    """A questionnaire that uses every feature the XLSForm mapping supports."""
    ratings = [
        _item("sat", "scale5", scale="agree5", required=True, dimension="quality",
              help=_t("Chọn một mức", "Pick one level")),
        _item("sat_na", "scale5", scale="agree5", not_applicable=NA, reverse=True,
              dimension="quality"),
        _item("sat_dk", "scale5", scale="agree5", not_applicable=DONT_KNOW),
        _item("sat_na_again", "scale5", scale="agree5", not_applicable=NA),
        _item("scored", "scale5", scale="scored5", dimension="quality"),
        _item("rating", "rating10", reverse=True, dimension="speed", required=True),
        _item("rating_na", "rating10", not_applicable=DONT_KNOW, relevant="${sat} >= 4"),
    ]  # fmt: skip
    facts = [
        _item("visited", "yes_no", required=True),
        _item("visited_na", "yes_no", not_applicable=DONT_KNOW, help=_t("Nếu nhớ", "If known")),
        _item("channel", "single_choice", dimension="speed", not_applicable=NA,
              options=[_option("desk", "Desk", 100), _option("online", "Online", 62.5)],
              relevant="${visited} = 'yes' and not(${unit_group} = 'district')"),
        _item("grade", "single_choice", options=[_option(1, "One"), _option(2, "Two")]),
        _item("reasons", "multiple_choice",
              options=[_option("cost", "Cost"), _option("time", "Time"), _option("staff", "St")]),
        _item("visits", "integer", min=1, max=20, relevant="count-selected(${reasons}) > 0"),
        _item("age", "integer", min=18),
        _item("balance", "integer", max=-1),
        _item("anything", "integer"),
        _item("comment", "text", max_length=500, relevant="selected(${reasons}, 'cost')"),
        _item("free_text", "text"),
        _item("visit_date", "date", required=True,
              relevant="${visited} != 'no' or ${visits} <= 3"),
    ]  # fmt: skip
    return {
        "id": "synthetic",
        "audience": "business",
        "layout": layout,
        "title": _t("Phiếu thử nghiệm", "Test questionnaire"),
        "intro": _t("Lời giới thiệu", "Introduction"),
        "dimensions": [
            {"id": "quality", "title": _t("Chất lượng", "Quality")},
            {"id": "speed", "title": _t("Tốc độ", "Speed")},
        ],
        "scales": {
            "agree5": _points(),
            "scored5": _points(0, 25, 50, 75, 100),
            "unused3": _points()[:3],
        },
        "sections": [
            {"id": "ratings", "title": _t("Đánh giá", "Ratings"), "items": ratings,
             "relevant": "${unit_group} = 'ward' or ${unit_group} = 'commune'"},
            {"id": "facts", "title": _t("Thông tin", "Facts"), "items": facts},
        ],
    }  # fmt: skip


def _synthetic(layout: str = "section_per_page") -> qn.Questionnaire:
    return qn.parse_definition(_synthetic_data(layout))


def _colliding() -> qn.Questionnaire:
    """List names that could clash: a scale called yes_no, one named like an N/A list, and
    choice items named like scales or like the yes/no list, holding the yes/no options."""
    data = _synthetic_data()
    data["scales"] = {"yes_no": _points(), "agree5__na1": _points(), "agree5": _points(1, 2)}
    data["sections"][0]["items"] = [
        _item("a", "scale5", scale="yes_no", not_applicable=NA),
        _item("b", "scale5", scale="yes_no"),
        _item("c", "scale5", scale="agree5", not_applicable=NA),
        _item("d", "scale5", scale="agree5__na1"),
        _item("agree5", "single_choice", options=[_option("x", "X"), _option("y", "Y")]),
        _item("yes_no", "single_choice", options=[
            {"value": "yes", "vi": "Có", "en": "Yes"}, {"value": "no", "vi": "Không", "en": "No"}]),
        _item("plain_yes_no", "yes_no"),
    ]  # fmt: skip
    return qn.parse_definition(data)


def _yes_no_lookalike() -> qn.Questionnaire:
    """A choice item named yes_no, holding exactly the yes/no options, before any yes/no item."""
    data = _synthetic_data()
    options = [
        {"value": "yes", "vi": "Có", "en": "Yes"},
        {"value": "no", "vi": "Không", "en": "No"},
    ]
    data["sections"][1]["items"].insert(0, _item("yes_no", "single_choice", options=options))
    return qn.parse_definition(data)


def _round_trip(questionnaire: qn.Questionnaire, tmp_path: Path) -> xlsform.Imported:
    path = tmp_path / f"{questionnaire.id}.xlsx"
    xlsform.export_xlsform(questionnaire, path)
    return xlsform.import_xlsform(path)


def _workbook(
    tmp_path: Path,
    survey: Iterable[dict[str, Any]],
    choices: Iterable[dict[str, Any]] = (),
    form_settings: dict[str, Any] | None = None,
) -> Path:
    """An XLSForm written by hand: rows are {column: value}; headers in order of appearance."""
    book = openpyxl.Workbook()
    sheets = [("survey", list(survey)), ("choices", list(choices))]
    sheets += [("settings", [form_settings])] if form_settings is not None else []
    sheets = [sheets[0], *((title, rows) for title, rows in sheets[1:] if rows)]
    for n, (title, rows) in enumerate(sheets):
        sheet = book.active if n == 0 else book.create_sheet(title)
        sheet.title = title
        header = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column) for column in header])
    path = tmp_path / "handmade.xlsx"
    book.save(path)
    return path


def _q(name: str, kind: str, vi: str, en: str, **columns: Any) -> dict[str, Any]:
    return {"type": kind, "name": name, VI: vi, EN: en, **columns}


def _c(list_name: str, name: str | int, vi: str, en: str, **columns: Any) -> dict[str, Any]:
    return {"list_name": list_name, "name": name, VI: vi, EN: en, **columns}


FIRST = _q("first", "text", "Câu đầu", "First")


def _problems(
    tmp_path: Path, *rows: dict[str, Any], choices: Iterable[dict[str, Any]] = ()
) -> list[str]:
    path = _workbook(tmp_path, [FIRST, *rows], choices)
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.import_xlsform(path)
    return caught.value.problems


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEFINITIONS)
def test_shipped_definition_survives_a_round_trip(name: str, tmp_path: Path) -> None:
    original = qn.builtin_definition(name)
    imported = _round_trip(original, tmp_path)
    assert imported.questionnaire == original
    assert qn.content_hash(imported.questionnaire) == qn.content_hash(original)
    assert imported.ignored == ("meta/instanceID: added by pyxform, ignored",)


@pytest.mark.parametrize("layout", ["one_page", "section_per_page"])
def test_synthetic_questionnaire_survives_a_round_trip(layout: str, tmp_path: Path) -> None:
    original = _synthetic(layout)
    imported = _round_trip(original, tmp_path).questionnaire
    assert imported == original
    assert qn.content_hash(imported) == qn.content_hash(original)


def test_synthetic_questionnaire_uses_every_supported_feature() -> None:
    q = _synthetic()
    items = q.items
    assert {item.type for item in items} == set(qn.ItemType)
    assert {i.type for i in items if i.not_applicable} == set(NA_TYPES)
    agree = [i for i in items if i.scale == "agree5"]
    assert {i.not_applicable is None for i in agree} == {True, False}
    assert any(i.help for i in items) and any(i.reverse for i in items)
    assert any(o.score is not None for i in items for o in q.choices(i))
    assert any(s.relevant for s in q.sections) and any(i.relevant for i in items)
    assert any("${unit_group}" in (s.relevant or "") for s in q.sections)
    bounds = {(i.min is None, i.max is None) for i in items if i.type is qn.ItemType.INTEGER}
    assert bounds == {(False, False), (False, True), (True, False), (True, True)}
    assert any(i.max_length for i in items) and q.dimensions


def test_list_names_share_scales_and_restore_them(tmp_path: Path) -> None:
    path = tmp_path / "synthetic.xlsx"
    xlsform.export_xlsform(_synthetic(), path)
    sheet = openpyxl.load_workbook(path)["choices"]
    lists = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert lists == {
        "agree5", "agree5__na1", "agree5__na2", "scored5", "unused3", "rating10__na1",
        "yes_no", "yes_no__na1", "channel", "grade", "reasons",
    }  # fmt: skip
    survey = openpyxl.load_workbook(path)["survey"]
    types = {row[1]: row[0] for row in survey.iter_rows(min_row=2, values_only=True)}
    assert types["sat_na"] == types["sat_na_again"] == "select_one agree5__na1"
    assert types["sat_dk"] == "select_one agree5__na2"
    assert types["rating"] == "range" and types["rating_na"] == "select_one rating10__na1"


@pytest.mark.parametrize("make", [_colliding, _yes_no_lookalike])
def test_list_names_that_could_clash_still_round_trip(make: Any, tmp_path: Path) -> None:
    original = make()
    imported = _round_trip(original, tmp_path).questionnaire
    assert imported == original
    assert imported.item("yes_no").type is qn.ItemType.SINGLE_CHOICE


def test_settings_hold_the_version_and_the_custom_columns(tmp_path: Path) -> None:
    q = _synthetic()
    book = xlsform.to_workbook(q)
    header, values = book["settings"].iter_rows(values_only=True)
    row = dict(zip(header, values, strict=True))
    assert row["version"] == qn.content_hash(q)[:12]
    assert row["form_id"] == "synthetic" and row["form_title"] == q.title.vi
    assert (row["par_audience"], row["par_layout"]) == ("business", "section_per_page")
    assert row["par_title_en"] == q.title.en and row["default_language"] == "Vietnamese (vi)"
    first_rows = list(book["survey"].iter_rows(min_row=2, max_row=3, max_col=2, values_only=True))
    assert first_rows == [("note", "intro"), ("hidden", "unit_group")]


@given(
    text=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\xa0")
        | st.sampled_from("\n\t"),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda s: s and "${" not in s),
    low=st.none() | st.integers(-(10**9), 10**9),
    span=st.none() | st.integers(0, 10**6),
    max_length=st.none() | st.integers(1, 10_000),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_texts_and_bounds_survive_a_round_trip(
    tmp_path: Path, text: str, low: int | None, span: int | None, max_length: int | None
) -> None:
    data = _synthetic_data()
    high = None if span is None else (low or 0) + span
    facts = data["sections"][1]["items"]
    facts[5].update(text=_t(text, text), min=low, max=high)
    facts[9].update(help=_t(text, "help"), max_length=max_length)
    data["scales"]["agree5"][0]["vi"] = text
    original = qn.parse_definition(data)
    assert _round_trip(original, tmp_path).questionnaire == original


# --- pyxform conversion ----------------------------------------------------------------------


def _relevants_in_xform(xform: str) -> dict[str, str]:
    ns = "{http://www.w3.org/2002/xforms}"
    binds = ET.fromstring(xform).iter(f"{ns}bind")
    return {
        b.attrib["nodeset"]: re.sub(r"\s+", "", b.attrib["relevant"])
        for b in binds
        if "relevant" in b.attrib
    }


def _expected_relevants(q: qn.Questionnaire) -> dict[str, str]:
    paths = {"unit_group": "/data/unit_group"}
    paths |= {i.id: f"/data/{s.id}/{i.id}" for s in q.sections for i in s.items}

    def xpath(expression: str) -> str:
        return re.sub(r"\s+", "", re.sub(r"\$\{(\w+)\}", lambda m: paths[m.group(1)], expression))

    expected = {f"/data/{s.id}": xpath(s.relevant) for s in q.sections if s.relevant}
    for section in q.sections:
        expected |= {paths[i.id]: xpath(i.relevant) for i in section.items if i.relevant}
    return expected


@pytest.mark.parametrize("name", [*DEFINITIONS, "<synthetic>", "<colliding>", "<lookalike>"])
def test_export_converts_to_an_xform_with_the_skip_logic(name: str, tmp_path: Path) -> None:
    q = {
        "<synthetic>": _synthetic,
        "<colliding>": _colliding,
        "<lookalike>": _yes_no_lookalike,
    }.get(name, lambda: qn.builtin_definition(name))()
    path = tmp_path / "form.xlsx"
    xlsform.export_xlsform(q, path)
    assert xlsform.xform_problems(path) == []
    relevants = _relevants_in_xform(convert(xlsform=str(path)).xform)
    assert relevants == _expected_relevants(q)


def test_xform_problems_reports_what_pyxform_says(tmp_path: Path) -> None:
    path = _workbook(tmp_path, [_q("q", "select_one missing", "Câu", "Q")], COLOURS)
    problems = xlsform.xform_problems(path)
    assert len(problems) == 1 and problems[0].startswith("error: ") and "missing" in problems[0]


def _section_named_intro(data: dict[str, Any]) -> None:
    data["sections"][1]["id"] = "intro"


def _referenced_item_named_like_a_section(data: dict[str, Any]) -> None:
    data["sections"][1]["id"] = "visited"


def _control_character(data: dict[str, Any]) -> None:
    data["sections"][1]["items"][0]["text"]["en"] = "Visited\x01?"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_section_named_intro, "section 'intro': the name is taken in XLSForm"),
        (_referenced_item_named_like_a_section, "item 'visited': skip logic refers to it"),
        (_control_character, "survey row 14: label::English (en): control characters"),
    ],
)
def test_what_xlsform_cannot_hold_is_refused_on_export(change: Any, expected: str) -> None:
    data = _synthetic_data()
    change(data)
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.to_workbook(qn.parse_definition(data))
    assert [p for p in caught.value.problems if p.startswith(expected)], caught.value.problems


@pytest.mark.parametrize("kind", sorted(set(qn.ItemType) - set(NA_TYPES)))
def test_not_applicable_reaches_export_only_on_the_types_that_write_it(kind: str) -> None:
    """Export writes N/A as an ``na`` choice of a select_one list; the schema keeps it there."""
    data = _synthetic_data()
    item = next(i for i in data["sections"][1]["items"] if i["type"] == kind)
    item["not_applicable"] = NA
    with pytest.raises(qn.DefinitionError, match="'not_applicable' is allowed only on"):
        qn.parse_definition(data)


# --- forms written by people -----------------------------------------------------------------


def test_kobo_style_form_imports_to_the_expected_questionnaire(tmp_path: Path) -> None:
    survey = [
        _q("visited", "select_one yes_no", "Ông/Bà đã đến chưa?", "Have you visited?",
           required="yes"),
        _q("visits", "integer", "Mấy lần?", "How many times?", required="yes",
           relevant="${visited} = 'yes'"),
        _q("channel", "select_one channel", "Kênh nào?", "Which channel?", required="TRUE"),
        _q("topics", "select_multiple topic", "Chủ đề?", "Topics?"),
        _q("comment", "text", "Ý kiến", "Comments", relevant="selected(${topics}, 'fees')"),
    ]  # fmt: skip
    choices = [
        _c("yes_no", "yes", "Có", "Yes"), _c("yes_no", "no", "Không", "No"),
        _c("channel", "desk", "Tại quầy", "At the desk"),
        _c("channel", "online", "Trực tuyến", "Online"),
        _c("topic", "fees", "Phí", "Fees"), _c("topic", "time", "Thời gian", "Time"),
    ]  # fmt: skip
    path = _workbook(tmp_path, survey, choices, {"form_title": "Khảo sát", "form_id": "kobo_form"})
    imported = xlsform.import_xlsform(path)
    title = _t("Khảo sát", "Khảo sát")
    expected = qn.parse_definition({
        "id": "kobo_form", "audience": "citizen", "layout": "one_page",
        "title": title, "intro": title,
        "sections": [{"id": "main", "title": title, "items": [
            {"id": "visited", "type": "yes_no", "required": True,
             "text": _t("Ông/Bà đã đến chưa?", "Have you visited?")},
            {"id": "visits", "type": "integer", "required": True, "relevant": "${visited} = 'yes'",
             "text": _t("Mấy lần?", "How many times?")},
            {"id": "channel", "type": "single_choice", "required": True,
             "text": _t("Kênh nào?", "Which channel?"), "options": [
                 {"value": "desk", "vi": "Tại quầy", "en": "At the desk"},
                 {"value": "online", "vi": "Trực tuyến", "en": "Online"}]},
            {"id": "topics", "type": "multiple_choice", "text": _t("Chủ đề?", "Topics?"),
             "options": [{"value": "fees", "vi": "Phí", "en": "Fees"},
                         {"value": "time", "vi": "Thời gian", "en": "Time"}]},
            {"id": "comment", "type": "text", "relevant": "selected(${topics}, 'fees')",
             "text": _t("Ý kiến", "Comments")},
        ]}],
    })  # fmt: skip
    assert imported.questionnaire == expected
    assert imported.ignored == ("meta/instanceID: added by pyxform, ignored",)


def test_questions_around_groups_go_into_main_sections(tmp_path: Path) -> None:
    survey = [
        _q("welcome", "note", "Xin chào", "Welcome"),
        FIRST,
        {
            "type": "begin_group",
            "name": "main",
            VI: "Nhóm",
            EN: "Group",
            "appearance": "field-list",
        },
        _q("inside", "date", "Ngày", "Date"),
        {"type": "end_group"},
        _q("last", "integer", "Số", "Number", constraint=". > 0"),
    ]
    form_settings = {"form_title": "Phiếu", "par_title_en": "Form", "par_audience": "official"}
    q = xlsform.import_xlsform(_workbook(tmp_path, survey, (), form_settings)).questionnaire
    assert q.intro == qn.Text(vi="Xin chào", en="Welcome")
    assert q.sections[0].title == q.title == qn.Text(vi="Phiếu", en="Form")
    assert q.audience is qn.Audience.OFFICIAL
    assert [(s.id, [i.id for i in s.items]) for s in q.sections] == [
        ("main_2", ["first"]),
        ("main", ["inside"]),
        ("main_3", ["last"]),
    ]
    assert q.item("last").min == 1 and q.item("last").max is None
    assert q.layout is qn.Layout.SECTION_PER_PAGE


def test_labels_without_a_language_are_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path, [{"type": "text", "name": "q", "label": "Câu hỏi"}])
    with pytest.raises(xlsform.XLSFormError) as caught:
        xlsform.import_xlsform(path)
    assert caught.value.problems == [
        "survey row 1: labels need both Vietnamese and English: use the columns"
        " label::Vietnamese (vi) and label::English (en)"
    ]


def test_a_plain_label_counts_as_the_default_language(tmp_path: Path) -> None:
    rows = [{"type": "text", "name": "q", "label": "Câu hỏi", EN: "Question"}]
    path = _workbook(tmp_path, rows, form_settings={"default_language": "Vietnamese (vi)"})
    assert xlsform.import_xlsform(path).questionnaire.item("q").text == qn.Text(
        vi="Câu hỏi", en="Question"
    )


def test_a_plain_hint_beside_language_columns_is_refused(tmp_path: Path) -> None:
    row = _q("q", "text", "Câu", "Q", hint="Gợi ý")
    assert _problems(tmp_path, row) == [
        "survey row 1: column 'hint' has no language: use the columns"
        " hint::Vietnamese (vi) and hint::English (en)"
    ]


def test_a_missing_english_hint_is_named_with_its_row(tmp_path: Path) -> None:
    row = _q("q", "text", "Câu", "Q", **{"hint::Vietnamese (vi)": "Gợi ý"})
    assert _problems(tmp_path, row) == ["survey row 3: hint in English (en) is missing"]


def test_schema_problems_are_named_with_their_rows(tmp_path: Path) -> None:
    problems = _problems(tmp_path, _q("Bad_Name", "text", "Câu", "Q"))
    assert problems == ["survey row 3: id: String should match pattern '^[a-z][a-z0-9_]*$'"]


def test_skip_logic_problems_are_named_with_their_rows(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        _q("early", "text", "Câu", "Q", relevant="${late} = 'x'"),
        _q("late", "text", "Câu", "Q", relevant="${late} = 'x'"),
    )
    assert problems == [
        "survey row 3: relevant: 'late' is not an earlier item",
        "survey row 4: relevant: 'late' refers to the item itself",
    ]


# --- unsupported features --------------------------------------------------------------------

UNSUPPORTED: list[tuple[str, list[dict[str, Any]], str]] = [
    ("repeat", [{"type": "begin_repeat", "name": "r", VI: "Lặp", EN: "Repeat"},
                _q("inner", "text", "Câu", "Q"), {"type": "end_repeat"}],
     "survey row 3: repeat groups (begin_repeat) are not supported"),
    ("nested group", [{"type": "begin_group", "name": "outer", VI: "N", EN: "G"},
                      {"type": "begin_group", "name": "inner", VI: "N", EN: "G"},
                      _q("deep", "text", "Câu", "Q"), {"type": "end_group"}, {"type": "end_group"}],
     "survey row 4: nested groups (begin_group 'inner' inside a group) are not supported"),
    ("calculate", [{"type": "calculate", "name": "c", "calculation": "1 + 1"}],
     "survey row 3: calculated fields (calculate) are not supported"),
    ("decimal", [_q("d", "decimal", "Số", "Number")],
     "survey row 3: decimal numbers (decimal) are not supported"),
    ("time", [_q("t", "time", "Giờ", "Time")], "survey row 3: times of day (time)"),
    ("datetime", [_q("t", "datetime", "Lúc", "When")],
     "survey row 3: dates with a time (datetime)"),
    ("geopoint", [_q("g", "geopoint", "Vị trí", "Where")], "survey row 3: locations (geopoint)"),
    ("geotrace", [_q("g", "geotrace", "Đường", "Line")], "survey row 3: lines on a map (geotrace)"),
    ("geoshape", [_q("g", "geoshape", "Vùng", "Area")], "survey row 3: areas on a map (geoshape)"),
    ("image", [_q("m", "image", "Ảnh", "Photo")], "survey row 3: images (image)"),
    ("audio", [_q("m", "audio", "Âm", "Sound")], "survey row 3: audio recordings (audio)"),
    ("video", [_q("m", "video", "Phim", "Film")], "survey row 3: videos (video)"),
    ("file", [_q("m", "file", "Tệp", "File")], "survey row 3: file uploads (file)"),
    ("barcode", [_q("m", "barcode", "Mã", "Code")], "survey row 3: barcodes (barcode)"),
    ("select_one_from_file", [_q("f", "select_one_from_file wards.csv", "Phường", "Ward")],
     "survey row 3: choices from a file (select_one_from_file wards.csv) are not supported"),
    ("select_multiple_from_file", [_q("f", "select_multiple_from_file wards.csv", "P", "W")],
     "survey row 3: choices from a file (select_multiple_from_file wards.csv)"),
    ("rank", [_q("r", "rank colours", "Xếp", "Rank")], "survey row 3: rankings (rank colours)"),
    ("acknowledge", [_q("a", "acknowledge", "Đồng ý", "OK")],
     "survey row 3: acknowledgements (acknowledge)"),
    ("note", [_q("n", "note", "Ghi chú", "Note")],
     "survey row 3: notes other than the introduction (the first note) (note)"),
    ("hidden", [{"type": "hidden", "name": "secret"}],
     "survey row 3: hidden fields other than unit_group (hidden)"),
    ("choice_filter",
     [_q("s", "select_one colours", "Màu", "Colour", choice_filter="${first} = 'x'")],
     "survey row 3: choice filters (choice_filter) are not supported"),
    ("default", [_q("d", "text", "Câu", "Q", default="hello")],
     "survey row 3: default values (default) are not supported"),
    ("read_only", [_q("d", "text", "Câu", "Q", read_only="yes")],
     "survey row 3: read-only questions (read_only) are not supported"),
    ("calculation", [_q("d", "text", "Câu", "Q", calculation="concat('a', 'b')")],
     "survey row 3: calculations (calculation) are not supported"),
    ("integer constraint", [_q("n", "integer", "Số", "N", constraint=". mod 2 = 0")],
     "survey row 3: constraint '. mod 2 = 0' is not supported"),
    ("text constraint", [_q("n", "text", "Chữ", "T", constraint="regex(., '^[0-9]+$')")],
     "survey row 3: constraint 'regex(., '^[0-9]+$')' is not supported"),
    ("date constraint", [_q("n", "date", "Ngày", "D", constraint=". < today()")],
     "survey row 3: constraints on date questions ('. < today()') are not supported"),
    ("required expression", [_q("n", "text", "Câu", "Q", required="${first} != ''")],
     "survey row 3: required '${first} != ''' is not supported"),
    ("range", [_q("n", "range", "Câu", "Q", parameters="start=1 end=5")],
     "survey row 3: ranges other than start=0 end=10 step=1"),
    ("or_other", [_q("s", "select_one colours or_other", "Màu", "Colour")],
     "survey row 3: 'or specify other' (or_other) is not supported"),
    ("media column", [_q("m", "text", "Câu", "Q", **{"media::image::English (en)": "a.png"})],
     "survey row 3: media columns (image) are not supported"),
    ("other language", [_q("l", "text", "Câu", "Q", **{"label::French (fr)": "Question"})],
     "survey row 1: column 'label::French (fr)': languages other than Vietnamese (vi) and"
     " English (en) are not supported"),
]  # fmt: skip
COLOURS = [_c("colours", "red", "Đỏ", "Red"), _c("colours", "blue", "Xanh", "Blue")]


@pytest.mark.parametrize(
    ("rows", "expected"), [c[1:] for c in UNSUPPORTED], ids=[c[0] for c in UNSUPPORTED]
)
def test_unsupported_feature_is_named_with_its_row(
    rows: list[dict[str, Any]], expected: str, tmp_path: Path
) -> None:
    problems = _problems(tmp_path, *rows, choices=COLOURS)
    assert any(p.startswith(expected) for p in problems), problems


def test_media_in_choices_is_named_with_its_row(tmp_path: Path) -> None:
    choices = [COLOURS[0], {**COLOURS[1], "image::English (en)": "blue.png"}]
    problems = _problems(tmp_path, _q("s", "select_one colours", "Màu", "Colour"), choices=choices)
    assert problems == ["choices row 3: media columns (image) are not supported"]


def test_not_applicable_in_a_select_multiple_list_is_named_with_its_rows(tmp_path: Path) -> None:
    """A list shared by both selects: the select_one keeps its N/A, the select_multiple cannot."""
    choices = [*COLOURS, _c("colours", "na", "Không áp dụng", "Not applicable")]
    problems = _problems(
        tmp_path,
        _q("one", "select_one colours", "Màu", "Colour"),
        _q("many", "select_multiple colours", "Màu", "Colours"),
        choices=choices,
    )
    assert problems == [
        "survey row 4: not-applicable answers on multiple choices (choices row 4: choice 'na'"
        " of list 'colours') are not supported"
    ]


def test_every_occurrence_is_listed(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {"type": "calculate", "name": "c1", "calculation": "1"},
        _q("d", "decimal", "Số", "Number"),
        {"type": "calculate", "name": "c2", "calculation": "2"},
        {"type": "begin_repeat", "name": "r", VI: "Lặp", EN: "Repeat"},
        _q("inner", "time", "Giờ", "Time"),
        {"type": "end_repeat"},
    )
    assert [p.split(":")[0] for p in problems] == [f"survey row {n}" for n in (3, 4, 5, 6, 7)]


def test_metadata_fields_are_ignored_and_reported(tmp_path: Path) -> None:
    kinds = ["start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit"]
    kobo_version = {"type": "calculate", "name": "__version__", "calculation": "'vHq7'"}
    path = _workbook(tmp_path, [*({"type": k, "name": k} for k in kinds), FIRST, kobo_version])
    imported = xlsform.import_xlsform(path)
    assert [i.id for i in imported.questionnaire.items] == ["first"]
    metadata = [
        f"survey row {n}: metadata field '{k}' (type {k}) ignored" for n, k in enumerate(kinds, 2)
    ]
    assert set(imported.ignored) == {
        *metadata,
        "survey row 11: metadata field '__version__' (type calculate) ignored",
        "meta/instanceID: added by pyxform, ignored",
    }


def test_presentation_details_are_ignored_and_reported(tmp_path: Path) -> None:
    rows = [
        _q("q", "text", "Câu", "Q", appearance="multiline", remarks="for the translator"),
        _q(
            "n",
            "integer",
            "Số",
            "N",
            constraint=". <= 9",
            **{"constraint_message::English (en)": "!"},
        ),
    ]
    path = _workbook(tmp_path, [FIRST, *rows], form_settings={"style": "pages"})
    ignored = xlsform.import_xlsform(path).ignored
    assert "survey row 3: appearance 'multiline' ignored" in ignored
    assert "survey sheet: column 'remarks' ignored" in ignored
    assert "survey row 4: constraint_message ignored (the service writes its own)" in ignored
    assert "settings row 2: column 'style' ignored" in ignored


# --- bad input -------------------------------------------------------------------------------


def test_a_file_that_is_not_a_workbook_is_an_xlsform_error(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    path.write_text("type,name,label\ntext,q,Q\n", encoding="utf-8")
    with pytest.raises(xlsform.XLSFormError, match="not an .xlsx workbook"):
        xlsform.import_xlsform(path)


def test_a_zip_that_is_not_a_workbook_is_an_xlsform_error(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(xlsform.XLSFormError, match="not a readable .xlsx workbook"):
        xlsform.import_xlsform(path)


def test_a_missing_file_is_an_xlsform_error(tmp_path: Path) -> None:
    with pytest.raises(xlsform.XLSFormError, match="no such file"):
        xlsform.import_xlsform(tmp_path / "absent.xlsx")


@pytest.mark.parametrize("sheets", [["Sheet"], ["questions", "choices"]])
def test_a_workbook_without_a_survey_sheet_is_an_xlsform_error(
    sheets: list[str], tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    book.active.title = sheets[0]
    for title in sheets[1:]:
        book.create_sheet(title)
    book.active.append(["type", "name", VI, EN])
    book.active.append(["text", "q", "Câu", "Q"])
    path = tmp_path / "form.xlsx"
    book.save(path)
    with pytest.raises(xlsform.XLSFormError, match="the workbook has no 'survey' sheet"):
        xlsform.import_xlsform(path)


@pytest.mark.parametrize(
    "row",
    [
        _q("q", "select_one nowhere", "Câu", "Q"),
        _q("q", "text", "Câu", "Q", relevant="${nowhere} = 1"),
    ],
)
def test_what_pyxform_refuses_is_an_xlsform_error(row: dict[str, Any], tmp_path: Path) -> None:
    problems = _problems(tmp_path, row, choices=COLOURS)
    assert len(problems) == 1 and problems[0].startswith("pyxform: ")
