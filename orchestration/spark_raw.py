"""Copy the raw tables into the Spark catalog of dbt's ``spark`` target (``python -m`` this module).

On a real Spark deployment the loader writes ``raw.<channel>__<entity>`` into the lakehouse and the
pseudonym key asset writes ``restricted.pseudonym_key`` there; dbt then builds on them. This
bridge is for running the project on Spark from the embedded DuckDB load instead: it copies every
table of the DuckDB ``raw`` schema and the pseudonym key into the Spark warehouse and metastore
that ``profiles.yml``'s ``spark`` target uses (under ``CONNECT360_SPARK_DIR``), replacing earlier
copies. Then ``dbt build --target spark``.

The Spark session is built from that target's ``server_side_parameters``, rendered by dbt, so the
bridge and dbt cannot disagree on where the warehouse and metastore are. The metastore is an
embedded Derby database: one process at a time, so run the bridge and dbt one after the other.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

from dbt.config.profile import read_profile
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context
from pyspark.sql import SparkSession

from orchestration.resources import connect_warehouse
from orchestration.settings import REPO_ROOT, Settings
from orchestration.transform.pseudonym_key import pseudonym_key

PROFILE = "connect360"
TARGET = "spark"
RAW_SCHEMA = "raw"


def spark_settings(profiles_dir: Path = REPO_ROOT, target: str = TARGET) -> dict[str, str]:
    """The target's ``server_side_parameters`` as dbt renders them (env vars resolved)."""
    set_invocation_context(os.environ)
    outputs = read_profile(str(profiles_dir))[PROFILE]["outputs"]
    rendered = ProfileRenderer({}).render_data(outputs[target])
    settings = {str(key): str(value) for key, value in rendered["server_side_parameters"].items()}
    # As dbt-spark has it: it sets this on its sessions whatever the profile says.
    settings["spark.sql.ansi.enabled"] = "false"
    return settings


def spark_session(profiles_dir: Path = REPO_ROOT, target: str = TARGET) -> SparkSession:
    """A Spark session on the target's warehouse and metastore, built as dbt-spark builds it.

    Relative paths in the settings are taken from the working directory, as dbt takes them.
    """
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_settings(profiles_dir, target).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _local_path(uri: str) -> Path:
    """A ``file:`` location of the Spark catalog as a path: the bridge writes local files."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"the bridge writes local files; the Spark catalog is at {uri}")
    return Path(unquote(parsed.path))


def copy_to_spark(warehouse_path: Path, spark: SparkSession) -> dict[str, int]:
    """Copy ``raw.*`` and the pseudonym key from DuckDB into Spark; rows per copied table.

    Each table becomes Parquet written by DuckDB in its database's folder of the Spark warehouse,
    registered as a Parquet table there: Spark reads the files as they are, no second copy.
    """
    key_schema, key_table = pseudonym_key.key.path
    copied: dict[str, int] = {}
    with connect_warehouse(warehouse_path, read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = ? or (table_schema = ? and table_name = ?) "
            "order by table_schema, table_name",
            [RAW_SCHEMA, key_schema, key_table],
        ).fetchall()
        for schema, table in tables:
            # JSON columns go over as text: Spark reads JSON with get_json_object from strings.
            columns = ", ".join(
                f'cast("{name}" as varchar) as "{name}"' if data_type == "JSON" else f'"{name}"'
                for name, data_type in connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
            )
            spark.sql(f"create database if not exists {schema}")
            spark.sql(f"drop table if exists {schema}.{table}")
            folder = _local_path(spark.catalog.getDatabase(schema).locationUri) / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            (rows,) = connection.execute(
                f'copy (select {columns} from "{schema}"."{table}") '
                f"to '{folder / 'data.parquet'}' (format parquet)"
            ).fetchone()
            spark.sql(f"create table {schema}.{table} using parquet location '{folder}'")
            copied[f"{schema}.{table}"] = rows
    return copied


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Settings.from_env().warehouse_path,
        help="the DuckDB warehouse to copy from (default: CONNECT360_WAREHOUSE)",
    )
    arguments = parser.parse_args(argv)
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        copied = copy_to_spark(arguments.warehouse, spark)
    finally:
        spark.stop()
    for table, rows in copied.items():
        print(f"{table}: {rows} rows")


if __name__ == "__main__":
    main()
