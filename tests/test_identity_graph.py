"""Identity resolution on hand-made records: the guards against over-merging, late identifies,
stable ids and merge history, through dbt on a DuckDB warehouse of its own."""

import time
from collections.abc import Iterator

import duckdb
import pytest
from handmade import Warehouse, segment

from orchestration.transform.assets import dbt_resource

IDENTITY_MODELS = "+identity +marts"


def crm_row(
    crm_id: str, email: str, mobile: str, landline: str = "", *, system: str = "", account: str = ""
) -> dict:
    return {
        "crm_id": crm_id, "crm_system": system, "email": email, "secondary_email": "",
        "mobile_phone": mobile, "phone": landline, "country_code": "US",
        "lifecycle_stage": "customer", "loyalty_card": "", "account_user_id": account,
        "created_at": "2026-03-01T10:00:00Z", "updated_at": "2026-03-01T10:00:00Z",
    }  # fmt: skip


#: Probabilistic matches, as the Splink asset writes them (identity.probabilistic_edges):
#: - d1 and d2, one person entered twice in the CRM (no identifier in common), matched on their
#:   personal attributes: strong evidence that merges two CRM ids;
#: - a call from a number used nowhere else, matched to h1 and h2, two different people of one
#:   household: the call is known only by its phone, so it may attach to one of them at most,
#:   and never joins the two;
#: - a1 and a2, two CRM contacts each with a login account of its own: a match never merges two
#:   accounts.
MATCHES = [
    ("crm__contacts:d1|1", "crm__contacts:d2|1", 0.9993),
    ("crm__contacts:h1|1", "voice__calls:CA3", 0.995),
    ("crm__contacts:h2|1", "voice__calls:CA3", 0.995),
    ("crm__contacts:a1|1", "crm__contacts:a2|1", 0.9995),
]


def add_matches(warehouse: Warehouse, matches: list[tuple[str, str, float]]) -> None:
    connection = duckdb.connect(str(warehouse.path))
    connection.execute("create schema if not exists identity")
    connection.execute(
        "create or replace table identity.probabilistic_edges (record_id_l varchar, "
        "record_id_r varchar, match_probability double, match_weight double, "
        "shares_email boolean, shares_phone boolean)"
    )
    for left, right, probability in matches:
        connection.execute(
            "insert into identity.probabilistic_edges values (?, ?, ?, 10.0, false, false)",
            [left, right, probability],
        )
    connection.close()


def twilio_call(sid: str, caller: str) -> dict:
    return {
        "sid": sid, "from": caller, "to": "+18005550100", "direction": "inbound",
        "status": "completed", "start_time": "Mon, 02 Mar 2026 10:00:00 +0000",
        "end_time": "Mon, 02 Mar 2026 10:05:00 +0000", "duration": "300",
    }  # fmt: skip


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    warehouse = Warehouse(tmp_path_factory.mktemp("identity") / "warehouse.duckdb")
    patch = pytest.MonkeyPatch()
    patch.setenv("CONNECT360_WAREHOUSE", str(warehouse.path))
    add = warehouse.add
    # Two people type the same placeholder email: a blocked value.
    add(
        "web__events",
        "w1",
        "2026-03-01T09:00:00Z",
        segment("identify", "anon-1", "usr_1", traits={"email": "test@example.com"}),
    )
    add(
        "web__events",
        "w2",
        "2026-03-01T09:05:00Z",
        segment("identify", "anon-2", "usr_2", traits={"email": " TEST@example.com"}),
    )
    # Two people log in on one shared tablet (same device, same app install).
    add(
        "mobile_app__events",
        "m1",
        "2026-03-01T10:00:00Z",
        segment("track", "anon-tab", "usr_3", event="Opened", context={"device": {"id": "TAB1"}}),
    )
    add(
        "mobile_app__events",
        "m2",
        "2026-03-01T11:00:00Z",
        segment("track", "anon-tab", "usr_4", event="Opened", context={"device": {"id": "TAB1"}}),
    )
    # Two CRM contacts of one household share the landline, each has their own mobile; a third
    # contact's landline is only theirs. Somebody calls from each landline.
    contacts = [
        ("c1", "ann@mail.example.com", "+12125550101", "(212) 555-0199"),
        ("c2", "bob@mail.example.com", "+12125550102", "+1 212-555-0199"),
        ("c3", "eve@mail.example.com", "+12125550103", "+12125550177"),
    ]
    for crm_id, email, mobile, landline in contacts:
        add(
            "crm__contacts",
            f"{crm_id}|1",
            "2026-03-01T10:00:00Z",
            crm_row(crm_id, email, mobile, landline),
        )
    add("voice__calls", "CA1", "2026-03-02T10:00:00Z", twilio_call("CA1", "+1 (212) 555-0199"))
    add("voice__calls", "CA2", "2026-03-02T11:00:00Z", twilio_call("CA2", "+12125550177"))
    # One person in the CRM twice (d1, d2), and in a second CRM after a merger (x1, another
    # system's id, with d1's email); two people of one household (h1, h2), and a call from a
    # number neither left in the CRM (CA3). Their matches are in MATCHES.
    for crm_id, email, mobile, system in [
        ("d1", "dee@mail.example.com", "", ""),
        ("d2", "", "", ""),
        ("x1", "dee@mail.example.com", "", "acquired_crm"),
        ("h1", "", "+12125550131", ""),
        ("h2", "", "+12125550132", ""),
    ]:
        add(
            "crm__contacts",
            f"{crm_id}|1",
            "2026-03-01T10:00:00Z",
            crm_row(crm_id, email, mobile, system=system),
        )
    add("voice__calls", "CA3", "2026-03-02T12:00:00Z", twilio_call("CA3", "+12125550150"))
    for crm_id in ("a1", "a2"):
        add(
            "crm__contacts",
            f"{crm_id}|1",
            "2026-03-01T10:00:00Z",
            crm_row(crm_id, "", "", account=f"usr_{crm_id}"),
        )
    add_matches(warehouse, MATCHES)
    # Somebody browses the shared tablet's app without logging in.
    add(
        "mobile_app__events",
        "m3",
        "2026-03-01T12:00:00Z",
        segment("screen", "anon-tab", name="Home", context={"device": {"id": "TAB1"}}),
    )
    # A visitor browses anonymously; they identify only in the second batch.
    add("web__events", "w5", "2026-03-01T12:00:00Z", segment("page", "anon-5", name="Home"))
    add("web__events", "w6", "2026-03-01T12:01:00Z", segment("page", "anon-5", name="Shop"))
    add(
        "web__events",
        "w7",
        "2026-03-01T13:00:00Z",
        segment("identify", "anon-7", "usr_5", traits={"email": "cleo@mail.example.com"}),
    )
    # A customer asks to be erased (verified); another request is not verified yet.
    add(
        "web__events",
        "w9",
        "2026-03-01T14:00:00Z",
        segment("identify", "anon-9", "usr_9", traits={"email": "dan@mail.example.com"}),
    )
    add(
        "mobile_app__events",
        "m9",
        "2026-03-01T15:00:00Z",
        segment("track", "anon-9m", "usr_9", event="Opened", context={"device": {"id": "DAN1"}}),
    )
    # Records of Dan keyed only by a cookie or a device the graph ties to Dan: a page view
    # before signing in, an app reinstalled on Dan's phone (a new cookie, never signed in), an
    # experiment assignment and a consent event keyed by those cookies.
    add("web__events", "w9a", "2026-03-01T13:00:00Z", segment("page", "anon-9", name="Home"))
    add(
        "mobile_app__events",
        "m9b",
        "2026-03-01T15:30:00Z",
        segment("screen", "anon-9r", name="Home", context={"device": {"id": "DAN1"}}),
    )
    add(
        "experiments__assignments",
        "x9",
        "2026-03-01T15:31:00Z",
        {
            "assignment_id": "x9", "experiment_key": "one_page_checkout", "variant": "treatment",
            "subject_type": "anonymous_id", "subject_id": "anon-9r",
            "assigned_at": "2026-03-01T15:31:00Z", "context": {"channel": "app"},
        },
    )  # fmt: skip
    add(
        "consent__events",
        "c9",
        "2026-03-01T13:01:00Z",
        {
            "consent_event_id": "c9", "subject_type": "anonymous_id", "subject_id": "anon-9",
            "purpose": "analytics", "action": "opt_in", "occurred_at": "2026-03-01T13:01:00Z",
            "source": "cookie_banner",
        },
    )  # fmt: skip
    add(
        "consent__erasure_requests",
        "e1",
        "2026-03-01T16:00:00Z",
        {
            "request_id": "e1",
            "subject_type": "email",
            "subject_id": "Dan@mail.example.com ",
            "regulation": "gdpr",
            "channel": "web_form",
            "verified": True,
            "received_at": "2026-03-01T16:00:00Z",
        },
    )
    add(
        "consent__erasure_requests",
        "e2",
        "2026-03-01T16:00:00Z",
        {
            "request_id": "e2",
            "subject_type": "email",
            "subject_id": "cleo@mail.example.com",
            "regulation": "ccpa",
            "channel": "email",
            "verified": False,
            "received_at": "2026-03-01T16:00:00Z",
        },
    )
    warehouse.build(IDENTITY_MODELS)
    yield warehouse
    patch.undo()


def test_blocked_value_never_bridges_two_people(graph: Warehouse) -> None:
    assert graph.customer_of("web__events:w1") != graph.customer_of("web__events:w2")
    blocked = graph.query(
        "select count(*) from identity.int_identity__occurrences where identifier_type = 'email' "
        "and record_id in ('web__events:w1', 'web__events:w2')"
    )
    assert blocked == [(0,)]


def test_shared_device_does_not_merge_its_users(graph: Warehouse) -> None:
    first, second = (graph.customer_of(f"mobile_app__events:{k}") for k in ("m1", "m2"))
    assert first is not None and second is not None and first != second
    refused = graph.query(
        "select identifier_type, bridge_refusal from identity.int_identity__components "
        "where bridge_refusal is not null and identifier_type in ('anonymous_id', 'device_id')"
    )
    assert refused and all("ambiguous" in reason for _, reason in refused)


def test_household_landline_does_not_merge_crm_contacts(graph: Warehouse) -> None:
    assert graph.customer_of("crm__contacts:c1|1") != graph.customer_of("crm__contacts:c2|1")


def test_records_of_a_shared_identifier_join_none_of_its_people(graph: Warehouse) -> None:
    resolution = dict(
        graph.query(
            "select record_id, resolution from identity.int_identity__record_customers "
            "where record_id in ('voice__calls:CA1', 'voice__calls:CA2', "
            "'mobile_app__events:m3', 'mobile_app__events:m1')"
        )
    )
    # The call from the landline two contacts hold, and the anonymous session on the tablet two
    # accounts use, could be either person's: they belong to the shared identifier's own
    # customer, not to either person, and not to nobody.
    assert resolution["voice__calls:CA1"] == "shared identifier"
    assert resolution["mobile_app__events:m3"] == "shared identifier"
    landline_caller = graph.customer_of("voice__calls:CA1")
    assert landline_caller is not None
    assert landline_caller not in {
        graph.customer_of("crm__contacts:c1|1"), graph.customer_of("crm__contacts:c2|1"),
    }  # fmt: skip
    tablet_browser = graph.customer_of("mobile_app__events:m3")
    assert tablet_browser is not None
    assert tablet_browser not in {
        graph.customer_of("mobile_app__events:m1"), graph.customer_of("mobile_app__events:m2"),
    }  # fmt: skip
    # A landline only one contact holds still places its calls, and logged-in sessions on the
    # tablet keep their account's customer.
    assert resolution["voice__calls:CA2"] == "resolved"
    assert graph.customer_of("voice__calls:CA2") == graph.customer_of("crm__contacts:c3|1")
    assert resolution["mobile_app__events:m1"] == "resolved"


def test_every_record_with_an_identifier_has_a_customer(graph: Warehouse) -> None:
    (without,) = graph.query(
        "select count(*) filter (where customer_id is null and resolution <> 'no identifier'), "
        "count(*) filter (where customer_id is not null and resolution = 'no identifier') "
        "from identity.int_identity__record_customers"
    )
    assert without == (0, 0)
    staged = graph.query(
        "select count(*) from staging.stg_crm__contacts as contacts "
        "left join identity.int_identity__record_customers as bridge "
        "on bridge.record_id = 'crm__contacts:' || contacts.record_key "
        "where bridge.customer_id is null"
    )
    assert staged == [(0,)]
    # Refused bridges never mark an account id as shared: only phones, cookies and devices.
    shared_types = {kind for (kind,) in graph.query(
        "select distinct identifier_type from identity.int_identity__components "
        "where is_shared_identifier")}  # fmt: skip
    assert shared_types == {"phone", "anonymous_id", "device_id"}


def test_a_strong_match_merges_two_crm_ids_of_one_person(graph: Warehouse) -> None:
    person = graph.customer_of("crm__contacts:d1|1")
    assert person is not None and graph.customer_of("crm__contacts:d2|1") == person
    # The second CRM's id is an identifier type of its own: d1's email joins it to d1, though
    # the component already holds a (primary) CRM id.
    assert graph.customer_of("crm__contacts:x1|1") == person
    types = {kind for (kind,) in graph.query(
        "select identifier_type from identity.int_identity__record_customers "
        "inner join identity.int_identity__occurrences using (record_id) "
        "where record_id = 'crm__contacts:x1|1' and is_hub")}  # fmt: skip
    assert types == {"crm_id:acquired_crm"}
    [(tier, probability)] = graph.query(
        "select tier, match_probability from identity.int_identity__links "
        "where match_probability is not null and source_type = 'crm_id' "
        "and target_type = 'crm_id'"
    )
    assert (tier, probability) == (6, 0.9993)  # the merging tier
    # The reviewer's list of merges that rest on a match names the pair and its probability.
    merges = graph.query(
        "select customer_id, example_record_id, example_matched_record_id, match_probability "
        "from identity.identity_match_merges"
    )
    assert merges == [(person, "crm__contacts:d1|1", "crm__contacts:d2|1", 0.9993)]


def test_a_rejected_match_is_undone(graph: Warehouse, tmp_path) -> None:
    copy = Warehouse.__new__(Warehouse)
    copy.path, copy.lines = tmp_path / "copy.duckdb", graph.lines
    copy.path.write_bytes(graph.path.read_bytes())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(copy.path))
        rejected = '{"identity_rejected_matches": [["crm__contacts:d2|1", "crm__contacts:d1|1"]]}'
        copy.build("identity", variables=rejected)
    assert copy.customer_of("crm__contacts:d1|1") != copy.customer_of("crm__contacts:d2|1")
    assert copy.query("select count(*) from identity.identity_match_merges") == [(0,)]


def test_a_full_refresh_keeps_when_each_erasure_was_honoured(graph: Warehouse, tmp_path) -> None:
    copy = Warehouse.__new__(Warehouse)
    copy.path, copy.lines = tmp_path / "copy.duckdb", graph.lines
    copy.path.write_bytes(graph.path.read_bytes())
    audit = (
        "select request_id, erased_customer_id, erased_at, identifiers_erased "
        "from identity.identity_erasure_register order by request_id"
    )
    suppressed = "select * from identity.identity_erasure_suppressions order by node_id"
    before, suppressed_before = copy.query(audit), copy.query(suppressed)
    assert before[0][2] is not None  # e1 was erased
    time.sleep(1.1)  # a re-stamp would show as a later second
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(copy.path))
        dbt_resource().cli(
            ["run", "--select", "identity", "--full-refresh"], raise_on_error=True
        ).wait()
    assert copy.query(audit) == before
    assert copy.query(suppressed) == suppressed_before


def test_a_match_never_merges_two_login_accounts(graph: Warehouse) -> None:
    first, second = graph.customer_of("crm__contacts:a1|1"), graph.customer_of("crm__contacts:a2|1")
    assert first is not None and second is not None and first != second


def test_a_record_known_by_its_phone_alone_never_joins_two_people(graph: Warehouse) -> None:
    first, second = graph.customer_of("crm__contacts:h1|1"), graph.customer_of("crm__contacts:h2|1")
    assert first is not None and second is not None and first != second
    caller = graph.customer_of("voice__calls:CA3")
    assert caller is not None
    refused = graph.query(
        "select node_id, bridge_refusal, is_shared_identifier "
        "from identity.int_identity__components where bridge_refused_at_tier = 13"
    )
    assert refused and all(not shared for _, _, shared in refused)


BRIDGE = "select record_id, customer_id from identity.int_identity__record_customers"


def test_late_identify_restitches_and_ids_stay_stable(graph: Warehouse) -> None:
    before = dict(graph.query(BRIDGE))
    anonymous = before["web__events:w5"]
    assert anonymous == before["web__events:w6"] != before["web__events:w7"]

    # The next day the anonymous visitor logs in as usr_5: one identify links the cookie.
    login = segment("identify", "anon-5", "usr_5", traits={"email": "cleo@mail.example.com"})
    graph.add("web__events", "w8", "2026-03-02T09:00:00Z", login)
    graph.build(IDENTITY_MODELS)
    after = dict(graph.query(BRIDGE))

    person = after["web__events:w7"]
    assert after["web__events:w5"] == after["web__events:w6"] == after["web__events:w8"] == person
    # Everybody else keeps their id across the incremental run.
    merging = {anonymous, before["web__events:w7"]}
    untouched = [record for record, customer in before.items() if customer not in merging]
    assert untouched and all(after[record] == before[record] for record in untouched)
    # The older customer survives the merge, and merge history records it with its evidence.
    assert person in (anonymous, before["web__events:w7"])
    merged_away = ({anonymous, before["web__events:w7"]} - {person}).pop()
    history = graph.query(
        "select from_customer_id, to_customer_id, change, evidence_record_id, evidence_link "
        "from identity.identity_merge_history"
    )
    assert len(history) == 1
    from_id, to_id, change, evidence, link = history[0]
    assert (from_id, to_id, change) == (merged_away, person, "merged")
    assert evidence == "web__events:w8" and "anonymous_id" in link


def test_erasure_reaches_the_cookies_and_devices_tied_to_the_subject(graph: Warehouse) -> None:
    """Records keyed only by a cookie or device that the graph ties to the erased subject go
    with the subject, whether they came before the request or not."""
    anonymous = ["web__events:w9a", "mobile_app__events:m9b", "experiments__assignments:x9",
                 "consent__events:c9"]  # fmt: skip
    remaining = graph.query(
        "select record_id from identity.int_identity__record_customers "
        f"where record_id in ({', '.join(repr(record) for record in anonymous)})"
    )
    assert remaining == []
    (suppressed,) = graph.query(
        "select count(distinct occurrences.record_id) "
        "from identity.int_identity__occurrences as occurrences "
        "inner join identity.identity_erasure_suppressions as suppressions "
        "on occurrences.hub_node_id = suppressions.node_id "
        f"where occurrences.record_id in ({', '.join(repr(record) for record in anonymous)})"
    )[0]
    assert suppressed == len(anonymous)


def test_erasure_removes_the_subject_everywhere(graph: Warehouse) -> None:
    register = graph.query(
        "select request_id, status, erased_customer_id, identifiers_erased "
        "from identity.identity_erasure_register order by request_id"
    )
    assert [(request, status) for request, status, _, _ in register] == [
        ("e1", "erased"), ("e2", "pending verification"),
    ]  # fmt: skip
    erased_customer, identifiers = register[0][2], register[0][3]
    # usr_9, the email, both cookies, the device and the request's own subject: one customer.
    assert identifiers >= 5
    erased_records = {"web__events:w9", "mobile_app__events:m9", "consent__erasure_requests:e1"}
    suppressed = {node for (node,) in graph.query(
        "select node_id from identity.identity_erasure_suppressions")}  # fmt: skip
    # Nothing downstream of the erasure holds the customer, its records or its identifiers.
    for schema, table in graph.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema = 'marts' or table_name in "
        "('int_identity__record_customers', 'customer_record_bridge')"
    ):
        for (column,) in graph.query(
            f"select column_name from information_schema.columns where table_schema = "
            f"'{schema}' and table_name = '{table}' and data_type in ('VARCHAR', 'BIGINT')"
        ):
            values = {value for (value,) in graph.query(f"select {column} from {schema}.{table}")}
            assert erased_customer not in values, f"{schema}.{table}.{column}"
            assert not values & erased_records, f"{schema}.{table}.{column}"
            assert not values & suppressed, f"{schema}.{table}.{column}"
    customers = graph.query("select count(*) from marts.customers")
    assert customers[0][0] > 0
    # The unverified request removes nothing: its subject is still a customer.
    assert graph.customer_of("web__events:w7") is not None
