"""Build the journey layer outside Dagster, in the order the daily run builds it.

The benchmark and the accuracy command use this: the seeds, the social mention texts and their
sentiment scores (a negative mention is a churn signal), then the layer itself. Identity
resolution must have run on the warehouse first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb

from orchestration.journeys import JOURNEY_LAYER
from orchestration.journeys.sentiment import SentimentRun, score_social_mentions
from orchestration.transform.assets import run_dbt

#: the restricted model the sentiment asset reads, with the staging it is built from
MENTION_TEXTS = ["--select", "+stg_restricted__social_mention_texts"]


def build_journey_layer(
    warehouse: Path, *options: str, env: Mapping[str, str] | None = None
) -> SentimentRun:
    """Seeds, mention sentiment, then the journey layer on `warehouse`; `options` go to the
    layer's `dbt run` (for example ``--full-refresh``). Returns what the sentiment run did."""
    environment = dict(os.environ if env is None else env)
    environment["CONNECT360_WAREHOUSE"] = str(warehouse)

    def dbt(*arguments: str) -> None:
        run_dbt(arguments, environment)

    dbt("seed")
    dbt("run", *MENTION_TEXTS)
    connection = duckdb.connect(str(warehouse))
    try:
        sentiment = score_social_mentions(connection)
    finally:
        connection.close()
    dbt("run", *JOURNEY_LAYER, *options)
    return sentiment
