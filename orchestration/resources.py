"""Dagster resources: the DuckDB warehouse and the landing directory."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion.reader import DEFAULT_MAX_RECORD_BYTES
from orchestration.settings import WAREHOUSE_POOL, Settings

_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


#: How long opening the warehouse waits for another process's lock before it fails, and how
#: often it says it is still waiting.
LOCK_WAIT_SECONDS = 120.0
LOCK_REPORT_SECONDS = 15.0
_LOCK_HOLDER = re.compile(r"held in (.+?) \(PID (\d+)\)")


def _lock_holder(error: Exception) -> str:
    """Who holds the lock, as DuckDB names it ("python3 (PID 4242)"), without the file path."""
    found = _LOCK_HOLDER.search(str(error))
    return f"{Path(found.group(1)).name} (PID {found.group(2)})" if found else "another process"


def connect_warehouse(
    path: Path,
    *,
    read_only: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    memory_limit: str | None = None,
    log: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds DuckDB's lock (a writer, or a
    reader: DuckDB lets no writer in while any other process has the file open). The wait is
    logged when it starts and every ``LOCK_REPORT_SECONDS``, naming the process that holds the
    lock (``log``: Dagster's logger by default, so it lands in the run's log); after
    ``wait_seconds`` it fails with ``TimeoutError``."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    log = log or dg.get_dagster_logger().warning
    started = time.monotonic()
    reported: float | None = None
    delay = 0.1
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not any(message in str(error) for message in _LOCK_MESSAGES):
                raise
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise TimeoutError(
                    f"the warehouse {path.name} stayed locked by {_lock_holder(error)} for "
                    f"{waited:.0f} s; a reader should open the published copy, and every writer "
                    f"run in the '{WAREHOUSE_POOL}' pool"
                ) from error
            if reported is None or waited - reported >= LOCK_REPORT_SECONDS:
                log(
                    f"waiting for the warehouse {path.name}: {_lock_holder(error)} has it open "
                    f"({waited:.0f} s so far, giving up after {wait_seconds:.0f} s)"
                )
                reported = waited
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        if reported is not None:
            log(f"the warehouse {path.name} is free after {time.monotonic() - started:.0f} s")
        connection.execute("set TimeZone = 'UTC'")
        if memory_limit:
            connection.execute("set memory_limit = ?", [memory_limit])
        return connection


class WarehouseResource(dg.ConfigurableResource):
    """The embedded DuckDB warehouse file (env CONNECT360_WAREHOUSE)."""

    path: str
    memory_limit: str | None = None

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        connection = connect_warehouse(
            Path(self.path), read_only=read_only, memory_limit=self.memory_limit
        )
        try:
            yield connection
        finally:
            connection.close()


class LandingResource(dg.ConfigurableResource):
    """Where exports land, ``<landing>/<channel>/<YYYY-MM-DD>/`` (env CONNECT360_LANDING_DIR)."""

    path: str
    state_path: str
    #: The largest record read (env CONNECT360_MAX_RECORD_BYTES); a larger one is quarantined.
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    @property
    def root(self) -> Path:
        return Path(self.path)

    @property
    def state_root(self) -> Path:
        return Path(self.state_path)


def default_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path), memory_limit=settings.loader_memory_limit
        ),
        "landing": LandingResource(
            path=str(settings.landing_dir),
            state_path=str(settings.state_dir),
            max_record_bytes=settings.max_record_bytes,
        ),
    }
