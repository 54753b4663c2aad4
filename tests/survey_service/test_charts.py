"""Server-drawn SVG charts: accessible, countable, localised, deterministic and small."""

from __future__ import annotations

import re
import time
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from survey_service import charts

SVG = "{http://www.w3.org/2000/svg}"
UNIT = "Thủ tục hành chính"


def _root(chart: charts.Chart) -> ET.Element:
    return ET.fromstring(chart.svg)


def _count(chart: charts.Chart, prefix: str) -> int:
    """How many artists the chart tagged ``<prefix>-<n>…``."""
    pattern = re.compile(rf"{re.escape(chart.key)}-{prefix}-\d+(-\d+)?$")
    return sum(1 for el in _root(chart).iter() if pattern.match(el.get("id", "")))


def _texts(chart: charts.Chart) -> list[str]:
    return ["".join(el.itertext()) for el in _root(chart).iter(f"{SVG}text")]


def _interval_rows(n: int) -> list[tuple[str, float | None, float | None, float | None]]:
    return [(f"Phường {i}", 50 + i * 0.5, 45 + i * 0.5, 55 + i * 0.5) for i in range(n)]


def _interval(lang: str = "vi", **kwargs: object) -> charts.Chart:
    params: dict = {"title": "Chỉ số theo đơn vị", "axis_label": "Điểm 0–100", "lang": lang}
    return charts.interval_chart(kwargs.pop("rows", _interval_rows(5)), **(params | kwargs))


def test_root_is_an_image_labelled_by_its_title_and_desc() -> None:
    root = _root(_interval())
    title, desc = root[0], root[1]
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert (title.tag, title.text) == (f"{SVG}title", "Chỉ số theo đơn vị")
    assert desc.tag == f"{SVG}desc" and "5" in (desc.text or "")


def test_svg_scales_with_its_container() -> None:
    root = _root(_interval())
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox", "").startswith("0 0 270 ")  # 360 px at 96 dpi, in points
    assert "<?xml" not in _interval().svg and "<metadata>" not in _interval().svg


def test_interval_chart_draws_one_bar_and_dot_per_unit() -> None:
    chart = _interval(rows=_interval_rows(12))
    assert _count(chart, "ci") == 12 and _count(chart, "dot") == 12


def test_interval_chart_sorts_highest_first() -> None:
    chart = _interval(rows=_interval_rows(4))
    assert [r[0] for r in chart.rows] == ["Phường 3", "Phường 2", "Phường 1", "Phường 0"]


def test_interval_chart_hides_units_without_estimate_and_lists_them() -> None:
    rows = _interval_rows(3) + [("Phường trống", None, None, None)]
    chart = _interval(rows=rows)
    assert _count(chart, "dot") == 3
    assert chart.rows[-1] == ("Phường trống", None, None, None, "hidden")
    assert all(r[4] == "shown" for r in chart.rows[:3])
    assert "Phường trống" not in _texts(chart)


def test_interval_without_ci_draws_the_dot_only() -> None:
    chart = _interval(rows=[("Phường 1", 70.0, None, None), ("Phường 2", 60.0, 55.0, 65.0)])
    assert _count(chart, "dot") == 2 and _count(chart, "ci") == 1


def test_vietnamese_labels_stay_text_with_diacritics_and_no_missing_glyphs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns on glyphs the font lacks
        chart = _interval(
            rows=[(UNIT, 70.0, 65.0, 75.0), ("Ủy ban nhân dân Quận 1", 60.0, 55.0, 65.0)]
        )
    assert UNIT in _texts(chart) and "Ủy ban nhân dân Quận 1" in _texts(chart)
    assert "<path" not in chart.svg.split(UNIT)[0].rsplit("<text", 1)[-1]  # not drawn as glyphs


def test_long_labels_are_shortened_with_an_ellipsis() -> None:
    name = "Ủy ban nhân dân Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"
    chart = _interval(rows=[(name, 70.0, 65.0, 75.0)])
    label = next(t for t in _texts(chart) if t.startswith("Ủy ban"))
    assert label.endswith("…") and len(label) <= charts.LABEL_CHARS
    assert chart.rows[0][0] == name  # the table beside keeps the whole name


def test_vietnamese_numbers_use_a_decimal_comma() -> None:
    chart = _interval(reference=66.25, reference_label="Trung bình thành phố")
    assert "Trung bình thành phố 66,2" in _texts(chart)
    assert "66,2" in (_root(chart)[1].text or "")
    assert charts.format_number(1234.5, "vi") == "1.234,5"


def test_english_numbers_use_a_decimal_point() -> None:
    chart = _interval("en", reference=66.25, reference_label="City average")
    assert "City average 66.2" in _texts(chart)
    assert charts.format_number(1234.5, "en") == "1,234.5"


def test_fractional_ticks_follow_the_language() -> None:
    rows = [("A", 0.42, 0.3, 0.55), ("B", 0.61, 0.5, 0.7)]
    assert any(re.fullmatch(r"0,\d+", t) for t in _texts(_interval(rows=rows)))
    assert any(re.fullmatch(r"0\.\d+", t) for t in _texts(_interval("en", rows=rows)))


def test_reference_and_highlight_are_drawn() -> None:
    chart = _interval(reference=60.0, highlight="Phường 2")
    root = _root(chart)
    assert root.find(f".//*[@id='{chart.key}-reference']") is not None
    dot = root.find(f".//*[@id='{chart.key}-dot-2']")  # sorted: Phường 2 is third
    assert dot is not None and charts.ACCENT in ET.tostring(dot, encoding="unicode")


def test_output_is_byte_identical_across_calls_and_threads() -> None:
    first = _interval(rows=_interval_rows(20), reference=60.0).svg
    with ThreadPoolExecutor(4) as pool:
        svgs = list(
            pool.map(lambda _: _interval(rows=_interval_rows(20), reference=60.0).svg, range(4))
        )
    assert all(svg == first for svg in svgs)


def test_ids_are_unique_per_chart_and_every_reference_resolves() -> None:
    one, two = _interval(), _interval(rows=_interval_rows(6))
    ids = [el.get("id") for c in (one, two) for el in _root(c).iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    for chart in (one, two):
        refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', chart.svg))
        assert refs and refs <= set(ids) and all(r.startswith(chart.key) for r in refs)


def test_seventy_unit_chart_renders_small_and_is_timed() -> None:
    rows = _interval_rows(70)
    start = time.perf_counter()
    chart = _interval(rows=rows, reference=65.0, highlight="Phường 7")
    elapsed = time.perf_counter() - start
    print(f"\n70-row interval chart: {elapsed * 1000:.0f} ms, {len(chart.svg) / 1024:.0f} KiB")
    assert _count(chart, "dot") == 70
    assert len(chart.svg.encode()) < 200_000


def test_heatmap_draws_every_cell_and_marks_empty_ones() -> None:
    units, dims = ["Sở Tư pháp", "Quận 1", "Quận 3"], [UNIT, "Tiếp cận dịch vụ"]
    values = [[74.5, None], [60.0, 88.25], [None, 12.0]]
    chart = charts.heatmap(units, dims, values, title="Bản đồ nhiệt", lang="vi", digits=1)
    assert _count(chart, "cell") == 6
    texts = _texts(chart)
    assert texts.count("—") == 2
    assert {"74,5", "88,2", "12,0", UNIT} <= set(texts)
    assert chart.rows == [
        ("Sở Tư pháp", 74.5, None),
        ("Quận 1", 60.0, 88.25),
        ("Quận 3", None, 12.0),
    ]
    assert 'fill="url(#' in chart.svg or "fill: url(#" in chart.svg  # hatching


def test_distribution_draws_one_bar_per_option_with_shares() -> None:
    labels = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
    chart = charts.distribution(labels, [1, 1, 2, 4, 2], title="Câu 3", lang="vi")
    assert _count(chart, "bar") == 5
    assert "40,0% (4)" in _texts(chart)
    assert chart.rows[3] == ("Hài lòng", 4, 40.0)


def test_distribution_without_answers_has_no_shares() -> None:
    chart = charts.distribution(["Có", "Không"], [0, 0], title="Q", lang="en")
    assert [r[2] for r in chart.rows] == [None, None]
    assert "— (0)" in _texts(chart)


def test_daily_counts_draws_one_bar_per_day_and_a_target() -> None:
    days = [date(2025, 3, 1) + timedelta(d) for d in (0, 1, 2, 5, 6)]
    chart = charts.daily_counts(
        days,
        [3, 5, 1, 1200, 4],
        title="Phiếu mỗi ngày",
        lang="vi",
        target_per_day=30,
        target_label="Chỉ tiêu",
    )
    assert _count(chart, "bar") == 5
    assert _root(chart).find(f".//*[@id='{chart.key}-target']") is not None
    texts = _texts(chart)
    assert "Chỉ tiêu 30" in texts and "1/3" in texts
    assert chart.rows[3] == (date(2025, 3, 6), 1200)


def test_daily_counts_with_no_days_still_renders_the_same() -> None:
    first, second = (charts.daily_counts([], [], title="Empty", lang="en") for _ in range(2))
    assert first.svg == second.svg and first.rows == []


def test_change_chart_draws_a_dumbbell_per_unit_with_both_years() -> None:
    rows = [
        ("Quận 1", 60.0, 70.5),
        ("Quận 3", 80.0, 72.0),
        ("Quận 5", None, 65.0),
        ("Quận 7", 50.0, None),
    ]
    chart = charts.change_chart(
        rows, title="Thay đổi", axis_label="Điểm", lang="vi", periods=("2024", "2025")
    )
    assert _count(chart, "after") == 3 and _count(chart, "before") == 2
    assert _count(chart, "change") == 2
    assert chart.rows[0] == ("Quận 3", 80.0, 72.0, -8.0, "shown")
    assert chart.rows[-1] == ("Quận 7", 50.0, None, None, "hidden")
    assert {"2024", "2025"} <= set(_texts(chart))


def test_seventy_unit_heatmap_stays_under_200_kb() -> None:
    units = [f"Ủy ban nhân dân Phường {i}" for i in range(70)]
    values = [
        [(r * 7 + c * 11) % 100 if (r + c) % 9 else None for c in range(6)] for r in range(70)
    ]
    chart = charts.heatmap(
        units, [f"Khía cạnh {c}" for c in range(6)], values, title="H", lang="vi"
    )
    assert _count(chart, "cell") == 420
    assert len(chart.svg.encode()) < 200_000


def test_charts_need_no_inline_styles_under_the_content_security_policy() -> None:
    """The app's CSP has style-src 'self': charts carry presentation attributes only."""
    made = [
        charts.distribution(["Rất hài lòng", "Hài lòng"], [3, 5], title="Phân bố", lang="vi"),
        charts.interval_chart(
            [("A", 50.0, 40.0, 60.0), ("B", None, None, None)],
            title="T",
            axis_label="x",
            lang="en",
            reference=55.0,
            highlight="A",
        ),
        charts.heatmap(
            ["A", "B"], ["d1", "d2"], [[50.0, None], [70.0, 80.0]], title="T", lang="vi"
        ),
        charts.daily_counts(
            [date(2026, 1, 1), date(2026, 1, 2)], [3, 4], title="T", lang="vi", target_per_day=5.0
        ),
        charts.change_chart(
            [("A", 50.0, 60.0), ("B", None, 70.0)],
            title="T",
            axis_label="x",
            lang="en",
            periods=("2025", "2026"),
        ),
    ]
    for chart in made:
        assert " style=" not in chart.svg and "<style" not in chart.svg
        assert "var(--" not in chart.svg
        assert 'fill="#' in chart.svg
