"""The 360Connect Dagster code location: ``dagster dev`` loads ``defs`` from here."""

from __future__ import annotations

import dagster as dg

from orchestration.automation import journeys_job, warehouse_after_load, warehouse_build_job
from orchestration.identity.matching import probabilistic_edges
from orchestration.ingestion.assets import (
    build_landing_sensor,
    build_raw_assets,
    daily_landing_schedule,
    daily_partitions,
    raw_load_job,
)
from orchestration.ingestion.contracts import load_contracts
from orchestration.journeys.sentiment import social_mention_sentiment
from orchestration.quality.checks import (
    great_expectations_checks,
    landing_quality_checks,
    staging_quality_checks,
)
from orchestration.resources import default_resources
from orchestration.runs import dead_run_sweeper
from orchestration.settings import Settings
from orchestration.transform.assets import (
    connect360_activation_assets,
    connect360_dbt_assets,
    dbt_resource,
)
from orchestration.transform.pseudonym_key import pseudonym_key

settings = Settings.from_env()
contracts = load_contracts()
partitions = daily_partitions(settings)

defs = dg.Definitions(
    assets=[
        *build_raw_assets(contracts, settings),
        pseudonym_key,
        probabilistic_edges,
        social_mention_sentiment,
        connect360_dbt_assets,
        # The warehouse's suites, as the gate the activation marts wait for.
        great_expectations_checks,
        connect360_activation_assets,
    ],
    asset_checks=[landing_quality_checks, staging_quality_checks],
    jobs=[raw_load_job, warehouse_build_job, journeys_job],
    schedules=[daily_landing_schedule],
    sensors=[build_landing_sensor(contracts, partitions), warehouse_after_load, dead_run_sweeper],
    resources={**default_resources(settings), "dbt": dbt_resource()},
    # Each step in a process of its own, forked from a server that has imported this module
    # and built its jobs once (below): a step starts in about a second instead of the ~20 s a
    # fresh interpreter takes to import Dagster, dbt, Splink and Great Expectations and build
    # the asset graph. Steps of the warehouse pool still run one at a time.
    executor=dg.multiprocess_executor.configured(
        {"start_method": {"forkserver": {"preload_modules": [__name__]}}}
    ),
)
# Built at import, so every process forked from one that imported this module has them.
defs.get_repository_def().get_all_jobs()
