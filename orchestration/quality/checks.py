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
rows). Warning-severity suites show in the UI and block nothing. Error-severity suites hold
back what depends on them, in two ways:

- in ``landing_quality`` and ``staging_quality`` they are Dagster's blocking checks: a failure
  (broken keys in staging, say: the data is unusable) fails the step and the run, and skips the
  steps downstream (the Python assets between dbt models, the models after them);
- ``great_expectations`` is the asset ``quality/activation_gate`` with the suites as its checks:
  a failure (a consent breach the sources sent, say) withholds the activation marts, which wait
  for the gate, and the run succeeds with the failed checks shown as failed.
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
from orchestration.transform.assets import ACTIVATION_GATE

STEPS = {
    "landing": "landing_quality",
    "staging": "staging_quality",
    "warehouse": "great_expectations",
}


def _asset_name(asset: tuple[str, ...]) -> str:
    return "/".join(asset)


def _key(result: dg.AssetCheckResult) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(result.asset_key, result.check_name)


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


def _check_specs(step_suites: list[Suite], *, blocking: bool) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            name=suite.name,
            asset=dg.AssetKey(list(asset)),
            description=suite.description,
            blocking=blocking and suite.severity == "error",
            metadata={
                "severity": suite.severity,
                "rules": ", ".join(suite.rules),
                **(
                    {"withholds": f"{_asset_name(ACTIVATION_GATE.path)} and the activation marts"}
                    if suite.step == "warehouse" and suite.severity == "error"
                    else {}
                ),
            },
        )
        for suite in step_suites
        for asset in suite.guarded_assets()
    ]


def _validate(
    context: dg.OpExecutionContext, warehouse: WarehouseResource, step: str, suites: list[Suite]
) -> list[dg.AssetCheckResult]:
    """Every suite of ``suites`` on every asset it guards: one GE context and one read-only
    connection for the step, the Data Docs and the governance summary built once."""
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
                run_suite(gx_context, connection, suite, ledger, run_name=run_name, shared=shared)
            )
        ledger.save()
        docs = str(build_data_docs(gx_context, outcomes))
        summary = str(write_summary(connection, gx_context, directory))
    return [
        _result(suite, asset, outcome, docs, summary)
        for suite, outcome in zip(suites, outcomes, strict=True)
        for asset in suite.guarded_assets()
    ]


def build_quality_checks(step: str) -> dg.AssetChecksDefinition:
    """The multi-asset check running the suites of one step. Its error suites are Dagster's
    blocking checks: a failure fails the step, and the run, and skips what is downstream."""
    step_suites = [suite for suite in SUITES if suite.step == step]

    @dg.multi_asset_check(
        name=STEPS[step],
        specs=_check_specs(step_suites, blocking=True),
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
        for result in _validate(context.op_execution_context, warehouse, step, suites):
            if _key(result) in selected:
                yield result

    return _quality_checks


def build_activation_gate() -> dg.AssetsDefinition:
    """The warehouse step's suites, run as the asset that the activation marts wait for.

    Dagster's blocking checks fail their run when they fail, though withholding what they guard
    is then the outcome designed. Here the warehouse's error suites are checks of an asset,
    ``quality/activation_gate``, which the activation marts depend on. The gate is materialized
    only when every error suite passed; otherwise it records why it withheld them, the run goes
    on without the activation marts and succeeds, and the failed checks show as failed
    (severity error). The suites run before the activation marts either way, since those wait
    for the gate.
    """
    step_suites = [suite for suite in SUITES if suite.step == "warehouse"]
    guarded = sorted({asset for suite in step_suites for asset in suite.guarded_assets()})

    @dg.multi_asset(
        name=STEPS["warehouse"],
        specs=[
            dg.AssetSpec(
                ACTIVATION_GATE,
                deps=[dg.AssetKey(list(asset)) for asset in guarded],
                skippable=True,
                group_name="activation",
                kinds={"great_expectations"},
                description=(
                    "Materialized when every error-severity suite of the warehouse passed in "
                    "the run (the consent, erasure, personal-data, customer, journey and mart "
                    "suites); the activation marts are built only after it. When one fails the "
                    "gate records which and withholds them, and the run still succeeds."
                ),
            )
        ],
        check_specs=_check_specs(step_suites, blocking=False),
        can_subset=True,
        # The checks are on the marts the suites read, which other steps build.
        allow_arbitrary_check_specs=True,
        pool=WAREHOUSE_POOL,
    )
    def _gate(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult | dg.AssetObservation]:
        selected = context.selected_asset_check_keys
        gate = ACTIVATION_GATE in context.selected_asset_keys
        # The gate decides on every error suite, selected as checks or not.
        suites = [
            suite
            for suite in step_suites
            if any(key in selected for key in check_keys(suite))
            or (gate and suite.severity == "error")
        ]
        results = _validate(context.op_execution_context, warehouse, "warehouse", suites)
        yield from (result for result in results if _key(result) in selected)
        if not gate:
            return
        failed = sorted(
            {
                result.check_name
                for result in results
                if not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
            }
        )
        error_suites = sorted(suite.name for suite in suites if suite.severity == "error")
        if failed:
            context.log.warning(
                f"the activation marts are withheld: the error suites {', '.join(failed)} "
                "failed (see their checks and the Data Docs)"
            )
            yield dg.AssetObservation(
                asset_key=ACTIVATION_GATE,
                metadata={"withheld_by": ", ".join(failed), "run_id": context.run.run_id},
            )
            return
        yield dg.MaterializeResult(
            asset_key=ACTIVATION_GATE, metadata={"passed": ", ".join(error_suites)}
        )

    return _gate


landing_quality_checks = build_quality_checks("landing")
staging_quality_checks = build_quality_checks("staging")
great_expectations_checks = build_activation_gate()
#: The definitions carrying quality checks: two check steps, and the gate (an asset).
QUALITY_CHECKS = [landing_quality_checks, staging_quality_checks, great_expectations_checks]
