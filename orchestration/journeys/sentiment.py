"""Sentiment of social mentions: the Dagster asset ``sentiment/social_mentions``.

The mention text stays in the restricted schema
(``restricted.stg_restricted__social_mention_texts``); this asset scores each text with VADER (a
lexicon and rules for short social-media text, which ships with its package and needs no
download) and writes only the score per mention to ``sentiment.social_mentions``. A negative
mention is a churn signal in the journey moments. Each run scores only the texts without a
current score (new, or landed again since their score) and drops the scores of texts that are
gone.
"""

from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
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


@dataclass(frozen=True)
class SentimentRun:
    """What one scoring run did: the scores held afterwards by label, how many texts it scored
    (new, reloaded since their score, or scored by another analyzer) and how many scores it
    dropped because their text is gone (withdrawn or erased)."""

    counts: dict[str, int]
    scored: int
    dropped: int


def score_social_mentions(connection: duckdb.DuckDBPyConnection) -> SentimentRun:
    """Score the mention texts without a current score and drop the scores of texts that are
    gone, in one transaction: a daily run scores the new day's mentions, not the history."""
    analyzer = SentimentIntensityAnalyzer()
    connection.execute("begin")
    try:
        run = _score_in_transaction(connection, analyzer)
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    return run


def _score_in_transaction(
    connection: duckdb.DuckDBPyConnection, analyzer: SentimentIntensityAnalyzer
) -> SentimentRun:
    connection.execute("create schema if not exists sentiment")
    connection.execute(
        f"create table if not exists {SCORES} (record_id varchar primary key, compound double, "
        "sentiment varchar, analyzer varchar, scored_at timestamptz)"
    )
    has_texts = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'restricted' and table_name = 'stg_restricted__social_mention_texts'"
    ).fetchone()
    texts = (
        TEXTS
        if has_texts and has_texts[0]
        else (
            "(select null::varchar as record_id, null::varchar as mention_text, "
            "null::timestamptz as _loaded_at where false)"
        )
    )
    dropped = connection.execute(
        f"delete from {SCORES} as scores where not exists "
        f"(select 1 from {texts} as texts where texts.record_id = scores.record_id)"
    ).fetchone()
    # Only the texts to score are read: on a daily run, the new day's.
    to_score = connection.execute(
        f"""
        select texts.record_id, texts.mention_text
        from {texts} as texts
        left join {SCORES} as scores on texts.record_id = scores.record_id
        where scores.record_id is null
            or scores.analyzer is distinct from '{ANALYZER}'
            or texts._loaded_at > scores.scored_at
        """
    ).fetchall()
    for start in range(0, len(to_score), BATCH_ROWS):
        record_ids, compounds, labels = zip(
            *score_texts(analyzer, to_score[start : start + BATCH_ROWS]), strict=True
        )
        batch = pa.table({"record_id": record_ids, "compound": compounds, "sentiment": labels})
        connection.register("scored_batch", batch)
        connection.execute(
            f"insert or replace into {SCORES} select record_id, compound, sentiment, "
            f"'{ANALYZER}', now() from scored_batch"
        )
        connection.unregister("scored_batch")
    counts = {"negative": 0, "neutral": 0, "positive": 0}
    for label, count in connection.execute(
        f"select sentiment, count(*) from {SCORES} group by sentiment"
    ).fetchall():
        counts[label] = count
    return SentimentRun(counts, len(to_score), dropped[0] if dropped else 0)


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
        run = score_social_mentions(connection)
    total = sum(run.counts.values())
    context.log.info(
        f"scored {run.scored} social mentions, dropped {run.dropped} scores of texts that are "
        f"gone; {total} scores held: {run.counts}"
    )
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(total),
        "scored": dg.MetadataValue.int(run.scored),
        "dropped": dg.MetadataValue.int(run.dropped),
        **{label: dg.MetadataValue.int(count) for label, count in run.counts.items()},
        "analyzer": dg.MetadataValue.text(ANALYZER),
    }
    return dg.MaterializeResult(metadata=metadata)
