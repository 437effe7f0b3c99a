"""Probabilistic matching: simulated records through the load, the restricted dbt models and the
Splink asset, checked against the simulator's ground truth; plus hand-made pairs."""

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pytest
from simulated import simulate_and_load

from orchestration.identity.matching import (
    _ONE_KEYSTROKE_APART,
    COMPARISONS,
    EDGE_CONDITION,
    PAIR_SCHEMA,
    THRESHOLD_VARIABLE,
    MatchingConfig,
    count_edges,
    level_gammas,
    probabilistic_edges,
    run_matching,
    write_review_page,
)
from orchestration.resources import WarehouseResource
from orchestration.transform.assets import dbt_resource
from simulator.catalog import FIRST_NAMES, LAST_NAMES

START = date(2026, 2, 1)
DAYS = 20
THRESHOLD = 0.99

#: CRM contacts written into the raw table next to the simulated ones: one person twice, with a
#: typo in the first name, the street written two ways and two different phones; and two people
#: with one name from the simulator's catalogue (so simulated people may share it too), born
#: years apart at different addresses of one postal code; and one person entered twice alike,
#: email included, under two CRM ids (their email conflicts in the graph: the match joins them).
HAND_MADE = {
    **{
        f"again-{copy}": {
            "first_name": "Philippa",
            "last_name": "Oyelaran",
            "email": "philippa.oyelaran@example.test",
            "date_of_birth": "1990-05-17",
            "address_line1": "7 Quay Road",
            "postal_code": "10024",
            "country_code": "US",
        }
        for copy in "ab"
    },
    "same-a": {
        "first_name": "Jonathan",
        "last_name": "Quistgaard",
        "date_of_birth": "1971-03-04",
        "address_line1": "12 Elm Street",
        "postal_code": "10023",
        "country_code": "US",
        "mobile_phone": "+12125550101",
    },
    "same-b": {
        "first_name": "Jonahtan",
        "last_name": "Quistgaard",
        "date_of_birth": "1971-03-04",
        "address_line1": "12 ELM ST.",
        "postal_code": "10023",
        "country_code": "US",
        "mobile_phone": "(347) 555-0199",
    },
    "other-a": {
        "first_name": FIRST_NAMES[0],
        "last_name": LAST_NAMES[0],
        "date_of_birth": "1960-01-01",
        "address_line1": "5 Maple Street",
        "postal_code": "10023",
        "country_code": "US",
        "mobile_phone": "+12125550111",
    },
    "other-b": {
        "first_name": FIRST_NAMES[0],
        "last_name": LAST_NAMES[0],
        "date_of_birth": "1985-06-15",
        "address_line1": "300 Harbor Avenue",
        "postal_code": "10023",
        "country_code": "US",
        "mobile_phone": "+12125550122",
    },
}


def _record_id(crm_id: str) -> str:
    return f"crm__contacts:{crm_id}|2026-02-02T00:00:00Z"


def _add_hand_made_contacts(warehouse: Path) -> None:
    connection = duckdb.connect(str(warehouse))
    try:
        for crm_id, values in HAND_MADE.items():
            payload = {"crm_id": crm_id, "updated_at": "2026-02-02T00:00:00Z", **values}
            connection.execute(
                "insert into raw.crm__contacts by name select ? as record_key, "
                "?::timestamptz as occurred_at, ? as payload, ?::date as _partition_date, "
                "'crm/hand-made.csv' as _source_file, 1 as _source_line, "
                "'hand-made' as _load_id, now() as _loaded_at",
                [
                    f"{crm_id}|2026-02-02T00:00:00Z",
                    datetime(2026, 2, 2, tzinfo=UTC),
                    json.dumps(payload),
                    date(2026, 2, 2),
                ],
            )
    finally:
        connection.close()


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("matching")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        patch.setenv("CONNECT360_QUALITY_DIR", str(work / "quality"))
        patch.delenv(THRESHOLD_VARIABLE, raising=False)
        simulate_and_load(work, people=600, days=DAYS, start=START, seed=11)
        _add_hand_made_contacts(work / "warehouse.duckdb")
        dbt_resource().cli(
            ["build", "--select", "+restricted_match_attributes"], raise_on_error=True
        ).wait()
        result = dg.materialize(
            [probabilistic_edges],
            resources={"warehouse": WarehouseResource(path=str(work / "warehouse.duckdb"))},
            run_config=dg.RunConfig(
                ops={"identity__probabilistic_edges": MatchingConfig(threshold=THRESHOLD)}
            ),
        )
        assert result.success
        (materialization,) = result.asset_materializations_for_node("identity__probabilistic_edges")
        (work / "metadata.json").write_text(
            json.dumps({key: str(value.value) for key, value in materialization.metadata.items()})
        )
    yield work


def _connect(work: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    connection.execute(
        f"""
        create temp view truth as
        select channel || '__' || entity || ':' || record_key as record_id, person_id
        from '{work}/truth/records.parquet'
        where malformed_kind is null and not is_duplicate
        """
    )
    return connection


def test_edges_link_records_of_one_true_person(matched):
    connection = _connect(matched)
    [(edges, judged, correct)] = connection.sql(
        """
        select
            count(*),
            count(*) filter (
                where left_truth.person_id is not null and right_truth.person_id is not null
            ),
            count(*) filter (where left_truth.person_id = right_truth.person_id)
        from identity.probabilistic_edges as edges
        left join truth as left_truth on edges.record_id_l = left_truth.record_id
        left join truth as right_truth on edges.record_id_r = right_truth.record_id
        """
    ).fetchall()
    # Only the hand-made contacts have no truth, and only their own pairs link them.
    assert edges - judged == 2
    assert judged > 50
    assert correct / judged >= 0.99


def test_a_typo_in_the_name_with_the_same_birth_date_and_address_links(matched):
    connection = _connect(matched)
    pair = connection.sql(
        "select match_probability, gamma_first_name, gamma_phone from identity.match_pairs "
        "where record_id_l = ? and record_id_r = ?",
        params=[_record_id("same-a"), _record_id("same-b")],
    ).fetchall()
    edge = connection.sql(
        "select count(*) from identity.probabilistic_edges "
        "where record_id_l = ? and record_id_r = ?",
        params=[_record_id("same-a"), _record_id("same-b")],
    ).fetchall()
    [(probability, first_name_level, phone_level)] = pair
    assert probability >= THRESHOLD
    assert first_name_level in (1, 2)  # similar (Jaro-Winkler), not exact
    assert phone_level == 0  # the phones disagree
    assert edge == [(1,)]


def test_records_entered_twice_alike_are_joined_by_their_profile(matched):
    connection = _connect(matched)
    edges = connection.sql(
        "select record_id_l, record_id_r, match_probability from identity.probabilistic_edges "
        "where record_id_l like 'crm__contacts:again-%' or record_id_r like 'crm__contacts:again-%'"
    ).fetchall()
    [(left, right, probability)] = edges
    assert (left, right) == (_record_id("again-a"), _record_id("again-b"))
    assert probability >= THRESHOLD


def test_the_same_common_name_with_another_birth_date_and_address_does_not(matched):
    connection = _connect(matched)
    [(pairs,)] = connection.sql(
        "select count(*) from identity.match_pairs "
        "where record_id_l = ? and record_id_r = ? and match_probability >= ?",
        params=[_record_id("other-a"), _record_id("other-b"), 0.5],
    ).fetchall()
    [(candidates,)] = connection.sql(
        "select count(*) from restricted.restricted_match_attributes "
        "where first_name = lower(?) and last_name = lower(?) and postal_code = '10023'",
        params=[FIRST_NAMES[0], LAST_NAMES[0]],
    ).fetchall()
    assert candidates >= 2  # both are there, found by the first name + last name + postal block
    assert pairs == 0


def test_identity_tables_hold_no_clear_personal_value(matched):
    connection = _connect(matched)
    connection.execute(
        """
        create temp table personal as
        select distinct value from (
            unpivot restricted.restricted_match_attributes
            on first_name, last_name, address_line, email, phone, secondary_phone
            into name kind value value
        )
        where length(value) > 3
        """
    )
    [(personal_values,)] = connection.sql("select count(*) from personal").fetchall()
    columns = connection.sql(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'identity' and data_type = 'VARCHAR'"
    ).fetchall()
    tables = {table for table, _ in columns}
    leaks = [
        f"{table}.{column}"
        for table, column in columns
        if connection.sql(
            f'select count(*) from identity."{table}" as model '
            f'inner join personal on personal.value = model."{column}"'
        ).fetchall()[0][0]
    ]
    [(settings_json,)] = connection.sql(
        "select settings_json from identity.match_model order by trained_at desc limit 1"
    ).fetchall()
    quoted = {f'"{value}"' for (value,) in connection.sql("select value from personal").fetchall()}
    assert personal_values > 300
    assert {"match_model", "match_pairs", "probabilistic_edges"} <= tables
    assert leaks == []
    assert [value for value in quoted if value in settings_json] == []
    assert "@" not in settings_json


def test_the_trained_model_is_stored_with_every_parameter(matched):
    connection = _connect(matched)
    [(status, threshold, profiles, scored, edges, prior, settings_json)] = connection.sql(
        "select status, threshold, profiles, scored_pairs, edges, "
        "probability_two_random_records_match, settings_json "
        "from identity.match_model order by trained_at desc limit 1"
    ).fetchall()
    settings = json.loads(settings_json)
    levels = {
        comparison["output_column_name"]: comparison["comparison_levels"]
        for comparison in settings["comparisons"]
    }
    exact = {name: levels[name][1] for name in COMPARISONS}
    [(pairs,)] = connection.sql("select count(*) from identity.match_pairs").fetchall()
    [(edge_rows,)] = connection.sql("select count(*) from identity.probabilistic_edges").fetchall()
    assert status == "trained"
    assert threshold == THRESHOLD
    assert 0 < prior < 0.01
    assert (scored, edges) == (pairs, edge_rows)
    assert profiles > 300
    assert set(levels) == set(COMPARISONS)
    # An exact agreement is strong evidence for a match on every attribute.
    assert all(level["m_probability"] > 10 * level["u_probability"] for level in exact.values())
    metadata = json.loads((matched / "metadata.json").read_text())
    assert metadata["status"] == "trained"
    assert int(metadata["dagster/row_count"]) == edges
    assert "| first_name | Exact match on first_name |" in metadata["parameters"]
    # Every level's parameters as a table, and the pairs nearest the threshold for a reviewer.
    parameters = connection.sql(
        "select comparison, level, m_probability, u_probability, match_weight, m_is_default "
        "from identity.match_parameters "
        "where trained_at = (select max(trained_at) from identity.match_parameters)"
    ).fetchall()
    scored_levels = sum(
        1 for name in COMPARISONS for level in levels[name] if not level.get("is_null_level")
    )
    assert len(parameters) == scored_levels
    assert all(m is not None and u is not None for _, _, m, u, _, _ in parameters)
    sample = connection.sql(
        "select side, min(match_probability), max(match_probability), count(*) "
        "from identity.match_review_sample group by side order by side"
    ).fetchall()
    assert [side for side, *_ in sample] == ["above", "below"]
    assert sample[0][1] >= THRESHOLD > sample[1][2]
    page = (matched / "quality" / "match_model.html").read_text()
    assert metadata["review_page"].endswith("match_model.html")
    assert "Pairs nearest the threshold" in page and "Exact match on first_name" in page
    # Record ids and scores only: no name, street or birth date in the clear.
    for values in HAND_MADE.values():
        for field in ("last_name", "address_line1", "date_of_birth"):
            assert values[field] not in page


def test_the_threshold_decides_the_edges_and_runs_are_repeatable(matched, tmp_path, monkeypatch):
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes((matched / "warehouse.duckdb").read_bytes())
    connection = duckdb.connect(str(copy))
    first_pairs = connection.sql(
        "select * from identity.match_pairs order by record_id_l, record_id_r"
    ).fetchall()
    monkeypatch.setenv(THRESHOLD_VARIABLE, "0.5")
    summary = run_matching(connection)
    [(lowest, edges, runs)] = connection.sql(
        "select min(match_probability), count(*), "
        "(select count(*) from identity.match_model) from identity.probabilistic_edges"
    ).fetchall()
    # Edges are the pairs that meet EDGE_CONDITION at the threshold.
    [(above,)] = connection.execute(
        f"select count(*) from identity.match_pairs where {EDGE_CONDITION}", [0.5]
    ).fetchall()
    again = connection.sql(
        "select * from identity.match_pairs order by record_id_l, record_id_r"
    ).fetchall()
    assert summary["threshold"] == 0.5
    assert lowest >= 0.5
    assert edges == above == summary["edges"]
    assert edges > sum(1 for row in first_pairs if row[4] >= THRESHOLD)
    assert runs == 2
    assert again == first_pairs


@pytest.mark.parametrize("with_table", [False, True])
def test_without_records_the_tables_are_written_empty(tmp_path, with_table):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    if with_table:
        connection.execute("create schema restricted")
        connection.execute(
            "create table restricted.restricted_match_attributes as "
            "select 'crm__contacts:1' as record_id, 'jane' as first_name, "
            "null::varchar as last_name, null::date as date_of_birth, "
            "null::varchar as address_line, null::varchar as postal_code, "
            "'jane@example.org' as email, null::varchar as phone, "
            "null::varchar as secondary_phone"
        )
    summary = run_matching(connection, 0.99)
    edge_columns = connection.sql(
        "select column_name from information_schema.columns "
        "where table_schema = 'identity' and table_name = 'probabilistic_edges' "
        "order by ordinal_position"
    ).fetchall()
    [(pairs, edges, runs)] = connection.sql(
        "select (select count(*) from identity.match_pairs), "
        "(select count(*) from identity.probabilistic_edges), "
        "(select count(*) from identity.match_model)"
    ).fetchall()
    assert summary["status"].startswith("skipped")
    assert summary["records"] == (1 if with_table else 0)
    assert [column for (column,) in edge_columns] == [
        "record_id_l",
        "record_id_r",
        "match_probability",
        "match_weight",
        "shares_email",
        "shares_phone",
    ]
    assert (pairs, edges, runs) == (0, 0, 1)


def test_a_threshold_outside_the_unit_interval_is_refused(tmp_path):
    with pytest.raises(ValueError, match="threshold"):
        run_matching(duckdb.connect(str(tmp_path / "warehouse.duckdb")), 1.0)


def _pair(
    *,
    first: int,
    last: int,
    birth: int,
    shares_email: bool = False,
    email: int = -1,
    address: int = 3,
) -> dict:
    gammas = {f"gamma_{name}": -1 for name in COMPARISONS}
    gammas |= {"gamma_first_name": first, "gamma_last_name": last, "gamma_date_of_birth": birth}
    exact_email = level_gammas("email", ("Exact",))[0]
    gammas |= {"gamma_email": exact_email if shares_email else email, "gamma_address": address}
    return {
        "record_id_l": "a", "record_id_r": "b", "records_l": 1, "records_r": 1,
        "match_probability": 0.999, "match_weight": 10.0, **gammas,
        "shares_email": shares_email, "shares_phone": False, "match_key": "0",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("left", "right", "apart"),
    [
        ("ab@cd.ef", "ab@dc.ef", True),  # the two middle characters swapped
        ("ann.lee4033602@x.net", "ann.lee4033062@x.net", True),  # two digits swapped
        ("anne@x.com", "annne@x.com", True),
        ("anne@x.com", "ane@x.com", True),
        ("jsmith1@x.com", "jsmith2@x.com", False),  # numbered mailboxes of a family
        ("anne@x.com", "bob@x.com", False),
        ("anne@x.com", "anne@y.org", False),
    ],
)
def test_the_email_typo_level_is_one_keystroke(left, right, apart):
    sql = _ONE_KEYSTROKE_APART.format(l="l", r="r")
    with duckdb.connect() as connection:
        query = f"select {sql} from (select ? as l, ? as r)"
        [(found,)] = connection.execute(query, [left, right]).fetchall()
    assert found is apart


def test_the_halves_checked_first_never_lose_a_one_keystroke_pair():
    # Every single edit of many strings (no digits: that rule is apart), against the distance.
    rng = random.Random(3)
    pairs = []
    for _ in range(400):
        word = "".join(rng.choice("abcde@.") for _ in range(rng.randrange(1, 12)))
        at = rng.randrange(len(word))
        edits = [
            word[:at] + rng.choice("xyz") + word[at + 1 :],
            word[:at] + rng.choice("xyz") + word[at:],
            word[:at] + word[at + 1 :],
            word[:at] + word[at + 1 : at + 2] + word[at : at + 1] + word[at + 2 :],
        ]
        pairs += [(word, edited) for edited in edits if edited]
    sql = _ONE_KEYSTROKE_APART.format(l="l", r="r")
    with duckdb.connect() as connection:
        connection.execute("create table pairs (l varchar, r varchar)")
        connection.executemany("insert into pairs values (?, ?)", pairs)
        [(lost,)] = connection.execute(
            f"select count(*) from pairs where damerau_levenshtein(l, r) <= 1 and not ({sql})"
        ).fetchall()
    assert len(pairs) > 1000
    assert lost == 0


def test_the_review_page_shows_a_level_no_sampled_pair_had(tmp_path):
    # A level random sampling never met (an email typo on a small export) has no u.
    settings = {"comparisons": [{"output_column_name": "email", "comparison_levels": [
        {"label_for_charts": "Exact match on email", "m_probability": 0.9, "u_probability": 0.001},
        {"label_for_charts": "Damerau-Levenshtein distance of email <= 1", "m_probability": 0.02},
    ]}]}  # fmt: skip
    with duckdb.connect() as connection:
        connection.execute("create schema identity")
        connection.execute(
            "create table identity.match_model as select now() as trained_at, 0.99 as threshold, "
            "1e-4 as probability_two_random_records_match, ? as settings_json, 10 as records, "
            "5 as profiles, 3 as scored_pairs, 1 as edges",
            [json.dumps(settings)],
        )
        connection.execute(
            "create table identity.match_review_sample as select * from (select "
            "'above' as side, 'a' as record_id_l, 'b' as record_id_r, 0.999 as match_probability, "
            f"10.0 as match_weight, {', '.join(f'1 as gamma_{name}' for name in COMPARISONS)}) "
            "where false"
        )
        page = write_review_page(connection, tmp_path / "match_model.html").read_text()
    assert "Damerau-Levenshtein distance of email &lt;= 1" in page
    assert "<td>0.02</td><td>—</td>" in page


def _gamma(comparison: str, label: str) -> int:
    """The agreement value of the level of `comparison` whose chart label starts with `label`."""
    (gamma,) = level_gammas(comparison, (label,))
    return gamma


F_EXACT, F_NICKNAME = _gamma("first_name", "Exact"), _gamma("first_name", "Same given name")
F_SWAPPED, F_INITIAL = _gamma("first_name", "Swapped"), _gamma("first_name", "Initial")
F_ALIKE, F_LESS_ALIKE = level_gammas("first_name", ("Jaro-Winkler",))
L_EXACT, L_SWAPPED = _gamma("last_name", "Exact"), _gamma("last_name", "Swapped")
B_EXACT, B_KEYSTROKE = _gamma("date_of_birth", "Exact"), _gamma("date_of_birth", "Levenshtein")
A_TYPO = _gamma("address", "(Exact match on transformed")
E_TYPO = _gamma("email", "Damerau-Levenshtein")


@pytest.mark.parametrize(
    ("pair", "edges"),
    [
        # The same first and last name: an edge, with or without a birth date.
        (_pair(first=F_EXACT, last=L_EXACT, birth=-1), 1),
        # A first name only spelled alike (Anna, Anne: twins, siblings) with no birth date: no.
        (_pair(first=F_ALIKE, last=L_EXACT, birth=-1), 0),
        (_pair(first=F_LESS_ALIKE, last=L_EXACT, birth=0), 0),
        # A missing first name, or its initial, does not tell household members apart either.
        (_pair(first=-1, last=L_EXACT, birth=-1), 0),
        (_pair(first=F_INITIAL, last=L_EXACT, birth=-1), 0),
        (_pair(first=-1, last=L_EXACT, birth=B_EXACT), 1),
        # ... unless the birth date or the email agrees too.
        (_pair(first=F_ALIKE, last=L_EXACT, birth=B_EXACT), 1),
        (_pair(first=F_LESS_ALIKE, last=L_EXACT, birth=B_KEYSTROKE), 1),
        (_pair(first=F_ALIKE, last=L_EXACT, birth=-1, shares_email=True), 1),
        (_pair(first=F_INITIAL, last=L_EXACT, birth=B_EXACT), 1),
        (_pair(first=F_INITIAL, last=L_EXACT, birth=-1, shares_email=True), 1),
        # ... the email but for a keystroke too (a transposed digit in the mailbox).
        (_pair(first=-1, last=L_EXACT, birth=-1, email=E_TYPO), 1),
        (_pair(first=F_ALIKE, last=L_EXACT, birth=-1, email=0), 0),
        # A nickname (Bob, Robert) or swapped names count as agreeing first names.
        (_pair(first=F_NICKNAME, last=L_EXACT, birth=-1), 1),
        (_pair(first=F_SWAPPED, last=L_SWAPPED, birth=-1), 1),
        # A name that disagrees is never an edge.
        (_pair(first=0, last=L_EXACT, birth=B_EXACT), 0),
        # Two different emails (a father and his junior) need the birth date to agree.
        (_pair(first=F_EXACT, last=L_EXACT, birth=-1, email=0), 0),
        (_pair(first=F_EXACT, last=L_EXACT, birth=B_EXACT, email=0), 1),
        # Swapped names need the address, the birth date or the email to agree.
        (_pair(first=F_SWAPPED, last=L_SWAPPED, birth=-1, address=0), 0),
        (_pair(first=F_SWAPPED, last=L_SWAPPED, birth=-1, address=A_TYPO), 1),
        (_pair(first=F_SWAPPED, last=L_SWAPPED, birth=B_KEYSTROKE, address=-1), 1),
        (_pair(first=F_SWAPPED, last=L_SWAPPED, birth=-1, address=0, shares_email=True), 1),
    ],
)
def test_what_a_household_shares_is_not_enough_for_an_edge(pair, edges):
    assert count_edges(pa.Table.from_pylist([pair], schema=PAIR_SCHEMA), 0.99) == edges
