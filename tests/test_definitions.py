"""The Dagster code location: it loads, keeps its asset keys, and schedules and senses correctly."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.execution.api import create_execution_plan
from dagster._core.storage.dagster_run import DagsterRun
from dagster_dbt import DbtProject

from orchestration.automation import BUILD_JOB
from orchestration.definitions import defs
from orchestration.ingestion.assets import (
    PARTITION_RANGE_END_TAG,
    PARTITION_RANGE_START_TAG,
    build_landing_sensor,
    build_raw_assets,
    daily_landing_schedule,
    daily_partitions,
    raw_load_job,
    transaction_chunks,
)
from orchestration.ingestion.contracts import get_contract, load_contracts
from orchestration.quality.checks import QUALITY_CHECKS, great_expectations_checks
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL, Settings
from orchestration.transform import assets
from orchestration.transform.assets import (
    ACTIVATION_GATE,
    connect360_activation_assets,
    connect360_dbt_assets,
)

RAW_KEYS = {f"raw/{contract.stream}" for contract in load_contracts()}


def test_definitions_load_with_every_raw_asset():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys >= RAW_KEYS
    assert len(RAW_KEYS) == 19
    assert {"raw/web__events", "raw/orders__orders", "raw/consent__erasure_requests"} <= keys


@pytest.mark.parametrize("name", ["main.duckdb", "TEMP.duckdb", "system.db", "main.backup.duckdb"])
def test_a_warehouse_file_dbt_could_not_read_is_refused_at_start(tmp_path, monkeypatch, name):
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(tmp_path / name))
    with pytest.raises(ValueError, match="Choose another file name"):
        Settings.from_env()


def test_any_other_warehouse_file_name_is_taken(tmp_path, monkeypatch):
    for name in ("my warehouse-2026.duckdb", "2026.duckdb", "mainly.duckdb"):
        monkeypatch.setenv("CONNECT360_WAREHOUSE", str(tmp_path / name))
        assert Settings.from_env().warehouse_path == tmp_path / name


def test_asset_keys_are_kept():
    """Renaming an asset breaks its history and every selection that names it: do it on purpose."""
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {
        "identity/identity_erasure_register",
        "identity/identity_erasure_suppressions",
        "identity/identity_match_merges",
        "identity/identity_merge_history",
        "identity/int_identity__components",
        "identity/int_identity__customer_ids",
        "identity/int_identity__links",
        "identity/int_identity__occurrences",
        "identity/int_identity__record_customers",
        "identity/probabilistic_edges",
        "intermediate/int_channel_price_differences",
        "intermediate/int_customers_known_since",
        "intermediate/int_funnel_progress",
        "intermediate/int_journey_changes",
        "intermediate/int_order_lines",
        "intermediate/int_moment_touchpoints",
        "intermediate/int_purchases_price_differed",
        "intermediate/int_sessions_sessionized",
        "intermediate/int_sessions_stitched",
        "intermediate/int_touchpoints_applied",
        "intermediate/int_touchpoints_attributed",
        "intermediate/int_touchpoints_unioned",
        "marts/attribution_channels",
        "marts/attribution_paths",
        "marts/attribution_touchpoints",
        "marts/attribution_transitions",
        "marts/consent_ledger",
        "marts/customer_record_bridge",
        "marts/customers",
        "marts/edge_case_register",
        "marts/escalations",
        "marts/funnel_conversion",
        "marts/funnel_dropoffs",
        "marts/journey_moments",
        "marts/journey_paths",
        "marts/marketing_audience",
        "marts/marketing_send_compliance",
        "marts/sessions",
        "marts/touchpoints",
        # The warehouse's error suites decide it; the activation marts wait for it.
        "quality/activation_gate",
        "raw/chat__conversations",
        "raw/consent__erasure_requests",
        "raw/consent__events",
        "raw/crm__contacts",
        "raw/email__events",
        "raw/experiments__assignments",
        "raw/marketing__price_list",
        "raw/marketing__sends",
        "raw/mobile_app__events",
        "raw/orders__orders",
        "raw/pos__receipts",
        "raw/shipping__tracking_events",
        "raw/sms__messages",
        "raw/social__mentions",
        "raw/surveys__responses",
        "raw/tickets__tickets",
        "raw/voice__calls",
        "raw/voice__dispositions",
        "raw/web__events",
        "reference/attribution_channel_map",
        "reference/experiments",
        "reference/given_name_variants",
        "reference/journey_funnels",
        "reference/journey_moment_definitions",
        "reference/journey_moment_rules",
        "reference/time_zones",
        "restricted/pseudonym_key",
        "restricted/restricted_match_attributes",
        "restricted/stg_restricted__chat_conversations",
        "restricted/stg_restricted__crm_contacts",
        "restricted/stg_restricted__mobile_app_events",
        "restricted/stg_restricted__orders_orders",
        "restricted/stg_restricted__pos_receipts",
        "restricted/stg_restricted__social_mention_texts",
        "restricted/stg_restricted__social_mentions",
        "restricted/stg_restricted__surveys_responses",
        "restricted/stg_restricted__tickets_tickets",
        "restricted/stg_restricted__voice_calls",
        "restricted/stg_restricted__web_events",
        "sentiment/social_mentions",
        "staging/stg_chat__conversations",
        "staging/stg_consent__erasure_requests",
        "staging/stg_consent__events",
        "staging/stg_crm__contacts",
        "staging/stg_email__events",
        "staging/stg_experiments__assignments",
        "staging/stg_identity__probabilistic_edges",
        "staging/stg_marketing__price_list",
        "staging/stg_marketing__sends",
        "staging/stg_mobile_app__events",
        "staging/stg_orders__orders",
        "staging/stg_pos__receipts",
        "staging/stg_sentiment__social_mentions",
        "staging/stg_shipping__tracking_events",
        "staging/stg_sms__messages",
        "staging/stg_social__mentions",
        "staging/stg_surveys__responses",
        "staging/stg_tickets__tickets",
        "staging/stg_voice__calls",
        "staging/stg_voice__dispositions",
        "staging/stg_web__events",
    }


def test_error_suites_are_blocking_checks_upstream_of_the_activation_marts():
    graph = defs.resolve_asset_graph()
    checks = {key.name: key for key in graph.asset_check_keys}
    consent = checks["consent_rules"]
    assert consent.asset_key == dg.AssetKey(["marts", "marketing_send_compliance"])
    specs = {spec.name: spec for spec in great_expectations_checks.check_specs}
    # The warehouse's suites are checks of the gate the activation marts wait for: an error
    # suite withholds them (and names itself), a warning suite does not.
    assert specs["consent_rules"].metadata["severity"] == "error"
    assert "withholds" in specs["consent_rules"].metadata
    assert "withholds" not in specs["consent_coverage"].metadata
    assert great_expectations_checks.keys == {ACTIVATION_GATE}
    audience = dg.AssetKey(["marts", "marketing_audience"])
    assert consent.asset_key in graph.get(audience).parent_keys
    assert ACTIVATION_GATE in graph.get(audience).parent_keys
    assert consent.asset_key in graph.get(ACTIVATION_GATE).parent_keys
    # The activation marts are a step of their own, so the gate can hold them.
    assert audience not in connect360_dbt_assets.keys
    assert audience in connect360_activation_assets.keys
    # In the build job the gate is one step (its checks decide it together), between the marts
    # and the activation marts.
    plan = create_execution_plan(defs.resolve_job_def(BUILD_JOB))
    after = {
        step.key: {
            handle.step_key
            for step_input in step.step_inputs
            for handle in step_input.get_step_output_handle_dependencies()
        }
        for step in plan.steps
    }
    gates = [key for key in after if key.startswith(great_expectations_checks.node_def.name)]
    assert gates == ["great_expectations"]
    assert "great_expectations" in after["connect360_activation_assets"]


def test_every_layer_has_its_suites_on_the_assets_they_guard():
    graph = defs.resolve_asset_graph()
    guarded: dict[str, set[str]] = {}
    for key in graph.asset_check_keys:
        guarded.setdefault(key.name, set()).add(key.asset_key.to_user_string())
    # The raw suite is a (warning) check on every raw stream; staging suites on every model.
    assert guarded["raw_landing"] == RAW_KEYS
    assert "staging/stg_web__events" in guarded["staging_keys"]
    assert guarded["staging_keys"] == guarded["staging_values"]
    assert guarded["unified_customer"] == {"marts/customers"}
    assert guarded["journeys"] == {"marts/journey_moments", "marts/sessions"}
    assert "marts/funnel_conversion" in guarded["mart_ranges"]
    specs = {
        (spec.name, spec.asset_key.to_user_string()): (checks.node_def.name, spec.blocking)
        for checks in QUALITY_CHECKS
        for spec in checks.check_specs
    }
    assert specs["raw_landing", "raw/web__events"] == ("landing_quality", False)
    # Staging is checked in a step of its own, before the Python assets that read it, so a
    # blocking staging check does not wait for the marts it would block.
    assert specs["staging_keys", "staging/stg_web__events"] == ("staging_quality", True)
    assert specs["staging_values", "staging/stg_web__events"] == ("staging_quality", False)
    # The warehouse's error suites withhold through the gate, not as Dagster blocking checks.
    assert specs["journeys", "marts/sessions"] == ("great_expectations", False)
    assert specs["mart_ranges", "marts/funnel_conversion"] == ("great_expectations", False)


def test_raw_assets_have_groups_owners_descriptions_and_the_writer_pool():
    graph = defs.resolve_asset_graph()
    for contract in load_contracts():
        node = graph.get(dg.AssetKey(["raw", contract.stream]))
        assert node.group_name == "raw"
        assert node.tags["channel"] == contract.channel
        assert node.owners == [contract.owner]
        assert node.description.startswith(contract.title)
        assert node.pools == {WAREHOUSE_POOL}
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)


def test_dbt_sources_are_the_assets_that_write_them():
    manifest = json.loads((Path(__file__).parents[1] / "target" / "manifest.json").read_text())
    tables = {
        f"{source['schema']}/{source['identifier']}"
        for source in manifest["sources"].values()
        if source["package_name"] == "connect360"
    }
    assert tables == RAW_KEYS | {
        "restricted/pseudonym_key",
        "identity/probabilistic_edges",
        "sentiment/social_mentions",
    }
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert tables <= keys


def test_schedule_requests_yesterday_for_every_raw_asset():
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    )
    request = daily_landing_schedule(context)
    assert request.partition_key == "2026-03-09"
    assert request.run_key == "daily:2026-03-09"
    job = defs.resolve_job_def("load_landing")
    selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert selected == RAW_KEYS


def _landing(tmp_path: Path) -> LandingResource:
    return LandingResource(path=str(tmp_path / "landing"), state_path=str(tmp_path / "state"))


def _drop_example(landing: LandingResource, channel: str, entity: str, day: str) -> Path:
    contract = get_contract(channel, entity)
    folder = landing.root / channel / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entity}-0001.jsonl"
    path.write_text(json.dumps(contract.schema["examples"][0]) + "\n")
    return path


def test_links_out_of_the_landing_folder_directories_and_broken_links_are_refused_and_reported(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CONNECT360_PARTITIONS_START", "2026-01-01")
    landing = _landing(tmp_path)
    good = _drop_example(landing, "email", "events", "2026-03-09")
    folder = good.parent
    # A valid export outside the landing folder, and a file no export should ever read.
    outside = tmp_path / "elsewhere" / "events.jsonl"
    outside.parent.mkdir()
    record = json.loads(good.read_text())
    outside.write_text(json.dumps(record | {"sg_event_id": "from-outside"}) + "\n")
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "events-0002.jsonl").symlink_to(outside)
    (folder / "events-0003.jsonl").symlink_to(secret)
    (folder / "events-0004.jsonl").mkdir()
    (folder / "events-0005.jsonl").symlink_to(tmp_path / "missing.jsonl")
    # A link that stays inside the landing folder is read like the file it names.
    inside = landing.root / "email" / "shared" / "events.jsonl"
    inside.parent.mkdir()
    inside.write_text(json.dumps(record | {"sg_event_id": "linked-inside"}) + "\n")
    (folder / "events-0006.jsonl").symlink_to(inside)
    warehouse = WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            build_raw_assets([get_contract("email", "events")]),
            instance=instance,
            partition_key="2026-03-09",
            resources={"landing": landing, "warehouse": warehouse},
        )
        assert result.success
        [materialization] = result.asset_materializations_for_node("raw__email__events")
    metadata = materialization.metadata
    assert metadata["loaded"].value == 2
    assert metadata["quarantined"].value == 0
    assert metadata["refused_files"].value == "\n".join(
        [
            "- `email/2026-03-09/events-0002.jsonl`: a link to a file outside the landing folder",
            "- `email/2026-03-09/events-0003.jsonl`: a link to a file outside the landing folder",
            "- `email/2026-03-09/events-0004.jsonl`: a directory, not a file",
            "- `email/2026-03-09/events-0005.jsonl`: a broken link",
        ]
    )
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    loaded = connection.execute(
        "select payload ->> '$.sg_event_id', _source_file from raw.email__events order by 1"
    ).fetchall()
    quarantined = connection.execute("select count(*) from quarantine.email__events").fetchall()
    connection.close()
    assert loaded == [
        (record["sg_event_id"], "email/2026-03-09/events-0001.jsonl"),
        ("linked-inside", "email/2026-03-09/events-0006.jsonl"),
    ]
    assert quarantined == [(0,)]


def test_sensor_requests_new_days_then_only_changed_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT360_PARTITIONS_START", "2026-01-01")
    contracts = load_contracts()
    partitions = daily_partitions()
    sensor = build_landing_sensor(contracts, partitions)
    landing = _landing(tmp_path)
    _drop_example(landing, "email", "events", "2026-03-09")
    _drop_example(landing, "sms", "messages", "2026-03-09")
    _drop_example(landing, "web", "events", "2026-03-10")
    (landing.root / "web" / "not-a-day").mkdir()
    _drop_example(landing, "web", "events", "2019-12-31")  # before the first partition

    instance = dg.DagsterInstance.ephemeral()

    def evaluate() -> list[dg.RunRequest]:
        context = dg.build_sensor_context(instance=instance, resources={"landing": landing})
        return list(sensor(context).run_requests or [])

    first = evaluate()
    assert [
        (r.partition_key, sorted(k.to_user_string() for k in r.asset_selection)) for r in first
    ] == [
        ("2026-03-09", ["raw/email__events", "raw/sms__messages"]),
        ("2026-03-10", ["raw/web__events"]),
    ]

    # Once a day is loaded, the sensor is quiet about it until its files change.
    warehouse = WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    result = dg.materialize(
        build_raw_assets(contracts),
        selection=["raw/email__events", "raw/sms__messages"],
        partition_key="2026-03-09",
        resources={"landing": landing, "warehouse": warehouse},
    )
    assert result.success
    second = evaluate()
    assert [r.partition_key for r in second] == ["2026-03-10"]

    _drop_example(landing, "sms", "messages", "2026-03-09").write_text("{}\n{}\n")
    third = evaluate()
    assert [(r.partition_key, [k.to_user_string() for k in r.asset_selection]) for r in third] == [
        ("2026-03-09", ["raw/sms__messages"]),
        ("2026-03-10", ["raw/web__events"]),
    ]
    assert third[0].run_key != first[0].run_key

    # A day whose load has not finished is left to it (its streams turn loaded one by one, and
    # a request for the rest would load them twice); a range of days counts each of them.
    # (A queued run needs a code location's origin; one not started yet stands for it.)
    waiting = DagsterRun(
        job_name=raw_load_job.name,
        run_id="waiting-load",
        status=dg.DagsterRunStatus.NOT_STARTED,
        tags={"dagster/partition": "2026-03-10"},
    )
    instance.add_run(waiting)
    assert [r.partition_key for r in evaluate()] == ["2026-03-09"]
    instance.add_run(
        DagsterRun(
            job_name=raw_load_job.name,
            run_id="running-range",
            status=dg.DagsterRunStatus.STARTED,
            tags={
                PARTITION_RANGE_START_TAG: "2026-03-08",
                PARTITION_RANGE_END_TAG: "2026-03-09",
            },
        )
    )
    assert evaluate() == []
    # Finished runs hold nothing back.
    for run_id in ("waiting-load", "running-range"):
        instance.report_run_failed(instance.get_run_by_id(run_id))
    assert [r.partition_key for r in evaluate()] == ["2026-03-09", "2026-03-10"]


def test_a_partition_range_loads_in_one_run_with_metadata(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECT360_PARTITIONS_START", "2026-01-01")
    landing = _landing(tmp_path)
    for day in ("2026-03-08", "2026-03-09", "2026-03-10"):
        path = _drop_example(landing, "email", "events", day)
        record = json.loads(path.read_text())
        record["sg_event_id"] = f"evt-{day}"
        path.write_text(json.dumps(record) + "\n" + json.dumps(record)[:30] + "\n")
    (landing.root / "email" / "2026-03-09" / "sendgrid_export_final.jsonl").write_text("{}\n")
    (landing.root / "email" / "2026-03-09" / "_SUCCESS").write_text("")
    warehouse = WarehouseResource(path=str(tmp_path / "warehouse.duckdb"))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            build_raw_assets([get_contract("email", "events")]),
            instance=instance,
            tags={PARTITION_RANGE_START_TAG: "2026-03-08", PARTITION_RANGE_END_TAG: "2026-03-10"},
            resources={"landing": landing, "warehouse": warehouse},
        )
        assert result.success
        materializations = result.asset_materializations_for_node("raw__email__events")
    assert sorted(m.partition for m in materializations) == [
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    metadata = materializations[0].metadata
    assert metadata["loaded"].value == 3
    assert "| 2026-03-09 | 1 | 1 |" in metadata["per_day"].value
    assert metadata["quarantined"].value == 3
    assert metadata["days"].value == 3
    assert "not valid JSON" in metadata["quarantine_reasons"].value
    assert metadata["unclaimed_files"].value == "- `email/2026-03-09/sendgrid_export_final.jsonl`"
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    days = connection.execute(
        "select _partition_date, count(*) from raw.email__events group by 1 order by 1"
    ).fetchall()
    connection.close()
    assert days == [(date(2026, 3, 8), 1), (date(2026, 3, 9), 1), (date(2026, 3, 10), 1)]


def test_writers_wait_for_the_warehouse_lock_instead_of_failing(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
            "c.execute('create table t as select 1'); print('locked', flush=True); time.sleep(3)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    started = time.monotonic()
    with WarehouseResource(path=str(path)).connect() as connection:
        waited = time.monotonic() - started
        assert connection.execute("select count(*) from t").fetchone() == (1,)
    holder.wait()
    assert waited > 1.0


def test_backfill_transactions_are_bounded_by_landing_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr("orchestration.ingestion.assets.BYTES_PER_TRANSACTION", 100)
    contract = get_contract("email", "events")
    days = [date(2026, 3, day) for day in range(1, 6)]
    for day, size in zip(days, [60, 60, 10, 200, 0], strict=True):
        folder = tmp_path / "email" / day.isoformat()
        folder.mkdir(parents=True)
        (folder / "events.jsonl").write_bytes(b"x" * size)
    chunks = list(transaction_chunks(tmp_path, contract, days))
    assert chunks == [days[0:1], days[1:3], days[3:4], days[4:5]]


def test_dbt_outside_dagster_writes_a_target_of_its_own(tmp_path, monkeypatch):
    # The project's manifest is read by the quality suites while other dbt runs go on (a test
    # worker, the benchmark): dbt rewrites manifest.json in place, so it must not write there.
    written: list[set[str]] = []
    own_target = assets.private_target

    @contextmanager
    def watched() -> Iterator[Path]:
        with own_target() as target:
            yield target
            written.append({path.name for path in target.iterdir()})

    monkeypatch.setattr(assets, "PROJECT_TARGET", tmp_path)
    monkeypatch.setattr(assets, "private_target", watched)
    assets.run_dbt(["parse"], os.environ)
    assert len(written) == 1 and "manifest.json" in written[0]
    assert list(tmp_path.iterdir()) == []


def test_dagster_dev_publishes_the_reparsed_manifest_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "PROJECT_TARGET", tmp_path / "scratch")
    published = tmp_path / "published"
    project = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT, target_path=published)
    assets.ManifestPreparer().prepare(project)
    manifest = json.loads((published / "manifest.json").read_text())
    assert any(node["name"] == "customers" for node in manifest["nodes"].values())
    assert (published / assets.PARTIAL_PARSE).exists()
    assert list((tmp_path / "scratch").iterdir()) == []


def test_old_dbt_run_targets_are_pruned_and_the_project_manifest_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "PROJECT_TARGET", tmp_path)
    monkeypatch.setenv("CONNECT360_DBT_RUN_RETENTION_DAYS", "14")
    now = time.time()
    for name, age_days in [("old-run", 15), ("recent-run", 13), ("compiled", 30)]:
        (tmp_path / name).mkdir()
        if name != "compiled":
            (tmp_path / name / "manifest.json").write_text("{}")
        for path in [tmp_path / name, *(tmp_path / name).iterdir()]:
            os.utime(path, (now - age_days * 86_400, now - age_days * 86_400))
    (tmp_path / "manifest.json").write_text("{}")
    os.utime(tmp_path / "manifest.json", (now - 99 * 86_400, now - 99 * 86_400))

    assert assets.prune_run_targets(assets.run_target_retention_days(), now) == [
        tmp_path / "old-run"
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "compiled",
        "manifest.json",
        "recent-run",
    ]
    for setting in ("two weeks", "0", "-3"):
        monkeypatch.setenv("CONNECT360_DBT_RUN_RETENTION_DAYS", setting)
        with pytest.raises(ValueError, match="whole number of days, at least 1"):
            assets.run_target_retention_days()
