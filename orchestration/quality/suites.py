"""The Great Expectations suites that guard the warehouse, and what each one reads.

A suite validates bounded pandas batches read from DuckDB, never a whole large table:

- ``by landing day``: the rows of the guarded table that landed on days not validated yet (or
  reloaded since), in batches of whole days up to ``BATCH_ROWS`` rows;
- ``candidates``: a SQL-computed set that is small by construction (one row per mart column,
  per erased subject, per group), validated whole on every run.

Each batch's columns are what the expectations judge plus the pseudonymous keys that name a
failing row in the Data Docs (``index_columns``). Parameters written ``{"$PARAMETER": name}`` in
an expectation are filled at validation time from ``parameters()``, so the suites under version
control and the project's configuration (dbt vars) cannot disagree.

The suites' JSON under ``gx/expectations`` is written from here by
``python -m orchestration.quality.project``; a test checks the two agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import duckdb
import great_expectations as gx
import yaml

from orchestration.settings import REPO_ROOT

Severity = Literal["error", "warn"]
#: The most rows one batch holds (whole landing days are never split, so a day larger than
#: this is a batch of its own).
BATCH_ROWS = 250_000


@dataclass(frozen=True)
class Suite:
    """One suite: its expectations, the table it guards and how its batches are read."""

    name: str
    description: str
    #: The warehouse table the suite guards, as ``schema.table`` (its Dagster asset key is
    #: ``[folder, table]`` as the dbt translator names models).
    table: str
    asset_key: tuple[str, ...]
    severity: Severity
    #: A select over the warehouse giving the batch columns (or a function writing it from what
    #: the warehouse holds). In ``by_landing_day`` mode it must have a ``_partition_date``
    #: column; the runner restricts it to the days of each batch.
    sql: str | Callable[[duckdb.DuckDBPyConnection], str]
    mode: Literal["by_landing_day", "candidates"]
    index_columns: tuple[str, ...]
    expectations: Callable[[], list[gx.expectations.Expectation]]
    #: What each expectation enforces, by expectation position: the name a governance reviewer
    #: sees in the summary (a consent rule, or a quality dimension).
    rules: tuple[str, ...] = field(default=())


def _duration_seconds(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


@cache
def dbt_vars() -> Mapping[str, object]:
    """The project's dbt vars (``dbt_project.yml``): the one place rule parameters live."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())
    return project.get("vars") or {}


def parameters() -> dict[str, object]:
    """The values of every ``$PARAMETER`` the suites use, from the dbt vars."""
    rules = dbt_vars()["consent_rules"]
    quiet = rules["quiet_hours"]
    return {
        # Sends are allowed from the end of quiet hours up to the second before they start.
        "quiet_hours_first_allowed_second": _duration_seconds(quiet["end"]),
        "quiet_hours_last_allowed_second": _duration_seconds(quiet["start"]) - 1,
        "discount_window_seconds": rules["discount_after_full_price"]["window_days"] * 86_400,
    }


def _consent_rules() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="consent_state_at_send",
            value_set=["opt_in"],
            description="send_without_opt_in: the consent in force for the send's purpose when "
            "it was sent is an opt-in (an opt-out revokes it; an opt-in after the send is late)",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="quiet_hours_local_second",
            min_value={"$PARAMETER": "quiet_hours_first_allowed_second"},
            max_value={"$PARAMETER": "quiet_hours_last_allowed_second"},
            description="quiet_hours: calls and SMS are sent outside quiet hours in the "
            "customer's local time (seconds since local midnight)",
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="frequency_cap",
            column_B="sends_in_cap_window",
            or_equal=True,
            description="frequency_cap: the customer's marketing sends on the channel in the "
            "cap's window, this one included, stay within the channel's cap",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="seconds_since_full_price",
            min_value={"$PARAMETER": "discount_window_seconds"},
            description="discount_after_full_price: a discounted offer of a product comes no "
            "sooner than the window after the customer paid full price for it",
        ),
    ]


def _consent_coverage() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToNotBeInSet(
            column="time_zone_source",
            value_set=["unknown"],
            description="quiet_hours_unjudged: the customer's time zone is known for every send "
            "on a channel with quiet hours (otherwise the send cannot be judged)",
        ),
    ]


def _erasure() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="rows_found",
            min_value=0,
            max_value=0,
            description="erasure: an erased subject's customer appears in no model downstream",
        ),
    ]


def _personal_data() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="is_tagged_personal",
            value_set=[False],
            description="pii_column: no mart column is tagged as personal data in the dbt YAML",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="values_like_email_or_phone",
            min_value=0,
            max_value=0,
            description="pii_value: no mart value looks like an email address or a phone number",
        ),
    ]


#: Schemas the pipeline writes downstream of identity resolution: an erased customer must be
#: in none of them (the erasure register's tombstone lives in `identity`).
DOWNSTREAM_SCHEMAS = ("marts", "journeys", "commerce", "sentiment")
#: An email address anywhere in a value; a phone number as the whole value (E.164, or a
#: national number written with separators).
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_PATTERN = r"^(\+[1-9][0-9]{7,14}|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4})$"
MANIFEST = REPO_ROOT / "target" / "manifest.json"


def _columns(
    connection: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], where: str
) -> list[tuple[str, str, str]]:
    return connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in (select unnest(?)) and {where} "
        "order by table_schema, table_name, column_name",
        [list(schemas)],
    ).fetchall()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def erasure_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Per erased subject and downstream table: the rows that still carry its customer id or
    its pseudonymous key."""
    checks = []
    for schema, table, column in _columns(
        connection,
        DOWNSTREAM_SCHEMAS,
        "(column_name = 'customer_id' or column_name like '%\\_key' escape '\\')",
    ):
        target = "erased_customer_id" if column == "customer_id" else "subject_key"
        checks.append(
            f"select erased.request_id, erased.subject_key, "
            f"{_literal(f'{schema}.{table}.{column}')} as found_in, "
            f"count(found.{_quoted(column)}) as rows_found from erased "
            f"left join {_quoted(schema)}.{_quoted(table)} as found "
            f"on found.{_quoted(column)} = erased.{target} group by all"
        )
    erased = (
        "erased as (select request_id, subject_key, erased_customer_id "
        "from identity.identity_erasure_register where status = 'erased')"
    )
    if not checks:
        return (
            f"with {erased} select request_id, subject_key, 'nowhere' as found_in, "
            "0 as rows_found from erased"
        )
    return f"with {erased} " + " union all ".join(checks)


def dbt_manifest() -> dict:
    """The project's dbt manifest (written by `dbt parse`, which `make install` runs)."""
    if not MANIFEST.exists():
        return {"nodes": {}, "sources": {}}
    return json.loads(MANIFEST.read_text())


def personal_data_columns(manifest: dict) -> list[tuple[str, str, str, str]]:
    """(schema, model, column, kind) of every model column the dbt YAML tags `pii` (personal
    data in the clear) or marks `pseudonymized` (a pseudonymous key)."""
    columns = []
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "model":
            continue
        for column in node.get("columns", {}).values():
            config = column.get("config") or {}
            tags = set(column.get("tags") or []) | set(config.get("tags") or [])
            meta = column.get("meta") or config.get("meta") or {}
            if "pii" in tags:
                kind = "personal data (clear)"
            elif meta.get("pseudonymized"):
                kind = "pseudonymous key"
            else:
                continue
            model = node.get("alias") or node["name"]
            columns.append((node["schema"], model, column["name"], kind))
    return sorted(columns)


def personal_data_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Per text column of every mart: is it tagged personal data, and how many of its values
    look like an email address or a phone number."""
    tagged = {
        (schema, model, column)
        for schema, model, column, kind in personal_data_columns(dbt_manifest())
        if kind == "personal data (clear)"
    }
    scans = []
    for schema, table, column in _columns(
        connection, ("marts",), "data_type in ('VARCHAR', 'JSON')"
    ):
        value = f"cast({_quoted(column)} as varchar)"
        scans.append(
            f"select {_literal(f'{schema}.{table}.{column}')} as column_ref, "
            f"{str((schema, table, column) in tagged).lower()} as is_tagged_personal, "
            f"count(*) filter (where regexp_matches({value}, '{EMAIL_PATTERN}') "
            f"or regexp_full_match({value}, '{PHONE_PATTERN}')) as values_like_email_or_phone "
            f"from {_quoted(schema)}.{_quoted(table)}"
        )
    if not scans:
        return (
            "select 'none' as column_ref, false as is_tagged_personal, "
            "0 as values_like_email_or_phone"
        )
    return " union all ".join(scans)


SUITES: tuple[Suite, ...] = (
    Suite(
        name="consent_rules",
        description="Consent rules on every marketing send: a valid opt-in at send time, quiet "
        "hours, frequency caps, no discount right after a full-price purchase.",
        table="marts.marketing_send_compliance",
        asset_key=("marts", "marketing_send_compliance"),
        severity="error",
        sql="""
            select
                send_id, customer_id, channel, sent_at, consent_state_at_send,
                quiet_hours_local_second, frequency_cap, sends_in_cap_window,
                seconds_since_full_price, _partition_date
            from marts.marketing_send_compliance
        """,
        mode="by_landing_day",
        index_columns=("send_id", "customer_id"),
        expectations=_consent_rules,
        rules=("send_without_opt_in", "quiet_hours", "frequency_cap", "discount_after_full_price"),
    ),
    Suite(
        name="consent_coverage",
        description="What the consent rules could not judge: sends on channels with quiet hours "
        "to customers whose time zone is unknown.",
        table="marts.marketing_send_compliance",
        asset_key=("marts", "marketing_send_compliance"),
        severity="warn",
        sql="""
            select send_id, customer_id, channel, time_zone_source, _partition_date
            from marts.marketing_send_compliance
            where channel_has_quiet_hours
        """,
        mode="by_landing_day",
        index_columns=("send_id", "customer_id"),
        expectations=_consent_coverage,
        rules=("quiet_hours_unjudged",),
    ),
    Suite(
        name="erasure",
        description="Erased subjects appear nowhere downstream: no table after identity "
        "resolution holds an erased customer's id or the subject's pseudonymous key.",
        table="identity.identity_erasure_register",
        asset_key=("identity", "identity_erasure_register"),
        severity="error",
        sql=erasure_sql,
        mode="candidates",
        index_columns=("request_id", "subject_key", "found_in"),
        expectations=_erasure,
        rules=("erasure",),
    ),
    Suite(
        name="personal_data",
        description="No mart column holds personal data: none is tagged `pii` in the dbt YAML, "
        "and no mart value looks like an email address or a phone number.",
        table="marts.customers",
        asset_key=("marts", "customers"),
        severity="error",
        sql=personal_data_sql,
        mode="candidates",
        index_columns=("column_ref",),
        expectations=_personal_data,
        rules=("pii_column", "pii_value"),
    ),
)


def suite_named(name: str) -> Suite:
    for suite in SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"no suite named {name!r}; suites: {', '.join(s.name for s in SUITES)}")
