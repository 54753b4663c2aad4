"""Exports for analysts: responses, indices and PAR results as CSV, XLSX, SPSS, Stata or JSON.

Every export streams: responses are read in id-keyset pages of ``PAGE`` rows and written row by
row (CSV, XLSX in write-only mode, JSON piece by piece). SPSS and Stata files cannot be appended
to (pyreadstat writes the row count first), so the rows are counted first and written into
preallocated compact columns (int8 answer codes, one-byte enums for text) that one polars frame
wraps; 1,000,000 responses of the citizen form take about 76 MB that way (bench/export_memory.py).

A codebook (``OUT.codebook.csv``, UTF-8 with BOM) is written beside every export: one row per
variable with its labels, type, value codes, dimension and questionnaire version.

Officials' answers never leave the database one by one (the rule of the responses API): the
responses export leaves them out, and says so in its codebook and file notes.
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import json
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session, col, func, select

import questionnaires as qn
from survey_service import errors
from survey_service.models import ParScheme, QuestionnaireVersion, Response, Unit
from survey_service.services import analysis as analysis_service
from survey_service.services import campaigns as campaign_service
from survey_service.services import par as par_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service
from survey_service.services.campaigns import VIETNAM

KINDS = ("responses", "indices", "par")
FORMATS = ("csv", "xlsx", "sav", "dta", "json")
PAGE = 1000
NOT_APPLICABLE_CODE = -1
XLSX_MAX_ROWS = 1_048_575  # a sheet's rows, less the header
NAME_LIMIT = {"sav": 64, "dta": 32}
LABEL_LIMIT = {"sav": 255, "dta": 80}
NOTE_LINES = (  # SPSS notes and Stata file labels hold 80 bytes a line
    "Không xuất phiếu của cán bộ (chỉ có số liệu tổng hợp).",
    "Officials' answers are never exported; only aggregates leave the database.",
)
TEXT_BYTES = {"sav": 32_767, "dta": 2_000}  # Stata strings from 2,045 bytes on are strL
OFFICIALS_NOTE = (
    "Phiếu của cán bộ, công chức không được xuất (chỉ công bố số liệu tổng hợp). / "
    "Officials' answers are never exported; they leave the database only as aggregates."
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
    "json": "application/json",
}


@dataclass(frozen=True)
class Variable:
    """One column of an export, as its codebook row describes it."""

    name: str
    label_vi: str
    label_en: str
    dtype: str  # int8, int16, int32, int64, float64, str, date
    values: tuple[tuple[int | str, str, str], ...] = ()
    dimension: str = ""
    item: str = ""
    questionnaire_id: str = ""
    version_hash: str = ""


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote."""

    kind: str
    fmt: str
    path: Path
    codebook: Path
    rows: int
    variables: int


@dataclass
class _Table:
    """Variables, rows to stream, and what JSON carries besides the rows."""

    variables: list[Variable]
    rows: Iterable[list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    count: int | None = None  # how many rows ``rows`` yields, when known beforehand


def check(kind: str, fmt: str) -> None:
    """Refuse an unknown kind or format with a message that lists the known ones."""
    if kind not in KINDS:
        raise errors.InvalidInput(
            "Loại dữ liệu xuất không hợp lệ.",
            message_en=f"Unknown export kind {kind!r}; use one of {', '.join(KINDS)}.",
        )
    if fmt not in FORMATS:
        raise errors.InvalidInput(
            "Định dạng tệp xuất không hợp lệ.",
            message_en=f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.",
        )


def codebook_path(out: Path) -> Path:
    """Where the codebook of ``out`` goes: ``OUT.codebook.csv``."""
    return out.with_name(out.name + ".codebook.csv")


def export(
    *, session: Session, kind: str, campaign_id: int, fmt: str, out: Path, weights: bool = True
) -> ExportReport:
    """Write the campaign's ``kind`` as ``fmt`` to ``out`` and its codebook beside it."""
    check(kind, fmt)
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    table = _BUILDERS[kind](session, campaign_id, fmt, weights)
    table.variables = _fit(table.variables, fmt)
    counted = _Counted(table.rows)
    writers: dict[str, Callable[[Path, _Table, Iterable[list[Any]]], None]] = {
        "csv": _write_csv,
        "xlsx": _write_xlsx,
        "json": _write_json,
        "sav": _write_readstat,
        "dta": _write_readstat,
    }
    table.meta = {"kind": kind, "campaign_id": campaign_id, "format": fmt, **table.meta}
    writers[fmt](out, table, counted)
    book = codebook_path(out)
    write_codebook(book, table.variables)
    return ExportReport(kind, fmt, out, book, counted.count, len(table.variables))


def codebook(*, session: Session, kind: str, campaign_id: int, fmt: str, out: Path) -> Path:
    """Write only the codebook that an export of ``kind`` as ``fmt`` to ``out`` would have."""
    check(kind, fmt)
    campaign_service.get_campaign(session=session, campaign_id=campaign_id)
    table = _BUILDERS[kind](session, campaign_id, fmt, False)
    book = codebook_path(out)
    write_codebook(book, _fit(table.variables, fmt))
    return book


class _Counted:
    """Rows passed through, counted."""

    def __init__(self, rows: Iterable[list[Any]]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[list[Any]]:
        for row in self.rows:
            self.count += 1
            yield row


# --- codebook and names ------------------------------------------------------------------------

CODEBOOK_COLUMNS = (
    "name",
    "label_vi",
    "label_en",
    "type",
    "values",
    "dimension",
    "item",
    "questionnaire_id",
    "questionnaire_version",
)


def write_codebook(path: Path, variables: list[Variable]) -> None:
    """One row per variable (UTF-8 with BOM); value codes as ``code = vi / en; …``."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(CODEBOOK_COLUMNS)
        for v in variables:
            values = "; ".join(f"{code} = {vi} / {en}" for code, vi, en in v.values)
            writer.writerow(
                [
                    v.name,
                    v.label_vi,
                    v.label_en,
                    v.dtype,
                    values,
                    v.dimension,
                    v.item,
                    v.questionnaire_id,
                    v.version_hash,
                ]
            )


def _fit(variables: list[Variable], fmt: str) -> list[Variable]:
    """Names shortened (and kept unique) to SPSS's 64 bytes or Stata's 32 characters."""
    limit = NAME_LIMIT.get(fmt)
    if limit is None:
        return variables
    taken: set[str] = set()
    out = []
    for v in variables:
        name, n = v.name[:limit], 1
        while name in taken:
            suffix = f"_{n}"
            name, n = v.name[: limit - len(suffix)] + suffix, n + 1
        taken.add(name)
        out.append(replace(v, name=name))
    return out


def _safe_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", text.lower())
    return name if name[:1].isalpha() else f"v_{name}"


# --- responses ---------------------------------------------------------------------------------

FIXED = (
    Variable("response_id", "Mã phiếu", "Response id", "int64"),
    Variable("unit_code", "Mã đơn vị", "Unit code", "str"),
    Variable(
        "audience",
        "Đối tượng (người dân, doanh nghiệp; không xuất phiếu của cán bộ)",
        "Audience (citizen, business; officials' answers are never exported)",
        "str",
    ),
    Variable("desk_id", "Mã quầy", "Desk id", "int32"),
    Variable("channel", "Kênh trả lời", "Channel", "str"),
    Variable("language", "Ngôn ngữ phiếu", "Form language", "str"),
    Variable("submitted_date", "Ngày gửi (giờ Việt Nam)", "Date submitted (ICT)", "date"),
    Variable("questionnaire_version", "Phiên bản phiếu (mã băm)", "Questionnaire version", "str"),
    Variable(
        "weight",
        "Trọng số cuối (trống: không dùng trong phân tích)",
        "Final weight (empty: not used by the analysis)",
        "float64",
    ),
    Variable("weighting", "Cách tính trọng số", "Weighting rule", "str"),
    Variable("flags", "Cờ kiểm tra chất lượng", "Quality flags (joined by ;)", "str"),
    Variable(
        "excluded",
        "Bị loại",
        "Excluded by a coordinator",
        "int8",
        ((0, "Không", "No"), (1, "Có", "Yes")),
    ),
)


@dataclass(frozen=True)
class _ItemColumns:
    """An item's variables and how an answer fills them."""

    signature: tuple[Any, ...]
    variables: list[Variable]
    fill: Callable[[list[Any], int, Any], None]


def _choice_codes(
    questionnaire: qn.Questionnaire, item: qn.Item, numeric: bool
) -> tuple[dict[Any, Any], tuple[tuple[int | str, str, str], ...]]:
    """Answer value → written code, and the value labels (codes numeric when ``numeric``)."""
    options = questionnaire.choices(item)
    as_is = all(isinstance(o.value, int) for o in options) or not numeric
    codes: dict[Any, Any] = {o.value: o.value if as_is else n for n, o in enumerate(options, 1)}
    labels = [(codes[o.value], o.vi, o.en) for o in options]
    if item.not_applicable is not None:
        na = qn.NOT_APPLICABLE if not numeric and not _ints(options) else NOT_APPLICABLE_CODE
        codes[qn.NOT_APPLICABLE] = na
        labels.append((na, item.not_applicable.vi, item.not_applicable.en))
    return codes, tuple(labels)


def _ints(options: Iterable[qn.Option]) -> bool:
    return all(isinstance(o.value, int) for o in options)


def _int_dtype(codes: Iterable[Any]) -> str:
    numbers = [c for c in codes if isinstance(c, int)]
    if not numbers:
        return "str"
    low, high = min(numbers), max(numbers)
    return "int8" if -128 <= low and high <= 127 else "int32"


def _item_columns(
    questionnaire: qn.Questionnaire, item: qn.Item, digest: str, fmt: str
) -> _ItemColumns:
    """The variables of one item in ``fmt`` (SPSS and Stata get numeric codes throughout)."""
    numeric = fmt in ("sav", "dta")
    base = Variable(
        item.id,
        item.text.vi,
        item.text.en,
        "str",
        dimension=item.dimension or "",
        item=item.id,
        questionnaire_id=questionnaire.id,
        version_hash=digest,
    )
    kind = item.type
    if kind is qn.ItemType.MULTIPLE_CHOICE:
        return _multiple(questionnaire, item, base)
    if kind in (qn.ItemType.TEXT, qn.ItemType.DATE):
        limit = TEXT_BYTES.get(fmt) if kind is qn.ItemType.TEXT else None
        return _ItemColumns((kind.value,), [base], _text_fill(item.id, limit))
    if kind is qn.ItemType.INTEGER:
        return _ItemColumns((kind.value,), [replace(base, dtype="int64")], _plain_fill(item.id))
    codes, labels = _choice_codes(questionnaire, item, numeric)
    dtype = _int_dtype(codes.values())
    variable = replace(base, dtype=dtype, values=labels)
    signature = (kind.value, tuple(sorted(map(str, codes))), tuple(map(str, codes.values())))
    return _ItemColumns(signature, [variable], _code_fill(item.id, codes))


def _multiple(questionnaire: qn.Questionnaire, item: qn.Item, base: Variable) -> _ItemColumns:
    """One 0/1 column per option, ``ITEM_OPTION``; all empty when the item was not answered."""
    options = questionnaire.choices(item)
    flags = ((0, "Không chọn", "Not chosen"), (1, "Có chọn", "Chosen"))
    variables = [
        replace(
            base,
            name=_safe_name(f"{item.id}_{o.value}"),
            label_vi=f"{item.text.vi}: {o.vi}",
            label_en=f"{item.text.en}: {o.en}",
            dtype="int8",
            values=flags,
        )
        for o in options
    ]
    values = [o.value for o in options]

    def fill(row: list[Any], start: int, answers: Any) -> None:
        chosen = answers.get(item.id)
        if isinstance(chosen, list):
            for offset, value in enumerate(values):
                row[start + offset] = int(value in chosen)

    return _ItemColumns(("multiple", tuple(map(str, values))), variables, fill)


def _code_fill(item_id: str, codes: dict[Any, Any]) -> Callable[[list[Any], int, Any], None]:
    def fill(row: list[Any], start: int, answers: Any) -> None:
        row[start] = codes.get(answers.get(item_id))

    return fill


def _plain_fill(item_id: str) -> Callable[[list[Any], int, Any], None]:
    def fill(row: list[Any], start: int, answers: Any) -> None:
        value = answers.get(item_id)
        row[start] = value if isinstance(value, int) else None

    return fill


def _text_fill(item_id: str, limit: int | None) -> Callable[[list[Any], int, Any], None]:
    def fill(row: list[Any], start: int, answers: Any) -> None:
        value = answers.get(item_id)
        if value is None or value == "":
            return
        text = str(value)
        if limit is not None and len(text.encode()) > limit:
            text = text.encode()[:limit].decode("utf-8", "ignore")
        row[start] = text

    return fill


@dataclass
class _Layout:
    """Every variable of a responses export and, per questionnaire version, how to fill them."""

    variables: list[Variable]
    fills: dict[int, list[tuple[int, Callable[[list[Any], int, Any], None]]]]


def _layout(versions: list[QuestionnaireVersion], fmt: str) -> _Layout:
    """Item columns of every version; an item id that means the same everywhere shares its
    columns, one that differs gets the audience (then the version hash) in its name."""
    variables = list(FIXED)
    by_name: dict[str, tuple[tuple[Any, ...], int]] = {}
    fills: dict[int, list[tuple[int, Callable[[list[Any], int, Any], None]]]] = {}
    for version in versions:
        questionnaire = questionnaire_service.parsed(version)
        digest = version.content_hash[:12]
        renames = (("", ""), (f"{version.audience}_", ""), ("", f"_{digest[:6]}"))
        plan = []
        for item in questionnaire.items:
            columns = _item_columns(questionnaire, item, digest, fmt)
            for prefix, suffix in renames:
                found = by_name.get(prefix + item.id + suffix)
                if found is None:
                    start = len(variables)
                    variables += [
                        replace(v, name=prefix + v.name + suffix) for v in columns.variables
                    ]
                    by_name[prefix + item.id + suffix] = (columns.signature, start)
                    break
                if found[0] == columns.signature:
                    start = found[1]
                    break
            plan.append((start, columns.fill))
        assert version.id is not None
        fills[version.id] = plan
    return _Layout(variables, fills)


def _exported_versions(session: Session, campaign_id: int) -> list[QuestionnaireVersion]:
    """Versions with answers in the campaign, officials' versions left out."""
    used = select(Response.questionnaire_version_id).where(Response.campaign_id == campaign_id)
    statement = (
        select(QuestionnaireVersion)
        .where(col(QuestionnaireVersion.id).in_(used.distinct()))
        .where(QuestionnaireVersion.audience != qn.Audience.OFFICIAL.value)
        .order_by(col(QuestionnaireVersion.audience), col(QuestionnaireVersion.id))
    )
    return list(session.exec(statement).all())


def _responses_table(session: Session, campaign_id: int, fmt: str, weights: bool) -> _Table:
    versions = _exported_versions(session, campaign_id)
    layout = _layout(versions, fmt)
    found = None
    if weights:
        found = analysis_service.response_weights(session=session, campaign_id=campaign_id)
        _give_back_freed_memory()
    ids = [v.id for v in versions]
    # rows up to the current last id: what the count says is what the rows hold
    last_id, count = session.exec(
        select(func.max(Response.id), func.count(col(Response.id)))
        .where(Response.campaign_id == campaign_id)
        .where(col(Response.questionnaire_version_id).in_(ids))
    ).one()
    return _Table(
        layout.variables,
        _response_rows(session, campaign_id, ids, layout, found, versions, last_id or 0),
        meta={"note": OFFICIALS_NOTE},
        note=OFFICIALS_NOTE,
        count=int(count or 0),
    )


def _response_rows(
    session: Session,
    campaign_id: int,
    version_ids: list[int | None],
    layout: _Layout,
    weights: analysis_service.ResponseWeights | None,
    versions: list[QuestionnaireVersion],
    upto: int,
) -> Iterator[list[Any]]:
    """One list per response up to id ``upto``, read in id-keyset pages of ``PAGE`` rows."""
    units = {u.id: u.code for u in session.exec(select(Unit)).all()}
    known = {v.id: v for v in versions}
    rules = weights.rules if weights is not None else []
    width = len(layout.variables)
    columns = (
        Response.id,
        Response.unit_id,
        Response.desk_id,
        Response.channel,
        Response.language,
        Response.submitted_at,
        Response.questionnaire_version_id,
        Response.flags,
        Response.excluded,
        Response.answers,
    )
    for page in response_service.pages(
        session, columns, campaign_id=campaign_id, version_ids=version_ids, size=PAGE, upto=upto
    ):
        if weights is not None:
            values, codes = weights.lookup(np.fromiter((r[0] for r in page), np.int64, len(page)))
            found = [
                (None, None) if c < 0 else (w, rules[c])
                for w, c in zip(values.tolist(), codes.tolist(), strict=True)
            ]
        else:
            found = [(None, None)] * len(page)
        for (rid, unit_id, desk_id, channel, lang, at, vid, flags, excluded, answers), (
            weight,
            rule,
        ) in zip(page, found, strict=True):
            version = known[vid]
            row: list[Any] = [None] * width
            row[:12] = [
                rid,
                units.get(unit_id, ""),
                version.audience,
                desk_id,
                str(channel),
                lang,
                at.astimezone(VIETNAM).date(),
                version.content_hash[:12],
                weight,
                rule,
                ";".join(flags or []),
                int(bool(excluded)),
            ]
            for start, fill in layout.fills[vid]:
                fill(row, start, answers or {})
            yield row


# --- indices and PAR results -------------------------------------------------------------------

NUMBERS = ("estimate", "se", "ci_low", "ci_high", "df", "p_value", "n", "n_eff", "deff", "alpha")
INDEX_VARIABLES = (
    Variable("unit_id", "Mã số đơn vị", "Unit id", "int32"),
    Variable("unit_code", "Mã đơn vị", "Unit code", "str"),
    Variable("unit_name", "Tên đơn vị", "Unit name", "str"),
    Variable("audience", "Đối tượng", "Audience", "str"),
    Variable("dimension", "Khía cạnh", "Dimension", "str"),
    Variable("item", "Câu hỏi (trống: cả khía cạnh)", "Item (empty: the dimension)", "str"),
    Variable("measure", "Thước đo (score, top_two, driver)", "Measure", "str"),
    Variable("estimate", "Ước lượng", "Estimate", "float64"),
    Variable("se", "Sai số chuẩn", "Standard error", "float64"),
    Variable("ci_low", "Cận dưới khoảng tin cậy", "Confidence interval, low", "float64"),
    Variable("ci_high", "Cận trên khoảng tin cậy", "Confidence interval, high", "float64"),
    Variable("df", "Bậc tự do", "Degrees of freedom", "int32"),
    Variable("p_value", "Giá trị p", "p-value", "float64"),
    Variable("n", "Số phiếu", "Responses", "int32"),
    Variable("n_eff", "Cỡ mẫu hiệu dụng", "Effective sample size", "float64"),
    Variable("deff", "Hệ số thiết kế", "Design effect", "float64"),
    Variable("alpha", "Hệ số Cronbach alpha", "Cronbach's alpha", "float64"),
    Variable("flags", "Cờ (nối bằng ;)", "Flags (joined by ;)", "str"),
    Variable(
        "suppressed",
        "Bị ẩn (số liệu để trống)",
        "Suppressed (numbers left empty)",
        "int8",
        ((0, "Không", "No"), (1, "Có", "Yes")),
    ),
    Variable("weighting", "Cách tính trọng số", "Weighting rule", "str"),
)


def _indices_table(session: Session, campaign_id: int, fmt: str, weights: bool) -> _Table:
    run = analysis_service.get_run(session=session, campaign_id=campaign_id, run_id=None)
    units = analysis_service.unit_names(session=session)
    results = analysis_service.run_results(session=session, run_id=run.id or 0)
    names = [v.name for v in INDEX_VARIABLES]

    def rows() -> Iterator[list[Any]]:
        for result in results:
            record = analysis_service.tidy(result, units)
            if record["suppressed"]:
                record.update(dict.fromkeys(NUMBERS))
            record["flags"] = ";".join(record["flags"])
            record["suppressed"] = int(record["suppressed"])
            yield [record[name] for name in names]

    meta = {"run": {"id": run.id, "checksum": run.checksum, "settings": run.settings}}
    return _Table(list(INDEX_VARIABLES), rows(), meta=meta)


PAR_VARIABLES = (
    Variable("unit_id", "Mã số đơn vị", "Unit id", "int32"),
    Variable("unit_code", "Mã đơn vị", "Unit code", "str"),
    Variable("name_vi", "Tên đơn vị", "Unit name (Vietnamese)", "str"),
    Variable("name_en", "Tên đơn vị (tiếng Anh)", "Unit name (English)", "str"),
    Variable("group", "Khối (sở, ngành / quận, huyện)", "Unit group", "str"),
    Variable("appraisal", "Điểm thẩm định", "Appraisal points", "float64"),
    Variable("survey", "Điểm điều tra xã hội học", "Survey points", "float64"),
    Variable("total", "Tổng điểm", "Total points", "float64"),
    Variable("maximum", "Điểm tối đa", "Maximum points", "float64"),
    Variable("index", "Chỉ số PAR (%)", "PAR Index (%)", "float64"),
    Variable("rank", "Xếp hạng", "Rank", "int32"),
    Variable("rank_low", "Xếp hạng, cận trên", "Rank, best plausible", "int32"),
    Variable("rank_high", "Xếp hạng, cận dưới", "Rank, worst plausible", "int32"),
    Variable("par_class", "Xếp loại", "Class (Vietnamese)", "str"),
    Variable("par_class_en", "Xếp loại (tiếng Anh)", "Class", "str"),
    Variable("change", "Thay đổi so với năm trước", "Change since last year", "float64"),
    Variable("missing", "Tiêu chí thiếu điểm (nối bằng ;)", "Criteria without points", "str"),
)


def _par_table(session: Session, campaign_id: int, fmt: str, weights: bool) -> _Table:
    computation = par_service.latest(session=session, campaign_id=campaign_id)
    if computation is None:
        raise errors.NotFound(
            "Chưa tính Chỉ số cho đợt khảo sát này.",
            message_en="The PAR Index of this campaign has not been computed.",
        )
    titles = _area_titles(session, computation.schemes.values())
    codes = sorted({code for r in computation.results for code in r.get("areas", {})})
    variables = list(PAR_VARIABLES)
    for code in codes:
        vi, en = titles.get(code, (code, code))
        name = _safe_name(f"area_{code}")
        variables.append(Variable(name, f"{vi}: điểm", f"{en}: points", "float64"))
        variables.append(Variable(f"{name}_max", f"{vi}: tối đa", f"{en}: maximum", "float64"))

    def rows() -> Iterator[list[Any]]:
        for result in computation.results:
            label = result.get("class") or {}
            record = {**result, "par_class": label.get("vi"), "par_class_en": label.get("en")}
            record["missing"] = ";".join(result.get("missing", []))
            row = [record.get(v.name) for v in PAR_VARIABLES]
            for code in codes:
                points, maximum = result.get("areas", {}).get(code, (None, None))
                row += [points, maximum]
            yield row

    meta = {
        "computation": {
            "id": computation.id,
            "checksum": computation.checksum,
            "schemes": computation.schemes,
            "analysis_run_id": computation.analysis_run_id,
            "published_at": computation.published_at.isoformat()
            if computation.published_at
            else None,
        }
    }
    return _Table(variables, rows(), meta=meta, extra={"components": computation.components})


def _area_titles(session: Session, hashes: Iterable[str]) -> dict[str, tuple[str, str]]:
    titles: dict[str, tuple[str, str]] = {}
    for digest in hashes:
        row = session.exec(select(ParScheme).where(ParScheme.content_hash == digest)).first()
        if row is None:
            continue
        for area in par_service.parsed(row).areas:
            vi = area.title.get("vi", area.code)
            titles.setdefault(area.code, (vi, area.title.get("en", vi)))
    return titles


_BUILDERS: dict[str, Callable[[Session, int, str, bool], _Table]] = {
    "responses": _responses_table,
    "indices": _indices_table,
    "par": _par_table,
}


# --- writers -----------------------------------------------------------------------------------


def _write_csv(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly); empty cells for missing values."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([v.name for v in table.variables])
        for row in rows:
            writer.writerow(row)


def _write_xlsx(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """Write-only workbook (rows go straight to disk); a new sheet every 1,048,575 rows."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    header = [v.name for v in table.variables]
    sheet, used, number = None, XLSX_MAX_ROWS, 0
    for row in rows:
        if used == XLSX_MAX_ROWS:
            number += 1
            sheet = book.create_sheet("data" if number == 1 else f"data_{number}")
            sheet.append(header)
            used = 0
        assert sheet is not None
        sheet.append(row)
        used += 1
    if sheet is None:
        book.create_sheet("data").append(header)
    book.save(path)


def _write_json(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """``{"meta", "variables", "data": [...], ...extra}``, written one row at a time."""
    names = [v.name for v in table.variables]
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"meta": ' + _json(table.meta) + ', "variables": ')
        handle.write(_json([_variable_json(v) for v in table.variables]) + ', "data": [')
        for n, row in enumerate(rows):
            handle.write(("," if n else "") + "\n" + _json(dict(zip(names, row, strict=True))))
        handle.write("\n]")
        for key, value in table.extra.items():
            handle.write(f', "{key}": ' + _json(value))
        handle.write("}\n")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _variable_json(v: Variable) -> dict[str, Any]:
    return {
        "name": v.name,
        "label_vi": v.label_vi,
        "label_en": v.label_en,
        "type": v.dtype,
        "values": [{"code": c, "vi": vi, "en": en} for c, vi, en in v.values],
    }


INT_TYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64}
EPOCH = dt.date(1970, 1, 1)
# Dates go to pyreadstat as the file format's own numbers with a date format, so it keeps them
# as they are (handed polars dates, it converts them through several temporary columns): Stata
# counts days from 1960-01-01 (%td), SPSS seconds from 1582-10-14 (DATE11).
STATA_DAYS = (EPOCH - dt.date(1960, 1, 1)).days
SPSS_DAYS = (EPOCH - dt.date(1582, 10, 14)).days
DATE_FORMAT = {"sav": "DATE11", "dta": "%td"}
TEXT_CODES = 255  # distinct texts a column codes in one byte (code 255: missing)


def _give_back_freed_memory() -> None:
    """Hand the heap's freed pages back to the system (glibc's ``malloc_trim``): computing the
    weights frees about 100 MB of temporary arrays that glibc would otherwise keep while the
    export's own columns are allocated beside them. Does nothing where glibc is not the C
    library."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


def _buffer(size: int, dtype: Any) -> np.ndarray:
    """A numpy array in its own anonymous memory map: freed, it goes straight back to the
    system (glibc would keep a freed malloc block that polars' allocator cannot reuse)."""
    kind = np.dtype(dtype)
    if size == 0:
        return np.empty(0, dtype=kind)
    return np.frombuffer(mmap.mmap(-1, size * kind.itemsize), dtype=kind)


class _Column:
    """One preallocated column of a frame, filled a batch at a time, then handed to polars.

    Numbers and dates go to a numpy array of the variable's own type (int8 for answer codes), a
    missing value held as the type's smallest number (float: NaN) until polars makes it null.
    Text is coded in one byte a row (a polars enum) while a column has at most 255 distinct
    texts; beyond that (free comments) it goes to categorical chunks (four bytes a row).
    """

    def __init__(self, variable: Variable, size: int, fmt: str) -> None:
        self.name, self.dtype, self.fmt = variable.name, variable.dtype, fmt
        self.chunks: list[Any] = []
        self.texts: dict[str, int] | None = None
        self.missing = 0
        if self.dtype in INT_TYPES or self.dtype == "date":
            kind = np.int32 if self.dtype == "date" else INT_TYPES[self.dtype]
            self.values: np.ndarray | None = _buffer(size, kind)
            self.missing = int(np.iinfo(kind).min)
        elif self.dtype == "float64":
            self.values = _buffer(size, np.float64)
        else:
            self.values, self.texts, self.missing = _buffer(size, np.uint8), {}, TEXT_CODES

    def put(self, start: int, values: tuple[Any, ...]) -> None:
        n = len(values)
        if self.values is None:
            self.chunks.append(_categorical(self.name, values))
            return
        target = self.values[start : start + n]
        missing = self.missing
        if self.texts is not None:
            texts = self.texts
            codes = [
                missing
                if v is None
                else texts.setdefault(v if isinstance(v, str) else str(v), len(texts))
                for v in values
            ]
            if len(texts) <= TEXT_CODES:
                target[:] = codes
                return
            self._overflow(start)
            self.chunks.append(_categorical(self.name, values))
        elif self.dtype == "float64":
            target[:] = np.fromiter((np.nan if v is None else v for v in values), np.float64, n)
        elif self.dtype == "date":
            target[:] = np.fromiter(
                (missing if v is None else (v - EPOCH).days for v in values), np.int32, n
            )
        else:
            target[:] = np.fromiter((missing if v is None else v for v in values), target.dtype, n)

    def _overflow(self, start: int) -> None:
        """Too many distinct texts for one byte: the rows so far become a categorical chunk."""
        assert self.values is not None and self.texts is not None
        names = list(self.texts)
        done = self.values[:start].tolist()
        self.values, self.texts = None, None
        if done:
            self.chunks.append(
                _categorical(self.name, [None if c == TEXT_CODES else names[c] for c in done])
            )

    def series(self, size: int) -> Any:
        """The column as a polars series (numbers wrap the numpy array when nothing is missing)."""
        import polars as pl

        if self.values is None:
            column = (
                pl.concat(self.chunks, rechunk=True) if self.chunks else _categorical(self.name, [])
            )
            self.chunks.clear()
            return column
        values, self.values = self.values[:size], None
        if self.dtype == "float64":
            if np.isnan(values).all():  # nothing to hold (the weight when weights are off)
                return pl.repeat(None, size, dtype=pl.Int8, eager=True).alias(self.name)
            return pl.Series(self.name, values, nan_to_null=True)
        absent = values == self.missing
        if self.dtype == "date":
            values = self._date_numbers(values)
        column = pl.Series(self.name, values)
        if absent.any():
            column = pl.select(pl.when(~pl.Series(absent)).then(column)).to_series()
        del values, absent
        if self.texts is not None:
            names = list(self.texts)
            if not names:  # nothing but missing values: pyreadstat needs a text to type an enum
                return pl.repeat(None, size, dtype=pl.Categorical, eager=True).alias(self.name)
            return pl.Series(self.name, names, dtype=pl.Enum(names)).gather(column)
        return column.alias(self.name)

    def _date_numbers(self, days: np.ndarray) -> np.ndarray:
        """Days since 1970 as the format's date numbers (see ``DATE_FORMAT``), in place for
        Stata; polars dates elsewhere (JSON, CSV and XLSX never come here)."""
        if self.fmt == "dta":
            days += np.int32(STATA_DAYS)
            return days
        seconds = _buffer(len(days), np.float64)
        np.add(days, SPSS_DAYS, out=seconds)
        seconds *= 86_400.0
        return seconds


def _categorical(name: str, values: Iterable[Any]) -> Any:
    import polars as pl

    return pl.Series(name, list(values), dtype=pl.String, strict=False).cast(pl.Categorical)


def _frame(table: _Table, rows: Iterable[list[Any]]) -> Any:
    """One polars frame over preallocated columns, filled ``PAGE`` rows at a time.

    The row count comes first (``table.count``, or the rows themselves for small tables), so
    every column is allocated once at its final size: no chunks, no concatenated copy.
    """
    import polars as pl

    count = table.count
    if count is None:
        rows = list(rows)
        count = len(rows)
    fmt = str(table.meta["format"])
    columns: list[_Column | None] = [_Column(v, count, fmt) for v in table.variables]
    batch: list[list[Any]] = []
    filled = 0

    def flush() -> None:
        nonlocal filled
        if filled + len(batch) > count:
            raise RuntimeError(f"the export has more rows than the {count} it counted.")
        for column, values in zip(columns, zip(*batch, strict=True), strict=True):
            assert column is not None
            column.put(filled, values)
        filled += len(batch)
        batch.clear()

    for row in rows:
        batch.append(row)
        if len(batch) == PAGE:
            flush()
    if batch:
        flush()
    series = []
    for n, column in enumerate(columns):
        assert column is not None
        series.append(column.series(filled))
        columns[n] = None
    return pl.DataFrame(series)


def _write_readstat(path: Path, table: _Table, rows: Iterable[list[Any]]) -> None:
    """SPSS or Stata with variable labels and value labels (pyreadstat, from a polars frame)."""
    import pyreadstat

    fmt = str(table.meta["format"])
    frame = _frame(table, rows)
    limit = LABEL_LIMIT[fmt]
    labels: dict[str, str | None] = {v.name: v.label_vi[:limit] for v in table.variables}
    value_labels: dict[str, dict[int | float, str]] = {
        v.name: {int(c): vi[:limit] for c, vi, _ in v.values}
        for v in table.variables
        if v.values and v.dtype.startswith("int")
    }
    formats = {v.name: DATE_FORMAT[fmt] for v in table.variables if v.dtype == "date"}
    if fmt == "sav":
        missing: dict[str, list[Any]] = {
            v.name: [NOT_APPLICABLE_CODE]
            for v in table.variables
            if any(c == NOT_APPLICABLE_CODE for c, _, _ in v.values)
        }
        pyreadstat.write_sav(
            frame,
            str(path),
            column_labels=labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            note=list(NOTE_LINES) if table.note else None,
            variable_format=formats,
        )
    else:
        pyreadstat.write_dta(
            frame,
            str(path),
            file_label=NOTE_LINES[1] if table.note else "",
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_format=formats,
        )
