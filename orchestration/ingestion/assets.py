"""Raw load assets: one per landing contract, partitioned by landing day.

Adding a channel means adding its contract under ``contracts/<channel>/``; the asset, its place in
the schedule and the sensor follow from the registry, nothing here lists channels by name.
"""

import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg

from orchestration.ingestion.contracts import Contract, load_contracts
from orchestration.ingestion.loader import (
    LoadResult,
    day_dir,
    files_signature,
    load_days,
    loaded_signature,
    raw_table,
)
from orchestration.ingestion.reader import (
    files_for,
    is_day_folder,
    refused_files,
    unclaimed_files,
)
from orchestration.quality.checks import landing_quality_checks
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import WAREHOUSE_POOL, Settings

# Single-run backfills (one run loads a range of days) are a deliberate choice; Dagster marks the
# parameter beta, which would otherwise warn once per asset on every load of the definitions.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

RAW_PREFIX = "raw"
#: Dagster's run tags that run a partition range in one run (a single-run backfill).
PARTITION_NAME_TAG = "dagster/partition"
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
#: A single-run backfill loads days in transactions of at most this many landing bytes (a busy
#: day may exceed it alone) and at most DAYS_PER_TRANSACTION days: memory stays bounded.
BYTES_PER_TRANSACTION = 128 * 1024 * 1024
DAYS_PER_TRANSACTION = 31


def daily_partitions(settings: Settings | None = None) -> dg.DailyPartitionsDefinition:
    """Landing days; today's folder is loadable as soon as files arrive (``end_offset=1``)."""
    settings = settings or Settings.from_env()
    return dg.DailyPartitionsDefinition(
        start_date=settings.partitions_start.isoformat(), end_offset=1
    )


def raw_asset_key(contract: Contract) -> dg.AssetKey:
    return dg.AssetKey([RAW_PREFIX, contract.stream])


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                "record_key", "varchar", description=f"{' | '.join(contract.record_id)}"
            ),
            dg.TableColumn(
                "occurred_at", "timestamptz", description=f"from {contract.occurred_at}"
            ),
            dg.TableColumn(
                "payload", "json", description="the record as landed, extra fields kept"
            ),
            dg.TableColumn("_partition_date", "date", description="landing day folder"),
            dg.TableColumn(
                "_source_file", "varchar", description="file, relative to the landing dir"
            ),
            dg.TableColumn("_source_line", "integer", description="line (CSV: row start line)"),
            dg.TableColumn("_load_id", "varchar", description="the load that wrote the row"),
            dg.TableColumn("_loaded_at", "timestamptz", description="when it was written"),
        ]
    )


def _landing_bytes(landing_root: Path, contract: Contract, day: date) -> int:
    files = files_for(day_dir(landing_root, contract, day), contract.entity, contract.format)
    return sum(path.stat().st_size for path in files)


def transaction_chunks(
    landing_root: Path, contract: Contract, days: Sequence[date]
) -> Iterator[list[date]]:
    """Consecutive days grouped so each group's files stay under ``BYTES_PER_TRANSACTION``."""
    chunk: list[date] = []
    size = 0
    for day in days:
        day_bytes = _landing_bytes(landing_root, contract, day)
        too_big = size + day_bytes > BYTES_PER_TRANSACTION
        if chunk and (too_big or len(chunk) == DAYS_PER_TRANSACTION):
            yield chunk
            chunk, size = [], 0
        chunk.append(day)
        size += day_bytes
    if chunk:
        yield chunk


def _metadata(result: LoadResult, contract: Contract) -> dict[str, dg.MetadataValue]:
    reasons = "\n".join(
        f"| {reason} | {count} |" for reason, count in result.reasons.most_common(20)
    )
    # A range run records one materialization per day, all with this metadata: the counts are
    # the whole load's, the per-day table splits them.
    metadata: dict[str, dg.MetadataValue] = {
        "loaded": dg.MetadataValue.int(result.loaded),
        "quarantined": dg.MetadataValue.int(result.quarantined),
        # Loaded records per optional field whose value broke the contract (the field is
        # flagged in ops.invalid_optional_fields; the record loads).
        "invalid_optional_fields": dg.MetadataValue.json(
            dict(sorted(result.invalid_optional_fields.items()))
        ),
        "lines_read": dg.MetadataValue.int(result.lines),
        "files": dg.MetadataValue.int(result.files),
        "days": dg.MetadataValue.int(len(result.days)),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        "dagster/table_name": dg.MetadataValue.text(raw_table(contract)),
    }
    if len(result.days) == 1:
        metadata["dagster/row_count"] = dg.MetadataValue.int(result.loaded)
    elif len(result.days) <= DAYS_PER_TRANSACTION:
        # Longer backfills keep their per-day counts in ops.load_audit only: this metadata is
        # repeated on every day's materialization.
        metadata["per_day"] = dg.MetadataValue.md(
            "| day | loaded | quarantined |\n|---|---|---|\n"
            + "\n".join(
                f"| {day} | {loaded} | {quarantined} |"
                for day, (loaded, quarantined) in sorted(result.per_day.items())
            )
        )
    if reasons:
        metadata["quarantine_reasons"] = dg.MetadataValue.md(
            "| reason | records |\n|---|---|\n" + reasons
        )
    if result.missing_days:
        metadata["days_without_files"] = dg.MetadataValue.text(
            ", ".join(day.isoformat() for day in result.missing_days[:31])
        )
    return metadata


def build_raw_asset(
    contract: Contract,
    partitions: dg.PartitionsDefinition,
    channel_entities: Sequence[tuple[str, str]] = (),
) -> dg.AssetsDefinition:
    """The raw load asset of one contract; ``channel_entities`` are all ``(entity, format)`` of
    its channel, so files that none of them claims can be reported."""

    @dg.asset(
        key=raw_asset_key(contract),
        name=None,
        group_name=RAW_PREFIX,
        owners=[contract.owner],
        description=f"{contract.title}. {contract.description}",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "python"},
        tags={"layer": "raw", "channel": contract.channel},
        metadata={
            "contract": dg.MetadataValue.path(str(contract.path)),
            "follows": contract.follows,
            "dagster/column_schema": _column_schema(contract),
            "pii_fields": dg.MetadataValue.json(contract.pii_fields()),
        },
    )
    def _raw_load(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        landing: LandingResource,
    ) -> dg.MaterializeResult:
        days = sorted(date.fromisoformat(key) for key in context.partition_keys)
        total = LoadResult(stream=contract.stream, days=days)
        with warehouse.connect() as connection:
            for chunk in transaction_chunks(landing.root, contract, days):
                result = load_days(
                    connection,
                    contract,
                    landing.root,
                    chunk,
                    run_id=context.run.run_id,
                    state_root=landing.state_root,
                    max_record_bytes=landing.max_record_bytes,
                )
                _accumulate(total, result)
                flagged = sum(result.invalid_optional_fields.values())
                context.log.info(
                    f"{contract.stream} {chunk[0]}..{chunk[-1]}: {result.loaded} loaded "
                    f"({flagged} invalid optional field values flagged), "
                    f"{result.quarantined} quarantined from {result.files} files"
                )
        if total.missing_days:
            context.log.warning(
                f"{contract.stream}: no landing files for {len(total.missing_days)} of "
                f"{len(days)} day(s), e.g. {total.missing_days[0]}"
            )
        metadata = _metadata(total, contract)
        unclaimed = [
            path.relative_to(landing.root).as_posix()
            for day in days
            for path in unclaimed_files(day_dir(landing.root, contract, day), channel_entities)
        ]
        if unclaimed:
            context.log.warning(
                f"{len(unclaimed)} file(s) in {contract.channel} landing folders match no "
                f"contract and were not loaded, e.g. {unclaimed[0]}"
            )
            metadata["unclaimed_files"] = _listing([f"`{name}`" for name in unclaimed])
        refused = [
            f"`{path.relative_to(landing.root).as_posix()}`: {reason}"
            for day in days
            for path, reason in refused_files(
                day_dir(landing.root, contract, day), [(contract.entity, contract.format)]
            )
        ]
        if refused:
            context.log.warning(
                f"{len(refused)} {contract.stream} landing entries were not read, e.g. {refused[0]}"
            )
            metadata["refused_files"] = _listing(refused)
        return dg.MaterializeResult(metadata=metadata)

    return _raw_load


def _listing(items: list[str], shown: int = 20) -> dg.MetadataValue:
    """A Markdown list of the first `shown` items, and how many more there are."""
    more = f"\n- … and {len(items) - shown} more" if len(items) > shown else ""
    return dg.MetadataValue.md("\n".join(f"- {item}" for item in items[:shown]) + more)


def _accumulate(total: LoadResult, result: LoadResult) -> None:
    total.files += result.files
    total.lines += result.lines
    total.loaded += result.loaded
    total.quarantined += result.quarantined
    total.reasons.update(result.reasons)
    total.invalid_optional_fields.update(result.invalid_optional_fields)
    total.seconds += result.seconds
    total.missing_days.extend(result.missing_days)
    total.per_day.update(result.per_day)


def build_raw_assets(
    contracts: Sequence[Contract] | None = None, settings: Settings | None = None
) -> list[dg.AssetsDefinition]:
    partitions = daily_partitions(settings)
    contracts = contracts or load_contracts()
    return [
        build_raw_asset(
            contract,
            partitions,
            [
                (other.entity, other.format)
                for other in contracts
                if other.channel == contract.channel
            ],
        )
        for contract in contracts
    ]


RAW_SELECTION = dg.AssetSelection.key_prefixes(RAW_PREFIX)

#: What the load job checks: the landing suites of Great Expectations (``landing_quality``). The
#: dbt source tests on raw tables run with the next build, in its dbt step.
LANDING_CHECKS = dg.AssetSelection.checks(*landing_quality_checks.check_keys)
#: The checks on raw assets, without the assets.
RAW_CHECKS = RAW_SELECTION - RAW_SELECTION.without_checks()

raw_load_job = dg.define_asset_job(
    "load_landing",
    selection=RAW_SELECTION.without_checks() | LANDING_CHECKS,
    description="Load landing days of every channel into raw and quarantine tables.",
    # One process for the run: a raw load is a second or less of work, and a process per
    # step would cost more than the load (a one-day reload of every channel takes seconds).
    executor_def=dg.in_process_executor,
)


@dg.schedule(
    job=raw_load_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every morning, (re)load yesterday's landing day of every channel.",
)
def daily_landing_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = (context.scheduled_execution_time.date() - timedelta(days=1)).isoformat()
    return dg.RunRequest(run_key=f"daily:{day}", partition_key=day)


def pending_loads(
    landing: LandingResource, contracts: Sequence[Contract], partitions: dg.PartitionsDefinition
) -> dict[str, dict[str, str]]:
    """Landing days whose files differ from what was last loaded: day -> {stream: signature}."""
    valid_days = set(partitions.get_partition_keys(current_time=datetime.now()))
    by_channel: dict[str, list[Contract]] = defaultdict(list)
    for contract in contracts:
        by_channel[contract.channel].append(contract)
    pending: dict[str, dict[str, str]] = defaultdict(dict)
    for channel, channel_contracts in sorted(by_channel.items()):
        channel_dir = landing.root / channel
        if not channel_dir.is_dir():
            continue
        for folder in sorted(channel_dir.iterdir()):
            if not (is_day_folder(folder.name) and folder.name in valid_days):
                continue
            day = date.fromisoformat(folder.name)
            for contract in channel_contracts:
                files = files_for(folder, contract.entity, contract.format)
                signature = files_signature(files)
                if files and signature != loaded_signature(landing.state_root, contract, day):
                    pending[folder.name][contract.stream] = signature
    return pending


#: Runs that have not finished: queued, about to start, or running.
UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _days_being_loaded(instance: dg.DagsterInstance) -> set[str]:
    """The landing days of the load job's runs that have not finished: a day's run, or a range
    of days (a backfill, ``make demo``)."""
    days: set[str] = set()
    for run in instance.get_runs(
        filters=dg.RunsFilter(job_name=raw_load_job.name, statuses=UNFINISHED)
    ):
        day = run.tags.get(PARTITION_NAME_TAG)
        first = run.tags.get(PARTITION_RANGE_START_TAG)
        last = run.tags.get(PARTITION_RANGE_END_TAG)
        if day:
            days.add(day)
        elif first and last:
            current, end = date.fromisoformat(first), date.fromisoformat(last)
            while current <= end:
                days.add(current.isoformat())
                current += timedelta(days=1)
    return days


def build_landing_sensor(
    contracts: Sequence[Contract], partitions: dg.PartitionsDefinition
) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        job=raw_load_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Loads a landing day as soon as its files appear or change.",
    )
    def _landing_sensor(
        context: dg.SensorEvaluationContext, landing: LandingResource
    ) -> dg.SensorResult:
        pending = pending_loads(landing, contracts, partitions)
        # A day whose load is queued or running is left to it: its streams turn loaded one by
        # one, and a request for the rest would load them again and build the warehouse twice.
        # What is still pending once it has finished (files changed meanwhile) is asked for
        # at the next tick.
        busy = sorted(set(pending) & _days_being_loaded(context.instance))
        requests = [
            dg.RunRequest(
                run_key=f"landing:{day}:"
                + ",".join(f"{stream}={signature}" for stream, signature in streams.items()),
                partition_key=day,
                asset_selection=[dg.AssetKey([RAW_PREFIX, stream]) for stream in streams],
            )
            for day, streams in sorted(pending.items())
            if day not in busy
        ]
        if requests:
            context.log.info(f"{len(requests)} landing day(s) with new or changed files")
        if busy:
            context.log.info(f"landing day(s) {', '.join(busy)} wait for their running load")
        return dg.SensorResult(run_requests=requests)

    return _landing_sensor
