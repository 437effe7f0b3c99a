"""Load one landing stream's days into the warehouse: raw rows, quarantine rows, an audit row.

A stream is one contract (``<channel>/<entity>``). For each landing day its files are read
(``reader``), validated in bulk in DuckDB (``validation``), and the day's partition of
``raw.<stream>`` and ``quarantine.<stream>`` is replaced in one transaction, so a re-run replaces
the day and never duplicates it. Nothing is dropped: every non-blank line of every file ends up in
exactly one of the two tables.

A loaded record whose optional fields break the contract (a date that does not parse, a number
sent as text) loads unchanged; each such field is recorded in ``ops.invalid_optional_fields``
(stream, record key, field, reason, lineage — never the value), whose rows of a stream's day are
replaced with the day's raw partition, and counted per field in the load result and the audit.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.ingestion.contracts import Contract
from orchestration.ingestion.reader import (
    DEFAULT_MAX_RECORD_BYTES,
    ReadBatch,
    files_for,
    read_files,
)
from orchestration.ingestion.validation import (
    EARLIEST_EVENT,
    FUTURE_TOLERANCE,
    Paths,
    duplicate_key_check,
    object_keys_sql,
    optional_field_checks,
    record_checks,
    sql_string,
    strict_json_problem_sql,
    timestamp_problem_sql,
    timestamp_value_sql,
)

RAW_SCHEMA = "raw"
QUARANTINE_SCHEMA = "quarantine"
AUDIT_TABLE = "ops.load_audit"
#: One row per loaded record and optional field whose value broke the contract.
FIELD_ISSUES_TABLE = "ops.invalid_optional_fields"
#: Where every raw and quarantine row came from.
_LINEAGE_COLUMNS = """
    _partition_date date not null,
    _source_file varchar not null,
    _source_line integer not null,
    _load_id varchar not null,
    _loaded_at timestamptz not null
"""


@dataclass
class LoadResult:
    stream: str
    days: list[date]
    files: int = 0
    lines: int = 0
    loaded: int = 0
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    load_id: str = ""
    missing_days: list[date] = field(default_factory=list)
    #: day -> (loaded, quarantined)
    per_day: dict[date, tuple[int, int]] = field(default_factory=dict)
    #: optional field -> loaded records whose value of it broke the contract
    invalid_optional_fields: Counter[str] = field(default_factory=Counter)


def raw_table(contract: Contract) -> str:
    return f"{RAW_SCHEMA}.{contract.stream}"


def quarantine_table(contract: Contract) -> str:
    return f"{QUARANTINE_SCHEMA}.{contract.stream}"


def ensure_tables(connection: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    connection.execute(f"create schema if not exists {QUARANTINE_SCHEMA}")
    connection.execute("create schema if not exists ops")
    connection.execute(
        f"""
        create table if not exists {raw_table(contract)} (
            record_key varchar not null,
            occurred_at timestamptz not null,
            payload json not null,
            {_LINEAGE_COLUMNS}
        )
        """
    )
    connection.execute(
        f"""
        create table if not exists {quarantine_table(contract)} (
            reason varchar not null,
            record_key varchar,
            raw_text varchar not null,
            {_LINEAGE_COLUMNS}
        )
        """
    )
    connection.execute(
        f"""
        create table if not exists {AUDIT_TABLE} (
            load_id varchar not null,
            stream varchar not null,
            partition_date date not null,
            files integer not null,
            lines bigint not null,
            loaded bigint not null,
            quarantined bigint not null,
            files_signature varchar not null,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            run_id varchar,
            invalid_optional_fields json
        )
        """
    )
    # Audits written before optional fields were flagged lack the column.
    connection.execute(
        f"alter table {AUDIT_TABLE} add column if not exists invalid_optional_fields json"
    )
    connection.execute(
        f"""
        create table if not exists {FIELD_ISSUES_TABLE} (
            stream varchar not null,
            record_key varchar not null,
            field varchar not null,
            reason varchar not null,
            {_LINEAGE_COLUMNS}
        )
        """
    )


def day_dir(landing_root: Path, contract: Contract, day: date) -> Path:
    return landing_root / contract.channel / day.isoformat()


def files_signature(files: list[Path]) -> str:
    """Changes when a file of the day is added, removed, replaced or grows."""
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _validated_sql(contract: Contract) -> str:
    """SQL over ``_incoming`` giving every line its record key, event time, reason (NULL: it
    loads) and ``field_issues``, the optional fields whose value broke the contract."""
    paths = Paths()
    checks = ",\n".join(record_checks(paths, contract.schema))
    optional = [
        f"{{'field': {sql_string(path)}, 'reason': {check}}}"
        for path, check in optional_field_checks(paths, contract.schema)
    ]
    issues = f"[{', '.join(optional)}]" if optional else f"cast([] as {_ISSUE_TYPE}[])"
    occurred = contract.occurred_at
    zone_path = contract.local_timezone_field
    zone, zone_check, zone_join = None, "null", ""
    if zone_path is not None:
        zone = "_zone.name"
        zone_check = (
            f"case when {paths.value(zone_path)} is not null and _zone.name is null "
            f"then {sql_string(f'{zone_path}: unknown time zone')} end"
        )
        zone_join = (
            "left join (select name from pg_timezone_names()) as _zone "
            f"on _zone.name = {paths.value(zone_path)}"
        )
    occurred_at = timestamp_value_sql(paths, occurred, zone)
    key = " || '|' || ".join(f"coalesce({paths.value(path)}, '')" for path in contract.record_id)
    occurred_type = paths.type_of(occurred)
    occurred_problem = (
        f"case when {occurred_type} = 'VARCHAR' "
        f"then {timestamp_problem_sql(paths.value(occurred))} else 'unparseable timestamp' end"
    )
    return f"""
        with screened as (
            select
                _incoming.* exclude (reason),
                coalesce(reason, {strict_json_problem_sql("raw_text")}) as reason
            from _incoming
        ),

        parsed as (
            select
                screened.*,
                case when reason is null and json_valid(raw_text) then raw_text::json end as doc
            from screened
        ),

        extracted as (
            select
                parsed.*,
                json_type(doc) as _document_type,
                {object_keys_sql(contract.schema)} as _object_keys,
                {paths.select_sql()}
            from parsed
        ),

        timed as (
            select
                extracted.*,
                {occurred_at} as occurred_at,
                {zone_check} as zone_reason
            from extracted
            {zone_join}
        ),

        checked as (
            select
                timed.* exclude (
                    reason, zone_reason, _types, _values, _document_type, _object_keys
                ),
                case when _document_type = 'OBJECT' then {key} end as record_key,
                list_filter({issues}, lambda issue: issue.reason is not null) as field_issues,
                coalesce(
                    reason,
                    case when doc is null then 'not valid JSON' end,
                    case when _document_type <> 'OBJECT' then 'not a JSON object' end,
                    {duplicate_key_check(contract.schema, "_object_keys")},
                    nullif(concat_ws('; ',
                        {checks},
                        zone_reason,
                        case when {occurred_type} is not null and occurred_at is null
                            then {sql_string(f"{occurred}: ")} || {occurred_problem} end,
                        case when occurred_at < timestamptz '{EARLIEST_EVENT}'
                            or occurred_at >= _partition_date + interval 1 day + {FUTURE_TOLERANCE}
                            then {sql_string(f"{occurred}: event time outside the plausible range")}
                            end
                    ), '')
                ) as reason
            from timed
        ),

        -- A quarantined record's reasons name its bad optional fields too.
        judged as (
            select
                checked.* exclude (reason),
                case when reason is not null and len(field_issues) > 0
                    then reason || '; ' || array_to_string(list_transform(
                        field_issues, lambda issue: issue.field || ': ' || issue.reason
                    ), '; ')
                    else reason
                end as reason
            from checked
        ),

        ranked as (
            select
                judged.*,
                row_number() over same_key as copy_number,
                first_value(_source_file || ':' || _source_line) over same_key as first_copy,
                first_value(raw_text) over same_key as first_text
            from judged
            window same_key as (
                partition by _partition_date, record_key, reason is null
                order by _source_file, _source_line
            )
        )

        select
            * exclude (reason, copy_number, first_copy, first_text),
            case
                when reason is not null then reason
                when copy_number > 1 and raw_text = first_text
                    then 'duplicate of the record at ' || first_copy
                when copy_number > 1
                    then 'same record id as the record at ' || first_copy || ', other content'
            end as reason
        from ranked
    """


_ISSUE_TYPE = "struct(field varchar, reason varchar)"
#: One row per loaded record and optional field flagged on it (``issue``), over ``_validated``.
_FLAGGED = (
    "select *, unnest(field_issues) as issue from _validated "
    "where reason is null and len(field_issues) > 0"
)


def _incoming_table(batch: ReadBatch, partition_dates: list[date]) -> pa.Table:
    return pa.table(
        {
            "_partition_date": pa.array(partition_dates, pa.date32()),
            "_source_file": pa.array(batch.source_file, pa.string()),
            "_source_line": pa.array(batch.source_line, pa.int32()),
            "raw_text": pa.array(batch.raw_text, pa.string()),
            "reason": pa.array(batch.reason, pa.string()),
        }
    )


def load_days(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    landing_root: Path,
    days: list[date],
    *,
    run_id: str | None = None,
    state_root: Path | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> LoadResult:
    """Load ``days`` of one stream, replacing whatever those days held before. A record over
    ``max_record_bytes`` is quarantined with its size (``reader.oversized``)."""
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    result = LoadResult(stream=contract.stream, days=sorted(days), load_id=uuid.uuid4().hex)
    batch = ReadBatch()
    partition_dates: list[date] = []
    signatures: dict[date, str] = {}
    file_counts: dict[date, int] = {}
    for day in result.days:
        files = files_for(day_dir(landing_root, contract, day), contract.entity, contract.format)
        if not files:
            result.missing_days.append(day)
        signatures[day] = files_signature(files)
        file_counts[day] = len(files)
        before = len(batch)
        read_files(files, landing_root, contract.format, batch, max_record_bytes)
        partition_dates.extend([day] * (len(batch) - before))
        result.files += len(files)
    result.lines = len(batch)

    ensure_tables(connection, contract)
    incoming = _incoming_table(batch, partition_dates)
    del batch, partition_dates  # the Arrow copy is all DuckDB needs; free the Python strings
    connection.register("_incoming", incoming)
    try:
        connection.execute("begin transaction")
        connection.execute(f"create or replace temp table _validated as {_validated_sql(contract)}")
        _replace_partitions(
            connection=connection,
            contract=contract,
            result=result,
            started_at=started_at,
            signatures=signatures,
            file_counts=file_counts,
            run_id=run_id,
        )
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    finally:
        connection.unregister("_incoming")
        connection.execute("drop table if exists _validated")
    result.seconds = time.perf_counter() - started
    if state_root is not None:
        for day in result.days:
            write_manifest(state_root, contract, day, signatures[day], result.load_id)
    return result


def _replace_partitions(
    *,
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    result: LoadResult,
    started_at: datetime,
    signatures: dict[date, str],
    file_counts: dict[date, int],
    run_id: str | None,
) -> None:
    days = [day.isoformat() for day in result.days]
    loaded_at = datetime.now(UTC)
    lineage = [result.load_id, loaded_at]
    for table in (raw_table(contract), quarantine_table(contract)):
        connection.execute(f"delete from {table} where _partition_date = any(?::date[])", [days])
    connection.execute(
        f"delete from {FIELD_ISSUES_TABLE} where stream = ? and _partition_date = any(?::date[])",
        [contract.stream, days],
    )
    connection.execute(
        f"""
        insert into {raw_table(contract)}
        select record_key, occurred_at, doc, _partition_date, _source_file, _source_line, ?, ?
        from _validated where reason is null
        order by _partition_date, _source_file, _source_line
        """,
        lineage,
    )
    connection.execute(
        f"""
        insert into {quarantine_table(contract)}
        select reason, record_key, raw_text, _partition_date, _source_file, _source_line, ?, ?
        from _validated where reason is not null
        order by _partition_date, _source_file, _source_line
        """,
        lineage,
    )
    connection.execute(
        f"""
        insert into {FIELD_ISSUES_TABLE}
        select ?, record_key, issue.field, issue.reason, _partition_date, _source_file,
            _source_line, ?, ?
        from ({_FLAGGED}) as flagged
        order by _partition_date, _source_file, _source_line, issue.field
        """,
        [contract.stream, *lineage],
    )
    invalid_by_day: dict[date, dict[str, int]] = {}
    for day, field_path, records in connection.execute(
        f"select _partition_date, issue.field, count(*) from ({_FLAGGED}) as flagged "
        "group by all order by all"
    ).fetchall():
        invalid_by_day.setdefault(day, {})[field_path] = records
        result.invalid_optional_fields[field_path] += records
    per_day = {
        row[0]: (row[1], row[2])
        for row in connection.execute(
            """
            select _partition_date, count(*) filter (where reason is null),
                count(*) filter (where reason is not null)
            from _validated group by 1
            """
        ).fetchall()
    }
    for day in result.days:
        loaded, quarantined = per_day.get(day, (0, 0))
        connection.execute(
            f"""
            insert into {AUDIT_TABLE} (
                load_id, stream, partition_date, files, lines, loaded, quarantined,
                files_signature, started_at, finished_at, run_id, invalid_optional_fields
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                result.load_id,
                contract.stream,
                day,
                file_counts[day],
                loaded + quarantined,
                loaded,
                quarantined,
                signatures[day],
                started_at,
                loaded_at,
                run_id,
                json.dumps(invalid_by_day.get(day, {})),
            ],
        )
        result.loaded += loaded
        result.quarantined += quarantined
        result.per_day[day] = (loaded, quarantined)
    for reason, count in connection.execute(
        "select reason, count(*) from _validated where reason is not null group by 1"
    ).fetchall():
        for single in reason.split("; "):
            result.reasons[_reason_kind(single)] += count


def _reason_kind(reason: str) -> str:
    """Group reasons for reporting: the per-record file position is dropped."""
    if reason.startswith("duplicate of the record at"):
        return "duplicate record"
    if reason.startswith("same record id as the record at"):
        return "same record id, other content"
    return reason


def manifest_path(state_root: Path, contract: Contract, day: date) -> Path:
    return state_root / "loads" / contract.stream / f"{day.isoformat()}.json"


def write_manifest(
    state_root: Path, contract: Contract, day: date, signature: str, load_id: str
) -> None:
    """Record which files a day was loaded from, so the sensor can tell when it changes."""
    path = manifest_path(state_root, contract, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"files_signature": signature, "load_id": load_id}))
    temporary.replace(path)


def loaded_signature(state_root: Path, contract: Contract, day: date) -> str | None:
    path = manifest_path(state_root, contract, day)
    try:
        return json.loads(path.read_text())["files_signature"]
    except (OSError, ValueError, KeyError):
        return None
