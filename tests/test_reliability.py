"""Reliability: one bad record or one killed run must never stop the warehouse.

The loader's side of it (damaged files, not-quite-JSON, out-of-range numbers, time zones) is in
tests/test_loader.py; this module holds what spans the loader, dbt and Dagster.
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
import pytest
from handmade import Warehouse

from orchestration.runs import sweep_dead_runs
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL
from orchestration.transform.assets import dbt_resource
from simulator import SimulationConfig, simulate

#: What `make demo` does to load the landing folder, in a process of its own to kill.
_DEMO_LOAD = """
import dagster as dg
from orchestration.demo import _load
from orchestration.ingestion.reader import landing_days
from orchestration.settings import Settings

settings = Settings.from_env()
with dg.DagsterInstance.get() as instance:
    _load(instance, settings, landing_days(settings.landing_dir))
"""


def test_a_bad_staged_value_is_reported_and_the_warehouse_builds_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A survey score staging cannot read (a source that bypassed the loader's checks, or a
    contract looser than staging) fails its staging test as a warning; the models downstream
    still build."""
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    response = {
        "survey_id": "srv-1",
        "survey_type": "nps",
        "responded_at": "2026-03-09T10:00:00Z",
        "respondent": {"email": "reader@example.com"},
    }
    warehouse.add("surveys__responses", "r-good", "2026-03-09T10:00:00Z", response | {"score": 9})
    warehouse.add("surveys__responses", "r-bad", "2026-03-09T11:00:00Z", response | {"score": "x"})
    build = dbt_resource().cli(
        ["build", "--select", "+int_touchpoints_unioned"], raise_on_error=False
    )
    build.wait()
    statuses = {
        result["unique_id"].split(".")[2]: result["status"]
        for result in build.get_artifact("run_results.json")["results"]
    }
    assert statuses["not_null_stg_surveys__responses_score"] == "warn"
    assert statuses["stg_surveys__responses"] == "success"
    assert statuses["int_touchpoints_unioned"] == "success"
    assert not [name for name, status in statuses.items() if status in ("error", "fail", "skipped")]
    rows = warehouse.query(
        "select response_id, score from staging.stg_surveys__responses order by 1"
    )
    assert rows == [("r-bad", None), ("r-good", 9)]


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


def _start_load(environment: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-c", _DEMO_LOAD],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_a_killed_load_never_blocks_the_next_and_the_rerun_equals_a_clean_load(
    tmp_path: Path,
) -> None:
    """Five times: kill -9 a load at a random point while it holds the warehouse pool, then
    load again as `make demo` does. Each re-run must find the dead run, free its slot without
    help, complete, and leave raw, quarantine and the flagged fields equal to a clean load."""
    simulate(
        SimulationConfig(
            people=150,
            days=2,
            start=date(2026, 2, 1),
            seed=21,
            landing_dir=tmp_path / "landing",
            truth_dir=tmp_path / "truth",
            workers=1,
            progress=False,
        )
    )
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
        deadline = time.monotonic() + 120
        while not _holders(killed):
            assert load.poll() is None, f"attempt {attempt}: the load ended before holding a slot"
            assert time.monotonic() < deadline, "the load never took the pool"
            time.sleep(0.05)
        time.sleep(chance.uniform(0, load_seconds / 3))
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
    assert log.read_text().count("with no live process: marked failed") == 5
