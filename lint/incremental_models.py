"""The model files with an incremental (or already-built) branch, which `make lint` lints twice.

A model has one when it calls `is_incremental()` or `existing_relation()` (both decided by
`lint_branch()` in the linter), directly or through the project's macros (`built_relation`,
`journey_is_incremental`, `follows_staged_versions`, ...). dbt records each node's macro calls
in the manifest (`make install` writes target/manifest.json), so the list follows the code
without being kept by hand.

Two macros branch where the second pass has nothing to lint, and a model that branches only
through them is linted once: `landed_records` is the whole body of a staging model's `source`
CTE, and `forget_withdrawn_copies` is a post-hook, outside the model's SQL. sqlfluff judges a
model's own text, never a macro's output (it skips the macro files too), and the staging
models' text is the same in both branches. They are also the largest SQL the linter reads
(the event-time parsing of `to_utc` compiles to 20-30 times their own text): linting them a
second time took about ten minutes of `make test`.
"""

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BRANCHING_MACROS = {"macro.connect360.lint_branch", "macro.dbt.is_incremental"}
#: Branching macros whose branches are none of the model's own text (see above).
OUTSIDE_THE_MODEL_TEXT = {
    "macro.connect360.landed_records",
    "macro.connect360.forget_withdrawn_copies",
}


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
        and any(
            branches(macro_id)
            for macro_id in node["depends_on"]["macros"]
            if macro_id not in OUTSIDE_THE_MODEL_TEXT
        )
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
