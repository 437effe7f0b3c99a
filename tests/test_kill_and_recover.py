"""Kill and recover: a load and a dbt build killed with SIGKILL at random points, five times
each; every re-run must complete with no manual step and leave the warehouse as a clean run
does (issue 21). The rest of the reliability suite is tests/test_reliability.py.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import load_days
from orchestration.runs import sweep_dead_runs
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL
from orchestration.transform.assets import dbt_executable
from simulator import SimulationConfig, simulate

#: The load job's raw loads, started as `make demo` starts them (dead runs swept, then the pool
#: waited for), in a process of their own to kill. The job is built from the raw assets alone:
#: the checks that follow the loads hold no pool slot (a dbt build is killed in its own test),
#: and importing the whole code location would cost each process 13 s.
_LOAD = """
import dagster as dg
from orchestration.ingestion.assets import (
    PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, RAW_SELECTION, build_raw_assets,
    raw_load_job,
)
from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.reader import landing_days
from orchestration.resources import default_resources
from orchestration.runs import wait_for_pool
from orchestration.settings import Settings

settings = Settings.from_env()
days = landing_days(settings.landing_dir)
definitions = dg.Definitions(
    assets=build_raw_assets(load_contracts(), settings),
    # The load job's raw assets, run as it runs them, without its checks (not loaded here).
    jobs=[
        dg.define_asset_job(
            raw_load_job.name,
            selection=RAW_SELECTION.without_checks(),
            executor_def=raw_load_job.executor_def,
        )
    ],
    resources=default_resources(settings),
)
with dg.DagsterInstance.get() as instance:
    wait_for_pool(instance)
    result = definitions.resolve_job_def("load_landing").execute_in_process(
        instance=instance,
        tags={PARTITION_RANGE_START_TAG: days[0], PARTITION_RANGE_END_TAG: days[-1]},
    )
raise SystemExit(0 if result.success else 1)
"""


def _simulate(work: Path, seed: int) -> None:
    """150 people over two days into work/landing (and their truth into work/truth)."""
    simulate(
        SimulationConfig(
            people=150,
            days=2,
            start=date(2026, 2, 1),
            seed=seed,
            landing_dir=work / "landing",
            truth_dir=work / "truth",
            workers=1,
            progress=False,
        )
    )


def _environment(work: Path, name: str) -> dict[str, str]:
    """A warehouse ``name`` over the shared landing folder, with its own Dagster instance (the
    repository's dagster.yaml: the writer pool of one) and state."""
    home = work / name / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "CONNECT360_LANDING_DIR": str(work / "landing"),
        "CONNECT360_WAREHOUSE": str(work / name / "warehouse.duckdb"),
        "CONNECT360_STATE_DIR": str(work / name / "state"),
        "CONNECT360_QUALITY_DIR": str(work / name / "quality"),
    }


def _checksums(path: Path, schemas: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Rows and a hash of their content per table of ``schemas``, leaving out when and by
    which load or run a row was written."""
    connection = duckdb.connect(str(path), read_only=True)
    try:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(?) and table_type = 'BASE TABLE' order by all",
            [list(schemas)],
        ).fetchall()
        sums = {}
        for schema, table in tables:
            columns = [
                f'"{name}"'
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name not in ("_load_id", "_loaded_at", "loaded_at", "run_id")
            ]
            sums[f"{schema}.{table}"] = connection.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)})), 0) "
                f'from "{schema}"."{table}"'
            ).fetchone()
        return sums
    finally:
        connection.close()


def _holders(environment: dict[str, str]) -> set[str]:
    with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
        info = instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        return {slot.run_id for slot in info.claimed_slots}


def _until_held(environment: dict[str, str], load: subprocess.Popen, attempt: int) -> None:
    """Return once a run holds the writer pool (the load about to be killed)."""
    deadline = time.monotonic() + 120
    while not _holders(environment):
        assert load.poll() is None, f"attempt {attempt}: the load ended before holding a slot"
        assert time.monotonic() < deadline, "the load never took the pool"
        time.sleep(0.01)


def _start_load(environment: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-c", _LOAD],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_a_killed_load_never_blocks_the_next_and_the_rerun_equals_a_clean_load(
    tmp_path: Path,
) -> None:
    """Five times: kill -9 a load at a random point while it holds the warehouse pool, then
    load again. Each re-run must find the dead run, free its slot without
    help, complete, and leave raw, quarantine and the flagged fields equal to a clean load."""
    _simulate(tmp_path, seed=21)
    schemas = ("raw", "quarantine")
    clean = _environment(tmp_path, "clean")
    log = tmp_path / "loads.log"
    started = time.monotonic()
    assert _start_load(clean, log).wait(timeout=300) == 0, log.read_text()[-3000:]
    load_seconds = time.monotonic() - started
    expected = _checksums(Path(clean["CONNECT360_WAREHOUSE"]), schemas)
    assert sum(rows for rows, _ in expected.values()) > 500

    killed = _environment(tmp_path, "killed")
    chance = random.Random(7)
    for attempt in range(5):
        load = _start_load(killed, log)
        _until_held(killed, load, attempt)
        time.sleep(chance.uniform(0, load_seconds / 3))
        # The run frees the slot between its steps and takes it again: kill while it holds it.
        _until_held(killed, load, attempt)
        load.send_signal(signal.SIGKILL)
        load.wait()
        assert _holders(killed), "the killed run should still hold its slot, as Dagster leaves it"
        rerun = _start_load(killed, log)
        assert rerun.wait(timeout=300) == 0, log.read_text()[-3000:]
        assert _checksums(Path(killed["CONNECT360_WAREHOUSE"]), schemas) == expected
        assert not _holders(killed)

    with dg.DagsterInstance.from_config(killed["DAGSTER_HOME"]) as instance:
        statuses = [record.dagster_run.status for record in instance.get_run_records()]
        assert statuses.count(dg.DagsterRunStatus.FAILURE) == 5
        assert statuses.count(dg.DagsterRunStatus.SUCCESS) == 5
        assert sweep_dead_runs(instance, log=lambda line: None) == []
    assert log.read_text().count("with no live process: marked failed, 1 pool slot(s) freed") == 5


#: The staging models the dbt kill test builds: the largest incremental ones, with their tests.
_STAGING = ("stg_web__events", "stg_crm__contacts", "stg_orders__orders", "stg_consent__events")


#: Only the tests whose every parent is built; no unit tests (they test SQL, not data).
_BUILD_OPTIONS = ("--indirect-selection", "cautious", "--exclude-resource-type", "unit_test")


def _dbt(
    command: str, selection: tuple[str, ...], environment: dict[str, str], work: Path, log: Path
) -> subprocess.Popen:
    """A dbt command as the pipeline runs it (its output in ``log``)."""
    with log.open("w") as output:
        return subprocess.Popen(
            [
                dbt_executable(),
                command,
                *("--select", *selection),
                *(_BUILD_OPTIONS if command == "build" else ()),
                *("--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT)),
                *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
            ],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _dbt_build(environment: dict[str, str], work: Path, log: Path) -> subprocess.Popen:
    """`dbt build` of some staging models and their data tests."""
    return _dbt("build", _STAGING, environment, work, log)


def _loaded_warehouse(work: Path) -> Path:
    """A small simulated warehouse: every stream's days loaded, the pseudonym key and the
    seeds the staging tests read."""
    _simulate(work, seed=22)
    path = work / "warehouse.duckdb"
    days = [date(2026, 2, 1), date(2026, 2, 2)]
    connection = duckdb.connect(str(path))
    for contract in load_contracts():
        load_days(connection, contract, work / "landing", days)
    connection.execute("create schema restricted")
    connection.execute(
        "create table restricted.pseudonym_key as "
        "select 'kill-test-key-0123456789' as pseudonym_key, 'test' as key_fingerprint"
    )
    connection.close()
    environment = {**os.environ, "CONNECT360_WAREHOUSE": str(path)}
    log = work / "seed.log"
    seeded = _dbt("seed", ("resource_type:seed",), environment, work / "seed", log)
    assert seeded.wait(timeout=600) == 0, log.read_text()
    return path


def _started(log: Path) -> int:
    """Nodes (seeds, models, tests) a build has started so far."""
    return log.read_text(errors="replace").count(" START ")


def test_a_killed_dbt_build_reruns_to_the_same_warehouse(tmp_path: Path) -> None:
    """Five times: kill -9 a dbt build at a random node, then build again: each re-run
    completes and leaves the staging tables equal to a build that was never interrupted."""
    clean_path = _loaded_warehouse(tmp_path)
    clean = {**os.environ, "CONNECT360_WAREHOUSE": str(clean_path)}
    killed_path = tmp_path / "killed.duckdb"
    shutil.copy(clean_path, killed_path)
    killed = {**os.environ, "CONNECT360_WAREHOUSE": str(killed_path)}

    log = tmp_path / "clean.log"
    assert _dbt_build(clean, tmp_path / "clean", log).wait(timeout=600) == 0, log.read_text()
    nodes = _started(log)
    expected = _checksums(clean_path, ("staging",))
    assert set(expected) == {f"staging.{model}" for model in _STAGING}
    assert nodes > 20

    chance = random.Random(11)
    for attempt in range(5):
        log = tmp_path / f"killed-{attempt}.log"
        build = _dbt_build(killed, tmp_path / "killed", log)
        kill_at = chance.randrange(1, nodes)
        while _started(log) < kill_at:
            assert build.poll() is None, f"the build ended before node {kill_at}"
            time.sleep(0.02)
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert "Finished running" not in log.read_text()
        log = tmp_path / f"rerun-{attempt}.log"
        rerun = _dbt_build(killed, tmp_path / "killed", log)
        assert rerun.wait(timeout=600) == 0, log.read_text()
        assert _checksums(killed_path, ("staging",)) == expected
