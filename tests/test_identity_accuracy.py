"""The identity accuracy command's fingerprint study, on a warehouse counted by hand."""

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.identity.accuracy import fingerprint_study

# record key, channel, person, customer, IP address, user agent (web) or device model (app)
RECORDS = [
    ("w1", "web", "P", "c1", "2001:db8::1", "Firefox"),
    ("w2", "web", "P", "c1", "2001:db8::1", "Firefox"),
    ("w3", "web", "P", "c2", "2001:db8::1", "Firefox"),
    # Same address, another browser: not the same fingerprint.
    ("w4", "web", "Q", "c3", "2001:db8::1", "Safari"),
    # One fingerprint, three customers of three people: an office network.
    ("w5", "web", "R", "c4", "192.0.2.7", "Firefox"),
    ("w6", "web", "S", "c5", "192.0.2.7", "Firefox"),
    ("w7", "web", "T", "c6", "192.0.2.7", "Firefox"),
    # T's phone, seen under two customers: the app's fingerprint is the device model.
    ("a1", "mobile_app", "T", "c7", "2001:db8::9", "Pixel 8"),
    ("a2", "mobile_app", "T", "c6", "2001:db8::9", "Pixel 8"),
    # No address: no fingerprint.
    ("w8", "web", "Q", "c8", None, "Safari"),
]


@pytest.fixture
def handmade(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, truth = tmp_path / "warehouse.duckdb", tmp_path / "truth"
    truth.mkdir()
    connection = duckdb.connect(str(warehouse))
    connection.execute("create schema raw")
    connection.execute("create schema identity")
    for table in ("web__events", "mobile_app__events"):
        connection.execute(f"create table raw.{table} (record_key varchar, payload json)")
    connection.execute(
        "create table identity.int_identity__record_customers "
        "(record_id varchar, customer_id varchar)"
    )
    connection.execute(
        "create table truth_records (channel varchar, entity varchar, record_key varchar, "
        "person_id varchar)"
    )
    for key, channel, person, customer, ip, agent in RECORDS:
        context: dict[str, object] = {} if ip is None else {"ip": ip}
        if channel == "web":
            context["userAgent"] = agent
        else:
            context["device"] = {"model": agent}
        payload = json.dumps({"context": context})
        connection.execute(f"insert into raw.{channel}__events values (?, ?)", [key, payload])
        connection.execute(
            "insert into identity.int_identity__record_customers values (?, ?)",
            [f"{channel}__events:{key}", customer],
        )
        connection.execute(
            "insert into truth_records values (?, 'events', ?, ?)", [channel, key, person]
        )
    connection.execute(f"copy truth_records to '{truth}/records.parquet' (format parquet)")
    connection.close()
    return warehouse, truth


def test_fingerprint_study_counts_pairs_by_hand(handmade):
    study = {row["fingerprint_customers_at_most"]: row for row in fingerprint_study(*handmade)}
    # The people have 7 pairs: P's 3, T's 3 and Q's 1 (w4 and w8, which no fingerprint joins).
    # Without a limit, c1+c2 join (P's three records, 3 pairs, all right) and the office
    # address joins c4, c5, c6 and, through T's phone, c7: five records, 10 pairs, of which
    # T's 3 are right. Together 6 of 13 pairs are right, and 6 of the people's 7.
    assert study[None] == {
        "fingerprint_customers_at_most": None,
        "customers_merged": 6,
        "pairwise_precision": round(6 / 13, 6),
        "pairwise_recall": round(6 / 7, 6),
    }
    assert study[3] == study[None] | {"fingerprint_customers_at_most": 3}
    # At most two customers per fingerprint: the office address is ignored; c1+c2 and c6+c7
    # join, every pair right.
    assert study[2] == {
        "fingerprint_customers_at_most": 2,
        "customers_merged": 4,
        "pairwise_precision": 1.0,
        "pairwise_recall": round(6 / 7, 6),
    }


def test_fingerprint_study_of_one_record_customers_reports_zero_not_an_error(handmade):
    warehouse, truth = handmade
    connection = duckdb.connect(str(warehouse))
    connection.execute(
        "delete from identity.int_identity__record_customers where record_id <> 'web__events:w1'"
    )
    connection.close()
    for row in fingerprint_study(warehouse, truth):
        assert (row["customers_merged"], row["pairwise_precision"], row["pairwise_recall"]) == (
            0,
            0,
            0,
        )
