"""The quality suites of each layer: what their batches hold, computed in SQL.

Every layer is judged on a small SQL-computed set, never on a whole large table:

- raw: one row per stream and landing day (the load audit, the day's quarantine reasons, and
  a sample of the day's loaded rows checked again against the stream's contract), plus one row
  per stream, landing day and optional field that some loaded record of the day had invalid
  (its share of the day's loaded records, from the audit);
- staging: one row per model column that carries a key, an accepted-values list or an
  identifier format, with the count of rows breaking it;
- unified customer: the customers that break a rule (a second row, an oversized cluster, an id
  that vanished without a merge recorded), plus one row for the cluster-size distribution;
- journeys: the moments and sessions whose timestamps or order are inconsistent;
- marts: one row per mart column with a declared range, with the count of values outside it.

Which columns a staging or mart rule applies to comes from the dbt manifest (the tests and
column meta of the model YAML) and from column names, so a new model is judged without an
edit here. Each row names the Dagster asset it guards (``asset``, as ``folder/name``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb

from orchestration.ingestion.contracts import Contract, load_contracts
from orchestration.ingestion.loader import AUDIT_TABLE
from orchestration.ingestion.validation import Paths, record_checks
from orchestration.quality.sql import (
    column_meta,
    dbt_manifest,
    existing_tables,
    literal,
    models,
    quoted,
    relation,
    table_columns,
)
from orchestration.settings import dbt_vars

#: The columns the loader writes to every raw table.
RAW_COLUMNS = frozenset(
    {
        "record_key",
        "occurred_at",
        "payload",
        "_partition_date",
        "_source_file",
        "_source_line",
        "_load_id",
        "_loaded_at",
    }
)
#: Identifier formats in staging, by column: a pseudonymous key is a keyed SHA-256 in hex.
PSEUDONYM_FORMAT = "^[0-9a-f]{64}$"
#: Identifier types the identity graph holds as pseudonymous keys (never in the clear).
PSEUDONYMIZED_TYPES = ("email", "phone", "social_handle")
COUNTRY_CODE_FORMAT = "^[A-Z]{2}$"
CURRENCY_FORMAT = "^[A-Z]{3}$"
_PERIOD_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}
#: DuckDB's ``hash`` is a UBIGINT: the largest value, and how many values there are.
_HASH_MAX = "18446744073709551615::ubigint"
_HASH_RANGE = "18446744073709551616.0"


def quality_rules() -> Mapping[str, Mapping[str, object]]:
    """The layer suites' thresholds (dbt var ``quality_rules``)."""
    return dbt_vars()["quality_rules"]  # type: ignore[return-value]


def _days_list(days: Sequence[str]) -> str:
    return ", ".join(f"date {literal(day)}" for day in days) or "null"


# --- raw ----------------------------------------------------------------------------------------


def _freshness_days(manifest: dict) -> dict[str, float]:
    """Per raw table: the dbt source's ``error_after`` in days (tables without one: absent)."""
    limits = {}
    for source in manifest.get("sources", {}).values():
        error_after = (source.get("freshness") or {}).get("error_after") or {}
        count, period = error_after.get("count"), error_after.get("period")
        if count is not None and period in _PERIOD_DAYS and source["schema"] == "raw":
            limits[source["identifier"]] = count * _PERIOD_DAYS[period]
    return limits


def _sample_thresholds_sql(days: Sequence[str], sample_rows: int) -> str:
    """Per stream and landing day of ``days``, from the ``audit`` relation (the day's latest
    load): the largest row hash in the contract sample, set so that about ``sample_rows`` of
    the day's loaded rows hash at or under it; a day of ``sample_rows`` rows or fewer is
    sampled whole."""
    return (
        "select stream, _partition_date, "
        f"case when loaded > {sample_rows} "
        f"then cast({sample_rows} / loaded * {_HASH_RANGE} as ubigint) "
        f"else {_HASH_MAX} end as sample_hash_max "
        f"from audit where _partition_date in ({_days_list(days)})"
    )


def _contract_breaks_sql(contract: Contract, days: Sequence[str], thresholds: str) -> str:
    """Per landing day: loaded rows that break the stream's contract as it stands now, among a
    sample of the day's rows. A row is in the sample when the hash of its key and file position
    is at most the day's ``sample_hash_max`` in ``thresholds`` (a fixed pseudo-random choice;
    about ``contract_sample_rows`` rows a day, more or fewer by chance, and every row of a
    smaller day). Rows are kept or dropped as they are read and only kept rows are parsed, so
    the check is one pass over the days' rows, holding none of them. The loader checked every
    row on arrival, so this looks for drift, not for single records."""
    paths = Paths()
    checks = record_checks(paths, contract.schema)
    broken = " or ".join(
        ["record_key is null", "occurred_at is null"]
        + ([f"nullif(concat_ws('', {', '.join(checks)}), '') is not null"] if checks else [])
    )
    extracted = f", {paths.select_sql('payload')}" if checks else ""
    return (
        f"select {literal(contract.stream)} as stream, _partition_date, "
        f"count(*) filter (where {broken}) as rows_breaking_contract "
        f"from (select _partition_date, record_key, occurred_at{extracted} from ("
        "select loaded._partition_date, loaded.record_key, loaded.occurred_at, loaded.payload "
        f"from raw.{quoted(contract.stream)} as loaded "
        f"where loaded._partition_date in ({_days_list(days)}) "
        # A filter, not a join condition: joined, DuckDB moved the payload parsing into every
        # check and parsed each document dozens of times, on gigabytes of memory.
        "and hash(loaded.record_key, loaded._source_file, loaded._source_line) <= ("
        f"select thresholds.sample_hash_max from {thresholds} as thresholds "
        f"where thresholds.stream = {literal(contract.stream)} "
        "and thresholds._partition_date = loaded._partition_date)"
        ") as sampled) as checked group by all"
    )


def _duplicates_sql(stream: str, days: Sequence[str]) -> str:
    return (
        f"select {literal(stream)} as stream, _partition_date, "
        "count(*) filter (where reason like 'duplicate of %') as duplicates "
        f"from quarantine.{quoted(stream)} "
        f"where _partition_date in ({_days_list(days)}) group by all"
    )


RAW_FINGERPRINT = f"""
    select partition_date as _partition_date, count(*) as rows,
        bit_xor(hash(stream, load_id, lines, loaded, quarantined)) as digest
    from {AUDIT_TABLE} group by 1
"""


def _optional_fields_sql(min_loaded: object) -> str:
    """Per stream, landing day and optional field flagged on some loaded record (the ``audit``
    relation's counts): the share of the day's loaded records with that field invalid (days of
    fewer than ``min_loaded`` records are not judged). The other columns of the batch are NULL
    on these rows, so the per-day expectations skip them."""
    return f"""
        select
            'raw/' || stream as asset,
            stream,
            cast(_partition_date as varchar) as landing_day,
            _partition_date,
            field.key as optional_field,
            case when loaded >= {min_loaded} then field.value / loaded end
                as invalid_optional_field_share
        from (
            select
                stream,
                _partition_date,
                loaded,
                unnest(map_entries(json_transform(
                    invalid_optional_fields, '"MAP(VARCHAR, BIGINT)"'
                ))) as field
            from audit
        ) as flagged
    """


def raw_landing_sql(connection: duckdb.DuckDBPyConnection, days: Sequence[str]) -> str:
    """One row per stream and landing day of ``days``: its loads' health; and one per stream,
    day and optional field flagged that day (``_optional_fields_sql``)."""
    rules = quality_rules()["raw"]
    trailing = int(rules["volume_trailing_days"])  # type: ignore[call-overload]
    contracts = {contract.stream: contract for contract in load_contracts()}
    raw_tables = existing_tables(connection, "raw")
    quarantine_tables = existing_tables(connection, "quarantine")
    raw_columns: dict[str, set[str]] = {}
    for _, table, column in table_columns(connection, ("raw",)):
        raw_columns.setdefault(table, set()).add(column)
    freshness = _freshness_days(dbt_manifest())
    streams = sorted(contracts)
    limits = ", ".join(
        f"({literal(stream)}, {freshness.get(stream, 'null')}, "
        f"{str(raw_columns.get(stream) == RAW_COLUMNS).lower()})"
        for stream in streams
    )
    sample = int(rules["contract_sample_rows"])  # type: ignore[call-overload]
    breaks = [
        _contract_breaks_sql(contracts[s], days, "sample_thresholds")
        for s in streams
        if s in raw_tables
    ]
    min_lines = rules["min_lines_for_rates"]
    duplicates = [_duplicates_sql(s, days) for s in streams if s in quarantine_tables]
    audit_columns = {
        column for _, table, column in table_columns(connection, ("ops",)) if table == "load_audit"
    }
    # An audit written before optional fields were flagged has no counts of them.
    optional_column = (
        "invalid_optional_fields"
        if "invalid_optional_fields" in audit_columns
        else "null::json as invalid_optional_fields"
    )
    empty = (
        "select null::varchar as stream, null::date as _partition_date, 0::bigint as {} where false"
    )
    return f"""
        with audit as (
            select
                stream, partition_date as _partition_date, files, lines, loaded, quarantined,
                {optional_column}
            from {AUDIT_TABLE}
            qualify row_number() over (
                partition by stream, partition_date order by finished_at desc
            ) = 1
        ),
        history as (
            select
                *,
                avg(loaded) over trailing_days as trailing_average,
                count(*) over trailing_days as days_before,
                max(case when files > 0 then _partition_date end) over (
                    partition by stream order by _partition_date
                    rows between unbounded preceding and current row
                ) as last_delivery,
                min(_partition_date) over (partition by stream) as first_day
            from audit
            window trailing_days as (
                partition by stream order by _partition_date
                rows between {trailing} preceding and 1 preceding
            )
        ),
        limits (stream, freshness_limit_days, schema_matches) as (values {limits}),
        sample_thresholds as ({_sample_thresholds_sql(days, sample)}),
        breaks as ({" union all ".join(breaks) or empty.format("rows_breaking_contract")}),
        duplicates as ({" union all ".join(duplicates) or empty.format("duplicates")})
        select
            'raw/' || history.stream as asset,
            history.stream,
            cast(history._partition_date as varchar) as landing_day,
            history._partition_date,
            coalesce(limits.schema_matches, false) as schema_matches,
            coalesce(breaks.rows_breaking_contract, 0) as rows_breaking_contract,
            -- A stream that never delivered counts from the day before its first landing day.
            date_diff(
                'day',
                coalesce(history.last_delivery, history.first_day - 1),
                history._partition_date
            ) as days_since_delivery,
            limits.freshness_limit_days,
            case
                when history.days_before = {trailing}
                    and history.trailing_average >= {rules["volume_min_trailing_rows"]}
                    then history.loaded / history.trailing_average
            end as volume_ratio,
            case
                when history.lines >= {min_lines}
                    then coalesce(duplicates.duplicates, 0) / history.lines
            end as duplicate_rate,
            case when history.lines >= {min_lines} then history.quarantined / history.lines end
                as quarantine_rate
        from history
        left join limits on history.stream = limits.stream
        left join breaks
            on history.stream = breaks.stream and history._partition_date = breaks._partition_date
        left join duplicates
            on history.stream = duplicates.stream
            and history._partition_date = duplicates._partition_date
        where history._partition_date in ({_days_list(days)})
        union all by name
        select * from ({_optional_fields_sql(min_lines)}) as optional_fields
        where _partition_date in ({_days_list(days)})
    """


def raw_assets() -> tuple[tuple[str, ...], ...]:
    return tuple(("raw", contract.stream) for contract in load_contracts())


# --- staging ------------------------------------------------------------------------------------


def _tests_by_column(manifest: dict, node_id: str) -> dict[str, dict[str, object]]:
    """The generic dbt tests on a model's columns: {column: {test name: kwargs}}."""
    tests: dict[str, dict[str, object]] = {}
    for node in manifest["nodes"].values():
        if node.get("resource_type") != "test" or node.get("attached_node") != node_id:
            continue
        metadata = node.get("test_metadata") or {}
        column = node.get("column_name")
        if column and metadata.get("name") in ("unique", "not_null", "accepted_values"):
            tests.setdefault(column, {})[metadata["name"]] = metadata.get("kwargs") or {}
    return tests


def _identifier_format(name: str) -> str | None:
    """The format a staging column's codes must have. Pseudonymous keys are judged where they
    are stored, in the identity graph's identifiers (suite ``unified_customer``), rather than
    by recomputing every keyed hash of the staging tables here."""
    if name == "country_code" or name.endswith("_country_code"):
        return COUNTRY_CODE_FORMAT
    if name == "currency" or name.endswith("_currency"):
        return CURRENCY_FORMAT
    return None


def _staging_model_sql(node: dict, manifest: dict, present: set[str]) -> str | None:
    tests = _tests_by_column(manifest, node["unique_id"])
    measures, rows = [], []
    for name in sorted(set(tests) | set(node.get("columns", {}))):
        if name not in present:
            continue
        column, found = quoted(name), tests.get(name, {})
        metrics = {}
        if "not_null" in found:
            metrics["null_keys"] = f"count(*) filter (where {column} is null)"
        if "unique" in found:
            metrics["duplicate_keys"] = f"count({column}) - count(distinct {column})"
        if "accepted_values" in found:
            values = found["accepted_values"].get("values") or []  # type: ignore[union-attr]
            listed = ", ".join(literal(str(value)) for value in values)
            metrics["values_not_accepted"] = (
                f"count(*) filter (where cast({column} as varchar) not in ({listed}))"
            )
        format_ = _identifier_format(name)
        if format_:
            metrics["malformed_identifiers"] = (
                f"count(*) filter (where not regexp_full_match(cast({column} as varchar), "
                f"{literal(format_)}))"
            )
        if not metrics:
            continue
        position = len(measures)
        measures += [f"{sql} as m{position + i}" for i, sql in enumerate(metrics.values())]
        picked = {metric: f"m{position + i}" for i, metric in enumerate(metrics)}
        rows.append(
            f"select {literal('staging/' + node['name'])} as asset, "
            f"{literal(node['name'] + '.' + name)} as column_ref, "
            + ", ".join(
                f"{picked.get(metric, 'null::bigint')} as {metric}" for metric in STAGING_METRICS
            )
            + " from measured"
        )
    if not rows:
        return None
    return (
        f"(with measured as (select {', '.join(measures)} from {relation(node)}) "
        + " union all ".join(rows)
        + ")"
    )


STAGING_METRICS = ("null_keys", "duplicate_keys", "values_not_accepted", "malformed_identifiers")


def staging_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """One row per staging column under a key, accepted-values or identifier-format rule."""
    manifest = dbt_manifest()
    present: dict[str, set[str]] = {}
    for _, table, column in table_columns(connection, ("staging",)):
        present.setdefault(table, set()).add(column)
    parts = [
        sql
        for node in models(manifest, "staging")
        if (sql := _staging_model_sql(node, manifest, present.get(node["name"], set())))
    ]
    if not parts:
        return (
            "select null::varchar as asset, null::varchar as column_ref, "
            + ", ".join(f"null::bigint as {metric}" for metric in STAGING_METRICS)
            + " where false"
        )
    return " union all ".join(f"select * from {part}" for part in parts)


def staging_assets() -> tuple[tuple[str, ...], ...]:
    return tuple(("staging", node["name"]) for node in models(dbt_manifest(), "staging"))


# --- unified customer ---------------------------------------------------------------------------


def unified_customer_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Customers breaking a rule of the unified customer, and one row for the distribution of
    cluster sizes (identifiers per customer) over all customers."""
    limit = int(quality_rules()["customers"]["max_identifiers_per_customer"])  # type: ignore[call-overload]
    identity = existing_tables(connection, "identity")
    if "int_identity__customer_ids" in identity and "identity_merge_history" in identity:
        # A customer id of the previous run that no identifier holds now, and no merge explains.
        vanished = """
            select previous_customer_id as customer_id
            from identity.int_identity__customer_ids
            where previous_customer_id is not null
            except
            select customer_id from identity.int_identity__customer_ids
            except
            select from_customer_id from identity.identity_merge_history where change = 'merged'
        """
    else:
        vanished = "select null::varchar as customer_id where false"
    if "int_identity__occurrences" in identity:
        malformed = f"""(
            select count(*) from identity.int_identity__occurrences
            where identifier_type in ({", ".join(literal(kind) for kind in PSEUDONYMIZED_TYPES)})
            and not regexp_full_match(identifier_value, {literal(PSEUDONYM_FORMAT)})
        )"""
    else:
        malformed = "0"
    needed = {"int_identity__occurrences", "int_identity__record_customers",
              "int_identity__customer_ids", "identity_erasure_suppressions"}  # fmt: skip
    if needed <= identity:
        # Records that carry an identifier, are not an erased customer's, and have no customer.
        without_customer = """(
            with erased as (
                select distinct customer_ids.customer_id
                from identity.int_identity__customer_ids as customer_ids
                inner join identity.identity_erasure_suppressions as suppressions
                    on customer_ids.node_id = suppressions.node_id
            )
            select count(*)
            from identity.int_identity__occurrences as occurrences
            left join identity.int_identity__record_customers as bridge
                on occurrences.record_id = bridge.record_id
            left join identity.int_identity__customer_ids as hubs
                on occurrences.hub_node_id = hubs.node_id
            where occurrences.is_hub and bridge.customer_id is null
                and hubs.customer_id not in (select customer_id from erased)
        )"""
    else:
        without_customer = "0"
    return f"""
        with customers as (
            select customer_id, count(*) as mart_rows, max(identifiers) as identifiers
            from marts.customers group by customer_id
        )
        select
            'customer ' || customer_id as finding, mart_rows, identifiers,
            'present' as previous_id_status,
            null::double as mean_identifiers, null::double as p99_identifiers,
            null::bigint as malformed_pseudonymous_keys,
            null::bigint as identified_records_without_customer
        from customers where mart_rows > 1 or identifiers > {limit}
        union all
        select
            'customer ' || customer_id, null, null, 'vanished without a recorded merge',
            null, null, null, null
        from ({vanished})
        union all
        select
            'all customers', null, null, null, avg(identifiers),
            quantile_cont(identifiers, 0.99), {malformed}, {without_customer}
        from customers
        having count(*) > 0
    """


# --- journeys -----------------------------------------------------------------------------------

JOURNEY_RULES = (
    "completes_before_it_starts",
    "next_moment_starts_earlier",
    "repeats_a_once_only_moment",
    "in_the_future",
    "duration_disagrees",
)


def journeys_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Moments and sessions whose timestamps or order are inconsistent (one flag per rule)."""
    latest = (
        f"(select max(partition_date) + interval 2 day from {AUDIT_TABLE})"
        if "load_audit" in existing_tables(connection, "ops")
        else "(select max(completed_at) from marts.journey_moments)"
    )
    return f"""
        with moments as (
            select
                moments.moment_id as row_key, moments.customer_id, moments.moment,
                moments.completed_at < moments.started_at as completes_before_it_starts,
                coalesce(following.started_at < moments.started_at, false)
                    as next_moment_starts_earlier,
                coalesce(repeats.occurrence > 1, false) as repeats_a_once_only_moment,
                coalesce(moments.completed_at > {latest}, false) as in_the_future,
                false as duration_disagrees
            from marts.journey_moments as moments
            left join marts.journey_moments as following
                on moments.next_moment_id = following.moment_id
            left join (
                -- Moments a customer has at most once: every rule recognizing them takes only
                -- the first occurrence, or groups by customer.
                select
                    moment_id,
                    row_number() over (
                        partition by customer_id, moment order by started_at, moment_id
                    ) as occurrence
                from marts.journey_moments
                where moment in (
                    select moment from reference.journey_moment_rules group by moment
                    having bool_and(occurrence = 'first' or grouped_by = 'customer')
                )
            ) as repeats on moments.moment_id = repeats.moment_id
        ),
        sessions as (
            select
                session_id as row_key, customer_id, 'session' as moment,
                ended_at < started_at as completes_before_it_starts,
                false as next_moment_starts_earlier,
                false as repeats_a_once_only_moment,
                ended_at > {latest} as in_the_future,
                abs(duration_seconds - (epoch(ended_at) - epoch(started_at))) >= 1
                    as duration_disagrees
            from marts.sessions
        )
        select 'marts/journey_moments' as asset, * from moments
        where completes_before_it_starts or next_moment_starts_earlier
            or repeats_a_once_only_moment or in_the_future
        union all
        select 'marts/sessions', * from sessions
        where completes_before_it_starts or in_the_future or duration_disagrees
    """


# --- marts --------------------------------------------------------------------------------------


def declared_ranges(manifest: dict) -> dict[tuple[str, str], tuple[float, float]]:
    """(mart, column) -> (low, high) of every mart column whose YAML meta declares a ``range``
    (other columns may have one by name: ``range_by_name``)."""
    ranges = {}
    for node in models(manifest, "marts"):
        for name, column in node.get("columns", {}).items():
            meta = column_meta(column)
            if "range" in meta:
                low, high = meta["range"]
                ranges[node.get("alias") or node["name"], name] = (float(low), float(high))
    return ranges


def range_by_name(column: str) -> tuple[float, float] | None:
    words = column.split("_")
    if "nps" in words:
        return (-100.0, 100.0)
    if words[-1] in ("rate", "share", "probability") or words[0] == "conversion":
        return (0.0, 1.0)
    return None


def mart_ranges_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """One row per mart column with a range: its values outside the range."""
    declared = declared_ranges(dbt_manifest())
    numeric = table_columns(
        connection,
        ("marts",),
        "(data_type in ('DOUBLE', 'FLOAT', 'REAL', 'INTEGER', 'BIGINT', 'HUGEINT', 'SMALLINT') "
        "or data_type like 'DECIMAL%')",
    )
    scans = []
    for _, table, column in numeric:
        bounds = declared.get((table, column)) or range_by_name(column)
        if bounds is None:
            continue
        low, high = bounds
        value = quoted(column)
        scans.append(
            f"select {literal('marts/' + table)} as asset, "
            f"{literal(f'marts.{table}.{column}')} as column_ref, "
            f"{low} as lowest_allowed, {high} as highest_allowed, "
            f"min({value})::double as lowest_found, max({value})::double as highest_found, "
            f"count(*) filter (where {value} < {low} or {value} > {high}) as values_out_of_range "
            f"from marts.{quoted(table)}"
        )
    if not scans:
        return (
            "select null::varchar as asset, null::varchar as column_ref, "
            "null::double as lowest_allowed, null::double as highest_allowed, "
            "null::double as lowest_found, null::double as highest_found, "
            "0::bigint as values_out_of_range where false"
        )
    return " union all ".join(scans)


def mart_assets() -> tuple[tuple[str, ...], ...]:
    """The marts with a column under a range, by name or declared."""
    manifest = dbt_manifest()
    declared = {mart for mart, _ in declared_ranges(manifest)}
    return tuple(
        ("marts", node["name"])
        for node in models(manifest, "marts")
        if (node.get("alias") or node["name"]) in declared
        or any(range_by_name(name) for name in node.get("columns", {}))
    )
