"""Reliability: one bad record or one killed run must never stop the warehouse.

The loader's side of it (damaged files, not-quite-JSON, out-of-range numbers, time zones) is in
tests/test_loader.py and the catalogue of malformed input in tests/test_malformed_catalogue.py;
killed loads and dbt builds in tests/test_kill_and_recover.py. This module holds the rest of
what spans the loader, dbt and Dagster: staging tests that warn, a writer waiting for a reader,
a run waiting for the writer pool.
"""

import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from handmade import Warehouse

from orchestration.resources import connect_warehouse
from orchestration.runs import sweep_dead_runs, wait_for_pool
from orchestration.settings import WAREHOUSE_POOL
from orchestration.transform.assets import dbt_resource, wait_for_the_warehouse


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


_HOLD_OPEN = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


def _hold_open(path: Path, seconds: float) -> subprocess.Popen:
    """A BI tool's reader: another process holding the warehouse open read-only."""
    reader = subprocess.Popen(
        [sys.executable, "-c", _HOLD_OPEN, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    return reader


def test_a_writer_waits_for_a_reader_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    reader = _hold_open(path, 3)
    lines: list[str] = []
    started = time.monotonic()
    connection = connect_warehouse(path, log=lines.append)
    waited = time.monotonic() - started
    connection.execute("create table written as select 1 as one")
    connection.close()
    reader.wait()
    assert 1.5 < waited < 30
    assert lines[0].startswith("waiting for the warehouse warehouse.duckdb: ")
    assert f"(PID {reader.pid})" in lines[0]
    assert "giving up after 120 s" in lines[0]
    assert lines[-1].startswith("the warehouse warehouse.duckdb is free after")


def test_a_dbt_step_waits_for_a_reader_and_says_so(tmp_path: Path, monkeypatch) -> None:
    """dbt-duckdb retries a locked file silently; the dbt steps wait first, in the run's log."""
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(path))
    reader = _hold_open(path, 2)
    lines: list[str] = []
    wait_for_the_warehouse(lines.append)
    reader.wait()
    assert lines[0].startswith("waiting for the warehouse warehouse.duckdb: ")
    assert f"(PID {reader.pid})" in lines[0]


def test_a_writer_gives_up_at_its_timeout_naming_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    reader = _hold_open(path, 20)
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=rf"stayed locked by .*\(PID {reader.pid}\)"):
        connect_warehouse(path, wait_seconds=2, log=lines.append)
    assert 2 <= time.monotonic() - started < 10
    assert len(lines) == 1
    reader.kill()
    reader.wait()


def test_a_live_run_holding_the_pool_is_waited_for_never_swept() -> None:
    """While a live run holds the writer pool, the next writer says what it waits for and, at
    its timeout, gives up; the sweep leaves the live run alone."""
    release = threading.Event()

    @dg.asset(pool=WAREHOUSE_POOL)
    def holds_the_pool() -> None:
        release.wait(timeout=60)

    overrides = {"concurrency": {"pools": {"default_limit": 1}}}
    with dg.instance_for_test(overrides=overrides) as instance:
        holder = threading.Thread(
            target=dg.materialize, args=([holds_the_pool],), kwargs={"instance": instance}
        )
        holder.start()
        deadline = time.monotonic() + 30
        while not instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots:
            assert time.monotonic() < deadline, "the run never took the pool"
            time.sleep(0.05)
        (run_id,) = instance.event_log_storage.get_concurrency_run_ids()
        lines: list[str] = []
        with pytest.raises(TimeoutError, match="pool stayed taken"):
            wait_for_pool(instance, log=lines.append, timeout_seconds=1)
        assert lines[0].startswith(f"waiting for the {WAREHOUSE_POOL} pool (1 of 1 slot(s) taken")
        assert run_id in lines[0]
        assert sweep_dead_runs(instance, log=lines.append) == []
        release.set()
        holder.join()
        assert wait_for_pool(instance, log=lines.append, timeout_seconds=5) < 5
