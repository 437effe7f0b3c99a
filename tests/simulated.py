"""Simulated landing data loaded the way production loads it: the fixtures' common start."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.definitions import defs
from orchestration.ingestion.assets import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from orchestration.quality.runner import QUALITY_DIR_VARIABLE
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.transform.pseudonym_key import pseudonym_key
from simulator import SimulationConfig, simulate


@contextmanager
def _quality_dir(path: Path) -> Iterator[None]:
    previous = os.environ.get(QUALITY_DIR_VARIABLE)
    os.environ[QUALITY_DIR_VARIABLE] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(QUALITY_DIR_VARIABLE, None)
        else:
            os.environ[QUALITY_DIR_VARIABLE] = previous


def simulate_and_load(
    work: Path, *, load_days: tuple[str, str] | None = None, **config: Any
) -> None:
    """Simulate into `work`, run the Dagster load job into work/warehouse.duckdb over
    `load_days` (default: every landing day), and write the pseudonym key. The load job's
    quality checks keep their results under work/quality."""
    simulate(
        SimulationConfig(
            landing_dir=work / "landing",
            truth_dir=work / "truth",
            workers=1,
            progress=False,
            **config,
        )
    )
    days = landing_days(work)
    load(work, *(load_days or (days[0], days[-1])))


def landing_days(work: Path) -> list[str]:
    """Every landing day of work/landing, in order."""
    return sorted({path.name for path in (work / "landing").glob("*/*") if path.is_dir()})


def load(work: Path, first: str, last: str) -> None:
    """Run the Dagster load job over landing days `first`..`last` into work/warehouse.duckdb,
    and write the pseudonym key if it is not there yet."""
    resources = {
        "landing": LandingResource(path=str(work / "landing"), state_path=str(work / "state")),
        "warehouse": WarehouseResource(path=str(work / "warehouse.duckdb")),
    }
    with dg.instance_for_test() as instance, _quality_dir(work / "quality"):
        loaded = defs.resolve_job_def("load_landing").execute_in_process(
            instance=instance,
            resources=resources,
            tags={PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last},
        )
    assert loaded.success
    assert dg.materialize([pseudonym_key], resources=resources).success
