"""The Great Expectations suites as Dagster asset checks on the assets they guard.

Suites run in three steps, each after the layer it reads, so that a blocking check never waits
for what it blocks:

- ``landing_quality``: the raw loads (each stream's landing days), after the raw assets;
- ``staging_quality``: the staging models, before what is built from them outside dbt;
- ``great_expectations``: everything after identity resolution (unified customer, journeys,
  marts, consent, erasure, personal data), before the activation marts.

Each step runs its selected suites with one GE context and one read-only warehouse connection,
and builds the Data Docs and the governance summary once. A suite is a check on every asset it
guards (a suite over all raw streams is a check on each raw asset, judged on that stream's
rows). Error-severity suites are blocking: the assets downstream of a failing one, in other
steps (the activation marts, the Python assets between dbt models), are not built in that run;
warning-severity suites show in the UI and block nothing.
"""

import json
from collections.abc import Iterator

import dagster as dg

from orchestration.quality.governance import write_summary
from orchestration.quality.runner import (
    SuiteOutcome,
    ValidationLedger,
    build_data_docs,
    open_context,
    quality_dir,
    run_suite,
)
from orchestration.quality.suites import SUITES, Suite
from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

STEPS = {
    "landing": "landing_quality",
    "staging": "staging_quality",
    "warehouse": "great_expectations",
}


def _asset_name(asset: tuple[str, ...]) -> str:
    return "/".join(asset)


def check_keys(suite: Suite) -> list[dg.AssetCheckKey]:
    return [
        dg.AssetCheckKey(dg.AssetKey(list(asset)), suite.name) for asset in suite.guarded_assets()
    ]


def _result(
    suite: Suite, asset: tuple[str, ...], outcome: SuiteOutcome, docs: str, summary: str
) -> dg.AssetCheckResult:
    if suite.asset_column:
        violations = outcome.violations_of(_asset_name(asset))
        # Expectations that could not be evaluated fail every asset of the suite.
        errored = any(
            not found.success and not found.unexpected for found in outcome.expectations.values()
        )
        passed = not violations and not errored
        samples = {
            rule: [
                key
                for key in found.sample_keys
                if key.get(suite.asset_column) == _asset_name(asset)
            ]
            for rule, found in outcome.expectations.items()
            if rule in violations
        }
    else:
        violations = {rule: count for rule, count in outcome.violations.items() if count}
        passed = outcome.success
        samples = {
            rule: found.sample_keys
            for rule, found in outcome.expectations.items()
            if found.unexpected
        }
    return dg.AssetCheckResult(
        check_name=suite.name,
        asset_key=dg.AssetKey(list(asset)),
        passed=passed,
        severity=(
            dg.AssetCheckSeverity.ERROR if suite.severity == "error" else dg.AssetCheckSeverity.WARN
        ),
        metadata={
            "batches": ", ".join(outcome.batches) or "nothing new to validate",
            "rows_validated": outcome.rows,
            "violations": dg.MetadataValue.json(violations),
            "failing_keys_sample": dg.MetadataValue.json(samples),
            "data_docs": dg.MetadataValue.path(docs),
            "governance_summary": dg.MetadataValue.path(summary),
        },
        description="passed" if passed else "failed: " + json.dumps(violations),
    )


def build_quality_checks(step: str) -> dg.AssetChecksDefinition:
    """The multi-asset check running the suites of one step."""
    step_suites = [suite for suite in SUITES if suite.step == step]

    @dg.multi_asset_check(
        name=STEPS[step],
        specs=[
            dg.AssetCheckSpec(
                name=suite.name,
                asset=dg.AssetKey(list(asset)),
                description=suite.description,
                blocking=suite.severity == "error",
                metadata={"severity": suite.severity, "rules": ", ".join(suite.rules)},
            )
            for suite in step_suites
            for asset in suite.guarded_assets()
        ],
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def _quality_checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        suites = [
            suite for suite in step_suites if any(key in selected for key in check_keys(suite))
        ]
        directory = quality_dir()
        gx_context = open_context(directory)
        ledger = ValidationLedger(directory)
        outcomes = []
        shared: dict = {}
        # The Data Docs name each validation by this step and its Dagster run (as the UI
        # abbreviates run ids), so a reviewer finds the run that made it.
        run_name = f"{STEPS[step]} {context.run.run_id[:8]}"
        with warehouse.connect(read_only=True) as connection:
            for suite in suites:
                outcomes.append(
                    run_suite(
                        gx_context, connection, suite, ledger, run_name=run_name, shared=shared
                    )
                )
            ledger.save()
            docs = str(build_data_docs(gx_context, outcomes))
            summary = str(write_summary(connection, gx_context, directory))
        for suite, outcome in zip(suites, outcomes, strict=True):
            for asset, key in zip(suite.guarded_assets(), check_keys(suite), strict=True):
                if key in selected:
                    yield _result(suite, asset, outcome, docs, summary)

    return _quality_checks


landing_quality_checks = build_quality_checks("landing")
staging_quality_checks = build_quality_checks("staging")
great_expectations_checks = build_quality_checks("warehouse")
QUALITY_CHECKS = [landing_quality_checks, staging_quality_checks, great_expectations_checks]
