"""The responses export: fixed columns, one or more columns per item of every exported
questionnaire version, and the rows read in id-keyset pages (officials' versions left out)."""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from sqlmodel import Session, col, func, select

import questionnaires as qn
from survey_service.models import QuestionnaireVersion, Response, Unit
from survey_service.services import analysis as analysis_service
from survey_service.services import questionnaires as questionnaire_service
from survey_service.services import responses as response_service
from survey_service.services.campaigns import VIETNAM
from survey_service.services.export_variables import (
    NOT_APPLICABLE_CODE,
    PAGE,
    Variable,
    _safe_name,
    _Table,
)

TEXT_BYTES = {"sav": 32_767, "dta": 2_000}  # Stata strings from 2,045 bytes on are strL
OFFICIALS_NOTE = (
    "Phiếu của cán bộ, công chức không được xuất (chỉ công bố số liệu tổng hợp). / "
    "Officials' answers are never exported; they leave the database only as aggregates."
)

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
