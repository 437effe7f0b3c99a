"""The identity accuracy command: the fingerprint study and the CRM measures on warehouses
counted by hand, and the whole command on a simulated one."""

import contextlib
import dataclasses
import io
import json
import os
import random
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from simulated import simulate_and_load

from orchestration.identity import baseline
from orchestration.identity.accuracy import (
    Contact,
    PairCounts,
    crm_comparison,
    crm_contacts,
    deduplication_pairs,
    fingerprint_study,
    linkage_pairs,
    main,
    measure,
)
from orchestration.identity.attribute_ceiling import Ceiling, attribute_ceilings
from orchestration.transform.assets import run_dbt
from simulator.catalog import FIRST_NAMES, LAST_NAMES, STREETS

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


# record, person, customer, identifier nodes (the first is the record's hub). Nodes: 1 and 2
# are A's and B's accounts, 7 a tablet's cookie, 3 B's phone cookie, 4 C's account.
SHARED_TABLET = [
    ("a1", "A", "c1", (1, 7)),  # A signs in on the family tablet
    ("a2", "A", "c1", (7,)),
    ("b1", "B", "c1", (7,)),  # B browses on it signed out: nothing of B's own, so with A
    ("b2", "B", "c2", (2, 3)),
    ("b3", "B", "c2", (3,)),
    ("x1", "C", "c2", (4,)),  # C, in B's customer by the resolver's own mistake
    ("b4", "B", "c3", (3,)),  # B again by the phone cookie, split off by the resolver
]


def test_precision_and_recall_beside_what_the_data_allows_by_hand(tmp_path: Path):
    warehouse, truth = tmp_path / "warehouse.duckdb", tmp_path / "truth"
    truth.mkdir()
    connection = duckdb.connect(str(warehouse))
    connection.execute("create schema identity")
    connection.execute(
        "create table identity.int_identity__record_customers "
        "(record_id varchar, customer_id varchar, resolution varchar)"
    )
    connection.execute(
        "create table identity.int_identity__occurrences "
        "(record_id varchar, node_id bigint, hub_node_id bigint, is_hub boolean)"
    )
    connection.execute(
        "create table truth_records (channel varchar, entity varchar, record_key varchar, "
        "person_id varchar)"
    )
    for key, person, customer, (hub, *others) in SHARED_TABLET:
        record = f"web__events:{key}"
        connection.execute(
            "insert into identity.int_identity__record_customers values (?, ?, 'resolved')",
            [record, customer],
        )
        for node in (hub, *others):
            connection.execute(
                "insert into identity.int_identity__occurrences values (?, ?, ?, ?)",
                [record, node, hub, node == hub],
            )
        connection.execute(
            "insert into truth_records values ('web', 'events', ?, ?)", [key, person]
        )
    connection.execute(f"copy truth_records to '{truth}/records.parquet' (format parquet)")
    connection.close()
    figures = measure(warehouse, truth)
    # c1 holds 3 pairs (1 right), c2 holds 3 (1 right): precision 2/6. Of the 4 false pairs,
    # b1's two are forced (the tablet is all b1 has, and A holds it too); C's two are not.
    assert figures["pairwise_precision"] == round(2 / 6, 6)
    assert figures["forced_false_pairs"] == 2
    assert figures["distinguishable_precision"] == round(1 - 2 / (6 - 2), 6)
    # Pairs of one person: A 1, B 6. Chains of identifiers: A's a1-a2 (by the tablet), B's
    # b2-b3-b4 (3 pairs, one kept together); b1 chains to nothing of B's.
    assert figures["linkable_recall"] == round(2 / 4, 6)
    assert figures["recall_ceiling"] == round(4 / 7, 6)
    # Only through identifiers no one else carries: the tablet no longer chains a1 to a2.
    assert figures["own_identifier_linkable_recall"] == round(1 / 3, 6)
    assert figures["own_identifier_recall_ceiling"] == round(3 / 7, 6)


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


# The CRM measures. Contacts: system (None: the primary CRM), crm id, person, cluster (None: no
# customer, a cluster of its own).
CONTACTS = [
    Contact(None, "a1", "P", "c1"),
    Contact(None, "a2", "P", "c1"),
    Contact(None, "a3", "P", "c2"),
    Contact(None, "b1", "Q", "c2"),
    # R's two contacts have no customer: two clusters, not one cluster "None".
    Contact(None, "d1", "R", None),
    Contact(None, "d2", "R", None),
    # The acquired CRM: x4 is P again, a duplicate within that system (in neither measure).
    Contact("acquired_crm", "x1", "P", "c1"),
    Contact("acquired_crm", "x2", "Q", "c3"),
    Contact("acquired_crm", "x3", "S", "c2"),
    Contact("acquired_crm", "x4", "P", "c1"),
]


def test_deduplication_pairs_count_primary_contacts_by_hand():
    # Primary contacts: P's a1, a2, a3 make 3 pairs and R's d1, d2 one: 4 true pairs. c1 holds
    # a1+a2 and c2 a3+b1: 2 predicted pairs, of which a1+a2 is right.
    counts = deduplication_pairs(CONTACTS)
    assert counts == PairCounts(true_pairs=4, predicted_pairs=2, correct_pairs=1)
    assert counts.figures() == {
        "precision": 0.5,
        "recall": 0.25,
        "f1": round(1 / 3, 6),
        "true_pairs": 4,
        "predicted_pairs": 2,
        "correct_pairs": 1,
    }


def test_linkage_pairs_count_one_primary_and_one_other_contact_by_hand():
    # True: P's 3 primary x 2 acquired = 6, Q's 1 x 1 = 1 (R and S are in one system only): 7.
    # Predicted: c1 2 x 2 = 4, c2 (a3, b1) x x3 = 2, c3 none on the primary side: 6.
    # Right: P's a1, a2 with x1, x4 in c1: 4.
    counts = linkage_pairs(CONTACTS)
    assert counts == PairCounts(true_pairs=7, predicted_pairs=6, correct_pairs=4)
    figures = counts.figures()
    assert (figures["precision"], figures["recall"], figures["f1"]) == (
        round(4 / 6, 6),
        round(4 / 7, 6),
        round(8 / 13, 6),
    )


def test_no_second_system_is_zero_linkage_pairs_not_a_division_by_zero():
    primary_only = [contact for contact in CONTACTS if contact.system is None]
    counts = linkage_pairs(primary_only)
    assert counts == PairCounts(0, 0, 0)
    assert counts.figures() == {
        "precision": None,
        "recall": None,
        "f1": None,
        "true_pairs": 0,
        "predicted_pairs": 0,
        "correct_pairs": 0,
    }
    # Every contact its own cluster: nothing predicted, nothing right, 4 pairs missed.
    alone = [dataclasses.replace(contact, cluster=None) for contact in primary_only]
    figures = deduplication_pairs(alone).figures()
    assert (figures["precision"], figures["recall"], figures["f1"]) == (None, 0.0, 0.0)


# crm id, crm_system as landed, updated_at, person (None: not in the truth), customer in the
# bridge ("-": no bridge row, as for an erased customer's records).
CRM_VERSIONS = [
    ("a", None, "2026-03-01T10:00:00Z", "P", "c9"),
    ("a", None, "2026-03-05T10:00:00Z", "P", "c1"),  # a's latest version: customer c1
    ("b", "", "2026-03-02T10:00:00Z", "P", "c1"),  # blank: the primary CRM
    ("c", None, "2026-03-02T10:00:00Z", "Q", None),  # in the bridge without a customer
    ("a", " Acquired_CRM ", "2026-03-03T10:00:00Z", "P", "c1"),  # another system's "a"
    ("e", None, "2026-03-02T10:00:00Z", "R", "-"),
    ("f", None, "2026-03-02T10:00:00Z", None, "c5"),
]


@pytest.fixture
def crm_warehouse(tmp_path: Path) -> tuple[Path, Path]:
    warehouse, truth = tmp_path / "warehouse.duckdb", tmp_path / "truth"
    truth.mkdir()
    connection = duckdb.connect(str(warehouse))
    connection.execute("create schema raw")
    connection.execute("create schema identity")
    connection.execute(
        "create table raw.crm__contacts (record_key varchar, occurred_at timestamptz, payload json)"
    )
    connection.execute(
        "create table identity.int_identity__record_customers "
        "(record_id varchar, customer_id varchar)"
    )
    connection.execute(
        "create table truth_records (channel varchar, entity varchar, record_key varchar, "
        "person_id varchar)"
    )
    for crm_id, system, updated_at, person, customer in CRM_VERSIONS:
        key = f"{system or ''}|{crm_id}|{updated_at}"
        payload = {"crm_id": crm_id, "updated_at": updated_at}
        if system is not None:
            payload["crm_system"] = system
        # A reloaded day lands a record twice: still one version.
        for _ in range(2):
            connection.execute(
                "insert into raw.crm__contacts values (?, ?, ?)",
                [key, updated_at, json.dumps(payload)],
            )
        if customer != "-":
            connection.execute(
                "insert into identity.int_identity__record_customers values (?, ?)",
                [f"crm__contacts:{key}", customer],
            )
        connection.execute(
            "insert into truth_records values ('crm', 'contacts', ?, ?)", [key, person]
        )
    connection.execute(f"copy truth_records to '{truth}/records.parquet' (format parquet)")
    connection.close()
    return warehouse, truth


def test_crm_contacts_are_one_per_system_and_id_with_their_latest_customer(crm_warehouse):
    warehouse, truth = crm_warehouse
    connection = duckdb.connect(str(warehouse), read_only=True)
    contacts = crm_contacts(connection, truth)
    connection.close()
    assert [contact for _, contact in contacts.judged] == [
        Contact(None, "a", "P", "c1"),
        Contact(None, "b", "P", "c1"),
        Contact(None, "c", "Q", None),
        Contact("acquired_crm", "a", "P", "c1"),
    ]
    assert contacts.judged[0][0] == "crm__contacts:|a|2026-03-05T10:00:00Z"
    assert len(contacts.latest_record_ids) == 6  # e and f too: the baseline sees every contact
    assert (contacts.without_person, contacts.not_in_bridge) == (1, 1)


def test_crm_comparison_reports_deduplication_and_linkage(crm_warehouse):
    lines = crm_comparison(*crm_warehouse, project_seconds={"matching": 1.0})
    assert lines[0] == {
        "run": "crm contacts",
        "contacts": 4,
        "primary_system": 3,
        "other_systems": {"acquired_crm": 1},
        "left_out_without_person": 1,
        "left_out_not_in_bridge": 1,
    }
    # Primary: a and b are P's, in c1: the one true pair found; c has no customer.
    # The warehouse has no restricted attributes: no attribute ceiling (see the test below).
    assert lines[1] == {
        "run": "crm deduplication",
        "attribute_ceiling": None,
        "project": {
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
            "true_pairs": 1,
            "predicted_pairs": 1,
            "correct_pairs": 1,
            "contacts_without_cluster": 1,
            "seconds": {"matching": 1.0},
        },
    }
    # The acquired a is P's, in c1 with the primary a and b: two pairs, both right.
    assert lines[2]["project"] | {"seconds": None} == {
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "true_pairs": 2,
        "predicted_pairs": 2,
        "correct_pairs": 2,
        "contacts_without_cluster": 1,
        "seconds": None,
    }


JOHN_BORN = date(1980, 1, 1)
# record, system, person, cluster, first name, last name, date of birth, street, postal code,
# email: the restricted attributes of CRM contacts, for the attribute ceiling.
CEILING_CONTACTS = [
    # Anne, and Anne again as "A. Harris" (missed); her daughter Amy at the same address agrees
    # with "A. Harris" just as well, so no matcher comparing fields can tell the pair apart.
    ("p1a", None, "P1", "c1", "anne", "harris", None, "1 elm street", "10001", "anne@x.test"),
    ("p1b", None, "P1", "c9", "a", "harris", None, "1 elm street", "10001", None),
    ("p2a", None, "P2", "c2", "amy", "harris", None, "1 elm street", "10001", None),
    # John twice, once misspelled without an address (found), and in the acquired CRM (found).
    ("p3a", None, "P3", "c3", "john", "smith", JOHN_BORN, "2 oak road", "10002", None),
    ("p3b", None, "P3", "c3", "jon", "smith", JOHN_BORN, None, None, None),
    ("p3c", "acquired_crm", "P3", "c3", "john", "smith", JOHN_BORN, "2 oak road", "10002", None),
    # Mary, moved before the acquired company entered her (missed), no one else alike.
    ("p4a", None, "P4", "c4", "mary", "jones", None, "3 pine lane", "10003", None),
    ("p4b", "acquired_crm", "P4", "c5", "mary", "jones", None, "9 bay road", "10009", None),
]


def test_attribute_ceiling_counts_pairs_no_matcher_can_tell_apart_by_hand(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    assert attribute_ceilings(connection, []) is None  # no restricted attributes: no ceiling
    connection.execute("create schema restricted")
    connection.execute(
        "create table restricted.restricted_match_attributes (record_id varchar, "
        "first_name varchar, last_name varchar, date_of_birth date, address_line varchar, "
        "postal_code varchar, city varchar, email varchar, phone varchar, "
        "secondary_phone varchar)"
    )
    for record, _, _, _, first, last, born, street, postal, email in CEILING_CONTACTS:
        connection.execute(
            "insert into restricted.restricted_match_attributes values "
            "(?, ?, ?, ?, ?, ?, 'springfield', ?, null, null)",
            [record, first, last, born, street, postal, email],
        )
    # Pat twice, once with no match attribute at all (a contact with an id only): nothing to
    # tell that pair apart by.
    connection.execute(
        "insert into restricted.restricted_match_attributes (record_id, first_name, last_name) "
        "values ('p5a', 'pat', 'quint')"
    )
    contacts = [contact[:4] for contact in CEILING_CONTACTS]
    contacts += [("p5a", None, "P5", "c6"), ("p5b", None, "P5", "c7")]
    ceilings = attribute_ceilings(connection, contacts)
    connection.close()
    # De-duplication: Anne's pair (Amy's contact agrees as well), John's (found), Pat's.
    assert ceilings["crm deduplication"] == Ceiling(
        3, indistinguishable_pairs=2, distinguishable_found=1
    )
    assert ceilings["crm deduplication"].figures() == {
        "indistinguishable_pairs": 2,
        "recall_ceiling": round(1 / 3, 6),
        "f1_ceiling": round(2 * 1 / 4, 6),
        "distinguishable_recall": 1.0,
    }
    # Linkage: John's two pairs found, Mary's missed; none is indistinguishable.
    assert ceilings["crm linkage"] == Ceiling(3, indistinguishable_pairs=0, distinguishable_found=2)
    assert ceilings["crm linkage"].figures()["distinguishable_recall"] == round(2 / 3, 6)


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`accuracy --build` on a small simulated warehouse (a few minutes): its lines by run."""
    work = tmp_path_factory.mktemp("accuracy")
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        simulate_and_load(work, people=800, days=20, start=date(2026, 2, 1), seed=5)
        run_dbt(["run", "--select", "+identity"], os.environ)
        arguments = ["--build", "--warehouse", str(work / "warehouse.duckdb")]
        with contextlib.redirect_stdout(output):
            assert main([*arguments, "--truth", str(work / "truth")]) == 0
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    return {line.get("run", "matching"): line for line in lines}


def _in_unit_range(figures: dict) -> bool:
    return all(0 <= figures[name] <= 1 for name in ("precision", "recall", "f1"))


def test_crm_figures_of_a_simulated_warehouse(simulated_run):
    contacts = simulated_run["crm contacts"]
    assert contacts["primary_system"] > 100
    assert contacts["other_systems"]  # the simulator's acquired CRM
    assert contacts["baseline"]["status"] == "trained"
    for run in ("crm deduplication", "crm linkage"):
        project, baseline = simulated_run[run]["project"], simulated_run[run]["baseline"]
        # The same contacts, so the same true pairs; some of them, on both sides of a link.
        assert project["true_pairs"] == baseline["true_pairs"] > 0
        for figures in (project, baseline):
            assert _in_unit_range(figures)
            assert figures["correct_pairs"] <= min(
                figures["predicted_pairs"], figures["true_pairs"]
            )
        ceiling = simulated_run[run]["attribute_ceiling"]
        assert 0 <= ceiling["indistinguishable_pairs"] <= project["true_pairs"]
        for name in ("recall_ceiling", "f1_ceiling", "distinguishable_recall"):
            assert 0 <= ceiling[name] <= 1
        assert project["seconds"]["matching"] > 0
        assert project["seconds"]["identity_build"] > 0
        assert baseline["seconds"] > 0
    # Splink clusters every contact it is given.
    assert simulated_run["crm deduplication"]["baseline"]["contacts_without_cluster"] == 0


def _made_up_contacts() -> list[dict]:
    """400 contacts of 400 people, then 40 of them entered again with a typo in the first name,
    another address and no email (a second system's copy, say)."""
    rng = random.Random(3)
    contacts = []
    for person in range(400):
        first, last = rng.choice(FIRST_NAMES).lower(), rng.choice(LAST_NAMES).lower()
        born = date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
        contacts.append(
            {
                "record_id": f"crm__contacts:{person}",
                "person_id": str(person),
                "first_name": first,
                "last_name": last,
                "date_of_birth": born,
                "address_line": f"{rng.randrange(1, 400)} {rng.choice(STREETS).lower()}",
                "postal_code": str(rng.randrange(10000, 10100)),
                "email": f"{first}.{last}{person}@example.com",
                "phone": f"+1212555{person:04d}",
            }
        )
    for contact in contacts[:40]:
        contacts.append(
            contact
            | {
                "record_id": contact["record_id"] + "-again",
                "first_name": contact["first_name"][:-1] + "x",
                "address_line": "1 new street",
                "email": None,
            }
        )
    return contacts


def test_the_baseline_clusters_duplicates_and_writes_nothing_to_the_warehouse():
    contacts = _made_up_contacts()
    warehouse = duckdb.connect()
    warehouse.execute("create schema restricted")
    warehouse.register("made_up", pa.Table.from_pylist(contacts))
    warehouse.execute(
        "create table restricted.stg_restricted__crm_contacts as "
        "select * exclude (person_id) from made_up"
    )
    warehouse.unregister("made_up")
    tables_before = warehouse.sql("select table_name from duckdb_tables()").fetchall()
    # The last contact is not given: it stays out of the clusters.
    run = baseline.run_baseline(warehouse, [contact["record_id"] for contact in contacts[:-1]])
    assert warehouse.sql("select table_name from duckdb_tables()").fetchall() == tables_before
    assert (run.status, run.contacts, run.threshold) == ("trained", 439, 0.95)
    assert set(run.clusters) == {contact["record_id"] for contact in contacts[:-1]}
    judged = [
        Contact(
            None, contact["record_id"], contact["person_id"], run.clusters.get(contact["record_id"])
        )
        for contact in contacts
    ]
    # Name, birth date, postal code and phone still agree: every copy given is found (the 40th
    # was not given), and no other pair is.
    assert deduplication_pairs(judged) == PairCounts(
        true_pairs=40, predicted_pairs=39, correct_pairs=39
    )
