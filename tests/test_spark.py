"""The dbt project on Spark: one simulated day through the DuckDB load, copied to Spark as
``python -m orchestration.spark_raw`` does and built with ``dbt build --target spark`` (dbt-spark's
session method, local pyspark), then compared with the same day built on DuckDB."""

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession
from simulated import simulate_and_load
from time_texts import TIME_TEXTS

from orchestration.ingestion.validation import timestamp_text_sql
from orchestration.settings import REPO_ROOT
from orchestration.spark_raw import copy_to_spark, spark_session
from orchestration.transform.assets import dbt_executable

START = date(2026, 2, 1)
DAY = START + timedelta(days=1)


@dataclass(frozen=True)
class Builds:
    work: Path
    spark: SparkSession
    #: unique_id -> (schema, table) of every model, as each engine's manifest places it.
    duckdb_models: dict[str, tuple[str, str]]
    spark_models: dict[str, tuple[str, str]]
    spark_results: dict[str, Any]


def _dbt_arguments(command: str, target: str, work: Path) -> list[str]:
    return [
        command,
        "--target",
        target,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target-path",
        str(work / f"{target}_target"),
        "--log-path",
        str(work / f"{target}_logs"),
    ]


def _models(target_path: Path) -> dict[str, tuple[str, str]]:
    manifest = json.loads((target_path / "manifest.json").read_text())
    return {
        unique_id: (node["schema"], node["alias"])
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Builds]:
    work = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        patch.setenv("CONNECT360_SPARK_DIR", str(work / "spark"))
        # Two days simulated, the second loaded: its records come from more channels than the
        # first day's CRM and consent imports.
        simulate_and_load(
            work, people=800, days=2, start=START, seed=7, load_days=(str(DAY), str(DAY))
        )
        # What `python -m orchestration.spark_raw` does, in this process: Spark's metastore is
        # an embedded Derby database that one process opens at a time, and dbt below runs here
        # too, its session method picking up this session.
        spark = spark_session()
        try:
            copied = copy_to_spark(work / "warehouse.duckdb", spark)
            assert copied["restricted.pseudonym_key"] == 1
            # DuckDB builds the same seeds and models meanwhile, to compare with (no tests: they
            # run on DuckDB in tests/test_pipeline.py).
            with (work / "duckdb.log").open("w") as log:
                on_duckdb = subprocess.Popen(
                    [
                        dbt_executable(),
                        *_dbt_arguments("build", "duckdb", work),
                        *("--exclude-resource-type", "test", "unit_test"),
                    ],
                    cwd=REPO_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
                on_spark = dbtRunner().invoke(_dbt_arguments("build", "spark", work))
                duckdb_status = on_duckdb.wait()
            assert on_spark.exception is None, on_spark.exception
            assert duckdb_status == 0, (work / "duckdb.log").read_text()[-3000:]
            yield Builds(
                work=work,
                spark=spark,
                duckdb_models=_models(work / "duckdb_target"),
                spark_models=_models(work / "spark_target"),
                spark_results=json.loads((work / "spark_target" / "run_results.json").read_text()),
            )
        finally:
            spark.stop()


@pytest.fixture(scope="module")
def warehouse(builds: Builds) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(builds.work / "warehouse.duckdb"), read_only=True)
    connection.execute("set TimeZone = 'UTC'")
    yield connection
    connection.close()


def test_dbt_builds_seeds_models_and_every_test_on_spark(builds):
    statuses = {result["unique_id"]: result["status"] for result in builds.spark_results["results"]}
    failed = {
        unique_id: status
        for unique_id, status in statuses.items()
        if status not in ("success", "pass")
    }
    kinds = {unique_id.split(".")[0] for unique_id in statuses}
    assert failed == {}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    assert set(builds.spark_models) <= set(statuses)


def _value(value: Any) -> Any:
    """A value as both engines' Python clients can agree on it: instants in UTC."""
    if isinstance(value, datetime):
        # DuckDB returns timestamptz in its time zone; pyspark returns local naive datetimes.
        return value.astimezone(UTC)
    return value


def _rows(rows: list[tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    """Rows by their first column, each model's key."""
    return {row[0]: tuple(_value(value) for value in row) for row in rows}


def test_every_model_has_the_same_number_of_rows_on_spark_and_duckdb(builds, warehouse):
    assert set(builds.spark_models) == set(builds.duckdb_models)
    missing = [
        unique_id
        for unique_id, (schema, table) in builds.spark_models.items()
        if not builds.spark.catalog.tableExists(table, schema)
    ]
    assert missing == []
    counts: dict[str, tuple[int, int]] = {}
    for unique_id, (schema, table) in builds.duckdb_models.items():
        spark_schema, spark_table = builds.spark_models[unique_id]
        (on_duckdb,) = warehouse.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
        counts[unique_id] = (on_duckdb, builds.spark.table(f"{spark_schema}.{spark_table}").count())
    differing = {unique_id: pair for unique_id, pair in counts.items() if pair[0] != pair[1]}
    assert differing == {}
    assert sum(1 for on_duckdb, _ in counts.values() if on_duckdb > 0) >= 20


def test_staging_models_hold_the_same_values_on_spark_and_duckdb(builds, warehouse):
    differing: dict[str, list[str]] = {}
    compared = 0
    for unique_id, (schema, table) in builds.duckdb_models.items():
        if schema != "staging":
            continue
        spark_schema, spark_table = builds.spark_models[unique_id]
        on_duckdb = warehouse.execute(f'select * from "{schema}"."{table}"')
        columns = [column[0] for column in on_duckdb.description]
        duckdb_rows = _rows(on_duckdb.fetchall())
        spark_rows = _rows(
            [
                tuple(row)
                for row in builds.spark.table(f"{spark_schema}.{spark_table}")
                .select(*columns)
                .collect()
            ]
        )
        assert duckdb_rows.keys() == spark_rows.keys(), table
        columns_off = sorted(
            {
                column
                for key, row in duckdb_rows.items()
                for column, ours, theirs in zip(columns, row, spark_rows[key], strict=True)
                if ours != theirs
            }
        )
        if columns_off:
            differing[table] = columns_off
        compared += len(duckdb_rows)
    assert differing == {}
    assert compared > 500


def test_spark_reads_times_as_the_loader_does(builds):
    """to_utc() on Spark reads every kind of timestamp as the loader does on DuckDB."""
    compiled = dbtRunner().invoke(
        [
            *_dbt_arguments("compile", "spark", builds.work),
            *("--inline", "select written, {{ to_utc('written') }} as parsed from time_texts"),
        ]
    )
    assert compiled.exception is None, compiled.exception
    builds.spark.createDataFrame(
        [(text,) for text in TIME_TEXTS], "written string"
    ).createOrReplaceTempView("time_texts")
    sql = compiled.result.results[0].node.compiled_code
    on_spark = {row[0]: _value(row[1]) for row in builds.spark.sql(sql).collect()}
    texts = duckdb.connect()
    texts.execute("create table time_texts as select unnest(?::varchar[]) as written", [TIME_TEXTS])
    loaded = dict(
        texts.execute(f"select written, {timestamp_text_sql('written')} from time_texts").fetchall()
    )
    assert on_spark == {text: _value(value) for text, value in loaded.items()}
    assert len(on_spark) == len(TIME_TEXTS)


def test_both_engines_give_an_email_the_same_keyed_hash(builds, warehouse):
    """Every email key in staging is sha256(key|email|address) on both engines, as in Python."""
    (secret,) = warehouse.execute("select pseudonym_key from restricted.pseudonym_key").fetchone()
    emails = duckdb.sql(
        f"select distinct lower(trim(value)) from '{builds.work}/truth/identifiers.parquet' "
        "where identifier_type = 'email'"
    ).fetchall()
    expected = {
        hashlib.sha256(f"{secret}|email|{email}".encode()).hexdigest() for (email,) in emails
    }
    on_duckdb: set[str] = set()
    on_spark: set[str] = set()
    for unique_id, (schema, table) in builds.duckdb_models.items():
        if schema != "staging":
            continue
        spark_schema, spark_table = builds.spark_models[unique_id]
        for (column,) in warehouse.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? and column_name like '%email_key'",
            [schema, table],
        ).fetchall():
            on_duckdb |= {
                key
                for (key,) in warehouse.execute(
                    f'select "{column}" from "{schema}"."{table}" where "{column}" is not null'
                ).fetchall()
            }
            on_spark |= {
                row[0]
                for row in builds.spark.table(f"{spark_schema}.{spark_table}")
                .where(f"`{column}` is not null")
                .select(column)
                .collect()
            }
    assert len(on_spark) > 50
    assert on_spark == on_duckdb
    assert on_spark <= expected
