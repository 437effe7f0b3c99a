"""`make lint` gives the same answer whatever the warehouse holds, and lints both branches of
every incremental model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "lint"))

from incremental_models import incremental_model_files  # noqa: E402

SQLFLUFF = Path(sys.prefix) / "bin" / "sqlfluff"
MODEL = "models/marts/journeys/touchpoints.sql"


def _render(env: dict[str, str], *config: str) -> str:
    result = subprocess.run(
        [str(SQLFLUFF), "render", MODEL, *config],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    # The model's SQL begins at its dependency comment; before it, the templater's banners and
    # dbt's log lines (time stamps, parse warnings) vary from run to run.
    return result.stdout[result.stdout.index("-- depends_on:") :]


def test_lint_compiles_the_same_sql_with_or_without_a_built_warehouse(tmp_path):
    # A warehouse where the model's table exists: dbt's is_incremental() is true against it.
    built = tmp_path / "connect360.duckdb"
    with duckdb.connect(str(built)) as connection:
        connection.execute("create schema marts")
        connection.execute("create table marts.touchpoints (touchpoint_id varchar)")
    absent = tmp_path / "absent" / "connect360.duckdb"
    with_warehouse = _render(os.environ | {"CONNECT360_WAREHOUSE": str(built)})
    without = _render(os.environ | {"CONNECT360_WAREHOUSE": str(absent)})
    assert with_warehouse == without
    assert not absent.exists(), "lint opened the configured warehouse"
    # The second pass takes the incremental branch, warehouse or not.
    incremental = _render(
        os.environ | {"CONNECT360_WAREHOUSE": str(absent)}, "--config", "lint/incremental.cfg"
    )
    assert incremental != without
    assert "int_journey_changes" in incremental.split("with", 1)[1]


def test_the_incremental_pass_lists_the_models_that_branch():
    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text())
    files = incremental_model_files(manifest)
    # Directly (touchpoints), and through the project's macros (the occurrences read only the
    # staged versions they have not read yet).
    assert MODEL in files
    assert "models/identity/int_identity__occurrences.sql" in files
    assert "models/marts/customers/customers.sql" not in files
    # A staging model branches only inside its `source` CTE's macro and its post-hook: none of
    # its own text, so it is linted once.
    assert "models/staging/web/stg_web__events.sql" not in files
    source = (REPO_ROOT / "models/staging/web/stg_web__events.sql").read_text()
    assert "source as (\n    {{ landed_records(" in source
