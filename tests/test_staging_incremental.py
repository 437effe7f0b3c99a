"""Incremental staging (macros/landed_records.sql) through dbt: a run after new, reloaded and
late landing days holds exactly what a full rebuild holds — the latest landed copy of every
record id that still has a copy in raw. The identity graph's occurrences follow staging the same
way (`staged_records`): their incremental run equals a full rebuild too."""

import json
from collections.abc import Iterator

import duckdb
import pytest
from handmade import Warehouse, segment

from orchestration.transform.assets import dbt_resource

MODEL = "stg_web__events"
COLUMNS = "event_id, page_name, _partition_date, _source_file, _source_line"
OCCURRENCES = "int_identity__occurrences"


def page(name: str) -> dict:
    """A page view; each copy's browser is named after its page, so a record's identifier
    changes with the copy staged."""
    return segment("page", f"anon-{name.lower().replace(' ', '-')}", None, name=name)


def land(warehouse: Warehouse, day: str, records: dict[str, str], file: str) -> None:
    """Load one landing day as the loader does: replace the day's rows in one transaction,
    every row stamped with the same `_loaded_at`."""
    connection = duckdb.connect(str(warehouse.path))
    connection.execute("begin")
    connection.execute("delete from raw.web__events where _partition_date = ?", [day])
    for line, (key, name) in enumerate(records.items(), start=1):
        connection.execute(
            "insert into raw.web__events values (?, ?, ?, ?, ?, ?, 'test', now() + to_seconds(?))",
            [key, f"{day}T10:00:00Z", json.dumps(page(name)), day, file, line, warehouse.lines],
        )
    connection.execute("commit")
    connection.close()
    warehouse.lines += 1  # a later load gets a later `_loaded_at`


def staged(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(f"select {COLUMNS} from staging.{MODEL} order by event_id")


def occurrences(warehouse: Warehouse) -> list[tuple]:
    return warehouse.query(f"select * from identity.{OCCURRENCES} order by all")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    warehouse = Warehouse(tmp_path_factory.mktemp("staging") / "warehouse.duckdb")
    patch = pytest.MonkeyPatch()
    patch.setenv("CONNECT360_WAREHOUSE", str(warehouse.path))
    land(warehouse, "2026-03-01", {"kept": "Old copy", "fallback": "Day one copy"}, "d1.jsonl")
    land(
        warehouse,
        "2026-03-02",
        {"changed": "Before", "withdrawn": "Gone later", "fallback": "Day two copy"},
        "d2.jsonl",
    )
    land(warehouse, "2026-03-03", {"late": "First copy"}, "d3.jsonl")
    warehouse.build(f"+{OCCURRENCES}")
    yield warehouse
    patch.undo()


def test_incremental_run_equals_a_full_rebuild(warehouse: Warehouse) -> None:
    before = dict((row[0], row[1]) for row in staged(warehouse))
    assert before == {
        "kept": "Old copy",
        "fallback": "Day two copy",  # the later landing day wins
        "changed": "Before",
        "withdrawn": "Gone later",
        "late": "First copy",
    }
    # Day 2 is reloaded: one record changed, two gone (one of them still has a day-1 copy).
    land(warehouse, "2026-03-02", {"changed": "After"}, "d2-corrected.jsonl")
    # A new day brings a new record and a later copy of a day-3 record (a webhook retry).
    land(warehouse, "2026-03-04", {"new": "New", "late": "Retried copy"}, "d4.jsonl")
    warehouse.build(f"+{OCCURRENCES}")
    incremental = staged(warehouse)
    assert {row[0]: row[1] for row in incremental} == {
        "kept": "Old copy",
        "fallback": "Day one copy",
        "changed": "After",
        "late": "Retried copy",
        "new": "New",
    }
    assert [row[2].isoformat() for row in incremental if row[0] == "fallback"] == ["2026-03-01"]
    identifiers = warehouse.query(
        f"select split_part(record_id, ':', 2), identifier_value from identity.{OCCURRENCES} "
        "where source_stream = 'web__events' order by 1"
    )
    assert identifiers == [
        ("changed", "anon-after"),
        ("fallback", "anon-day-one-copy"),
        ("kept", "anon-old-copy"),
        ("late", "anon-retried-copy"),
        ("new", "anon-new"),
    ]
    incremental_occurrences = occurrences(warehouse)
    dbt_resource().cli(
        ["run", "--select", f"{MODEL} {OCCURRENCES}", "--full-refresh"], raise_on_error=True
    ).wait()
    assert staged(warehouse) == incremental
    assert occurrences(warehouse) == incremental_occurrences


def test_a_run_without_new_landings_changes_nothing(warehouse: Warehouse) -> None:
    before = warehouse.query(f"select * from staging.{MODEL} order by event_id")
    occurrences_before = occurrences(warehouse)
    warehouse.build(f"+{OCCURRENCES}")
    assert warehouse.query(f"select * from staging.{MODEL} order by event_id") == before
    assert occurrences(warehouse) == occurrences_before


def test_other_identity_rules_rebuild_every_occurrence(warehouse: Warehouse) -> None:
    """Blocking a value rebuilds the occurrences of records staged long before, and lifting
    the block brings them back; nothing else changes."""

    def identifiers() -> dict[str, str | None]:
        return dict(
            warehouse.query(
                f"select split_part(record_id, ':', 2), identifier_value "
                f"from identity.{OCCURRENCES} where source_stream = 'web__events'"
            )
        )

    before = identifiers()
    assert before["kept"] == "anon-old-copy"
    blocklist = {"anonymous_id": {"values": ["anon-old-copy"], "patterns": []}}
    dbt_resource().cli(
        ["run", "--select", OCCURRENCES, "--vars", json.dumps({"identity_blocklist": blocklist})],
        raise_on_error=True,
    ).wait()
    assert identifiers() == before | {"kept": None}
    dbt_resource().cli(["run", "--select", OCCURRENCES], raise_on_error=True).wait()
    assert identifiers() == before
