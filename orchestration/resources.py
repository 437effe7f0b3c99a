"""Dagster resources: the DuckDB warehouse and the landing directory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion.reader import DEFAULT_MAX_RECORD_BYTES
from orchestration.settings import WAREHOUSE_POOL, Settings

_LOCK_MESSAGES = ("Could not set lock", "Conflicting lock")


def connect_warehouse(
    path: Path,
    *,
    read_only: bool = False,
    wait_seconds: float = 120.0,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, waiting while another process holds DuckDB's single-writer lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not any(message in str(error) for message in _LOCK_MESSAGES):
                raise
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"the warehouse {path} stayed locked by another process for "
                    f"{wait_seconds:.0f} s; is a run outside the '{WAREHOUSE_POOL}' pool writing?"
                ) from error
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
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
