"""The Great Expectations suites that guard the warehouse, and what each one reads.

A suite validates bounded pandas batches read from DuckDB, never a whole large table:

- ``by landing day``: the rows of the guarded table that landed on days not validated yet (or
  reloaded since), in batches of whole days up to ``BATCH_ROWS`` rows;
- ``candidates``: a SQL-computed set that is small by construction (one row per mart column,
  per erased subject, per group), validated whole on every run.

Each batch's columns are what the expectations judge plus the ids that name a failing row in
the Data Docs (``index_columns``): source record keys, the warehouse's own ids, pseudonymous keys
or column names, never personal data. Parameters written ``{"$PARAMETER": name}`` in an
expectation are filled at validation time from ``parameters()``, so the suites under version
control and the project's configuration (dbt vars) cannot disagree.

The suites' JSON under ``gx/expectations`` is written from here by
``python -m orchestration.quality.project``; a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import duckdb
import great_expectations as gx

from orchestration.quality import layers
from orchestration.quality.sql import (
    column_meta,
    dbt_manifest,
    literal,
    quoted,
    table_columns,
)
from orchestration.settings import dbt_vars

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
    #: A select over the warehouse giving the batch columns, or a function writing it from what
    #: the warehouse holds (``by_landing_day`` suites' functions also get the batch's days). In
    #: ``by_landing_day`` mode it must have a ``_partition_date`` column; the runner restricts
    #: it to the days of each batch.
    sql: (
        str
        | Callable[[duckdb.DuckDBPyConnection], str]
        | Callable[[duckdb.DuckDBPyConnection, Sequence[str]], str]
    )
    mode: Literal["by_landing_day", "candidates"]
    index_columns: tuple[str, ...]
    expectations: Callable[[], list[gx.expectations.Expectation]]
    #: What each expectation enforces, by expectation position: the name a governance reviewer
    #: sees in the summary (a consent rule, or a quality dimension).
    rules: tuple[str, ...] = field(default=())
    #: The Dagster step that runs the suite, after the layer it reads: ``landing`` (raw
    #: loads), ``staging`` or ``warehouse`` (everything built after identity resolution).
    step: Literal["landing", "staging", "warehouse"] = "warehouse"
    #: When rows guard different assets: the batch column naming each row's asset as
    #: ``folder/name`` (it must be an index column), and every asset the suite may name.
    asset_column: str | None = None
    guards: Callable[[], tuple[tuple[str, ...], ...]] | None = None
    #: ``by_landing_day`` suites over views or aggregates: a cheap select of
    #: ``(_partition_date, rows, digest)`` per day telling when a day changed.
    fingerprint_sql: str | None = None

    def guarded_assets(self) -> tuple[tuple[str, ...], ...]:
        return self.guards() if self.guards else (self.asset_key,)


def _duration_seconds(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def parameters() -> dict[str, object]:
    """The values of every ``$PARAMETER`` the suites use, from the dbt vars."""
    rules = dbt_vars()["consent_rules"]
    quiet = rules["quiet_hours"]
    raw = layers.quality_rules()["raw"]
    customers = layers.quality_rules()["customers"]
    return {
        # Sends are allowed from the end of quiet hours up to the second before they start.
        "quiet_hours_first_allowed_second": _duration_seconds(quiet["end"]),
        "quiet_hours_last_allowed_second": _duration_seconds(quiet["start"]) - 1,
        "discount_window_seconds": rules["discount_after_full_price"]["window_days"] * 86_400,
        "erasure_grace_seconds": rules["erasure"]["grace_days"] * 86_400,
        "raw_min_volume_ratio": raw["volume_ratio"]["min"],
        "raw_max_volume_ratio": raw["volume_ratio"]["max"],
        "raw_max_duplicate_rate": raw["max_duplicate_rate"],
        "raw_max_quarantine_rate": raw["max_quarantine_rate"],
        "max_identifiers_per_customer": customers["max_identifiers_per_customer"],
        "max_mean_identifiers_per_customer": customers["max_mean_identifiers_per_customer"],
        "max_p99_identifiers_per_customer": customers["max_p99_identifiers_per_customer"],
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


def _erasure_at_source() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="seconds_after_request",
            max_value={"$PARAMETER": "erasure_grace_seconds"},
            description="erasure_not_honoured: no source sends a record about an erased subject "
            "that occurred more than the grace period after the request (the source kept "
            "processing the subject; the warehouse suppresses the record)",
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


def _personal_data_at_source() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeNull(
            column="record_with_personal_data",
            description="pii_in_free_text: no source record carries an email address or phone "
            "number in a field meant for none (a page path, URL, screen name or campaign tag); "
            "staging redacts what it finds, and this lists the records",
        ),
    ]


def _zero(column: str, description: str) -> gx.expectations.Expectation:
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column, min_value=0, max_value=0, description=description
    )


def _raw_landing() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="schema_matches",
            value_set=[True],
            description="raw_schema: the stream's raw table has exactly the loader's columns",
        ),
        _zero(
            "rows_breaking_contract",
            "required_fields_and_types: loaded rows have a record key, an event time and the "
            "contract's required fields with their declared types (a sample of each day's rows, "
            "checked again against the contract as it stands now)",
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="freshness_limit_days",
            column_B="days_since_delivery",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            description="freshness: the stream delivered files within its dbt source's "
            "error_after (streams without one are not judged)",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="volume_ratio",
            min_value={"$PARAMETER": "raw_min_volume_ratio"},
            max_value={"$PARAMETER": "raw_max_volume_ratio"},
            description="volume: rows loaded against the trailing average of the days before",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="duplicate_rate",
            min_value=0,
            max_value={"$PARAMETER": "raw_max_duplicate_rate"},
            description="duplicate_rate: share of the day's lines quarantined as duplicates",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="quarantine_rate",
            min_value=0,
            max_value={"$PARAMETER": "raw_max_quarantine_rate"},
            description="quarantine_rate: share of the day's lines quarantined for any reason",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="invalid_optional_field_share",
            min_value=0,
            max_value={"$PARAMETER": "raw_max_quarantine_rate"},
            description="invalid_optional_fields: per optional field, share of the day's loaded "
            "records whose value of it broke the contract (loaded with the field flagged in "
            "ops.invalid_optional_fields; staging reads it as NULL); judged like the "
            "quarantine rate",
        ),
    ]


def _staging_keys() -> list[gx.expectations.Expectation]:
    return [
        _zero("null_keys", "key_not_null: no staging row lacks its key"),
        _zero("duplicate_keys", "key_unique: no key appears twice in a staging model"),
        _zero(
            "malformed_identifiers",
            "identifier_format: country codes are ISO 3166-1 alpha-2, currencies ISO 4217",
        ),
    ]


def _staging_values() -> list[gx.expectations.Expectation]:
    return [
        _zero(
            "values_not_accepted",
            "accepted_values: coded columns hold only the values their model YAML accepts",
        )
    ]


def _unified_customer() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="mart_rows",
            max_value=1,
            description="one_row_per_customer: marts.customers holds each customer once",
        ),
        gx.expectations.ExpectColumnValuesToNotBeInSet(
            column="previous_id_status",
            value_set=["vanished without a recorded merge"],
            description="id_stability: every customer id of the previous run still exists, or "
            "the merge history says which customer it was merged into",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="identifiers",
            max_value={"$PARAMETER": "max_identifiers_per_customer"},
            description="cluster_size: no customer holds more identifiers than one person "
            "plausibly has (a larger cluster is an over-merge)",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="mean_identifiers",
            min_value=1,
            max_value={"$PARAMETER": "max_mean_identifiers_per_customer"},
            description="cluster_size_mean: the mean identifiers per customer stays plausible",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="p99_identifiers",
            max_value={"$PARAMETER": "max_p99_identifiers_per_customer"},
            description="cluster_size_p99: the 99th percentile of identifiers per customer "
            "stays plausible",
        ),
        _zero(
            "malformed_pseudonymous_keys",
            "pseudonymous_key_format: every email, phone and social handle in the identity "
            "graph is a keyed SHA-256 in hex, never a value in the clear",
        ),
        _zero(
            "identified_records_without_customer",
            "every_record_has_a_customer: every staged record that carries an identifier and is "
            "not an erased customer's belongs to a customer (a refused link never loses one)",
        ),
    ]


_JOURNEY_DESCRIPTIONS = {
    "completes_before_it_starts": "a moment or session ends no earlier than it starts",
    "next_moment_starts_earlier": "a customer's next moment starts no earlier than this one",
    "repeats_a_once_only_moment": "a customer has a first touch, a purchase, onboarding or "
    "first value at most once (every moment whose rules take the first occurrence only)",
    "in_the_future": "nothing ends after the newest landing day (plus a day of time zones)",
    "duration_disagrees": "a session's duration equals its end minus its start",
}


def _journeys() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column=rule, value_set=[False], description=f"{rule}: {_JOURNEY_DESCRIPTIONS[rule]}"
        )
        for rule in layers.JOURNEY_RULES
    ]


def _mart_ranges() -> list[gx.expectations.Expectation]:
    return [
        _zero(
            "values_out_of_range",
            "value_range: rates, shares, probabilities and conversions lie within 0..1, NPS "
            "within -100..100, and columns with a declared range within it",
        )
    ]


#: Schemas the pipeline writes downstream of identity resolution: an erased customer must be
#: in none of them (the erasure register's tombstone lives in `identity`).
DOWNSTREAM_SCHEMAS = ("marts", "journeys", "commerce", "sentiment")
#: An email address anywhere in a value; a phone number as the whole value (E.164, or a
#: national number written with separators).
EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE_PATTERN = r"^(\+[1-9][0-9]{7,14}|\(?[0-9]{3}\)?[ .-][0-9]{3}[ .-][0-9]{4})$"


#: Every erasure request that removed a customer: the `erased` common table expression.
ERASED_REQUESTS = (
    "erased as (select request_id, subject_key, erased_customer_id, received_at "
    "from identity.identity_erasure_register where status = 'erased')"
)
#: Per record about an erased subject that occurred after the request (a repeated request
#: aside): how long after. Reads ``erased``.
ERASURE_ARRIVALS = (
    "select erased.request_id, erased.subject_key, occurrences.source_stream, "
    "occurrences.record_id, occurrences.occurred_at, "
    "date_diff('second', erased.received_at, occurrences.occurred_at) "
    "as seconds_after_request "
    "from erased "
    "inner join identity.identity_erasure_suppressions as suppressed "
    "on suppressed.customer_id = erased.erased_customer_id "
    "inner join identity.int_identity__occurrences as occurrences "
    "on occurrences.hub_node_id = suppressed.node_id and occurrences.is_hub "
    "where occurrences.occurred_at > erased.received_at "
    "and occurrences.source_stream <> 'consent__erasure_requests'"
)


def erasure_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Per erased subject and downstream table: the rows that still carry its customer id or
    its pseudonymous key."""
    checks = []
    for schema, table, column in table_columns(
        connection,
        DOWNSTREAM_SCHEMAS,
        "(column_name = 'customer_id' or column_name like '%\\_key' escape '\\')",
    ):
        target = "erased_customer_id" if column == "customer_id" else "subject_key"
        checks.append(
            f"select erased.request_id, erased.subject_key, "
            f"{literal(f'{schema}.{table}.{column}')} as found_in, "
            f"count(found.{quoted(column)}) as rows_found from erased "
            f"left join {quoted(schema)}.{quoted(table)} as found "
            f"on found.{quoted(column)} = erased.{target} group by all"
        )
    if not checks:
        return (
            f"with {ERASED_REQUESTS} select request_id, subject_key, 'nowhere' as found_in, "
            "0 as rows_found from erased"
        )
    return f"with {ERASED_REQUESTS} " + " union all ".join(checks)


#: The day a record about an erased subject occurred stands for its landing day: a record
#: validated once is not validated again, so a late source blocks one run, not every run.
ERASURE_AT_SOURCE_SQL = f"""
    with {ERASED_REQUESTS}
    select
        request_id, subject_key, source_stream, record_id, seconds_after_request,
        cast(occurred_at as date) as _partition_date
    from ({ERASURE_ARRIVALS}) as arrivals
"""

#: Touchpoints whose source record had personal data redacted from a free-text field (the
#: marker of macros/redact_personal_data.sql), by the day the record occurred.
PERSONAL_DATA_AT_SOURCE_SQL = """
    select
        touchpoint_id, source_stream, source_record_key, customer_id,
        case when message like '%[redacted %' then 'message' else 'campaign' end as found_in,
        source_stream || ':' || source_record_key as record_with_personal_data,
        cast(occurred_at as date) as _partition_date
    from marts.touchpoints
    where message like '%[redacted %' or campaign like '%[redacted %'
"""


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
            meta = column_meta(column)
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
    for schema, table, column in table_columns(
        connection, ("marts",), "data_type in ('VARCHAR', 'JSON')"
    ):
        value = f"cast({quoted(column)} as varchar)"
        scans.append(
            f"select {literal(f'{schema}.{table}.{column}')} as column_ref, "
            f"{str((schema, table, column) in tagged).lower()} as is_tagged_personal, "
            f"count(*) filter (where regexp_matches({value}, '{EMAIL_PATTERN}') "
            f"or regexp_full_match({value}, '{PHONE_PATTERN}')) as values_like_email_or_phone "
            f"from {quoted(schema)}.{quoted(table)}"
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
        name="erasure_at_source",
        description="Sources honour erasures: no record about an erased subject occurred "
        "later than the grace period after the request. Validated by the day each record "
        "occurred, so a late source fails the run that first sees it.",
        table="identity.identity_erasure_register",
        asset_key=("identity", "identity_erasure_register"),
        severity="error",
        sql=ERASURE_AT_SOURCE_SQL,
        mode="by_landing_day",
        index_columns=("request_id", "subject_key", "source_stream", "record_id"),
        expectations=_erasure_at_source,
        rules=("erasure_not_honoured",),
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
    Suite(
        name="personal_data_at_source",
        description="Sources keep personal data out of free text: no touchpoint's source "
        "record had an email address or phone number redacted from a page path, URL, screen "
        "name or campaign tag. Validated by the day each record occurred.",
        table="marts.customers",
        asset_key=("marts", "customers"),
        severity="error",
        sql=PERSONAL_DATA_AT_SOURCE_SQL,
        mode="by_landing_day",
        index_columns=("touchpoint_id", "source_stream", "source_record_key", "found_in"),
        expectations=_personal_data_at_source,
        rules=("pii_in_free_text",),
    ),
    Suite(
        name="raw_landing",
        description="Each landing day of each stream: the raw table's schema, required fields "
        "and types, freshness, volume against the trailing average, duplicate and quarantine "
        "rates, and per optional field the share of loaded records with an invalid value.",
        table="raw.load_days",
        asset_key=("raw",),
        severity="warn",
        sql=layers.raw_landing_sql,
        mode="by_landing_day",
        index_columns=("asset", "landing_day", "optional_field"),
        expectations=_raw_landing,
        rules=(
            "raw_schema",
            "required_fields_and_types",
            "freshness",
            "volume",
            "duplicate_rate",
            "quarantine_rate",
            "invalid_optional_fields",
        ),
        step="landing",
        asset_column="asset",
        guards=layers.raw_assets,
        fingerprint_sql=layers.RAW_FINGERPRINT,
    ),
    Suite(
        name="staging_keys",
        description="Staging keys are unique and never null; identifiers have their format.",
        table="staging.columns",
        asset_key=("staging",),
        severity="error",
        sql=layers.staging_sql,
        mode="candidates",
        index_columns=("asset", "column_ref"),
        expectations=_staging_keys,
        rules=("key_not_null", "key_unique", "identifier_format"),
        step="staging",
        asset_column="asset",
        guards=layers.staging_assets,
    ),
    Suite(
        name="staging_values",
        description="Coded staging columns hold only accepted values (a new value warns; its "
        "records are kept).",
        table="staging.columns",
        asset_key=("staging",),
        severity="warn",
        sql=layers.staging_sql,
        mode="candidates",
        index_columns=("asset", "column_ref"),
        expectations=_staging_values,
        rules=("accepted_values",),
        step="staging",
        asset_column="asset",
        guards=layers.staging_assets,
    ),
    Suite(
        name="unified_customer",
        description="One row per customer, ids stable between runs, a plausible "
        "distribution of cluster sizes, and a customer for every identified record.",
        table="marts.customers",
        asset_key=("marts", "customers"),
        severity="error",
        sql=layers.unified_customer_sql,
        mode="candidates",
        index_columns=("finding",),
        expectations=_unified_customer,
        rules=(
            "one_row_per_customer",
            "id_stability",
            "cluster_size",
            "cluster_size_mean",
            "cluster_size_p99",
            "pseudonymous_key_format",
            "every_record_has_a_customer",
        ),
    ),
    Suite(
        name="journeys",
        description="Journey moments and sessions in order, with consistent timestamps.",
        table="marts.journey_moments",
        asset_key=("marts", "journey_moments"),
        severity="error",
        sql=layers.journeys_sql,
        mode="candidates",
        index_columns=("asset", "row_key", "customer_id"),
        expectations=_journeys,
        rules=layers.JOURNEY_RULES,
        asset_column="asset",
        guards=lambda: (("marts", "journey_moments"), ("marts", "sessions")),
    ),
    Suite(
        name="mart_ranges",
        description="Mart measures within their ranges: rates 0..1, NPS -100..100.",
        table="marts.columns",
        asset_key=("marts",),
        severity="error",
        sql=layers.mart_ranges_sql,
        mode="candidates",
        index_columns=("asset", "column_ref"),
        expectations=_mart_ranges,
        rules=("value_range",),
        asset_column="asset",
        guards=layers.mart_assets,
    ),
)


def suite_named(name: str) -> Suite:
    for suite in SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"no suite named {name!r}; suites: {', '.join(s.name for s in SUITES)}")
