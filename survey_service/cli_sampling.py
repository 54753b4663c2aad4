"""``survey sample plan|draw|release``: sample plans from the command line."""

from __future__ import annotations

import argparse
from typing import Any

from survey_service import db
from survey_service.models import SamplePlan
from survey_service.settings import Settings


def _engine() -> Any:
    return db.migrated_engine(Settings().resolved_database_url)


def _print_preview(rows: list[Any]) -> None:
    print(f"{'stratum':40} {'N_h':>8} {'n_h':>6} {'reserve':>8} {'± MOE':>7}")
    for row in rows:
        print(
            f"{row.stratum[:40]:40} {row.population:>8} {row.sample:>6} {row.reserve:>8} "
            f"{row.expected_moe * 100:>6.1f}%"
        )
    print(
        f"{'total':40} {sum(r.population for r in rows):>8} {sum(r.sample for r in rows):>6} "
        f"{sum(r.reserve for r in rows):>8}"
    )


def _per_stratum(pairs: list[str]) -> dict[str, float] | None:
    """``["Q1 | land=0.4", …]`` as ``{"Q1 | land": 0.4, …}`` (None when none are given)."""
    out: dict[str, float] = {}
    for pair in pairs:
        stratum, _, value = pair.rpartition("=")
        try:
            out[stratum.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"error: '{pair}' is not STRATUM=NUMBER") from None
    return out or None


def cmd_plan(args: argparse.Namespace) -> int:
    """Store a plan and print its preview (N_h, n_h, reserve, expected margin per stratum)."""
    from survey_service.services import sample_plans as plan_service

    plan = SamplePlan(
        campaign_id=args.campaign,
        frame_id=args.frame,
        name=args.name,
        strata_vars=[v for v in args.strata.split(",") if v.strip()] if args.strata else [],
        moe=args.moe,
        total_n=args.n,
        confidence=args.confidence,
        allocation=args.allocation,
        minimum=args.minimum,
        response_rate=args.response_rate,
        reserve_share=args.reserve,
        seed=args.seed,
    )
    with db.session_scope(_engine()) as session:
        plan_service.create_plan(session=session, plan=plan)
        rows = plan_service.preview(session=session, plan=plan)
    print(f"Plan {plan.id}: {plan.name}")  # after the commit: a closed pipe loses no plan
    _print_preview(rows)
    return 0


def cmd_draw(args: argparse.Namespace) -> int:
    """Draw a stored plan and issue invitations to its main sample."""
    from survey_service.services import sample_plans as plan_service

    with db.session_scope(_engine()) as session:
        plan = plan_service.get_plan(session=session, plan_id=args.plan)
        drawn = plan_service.draw(session=session, plan=plan, audience=args.audience)
        print(
            f"Plan {plan.id} drawn with seed {plan.seed}: {drawn} units selected "
            "(main sample invited, reserve kept back)."
        )
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Release one stratum's reserve replicate."""
    from survey_service.services import sample_plans as plan_service

    with db.session_scope(_engine()) as session:
        plan = plan_service.get_plan(session=session, plan_id=args.plan)
        count = plan_service.release_reserve(
            session=session, plan=plan, stratum=args.stratum, audience=args.audience
        )
        print(f"{count} reserve units of '{args.stratum}' invited.")
    return 0


def register(sub: Any) -> None:
    """Add the ``sample`` command group to the ``survey`` parser."""
    sample = sub.add_parser("sample", help="sample plans").add_subparsers(
        dest="sample", required=True
    )
    plan = sample.add_parser("plan", help="store a plan and preview it")
    plan.add_argument("--campaign", type=int, required=True)
    plan.add_argument("--frame", type=int, required=True)
    plan.add_argument("--name", required=True)
    plan.add_argument("--strata", default="", help="frame attributes besides the unit, a,b")
    size = plan.add_mutually_exclusive_group(required=True)
    size.add_argument("--moe", type=float, help="target margin of error in every unit, e.g. 0.1")
    size.add_argument("--n", type=int, help="total sample size to allocate")
    plan.add_argument(
        "--allocation",
        default="proportional",
        choices=["equal", "proportional", "neyman", "optimal", "power"],
    )
    plan.add_argument("--confidence", type=float, default=0.95)
    plan.add_argument("--minimum", type=int, default=0)
    plan.add_argument("--response-rate", type=float, default=1.0)
    plan.add_argument("--reserve", type=float, default=0.0, help="reserve share, e.g. 0.2")
    plan.add_argument("--seed", type=int, required=True)
    plan.set_defaults(func=cmd_plan)
    draw = sample.add_parser("draw", help="draw a plan and invite the main sample")
    draw.add_argument("--plan", type=int, required=True)
    draw.add_argument("--audience", default="citizen", choices=["citizen", "business", "official"])
    draw.set_defaults(func=cmd_draw)
    release = sample.add_parser("release", help="invite a stratum's reserve")
    release.add_argument("--plan", type=int, required=True)
    release.add_argument("--stratum", required=True)
    release.add_argument(
        "--audience", default="citizen", choices=["citizen", "business", "official"]
    )
    release.set_defaults(func=cmd_release)
