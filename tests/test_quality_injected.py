"""Every kind of violation the simulator injects, through the whole pipeline: each is caught by
its rule record by record, named in the Data Docs, and a Dagster run containing them withholds
the activation marts. (The clean simulated run that passes is in test_quality_layers.py.)"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from simulated import simulate_and_load

from orchestration.quality.accuracy import RULES, compare
from orchestration.quality.checks import great_expectations_checks
from orchestration.resources import WarehouseResource
from orchestration.transform.assets import (
    ACTIVATION_GATE,
    connect360_activation_assets,
    connect360_dbt_assets,
    dbt_resource,
)

AUDIENCE = dg.AssetKey(["marts", "marketing_audience"])
GUARDED = (
    dg.AssetKey(["marts", "marketing_send_compliance"]),
    dg.AssetKey(["marts", "customers"]),
    dg.AssetKey(["identity", "identity_erasure_register"]),
)


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A simulated run with every kind of violation, and erasures frequent enough that some
    are not honoured by the email platform. A send after an opt-out needs an opt-out first,
    and those are rare: 90 days give several (30 days of 400 people can give none)."""
    work = tmp_path_factory.mktemp("injected")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(work / "warehouse.duckdb"))
        patch.setenv("CONNECT360_QUALITY_DIR", str(work / "quality"))
        simulate_and_load(work, people=400, days=90, seed=7, violation_rate=0.03, erasure_rate=0.03)
        dbt_resource().cli(["build"], raise_on_error=True).wait()
        yield work


def test_every_injected_violation_is_caught_by_its_rule(injected) -> None:
    rows = compare(injected / "warehouse.duckdb", injected / "truth")
    report = {row["rule"]: row for row in rows}
    assert set(report) == set(RULES)
    for rule, row in report.items():
        assert row["in_truth"] > 0, f"the simulator injected no {rule}"
        # A miss is only what the warehouse cannot judge: a record that reached no mart (or
        # resolved to no erased subject), or a send to a customer whose time zone is unknown.
        explained = row["missed_unattributed"] + row["missed_unknown_time_zone"]
        assert row["missed"] == explained, rule
        assert row["caught"] >= row["in_truth"] / 2, rule
    for rule in ("erasure_not_honoured", "personal_data_in_page_path"):
        assert report[rule]["flagged_not_in_truth"] == 0, rule


def test_a_run_with_them_names_them_and_withholds_the_activation_marts(injected) -> None:
    quality = injected / "dagster-quality"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(injected / "warehouse.duckdb"))
        patch.setenv("CONNECT360_QUALITY_DIR", str(quality))
        with dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize(
                [connect360_dbt_assets, great_expectations_checks, connect360_activation_assets],
                selection=dg.AssetSelection.assets(*GUARDED, ACTIVATION_GATE, AUDIENCE),
                instance=instance,
                resources={
                    "warehouse": WarehouseResource(path=str(injected / "warehouse.duckdb")),
                    "dbt": dbt_resource(),
                },
                raise_on_error=False,
            )
    # The breaches are the sources' doing: the run succeeds, its checks fail, the gate withholds.
    assert result.success
    evaluations = {check.check_name: check for check in result.get_asset_check_evaluations()}
    for suite in ("consent_rules", "erasure_at_source", "personal_data_at_source"):
        assert not evaluations[suite].passed, suite
        assert evaluations[suite].severity == dg.AssetCheckSeverity.ERROR
    # The warehouse itself holds neither an erased customer nor personal data in a mart.
    assert evaluations["erasure"].passed and evaluations["personal_data"].passed
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert AUDIENCE not in materialized and ACTIVATION_GATE not in materialized

    # The Data Docs name the records by key (every injected send to an erased address, every
    # page view with an address in its path), never the address itself.
    pages = list((quality / "data_docs" / "validations").rglob("*.html"))
    text = "\n".join(page.read_text() for page in pages)
    connection = duckdb.connect(str(injected / "warehouse.duckdb"), read_only=True)
    try:
        # As with the page views below, the sends the warehouse can judge: those that resolve
        # to an erased subject (the first test accounts for the others).
        late_sends = connection.execute(
            f"select distinct v.record_key from '{injected}/truth/violations.parquet' as v "
            "inner join identity.int_identity__occurrences as o "
            "on o.record_id = 'marketing__sends:' || v.record_key "
            "inner join identity.identity_erasure_suppressions as s on o.hub_node_id = s.node_id "
            "where v.rule = 'erasure_not_honoured' and v.entity = 'sends'"
        ).fetchall()
        page_views = connection.execute(
            f"select v.record_key from '{injected}/truth/violations.parquet' as v "
            "inner join marts.touchpoints as t on t.source_record_key = v.record_key "
            "where v.rule = 'personal_data_in_page_path'"
        ).fetchall()
        addresses = connection.execute(
            f"select distinct value from '{injected}/truth/identifiers.parquet' "
            "where identifier_type = 'email' and not is_junk"
        ).fetchall()
    finally:
        connection.close()
    assert late_sends
    for (send_id,) in late_sends:
        assert f"marketing__sends:{send_id}" in text
    assert page_views
    for (event_id,) in page_views:
        assert event_id in text
    for (address,) in addresses:
        assert address.strip() not in text
        assert address.strip().replace("@", "%40") not in text
