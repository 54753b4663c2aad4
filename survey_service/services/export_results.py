"""The indices and PAR exports: the latest analysis run's results, and the latest PAR Index
computation with one points and one maximum column per area."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel import Session, select

from survey_service import errors
from survey_service.models import ParScheme
from survey_service.services import analysis as analysis_service
from survey_service.services import par as par_service
from survey_service.services.export_variables import Variable, _safe_name, _Table

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
