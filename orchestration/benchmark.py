"""Benchmark every pipeline stage at a stated scale: ``make bench SCALE=200000 DAYS=180``.

Each stage runs in a child process of its own, so its wall time and peak resident memory
(``wait4``'s ``ru_maxrss``) are its alone. The raw-scan floor is DuckDB reading every landing file
once; the load's ratio to it says how far the loader is from the cost of just touching the bytes.
Results are appended as JSON lines to ``bench/results.jsonl`` and printed as a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT

RESULTS_FILE = REPO_ROOT / "bench" / "results.jsonl"


@dataclass
class StageResult:
    stage: str
    seconds: float
    peak_rss_mib: float
    detail: dict[str, object]


def _run_stage(
    name: str, command: list[str], env: dict[str, str], detail_file: Path
) -> StageResult:
    detail_file.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO_ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"benchmark stage '{name}' failed with exit code {code}")
    detail = json.loads(detail_file.read_text()) if detail_file.exists() else {}
    return StageResult(name, round(seconds, 2), round(usage.ru_maxrss / 1024, 1), detail)


def _stage_command(stage: str, work: Path, detail_file: Path) -> list[str]:
    return [sys.executable, "-m", "orchestration.benchmark", "--stage", stage,
            "--work", str(work), "--detail-file", str(detail_file)]  # fmt: skip


def _environment(work: Path) -> dict[str, str]:
    return os.environ | {
        "CONNECT360_LANDING_DIR": str(work / "landing"),
        "CONNECT360_TRUTH_DIR": str(work / "truth"),
        "CONNECT360_WAREHOUSE": str(work / "warehouse.duckdb"),
        "CONNECT360_STATE_DIR": str(work / "state"),
        "CONNECT360_PARTITIONS_START": "2000-01-01",
        "CONNECT360_QUALITY_DIR": str(work / "quality"),
    }


def scan_floor(landing: Path) -> dict[str, object]:
    """DuckDB reads every byte of every landing file once (as blobs: some lines are not UTF-8)."""
    connection = duckdb.connect()
    # Hashing the content makes sure every byte is really read, not just its length.
    files, size, _ = connection.execute(
        f"select count(*), sum(octet_length(content)), sum(hash(content)) "
        f"from read_blob('{landing}/*/*/*')"
    ).fetchone()
    return {"files": files, "bytes": size}


def _load_everything(work: Path, hold_back_last_day: bool = False) -> dict[str, object]:
    """Every landing day in one run; with `hold_back_last_day`, all but the last (which the
    `next_day` stage loads later, as a daily run would)."""
    from orchestration.ingestion.reader import landing_days

    days = landing_days(work / "landing")
    if hold_back_last_day:
        days = days[:-1]
    return _load_days(work, days[0], days[-1]) | {"days": len(days)}


def _load_days(work: Path, first: str, last: str) -> dict[str, object]:
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.ingestion.assets import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
    from orchestration.resources import default_resources

    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("load_landing").execute_in_process(
            instance=instance,
            tags={PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last},
            resources=default_resources(),
        )
    if not result.success:
        raise SystemExit("the load job failed")
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    loaded, quarantined = connection.execute(
        "select sum(loaded), sum(quarantined) from ops.load_audit"
    ).fetchone()
    connection.close()
    return {"loaded": loaded, "quarantined": quarantined}


def _ensure_pseudonym_key(work: Path) -> None:
    import dagster as dg

    from orchestration.resources import default_resources
    from orchestration.transform.pseudonym_key import pseudonym_key

    # The stage's environment points the resources at the work folder.
    if not dg.materialize([pseudonym_key], resources=default_resources()).success:
        raise SystemExit("the pseudonym key asset failed")


def _dbt_build(work: Path) -> dict[str, object]:
    from orchestration.transform.assets import dbt_resource

    _ensure_pseudonym_key(work)
    invocation = dbt_resource().cli(["build"], raise_on_error=True)
    invocation.wait()
    return {"warehouse": str(work / "warehouse.duckdb")}


def _identity(work: Path) -> dict[str, object]:
    """The identity layer from raw tables: staging, graph, components, ids, bridge."""
    from orchestration.transform.assets import dbt_resource

    _ensure_pseudonym_key(work)
    dbt_resource().cli(["run", "--select", "+identity"], raise_on_error=True).wait()
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    figures = connection.execute(
        """
        select
            (select count(*) from identity.int_identity__occurrences where is_hub
                or hub_node_id is null) as records,
            (select count(*) from identity.int_identity__customer_ids) as identifiers,
            (select count(*) from identity.int_identity__links) as links,
            (select count(distinct customer_id) from identity.int_identity__customer_ids)
                as customers,
            (select sum(rounds) from identity.int_identity__components__rounds
                where run_at = (select max(run_at) from identity.int_identity__components__rounds))
                as rounds,
            (select max(rounds) from identity.int_identity__components__rounds
                where run_at = (select max(run_at) from identity.int_identity__components__rounds))
                as most_rounds_in_a_tier,
            (select count(*) from identity.int_identity__components
                where bridge_refusal is not null) as refused_bridges
        """
    ).fetchone()
    names = ["records", "identifiers", "links", "customers", "rounds", "most_rounds_in_a_tier",
             "refused_bridges"]  # fmt: skip
    connection.close()
    return dict(zip(names, figures, strict=True))


def _matching(work: Path) -> dict[str, object]:
    """Probabilistic matching as the Dagster asset runs it: the restricted matching attributes
    (and the staging they read), then Splink. Its edges join the graph at the next identity
    stage. Each part's seconds are in the detail."""
    from orchestration.identity.matching import run_matching
    from orchestration.transform.assets import dbt_resource

    _ensure_pseudonym_key(work)
    started = time.perf_counter()
    dbt_resource().cli(
        ["run", "--select", "+restricted_match_attributes"], raise_on_error=True
    ).wait()
    attributes_seconds = round(time.perf_counter() - started, 1)
    connection = duckdb.connect(str(work / "warehouse.duckdb"))
    try:
        summary = run_matching(connection)
    finally:
        connection.close()
    names = ["status", "records", "profiles", "scored_pairs", "edges", "seconds"]
    return {"attributes_seconds": attributes_seconds} | {
        ("splink_seconds" if name == "seconds" else name): summary[name] for name in names
    }


def _journeys(work: Path) -> dict[str, object]:
    """The journey layer on resolved identities: touchpoints, sessions, moments, funnels,
    paths, attribution, escalations and the edge-case register (seeds and the sentiment of
    social mentions first)."""
    from orchestration.journeys.build import build_journey_layer

    # Staging is in the layer because it reads staging models that identity does not (the
    # price list); after identity has run they are incremental no-ops.
    sentiment = build_journey_layer(work / "warehouse.duckdb")
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    names = ["touchpoints", "sessions", "journey_moments"]
    figures = connection.execute(
        "select " + ", ".join(f"(select count(*) from marts.{name})" for name in names)
    ).fetchone()
    connection.close()
    return dict(zip(names, figures, strict=True)) | {"scored_mentions": sentiment.scored}


CONSENT_LAYER = "path:models/intermediate/commerce path:models/marts/consent"


def _quality(work: Path) -> dict[str, object]:
    """Every Great Expectations suite, as the daily run's check step runs them, on a quality
    folder of its own (every landing day is new to it). The consent marts the suites read are
    built first; their seconds are in the detail, apart from the checks'."""
    import shutil

    from orchestration.quality.governance import write_summary
    from orchestration.quality.runner import (
        ValidationLedger,
        build_data_docs,
        open_context,
        quality_dir,
        run_suite,
    )
    from orchestration.quality.suites import SUITES
    from orchestration.transform.assets import dbt_resource

    started = time.perf_counter()
    dbt_resource().cli(["run", "--select", CONSENT_LAYER], raise_on_error=True).wait()
    detail: dict[str, object] = {"consent_marts_seconds": round(time.perf_counter() - started, 1)}
    shutil.rmtree(quality_dir(), ignore_errors=True)
    started = time.perf_counter()
    context = open_context()
    ledger = ValidationLedger(quality_dir())
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    outcomes = []
    shared: dict = {}
    for suite in SUITES:
        suite_started = time.perf_counter()
        outcome = run_suite(context, connection, suite, ledger, shared=shared)
        outcomes.append(outcome)
        detail[f"{suite.name}_seconds"] = round(time.perf_counter() - suite_started, 1)
        detail[f"{suite.name}_rows"] = outcome.rows
        detail[f"{suite.name}_batches"] = len(outcome.batches)
        detail[f"{suite.name}_violations"] = sum(outcome.violations.values())
    ledger.save()
    build_data_docs(context, outcomes)
    write_summary(connection, context, quality_dir())
    connection.close()
    detail["checks_seconds"] = round(time.perf_counter() - started, 1)
    return detail


def _next_day(work: Path) -> dict[str, object]:
    """One more day after the history: load its landing files, then identity and journeys, as
    the daily run does. Each part's seconds are in the detail."""
    from orchestration.ingestion.reader import landing_days

    day = landing_days(work / "landing")[-1]
    detail: dict[str, object] = {"day": day}
    for part, run in (
        ("load", lambda: _load_days(work, day, day)),
        ("identity", lambda: _identity(work)),
        ("journeys", lambda: _journeys(work)),
    ):
        started = time.perf_counter()
        figures = run()
        detail[f"{part}_seconds"] = round(time.perf_counter() - started, 1)
        detail |= {f"{part}_{name}": value for name, value in figures.items()}
    return detail


def _simulate(work: Path, people: int, days: int) -> dict[str, object]:
    from simulator import SimulationConfig, simulate

    summary = simulate(
        SimulationConfig(
            people=people,
            days=days,
            landing_dir=work / "landing",
            truth_dir=work / "truth",
            overwrite=True,
            progress=False,
        )
    )
    return {
        "records": summary.total_records,
        "records_per_second": round(summary.records_per_second),
    }


def _run_inner_stage(arguments: argparse.Namespace) -> None:
    work = Path(arguments.work)
    next_day = arguments.next_day or "next_day" in arguments.stages.split(",")
    stages = {
        # With a next day to add, the simulation runs one day past the history.
        "simulate": lambda: _simulate(work, arguments.people, arguments.days + next_day),
        "raw_scan_floor": lambda: scan_floor(work / "landing"),
        "load": lambda: _load_everything(work, hold_back_last_day=next_day),
        "dbt_build": lambda: _dbt_build(work),
        "identity": lambda: _identity(work),
        "matching": lambda: _matching(work),
        "journeys": lambda: _journeys(work),
        "quality": lambda: _quality(work),
        "next_day": lambda: _next_day(work),
    }
    detail = stages[arguments.stage]()
    Path(arguments.detail_file).write_text(json.dumps(detail))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument(
        "--stages",
        default="simulate,raw_scan_floor,load,dbt_build,identity",
        help="comma-separated, in order (default: all but journeys and next_day); next_day "
        "simulates one day more than --days and holds it back from the load to add it last",
    )
    parser.add_argument(
        "--next-day",
        action="store_true",
        help="simulate one day past --days and hold it back from the load (implied by the "
        "next_day stage; give it to the earlier stages when they run in a separate command)",
    )
    parser.add_argument("--work", help="working folder (default data/bench/<people>x<days>)")
    parser.add_argument("--results", default=str(RESULTS_FILE))
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--detail-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    if arguments.stage:
        _run_inner_stage(arguments)
        return 0
    work = Path(
        arguments.work or REPO_ROOT / "data" / "bench" / f"{arguments.people}x{arguments.days}"
    )
    work.mkdir(parents=True, exist_ok=True)
    if "load" in arguments.stages:
        for stale in (work / "warehouse.duckdb", work / "warehouse.duckdb.wal"):
            stale.unlink(missing_ok=True)
    env = _environment(work)
    detail_file = work / "stage-detail.json"
    results: list[StageResult] = []
    for stage in arguments.stages.split(","):
        command = _stage_command(stage, work, detail_file)
        command += ["--people", str(arguments.people), "--days", str(arguments.days)]
        command += ["--stages", arguments.stages] + ["--next-day"] * arguments.next_day
        results.append(_run_stage(stage, command, env, detail_file))
        print(f"  {stage:<16}{results[-1].seconds:>9.1f} s{results[-1].peak_rss_mib:>10.0f} MiB")
    _report(arguments, results)
    return 0


def _commit() -> str:
    """The commit measured, marked ``+changes`` when the working tree differs from it."""

    def git(*arguments: str) -> str:
        completed = subprocess.run(
            ["git", *arguments], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return completed.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changes = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench")
    return commit + ("+changes" if changes else "")


def _report(arguments: argparse.Namespace, results: list[StageResult]) -> None:
    by_stage = {result.stage: result for result in results}
    floor = by_stage.get("raw_scan_floor")
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "people": arguments.people,
        "days": arguments.days,
        "commit": _commit(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "stages": [asdict(result) for result in results],
    }
    if floor and "load" in by_stage:
        record["load_to_floor_ratio"] = round(by_stage["load"].seconds / floor.seconds, 1)
    results_file = Path(arguments.results)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    with results_file.open("a") as handle:
        handle.write(json.dumps(record) + "\n")
    print(f"\n{arguments.people:,} people x {arguments.days} days")
    print(f"  {'stage':<16}{'seconds':>10}{'peak MiB':>10}  detail")
    for result in results:
        print(
            f"  {result.stage:<16}{result.seconds:>10.1f}{result.peak_rss_mib:>10.0f}  "
            f"{json.dumps(result.detail)}"
        )
    if "load_to_floor_ratio" in record:
        print(f"  load / raw-scan floor: {record['load_to_floor_ratio']}x")
    print(f"results appended to {results_file}")


if __name__ == "__main__":
    raise SystemExit(main())
