"""The layer quality suites on a clean simulated run, and each of them on a copy of it where one
thing went wrong: the clean run passes every error suite (and the consent rules find nothing),
and every broken copy fails the suite that guards it, naming the row by its key."""

import csv
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from simulated import simulate_and_load

from orchestration.ingestion.contracts import get_contract
from orchestration.ingestion.loader import load_days
from orchestration.quality.layers import raw_landing_sql
from orchestration.quality.runner import validate_warehouse
from orchestration.quality.suites import SUITES, suite_named
from orchestration.transform.assets import dbt_resource


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A simulated run with no injected violation and no malformed or duplicate line."""
    work = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        simulate_and_load(
            work,
            people=300,
            days=10,
            seed=11,
            violation_rate=0.0,
            malformed_rate=0.0,
            duplicate_rate=0.0,
        )
        dbt_resource().cli(["build"], raise_on_error=True).wait()
    yield work / "warehouse.duckdb"


def _run(path: Path, suite_name: str, work: Path) -> tuple[bool, dict[str, list[dict]]]:
    _, outcome = validate_warehouse(path, suite_named(suite_name), work)
    failing = {
        rule: found.sample_keys for rule, found in outcome.expectations.items() if found.unexpected
    }
    return outcome.success, failing


def test_a_clean_simulated_run_passes_every_error_suite(clean, tmp_path) -> None:
    results = {suite.name: _run(clean, suite.name, tmp_path / suite.name) for suite in SUITES}
    for suite in SUITES:
        if suite.severity == "error":
            assert results[suite.name] == (True, {}), suite.name
    # The consent rules judged real sends and found none breaking a rule.
    connection = duckdb.connect(str(clean), read_only=True)
    sends = connection.execute("select count(*) from marts.marketing_send_compliance").fetchone()
    connection.close()
    assert sends[0] > 0


def _broken_copy(clean: Path, tmp_path: Path, sql: str) -> Path:
    copy = tmp_path / "broken.duckdb"
    shutil.copyfile(clean, copy)
    connection = duckdb.connect(str(copy))
    connection.execute(sql)
    connection.close()
    return copy


WEB_DAY = "(select max(_partition_date) from raw.web__events)"
DAY = "2026-03-10"

BREAKS = {
    # Raw: a loaded row without a required field; a day that quarantined half its lines.
    "raw required field": (
        "raw_landing",
        "update raw.orders__orders set payload = json_object('id', 1) "
        "where record_key = (select min(record_key) from raw.orders__orders)",
        "required_fields_and_types",
        {"asset": "raw/orders__orders"},
    ),
    "raw quarantine rate": (
        "raw_landing",
        "update ops.load_audit set lines = 1000, quarantined = 500 "
        f"where stream = 'web__events' and partition_date = {WEB_DAY}",
        "quarantine_rate",
        {"asset": "raw/web__events"},
    ),
    "raw volume": (
        "raw_landing",
        # Ten times the rows every day (so the trailing average is judged), a hundred times on
        # the last.
        "update ops.load_audit set loaded = loaded * 10 where stream = 'web__events'; "
        "update ops.load_audit set loaded = loaded * 10 "
        f"where stream = 'web__events' and partition_date = {WEB_DAY}",
        "volume",
        {"asset": "raw/web__events"},
    ),
    "raw schema": (
        "raw_landing",
        "alter table raw.sms__messages add column extra varchar",
        "raw_schema",
        {"asset": "raw/sms__messages"},
    ),
    "raw freshness": (
        "raw_landing",
        "update ops.load_audit set files = 0 where stream = 'tickets__tickets' "
        "and partition_date > (select min(partition_date) from ops.load_audit)",
        "freshness",
        {"asset": "raw/tickets__tickets"},
    ),
    # Staging: a model bug that repeats a key; a country code that is not ISO alpha-2.
    "staging duplicate key": (
        "staging_keys",
        "insert into staging.stg_orders__orders "
        "(select * from staging.stg_orders__orders order by record_key limit 1)",
        "key_unique",
        {"column_ref": "stg_orders__orders.record_key"},
    ),
    "staging identifier format": (
        "staging_keys",
        "update staging.stg_orders__orders "
        "set shipping_country_code = lower(shipping_country_code)",
        "identifier_format",
        {"column_ref": "stg_orders__orders.shipping_country_code"},
    ),
    # Unified customer: a customer twice; an id that vanished; an email key in the clear.
    "customer twice": (
        "unified_customer",
        "insert into marts.customers select * from marts.customers "
        "where customer_id = (select min(customer_id) from marts.customers)",
        "one_row_per_customer",
        {},
    ),
    "customer id vanished": (
        "unified_customer",
        "update identity.int_identity__customer_ids set previous_customer_id = 'cus_gone' "
        "where node_id = (select min(node_id) from identity.int_identity__customer_ids)",
        "id_stability",
        {"finding": "customer cus_gone"},
    ),
    "clear email in the graph": (
        "unified_customer",
        "update identity.int_identity__occurrences set identifier_value = 'ana@mailbox.org' "
        "where identifier_value = (select min(identifier_value) "
        "from identity.int_identity__occurrences where identifier_type = 'email')",
        "pseudonymous_key_format",
        {"finding": "all customers"},
    ),
    "identified record without a customer": (
        "unified_customer",
        "update identity.int_identity__record_customers set customer_id = null "
        "where record_id = (select min(record_id) from identity.int_identity__record_customers "
        "where resolution = 'resolved')",
        "every_record_has_a_customer",
        {"finding": "all customers"},
    ),
    # Journeys: a moment completed before it started; a session whose duration disagrees.
    "moment completed before start": (
        "journeys",
        "update marts.journey_moments set completed_at = started_at - interval 1 hour "
        "where moment_id = (select min(moment_id) from marts.journey_moments)",
        "completes_before_it_starts",
        {"asset": "marts/journey_moments"},
    ),
    "session duration": (
        "journeys",
        "update marts.sessions set duration_seconds = duration_seconds + 60 "
        "where session_id = (select min(session_id) from marts.sessions)",
        "duration_disagrees",
        {"asset": "marts/sessions"},
    ),
    # Marts: a conversion rate above 1.
    "rate above one": (
        "mart_ranges",
        "update marts.funnel_conversion set conversion_from_start = 1.5 where step_number = 2",
        "value_range",
        {"column_ref": "marts.funnel_conversion.conversion_from_start"},
    ),
}


def _names(failing: dict[str, list[dict]], rule: str, key: dict) -> bool:
    return any(key.items() <= found.items() for found in failing.get(rule, []))


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_layer_suite_fails_on_what_it_guards(clean, tmp_path, case) -> None:
    suite, sql, rule, key = BREAKS[case]
    _, before = _run(clean, suite, tmp_path / "clean")
    assert not _names(before, rule, key), before
    passed, failing = _run(_broken_copy(clean, tmp_path, sql), suite, tmp_path / "broken")
    assert _names(failing, rule, key), failing
    assert not passed


def test_raw_landing_shows_the_share_of_each_invalid_optional_field(tmp_path) -> None:
    """A day of 120 CRM contacts, 12 with a date of birth that is no date and one with a country
    that is no ISO code: both load, and the suite names the field whose share is too high."""
    contract = get_contract("crm", "contacts")
    rows = [contract.schema["examples"][0] | {"crm_id": f"C-{n}"} for n in range(120)]
    for row in rows[:12]:
        row["date_of_birth"] = "not a date"
    rows[12]["country_code"] = "Netherlands"
    folder = tmp_path / "landing" / contract.channel / DAY
    folder.mkdir(parents=True)
    with (folder / "contacts.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    warehouse = tmp_path / "warehouse.duckdb"
    connection = duckdb.connect(str(warehouse))
    result = load_days(connection, contract, tmp_path / "landing", [date.fromisoformat(DAY)])
    shares = connection.execute(
        "select optional_field, invalid_optional_field_share "
        f"from ({raw_landing_sql(connection, [DAY])}) as batch where optional_field is not null"
    ).fetchall()
    connection.close()
    assert (result.loaded, result.quarantined) == (120, 0)
    assert sorted(shares) == [("country_code", 1 / 120), ("date_of_birth", 12 / 120)]

    _, outcome = validate_warehouse(warehouse, suite_named("raw_landing"), tmp_path / "quality")
    found = outcome.expectations["invalid_optional_fields"]
    assert found.sample_keys == [
        {"asset": "raw/crm__contacts", "landing_day": DAY, "optional_field": "date_of_birth"}
    ]
    # The per-day rules skip the per-field rows (their columns are NULL there).
    assert {rule for rule, count in outcome.violations.items() if count} == {
        "invalid_optional_fields"
    }
    assert not outcome.success
