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

from orchestration.ingestion.contracts import load_contracts
from orchestration.ingestion.loader import ensure_tables
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
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        # The activation marts wait for the quality gate, and are skipped when it withholds them.
        activation = _layer_and_domain(props) == ("marts", "activation")
        if props["resource_type"] == "model" and activation:
            return spec.merge_attributes(deps=[ACTIVATION_GATE])
        return spec

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        # A source table is the asset that writes it (raw loads, the pseudonym key); a model is
        # keyed by its layer folder and name, e.g. staging/stg_web__events.
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["identifier"]])
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # One group per layer, so the lineage view reads as the pipeline: raw, staging,
        # restricted, identity, the intermediate domains (journeys, commerce), marts,
        # activation (the marts the consent checks gate), reference (seeds). The channel or
        # domain below a layer is a tag.
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        layer, domain = _layer_and_domain(dbt_resource_props)
        if layer == "intermediate":
            return domain
        if layer == "marts" and domain == "activation":
            return "activation"
        return layer

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        tags = dict(super().get_tags(dbt_resource_props))
        layer, domain = _layer_and_domain(dbt_resource_props)
        if layer:
            tags["layer"] = layer
        if domain:
            # Staging folders are channels (web, crm, ...), the others domains (journeys, ...).
            tags["channel" if layer == "staging" else "domain"] = domain
        return tags

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        owner = (dbt_resource_props.get("meta") or {}).get("owner") or (
            dbt_resource_props.get("config", {}).get("meta") or {}
        ).get("owner")
        return [owner] if owner else []


def _layer_and_domain(dbt_resource_props: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """A model's layer folder and the folder below it: models/marts/cx/x.sql -> (marts, cx)."""
    folders = list(dbt_resource_props.get("fqn", []))[1:-1]
    return (folders[0] if folders else None, folders[1] if len(folders) > 1 else None)


#: Activation marts feed outreach: they are built in a step of their own, after the gate that
#: passes only when the consent and other error suites on the marts they read have passed
#: (orchestration/quality/checks.py).
ACTIVATION_MODELS = "path:models/marts/activation"
ACTIVATION_GATE = dg.AssetKey(["quality", "activation_gate"])
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
    yield from build(context, dbt)


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
    yield from build(context, dbt)


def build(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """``dbt build`` of the step's selection; each built model's materialization carries its
    row count and column types, read once dbt has let go of the warehouse (DuckDB has one
    writer, so nothing can read the file while dbt writes it). A failed dbt still reports what
    it built before failing."""
    retention_days = run_target_retention_days()  # a bad setting fails before the build
    wait_for_the_warehouse(context.log.warning)
    invocation = dbt.cli(["build"], context=context)
    events: list[Any] = []
    failure: Exception | None = None
    try:
        events.extend(invocation.stream())
    except Exception as error:
        failure = error
    yield from with_table_metadata(events, invocation.manifest, context.log)
    prune_run_targets(retention_days)
    if failure is not None:
        raise failure


def with_table_metadata(
    events: Sequence[Any], manifest: Mapping[str, Any], log: Any
) -> Iterator[Any]:
    """The events, each model or seed materialization with ``dagster/row_count`` (tables) and
    ``dagster/column_schema`` from the warehouse's catalog."""
    relations = {}
    for event in events:
        unique_id = _unique_id(event)
        node = manifest["nodes"].get(unique_id or "", {})
        if node.get("resource_type") in {"model", "seed", "snapshot"} and node.get("relation_name"):
            relations[unique_id] = (node["schema"], node["alias"])
    described = describe_tables(set(relations.values()), log) if relations else {}
    for event in events:
        metadata = described.get(relations.get(_unique_id(event) or "", ("", "")))
        yield event.with_metadata({**event.metadata, **metadata}) if metadata else event


def _unique_id(event: Any) -> str | None:
    if not isinstance(event, dg.Output | dg.AssetMaterialization):
        return None
    value = (event.metadata or {}).get("unique_id")
    return getattr(value, "text", value)


def describe_tables(
    tables: set[tuple[str, str]], log: Any
) -> dict[tuple[str, str], dict[str, Any]]:
    """Row counts and column types of ``(schema, name)`` relations in the DuckDB warehouse
    (counting a view runs its query: the project's views are thin); nothing on another dbt
    target."""
    if os.environ.get("CONNECT360_DBT_TARGET", "duckdb") != "duckdb":
        return {}
    connection = connect_warehouse(
        Settings.from_env().warehouse_path, read_only=True, log=log.warning
    )
    try:
        catalog = connection.execute(
            "select tables.table_schema, tables.table_name, "
            "list(columns.column_name order by columns.ordinal_position), "
            "list(columns.data_type order by columns.ordinal_position) "
            "from information_schema.tables as tables "
            "inner join information_schema.columns as columns using (table_catalog, "
            "table_schema, table_name) "
            "where tables.table_catalog = current_database() "
            "group by all"
        ).fetchall()
        described = {}
        for schema, name, columns, types in catalog:
            if (schema, name) not in tables:
                continue
            metadata: dict[str, Any] = {
                "dagster/column_schema": dg.TableSchema(
                    columns=[
                        dg.TableColumn(column, data_type.lower())
                        for column, data_type in zip(columns, types, strict=True)
                    ]
                )
            }
            (rows,) = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            metadata["dagster/row_count"] = dg.MetadataValue.int(rows)
            described[(schema, name)] = metadata
    finally:
        connection.close()
    return described


def wait_for_the_warehouse(log: Callable[[str], None]) -> None:
    """Before dbt opens the DuckDB warehouse, wait for any other process holding it (a BI tool
    reading the live file) and say so: dbt-duckdb retries a locked file without a word. After
    ``connect_warehouse``'s timeout the step fails naming the process.

    Every contract's raw and quarantine tables are created too, empty if nothing has landed for
    them yet: a channel whose first file is still to come (a new deployment, a stream that only
    starts later) leaves its staging model empty instead of failing the build."""
    if os.environ.get("CONNECT360_DBT_TARGET", "duckdb") != "duckdb":
        return
    connection = connect_warehouse(Settings.from_env().warehouse_path, log=log)
    try:
        for contract in load_contracts():
            ensure_tables(connection, contract)
    finally:
        connection.close()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())
