"""The ground truth kept aside from the landing data: Parquet tables and a manifest.

`records` has one row per landed line; `moments` one row per journey moment occurrence, whose
granularity and outcomes `simulator.moments` defines. A moment record's `moment_id` names its
row in `moments`. `people` has each person's names and birth date as they really are;
`crm_contacts` one row per CRM contact that landed (`simulator.crm`): the person's own contact
(`original`), the same person entered again in the primary CRM (`duplicate`), or their contact
in the acquired company's CRM (`second_system`). A CRM record's `record_key` starts with its
`crm_id`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

TIMESTAMP = pa.timestamp("ms", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "records": pa.schema(
        [
            ("channel", pa.string()),
            ("entity", pa.string()),
            ("landing_date", pa.date32()),
            ("file", pa.string()),
            ("line", pa.int64()),
            ("record_key", pa.string()),
            ("person_id", pa.string()),
            ("journey_stage", pa.string()),
            ("moment_id", pa.string()),
            ("occurred_at", TIMESTAMP),
            ("is_duplicate", pa.bool_()),
            ("is_late", pa.bool_()),
            ("malformed_kind", pa.string()),
        ]
    ),
    "moments": pa.schema(
        [
            ("moment_id", pa.string()),
            ("person_id", pa.string()),
            ("moment", pa.string()),
            ("started_at", TIMESTAMP),
            ("completed_at", TIMESTAMP),
            ("channels", pa.string()),
            ("records", pa.int32()),
            ("outcome", pa.string()),
        ]
    ),
    "people": pa.schema(
        [
            ("person_id", pa.string()),
            ("persona", pa.string()),
            ("household_id", pa.string()),
            ("home_timezone", pa.string()),
            ("country_code", pa.string()),
            ("city", pa.string()),
            ("home_store_id", pa.string()),
            ("is_existing_customer", pa.bool_()),
            ("first_seen_at", TIMESTAMP),
            ("signup_at", TIMESTAMP),
            ("first_purchase_at", TIMESTAMP),
            ("activated_at", TIMESTAMP),
            ("subscribed_at", TIMESTAMP),
            ("churned_at", TIMESTAMP),
            ("is_churned", pa.bool_()),
            ("erased_at", TIMESTAMP),
            ("orders", pa.int32()),
            ("has_app", pa.bool_()),
            ("records", pa.int32()),
            ("first_name", pa.string()),
            ("last_name", pa.string()),
            ("date_of_birth", pa.date32()),
        ]
    ),
    "crm_contacts": pa.schema(
        [
            ("person_id", pa.string()),
            ("crm_system", pa.string()),
            ("crm_id", pa.string()),
            ("kind", pa.string()),
            ("entry_path", pa.string()),
            ("created_at", TIMESTAMP),
        ]
    ),
    "identifiers": pa.schema(
        [
            ("person_id", pa.string()),
            ("identifier_type", pa.string()),
            ("value", pa.string()),
            ("is_junk", pa.bool_()),
            ("is_shared", pa.bool_()),
        ]
    ),
    "violations": pa.schema(
        [
            ("rule", pa.string()),
            ("channel", pa.string()),
            ("entity", pa.string()),
            ("record_key", pa.string()),
            ("person_id", pa.string()),
            ("detail", pa.string()),
        ]
    ),
    "experiments": pa.schema(
        [
            ("experiment_key", pa.string()),
            ("variant", pa.string()),
            ("primary_metric", pa.string()),
            ("true_effect", pa.float64()),
            ("effect_applies_to", pa.string()),
            ("subjects", pa.int64()),
            ("conversions", pa.int64()),
            ("conversion_rate", pa.float64()),
        ]
    ),
}
PART_TABLES = ("records", "moments", "people", "identifiers", "violations", "crm_contacts")
BATCH_ROWS = 200_000


def to_ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


class TableSink:
    """Row buffer for one truth table, written as one Parquet part in row groups."""

    def __init__(self, path: Path, name: str) -> None:
        self.schema = SCHEMAS[name]
        self.columns: dict[str, list[Any]] = {column: [] for column in self.schema.names}
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, *values: Any) -> None:
        for column, value in zip(self.columns.values(), values, strict=True):
            column.append(value)
        self.rows += 1
        if self.rows % BATCH_ROWS == 0:
            self._flush()

    def _flush(self) -> None:
        batch = pa.record_batch(
            [
                pa.array(values, type=self.schema.field(name).type)
                for name, values in self.columns.items()
            ],
            schema=self.schema,
        )
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_batch(batch)
        for values in self.columns.values():
            values.clear()

    def close(self) -> None:
        if self.rows % BATCH_ROWS or self.writer is None:
            self._flush()
        assert self.writer is not None
        self.writer.close()


def part_path(truth_dir: Path, table: str, part: int) -> Path:
    return truth_dir / ".parts" / f"{table}-{part:04d}.parquet"


def merge_parts(truth_dir: Path, table: str, parts: list[int]) -> int:
    """Concatenate the chunk parts of a table in part order into `<table>.parquet`."""
    rows = 0
    with pq.ParquetWriter(truth_dir / f"{table}.parquet", SCHEMAS[table]) as writer:
        for part in parts:
            path = part_path(truth_dir, table, part)
            source = pq.ParquetFile(path)
            for batch in source.iter_batches(batch_size=BATCH_ROWS):
                writer.write_batch(batch)
                rows += batch.num_rows
            path.unlink()
    return rows


def write_table(truth_dir: Path, table: str, rows: list[dict[str, Any]]) -> None:
    pq.write_table(
        pa.Table.from_pylist(rows, schema=SCHEMAS[table]), truth_dir / f"{table}.parquet"
    )


def write_manifest(truth_dir: Path, manifest: dict[str, Any]) -> None:
    (truth_dir / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
