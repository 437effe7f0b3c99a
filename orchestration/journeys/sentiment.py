"""Sentiment of social mentions: the Dagster asset ``sentiment/social_mentions``.

The mention text stays in the restricted schema
(``restricted.stg_restricted__social_mention_texts``); this asset scores each text with VADER (a
lexicon and rules for short social-media text, which ships with its package and needs no
download) and writes only the score per mention to ``sentiment.social_mentions``. A negative
mention is a churn signal in the journey moments.
"""

from typing import Any

import dagster as dg
import duckdb
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from orchestration.resources import WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

TEXTS = "restricted.stg_restricted__social_mention_texts"
SCORES = "sentiment.social_mentions"
ANALYZER = "vader-3.3"
#: VADER's own convention: a compound score at or beyond ±0.05 is positive or negative.
THRESHOLD = 0.05
BATCH_ROWS = 50_000


def sentiment_label(compound: float, threshold: float = THRESHOLD) -> str:
    """negative, neutral or positive for a compound score in [-1, 1]."""
    if compound <= -threshold:
        return "negative"
    if compound >= threshold:
        return "positive"
    return "neutral"


def score_texts(
    analyzer: SentimentIntensityAnalyzer, rows: list[tuple[str, str]]
) -> list[tuple[str, float, str]]:
    """(record_id, compound, label) for each (record_id, text)."""
    scored = []
    for record_id, text in rows:
        compound = float(analyzer.polarity_scores(text)["compound"])
        scored.append((record_id, compound, sentiment_label(compound)))
    return scored


def score_social_mentions(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Score every mention text again (the texts are few, the scores cheap) and replace the
    table in one transaction; an absent text table gives an empty score table."""
    analyzer = SentimentIntensityAnalyzer()
    connection.execute("create schema if not exists sentiment")
    connection.execute("begin")
    connection.execute(
        f"create or replace table {SCORES} (record_id varchar primary key, compound double, "
        "sentiment varchar, analyzer varchar, scored_at timestamptz)"
    )
    counts = {"negative": 0, "neutral": 0, "positive": 0}
    has_texts = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'restricted' and table_name = 'stg_restricted__social_mention_texts'"
    ).fetchone()
    if has_texts and has_texts[0]:
        cursor = connection.cursor()
        cursor.execute(f"select record_id, mention_text from {TEXTS}")
        while batch := cursor.fetchmany(BATCH_ROWS):
            scored = score_texts(analyzer, batch)
            connection.executemany(
                f"insert into {SCORES} values (?, ?, ?, '{ANALYZER}', now())", scored
            )
            for _, _, label in scored:
                counts[label] += 1
        cursor.close()
    connection.execute("commit")
    return counts


@dg.asset(
    key=dg.AssetKey(["sentiment", "social_mentions"]),
    deps=[dg.AssetKey(["restricted", "stg_restricted__social_mention_texts"])],
    group_name="journeys",
    owners=["cx-insights@connect360.example"],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
    description=(
        "Sentiment of every social mention (VADER compound score and negative / neutral / "
        "positive), scored from the restricted mention texts; only the scores are written. "
        "Negative mentions are churn signals in marts.journey_moments."
    ),
)
def social_mention_sentiment(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        counts = score_social_mentions(connection)
    total = sum(counts.values())
    context.log.info(f"scored {total} social mentions: {counts}")
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(total),
        **{label: dg.MetadataValue.int(count) for label, count in counts.items()},
        "analyzer": dg.MetadataValue.text(ANALYZER),
    }
    return dg.MaterializeResult(metadata=metadata)
