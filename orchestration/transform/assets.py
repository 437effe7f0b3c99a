"""The dbt project as Dagster assets: one ``@dbt_assets`` over the whole project.

The translator maps dbt's own structure to Dagster's: a source table's key is the raw load asset
that writes it, the group is the folder a node lives in, and owners come from ``meta.owner``.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    DbtProjectPreparer,
    dbt_assets,
)

from orchestration.resources import connect_warehouse
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL, Settings


def dbt_executable() -> str:
    """dbt from this environment (dagster-dbt does not install dbt; the project does)."""
    in_environment = Path(sys.prefix) / "bin" / "dbt"
    if in_environment.exists():
        return str(in_environment)
    return shutil.which("dbt") or "dbt"


PROJECT_TARGET = REPO_ROOT / "target"
#: dbt's partial parse cache; a private target directory starts from the project's copy
PARTIAL_PARSE = "partial_parse.msgpack"


@contextmanager
def private_target() -> Iterator[Path]:
    """A fresh dbt target directory under ``target/`` for one dbt invocation, removed after.

    dbt rewrites ``manifest.json`` in place, so a process reading the project's manifest (the
    quality suites) or a second dbt sharing the directory can meet a half-written file. Every
    dbt run but ``make install``'s parse therefore writes elsewhere, as dagster-dbt's own
    invocations do. The project's partial parse cache is copied in so dbt need not parse afresh.
    """
    PROJECT_TARGET.mkdir(exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="run_", dir=PROJECT_TARGET))
    try:
        if (PROJECT_TARGET / PARTIAL_PARSE).exists():
            shutil.copyfile(PROJECT_TARGET / PARTIAL_PARSE, target / PARTIAL_PARSE)
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def run_dbt(arguments: Sequence[str], env: Mapping[str, str]) -> None:
    """dbt in a subprocess with ``env`` (another warehouse, say), in a target of its own."""
    with private_target() as target:
        subprocess.run(
            [dbt_executable(), *arguments, "--quiet", "--target-path", str(target)],
            cwd=REPO_ROOT,
            env=dict(env),
            check=True,
        )


def run_target_retention_days() -> int:
    """``CONNECT360_DBT_RUN_RETENTION_DAYS`` (default 14): how long a dbt run's own target stays.

    At least a day, so a run still going on in another process never loses its folder."""
    value = os.environ.get("CONNECT360_DBT_RUN_RETENTION_DAYS") or "14"
    if not value.isdigit() or int(value) < 1:
        raise ValueError(
            "CONNECT360_DBT_RUN_RETENTION_DAYS must be a whole number of days, at least 1, "
            f"not {value!r}"
        )
    return int(value)


def prune_run_targets(retention_days: int, now: float | None = None) -> list[Path]:
    """Remove dbt run targets under ``target/`` whose manifest is older than the retention.

    dagster-dbt gives every invocation a target directory of its own (manifest, run results,
    compiled SQL: about 8 MB here) and never removes it, so a daily schedule would fill the disk.
    The project's own manifest and partial parse cache sit at the top of ``target/`` and stay.
    """
    cutoff = (time.time() if now is None else now) - retention_days * 86_400
    removed = []
    for path in PROJECT_TARGET.iterdir() if PROJECT_TARGET.is_dir() else []:
        manifest = path / "manifest.json"
        if path.is_dir() and manifest.exists() and manifest.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class ManifestPreparer(DbtProjectPreparer):
    """Re-parse the project under ``dagster dev`` so edits to models show up on reload."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if self.using_dagster_dev():
            self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        # Parsed aside, then moved into place whole: readers of the manifest never see it half
        # written (a rename within one file system is atomic).
        published = project.project_dir / project.target_path
        with private_target() as target:
            DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
                ["parse", "--quiet"], target_path=target
            ).wait()
            published.mkdir(parents=True, exist_ok=True)
            for name in (PARTIAL_PARSE, "manifest.json"):
                os.replace(target / name, published / name)


dbt_project = DbtProject(
    project_dir=REPO_ROOT,
    profiles_dir=REPO_ROOT,
    target=os.environ.get("CONNECT360_DBT_TARGET", "duckdb"),
)
ManifestPreparer().prepare_if_dev(dbt_project)


class Connect360Translator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # A source table is the asset that writes it (raw loads, the pseudonym key); a model is
        # keyed by its layer folder and name, e.g. staging/stg_web__events.
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["identifier"]])
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        # fqn is [project, folder, subfolder..., name]: models/marts/cx/x.sql -> "marts_cx".
        folders = fqn[1:-1]
        return "_".join(folders[:2]) if folders else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owner = (dbt_resource_props.get("meta") or {}).get("owner") or (
            dbt_resource_props.get("config", {}).get("meta") or {}
        ).get("owner")
        return [owner] if owner else []


#: Activation marts feed outreach: they are built in a step of their own, after the blocking
#: consent checks on the marts they read (orchestration/quality/checks.py) have passed.
ACTIVATION_MODELS = "path:models/marts/activation"
_TRANSLATOR = Connect360Translator(
    settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=ACTIVATION_MODELS,
    dagster_dbt_translator=_TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def connect360_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """Build (run and test) the dbt project, all but the activation marts."""
    retention_days = run_target_retention_days()  # a bad setting fails before the build
    wait_for_the_warehouse(context.log.warning)
    yield from dbt.cli(["build"], context=context).stream()
    prune_run_targets(retention_days)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=ACTIVATION_MODELS,
    name="connect360_activation_assets",
    dagster_dbt_translator=_TRANSLATOR,
    pool=WAREHOUSE_POOL,
)
def connect360_activation_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource
) -> Iterator[Any]:
    """Build (run and test) the activation marts, once the consent checks let them through."""
    retention_days = run_target_retention_days()
    wait_for_the_warehouse(context.log.warning)
    yield from dbt.cli(["build"], context=context).stream()
    prune_run_targets(retention_days)


def wait_for_the_warehouse(log: Callable[[str], None]) -> None:
    """Before dbt opens the DuckDB warehouse, wait for any other process holding it (a BI tool
    reading the live file) and say so: dbt-duckdb retries a locked file without a word. After
    ``connect_warehouse``'s timeout the step fails naming the process."""
    if os.environ.get("CONNECT360_DBT_TARGET", "duckdb") != "duckdb":
        return
    connect_warehouse(Settings.from_env().warehouse_path, log=log).close()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
