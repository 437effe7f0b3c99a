"""`connect360-simulate`: write simulated landing data and its ground truth."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from simulator.config import (
    SimulationConfig,
    SimulationSummary,
    default_landing_dir,
    default_truth_dir,
    default_workers,
)
from simulator.engine import OutputNotEmptyError, simulate


def parse_args(argv: list[str] | None = None) -> SimulationConfig:
    parser = argparse.ArgumentParser(
        prog="connect360-simulate",
        description="Simulate customers across 360Connect's channels and land their exports.",
    )
    parser.add_argument("--people", type=int, default=5000, help="people to simulate")
    parser.add_argument("--days", type=int, default=90, help="length of the window in days")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument("--landing", type=Path, default=default_landing_dir())
    parser.add_argument("--truth", type=Path, default=default_truth_dir())
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--malformed-rate", type=float, default=0.002)
    parser.add_argument(
        "--violation-rate",
        type=float,
        default=0.01,
        help="per-person chance of each injected breach (consent rules, erasure, personal data)",
    )
    parser.add_argument(
        "--erasure-rate", type=float, default=0.003, help="per-person chance of an erasure request"
    )
    parser.add_argument(
        "--household-surname-rate",
        type=float,
        default=0.8,
        help="chance that a household member after the first carries the household's surname",
    )
    parser.add_argument(
        "--twin-rate",
        type=float,
        default=0.02,
        help="chance that a household of two or more has twins",
    )
    parser.add_argument(
        "--crm-duplicate-rate",
        type=float,
        default=0.07,
        help="chance that a person's CRM contact is entered again under another id",
    )
    parser.add_argument(
        "--second-crm-share",
        type=float,
        default=0.4,
        help="chance that a person active by its import day is in the acquired company's CRM",
    )
    parser.add_argument(
        "--crm-no-contact-rate",
        type=float,
        default=0.2,
        help="chance that a CRM contact from a paper form has no email or phone",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--overwrite", action="store_true", help="clear non-empty output directories first"
    )
    args = parser.parse_args(argv)
    return SimulationConfig(
        people=args.people,
        days=args.days,
        start=args.start,
        seed=args.seed,
        landing_dir=args.landing,
        truth_dir=args.truth,
        workers=args.workers,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        malformed_rate=args.malformed_rate,
        violation_rate=args.violation_rate,
        erasure_rate=args.erasure_rate,
        household_surname_rate=args.household_surname_rate,
        twin_rate=args.twin_rate,
        crm_duplicate_rate=args.crm_duplicate_rate,
        second_crm_share=args.second_crm_share,
        crm_no_contact_rate=args.crm_no_contact_rate,
    )


def report(summary: SimulationSummary) -> str:
    lines = [
        f"{summary.total_records:,} records in {summary.files_written:,} files for "
        f"{summary.people:,} people in {summary.seconds:.1f}s "
        f"({summary.records_per_second:,.0f} records/s)",
        f"malformed {summary.malformed:,}, duplicates {summary.duplicates:,}, "
        f"late {summary.late:,}",
    ]
    lines += [f"  {name:<28}{count:>12,}" for name, count in summary.records.items()]
    lines += [f"  violation {rule:<28}{count:>8,}" for rule, count in summary.violations.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    try:
        config = parse_args(argv)
        summary = simulate(config)
    except (OutputNotEmptyError, ValueError) as error:
        print(f"connect360-simulate: error: {error}", file=sys.stderr)
        return 2
    print(report(summary))
    return 0
