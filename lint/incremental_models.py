"""The model files with an incremental (or already-built) branch, which `make lint` lints twice.

A model has one when it calls `is_incremental()` or `existing_relation()` (both decided by
`lint_branch()` in the linter), directly or through the project's macros (`landed_records`,
`staged_records`, `built_relation`, ...). dbt records each node's macro calls in the manifest
(`make install` writes target/manifest.json), so the list follows the code without being kept
by hand.
"""

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BRANCHING_MACROS = {"macro.connect360.lint_branch", "macro.dbt.is_incremental"}


def incremental_model_files(manifest: dict) -> list[str]:
    macros = manifest["macros"]
    known: dict[str, bool] = {}

    def branches(macro_id: str, path: frozenset[str] = frozenset()) -> bool:
        if macro_id in BRANCHING_MACROS:
            return True
        if macro_id not in known:
            called = macros.get(macro_id, {}).get("depends_on", {}).get("macros", [])
            known[macro_id] = any(
                branches(other, path | {macro_id}) for other in called if other not in path
            )
        return known[macro_id]

    return sorted(
        node["original_file_path"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and any(branches(macro_id) for macro_id in node["depends_on"]["macros"])
    )


def main() -> int:
    manifest = REPO_ROOT / "target" / "manifest.json"
    if not manifest.exists():
        print(f"{manifest} is missing: run `make install` (it parses the project)", file=sys.stderr)
        return 1
    files = incremental_model_files(json.loads(manifest.read_text()))
    if not files:
        print("no model has an incremental branch: is the manifest current?", file=sys.stderr)
        return 1
    print("\n".join(files))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
