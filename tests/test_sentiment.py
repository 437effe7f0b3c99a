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


TEXTS = "restricted.stg_restricted__social_mention_texts"


def _texts(connection: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str]]) -> None:
    """Replace the restricted texts (record id, text, loaded at), as a dbt run would."""
    connection.execute(
        f"create or replace table {TEXTS} "
        "(record_id varchar, mention_text varchar, _loaded_at timestamptz)"
    )
    connection.executemany(f"insert into {TEXTS} values (?, ?, ?)", rows)


def _labels(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return connection.execute(
        "select record_id, sentiment from sentiment.social_mentions order by record_id"
    ).fetchall()


#: a complaint and praise, landed on 1 March
FIRST_TEXTS = [
    ("social__mentions:1", "this is awful, I want a refund", "2026-03-01 06:00:00+00"),
    ("social__mentions:2", "fantastic coffee", "2026-03-01 06:00:00+00"),
]


def _warehouse(path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path / "warehouse.duckdb"))
    connection.execute("create schema restricted")
    return connection


def test_the_asset_table_holds_scores_and_no_text(tmp_path) -> None:
    connection = _warehouse(tmp_path)
    _texts(connection, FIRST_TEXTS)
    run = score_social_mentions(connection)
    assert (run.counts, run.scored, run.dropped) == (
        {"negative": 1, "neutral": 0, "positive": 1}, 2, 0,
    )  # fmt: skip
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'sentiment' and table_name = 'social_mentions'"
        ).fetchall()
    ]
    assert columns == ["record_id", "compound", "sentiment", "analyzer", "scored_at"]
    assert _labels(connection) == [
        ("social__mentions:1", "negative"),
        ("social__mentions:2", "positive"),
    ]
    connection.close()


def test_a_run_scores_only_new_and_reloaded_texts_and_drops_gone_ones(tmp_path) -> None:
    connection = _warehouse(tmp_path)
    _texts(
        connection, [*FIRST_TEXTS, ("social__mentions:3", "great beans", "2026-03-01 06:00:00+00")]
    )
    score_social_mentions(connection)
    # Nothing new: nothing is scored again.
    again = score_social_mentions(connection)
    assert (again.scored, again.dropped) == (0, 0)
    # Mention 1 landed again, edited, after its score; mention 2 was erased; mention 4 is new.
    _texts(
        connection,
        [
            ("social__mentions:1", "sorted out now, thanks a lot", "2999-01-01 00:00:00+00"),
            ("social__mentions:3", "great beans", "2026-03-01 06:00:00+00"),
            (
                "social__mentions:4",
                "my order is late again, terrible service",
                "2026-03-02 06:00:00+00",
            ),
        ],
    )
    run = score_social_mentions(connection)
    assert (run.scored, run.dropped) == (2, 1)
    assert _labels(connection) == [
        ("social__mentions:1", "positive"),
        ("social__mentions:3", "positive"),
        ("social__mentions:4", "negative"),
    ]
    assert run.counts == {"negative": 1, "neutral": 0, "positive": 2}
    connection.close()
