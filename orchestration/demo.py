"""The main job end to end on the simulator's demo data: ``make demo`` runs this.

Simulate a landing directory, load every landing day through the Dagster raw assets (one run,
a single-run backfill over the simulated days), build the dbt project, generate the docs, and
print where everything is. Runs are recorded in the Dagster instance at ``$DAGSTER_HOME``, so
``dagster dev`` afterwards shows them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg

from orchestration.automation import BUILD_JOB
from orchestration.definitions import defs
from orchestration.ingestion.assets import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import quarantine_table, raw_table
from orchestration.ingestion.reader import landing_days
from orchestration.quality.checks import (
    QUALITY_CHECKS,
)
from orchestration.quality.governance import SUMMARY_FILE
from orchestration.quality.runner import quality_dir
from orchestration.quality.suites import suite_named
from orchestration.resources import connect_warehouse, default_resources
from orchestration.runs import wait_for_pool
from orchestration.settings import REPO_ROOT, Settings
from orchestration.transform.assets import (
    dbt_resource,
)
from simulator import SimulationConfig, simulate
from simulator.config import SimulationSummary

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


def _simulate(arguments: argparse.Namespace, settings: Settings) -> SimulationSummary:
    config = SimulationConfig(
        people=arguments.people,
        days=arguments.days,
        start=arguments.start,
        seed=arguments.seed,
        landing_dir=settings.landing_dir,
        truth_dir=settings.truth_dir,
        overwrite=True,
    )
    return simulate(config)


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
        raise DemoError("loading the landing directory failed; see the run in `dagster dev`")
    return result.get_asset_check_evaluations()


def _transform(instance: dg.DagsterInstance, settings: Settings) -> list[dg.AssetCheckEvaluation]:
    """Build the dbt project and run the quality checks; the activation marts are built only
    if the error suites pass. Returns the checks' evaluations."""
    wait_for_pool(instance)
    # The job the daily run uses after each load (orchestration/automation.py). dbt runs in
    # steps around the Python assets between its models: Splink (up to the matching
    # attributes, then the identity graph that takes the matches in) and the sentiment of
    # social mentions (before the touchpoints). The Great Expectations checks run once the
    # layer they guard is built: staging before the Python assets that read it, the rest
    # before the activation marts.
    result = defs.resolve_job_def(BUILD_JOB).execute_in_process(
        instance=instance,
        resources={**default_resources(settings), "dbt": dbt_resource()},
        run_config=QUIET_LOGS,
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    failed_steps = {
        event.step_key for event in result.all_events if event.is_step_failure and event.step_key
    }
    # The warehouse's error suites withhold the activation marts through their gate, and the
    # run succeeds. A failing blocking check in staging fails its own step and skips what is
    # downstream: that is the guard working, not the run breaking. Any other failed step is.
    # (A step of a check run more than once in a job is keyed `<name>_<n>`.)
    check_steps = {checks.node_def.name for checks in QUALITY_CHECKS}
    if {step for step in failed_steps if re.sub(r"_\d+$", "", step) not in check_steps}:
        raise DemoError(
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
    settings: Settings,
    docs: Path,
    checks: list[dg.AssetCheckEvaluation],
    injected: Mapping[str, int],
    seconds: float,
) -> list[str]:
    """The summary the demo ends with."""
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
    lines = [
        "",
        "raw tables (raw.<stream>) and quarantine (quarantine.<stream>):",
        f"  {'stream':<32}{'loaded':>12}{'quarantined':>13}{'days':>6}",
        *(
            f"  {stream:<32}{loaded:>12,}{quarantined:>13,}{days:>6}"
            for stream, loaded, quarantined, days in rows
        ),
        "",
        f"finished in {seconds:.0f} s",
        f"  warehouse (DuckDB):   {settings.warehouse_path}",
        f"  landing data:         {settings.landing_dir}",
        f"  ground truth:         {settings.truth_dir}",
        f"  marts:                marts.customers ({customers:,} customers), "
        f"marts.customer_record_bridge ({records:,} records)",
        f"  identity:             {matches:,} probabilistic matches, {erased:,} erasures "
        "honoured; accuracy against the truth: `make accuracy`",
        f"  journeys:             marts.touchpoints ({touchpoints:,}), marts.sessions "
        f"({sessions:,}), marts.journey_moments ({moments:,}); against the truth: "
        "`make journey-accuracy`",
        f"  quality checks:       {_checks_line(checks)}",
        "  activation marts:     "
        + (
            "marts.marketing_audience"
            if audience
            else "withheld by quality/activation_gate: an error suite failed, so the run did "
            "not build them"
        ),
        f"  Data Docs:            {quality_dir() / 'data_docs' / 'index.html'}",
        f"  governance summary:   {quality_dir() / SUMMARY_FILE}",
        f"  dbt docs:             {docs}",
        f"  landing contracts:    {REPO_ROOT / 'docs' / 'contracts' / 'README.md'}",
        *_injected_lines(injected, checks, bool(audience)),
        "next: `make dev` (dagster dev) and open http://127.0.0.1:3000",
    ]
    return lines


def _injected_lines(
    injected: Mapping[str, int], checks: list[dg.AssetCheckEvaluation], built: bool
) -> list[str]:
    """What the failing checks mean here: the simulator breaks the consent and personal data
    rules on purpose, so that the demo shows the checks finding it."""
    breaches = {rule: count for rule, count in injected.items() if count}
    if not breaches:
        return []
    # The blocking (error-severity) suites are the ones the breaches are meant to fail.
    blocking = sorted(
        {
            check.check_name
            for check in checks
            if not check.passed
            and check.check_name in _QUALITY_CHECKS
            and suite_named(check.check_name).severity == "error"
        }
    )
    lines = [
        "",
        f"the simulator injected {sum(breaches.values()):,} deliberate breaches of consent and "
        "personal data rules ("
        + ", ".join(f"{rule} {count:,}" for rule, count in sorted(breaches.items()))
        + "),",
        "so that the demo shows the checks at work: "
        + (
            f"the error-severity suites {', '.join(blocking)} found them"
            if blocking
            else "no error-severity suite found them (a defect)"
        )
        + (", and withheld the activation marts, as designed." if blocking and not built else "."),
        "Each failing record is listed in the Data Docs and the governance summary above.",
    ]
    return lines


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


class DemoError(Exception):
    """A stage of the demo failed; the message says which, the log file has the details."""


@contextmanager
def _output_to(log_path: Path) -> Iterator[Callable[[str], None]]:
    """Send everything this process and its children write (Dagster's event log, dbt, Splink's
    training, warnings) to ``log_path``; yields the function that writes to the console."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    console = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    saved_stderr = os.dup(sys.stderr.fileno())
    with log_path.open("a", buffering=1) as log:
        os.dup2(log.fileno(), sys.stdout.fileno())
        os.dup2(log.fileno(), sys.stderr.fileno())

        def say(line: str) -> None:
            console.write(line + "\n")
            log.write(f"[demo] {line}\n")

        try:
            yield say
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(console.fileno(), sys.stdout.fileno())
            os.dup2(saved_stderr, sys.stderr.fileno())
            os.close(saved_stderr)
            console.close()


def _stage(say: Callable[[str], None], number: int, title: str) -> Callable[[str], None]:
    """Announce a stage; the returned function reports its outcome with the time it took."""
    began = time.perf_counter()
    say(f"[{number}/{STAGES}] {title} ...")

    def done(outcome: str) -> None:
        say(f"      {outcome} ({time.perf_counter() - began:.0f} s)")

    return done


STAGES = 5


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home"))
    settings = Settings.from_env()
    log_path = REPO_ROOT / "logs" / f"demo-{time.strftime('%Y%m%d-%H%M%S')}.log"
    print(f"360Connect demo; the full log (Dagster, dbt, Splink) goes to {log_path}")
    with _output_to(log_path) as say:
        try:
            lines = _run(arguments, settings, say)
        except Exception as error:  # every failure ends the same way: said, and logged
            traceback.print_exc()  # into the log
            say(f"the demo failed: {error}")
            say(f"what happened, step by step: {log_path}")
            return 1
        for line in lines:
            say(line)
        say(f"full log: {log_path}")
    return 0


def _run(
    arguments: argparse.Namespace, settings: Settings, say: Callable[[str], None]
) -> list[str]:
    started = time.perf_counter()
    _fresh_start(settings)
    injected: Mapping[str, int] = {}
    done = _stage(say, 1, f"simulating {arguments.people:,} people over {arguments.days} days")
    if arguments.keep_landing:
        done(f"kept the landing files in {settings.landing_dir}")
    else:
        summary = _simulate(arguments, settings)
        injected = summary.violations
        done(
            f"{summary.total_records:,} records in {summary.files_written:,} landing files, "
            f"{summary.malformed:,} of them malformed on purpose"
        )
    days = landing_days(settings.landing_dir)
    if not days:
        raise DemoError(f"no landing days under {settings.landing_dir}")
    with dg.DagsterInstance.get() as instance:
        done = _stage(say, 2, f"loading {len(days)} landing days into raw (Dagster: load_landing)")
        checks = _load(instance, settings, days)
        done("loaded; the landing checks ran")
        done = _stage(
            say,
            3,
            "building staging, identity, journeys and marts (dbt, Splink), with the quality checks",
        )
        checks += _transform(instance, settings)
        done(_checks_line(checks))
    done = _stage(say, 4, "generating the dbt docs")
    docs = _docs()
    done(str(docs))
    done = _stage(say, 5, "summary")
    lines = _report(settings, docs, checks, injected, time.perf_counter() - started)
    done("read from the warehouse")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
