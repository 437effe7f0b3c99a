"""Where 360Connect keeps its files, read from the environment with embedded defaults.

Every path may be absolute or relative; relative paths are taken from the repository root so that
Dagster, dbt, the simulator and the benchmark all agree whatever directory they start in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from orchestration.ingestion.reader import DEFAULT_MAX_RECORD_BYTES

REPO_ROOT = Path(__file__).resolve().parent.parent


@cache
def dbt_vars() -> Mapping[str, object]:
    """The project's dbt vars (``dbt_project.yml``): the one place rule parameters live."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())
    return project.get("vars") or {}


#: The Dagster concurrency pool every warehouse writer runs in (limit 1: DuckDB has one writer).
WAREHOUSE_POOL = "duckdb_warehouse"


#: File names (without the extension) DuckDB cannot give its own name to: it names the database
#: of `main.duckdb` "main_db", while dbt looks for "main".
RESERVED_WAREHOUSE_NAMES = frozenset({"main", "temp", "system"})


def _path(variable: str, default: str) -> Path:
    value = Path(os.environ.get(variable) or default).expanduser()
    return value if value.is_absolute() else REPO_ROOT / value


def _warehouse_path() -> Path:
    """CONNECT360_WAREHOUSE, refused at once when dbt could not find its tables in it."""
    path = _path("CONNECT360_WAREHOUSE", "data/warehouse/connect360.duckdb")
    # DuckDB names a database file's database after the file name up to its first dot.
    name = path.name.lstrip(".").split(".")[0]
    if name.lower() in RESERVED_WAREHOUSE_NAMES:
        raise ValueError(
            f"CONNECT360_WAREHOUSE names a file called {path.name!r}: DuckDB renames a database "
            f"called {name!r} (it is one of its own names), and dbt would not find its "
            "tables. Choose another file name, e.g. connect360.duckdb."
        )
    return path


def _positive_int(variable: str, default: int) -> int:
    text = os.environ.get(variable) or str(default)
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{variable} must be a whole number above 0, not {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    truth_dir: Path
    warehouse_path: Path
    state_dir: Path
    partitions_start: date
    #: DuckDB memory limit for the loader's connection (its buffer pool otherwise keeps freshly
    #: written blocks up to 80% of RAM); dbt has its own settings in profiles.yml.
    loader_memory_limit: str
    #: The largest record the loader reads, in bytes; a larger one is quarantined with its size.
    max_record_bytes: int

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            landing_dir=_path("CONNECT360_LANDING_DIR", "data/landing"),
            truth_dir=_path("CONNECT360_TRUTH_DIR", "data/truth"),
            warehouse_path=_warehouse_path(),
            state_dir=_path("CONNECT360_STATE_DIR", "data/state"),
            partitions_start=date.fromisoformat(
                os.environ.get("CONNECT360_PARTITIONS_START") or "2025-01-01"
            ),
            loader_memory_limit=os.environ.get("CONNECT360_LOADER_MEMORY_LIMIT") or "2GB",
            max_record_bytes=_positive_int("CONNECT360_MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES),
        )
