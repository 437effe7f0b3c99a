"""The dbt project's structure, read from its manifest, as dbt Labs' project evaluator reviews a
project (the evaluator is a dbt hub package, which cannot be installed here): every layer reads
only the layers before it, sources are read and declared in staging only, every model is tested
and has a uniqueness test on its grain, and a model holding personal data says so in its tags.

Each rule is a function listing what breaks it, so the tests at the end show every rule finding
its violation in a small handmade manifest as well as passing on the project.
"""

import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from orchestration.settings import REPO_ROOT
from orchestration.transform.assets import dbt_executable, private_target

Manifest = dict[str, Any]

#: The model folders in the order data flows through them: a model reads models of its own
#: layer or an earlier one. `restricted` is staging for personal data in the clear.
LAYERS = {"staging": 1, "restricted": 1, "identity": 2, "intermediate": 2, "marts": 3}
#: The folders whose models read sources, and where sources are declared.
SOURCE_FOLDERS = ("staging", "restricted")
#: Generic tests that hold a model to one row per value of its grain.
GRAIN_TESTS = ("unique", "unique_combination")
#: Model tags for personal data: in the clear (a column tagged `pii`), and as pseudonymous keys
#: (a column whose meta has `pseudonymized: true`).
PERSONAL_DATA_TAG = "personal_data"
PSEUDONYMIZED_TAG = "pseudonymized"

#: Models that name a model of a later layer only in a `-- depends_on:` hint, to run after it
#: without reading it.
RUNS_AFTER_A_LATER_LAYER = {
    "int_touchpoints_applied": (
        "the journey layer's record of what it last applied is written after the layer's last "
        "marts, so that a run stopping before them is repeated in full on the next run"
    ),
}
#: Reads of a later layer that stand for now, each with its reason.
LATER_LAYER_READS = {
    ("int_touchpoints_attributed", "customers"): (
        "a touchpoint without a time zone of its own takes the customer's usual one, which is a "
        "survivorship rule of the golden record; to move into an intermediate model both read"
    ),
    ("int_funnel_progress", "journey_moments"): (
        "funnels are counted over the published moments, whose friction and completion the "
        "moments mart computes; to move into an intermediate model both read"
    ),
}
#: Models without a uniqueness test on their grain, each with why no such test can hold.
NO_GRAIN_TEST: dict[str, str] = {}


@pytest.fixture(scope="module")
def manifest() -> Iterator[Manifest]:
    """The manifest of the project as it stands, parsed into a target of its own."""
    with private_target() as target:
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--target-path", str(target)],
            cwd=REPO_ROOT,
            check=True,
        )
        yield json.loads((target / "manifest.json").read_text())


def models(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """The project's models by unique id."""
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }


def layer(model: dict[str, Any]) -> str:
    """The model's first folder under models/."""
    return model["fqn"][1]


def later_layer_reads(manifest: Manifest) -> list[tuple[str, str]]:
    """(model, the later layer's model it reads) beyond the documented exceptions."""
    nodes = models(manifest)
    found = []
    for model in nodes.values():
        for parent_id in model["depends_on"]["nodes"]:
            parent = nodes.get(parent_id)
            if parent is None or LAYERS[layer(parent)] <= LAYERS[layer(model)]:
                continue
            if (model["name"], parent["name"]) in LATER_LAYER_READS:
                continue
            if model["name"] in RUNS_AFTER_A_LATER_LAYER and only_named_in_a_hint(
                model, parent["name"]
            ):
                continue
            found.append((model["name"], parent["name"]))
    return sorted(found)


def only_named_in_a_hint(model: dict[str, Any], parent: str) -> bool:
    """Whether every `ref` of ``parent`` in the model's SQL is a `-- depends_on:` hint."""
    called = re.compile(r"ref\(\s*['\"]" + re.escape(parent) + r"['\"]\s*\)")
    lines = [line.strip() for line in model["raw_code"].splitlines() if called.search(line)]
    return bool(lines) and all(line.startswith("-- depends_on:") for line in lines)


def sources_read_outside_staging(manifest: Manifest) -> list[tuple[str, str]]:
    """(model, source) for every source a model outside the staging folders reads."""
    return sorted(
        (model["name"], parent.removeprefix("source.connect360."))
        for model in models(manifest).values()
        if layer(model) not in SOURCE_FOLDERS
        for parent in model["depends_on"]["nodes"]
        if parent.startswith("source.")
    )


def sources_declared_outside_staging(manifest: Manifest) -> list[tuple[str, str]]:
    """(source, file) for every source declared outside the staging folders."""
    folders = tuple(f"models/{folder}/" for folder in SOURCE_FOLDERS)
    return sorted(
        (f"{source['source_name']}.{source['name']}", source["original_file_path"])
        for source in manifest["sources"].values()
        if not source["original_file_path"].startswith(folders)
    )


def model_tests(manifest: Manifest) -> dict[str, set[str]]:
    """The names of the tests of each model: its data tests (generic tests by the generic
    test's name, singular tests by their own) and 'unit' for its unit tests."""
    nodes = models(manifest)
    found: dict[str, set[str]] = {unique_id: set() for unique_id in nodes}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        tested = (
            [node["attached_node"]] if node.get("attached_node") else node["depends_on"]["nodes"]
        )
        name = (node.get("test_metadata") or {}).get("name") or node["name"]
        for unique_id in tested:
            if unique_id in found:
                found[unique_id].add(name)
    for unit_test in manifest.get("unit_tests", {}).values():
        for unique_id in unit_test["depends_on"]["nodes"][:1]:
            if unique_id in found:
                found[unique_id].add("unit")
    return {nodes[unique_id]["name"]: names for unique_id, names in found.items()}


def untested_models(manifest: Manifest) -> list[str]:
    return sorted(name for name, names in model_tests(manifest).items() if not names)


def models_without_a_grain_test(manifest: Manifest) -> list[str]:
    return sorted(
        name
        for name, names in model_tests(manifest).items()
        if not names & set(GRAIN_TESTS) and name not in NO_GRAIN_TEST
    )


def column_tags(column: dict[str, Any]) -> set[str]:
    return set(column.get("tags") or []) | set((column.get("config") or {}).get("tags") or [])


def column_meta(column: dict[str, Any]) -> dict[str, Any]:
    return column.get("meta") or (column.get("config") or {}).get("meta") or {}


def personal_data_tags_wrong(manifest: Manifest) -> list[tuple[str, str]]:
    """(model, what is wrong) where a model's personal-data tags disagree with its columns: a
    model with a `pii` column carries `personal_data`, one with a pseudonymized column carries
    `pseudonymized`, and a model carries neither tag without such a column."""
    found = []
    for model in models(manifest).values():
        columns = model["columns"].values()
        holds = {
            PERSONAL_DATA_TAG: any("pii" in column_tags(column) for column in columns),
            PSEUDONYMIZED_TAG: any(column_meta(column).get("pseudonymized") for column in columns),
        }
        for tag, held in holds.items():
            if held and tag not in model["tags"]:
                found.append((model["name"], f"has {tag} columns but not the tag"))
            if tag in model["tags"] and not held:
                found.append((model["name"], f"is tagged {tag} without such a column"))
    return sorted(found)


# --- the project --------------------------------------------------------------------------------


def test_no_model_reads_a_later_layer(manifest: Manifest) -> None:
    assert later_layer_reads(manifest) == []


def test_the_layer_exceptions_still_apply(manifest: Manifest) -> None:
    """An exception that no longer applies is removed, so the list stays the truth."""
    nodes = {model["name"]: model for model in models(manifest).values()}
    for name in RUNS_AFTER_A_LATER_LAYER:
        later = [
            parent_id
            for parent_id in nodes[name]["depends_on"]["nodes"]
            if parent_id in models(manifest)
            and LAYERS[layer(models(manifest)[parent_id])] > LAYERS[layer(nodes[name])]
        ]
        assert later, f"{name} no longer names a later layer"
    for name, parent in LATER_LAYER_READS:
        assert f"model.connect360.{parent}" in nodes[name]["depends_on"]["nodes"]


def test_sources_are_read_by_staging_only(manifest: Manifest) -> None:
    assert sources_read_outside_staging(manifest) == []


def test_sources_are_declared_in_staging_only(manifest: Manifest) -> None:
    assert sources_declared_outside_staging(manifest) == []


def test_every_model_has_a_test(manifest: Manifest) -> None:
    assert untested_models(manifest) == []


def test_every_model_has_a_uniqueness_test_on_its_grain(manifest: Manifest) -> None:
    assert models_without_a_grain_test(manifest) == []


def test_the_grain_exceptions_still_apply(manifest: Manifest) -> None:
    tests = model_tests(manifest)
    for name in NO_GRAIN_TEST:
        assert name in tests, f"{name} is no model"
        assert not tests[name] & set(GRAIN_TESTS), f"{name} has a grain test now"


def test_models_holding_personal_data_are_tagged(manifest: Manifest) -> None:
    assert personal_data_tags_wrong(manifest) == []


# --- each rule finds what breaks it -------------------------------------------------------------


def _model(name: str, folder: str, parents: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": name,
        "fqn": ["connect360", folder, name],
        "depends_on": {"nodes": parents},
        "raw_code": fields.get("raw_code", ""),
        "columns": fields.get("columns", {}),
        "tags": fields.get("tags", []),
    }


def test_each_rule_finds_its_violation_in_a_handmade_manifest() -> None:
    handmade: Manifest = {
        "nodes": {
            "model.connect360.stg_a": _model(
                "stg_a", "staging", ["source.connect360.s.a"], tags=[PERSONAL_DATA_TAG]
            ),
            "model.connect360.int_b": _model(
                "int_b",
                "intermediate",
                ["model.connect360.mart_c", "source.connect360.s.a"],
                raw_code="select * from {{ ref('mart_c') }}",
                columns={"email": {"name": "email", "tags": ["pii"]}},
            ),
            "model.connect360.mart_c": _model("mart_c", "marts", ["model.connect360.stg_a"]),
            "test.connect360.unique_stg_a_id": {
                "resource_type": "test",
                "name": "unique_stg_a_id",
                "attached_node": "model.connect360.stg_a",
                "test_metadata": {"name": "unique"},
                "depends_on": {"nodes": ["model.connect360.stg_a"]},
            },
            "test.connect360.not_null_int_b_id": {
                "resource_type": "test",
                "name": "not_null_int_b_id",
                "attached_node": "model.connect360.int_b",
                "test_metadata": {"name": "not_null"},
                "depends_on": {"nodes": ["model.connect360.int_b"]},
            },
        },
        "sources": {
            "source.connect360.s.a": {
                "source_name": "s",
                "name": "a",
                "original_file_path": "models/intermediate/_s__sources.yml",
            },
        },
    }
    assert later_layer_reads(handmade) == [("int_b", "mart_c")]
    assert sources_read_outside_staging(handmade) == [("int_b", "s.a")]
    assert sources_declared_outside_staging(handmade) == [
        ("s.a", "models/intermediate/_s__sources.yml")
    ]
    assert untested_models(handmade) == ["mart_c"]
    assert models_without_a_grain_test(handmade) == ["int_b", "mart_c"]
    assert personal_data_tags_wrong(handmade) == [
        ("int_b", "has personal_data columns but not the tag"),
        ("stg_a", "is tagged personal_data without such a column"),
    ]


def test_a_depends_on_hint_is_no_read_but_a_ref_in_the_sql_is() -> None:
    hinted = _model("int_x", "intermediate", [], raw_code="-- depends_on: {{ ref('mart_c') }}")
    read = _model("int_x", "intermediate", [], raw_code="select * from {{ ref('mart_c') }}")
    assert only_named_in_a_hint(hinted, "mart_c")
    assert not only_named_in_a_hint(read, "mart_c")
