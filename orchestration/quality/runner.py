"""Run the Great Expectations suites on bounded batches from the warehouse; keep the results.

The GE project is the repository's ``gx/`` folder (suites under version control). Validation
results and the Data Docs site go under the quality folder (env ``CONNECT360_QUALITY_DIR``,
default ``data/quality``), so every run adds to their history and tests keep their own.

Which landing days a ``by_landing_day`` suite has validated is kept in
``<quality dir>/validated.json`` with a fingerprint of each day's rows: a day is validated again
when its rows change (a late record, a reload, a rebuilt warehouse).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from orchestration.quality.data_docs import localize
from orchestration.quality.suites import BATCH_ROWS, Suite, parameters
from orchestration.settings import REPO_ROOT

QUALITY_DIR_VARIABLE = "CONNECT360_QUALITY_DIR"
DATASOURCE = "warehouse"
BATCH_DEFINITION = "whole_batch"
#: Failing keys kept per expectation in the check's metadata (the results keep them all).
SAMPLE_KEYS = 20
#: Distinct failing values each expectation's Data Docs page lists.
DOCS_FAILING_VALUES = 500


def quality_dir() -> Path:
    value = Path(os.environ.get(QUALITY_DIR_VARIABLE) or "data/quality").expanduser()
    return value if value.is_absolute() else REPO_ROOT / value


def open_context(directory: Path | None = None) -> Any:
    """The repository's file-backed GE context, writing results under ``directory``."""
    directory = directory or quality_dir()
    directory.mkdir(parents=True, exist_ok=True)
    # great_expectations.yml reads the results and Data Docs folders from this variable.
    os.environ[QUALITY_DIR_VARIABLE] = str(directory)
    return gx.get_context(mode="file", project_root_dir=str(REPO_ROOT))


@dataclass
class ExpectationOutcome:
    rule: str
    expectation: str
    success: bool
    unexpected: int
    evaluated: int
    sample_keys: list[dict[str, object]] = field(default_factory=list)
    #: Unexpected rows per guarded asset (``folder/name``), for suites whose rows guard
    #: different assets.
    unexpected_by_asset: Counter[str] = field(default_factory=Counter)


@dataclass
class SuiteOutcome:
    """What one suite found in this run, over all its batches."""

    suite: str
    severity: str
    batches: list[str] = field(default_factory=list)
    rows: int = 0
    expectations: dict[str, ExpectationOutcome] = field(default_factory=dict)
    result_keys: list[ValidationResultIdentifier] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(outcome.success for outcome in self.expectations.values())

    @property
    def violations(self) -> dict[str, int]:
        return {rule: outcome.unexpected for rule, outcome in self.expectations.items()}

    def violations_of(self, asset: str) -> dict[str, int]:
        """Unexpected rows by rule among the rows guarding ``asset``."""
        return {
            rule: outcome.unexpected_by_asset[asset]
            for rule, outcome in self.expectations.items()
            if outcome.unexpected_by_asset[asset]
        }


class ValidationLedger:
    """Which landing days each suite validated, and the fingerprint of their rows then."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "validated.json"
        self.days: dict[str, dict[str, str]] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )

    def pending(self, suite: str, fingerprints: dict[str, str]) -> list[str]:
        done = self.days.get(suite, {})
        return sorted(day for day, print_ in fingerprints.items() if done.get(day) != print_)

    def record(self, suite: str, fingerprints: dict[str, str]) -> None:
        self.days.setdefault(suite, {}).update(fingerprints)

    def save(self) -> None:
        self.path.write_text(json.dumps(self.days, indent=1, sort_keys=True))


def _day_fingerprints(connection: duckdb.DuckDBPyConnection, suite: Suite) -> dict[str, tuple]:
    if suite.fingerprint_sql is not None:
        sql = (
            "select cast(_partition_date as varchar), rows, digest "
            f"from ({suite.fingerprint_sql}) as days"
        )
    else:
        assert isinstance(suite.sql, str), "a by_landing_day suite reads a fixed select"
        sql = (
            "select cast(_partition_date as varchar), count(*), bit_xor(hash(batch)) "
            f"from ({suite.sql}) as batch group by 1"
        )
    try:
        rows = connection.execute(sql).fetchall()
    except duckdb.CatalogException:
        # The table the days come from is not built yet: nothing to validate.
        return {}
    return {day: (count, str(digest)) for day, count, digest in rows}


def _day_batches(days: list[str], counts: dict[str, int]) -> Iterator[list[str]]:
    """Consecutive whole days, at most BATCH_ROWS rows a batch (a bigger day stands alone)."""
    batch: list[str] = []
    rows = 0
    for day in days:
        if batch and rows + counts[day] > BATCH_ROWS:
            yield batch
            batch, rows = [], 0
        batch.append(day)
        rows += counts[day]
    if batch:
        yield batch


def _frames(
    connection: duckdb.DuckDBPyConnection,
    suite: Suite,
    ledger: ValidationLedger,
    shared: dict[str, pd.DataFrame],
) -> Iterator[tuple[str, pd.DataFrame, dict[str, str]]]:
    if suite.mode == "candidates":
        sql = suite.sql(connection) if callable(suite.sql) else suite.sql  # type: ignore[call-arg]
        # Suites computing the same set (one scan, several severities) read it once a run.
        if sql not in shared:
            try:
                shared[sql] = connection.execute(sql).df()
            except duckdb.CatalogException:
                # What the suite guards is not built in this warehouse: nothing to validate.
                return
        yield "all", shared[sql], {}
        return
    fingerprints = _day_fingerprints(connection, suite)
    prints = {day: digest for day, (_, digest) in fingerprints.items()}
    counts = {day: count for day, (count, _) in fingerprints.items()}
    for days in _day_batches(ledger.pending(suite.name, prints), counts):
        sql = suite.sql(connection, days) if callable(suite.sql) else suite.sql  # type: ignore[call-arg]
        frame = connection.execute(
            f"select * exclude (_partition_date) from ({sql}) as batch "
            "where cast(_partition_date as varchar) in (select unnest(?))",
            [days],
        ).df()
        label = days[0] if len(days) == 1 else f"{days[0]}..{days[-1]}"
        yield label, frame, {day: prints[day] for day in days}


def _batch(context: Any, suite: Suite, frame: pd.DataFrame) -> Any:
    asset = context.data_sources.get(DATASOURCE).get_asset(suite.table)
    return asset.get_batch_definition(BATCH_DEFINITION).get_batch(
        batch_parameters={"dataframe": frame}
    )


def _json_safe(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def run_suite(
    context: Any,
    connection: duckdb.DuckDBPyConnection,
    suite: Suite,
    ledger: ValidationLedger,
    *,
    run_time: datetime | None = None,
    run_name: str | None = None,
    shared: dict[str, pd.DataFrame] | None = None,
) -> SuiteOutcome:
    """Validate the suite's pending batches; store each result for the Data Docs.

    ``run_name`` names the run on the Data Docs (the Dagster step and run; by default the suite
    and batch). ``shared`` keeps candidate sets between the suites of one run that compute the
    same one.
    """
    run_time = run_time or datetime.now(UTC)
    expectation_suite = context.suites.get(suite.name)
    outcome = SuiteOutcome(suite.name, suite.severity)
    result_format = {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": list(suite.index_columns),
        # The Data Docs show this many distinct failing values, each with up to 10 of its rows'
        # keys; a rule that names records one by one checks a column unique per record.
        "partial_unexpected_count": DOCS_FAILING_VALUES,
    }
    shared = {} if shared is None else shared
    for label, frame, fingerprints in _frames(connection, suite, ledger, shared):
        result = _batch(context, suite, frame).validate(
            expectation_suite, result_format=result_format, expectation_parameters=parameters()
        )
        run_id = RunIdentifier(run_name=run_name or f"{suite.name} {label}", run_time=run_time)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=run_id,
            batch_identifier=label,
        )
        # What the validation page shows as the run and the data asset: a batch validated on its
        # own carries no run in its result, and a dataframe batch's spec no asset name (the page
        # would say "Run Name __none__" and "Data asset: None").
        result.meta["run_id"] = run_id
        result.meta["validation_time"] = run_time
        result.meta.setdefault("batch_spec", {})["data_asset_name"] = suite.table
        context.validation_results_store.set(key, result)
        outcome.result_keys.append(key)
        outcome.batches.append(label)
        outcome.rows += len(frame)
        for position, expectation_result in enumerate(result.results):
            rule = suite.rules[position]
            details = expectation_result.result or {}
            found = outcome.expectations.setdefault(
                rule,
                ExpectationOutcome(rule, expectation_result.expectation_config.type, True, 0, 0),
            )
            found.success = found.success and bool(expectation_result.success)
            found.unexpected += int(details.get("unexpected_count") or 0)
            found.evaluated += int(details.get("element_count") or 0)
            room = SAMPLE_KEYS - len(found.sample_keys)
            unexpected_rows = details.get("unexpected_index_list") or []
            for row in unexpected_rows[: max(room, 0)]:
                found.sample_keys.append(
                    {name: _json_safe(row.get(name)) for name in suite.index_columns}
                )
            if suite.asset_column:
                found.unexpected_by_asset.update(
                    str(row.get(suite.asset_column)) for row in unexpected_rows
                )
        ledger.record(suite.name, fingerprints)
    return outcome


def validate_warehouse(warehouse: Path, suite: Suite, directory: Path) -> tuple[Any, SuiteOutcome]:
    """Run one suite on a warehouse file with a quality folder of its own (every landing day is
    new to it): the GE context that holds the results, and the outcome."""
    context = open_context(directory)
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return context, run_suite(context, connection, suite, ValidationLedger(directory))
    finally:
        connection.close()


def build_data_docs(context: Any, outcomes: list[SuiteOutcome]) -> Path:
    """The Data Docs pages of this run's results and of their suites, and the index over every
    run so far, loading nothing from the network (``data_docs.localize``)."""
    keys: list[Any] = [key for outcome in outcomes for key in outcome.result_keys]
    if keys:
        suites = sorted({outcome.suite for outcome in outcomes if outcome.result_keys})
        keys += [ExpectationSuiteIdentifier(name=name) for name in suites]
        context.build_data_docs(resource_identifiers=keys)
    else:
        context.build_data_docs()
    index = docs_index(context)
    localize(index.parent)
    return index


def docs_index(context: Any) -> Path:
    site = context.get_docs_sites_urls()[0]["site_url"]
    return Path(site.removeprefix("file://"))
