"""Write the repository's Great Expectations project (``gx/``) from ``suites.py``.

``python -m orchestration.quality.project`` rewrites ``gx/great_expectations.yml`` (stores, the
Data Docs site, the pandas datasource with one asset per guarded table) and one JSON file per
suite under ``gx/expectations``. Ids are derived from names, so writing twice gives the same
bytes; ``--check`` exits 1 when the files under version control differ from the suites.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path

import great_expectations as gx

from orchestration.quality.runner import BATCH_DEFINITION, DATASOURCE, QUALITY_DIR_VARIABLE
from orchestration.quality.suites import SUITES, Suite
from orchestration.settings import REPO_ROOT

GX_DIR = REPO_ROOT / "gx"
_NAMESPACE = uuid.UUID("6f1d3c2a-9d1e-4f0b-8a57-360c0cc0ec70")

_CONFIG = """\
# The 360Connect Great Expectations project, written by `python -m orchestration.quality.project`
# from orchestration/quality/suites.py; edit the suites there, not here.
#
# Suites live under expectations/ (version control). Validation results and the Data Docs site
# go to ${{{variable}}} (default data/quality), so that every run adds to their history.
config_version: 4.0
analytics_enabled: false
progress_bars:
  globally: false
  metric_calculations: false

stores:
  expectations_store:
    class_name: ExpectationsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: expectations/
  validation_results_store:
    class_name: ValidationResultsStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: ${{{variable}}}/validations/
  checkpoint_store:
    class_name: CheckpointStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      suppress_store_backend_id: true
      base_directory: checkpoints/
  validation_definition_store:
    class_name: ValidationDefinitionStore
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: validation_definitions/

expectations_store_name: expectations_store
validation_results_store_name: validation_results_store
checkpoint_store_name: checkpoint_store

data_docs_sites:
  local_site:
    class_name: SiteBuilder
    show_how_to_buttons: false
    store_backend:
      class_name: TupleFilesystemStoreBackend
      base_directory: ${{{variable}}}/data_docs/
    site_index_builder:
      class_name: DefaultSiteIndexBuilder

fluent_datasources:
  {datasource}:
    type: pandas
    id: {datasource_id}
    assets:
{assets}
data_context_id: {context_id}
"""

_ASSET = """\
      {table}:
        type: dataframe
        id: {asset_id}
        batch_metadata: {{}}
        batch_definitions:
          {batch}:
            id: {batch_id}
            partitioner:
"""


def _id(*names: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(names)))


def config_text() -> str:
    tables = sorted({suite.table for suite in SUITES})
    assets = "".join(
        _ASSET.format(
            table=table,
            asset_id=_id("asset", table),
            batch=BATCH_DEFINITION,
            batch_id=_id("batch", table),
        )
        for table in tables
    )
    return _CONFIG.format(
        variable=QUALITY_DIR_VARIABLE,
        datasource=DATASOURCE,
        datasource_id=_id("datasource", DATASOURCE),
        assets=assets.rstrip("\n"),
        context_id=_id("context"),
    )


def suite_json(suite: Suite) -> str:
    expectations = suite.expectations()
    if len(expectations) != len(suite.rules):
        raise ValueError(f"suite {suite.name}: one rule name per expectation")
    for expectation, rule in zip(expectations, suite.rules, strict=True):
        expectation.meta = {"rule": rule}
        expectation.severity = "critical" if suite.severity == "error" else "warning"
    document = gx.ExpectationSuite(
        name=suite.name,
        expectations=expectations,
        id=_id("suite", suite.name),
        meta={
            "description": suite.description,
            "guards": suite.table,
            "severity": suite.severity,
            "batches": suite.mode,
        },
    )
    # Ids from names, set once the suite holds the expectations (GE refuses an expectation
    # that already has an id, as belonging to another suite).
    for expectation, rule in zip(document.expectations, suite.rules, strict=True):
        expectation.id = _id("expectation", suite.name, rule)
    document = document.to_json_dict()
    document.pop("notes", None)
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def expected_files() -> dict[Path, str]:
    files = {
        GX_DIR / "great_expectations.yml": config_text(),
        GX_DIR / ".gitignore": "uncommitted/\n",
    }
    for suite in SUITES:
        files[GX_DIR / "expectations" / f"{suite.name}.json"] = suite_json(suite)
    return files


def stale_files() -> list[Path]:
    """Files under gx/ that differ from what the suites write, and suites no longer defined."""
    expected = expected_files()
    stale = [path for path, text in expected.items() if _read(path) != text]
    stale += [
        path for path in sorted((GX_DIR / "expectations").glob("*.json")) if path not in expected
    ]
    return stale


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def write() -> list[Path]:
    written = []
    for path, text in expected_files().items():
        if _read(path) != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    for path in stale_files():
        path.unlink()
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path in write():
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
