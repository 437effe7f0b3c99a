"""The consent rules on hand-made records, through dbt and the Great Expectations suite: every
rule both ways, at its edges (a send one second after an opt-out, an opt-in that arrives after the
send, a call at 20:59 and at 21:00 local time, the fourth send in a cap window, a discount on the
13th and the 14th day after a full-price purchase, a send to an erased address at the end of the
grace period and one second after it). The Data Docs of every suite on them, rendered in
headless Chromium with the network off."""

import dataclasses
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import dagster as dg
import duckdb
import pytest
from handmade import Warehouse, segment
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from orchestration.ingestion.contracts import load_contracts
from orchestration.quality import project
from orchestration.quality.checks import great_expectations_checks
from orchestration.quality.data_docs import remote_loads
from orchestration.quality.governance import write_summary
from orchestration.quality.runner import (
    SuiteOutcome,
    ValidationLedger,
    build_data_docs,
    open_context,
    run_suite,
    validate_warehouse,
)
from orchestration.quality.suites import EMAIL_PATTERN, PHONE_PATTERN, SUITES, suite_named
from orchestration.resources import WarehouseResource
from orchestration.transform.assets import (
    ACTIVATION_GATE,
    connect360_activation_assets,
    connect360_dbt_assets,
    dbt_resource,
)

ANA = {"email": "ana.lima@mailbox.org", "phone": "+13105550147", "user_id": "u-ana"}
BEN = {"email": "ben.okafor@mailbox.org", "phone": "+13105550148", "user_id": "u-ben"}
CY = {"email": "cy.moreau@mailbox.org", "phone": "+13105550149", "user_id": "u-cy"}
DEE = {"email": "dee.quinn@mailbox.org", "phone": "+13105550150", "user_id": "u-dee"}


def consent(event_id: str, person: dict, subject: str, purpose: str, action: str, at: str):  # noqa: PLR0917
    payload = {
        "consent_event_id": event_id, "subject_type": subject, "subject_id": person[subject],
        "purpose": purpose, "action": action, "occurred_at": at, "source": "preference_center",
    }  # fmt: skip
    return ("consent__events", event_id, at, payload)


def send(send_id: str, person: dict, channel: str, at: str, sku: str = "", discount: int = 0):  # noqa: PLR0917
    recipient = {"user_id": person["user_id"]}
    recipient |= {"email": person["email"]} if channel == "email" else {"phone": person["phone"]}
    payload = {
        "send_id": send_id, "campaign_id": "cmp-" + send_id, "channel": channel,
        "purpose": "marketing", "recipient": recipient, "sent_at": at,
        "sku": sku or None, "discount_percent": discount,
    }  # fmt: skip
    return ("marketing__sends", send_id, at, payload)


def order(order_id: int, person: dict, at: str, sku: str, discount: str = "0.00") -> tuple:
    payload = {
        "id": order_id, "name": f"#{order_id}", "order_number": order_id,
        "email": person["email"], "financial_status": "paid", "created_at": at,
        "updated_at": at, "total_price": "30.00", "total_discounts": discount,
        "discount_codes": [], "currency": "USD", "source_name": "web",
        "line_items": [{"sku": sku, "quantity": 1, "price": "30.00", "compare_at_price": None,
                        "total_discount": "0.00"}],
    }  # fmt: skip
    return ("orders__orders", f"{order_id}|{at}", at, payload)


def erasure_request(request_id: str, person: dict, at: str) -> tuple:
    payload = {
        "request_id": request_id, "subject_type": "email", "subject_id": person["email"],
        "received_at": at, "regulation": "gdpr", "channel": "web_form", "verified": True,
    }  # fmt: skip
    return ("consent__erasure_requests", request_id, at, payload)


def web_visit(person: dict, at: str, time_zone: str) -> tuple:
    payload = segment(
        "page", "anon-" + person["user_id"], person["user_id"], name="Home",
        messageId="msg-" + person["user_id"], timestamp=at,
        context={"timezone": time_zone, "traits": {"email": person["email"]}},
    )  # fmt: skip
    return ("web__events", "msg-" + person["user_id"], at, payload)


def page_view(message_id: str, person: dict, at: str, path: str, campaign: str) -> tuple:
    payload = segment(
        "page", "anon-" + person["user_id"], person["user_id"], name="Email preferences",
        messageId=message_id, timestamp=at,
        context={"page": {"path": path, "url": "https://shop.example.com" + path},
                 "campaign": {"name": campaign, "source": "newsletter", "medium": "email"}},
    )  # fmt: skip
    return ("web__events", message_id, at, payload)


RECORDS = [
    # Ana lives in Los Angeles (UTC-7 in June) and opted in to email and SMS on 1 June.
    web_visit(ANA, "2026-06-01T09:00:00Z", "America/Los_Angeles"),
    # The shop's preference page put Ana's address in its path once (percent-encoded), and a
    # campaign tool her phone number in a campaign tag; an ordinary page view carries neither.
    page_view(
        "pv-path",
        ANA,
        "2026-06-04T09:00:00Z",
        "/account/email-preferences/" + ANA["email"].replace("@", "%40"),
        "summer",
    ),
    page_view("pv-tag", ANA, "2026-06-05T09:00:00Z", "/account", "summer-" + ANA["phone"]),
    page_view("pv-clean", ANA, "2026-06-06T09:00:00Z", "/account/email-preferences", "summer"),
    consent("ce-a1", ANA, "email", "marketing_email", "opt_in", "2026-06-01T10:00:00Z"),
    consent("ce-a2", ANA, "phone", "marketing_sms", "opt_in", "2026-06-01T10:00:00Z"),
    # Consent at the very second of the send counts; one second after an opt-out does not.
    send("s-same-second", ANA, "email", "2026-06-01T10:00:00Z"),
    consent("ce-a3", ANA, "email", "marketing_email", "opt_out", "2026-06-20T12:00:00Z"),
    send("s-before-opt-out", ANA, "email", "2026-06-20T11:59:59Z"),
    send("s-after-opt-out", ANA, "email", "2026-06-20T12:00:01Z"),
    # Quiet hours from 21:00 to 08:00 in Los Angeles (UTC-7): 20:59 and 08:00 are fine.
    send("s-sms-2059", ANA, "sms", "2026-06-03T03:59:00Z"),
    send("s-sms-2100", ANA, "sms", "2026-06-05T04:00:00Z"),
    send("s-sms-0759", ANA, "sms", "2026-06-08T14:59:59Z"),
    send("s-sms-0800", ANA, "sms", "2026-06-12T15:00:00Z"),
    # Ben opted in to email on 1 June; his opt-in to SMS came after the SMS was sent.
    consent("ce-b1", BEN, "email", "marketing_email", "opt_in", "2026-06-01T08:00:00Z"),
    send("s-sms-before-opt-in", BEN, "sms", "2026-06-02T16:00:00Z"),
    consent("ce-b2", BEN, "phone", "marketing_sms", "opt_in", "2026-06-02T16:00:01Z"),
    # Frequency cap: at most 3 emails in 7 days. The fourth within the window breaks it; one
    # exactly 7 days after the first is in a new window.
    send("s-cap-1", BEN, "email", "2026-06-10T16:00:00Z"),
    send("s-cap-2", BEN, "email", "2026-06-11T16:00:00Z"),
    send("s-cap-3", BEN, "email", "2026-06-12T16:00:00Z"),
    send("s-cap-4", BEN, "email", "2026-06-13T16:00:00Z"),
    send("s-cap-5", BEN, "email", "2026-06-18T16:00:00Z"),
    # Cy paid full price for BNS-210 on 1 June: a discount on it 13 days later breaks the
    # rule, 14 days later does not, and a discount on another product any time does not.
    consent("ce-c1", CY, "email", "marketing_email", "opt_in", "2026-05-01T08:00:00Z"),
    order(7001, CY, "2026-06-01T09:00:00Z", "BNS-210"),
    send("s-discount-other", CY, "email", "2026-06-03T16:00:00Z", "KTL-130", 20),
    send("s-discount-day-13", CY, "email", "2026-06-14T08:59:59Z", "BNS-210", 20),
    send("s-discount-day-14", CY, "email", "2026-06-15T09:00:00Z", "BNS-210", 20),
    # Dee visited, opted in, then asked to be erased (verified).
    web_visit(DEE, "2026-06-02T09:00:00Z", "America/New_York"),
    consent("ce-d1", DEE, "email", "marketing_email", "opt_in", "2026-06-02T09:05:00Z"),
    erasure_request("er-dee", DEE, "2026-06-25T10:00:00Z"),
    # The email platform was not told: it mails Dee at the end of the 3-day grace period
    # (allowed) and one second later (the erasure was not honoured at that source).
    send("s-dee-grace-end", DEE, "email", "2026-06-28T10:00:00Z"),
    send("s-dee-after-grace", DEE, "email", "2026-06-28T10:00:01Z"),
]
#: Sends the warehouse suppresses, because their customer was erased.
ERASED_SENDS = {"s-dee-grace-end", "s-dee-after-grace"}

T = TypeVar("T")

EXPECTED_VIOLATIONS = {
    "send_without_opt_in": {"s-after-opt-out", "s-sms-before-opt-in"},
    "quiet_hours": {"s-sms-2100", "s-sms-0759"},
    "frequency_cap": {"s-cap-4"},
    "discount_after_full_price": {"s-discount-day-13"},
}


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Warehouse, Path]]:
    work = tmp_path_factory.mktemp("quality")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        warehouse = Warehouse(work / "warehouse.duckdb")
        for stream, key, at, payload in RECORDS:
            warehouse.add(stream, key, at, payload)
        warehouse.build("+marketing_send_compliance +identity_erasure_register +touchpoints")
        yield warehouse, work


def _violations(warehouse: Warehouse, work: Path) -> tuple[dict[str, set[str]], object]:
    context = open_context(work / "quality")
    ledger = ValidationLedger(work / "quality")
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        outcome = run_suite(context, connection, suite_named("consent_rules"), ledger)
    finally:
        connection.close()
    result = context.validation_results_store.get(outcome.result_keys[0])
    found = {}
    for rule, expectation in zip(suite_named("consent_rules").rules, result.results, strict=True):
        rows = expectation.result.get("unexpected_index_list") or []
        found[rule] = {row["send_id"] for row in rows}
    build_data_docs(context, [outcome])
    return found, outcome


def test_every_consent_rule_catches_its_violations_and_only_them(validated) -> None:
    warehouse, work = validated
    found, outcome = _violations(warehouse, work)
    assert found == EXPECTED_VIOLATIONS
    assert not outcome.success


def test_the_data_docs_name_the_failing_sends_by_key(validated) -> None:
    warehouse, work = validated
    _violations(warehouse, work)
    pages = list((work / "quality" / "data_docs" / "validations").rglob("*.html"))
    assert pages
    text = "\n".join(page.read_text() for page in pages)
    for send_ids in EXPECTED_VIOLATIONS.values():
        for send_id in send_ids:
            assert send_id in text
    # Keys only: the customer's email address is nowhere on the page.
    for person in (ANA, BEN, CY):
        assert person["email"] not in text and person["phone"] not in text


def test_a_validated_day_is_not_validated_again(validated) -> None:
    warehouse, work = validated
    context = open_context(work / "again")
    ledger = ValidationLedger(work / "again")
    suite = suite_named("consent_rules")
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        first = run_suite(context, connection, suite, ledger)
        second = run_suite(context, connection, suite, ledger)
    finally:
        connection.close()
    sends = [key for stream, key, _, _ in RECORDS if stream == "marketing__sends"]
    assert first.rows == len(set(sends) - ERASED_SENDS)
    assert second.batches == [] and second.success


def _candidates(path: Path, suite_name: str, work: Path) -> tuple[bool, list[dict]]:
    _, outcome = validate_warehouse(path, suite_named(suite_name), work)
    failing = [key for found in outcome.expectations.values() for key in found.sample_keys]
    return outcome.success, failing


def _leaky_copy(warehouse: Warehouse, tmp_path: Path, sql: str) -> Path:
    """A copy of the warehouse where a pipeline bug has leaked something into a mart."""
    copy = tmp_path / "leaky.duckdb"
    shutil.copyfile(warehouse.path, copy)
    connection = duckdb.connect(str(copy))
    connection.execute(sql)
    connection.close()
    return copy


def test_erasure_catches_a_late_source_and_a_leak_downstream(validated, tmp_path):
    warehouse, _ = validated
    erased = warehouse.query(
        "select erased_customer_id from identity.identity_erasure_register "
        "where request_id = 'er-dee' and status = 'erased'"
    )
    assert len(erased) == 1
    # As built, Dee is gone downstream; of the two sends after her request, only the one a
    # second past the grace period breaks a rule.
    assert _candidates(warehouse.path, "erasure", tmp_path / "as-built") == (True, [])
    passed, failing = _candidates(warehouse.path, "erasure_at_source", tmp_path / "at-source")
    assert not passed
    assert [(row["request_id"], row["source_stream"], row["record_id"]) for row in failing] == [
        ("er-dee", "marketing__sends", "marketing__sends:s-dee-after-grace")
    ]
    leaky = _leaky_copy(
        warehouse,
        tmp_path,
        f"insert into marts.consent_ledger (customer_id, purpose) values ('{erased[0][0]}', 'x')",
    )
    passed, failing = _candidates(leaky, "erasure", tmp_path / "leak")
    assert not passed
    assert [row["found_in"] for row in failing] == ["marts.consent_ledger.customer_id"]
    assert failing[0]["request_id"] == "er-dee"


def test_personal_data_in_free_text_is_redacted_and_its_records_named(validated, tmp_path):
    warehouse, _ = validated
    paths = dict(
        warehouse.query(
            "select event_id, page_path || ' ' || campaign_name from staging.stg_web__events "
            "where event_id like 'pv-%'"
        )
    )
    assert paths == {
        "pv-path": "/account/email-preferences/[redacted email] summer",
        "pv-tag": "/account summer-[redacted phone]",
        "pv-clean": "/account/email-preferences summer",
    }
    passed, failing = _candidates(warehouse.path, "personal_data_at_source", tmp_path / "src")
    assert not passed
    assert {(row["source_record_key"], row["found_in"]) for row in failing} == {
        ("pv-path", "message"),
        ("pv-tag", "campaign"),
    }
    # Nothing reached a mart in the clear.
    assert _candidates(warehouse.path, "personal_data", tmp_path / "marts") == (True, [])


def test_personal_data_passes_on_keys_and_fails_on_an_email_or_phone_in_a_mart(validated, tmp_path):
    warehouse, _ = validated
    assert _candidates(warehouse.path, "personal_data", tmp_path / "clean") == (True, [])
    leaky = _leaky_copy(
        warehouse,
        tmp_path,
        f"update marts.consent_ledger set consent_source = 'form of {ANA['email']}' "
        "where consent_event_id = 'ce-a1'; "
        f"update marts.marketing_send_compliance set campaign_id = '{BEN['phone']}' "
        "where send_id = 's-cap-1'",
    )
    passed, failing = _candidates(leaky, "personal_data", tmp_path / "leak")
    assert not passed
    assert {row["column_ref"] for row in failing} == {
        "marts.consent_ledger.consent_source",
        "marts.marketing_send_compliance.campaign_id",
    }


@pytest.fixture(scope="module")
def data_docs(validated) -> tuple[Any, Path, list[SuiteOutcome]]:
    """Every suite validated in two runs (the second validating every landing day again, as
    after a reload), the Data Docs built after each: the context, the index, the outcomes."""
    warehouse, work = validated
    context = open_context(work / "data-docs")
    outcomes: list[SuiteOutcome] = []
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        for run in ("run-1", "run-2"):
            ledger = ValidationLedger(work / run)
            outcomes = [
                run_suite(context, connection, suite, ledger, run_name=f"test {run}")
                for suite in SUITES
            ]
            index = build_data_docs(context, outcomes)
    finally:
        connection.close()
    return context, index, outcomes


@pytest.fixture(scope="module")
def offline_browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium with the network off: DevTools emulates being offline, no host name
    resolves, and anything that would still go out goes to a closed local port."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail("Chromium and chromedriver are missing: run scripts/ensure-chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        # Tall enough that the page's fixed footer covers none of the table.
        "--window-size=1400,2400",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=http://127.0.0.1:9",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    browser.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    try:
        yield browser
    finally:
        browser.quit()


_ROWS = "#Validation-Results tr.clickable-row"


def _again_if_redrawn(read: Callable[[], T]) -> T:
    """``read()``, once more if the table was redrawn under it (it draws itself twice)."""
    for _ in range(4):
        try:
            return read()
        except StaleElementReferenceException:
            time.sleep(0.2)
    return read()


def _shown_rows(browser: webdriver.Chrome) -> tuple[tuple[int, int], dict[str, str]]:
    """The table's "Showing 11 to 20 of 20 rows" (as 11, 20) and its rows: the page each opens
    -> the row's text."""
    info = browser.find_element(By.CSS_SELECTOR, "#Validation-Results .pagination-info").text
    first, last, total = map(int, re.findall(r"\d+", info)[:3])
    rows = browser.find_elements(By.CSS_SELECTOR, _ROWS)
    shown = {row.get_attribute("data-href"): row.text for row in rows}
    assert len(shown) == last - first + 1, info
    return (first, total - last), shown


def _listed_validations(browser: webdriver.Chrome, index: Path) -> dict[str, str]:
    """The validations the index lists once its scripts ran, on every page of its table: the
    page each row opens -> the row's text."""
    browser.get(index.as_uri())
    try:
        WebDriverWait(browser, 15).until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, "#Validation-Results .pagination-info")
            )
        )
    except TimeoutException:
        return {}
    listed: dict[str, str] = {}
    while True:
        (first, left), shown = _again_if_redrawn(lambda: _shown_rows(browser))
        listed |= shown
        if not left:
            return listed
        _turn_page(browser, first)


def _turn_page(browser: webdriver.Chrome, first: int) -> None:
    """Click the table's next page, again if the table redrew itself over the click."""
    for _ in range(5):
        _again_if_redrawn(
            lambda: browser.find_element(
                By.CSS_SELECTOR, "#Validation-Results .page-next a"
            ).click()
        )
        try:
            WebDriverWait(browser, 3).until(
                lambda _: _again_if_redrawn(lambda: _shown_rows(browser))[0][0] != first
            )
            return
        except TimeoutException:
            continue
    raise AssertionError("the index's table does not turn to its next page")


def _network_failures(browser: webdriver.Chrome) -> list[str]:
    return [
        entry["message"] for entry in browser.get_log("browser") if "net::ERR" in entry["message"]
    ]


def test_the_data_docs_list_every_validation_offline(data_docs, offline_browser) -> None:
    context, index, _ = data_docs
    site = index.parent
    stored = context.validation_results_store.list_keys()
    assert len(stored) == 2 * 10  # ten suites find something to validate in each run
    # No page or style sheet of the site loads anything from the network.
    for path in [*site.rglob("*.html"), *site.rglob("*.css")]:
        assert remote_loads(path.read_text()) == [], path.relative_to(site)

    listed = _listed_validations(offline_browser, index)
    assert _network_failures(offline_browser) == []
    assert len(listed) == len(stored)
    for link, text in listed.items():
        assert (site / unquote(link)).is_file(), link
        assert "__none__" not in text and "None" not in text
    suite_tables = {suite.name: suite.table for suite in SUITES}
    for key in stored:
        suite = key.expectation_suite_identifier.name
        assert any(
            f"/{suite}/" in link and suite_tables[suite] in text and key.run_id.run_name in text
            for link, text in listed.items()
        ), (suite, key.run_id.run_name)

    # A row opens its validation page, which names its data asset and its run.
    offline_browser.get(index.as_uri())

    def open_first_row() -> str:
        row = offline_browser.find_element(By.CSS_SELECTOR, _ROWS)
        link = row.get_attribute("data-href")
        row.click()
        return link

    link = _again_if_redrawn(open_first_row)
    WebDriverWait(offline_browser, 15).until(expected_conditions.url_contains(link))
    page = offline_browser.find_element(By.TAG_NAME, "body").text
    suite = unquote(link).split("/")[1]
    assert f"Data asset: {suite_tables[suite]}" in page
    # The breadcrumb: suite / data asset / run name / run time.
    assert f"{suite} / {suite_tables[suite]} / test run-2 /" in page
    assert "__none__" not in page
    # The consent rules' page lists the failing sends.
    link = next(link for link in listed if "/consent_rules/" in link)
    offline_browser.get((site / unquote(link)).as_uri())
    page = offline_browser.find_element(By.TAG_NAME, "body").text
    assert "Data asset: marts.marketing_send_compliance" in page
    for send_ids in EXPECTED_VIOLATIONS.values():
        for send_id in send_ids:
            assert send_id in page
    assert _network_failures(offline_browser) == []


#: The hand-made people's personal data, as landed and percent-encoded as in a page path.
PERSONAL_VALUES = {
    value
    for person in (ANA, BEN, CY, DEE)
    for value in (person["email"], person["email"].replace("@", "%40"), person["phone"])
}


def _failing_record_names(context: Any, outcomes: list[SuiteOutcome]) -> list[object]:
    """Every value that names a failing record in the Data Docs (the failing values and the
    keys of their rows, in every stored validation) and in the checks' ``failing_keys_sample``."""
    values: list[object] = []
    store = context.validation_results_store
    for key in store.list_keys():
        for expectation in store.get(key).results:
            result = expectation.result or {}
            # A failing value is a cell, or a list of them (a pair of columns compared).
            for value in result.get("partial_unexpected_list") or []:
                values += value if isinstance(value, list) else [value]
            for row in result.get("unexpected_index_list") or []:
                values += row.values()
    for outcome in outcomes:
        for found in outcome.expectations.values():
            for sample in found.sample_keys:
                values += sample.values()
    return values


def _personal(values: list[object]) -> list[str]:
    return [
        value
        for value in values
        if isinstance(value, str)
        and (
            value in PERSONAL_VALUES
            or re.search(EMAIL_PATTERN, value)
            or re.fullmatch(PHONE_PATTERN, value)
        )
    ]


def test_failing_records_are_named_by_keys_that_identify_no_person(
    validated, data_docs, tmp_path
) -> None:
    warehouse, _ = validated
    context, index, outcomes = data_docs
    names = _failing_record_names(context, outcomes)
    # Sends, source records, touchpoints, requests and pseudonymous subject keys are named...
    assert {"s-cap-4", "marketing__sends:s-dee-after-grace", "web__events:pv-path"} <= {
        name for name in names if isinstance(name, str)
    }
    # ...and nothing that is personal data, in the results, the pages or the check metadata.
    assert _personal(names) == []
    for page in index.parent.rglob("*.html"):
        text = page.read_text()
        assert not [value for value in PERSONAL_VALUES if value in text], page

    # A source record key is the id its source system gave the record: no contract builds
    # one from a field holding personal data (an email, a phone, a name, a handle).
    for contract in load_contracts():
        tagged = contract.pii_fields()
        assert not [field for field in contract.record_id if field in tagged], contract.stream

    # The check bites: a suite naming its failing sends by the recipient's address is caught.
    leaky = dataclasses.replace(
        suite_named("consent_rules"),
        sql=f"""
            select batch.*, json_extract_string(sends.payload, '$.recipient.email') as recipient
            from ({suite_named("consent_rules").sql}) as batch
            inner join raw.marketing__sends as sends on sends.record_key = batch.send_id
        """,
        index_columns=("send_id", "recipient"),
    )
    leaky_context = open_context(tmp_path)
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        outcome = run_suite(leaky_context, connection, leaky, ValidationLedger(tmp_path))
    finally:
        connection.close()
    assert ANA["email"] in _personal(_failing_record_names(leaky_context, [outcome]))


def test_the_suites_under_version_control_match_the_code() -> None:
    assert project.stale_files() == []


def _materialize_guarded(warehouse: Warehouse, work: Path) -> dg.ExecuteInProcessResult:
    """The compliance mart, its checks and the activation marts, as the daily run builds them."""
    compliance = dg.AssetKey(["marts", "marketing_send_compliance"])
    audience = dg.AssetKey(["marts", "marketing_audience"])
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize(
            [connect360_dbt_assets, great_expectations_checks, connect360_activation_assets],
            selection=dg.AssetSelection.assets(compliance, ACTIVATION_GATE, audience),
            instance=instance,
            resources={
                "warehouse": WarehouseResource(path=str(warehouse.path)),
                "dbt": dbt_resource(),
            },
            raise_on_error=False,
        )


def _audience_built(result: dg.ExecuteInProcessResult) -> bool:
    return dg.AssetKey(["marts", "marketing_audience"]) in {
        event.asset_key for event in result.get_asset_materialization_events()
    }


def test_a_failing_consent_check_blocks_the_activation_marts(validated, monkeypatch) -> None:
    warehouse, work = validated
    monkeypatch.setenv("CONNECT360_QUALITY_DIR", str(work / "dagster-quality"))
    result = _materialize_guarded(warehouse, work)
    evaluations = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert not evaluations["consent_rules"].passed
    assert evaluations["consent_rules"].metadata["violations"].value == {
        rule: len(send_ids) for rule, send_ids in EXPECTED_VIOLATIONS.items()
    }
    assert not _audience_built(result)
    # A check outcome, not a crash: the run succeeds, and the gate says what withheld the marts.
    assert result.success
    (observation,) = [
        event.event_specific_data.asset_observation
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_OBSERVATION
        and event.asset_key == ACTIVATION_GATE
    ]
    assert "consent_rules" in observation.metadata["withheld_by"].value


def test_a_clean_run_passes_and_publishes_the_activation_marts(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("CONNECT360_QUALITY_DIR", str(tmp_path / "quality"))
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    compliant = {"s-same-second", "s-before-opt-out", "s-sms-2059", "s-sms-0800"}
    for stream, key, at, payload in RECORDS:
        if stream != "marketing__sends" or key in compliant:
            warehouse.add(stream, key, at, payload)
    warehouse.build("+marketing_send_compliance +identity_erasure_register")
    result = _materialize_guarded(warehouse, tmp_path)
    evaluations = {check.check_name: check for check in result.get_asset_check_evaluations()}
    assert evaluations["consent_rules"].passed
    assert result.success
    assert _audience_built(result)
    assert warehouse.query(
        "select channel, may_send_now from marts.marketing_audience "
        f"where customer_id = '{warehouse.customer_of('marketing__sends:s-sms-0800')}' "
        "order by channel"
    ) == [("email", False), ("sms", True)]


def test_the_governance_summary_reports_rules_erasures_and_the_inventory(validated, tmp_path):
    warehouse, _ = validated
    context = open_context(tmp_path)
    connection = duckdb.connect(str(warehouse.path), read_only=True)
    try:
        run_suite(context, connection, suite_named("consent_rules"), ValidationLedger(tmp_path))
        page = write_summary(connection, context, tmp_path).read_text()
    finally:
        connection.close()
    # Violations by rule, as the suite counted them.
    for rule, send_ids in EXPECTED_VIOLATIONS.items():
        assert f'<td>{rule}</td><td class="number">{len(send_ids)}</td>' in page
    # Dee's request was erased, and a source kept mailing her after the grace period.
    assert '<td>erased</td><td class="number">1</td><td class="number">1</td>' in page
    # The inventory lists the restricted schema's clear columns; no mart holds any.
    assert "personal data (clear)" in page and "(0 of them in marts" in page
    for person in (ANA, BEN, CY, DEE):
        assert person["email"] not in page and person["phone"] not in page
