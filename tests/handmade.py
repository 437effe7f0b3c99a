"""A DuckDB warehouse of hand-made raw records, built with dbt: for tests that need exact
records (session boundaries, identity guards) rather than a simulation."""

import json
from pathlib import Path

import duckdb

from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import ensure_tables
from orchestration.transform.assets import dbt_resource


class Warehouse:
    def __init__(self, path: Path) -> None:
        self.path = path
        connection = duckdb.connect(str(path))
        for contract in load_contracts():
            ensure_tables(connection, contract)
        connection.execute("create schema if not exists restricted")
        connection.execute(
            "create table restricted.pseudonym_key as "
            "select 'identity-test-key-0123456789' as pseudonym_key, 'test' as key_fingerprint"
        )
        connection.close()
        self.lines = 0

    def add(self, stream: str, key: str, at: str, payload: dict[str, object]) -> None:
        self.lines += 1
        connection = duckdb.connect(str(self.path))
        connection.execute(
            f"insert into raw.{stream} values (?, ?, ?, ?, ?, ?, ?, now())",
            [key, at, json.dumps(payload), at[:10], f"{stream}/test.jsonl", self.lines, "test"],
        )
        connection.close()

    def build(self, selection: str, variables: str | None = None) -> None:
        """Load the seeds (reference data the models join), then run `selection`, with dbt
        `variables` (JSON) if given."""
        dbt = dbt_resource()
        dbt.cli(["seed"], raise_on_error=True).wait()
        extra = ["--vars", variables] if variables else []
        dbt.cli(["run", "--select", selection, *extra], raise_on_error=True).wait()

    def customer_of(self, record_id: str) -> str | None:
        connection = duckdb.connect(str(self.path), read_only=True)
        row = connection.execute(
            "select customer_id from identity.int_identity__record_customers where record_id = ?",
            [record_id],
        ).fetchone()
        connection.close()
        assert row is not None, f"{record_id} is not in the bridge"
        return row[0]

    def query(self, sql: str) -> list[tuple]:
        connection = duckdb.connect(str(self.path), read_only=True)
        rows = connection.execute(sql).fetchall()
        connection.close()
        return rows


def segment(kind: str, anonymous_id: str, user_id: str | None = None, **extra: object) -> dict:
    return {"type": kind, "anonymousId": anonymous_id, "userId": user_id, **extra}
