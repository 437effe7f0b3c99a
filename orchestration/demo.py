"""The main job end to end on the simulator's demo data: ``make demo`` runs this.

Simulate a landing directory, load every landing day through the Dagster raw assets (one run,
a single-run backfill over the simulated days), build the dbt project, generate the docs, and
print where everything is. Runs are recorded in the Dagster instance at ``$DAGSTER_HOME``, so
``dagster dev`` afterwards shows them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs
from orchestration.identity.matching import probabilistic_edges
from orchestration.ingestion.assets import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import quarantine_table, raw_table
from orchestration.ingestion.reader import landing_days
from orchestration.journeys.sentiment import social_mention_sentiment
from orchestration.quality.checks import (
    QUALITY_CHECKS,
    great_expectations_checks,
    staging_quality_checks,
)
from orchestration.quality.governance import SUMMARY_FILE
from orchestration.quality.runner import quality_dir
from orchestration.quality.suites import suite_named
from orchestration.resources import connect_warehouse, default_resources
from orchestration.runs import wait_for_pool
from orchestration.settings import REPO_ROOT, Settings
from orchestration.transform.assets import (
    connect360_activation_assets,
    connect360_dbt_assets,
    dbt_resource,
)
from orchestration.transform.pseudonym_key import pseudonym_key
from simulator import SimulationConfig, simulate

#: Dagster's console logger at INFO: step events, not every engine event.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--seed", type=int, default=360)
    parser.add_argument(
        "--keep-landing", action="store_true", help="load the landing dir as it is, no simulation"
    )
    return parser.parse_args(argv)


def _owned_by_demo(path: Path) -> bool:
    """Only files under the repository's data/ folder are the demo's to replace."""
    return path.resolve().is_relative_to((REPO_ROOT / "data").resolve())


def _fresh_start(settings: Settings) -> None:
    for path in (settings.warehouse_path, settings.state_dir, quality_dir()):
        if not _owned_by_demo(path):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
            Path(f"{path}.wal").unlink(missing_ok=True)


def _simulate(arguments: argparse.Namespace, settings: Settings) -> None:
    config = SimulationConfig(
        people=arguments.people,
        days=arguments.days,
        start=arguments.start,
        seed=arguments.seed,
        landing_dir=settings.landing_dir,
        truth_dir=settings.truth_dir,
        overwrite=True,
    )
    summary = simulate(config)
    print(f"simulated {summary.total_records:,} records in {summary.seconds:.1f} s")


def _load(
    instance: dg.DagsterInstance, settings: Settings, days: list[str]
) -> list[dg.AssetCheckEvaluation]:
    """Load every landing day (the raw quality suite runs after the loads); returns the checks'
    evaluations. A run that died holding the warehouse pool is failed and its slot freed first,
    and a live one is waited for, saying so."""
    wait_for_pool(instance)
    job = defs.resolve_job_def("load_landing")
    result = job.execute_in_process(
        instance=instance,
        run_config=QUIET_LOGS,
        tags={PARTITION_RANGE_START_TAG: days[0], PARTITION_RANGE_END_TAG: days[-1]},
        resources=default_resources(settings),
    )
    if not result.success:
        raise SystemExit("loading the landing directory failed; see the run in `dagster dev`")
    return result.get_asset_check_evaluations()


def _transform(instance: dg.DagsterInstance, settings: Settings) -> list[dg.AssetCheckEvaluation]:
    """Build the dbt project and run the quality checks; the activation marts are built only
    if the blocking checks pass. Returns the checks' evaluations."""
    wait_for_pool(instance)
    result = dg.materialize(
        # dbt runs in steps around the Python assets between its models: Splink (up to the
        # matching attributes, then the identity graph that takes the matches in) and the
        # sentiment of social mentions (before the touchpoints). The Great Expectations checks
        # run once the layer they guard is built: staging before the Python assets that read
        # it, the rest before the activation marts.
        [
            pseudonym_key,
            probabilistic_edges,
            social_mention_sentiment,
            connect360_dbt_assets,
            staging_quality_checks,
            great_expectations_checks,
            connect360_activation_assets,
        ],
        instance=instance,
        resources={**default_resources(settings), "dbt": dbt_resource()},
        run_config=QUIET_LOGS,
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    failed_steps = {
        event.step_key for event in result.all_events if event.is_step_failure and event.step_key
    }
    # A failing blocking check fails its own step and skips what it guards: that is the guard
    # working, not the run breaking. Any other failed step is.
    if failed_steps - {checks.node_def.name for checks in QUALITY_CHECKS}:
        raise SystemExit(
            f"the transform run failed in {', '.join(sorted(failed_steps))}; "
            "see the run in `dagster dev`"
        )
    return evaluations


def _docs() -> Path:
    """dbt docs as one self-contained page, copied out of dagster-dbt's per-run target folder."""
    invocation = dbt_resource().cli(["docs", "generate", "--static"], raise_on_error=True).wait()
    published = REPO_ROOT / "target" / "static_index.html"
    shutil.copyfile(invocation.target_path / "static_index.html", published)
    return published


def _report(
    settings: Settings, docs: Path, checks: list[dg.AssetCheckEvaluation], seconds: float
) -> None:
    connection = connect_warehouse(settings.warehouse_path, read_only=True)
    try:
        rows = [
            (
                contract.stream,
                *connection.execute(
                    f"select (select count(*) from {raw_table(contract)}), "
                    f"(select count(*) from {quarantine_table(contract)}), "
                    f"(select count(distinct _partition_date) from {raw_table(contract)})"
                ).fetchone(),
            )
            for contract in load_contracts()
        ]
        customers, records, matches, erased = connection.execute(
            "select (select count(*) from marts.customers), "
            "(select count(*) from marts.customer_record_bridge), "
            "(select count(*) from identity.probabilistic_edges), "
            "(select count(*) from identity.identity_erasure_register where status = 'erased')"
        ).fetchone()
        audience = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'marketing_audience'"
        ).fetchone()[0]
        touchpoints, sessions, moments = connection.execute(
            "select (select count(*) from marts.touchpoints), "
            "(select count(*) from marts.sessions), "
            "(select count(*) from marts.journey_moments)"
        ).fetchone()
    finally:
        connection.close()
    print("\nraw tables (raw.<stream>) and quarantine (quarantine.<stream>):")
    print(f"  {'stream':<32}{'loaded':>12}{'quarantined':>13}{'days':>6}")
    for stream, loaded, quarantined, days in rows:
        print(f"  {stream:<32}{loaded:>12,}{quarantined:>13,}{days:>6}")
    print(
        f"\nfinished in {seconds:.0f} s\n"
        f"  warehouse (DuckDB):   {settings.warehouse_path}\n"
        f"  landing data:         {settings.landing_dir}\n"
        f"  ground truth:         {settings.truth_dir}\n"
        f"  marts:                marts.customers ({customers:,} customers), "
        f"marts.customer_record_bridge ({records:,} records)\n"
        f"  identity:             {matches:,} probabilistic matches, {erased:,} erasures honoured; "
        "accuracy against the truth: `make accuracy`\n"
        f"  journeys:             marts.touchpoints ({touchpoints:,}), marts.sessions "
        f"({sessions:,}), marts.journey_moments ({moments:,}); against the truth: "
        "`make journey-accuracy`\n"
        f"  quality checks:       {_checks_line(checks)}\n"
        f"  activation marts:     "
        f"{'marts.marketing_audience' if audience else 'withheld (a blocking check failed)'}\n"
        f"  Data Docs:            {quality_dir() / 'data_docs' / 'index.html'}\n"
        f"  governance summary:   {quality_dir() / SUMMARY_FILE}\n"
        f"  dbt docs:             {docs}\n"
        f"  landing contracts:    {REPO_ROOT / 'docs' / 'contracts' / 'README.md'}\n"
        "next: `make dev` (dagster dev) and open http://127.0.0.1:3000"
    )


def _checks_line(checks: list[dg.AssetCheckEvaluation]) -> str:
    """One line over the suites: a suite guarding several assets has one evaluation each."""
    suites: dict[str, Counter[str]] = {}
    failed: set[str] = set()
    for check in checks:
        if check.check_name not in _QUALITY_CHECKS:
            continue
        counts = suites.setdefault(check.check_name, Counter())
        violations = check.metadata.get("violations")
        counts.update(violations.value if violations is not None else {})
        if not check.passed:
            failed.add(check.check_name)
    if not failed:
        return f"{len(suites)} Great Expectations suites passed"
    details = []
    for name in sorted(failed):
        found = ", ".join(f"{rule} {count}" for rule, count in suites[name].items() if count)
        severity = suite_named(name).severity
        details.append(f"{name} [{severity}] ({found or 'could not be evaluated'})")
    return f"{len(failed)} of {len(suites)} suites failed: " + "; ".join(details)


_QUALITY_CHECKS = {spec.name for checks in QUALITY_CHECKS for spec in checks.check_specs}


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    settings = Settings.from_env()
    started = time.perf_counter()
    _fresh_start(settings)
    if not arguments.keep_landing:
        _simulate(arguments, settings)
    days = landing_days(settings.landing_dir)
    if not days:
        print(f"no landing days under {settings.landing_dir}", file=sys.stderr)
        return 1
    with dg.DagsterInstance.get() as instance:
        checks = _load(instance, settings, days)
        checks += _transform(instance, settings)
    docs = _docs()
    _report(settings, docs, checks, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
