"""The Great Expectations suites as Dagster asset checks on the assets they guard.

One multi-asset check runs every selected suite in one step (one GE context, one read-only
warehouse connection, one Data Docs build per run). Each suite is a check on its guarded asset:
error-severity suites are blocking, so the assets downstream of a failing one (the activation
marts) are not built in that run; warning-severity suites show in the UI and block nothing.
"""

import json
from collections.abc import Iterator

import dagster as dg

from orchestration.quality.governance import write_summary
from orchestration.quality.runner import (
    ValidationLedger,
    build_data_docs,
    open_context,
    quality_dir,
    run_suite,
)
from orchestration.quality.suites import SUITES, Suite
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL


def check_key(suite: Suite) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(list(suite.asset_key)), suite.name)


@dg.multi_asset_check(
    name="great_expectations",
    specs=[
        dg.AssetCheckSpec(
            name=suite.name,
            asset=dg.AssetKey(list(suite.asset_key)),
            description=suite.description,
            blocking=suite.severity == "error",
            metadata={"severity": suite.severity, "rules": ", ".join(suite.rules)},
        )
        for suite in SUITES
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def great_expectations_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    """Validate the new batches of every selected suite; build the Data Docs and the summary."""
    selected = context.selected_asset_check_keys
    suites = [suite for suite in SUITES if check_key(suite) in selected]
    directory = quality_dir()
    gx_context = open_context(directory)
    ledger = ValidationLedger(directory)
    outcomes = []
    with warehouse.connect(read_only=True) as connection:
        for suite in suites:
            outcomes.append(run_suite(gx_context, connection, suite, ledger))
        ledger.save()
        docs = build_data_docs(gx_context, outcomes)
        summary = write_summary(connection, gx_context, directory)
    for suite, outcome in zip(suites, outcomes, strict=True):
        failing = {rule: found for rule, found in outcome.expectations.items() if found.unexpected}
        yield dg.AssetCheckResult(
            check_name=suite.name,
            asset_key=dg.AssetKey(list(suite.asset_key)),
            passed=outcome.success,
            severity=(
                dg.AssetCheckSeverity.ERROR
                if suite.severity == "error"
                else dg.AssetCheckSeverity.WARN
            ),
            metadata={
                "batches": ", ".join(outcome.batches) or "nothing new to validate",
                "rows_validated": outcome.rows,
                "violations": dg.MetadataValue.json(outcome.violations),
                "failing_keys_sample": dg.MetadataValue.json(
                    {rule: found.sample_keys for rule, found in failing.items()}
                ),
                "data_docs": dg.MetadataValue.path(str(docs)),
                "governance_summary": dg.MetadataValue.path(str(summary)),
            },
            description=(
                "passed"
                if outcome.success
                else "failed: " + json.dumps({rule: f.unexpected for rule, f in failing.items()})
            ),
        )
