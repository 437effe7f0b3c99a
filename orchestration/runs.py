"""Runs that died without saying so, and the warehouse pool slot they hold.

A run killed with ``kill -9`` (or whose machine lost power) never records its end: it stays
STARTED in the Dagster instance and keeps its slot in the ``duckdb_warehouse`` pool, and with a
limit of one every later writer waits for it forever. Dagster's run monitoring cannot tell: the
default run launcher has no health check, and an in-process run (``make demo``) has no launcher
at all.

``sweep_dead_runs`` tells from the process that started executing a run (its RUN_START event):
a run in progress whose process is gone (or whose process id now belongs to a younger process)
is marked failed, with the reason, and the slots of every finished run are freed. In
``dagster dev`` the sensor ``dead_run_sweeper`` sweeps every minute; ``make demo`` sweeps and
then waits for the pool (``wait_for_pool``) before each of its runs, saying what it waits for
and obeying Ctrl-C and SIGTERM while it does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES, FINISHED_STATUSES

from orchestration.settings import WAREHOUSE_POOL

#: Seconds between two looks at the pool while waiting, and between two log lines about it.
POLL_SECONDS = 2.0
REPORT_SECONDS = 30.0
#: A process younger than its run's start by more than this is another process with a reused id.
_CLOCK_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class SweptRun:
    run_id: str
    job_name: str
    #: "failed": marked failed, its processes being gone; "freed": finished, its slots freed.
    action: str
    slots: int


def _run_processes(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    """The process that executes the run: the one that wrote its RUN_START event (the process
    of an in-process run, or the run worker ``dagster dev`` launched). Step processes are its
    children, and the process that created or queued the run is not it."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_START, limit=5
    ).records
    return {
        record.event_log_entry.dagster_event.pid
        for record in records
        if record.event_log_entry.dagster_event is not None
        and record.event_log_entry.dagster_event.pid is not None
    }


def _alive(pid: int, since: float) -> bool:
    """A process ``pid`` exists and is no younger than ``since`` (a run's start, epoch seconds)."""
    try:
        return psutil.Process(pid).create_time() <= since + _CLOCK_SLACK_SECONDS
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return True  # someone else's live process: assume it is the run


def is_dead(instance: dg.DagsterInstance, record: dg.RunRecord) -> bool:
    """A run in progress whose executing process is gone. A run that has not started executing
    (launched, its worker not up yet) is left to run monitoring's start timeout."""
    pids = _run_processes(instance, record.dagster_run.run_id)
    since = record.start_time or record.create_timestamp.timestamp()
    return bool(pids) and not any(_alive(pid, since) for pid in pids)


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> int:
    """Free every pool slot ``run_id`` holds; how many it held."""
    storage = instance.event_log_storage
    held = sum(
        slot.run_id == run_id
        for pool in storage.get_concurrency_keys()
        for slot in storage.get_concurrency_info(pool).claimed_slots
    )
    storage.free_concurrency_slots_for_run(run_id)
    return held


def sweep_dead_runs(
    instance: dg.DagsterInstance, log: Callable[[str], None] = print
) -> list[SweptRun]:
    """Mark runs in progress whose processes are all gone as failed, and free the pool slots of
    every finished run. Returns what was done; ``log`` is told each time."""
    swept = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=ACTIVE_RUN_STATUSES)):
        run = record.dagster_run
        if not is_dead(instance, record):
            continue
        instance.report_run_failed(
            run,
            "The run's processes are gone (killed, or their machine stopped) while the run was "
            f"{run.status.value}; marked failed so that its {WAREHOUSE_POOL} slot is freed.",
        )
        slots = _free_slots(instance, run.run_id)
        swept.append(SweptRun(run.run_id, run.job_name, "failed", slots))
        log(
            f"run {run.run_id} ({run.job_name}) was {run.status.value} with no live process: "
            f"marked failed, {slots} pool slot(s) freed"
        )
    holders = instance.event_log_storage.get_concurrency_run_ids()
    if holders:
        finished = instance.get_run_records(
            dg.RunsFilter(run_ids=list(holders), statuses=FINISHED_STATUSES)
        )
        for record in finished:
            run = record.dagster_run
            slots = _free_slots(instance, run.run_id)
            if slots:
                swept.append(SweptRun(run.run_id, run.job_name, "freed", slots))
                log(f"run {run.run_id} ({run.job_name}) ended: {slots} pool slot(s) freed")
    return swept


def wait_for_pool(
    instance: dg.DagsterInstance,
    pool: str = WAREHOUSE_POOL,
    log: Callable[[str], None] = print,
    timeout_seconds: float | None = None,
) -> float:
    """Sweep dead runs, then wait until ``pool`` has a free slot, saying which runs hold it every
    ``REPORT_SECONDS``. Returns the seconds waited; raises ``TimeoutError`` after
    ``timeout_seconds``. Plain sleeps: Ctrl-C and SIGTERM stop the wait at once."""
    started = time.monotonic()
    reported = None
    while True:
        sweep_dead_runs(instance, log)
        info = instance.event_log_storage.get_concurrency_info(pool)
        if info.slot_count == 0 or len(info.claimed_slots) < info.slot_count:
            return time.monotonic() - started
        waited = time.monotonic() - started
        if timeout_seconds is not None and waited > timeout_seconds:
            raise TimeoutError(f"the {pool} pool stayed taken for {waited:.0f} s")
        if reported is None or waited - reported >= REPORT_SECONDS:
            holders = ", ".join(sorted({slot.run_id for slot in info.claimed_slots}))
            log(
                f"waiting for the {pool} pool ({len(info.claimed_slots)} of {info.slot_count} "
                f"slot(s) taken by run {holders}) for {waited:.0f} s; Ctrl-C stops waiting"
            )
            reported = waited
        time.sleep(POLL_SECONDS)


@dg.sensor(
    name="dead_run_sweeper",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every minute: marks failed the runs whose processes died without recording it (a kill, "
        "a crash, a reboot) and frees the warehouse pool slots they held, so later runs do not "
        "wait for them forever."
    ),
)
def dead_run_sweeper(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    swept = sweep_dead_runs(context.instance, context.log.info)
    if not swept:
        return dg.SkipReason("no dead run, no slot held by a finished run")
    failed = sum(run.action == "failed" for run in swept)
    return dg.SkipReason(
        f"{failed} dead run(s) marked failed; {sum(run.slots for run in swept)} slot(s) freed"
    )
