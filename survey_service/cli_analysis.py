"""``survey analyze``, ``survey analyze-csv`` and ``survey totals``: analysis from the shell."""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import analysis
from survey_service import db
from survey_service.settings import Settings


def _engine() -> Any:
    return db.migrated_engine(Settings().resolved_database_url)


def _dimension_weights(pairs: list[str]) -> dict[str, float]:
    weights = {"overall": 0.0}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"error: --weight needs DIMENSION=NUMBER, not {pair!r}") from None
        if not sep or not name.strip() or not weights[name.strip()] >= 0:
            raise SystemExit(f"error: --weight needs DIMENSION=NUMBER ≥ 0, not {pair!r}")
    return weights


def cmd_analyze(args: argparse.Namespace) -> int:
    """Compute every index of a campaign, store the run and print it (a table or JSON)."""
    from survey_service.services import analysis as analysis_service

    settings = analysis_service.AnalysisSettings(
        exclusion=analysis_service.ExclusionPolicy(args.exclude),
        min_n=args.min_n,
        max_cv=args.max_cv,
        min_share=args.min_share,
        dimension_weights=_dimension_weights(args.weight),
    )
    with db.session_scope(_engine()) as session:
        run = analysis_service.run_analysis(
            session=session, campaign_id=args.campaign, actor="command line", settings=settings
        )
        results = analysis_service.run_results(session=session, run_id=run.id or 0)
        units = analysis_service.unit_names(session=session)
        if args.json:
            payload = {
                "run": {
                    "id": run.id,
                    "campaign_id": run.campaign_id,
                    "created_at": run.created_at.isoformat(),
                    "settings": run.settings,
                    "exclusion_policy": run.exclusion_policy,
                    "responses_used": run.responses_used,
                    "responses_left_out": run.responses_left_out,
                    "notes": run.notes,
                    "checksum": run.checksum,
                },
                "indices": [analysis_service.tidy(r, units) for r in results],
            }
            json.dump(payload, sys.stdout, ensure_ascii=False, indent=1)
            print()
            return 0
        print(
            f"Analysis run {run.id} of campaign {run.campaign_id}: {run.responses_used} "
            f"responses used, {run.responses_left_out} left out "
            f"(exclusion policy: {run.exclusion_policy}); checksum {run.checksum[:16]}…"
        )
        for note in run.notes:
            print(f"note: {note}")
        print(
            f"{'unit':10} {'audience':9} {'dimension':16} {'estimate':>8} {'se':>6} "
            f"{'95% CI':>15} {'n':>5} {'n_eff':>7}  flags / weighting"
        )
        for row in results:
            if row.item is not None or row.measure != "score":
                continue
            unit = units.get(row.unit_id)
            code = unit.code if unit else str(row.unit_id)
            if row.estimate is None:
                numbers = f"{'—':>8} {'':>6} {'':>15}"
            else:
                interval = f"{row.ci_low:.1f}–{row.ci_high:.1f}"
                numbers = f"{row.estimate:>8.1f} {row.se:>6.2f} {interval:>15}"
            n_eff = f"{row.n_eff:>7.1f}" if row.n_eff is not None else f"{'':>7}"
            flags = ",".join(row.flags) or "-"
            print(
                f"{code:10} {row.audience:9} {row.dimension[:16]:16} {numbers} {row.n:>5} "
                f"{n_eff}  {flags} / {row.weighting}"
            )
    return 0


def cmd_totals_set(args: argparse.Namespace) -> int:
    """Set (or clear) the dossiers a desk handled in the campaign period."""
    from survey_service.services import analysis as analysis_service
    from survey_service.services import audit

    with db.session_scope(_engine()) as session:
        before, after = analysis_service.set_total(
            session=session, campaign_id=args.campaign, desk_id=args.desk, dossiers=args.dossiers
        )
        audit.record(
            session=session,
            actor=None,
            actor_label="command line",
            action="admin_total.set",
            entity="desk",
            entity_id=args.desk,
            before={"campaign_id": args.campaign, "dossiers": before},
            after={"campaign_id": args.campaign, "dossiers": after},
        )
    print(f"Desk {args.desk}: {before if before is not None else '—'} → {after}")
    return 0


def read_csv(path: Path) -> dict[str, list[str]]:
    """Columns of a CSV file (UTF-8, a BOM allowed), as lists of strings."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns: dict[str, list[str]] = {name: [] for name in reader.fieldnames or []}
            for row in reader:
                for name in columns:
                    columns[name].append(row.get(name) or "")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SystemExit(f"error: cannot read {path}: {exc}") from None
    if not columns:
        raise SystemExit(f"error: {path} has no header row.")
    return columns


def _numbers(columns: dict[str, list[str]], name: str) -> np.ndarray:
    if name not in columns:
        known = ", ".join(columns)
        raise SystemExit(f"error: no column {name!r}; the file has: {known}")
    values = np.full(len(columns[name]), np.nan)
    for index, text in enumerate(columns[name]):
        text = text.strip()
        if text in ("", "NA", "NaN", "."):
            continue
        try:
            values[index] = float(text)
        except ValueError:
            raise SystemExit(
                f"error: column {name!r}, data row {index + 1}: {text!r} is not a number"
            ) from None
    return values


def _labels(columns: dict[str, list[str]], name: str | None) -> np.ndarray | None:
    if name is None:
        return None
    if name not in columns:
        raise SystemExit(f"error: no column {name!r}; the file has: {', '.join(columns)}")
    return np.array(columns[name], dtype=object)


def cmd_analyze_csv(args: argparse.Namespace) -> int:
    """Design-based means and totals of CSV columns, overall or per domain."""
    columns = read_csv(Path(args.file))
    size = len(next(iter(columns.values())))
    if size == 0:
        raise SystemExit(f"error: {args.file} has no data rows.")
    weights = _numbers(columns, args.weights) if args.weights else np.ones(size)
    fpc = _numbers(columns, args.fpc) if args.fpc else None
    try:
        design = analysis.Design(
            weights, strata=_labels(columns, args.strata), psu=_labels(columns, args.psu), fpc=fpc
        )
        results = [
            _estimates(name, _numbers(columns, name), design, _labels(columns, args.domain), args)
            for name in args.var
        ]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    rows = [row for block in results for row in block]
    if args.json:
        json.dump({"df": design.df, "n": design.n, "estimates": rows}, sys.stdout, indent=1)
        print()
        return 0
    print(f"{design.n} rows, {design.df} degrees of freedom ({args.interval} intervals)")
    print(
        f"{'variable':16} {'domain':14} {'statistic':9} {'estimate':>14} {'se':>12} "
        f"{'ci_low':>14} {'ci_high':>14} {'n':>6}"
    )
    for row in rows:
        print(
            f"{row['variable'][:16]:16} {str(row['domain'])[:14]:14} {row['statistic']:9} "
            f"{_g(row['estimate']):>14} {_g(row['se']):>12} {_g(row['ci_low']):>14} "
            f"{_g(row['ci_high']):>14} {row['n']:>6}"
        )
    return 0


def _g(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.6g}"


def _estimates(
    name: str,
    values: np.ndarray,
    design: analysis.Design,
    domains: np.ndarray | None,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    options: dict[str, Any] = {
        "missing": args.missing,
        "interval": args.interval,
        "lonely_psu": args.lonely_psu,
        "confidence": args.confidence,
    }
    labels: list[Any] = [None] if domains is None else sorted({str(d) for d in domains})
    rows = []
    for label in labels:
        domain = None if label is None else np.array([str(d) == label for d in domains])  # type: ignore[union-attr]
        for statistic, function in (("mean", analysis.mean), ("total", analysis.total)):
            result = function(values, design, domain=domain, **options)
            rows.append(
                {
                    "variable": name,
                    "domain": label,
                    "statistic": statistic,
                    "estimate": result.estimate,
                    "se": result.se,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "df": result.df,
                    "n": result.n,
                }
            )
    return rows


def register(sub: Any) -> None:
    """Add ``analyze``, ``analyze-csv`` and ``totals`` to the ``survey`` parser."""
    run = sub.add_parser("analyze", help="compute and store every index of a campaign")
    run.add_argument("--campaign", type=int, required=True)
    run.add_argument("--json", action="store_true", help="print the run and the tidy table")
    run.add_argument(
        "--exclude",
        default="excluded",
        choices=["excluded", "excluded_and_flagged", "none"],
        help="which responses to leave out (default: those coordinators excluded)",
    )
    run.add_argument("--min-n", type=int, default=30, help="flag cells below this n (30)")
    run.add_argument("--max-cv", type=float, default=0.3, help="flag cells above this CV (0.3)")
    run.add_argument(
        "--min-share", type=float, default=0.5, help="share of a dimension's items answered (0.5)"
    )
    run.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="DIMENSION=W",
        help="weight of a dimension in the overall index (equal by default; 'overall' is 0)",
    )
    run.set_defaults(func=cmd_analyze)

    csv_run = sub.add_parser("analyze-csv", help="design-based estimates from any CSV file")
    csv_run.add_argument("file", metavar="FILE")
    csv_run.add_argument("--var", action="append", required=True, metavar="COL")
    csv_run.add_argument("--weights", metavar="COL")
    csv_run.add_argument("--strata", metavar="COL")
    csv_run.add_argument("--psu", metavar="COL")
    csv_run.add_argument("--fpc", metavar="COL", help="population size per row (R's convention)")
    csv_run.add_argument("--domain", metavar="COL")
    csv_run.add_argument("--missing", default="fail", choices=["fail", "exclude"])
    csv_run.add_argument("--interval", default="t", choices=["t", "normal"])
    csv_run.add_argument(
        "--lonely-psu", default="fail", choices=["fail", "remove", "certainty", "adjust"]
    )
    csv_run.add_argument("--confidence", type=float, default=0.95)
    csv_run.add_argument("--json", action="store_true")
    csv_run.set_defaults(func=cmd_analyze_csv)

    totals = sub.add_parser("totals", help="administrative totals for desk-QR weighting")
    totals_sub = totals.add_subparsers(dest="totals", required=True)
    set_total = totals_sub.add_parser("set", help="dossiers a desk handled in the period")
    set_total.add_argument("--campaign", type=int, required=True)
    set_total.add_argument("--desk", type=int, required=True)
    set_total.add_argument("--dossiers", type=int, help="omit to clear the total")
    set_total.set_defaults(func=cmd_totals_set)
