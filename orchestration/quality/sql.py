"""What the suites read besides the warehouse: the dbt vars and manifest, and SQL quoting."""

from __future__ import annotations

import json

import duckdb

from orchestration.settings import REPO_ROOT

MANIFEST = REPO_ROOT / "target" / "manifest.json"


def dbt_manifest() -> dict:
    """The project's dbt manifest (written by `dbt parse`, which `make install` runs)."""
    if not MANIFEST.exists():
        return {"nodes": {}, "sources": {}}
    return json.loads(MANIFEST.read_text())


def models(manifest: dict, folder: str) -> list[dict]:
    """The manifest's models under ``models/<folder>/``, by name."""
    found = [
        node
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "model" and node["fqn"][1:2] == [folder]
    ]
    return sorted(found, key=lambda node: node["name"])


def column_meta(column: dict) -> dict:
    """A manifest column's meta, written at the column or under its config."""
    return column.get("meta") or (column.get("config") or {}).get("meta") or {}


def relation(node: dict) -> str:
    """``schema.table`` of a model as the warehouse names it."""
    return f"{quoted(node['schema'])}.{quoted(node.get('alias') or node['name'])}"


def table_columns(
    connection: duckdb.DuckDBPyConnection, schemas: tuple[str, ...], where: str = "true"
) -> list[tuple[str, str, str]]:
    """(schema, table, column) of the warehouse's columns in ``schemas`` matching ``where``."""
    return connection.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in (select unnest(?)) and {where} "
        "order by table_schema, table_name, column_name",
        [list(schemas)],
    ).fetchall()


def existing_tables(connection: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]
    ).fetchall()
    return {name for (name,) in rows}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
