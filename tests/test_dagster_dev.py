"""`dagster dev` as a data engineer runs it: the UI serves the asset graph in a few layer groups,
the landing sensor and the build that follows each load keep the whole warehouse current, the
error suites withhold what they guard (the runs succeed), and a one-day reload launched from the
UI is quick.

One server runs the whole module on a small simulated landing directory (demo scale per day:
5,000 people); the test drives it only through its GraphQL API and the landing folders.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.automation import BUILD_JOB
from orchestration.ingestion.contracts import load_contracts
from simulator import SimulationConfig, simulate

REPO_ROOT = Path(__file__).resolve().parents[1]
START = date(2026, 1, 1)
#: Days landed when the server starts; one more lands later, as the next morning's files would.
FIRST_DAYS = 2
ASSET_NODES = """
{ assetNodes { assetKey { path } groupName description pools
  owners { ... on UserAssetOwner { email } } } }
"""
RUNS = """
{ runsOrError { ... on Runs { results {
  runId jobName status startTime endTime tags { key value } } } } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN_STATUS = """
query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["data"]
    except (OSError, KeyError, TypeError, ValueError):
        return None


def _default_signals() -> None:
    """In the child: stop and interrupt as usual. A test process may ignore them (a background
    job ignores SIGINT, and Dagster's in-process runs map SIGTERM to SIGINT's handler), and a
    child inherits ignored signals."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _day(run: dict) -> str | None:
    """The landing day a load run was for (its partition tag)."""
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    return tags.get("dagster/partition")


def _land(simulated: Path, landing: Path, days: list[date]) -> None:
    """Copy the simulated landing folders of ``days`` (every channel) into the landing dir."""
    for channel in sorted(path for path in simulated.iterdir() if path.is_dir()):
        for day in days:
            folder = channel / day.isoformat()
            if folder.is_dir():
                shutil.copytree(folder, landing / channel.name / day.isoformat())


class Server:
    def __init__(self, port: int, home: Path, warehouse: Path, landing: Path, simulated: Path):
        self.port = port
        self.home = home
        self.warehouse = warehouse
        self.landing = landing
        self.simulated = simulated

    def runs(self) -> list[dict]:
        data = _graphql(self.port, RUNS)
        return data["runsOrError"]["results"] if data else []

    def wait_for_build(self, days: list[date], timeout: float) -> list[dict]:
        """Wait until every load of ``days`` has finished, one of each day successfully, and
        the builds started after the last of them have finished; returns those builds.

        Between a load's end and the build the sensor requests for it, every run may be
        finished: "all runs finished" alone would return on the build before the load.
        """
        wanted = {day.isoformat() for day in days}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(5)
            runs = self.runs()
            loads = [
                run for run in runs if run["jobName"] == "load_landing" and _day(run) in wanted
            ]
            loaded = {_day(run) for run in loads if run["status"] == "SUCCESS"}
            if loaded != wanted or any(run["status"] not in FINISHED for run in loads):
                continue
            # A build that started once the loads had finished read them (the writer pool
            # runs one at a time); one requested earlier but queued behind a load counts too.
            last_load = max(run["endTime"] for run in loads)
            builds = [
                run
                for run in runs
                if run["jobName"] == BUILD_JOB and (run["startTime"] or 0) >= last_load
            ]
            if builds and all(run["status"] in FINISHED for run in builds):
                return builds
        raise AssertionError(f"no {BUILD_JOB} run after the loads of {sorted(wanted)} finished")

    def launch_load(self, day: date) -> str:
        data = _graphql(
            self.port,
            LAUNCH,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": "connect360",
                        "repositoryName": "__repository__",
                        "jobName": "load_landing",
                    },
                    "executionMetadata": {
                        "tags": [{"key": "dagster/partition", "value": day.isoformat()}]
                    },
                }
            },
        )
        assert data is not None
        launched = data["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def wait_for_run(self, run_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = _graphql(self.port, RUN_STATUS, {"id": run_id})
            status = data and data["runOrError"].get("status")
            if status in FINISHED:
                return status
            time.sleep(0.5)
        raise AssertionError(f"run {run_id} did not finish in {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("dagster_dev")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home)
    simulated = root / "simulated"
    simulate(
        SimulationConfig(
            people=5000,
            days=FIRST_DAYS + 1,
            start=START,
            seed=7,
            landing_dir=simulated,
            truth_dir=root / "truth",
            overwrite=True,
        )
    )
    landing = root / "landing"
    landing.mkdir()
    _land(simulated, landing, [START + timedelta(days=n) for n in range(FIRST_DAYS)])
    warehouse = root / "warehouse" / "connect360.duckdb"
    env = os.environ | {
        "DAGSTER_HOME": str(home),
        "CONNECT360_LANDING_DIR": str(landing),
        "CONNECT360_WAREHOUSE": str(warehouse),
        "CONNECT360_STATE_DIR": str(root / "state"),
        "CONNECT360_QUALITY_DIR": str(root / "quality"),
        "CONNECT360_TRUTH_DIR": str(root / "truth"),
    }
    port = _free_port()
    dagster = str(Path(sys.prefix) / "bin" / "dagster")
    process = subprocess.Popen(
        [dagster, "dev", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=(root / "dagster.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_signals,  # noqa: PLW1509 - it only resets two signal handlers
    )
    try:
        yield Server(port, home, warehouse, landing, simulated)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise


def test_dagster_dev_serves_the_asset_graph_in_layer_groups(server):
    deadline = time.monotonic() + 180
    nodes = None
    while not nodes and time.monotonic() < deadline:
        time.sleep(2)
        data = _graphql(server.port, ASSET_NODES)
        nodes = data and data["assetNodes"]
    assert nodes, "dagster dev did not serve the asset graph within 180 s"
    by_key = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    for contract in load_contracts():
        node = by_key[f"raw/{contract.stream}"]
        assert node["groupName"] == "raw"
        assert node["owners"] == [{"email": contract.owner}]
        assert node["description"].startswith(contract.title)
        assert node["pools"] == ["duckdb_warehouse"]
    groups = {node["groupName"] for node in nodes}
    assert len(groups) <= 10, sorted(groups)
    assert {"raw", "staging", "identity", "journeys", "marts"} <= groups


def test_each_landed_day_is_carried_through_to_the_marts(server):
    """The landing sensor loads the days, the build follows each load, the error suites
    withhold the activation marts; a day landed later reaches the marts the same way."""
    first_days = [START + timedelta(days=n) for n in range(FIRST_DAYS)]
    first = server.wait_for_build(first_days, timeout=900)
    # The injected breaches fail checks and withhold the activation marts: the runs succeed.
    assert [run["status"] for run in first] == ["SUCCESS"] * len(first), first
    with duckdb.connect(str(server.warehouse), read_only=True) as connection:
        days_in_marts = connection.execute(
            "select count(distinct cast(occurred_at as date)) from marts.touchpoints"
        ).fetchone()[0]
        audience = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'marketing_audience'"
        ).fetchone()[0]
    assert days_in_marts >= FIRST_DAYS
    assert audience == 0, "the activation mart was built although an error suite failed"

    later = START + timedelta(days=FIRST_DAYS)
    _land(server.simulated, server.landing, [later])
    second = server.wait_for_build([later], timeout=900)
    assert [run["status"] for run in second] == ["SUCCESS"] * len(second), second
    with duckdb.connect(str(server.warehouse), read_only=True) as connection:
        raw_rows, mart_rows = connection.execute(
            "select (select count(*) from raw.web__events where _partition_date = ?), "
            "(select count(*) from marts.touchpoints where cast(occurred_at as date) = ?)",
            [later, later],
        ).fetchone()
    assert raw_rows > 0
    assert mart_rows > 0, f"the day landed later ({later}) did not reach marts.touchpoints"

    # The checks ran in the builds, and a blocking one failed on the injected breaches.
    with dg.DagsterInstance.from_config(str(server.home)) as instance:
        for run in first + second:
            evaluations = [
                record.event_log_entry.dagster_event.event_specific_data
                for record in instance.get_records_for_run(
                    run["runId"], of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
                ).records
            ]
            assert evaluations, f"build {run['runId']} ran no quality check"
            assert any(
                not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
                for evaluation in evaluations
            )
            # Every dbt model the build materialized reports its row count and column types.
            materialized = [
                record.event_log_entry.dagster_event.event_specific_data.materialization
                for record in instance.get_records_for_run(
                    run["runId"], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                ).records
            ]
            models = [m for m in materialized if "unique_id" in m.metadata]
            assert models
            assert all("dagster/column_schema" in m.metadata for m in models)
            assert all("dagster/row_count" in m.metadata for m in models)


def test_a_one_day_reload_from_the_ui_takes_well_under_a_minute(server):
    day = START + timedelta(days=FIRST_DAYS)
    began = time.monotonic()
    run_id = server.launch_load(day)
    status = server.wait_for_run(run_id, timeout=300)
    seconds = time.monotonic() - began
    print(f"one-day reload through dagster dev: {seconds:.1f} s ({status})")
    assert status == "SUCCESS"
    assert seconds < 60
