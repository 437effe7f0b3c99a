"""What keeps the whole warehouse current: the build job, the journey job and the sensor that
chains a build to every load.

A landing day reaches raw through ``load_landing`` (the daily schedule, the landing sensor, or a
reload from the UI). When such a run succeeds, ``warehouse_after_load`` requests
``build_warehouse``: every asset past raw (staging, the pseudonym key, identity, journeys, the
marts) and their quality checks, in one run, so the error suites gate what they guard exactly
as in ``make demo``. dbt's incremental models make that run cost what changed. Loads that land
while a build waits in the queue are picked up by that build: one queued build is enough.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import build_dbt_asset_selection

from orchestration.ingestion.assets import LANDING_CHECKS, RAW_CHECKS, RAW_PREFIX, RAW_SELECTION
from orchestration.journeys.sentiment import social_mention_sentiment
from orchestration.transform.assets import connect360_dbt_assets

BUILD_JOB = "build_warehouse"
JOURNEYS_JOB = "build_journeys"
#: Runs of the build job that have not begun reading the warehouse yet.
WAITING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]

warehouse_build_job = dg.define_asset_job(
    BUILD_JOB,
    # With the dbt source tests on the raw tables (checks on raw assets, run by dbt).
    selection=(dg.AssetSelection.all() - RAW_SELECTION) | (RAW_CHECKS - LANDING_CHECKS),
    description=(
        "Everything past raw: staging, identity, journeys, consent and marts, with their quality "
        "checks. A failing error suite withholds what it guards (the activation marts)."
    ),
)

#: The journey layer runs together (macros/journey_changes.sql): its intermediate models and its
#: marts, with the sentiment of social mentions the touchpoints read.
JOURNEY_MODELS = "path:models/intermediate/journeys path:models/marts/journeys"
journeys_job = dg.define_asset_job(
    JOURNEYS_JOB,
    selection=dg.AssetSelection.assets(social_mention_sentiment)
    | build_dbt_asset_selection([connect360_dbt_assets], dbt_select=JOURNEY_MODELS),
    description=(
        "The journey layer together: touchpoints, sessions, journey moments, attribution paths "
        "and what they read in the layer. Run it after changing a journey model (with "
        "`--full-refresh` from dbt when the change alters existing rows)."
    ),
)


def loaded_raw(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run materialized any raw asset (a load job, or raw assets materialized from
    the UI)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return any(
        record.event_log_entry.dagster_event.asset_key.path[0] == RAW_PREFIX
        for record in records
        if record.event_log_entry.dagster_event is not None
        and record.event_log_entry.dagster_event.asset_key is not None
    )


@dg.run_status_sensor(
    name="warehouse_after_load",
    run_status=dg.DagsterRunStatus.SUCCESS,
    request_job=warehouse_build_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "After a run that loaded landing days succeeds, build everything past raw "
        f"({BUILD_JOB}), unless a build is already waiting to start."
    ),
)
def warehouse_after_load(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    run = context.dagster_run
    if run.job_name == BUILD_JOB or not loaded_raw(context.instance, run.run_id):
        return dg.SkipReason(f"run {run.run_id} loaded no landing day")
    waiting = context.instance.get_run_ids(
        filters=dg.RunsFilter(job_name=BUILD_JOB, statuses=WAITING), limit=1
    )
    if waiting:
        return dg.SkipReason(
            f"build {waiting[0]} has not started yet: it will read what run {run.run_id} loaded"
        )
    return dg.RunRequest(
        run_key=f"after:{run.run_id}",
        tags={"connect360/after_load": run.run_id},
    )
