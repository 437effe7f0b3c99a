"""The sentiment of social mentions: labels at VADER's thresholds, and the asset's table holds
scores only, never the text."""

import duckdb
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from orchestration.journeys.sentiment import score_social_mentions, score_texts, sentiment_label


def test_labels_follow_the_compound_thresholds() -> None:
    assert sentiment_label(-0.05) == "negative"
    assert sentiment_label(-0.0499) == "neutral"
    assert sentiment_label(0.0) == "neutral"
    assert sentiment_label(0.0499) == "neutral"
    assert sentiment_label(0.05) == "positive"


def test_complaints_score_negative_and_praise_positive() -> None:
    scored = score_texts(
        SentimentIntensityAnalyzer(),
        [
            ("a", "terrible service, the grinder arrived broken"),
            ("b", "love the new beans, great service"),
            ("c", "do you ship to Canada?"),
        ],
    )
    assert [label for _, _, label in scored] == ["negative", "positive", "neutral"]


def test_the_asset_table_holds_scores_and_no_text(tmp_path) -> None:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema restricted")
    connection.execute(
        "create table restricted.stg_restricted__social_mention_texts as "
        "select * from (values ('social__mentions:1', 'this is awful, I want a refund'), "
        "('social__mentions:2', 'fantastic coffee')) as texts (record_id, mention_text)"
    )
    assert score_social_mentions(connection) == {"negative": 1, "neutral": 0, "positive": 1}
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'sentiment' and table_name = 'social_mentions'"
        ).fetchall()
    ]
    assert columns == ["record_id", "compound", "sentiment", "analyzer", "scored_at"]
    rows = connection.execute(
        "select record_id, sentiment from sentiment.social_mentions order by record_id"
    ).fetchall()
    assert rows == [("social__mentions:1", "negative"), ("social__mentions:2", "positive")]
    # Scoring again replaces the table instead of adding to it.
    score_social_mentions(connection)
    assert connection.execute("select count(*) from sentiment.social_mentions").fetchone() == (2,)
    connection.close()
