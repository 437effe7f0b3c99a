"""Sessions and journey moments on hand-made records, through dbt: session boundaries (exactly
30 minutes, midnight, time zones, an identify mid-session, a new campaign), the moment rules, and
a late event that lands in the right session on the next run, and a price that differed between
channels."""

from collections.abc import Iterator

import pytest
from handmade import Warehouse, segment

JOURNEY_MODELS = "+journey_moments +sessions +touchpoints"


def page(anonymous_id: str, user_id: str | None = None, **context: object) -> dict:
    return segment("page", anonymous_id, user_id, name="Home", context=context)


def track(anonymous_id: str, user_id: str | None, event: str, **properties: object) -> dict:
    return segment("track", anonymous_id, user_id, event=event, properties=properties)


def order(order_id: int, email: str, at: str, skus: tuple[str, ...] = ()) -> dict:
    return {
        "id": order_id, "name": f"#{order_id}", "order_number": order_id, "email": email,
        "financial_status": "paid", "fulfillment_status": None, "created_at": at,
        "updated_at": at, "total_price": "42.00", "currency": "USD", "source_name": "web",
        "line_items": [{"sku": sku, "quantity": 1, "price": "42.00"} for sku in skus],
    }  # fmt: skip


def list_price(channel: str, sku: str, day: str, price: str) -> dict:
    return {
        "channel": channel, "sku": sku, "list_price": price, "currency": "USD",
        "valid_from": day, "valid_to": day, "published_at": f"{day}T05:00:00Z",
    }  # fmt: skip


def receipt_line(receipt_id: str, at: str, sku: str, price: str, loyalty_card: str) -> dict:
    return {
        "receipt_id": receipt_id, "line_number": "1", "store_id": "NYC",
        "store_timezone": "America/New_York", "local_timestamp": at, "loyalty_card": loyalty_card,
        "sku": sku, "quantity": "1", "list_price": price, "paid_price": price, "currency": "USD",
    }  # fmt: skip


def ticket(ticket_id: int, status: str, email: str, tags: list[str]) -> dict:
    return {
        "id": ticket_id, "status": status, "requester_id": 5001,
        "requester": {"email": email}, "tags": tags, "via": {"channel": "web"},
    }  # fmt: skip


def crm(
    email: str,
    user_id: str,
    created_at: str = "2025-01-10T10:00:00Z",
    stage: str = "customer",
    loyalty_card: str | None = None,
) -> dict:
    return {
        "crm_id": "crm-" + user_id, "email": email, "lifecycle_stage": stage,
        "account_user_id": user_id, "country_code": "US", "loyalty_card": loyalty_card,
        "created_at": created_at, "updated_at": "2026-03-01T06:00:00Z",
    }  # fmt: skip


def survey(score: int, email: str) -> dict:
    return {
        "survey_id": "nps-q",
        "survey_type": "nps",
        "score": score,
        "respondent": {"email": email},
    }


@pytest.fixture(scope="module")
def journeys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    warehouse = Warehouse(tmp_path_factory.mktemp("journeys") / "warehouse.duckdb")
    patch = pytest.MonkeyPatch()
    patch.setenv("CONNECT360_WAREHOUSE", str(warehouse.path))
    add = warehouse.add
    # Gaps of 29:59 (same session) and of exactly 30:00 (a new one).
    add("web__events", "a1", "2026-03-02T09:00:00Z", page("anon-a"))
    add("web__events", "a2", "2026-03-02T09:29:59Z", page("anon-a"))
    add("web__events", "a3", "2026-03-02T09:59:59Z", page("anon-a"))
    # A session across midnight stays one session.
    add("web__events", "b1", "2026-03-02T23:50:00Z", page("anon-b"))
    add("web__events", "b2", "2026-03-03T00:10:00Z", page("anon-b"))
    # Local time: Los Angeles is eight hours behind UTC in March before DST; an unknown zone
    # falls back to UTC.
    add("web__events", "c1", "2026-03-03T03:00:00Z", page("anon-c", timezone="America/Los_Angeles"))
    add("web__events", "c2", "2026-03-03T03:00:00Z", page("anon-c2", timezone="Mars/Olympus"))
    # An anonymous session the day before, then a session that identifies mid-way.
    add("web__events", "d0", "2026-03-01T18:00:00Z", page("anon-d"))
    add("web__events", "d1", "2026-03-02T10:00:00Z", page("anon-d"))
    add(
        "web__events",
        "d2",
        "2026-03-02T10:05:00Z",
        segment("identify", "anon-d", "usr_d", traits={"email": "dee@mail.example.com"}),
    )
    add("web__events", "d3", "2026-03-02T10:10:00Z", page("anon-d", "usr_d"))
    # A new campaign starts a new session even inside the timeout.
    add("web__events", "e1", "2026-03-02T11:00:00Z", page("anon-e"))
    add("web__events", "e2", "2026-03-02T11:05:00Z", page("anon-e", campaign={"name": "spring"}))
    add("web__events", "e3", "2026-03-02T11:10:00Z", page("anon-e", campaign={"name": "spring"}))
    # A new customer: discovery, research, a cart, a first order, a repeat order, a detractor.
    add("web__events", "f1", "2026-03-04T12:00:00Z", page("anon-f", campaign={"name": "launch"}))
    add("web__events", "f2", "2026-03-04T12:01:00Z", track("anon-f", None, "Product Viewed"))
    add("web__events", "f3", "2026-03-04T12:02:00Z", track("anon-f", None, "Product Added"))
    add(
        "web__events",
        "f4",
        "2026-03-04T12:03:00Z",
        segment("identify", "anon-f", "usr_f", traits={"email": "fay@mail.example.com"}),
    )
    add(
        "web__events",
        "f5",
        "2026-03-04T12:04:00Z",
        track("anon-f", "usr_f", "Order Completed", order_id="9001"),
    )
    add(
        "orders__orders",
        "9001|1",
        "2026-03-04T12:04:02Z",
        order(9001, "fay@mail.example.com", "2026-03-04T12:04:02Z"),
    )
    add(
        "orders__orders",
        "9002|1",
        "2026-03-20T08:00:00Z",
        order(9002, "fay@mail.example.com", "2026-03-20T08:00:00Z"),
    )
    add("surveys__responses", "r1", "2026-03-25T08:00:00Z", survey(3, "fay@mail.example.com"))
    add("surveys__responses", "r2", "2026-03-26T08:00:00Z", survey(9, "fay@mail.example.com"))
    # Support: a ticket with two updates, and an escalated one.
    for key, status in (("70|1", "new"), ("70|2", "solved")):
        add(
            "tickets__tickets",
            key,
            f"2026-03-05T0{key[-1]}:00:00Z",
            ticket(70, status, "fay@mail.example.com", ["order_status"]),
        )
    add(
        "tickets__tickets",
        "71|1",
        "2026-03-06T09:00:00Z",
        ticket(71, "open", "fay@mail.example.com", ["complaint", "escalated"]),
    )
    # A track call without an event name is still an interaction.
    add("web__events", "h1", "2026-03-02T15:00:00Z", segment("track", "anon-h"))
    # A customer the CRM has known since 2025.
    add("crm__contacts", "g|1", "2026-03-01T06:00:00Z", crm("gus@mail.example.com", "usr_g"))
    add("web__events", "g1", "2026-03-03T08:00:00Z", page("anon-g", "usr_g"))
    add(
        "orders__orders",
        "9101|1",
        "2026-03-03T08:10:00Z",
        order(9101, "gus@mail.example.com", "2026-03-03T08:10:00Z"),
    )
    # A shopper who bought in a store first: her first visit to the web is no discovery. The
    # CRM record (her loyalty card and account) is only created afterwards.
    add(
        "crm__contacts",
        "j|1",
        "2026-03-12T06:00:00Z",
        crm("joy@mail.example.com", "usr_j", "2026-03-12T06:00:00Z", "prospect", "LC-2001"),
    )
    add(
        "pos__receipts",
        "R-3|1",
        "2026-03-08T15:00:00Z",
        receipt_line("R-3", "2026-03-08 10:00:00", "TR2", "129.00", "LC-2001"),
    )
    add("web__events", "j1", "2026-03-09T08:00:00Z", page("anon-j", "usr_j"))
    # A CRM export whose snapshot is older than the record's created_at: the snapshot shows
    # the CRM knew kit on 1 March, so his visit on the 5th is no discovery either.
    add(
        "crm__contacts",
        "k|1",
        "2026-03-01T06:00:00Z",
        crm("kit@mail.example.com", "usr_k", "2026-03-20T06:00:00Z", "prospect"),
    )
    add("web__events", "k1", "2026-03-05T08:00:00Z", page("anon-k", "usr_k"))
    # Prices: on 10 March the stores list TR2 below the web, on 11 March at the web's price. A
    # store purchase on each day, and a web order on the 10th.
    for channel, day, price in (
        ("web", "2026-03-10", "129.00"),
        ("pos", "2026-03-10", "99.00"),
        ("web", "2026-03-11", "129.00"),
        ("pos", "2026-03-11", "129.00"),
    ):
        add(
            "marketing__price_list",
            f"{channel}|TR2|{day}",
            f"{day}T05:00:00Z",
            list_price(channel, "TR2", day, price),
        )
    add(
        "pos__receipts",
        "R-1|1",
        "2026-03-10T15:00:00Z",
        receipt_line("R-1", "2026-03-10 10:00:00", "TR2", "99.00", "LC-1001"),
    )
    add(
        "pos__receipts",
        "R-2|1",
        "2026-03-11T15:00:00Z",
        receipt_line("R-2", "2026-03-11 10:00:00", "TR2", "129.00", "LC-1002"),
    )
    add(
        "orders__orders",
        "9201|1",
        "2026-03-10T16:00:00Z",
        order(9201, "ivy@mail.example.com", "2026-03-10T16:00:00Z", skus=("TR2",)),
    )
    warehouse.build(JOURNEY_MODELS)
    yield warehouse
    patch.undo()


SESSIONS = """
    select events.record_id, events.session_id
    from journeys.int_sessions_sessionized as events
"""


def session_of(warehouse: Warehouse) -> dict[str, str]:
    return {record.split(":")[1]: session for record, session in warehouse.query(SESSIONS)}


def test_a_gap_of_exactly_the_timeout_starts_a_new_session(journeys: Warehouse) -> None:
    sessions = session_of(journeys)
    assert sessions["a1"] == sessions["a2"] != sessions["a3"]


def test_a_session_does_not_end_at_midnight(journeys: Warehouse) -> None:
    sessions = session_of(journeys)
    assert sessions["b1"] == sessions["b2"]
    [(duration,)] = journeys.query(
        f"select duration_seconds from marts.sessions where session_id = '{sessions['b1']}'"
    )
    assert duration == 20 * 60


def test_local_time_uses_the_zone_and_falls_back_to_utc(journeys: Warehouse) -> None:
    rows = dict(
        (record.split(":")[1], (zone, str(local)))
        for record, zone, local in journeys.query(
            "select touchpoint_id, local_time_zone, occurred_at_local from marts.touchpoints "
            "where touchpoint_id in ('web__events:c1', 'web__events:c2')"
        )
    )
    assert rows["c1"] == ("America/Los_Angeles", "2026-03-02 19:00:00")
    assert rows["c2"] == ("UTC", "2026-03-03 03:00:00")


def test_an_identify_mid_session_stitches_the_whole_session(journeys: Warehouse) -> None:
    sessions = session_of(journeys)
    assert sessions["d1"] == sessions["d2"] == sessions["d3"] != sessions["d0"]
    customers = dict(journeys.query("select session_id, customer_id from marts.sessions"))
    # The earlier anonymous session and the one that identified belong to one customer.
    assert customers[sessions["d0"]] == customers[sessions["d1"]] is not None
    [(has_identify,)] = journeys.query(
        f"select has_identify from marts.sessions where session_id = '{sessions['d1']}'"
    )
    assert has_identify


def test_a_new_campaign_starts_a_new_session(journeys: Warehouse) -> None:
    sessions = session_of(journeys)
    assert sessions["e1"] != sessions["e2"] == sessions["e3"]


def moments_of(warehouse: Warehouse, record: str) -> list[tuple]:
    return warehouse.query(
        "select moments.moment, moments.outcome_code, moments.touchpoints "
        "from journeys.int_moment_touchpoints as members "
        "inner join marts.journey_moments as moments on members.moment_id = moments.moment_id "
        f"where members.touchpoint_id = '{record}'"
    )


def test_moment_rules_recognize_a_first_journey(journeys: Warehouse) -> None:
    assert moments_of(journeys, "web__events:f1") == [("first_touch", "completed", 1)]
    assert moments_of(journeys, "web__events:f2") == [("research", "completed", 1)]
    assert moments_of(journeys, "web__events:f3") == [("product_selection", "completed", 1)]
    # The Order Completed event and the order's record are one purchase.
    assert moments_of(journeys, "web__events:f5") == [("purchase", "completed", 2)]
    assert moments_of(journeys, "orders__orders:9001|1") == [("purchase", "completed", 2)]
    assert moments_of(journeys, "orders__orders:9002|1") == [("renewal_expansion", "completed", 1)]
    # A detractor score is a churn signal; a promoter's is not a moment at all.
    assert moments_of(journeys, "surveys__responses:r1") == [("churn_signal", "completed", 1)]
    assert moments_of(journeys, "surveys__responses:r2") == []


def test_support_and_escalation_moments(journeys: Warehouse) -> None:
    assert moments_of(journeys, "tickets__tickets:70|1") == [("support", "resolved", 2)]
    assert moments_of(journeys, "tickets__tickets:71|1") == [("escalation", "unresolved", 1)]
    [(next_moment,)] = journeys.query(
        "select next_moment from marts.journey_moments where moment = 'support'"
    )
    assert next_moment == "escalation"


def test_a_known_contact_has_no_first_touch_and_a_known_customer_no_first_purchase(
    journeys: Warehouse,
) -> None:
    # The CRM has held gus as a customer since 2025: his first session here is not a discovery,
    # and his first order here is a repeat order.
    assert moments_of(journeys, "web__events:g1") == []
    assert moments_of(journeys, "orders__orders:9101|1") == [("renewal_expansion", "completed", 1)]


def test_a_visit_after_a_store_purchase_or_a_crm_snapshot_is_no_first_touch(
    journeys: Warehouse,
) -> None:
    assert moments_of(journeys, "pos__receipts:R-3|1") == [("purchase", "completed", 1)]
    assert moments_of(journeys, "web__events:j1") == []
    assert moments_of(journeys, "web__events:k1") == []


def price_difference_of(warehouse: Warehouse, record: str) -> list[tuple]:
    return warehouse.query(
        "select moments.moment, moments.has_price_difference "
        "from journeys.int_moment_touchpoints as members "
        "inner join marts.journey_moments as moments on members.moment_id = moments.moment_id "
        f"where members.touchpoint_id = '{record}'"
    )


def test_a_price_that_differed_from_the_web_is_friction(journeys: Warehouse) -> None:
    # On 10 March the store listed TR2 at 99.00, the web at 129.00.
    assert price_difference_of(journeys, "pos__receipts:R-1|1") == [("purchase", True)]
    # On 11 March both listed it at 129.00.
    assert price_difference_of(journeys, "pos__receipts:R-2|1") == [("purchase", False)]
    # The web's price is the reference: a web order of TR2 on the 10th paid the web's price.
    assert price_difference_of(journeys, "orders__orders:9201|1") == [("purchase", False)]
    # Moments that are no purchase have no price difference.
    assert price_difference_of(journeys, "tickets__tickets:70|1") == [("support", False)]


def test_a_late_event_lands_in_the_right_session_on_the_next_run(journeys: Warehouse) -> None:
    before = session_of(journeys)
    assert before["a2"] != before["a3"]
    # A page view from 09:45 arrives a day late: the 30-minute gap it sat in closes.
    journeys.add("web__events", "a4", "2026-03-02T09:45:00Z", page("anon-a"))
    journeys.build(JOURNEY_MODELS)
    after = session_of(journeys)
    assert after["a1"] == after["a2"] == after["a4"] == after["a3"]
    [(events,)] = journeys.query(
        f"select events from marts.sessions where session_id = '{after['a1']}'"
    )
    assert events == 4


def test_a_record_without_a_type_is_kept_as_unknown(journeys: Warehouse) -> None:
    assert journeys.query(
        "select touchpoint_type from marts.touchpoints where touchpoint_id = 'web__events:h1'"
    ) == [("web_unknown",)]
