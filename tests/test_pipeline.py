"""Simulated landing data through the Dagster load job and dbt, checked against the ground truth."""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from simulated import simulate_and_load

from orchestration.identity.accuracy import main as identity_accuracy
from orchestration.identity.accuracy import measure
from orchestration.identity.matching import run_matching
from orchestration.ingestion.contracts import load_contracts
from orchestration.transform.assets import dbt_resource

START = date(2026, 2, 1)
DAYS = 12


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        simulate_and_load(work, people=400, days=DAYS, start=START, seed=7, malformed_rate=0.01)
        # As the Dagster job runs it: the matching attributes, probabilistic matching, then the
        # whole project (the identity graph reads the matches).
        dbt_resource().cli(
            ["build", "--select", "+restricted_match_attributes"], raise_on_error=True
        ).wait()
        with duckdb.connect(str(work / "warehouse.duckdb")) as connection:
            run_matching(connection)
        invocation = dbt_resource().cli(["build"], raise_on_error=True).wait()
        (work / "run_results.json").write_text(
            json.dumps(invocation.get_artifact("run_results.json"))
        )
        (work / "dbt_target").symlink_to(invocation.target_path)
    yield work


def _connect(work: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    connection.execute(f"create temp view truth as select * from '{work}/truth/records.parquet'")
    unions = " union all ".join(
        f"select '{c.stream}' as stream, _source_file as file, _source_line as line, "
        f"record_key, reason from quarantine.{c.stream}"
        for c in load_contracts()
    )
    connection.execute(f"create temp view quarantined as {unions}")
    unions = " union all ".join(
        f"select '{c.stream}' as stream, _source_file as file, _source_line as line, record_key "
        f"from raw.{c.stream}"
        for c in load_contracts()
    )
    connection.execute(f"create temp view loaded as {unions}")
    return connection


def test_quarantine_holds_exactly_the_malformed_and_duplicate_records(pipeline):
    connection = _connect(pipeline)
    bad_in_truth = connection.execute(
        "select count(*) from truth where malformed_kind is not null or is_duplicate"
    ).fetchone()[0]
    wrongly_quarantined = connection.execute(
        """
        select quarantined.stream, quarantined.reason from quarantined
        inner join truth on truth.file = quarantined.file and truth.line = quarantined.line
        where truth.malformed_kind is null and not truth.is_duplicate
        """
    ).fetchall()
    wrongly_loaded = connection.execute(
        """
        select loaded.stream, truth.malformed_kind from loaded
        inner join truth on truth.file = loaded.file and truth.line = loaded.line
        where truth.malformed_kind is not null or truth.is_duplicate
        """
    ).fetchall()
    quarantined = connection.execute("select count(*) from quarantined").fetchone()[0]
    assert bad_in_truth > 20
    assert wrongly_quarantined == []
    assert wrongly_loaded == []
    assert quarantined == bad_in_truth


def test_every_landed_line_is_in_exactly_one_table_with_its_record_key(pipeline):
    connection = _connect(pipeline)
    landed = connection.execute("select count(*) from truth").fetchone()[0]
    placed = connection.execute(
        """
        select count(*), count(distinct (file, line)) from (
            select file, line from loaded union all select file, line from quarantined
        )
        """
    ).fetchone()
    mismatched_keys = connection.execute(
        """
        select count(*) from loaded
        inner join truth on truth.file = loaded.file and truth.line = loaded.line
        where truth.record_key <> loaded.record_key
        """
    ).fetchone()[0]
    assert placed == (landed, landed)
    assert mismatched_keys == 0


def test_event_times_match_the_truth(pipeline):
    """Exports write whole seconds (some milliseconds); the truth keeps the exact instant."""
    connection = _connect(pipeline)
    raw = " union all ".join(
        f"select _source_file as file, _source_line as line, occurred_at from raw.{c.stream}"
        for c in load_contracts()
    )
    off, compared = connection.execute(
        f"""
        select
            count(*) filter (
                where abs(epoch(raw_times.occurred_at) - epoch(truth.occurred_at)) >= 1
            ),
            count(*)
        from truth
        inner join ({raw}) as raw_times
            on raw_times.file = truth.file and raw_times.line = truth.line
        """
    ).fetchone()
    assert compared > 1000
    assert off == 0


def test_dbt_source_tests_ran_against_the_raw_tables(pipeline):
    run_results = json.loads((pipeline / "run_results.json").read_text())
    statuses = {result["unique_id"]: result["status"] for result in run_results["results"]}
    source_tests = {key: status for key, status in statuses.items() if ".source_not_null_" in key}
    # record_key and occurred_at of every raw table, and the pseudonym key
    assert len(source_tests) == 2 * len(load_contracts()) + 1
    assert set(source_tests.values()) == {"pass"}
    assert statuses["seed.connect360.experiments"] == "success"


def test_the_pseudonym_key_appears_in_no_dbt_artifact(pipeline):
    secret = (pipeline / "state" / "pseudonym.key").read_text().strip()
    artifacts = [path for path in (pipeline / "dbt_target").rglob("*") if path.is_file()]
    assert any(path.suffix == ".sql" for path in artifacts)
    leaking = [path.name for path in artifacts if secret.encode() in path.read_bytes()]
    assert leaking == []


@pytest.mark.parametrize("schema", ["staging", "identity", "marts"])
def test_no_published_column_holds_a_raw_email_phone_or_handle(pipeline, schema):
    connection = _connect(pipeline)
    connection.execute(
        f"""
        create temp table personal as
        select distinct value from (
            select value from '{pipeline}/truth/identifiers.parquet'
            where identifier_type in ('email', 'phone', 'social_handle')
            union all
            select lower(trim(value)) from '{pipeline}/truth/identifiers.parquet'
            where identifier_type in ('email', 'social_handle')
            union all
            select regexp_replace(value, '[^0-9+]', '', 'g')
            from '{pipeline}/truth/identifiers.parquet'
            where identifier_type = 'phone'
        )
        where length(value) > 5
        """
    )
    columns = connection.execute(
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = '{schema}' and data_type = 'VARCHAR'"
    ).fetchall()
    assert len({table for table, _ in columns}) >= 2
    leaks = [
        f"{table}.{column}"
        for table, column in columns
        if connection.execute(
            f'select count(*) from {schema}."{table}" as model '
            f'inner join personal on personal.value = model."{column}"'
        ).fetchone()[0]
    ]
    assert leaks == []


def test_no_mart_column_is_tagged_as_personal_data(pipeline):
    manifest = json.loads((pipeline / "dbt_target" / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
    assert {node["name"] for node in marts} >= {"customers", "customer_record_bridge"}
    tagged = [
        f"{node['name']}.{column['name']}"
        for node in marts
        for column in node["columns"].values()
        if "pii" in column.get("tags", []) or column.get("meta", {}).get("contains_pii")
    ]
    assert tagged == []
    # Personal data upstream is tagged, so the check above has something to find.
    sources = manifest["sources"].values()
    assert any(
        column.get("meta", {}).get("contains_pii")
        for source in sources
        for column in source["columns"].values()
    )


def test_identity_resolution_matches_the_truth(pipeline):
    figures = measure(pipeline / "warehouse.duckdb", pipeline / "truth")
    assert figures["records"] > 1_000, figures
    assert figures["unattributed_records"] < 0.02 * figures["records"]
    assert figures["pairwise_precision"] >= 0.995, figures
    assert figures["linkable_recall"] >= 0.98


def test_accuracy_command_reads_the_configured_warehouse(pipeline, monkeypatch, capsys):
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(pipeline / "warehouse.duckdb"))
    monkeypatch.setenv("CONNECT360_TRUTH_DIR", str(pipeline / "truth"))
    assert identity_accuracy(["--fingerprint-study"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    runs = {}
    for line in lines:
        runs.setdefault(line["run"], []).append(line)
    [built] = runs["as built"]
    assert built == {"run": "as built", "build_seconds": None} | measure(
        pipeline / "warehouse.duckdb", pipeline / "truth"
    )
    study = runs["fingerprint study"]
    assert [figures["fingerprint_customers_at_most"] for figures in study] == [None, 3, 2]
    # The CRM figures of the warehouse as built, without the baseline (it runs with --build).
    [deduplication] = runs["crm deduplication"]
    assert deduplication["project"]["true_pairs"] > 0
    assert 0 <= deduplication["project"]["f1"] <= 1
