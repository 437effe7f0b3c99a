"""The channel simulator: determinism, contract validity and a complete, consistent truth."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from itertools import combinations
from pathlib import Path
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.contracts import Contract, load_contracts
from simulator import OutputNotEmptyError, SimulationConfig, simulate
from simulator.catalog import ENTITY_SPECS, EXPERIMENTS, JUNK_EMAILS, JUNK_PHONES
from simulator.cli import main
from simulator.crm import ACQUIRED_CRM
from simulator.messy import mistyped_date
from simulator.people import new_population
from simulator.rules import ERASURE_GRACE_DAYS, FREQUENCY_CAP, in_quiet_hours

REPO = Path(__file__).resolve().parents[1]
START = date(2026, 1, 1)
DAYS = 60
WINDOW_START = datetime.combine(START, datetime.min.time(), UTC)
WINDOW_END = WINDOW_START + timedelta(days=DAYS)
MOMENT_OUTCOMES = {
    "first_touch": {"completed"},
    "research": {"completed", "abandoned"},
    "product_selection": {"completed", "abandoned"},
    "purchase": {"completed", "returned"},
    "renewal_expansion": {"completed", "returned"},
    "onboarding": {"completed", "abandoned"},
    "first_value": {"completed"},
    "support": {"resolved", "unresolved", "abandoned"},
    "escalation": {"resolved", "unresolved", "abandoned"},
    "churn_signal": {"completed"},
}
PER_PERSON_MOMENTS = ("first_touch", "onboarding", "first_value")


def small_config(root: Path, seed: int = 7, **overrides: Any) -> SimulationConfig:
    settings: dict[str, Any] = {
        "people": 1500,
        "days": DAYS,
        "start": START,
        "seed": seed,
        "landing_dir": root / "landing",
        "truth_dir": root / "truth",
        "workers": 2,
        "progress": False,
        "malformed_rate": 0.01,
        "violation_rate": 0.05,
    }
    settings.update(overrides)
    return SimulationConfig(**settings)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationConfig, Any]:
    config = small_config(tmp_path_factory.mktemp("simulation"))
    return config, simulate(config)


@pytest.fixture(scope="module")
def contracts() -> dict[tuple[str, str], Contract]:
    return {(contract.channel, contract.entity): contract for contract in load_contracts()}


@pytest.fixture(scope="module")
def records(run: tuple[SimulationConfig, Any]) -> list[dict[str, Any]]:
    config, _ = run
    return pq.read_table(config.truth_dir / "records.parquet").to_pylist()


@pytest.fixture(scope="module")
def moments(run: tuple[SimulationConfig, Any]) -> list[dict[str, Any]]:
    config, _ = run
    return pq.read_table(config.truth_dir / "moments.parquet").to_pylist()


@pytest.fixture(scope="module")
def landed(
    run: tuple[SimulationConfig, Any], contracts: dict[tuple[str, str], Contract]
) -> dict[tuple[str, int], tuple[bytes, dict[str, Any] | None, list[str]]]:
    """(file, line) -> (raw bytes, parsed record or None, reasons it cannot be loaded)."""
    config, _ = run
    lines: dict[tuple[str, int], tuple[bytes, dict[str, Any] | None, list[str]]] = {}
    for path in sorted(config.landing_dir.rglob("*.*")):
        relative = path.relative_to(config.landing_dir).as_posix()
        contract = contracts[(path.parent.parent.name, path.name.rsplit("-", 1)[0])]
        raw_lines = path.read_bytes().split(b"\n")
        assert raw_lines[-1] == b"", f"{relative} must end with a newline"
        header = None
        for number, raw in enumerate(raw_lines[:-1], start=1):
            if contract.format == "csv" and number == 1:
                header = next(csv.reader([raw.decode()]))
                continue
            record, problems = parse_line(contract, raw, header)
            if record is not None:
                problems = contract.errors(record) or event_time_problems(contract, record)
            lines[(relative, number)] = (raw, record, problems)
    return lines


def parse_line(
    contract: Contract, raw: bytes, header: list[str] | None
) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, ["invalid utf-8"]
    if contract.format == "jsonl":
        try:
            return orjson.loads(text), []
        except orjson.JSONDecodeError:
            return None, ["not json"]
    assert header is not None
    cells = next(csv.reader([text]))
    if len(cells) != len(header):
        return None, ["wrong cell count"]
    return {name: cell for name, cell in zip(header, cells, strict=True) if cell != ""}, []


def event_time(contract: Contract, record: dict[str, Any]) -> datetime:
    """The record's event time, read the ways the loader accepts."""
    value = record[contract.occurred_at]
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    if value[:3].isalpha():
        return parsedate_to_datetime(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        zone = record[contract.local_timezone_field] if contract.local_timezone_field else "UTC"
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def event_time_problems(contract: Contract, record: dict[str, Any]) -> list[str]:
    try:
        event_time(contract, record)
    except (ValueError, TypeError, KeyError):
        return ["unreadable event time"]
    return []


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    run: tuple[SimulationConfig, Any], tmp_path: Path
) -> None:
    config, _ = run
    again = small_config(tmp_path / "again", workers=1)
    simulate(again)
    assert tree_digest(again.landing_dir) == tree_digest(config.landing_dir)
    truth = tree_digest(config.truth_dir)
    assert {"records.parquet", "moments.parquet"} <= set(truth)
    assert tree_digest(again.truth_dir) == truth
    other = small_config(tmp_path / "other", seed=8, people=300, days=10)
    simulate(other)
    same_run = small_config(tmp_path / "same", people=300, days=10)
    simulate(same_run)
    assert tree_digest(other.landing_dir) != tree_digest(same_run.landing_dir)


def test_every_registry_entity_lands(
    run: tuple[SimulationConfig, Any], contracts: dict[tuple[str, str], Contract]
) -> None:
    _, summary = run
    assert {spec.name for spec in ENTITY_SPECS} == {f"{c}/{e}" for c, e in contracts}
    assert all(summary.records[f"{c}/{e}"] > 0 for c, e in contracts)
    for spec in ENTITY_SPECS:
        contract = contracts[(spec.channel, spec.entity)]
        assert spec.record_id == contract.record_id
        assert spec.occurred_at == contract.occurred_at
        assert spec.format == contract.format


def test_truth_has_exactly_one_row_per_landed_line(
    records: list[dict[str, Any]], landed: dict[tuple[str, int], Any]
) -> None:
    keys = Counter((row["file"], row["line"]) for row in records)
    assert max(keys.values()) == 1
    assert set(keys) == set(landed)


def test_malformed_records_are_exactly_the_ones_that_cannot_load(
    records: list[dict[str, Any]], landed: dict[tuple[str, int], Any]
) -> None:
    broken = {(row["file"], row["line"]) for row in records if row["malformed_kind"]}
    failing = {key for key, (_, _, problems) in landed.items() if problems}
    assert broken == failing
    kinds = Counter(row["malformed_kind"] for row in records if row["malformed_kind"])
    assert set(kinds) == {
        "truncated_json", "wrong_type", "missing_required", "invalid_utf8", "bad_timestamp",
        "wrong_cell_count",
    }  # fmt: skip
    assert 0.005 < sum(kinds.values()) / len(records) < 0.02


def test_truth_keys_and_times_match_the_records(
    records: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
    contracts: dict[tuple[str, str], Contract],
) -> None:
    for row in records:
        if row["malformed_kind"]:
            continue
        contract = contracts[(row["channel"], row["entity"])]
        _, record, _ = landed[(row["file"], row["line"])]
        assert contract.record_key(record) == row["record_key"]
        moment = event_time(contract, record)
        assert abs((moment - row["occurred_at"]).total_seconds()) < 1.0
        landing_day = datetime.combine(row["landing_date"], datetime.min.time(), UTC)
        if row["is_late"]:
            assert moment < landing_day
        else:
            assert landing_day <= moment < landing_day + timedelta(days=1)


def test_duplicates_repeat_an_earlier_line_of_the_same_file(
    records: list[dict[str, Any]], landed: dict[tuple[str, int], Any]
) -> None:
    originals = {
        (row["file"], row["record_key"]): landed[(row["file"], row["line"])][0]
        for row in records
        if not row["is_duplicate"]
    }
    duplicates = [row for row in records if row["is_duplicate"]]
    assert duplicates
    for row in duplicates:
        assert landed[(row["file"], row["line"])][0] == originals[(row["file"], row["record_key"])]
    late = [row for row in records if row["is_late"]]
    assert 0.01 < len(late) / len(records) < 0.04


def test_people_and_identifiers_cover_every_person(run: tuple[SimulationConfig, Any]) -> None:
    config, _ = run
    people = pq.read_table(config.truth_dir / "people.parquet").to_pylist()
    identifiers = pq.read_table(config.truth_dir / "identifiers.parquet").to_pylist()
    records = pq.read_table(config.truth_dir / "records.parquet", columns=["person_id"])
    assert len(people) == config.people
    assert len({person["persona"] for person in people}) == 7
    assert {row["person_id"] for row in identifiers} <= {p["person_id"] for p in people}
    assert set(records.column("person_id").drop_null().to_pylist()) <= {
        p["person_id"] for p in people
    }
    junk = {row["value"] for row in identifiers if row["is_junk"]}
    assert junk and junk <= set(JUNK_EMAILS) | set(JUNK_PHONES)
    shared = [row for row in identifiers if row["is_shared"]]
    assert len({row["person_id"] for row in shared}) > 10
    kinds = {row["identifier_type"] for row in identifiers}
    assert {"email", "phone", "anonymous_id", "user_id", "crm_id", "loyalty_card"} <= kinds


def test_a_shared_tablet_reports_one_device_whoever_uses_it(
    records: list[dict[str, Any]],
    landed: dict[tuple[str, int], tuple[bytes, dict[str, Any] | None, list[str]]],
) -> None:
    people_by_device: dict[str, set[str]] = defaultdict(set)
    reported: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for row in records:
        if not row["file"].startswith("mobile_app/") or row["person_id"] is None:
            continue
        event = landed[(row["file"], row["line"])][1]
        device = (event or {}).get("context", {}).get("device")
        if not device:
            continue
        people_by_device[device["id"]].add(row["person_id"])
        os_name = event["context"]["os"]["name"]
        reported[device["id"]].add((device["model"], device["advertisingId"], os_name))
    shared = [device for device, people in people_by_device.items() if len(people) > 1]
    # 1,500 people share one or two tablets, by the draw of the seed: one is enough to check.
    assert shared
    assert all(len(reported[device]) == 1 for device in shared)


def test_each_consent_rule_has_breaches_that_hold(run: tuple[SimulationConfig, Any]) -> None:
    config, summary = run
    violations = pq.read_table(config.truth_dir / "violations.parquet").to_pylist()
    rules = Counter(row["rule"] for row in violations)
    assert set(rules) == {
        "send_without_opt_in", "quiet_hours", "frequency_cap", "discount_after_full_price",
        "price_mismatch", "erasure_not_honoured", "personal_data_in_page_path",
    }  # fmt: skip
    assert rules == Counter(summary.violations)
    records = {
        (row["channel"], row["entity"], row["record_key"]): row
        for row in pq.read_table(config.truth_dir / "records.parquet").to_pylist()
        if not row["is_duplicate"]
    }
    people = {
        row["person_id"]: row
        for row in pq.read_table(config.truth_dir / "people.parquet").to_pylist()
    }
    for violation in violations:
        if violation["rule"] == "price_mismatch":
            assert violation["entity"] == "price_list"
            continue
        send = records[(violation["channel"], violation["entity"], violation["record_key"])]
        assert send["malformed_kind"] is None
        assert send["person_id"] == violation["person_id"]
        person = people[send["person_id"]]
        if violation["rule"] == "erasure_not_honoured":
            # A record about an erased person, later than the grace period after the request.
            grace = timedelta(days=ERASURE_GRACE_DAYS)
            assert send["occurred_at"] > person["erased_at"] + grace
            assert violation["entity"] in {"sends", "events"}
            continue
        if violation["rule"] == "personal_data_in_page_path":
            assert (violation["channel"], violation["entity"]) == ("web", "events")
            continue
        assert violation["entity"] == "sends"
        if violation["rule"] == "quiet_hours":
            zone = ZoneInfo(people[send["person_id"]]["home_timezone"])
            local = send["occurred_at"].astimezone(zone)
            assert in_quiet_hours(local.hour + local.minute / 60)
        if violation["rule"] == "frequency_cap":
            assert int(violation["detail"].split()[0]) > FREQUENCY_CAP


def test_experiments_match_the_seed_registry(run: tuple[SimulationConfig, Any]) -> None:
    config, _ = run
    with (REPO / "seeds" / "experiments.csv").open(newline="") as handle:
        seeded = {row["experiment_key"]: row for row in csv.DictReader(handle)}
    assert set(seeded) == {experiment.key for experiment in EXPERIMENTS}
    for experiment in EXPERIMENTS:
        row = seeded[experiment.key]
        assert tuple(row["variants"].split("|")) == experiment.variants
        assert row["primary_metric"] == experiment.primary_metric
        assert date.fromisoformat(row["start_date"]) == experiment.start
        assert date.fromisoformat(row["end_date"]) == experiment.end
    truth = pq.read_table(config.truth_dir / "experiments.parquet").to_pylist()
    assert {(row["experiment_key"], row["variant"]) for row in truth} == {
        (experiment.key, variant) for experiment in EXPERIMENTS for variant in experiment.variants
    }
    landed = pq.read_table(config.truth_dir / "records.parquet").to_pylist()
    assignments = [
        row for row in landed if row["entity"] == "assignments" and not row["is_duplicate"]
    ]
    assert sum(row["subjects"] for row in truth) == len(assignments)
    for row in truth:
        assert 0 <= row["conversions"] <= row["subjects"]
        assert (row["true_effect"] > 0) == (
            row["variant"] != "control" and row["experiment_key"] != "free_shipping_banner"
        )


def test_refuses_a_non_empty_landing_dir_unless_overwrite(tmp_path: Path) -> None:
    config = small_config(tmp_path, people=50, days=3)
    config.landing_dir.mkdir(parents=True)
    stray = config.landing_dir / "stray.txt"
    stray.write_text("keep me")
    with pytest.raises(OutputNotEmptyError, match="not empty"):
        simulate(config)
    assert stray.exists()
    arguments = ["--people", "50", "--days", "3", "--no-progress", "--second-crm-share", "0.5"]
    arguments += ["--landing", str(config.landing_dir), "--truth", str(config.truth_dir)]
    assert main(arguments) == 2
    assert main([*arguments, "--overwrite"]) == 0
    assert not stray.exists()
    manifest = orjson.loads((config.truth_dir / "manifest.json").read_bytes())
    assert manifest["config"]["people"] == 50
    assert manifest["config"]["second_crm_share"] == 0.5
    assert manifest["config"]["crm_duplicate_rate"] == SimulationConfig.crm_duplicate_rate
    assert (
        manifest["total_records"] == pq.read_metadata(config.truth_dir / "records.parquet").num_rows
    )


def split_moment_id(moment_id: str) -> tuple[str, str, int]:
    person_id, stage, episode = moment_id.split(":")
    return person_id, stage, int(episode)


def originals(records: list[dict[str, Any]], entity: str) -> list[dict[str, Any]]:
    return [row for row in records if row["entity"] == entity and not row["is_duplicate"]]


def readable(
    rows: list[dict[str, Any]], landed: dict[tuple[str, int], Any]
) -> list[dict[str, Any]] | None:
    """The landed records of truth rows; None when one of their lines is malformed on purpose."""
    if any(row["malformed_kind"] for row in rows):
        return None
    return [landed[(row["file"], row["line"])][1] for row in rows]


def test_moment_records_and_no_others_carry_a_moment_id(
    run: tuple[SimulationConfig, Any], records: list[dict[str, Any]]
) -> None:
    config, _ = run
    manifest = orjson.loads((config.truth_dir / "manifest.json").read_bytes())
    assert set(manifest["journey_moments"]) == set(MOMENT_OUTCOMES)
    stages: Counter[str] = Counter()
    for row in records:
        if row["journey_stage"] in MOMENT_OUTCOMES:
            person_id, stage, _ = split_moment_id(row["moment_id"])
            assert (person_id, stage) == (row["person_id"], row["journey_stage"])
            stages[stage] += 1
        else:
            assert row["moment_id"] is None
    assert set(stages) == set(MOMENT_OUTCOMES)


def test_moments_summarize_exactly_their_records(
    run: tuple[SimulationConfig, Any], records: list[dict[str, Any]], moments: list[dict[str, Any]]
) -> None:
    config, _ = run
    manifest = orjson.loads((config.truth_dir / "manifest.json").read_bytes())
    assert manifest["truth_rows"]["moments"] == len(moments)
    by_id = {moment["moment_id"]: moment for moment in moments}
    assert len(by_id) == len(moments)
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in records:
        if row["moment_id"] is not None:
            assert row["moment_id"] in by_id
            if not row["is_duplicate"]:
                members[row["moment_id"]].append(row)
    assert set(members) == set(by_id)
    for moment_id, rows in members.items():
        moment = by_id[moment_id]
        assert {row["person_id"] for row in rows} == {moment["person_id"]}
        assert {row["journey_stage"] for row in rows} == {moment["moment"]}
        assert moment["records"] == len(rows)
        assert moment["started_at"] == min(row["occurred_at"] for row in rows)
        assert moment["completed_at"] == max(row["occurred_at"] for row in rows)
        assert moment["channels"] == ",".join(sorted({row["channel"] for row in rows}))
        assert moment["outcome"] in MOMENT_OUTCOMES[moment["moment"]]
        assert WINDOW_START <= moment["started_at"] <= moment["completed_at"] < WINDOW_END
    outcomes = Counter((moment["moment"], moment["outcome"]) for moment in moments)
    for kind in ("research", "product_selection", "onboarding"):
        assert outcomes[(kind, "completed")] and outcomes[(kind, "abandoned")]
    assert outcomes[("support", "resolved")] and outcomes[("support", "unresolved")]


def test_a_ticket_with_all_its_statuses_is_one_support_contact(
    records: list[dict[str, Any]],
    moments: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> None:
    by_id = {moment["moment_id"]: moment for moment in moments}
    tickets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in originals(records, "tickets"):
        tickets[row["record_key"].split("|")[0]].append(row)
    outcomes: Counter[str] = Counter()
    for rows in tickets.values():
        (moment_id,) = {row["moment_id"] for row in rows}
        moment = by_id[moment_id]
        assert moment["moment"] in ("support", "escalation")
        assert (moment["records"], moment["channels"]) == (len(rows), "tickets")
        statuses = readable(rows, landed)
        if statuses is None:
            continue
        status = {record["status"] for record in statuses}
        assert {"new"} <= status <= {"new", "open", "pending", "solved", "closed"}
        assert moment["outcome"] == ("resolved" if "solved" in status else "unresolved")
        outcomes[moment["outcome"]] += 1
    assert outcomes["resolved"] > 10 and outcomes["unresolved"] > 10


def test_a_call_with_its_disposition_is_one_support_contact(
    records: list[dict[str, Any]],
    moments: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> None:
    by_id = {moment["moment_id"]: moment for moment in moments}
    calls = {row["record_key"]: row for row in originals(records, "calls") if row["moment_id"]}
    for row in originals(records, "dispositions"):
        (record,) = readable([row], landed) or [None]
        if record is None:
            continue
        call = calls[record["call_sid"]]
        assert row["moment_id"] == call["moment_id"]
        expected = "resolved" if record["resolved"] else "unresolved"
        assert by_id[row["moment_id"]]["outcome"] == expected
        assert by_id[row["moment_id"]]["channels"] == "voice"
    for row in calls.values():
        (record,) = readable([row], landed) or [None]
        if record is not None and record["status"] == "canceled":
            assert by_id[row["moment_id"]]["outcome"] == "abandoned"
            assert by_id[row["moment_id"]]["records"] == 1
    for row in originals(records, "conversations"):
        assert by_id[row["moment_id"]]["records"] == 1


def test_a_session_gives_one_research_and_one_product_selection_moment(
    records: list[dict[str, Any]],
    moments: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> None:
    """Research is completed when its session went on to the cart, the cart when it ordered."""
    sessions: dict[tuple[str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for moment in moments:
        person_id, stage, episode = split_moment_id(moment["moment_id"])
        sessions[(person_id, episode)][stage] = moment
    visits: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in records:
        if row["moment_id"] and row["entity"] == "events" and not row["is_duplicate"]:
            person_id, stage, episode = split_moment_id(row["moment_id"])
            if stage in ("research", "product_selection", "purchase", "renewal_expansion"):
                visits[(person_id, episode)].append(row)
    checked: Counter[str] = Counter()
    for key, session in sessions.items():
        if "research" in session:
            selected = "product_selection" in session
            assert session["research"]["outcome"] == ("completed" if selected else "abandoned")
        if "product_selection" not in session:
            continue
        research, selection = session["research"], session["product_selection"]
        assert research["channels"] == selection["channels"]
        assert research["started_at"] <= selection["started_at"]
        events = readable(visits[key], landed)
        if events is None:
            continue
        assert len({event["anonymousId"] for event in events}) == 1
        ordered = any(event.get("event") == "Order Completed" for event in events)
        assert selection["outcome"] == ("completed" if ordered else "abandoned")
        checked[selection["outcome"]] += 1
    assert checked["completed"] > 20 and checked["abandoned"] > 20


def test_first_touch_onboarding_and_first_value_happen_once_per_person(
    run: tuple[SimulationConfig, Any], moments: list[dict[str, Any]]
) -> None:
    config, _ = run
    people = {
        row["person_id"]: row
        for row in pq.read_table(config.truth_dir / "people.parquet").to_pylist()
    }
    once = Counter(
        (moment["person_id"], moment["moment"])
        for moment in moments
        if moment["moment"] in PER_PERSON_MOMENTS
    )
    assert set(once.values()) == {1}
    assert {kind for _, kind in once} == set(PER_PERSON_MOMENTS)
    by_person: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for moment in moments:
        by_person[moment["person_id"]].append(moment)
    for moment in moments:
        person = people[moment["person_id"]]
        if moment["moment"] == "first_touch":
            assert not person["is_existing_customer"]
            # The landing view of the person's earliest session in time, on the site or the app.
            assert moment["records"] == 1 and moment["channels"] in ("web", "mobile_app")
            earlier = [
                other
                for other in by_person[moment["person_id"]]
                if other["started_at"] < moment["started_at"]
                and other["moment"] in ("research", "product_selection", "purchase")
            ]
            assert earlier == []
        if moment["moment"] == "onboarding":
            assert moment["started_at"] == person["signup_at"]
            activated = person["activated_at"] is not None and person["activated_at"] < WINDOW_END
            assert moment["outcome"] == ("completed" if activated else "abandoned")


def test_nps_detractors_and_every_churn_signal_are_moments_of_their_own(
    records: list[dict[str, Any]],
    moments: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> None:
    detractors: Counter[int] = Counter()
    for row in originals(records, "responses"):
        (record,) = readable([row], landed) or [None]
        if record is None or record["survey_type"] != "nps":
            continue
        detractor = record["score"] <= 6
        assert row["journey_stage"] == ("churn_signal" if detractor else "feedback")
        detractors[record["score"]] += detractor
    assert detractors[5] and detractors[6]
    signals = [moment for moment in moments if moment["moment"] == "churn_signal"]
    assert all(moment["records"] == 1 for moment in signals)
    assert {moment["channels"] for moment in signals} >= {"surveys", "social", "sms", "email"}


def test_an_order_moment_is_returned_when_the_order_was_refunded(
    records: list[dict[str, Any]],
    moments: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> None:
    by_id = {moment["moment_id"]: moment for moment in moments}
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in originals(records, "orders"):
        orders[row["record_key"].split("|")[0]].append(row)
    returned = 0
    for rows in orders.values():
        (moment_id,) = {row["moment_id"] for row in rows if row["moment_id"]} or {None}
        updates = readable(rows, landed)
        if moment_id is None or updates is None:
            continue
        refunded = any(record["financial_status"] == "refunded" for record in updates)
        assert by_id[moment_id]["outcome"] == ("returned" if refunded else "completed")
        returned += refunded
    assert returned


@pytest.fixture(scope="module")
def people(run: tuple[SimulationConfig, Any]) -> dict[str, dict[str, Any]]:
    config, _ = run
    rows = pq.read_table(config.truth_dir / "people.parquet").to_pylist()
    return {row["person_id"]: row for row in rows}


@pytest.fixture(scope="module")
def crm(
    run: tuple[SimulationConfig, Any],
    records: list[dict[str, Any]],
    landed: dict[tuple[str, int], Any],
) -> list[dict[str, Any]]:
    """Every readable CRM contact version: its landed (non-blank) fields, the person behind
    it and its contact's `kind` and `entry_path` in the truth's `crm_contacts`."""
    config, _ = run
    table = pq.read_table(config.truth_dir / "crm_contacts.parquet").to_pylist()
    contacts = {row["crm_id"]: row for row in table}
    assert len(contacts) == len(table)
    versions = []
    for row in originals(records, "contacts"):
        (record,) = readable([row], landed) or [None]
        if record is None:
            continue
        contact = contacts[record["crm_id"]]
        assert contact["person_id"] == row["person_id"]
        assert contact["crm_system"] == record.get("crm_system")
        versions.append(record | {key: contact[key] for key in ("person_id", "kind", "entry_path")})
    # Every contact lands, and each has a readable version unless its only one is broken.
    assert len({version["crm_id"] for version in versions}) > 0.97 * len(contacts)
    return versions


def reachable(version: dict[str, Any]) -> bool:
    """Whether a CRM record carries an email address or a phone number."""
    return bool({"email", "phone", "mobile_phone"} & set(version))


def test_the_crm_holds_some_people_again_under_other_ids(
    run: tuple[SimulationConfig, Any],
    crm: list[dict[str, Any]],
    people: dict[str, dict[str, Any]],
) -> None:
    config, _ = run
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for version in crm:
        ids[(version["person_id"], version["kind"])].add(version["crm_id"])
    originals_by_person = {person for person, kind in ids if kind == "original"}
    copies = {person: len(found) for (person, kind), found in ids.items() if kind == "duplicate"}
    assert set(copies) <= originals_by_person
    assert abs(len(copies) / len(originals_by_person) - config.crm_duplicate_rate) < 0.025
    assert set(copies.values()) == {1, 2}
    for person in copies:
        assert ids[(person, "original")].isdisjoint(ids[(person, "duplicate")])
    duplicates = [version for version in crm if version["kind"] == "duplicate"]
    assert {"call_centre", "list_import"} <= {version["entry_path"] for version in duplicates}
    # Nothing that would have found the person's contact, and often no way to reach them.
    assert not any({"account_user_id", "loyalty_card", "crm_system"} & set(v) for v in duplicates)
    unreachable = [version for version in duplicates if not reachable(version)]
    assert 0.2 < len(unreachable) / len(duplicates) < 0.7
    # Entered with slips: a nickname, a typo, names swapped or cut, capitals.
    misnamed = [
        version
        for version in duplicates
        if (version.get("first_name"), version["last_name"])
        != (people[version["person_id"]]["first_name"], people[version["person_id"]]["last_name"])
    ]
    assert 0.15 < len(misnamed) / len(duplicates) < 0.65
    identifiers = pq.read_table(config.truth_dir / "identifiers.parquet").to_pylist()
    crm_ids = {
        (row["person_id"], row["value"])
        for row in identifiers
        if row["identifier_type"] == "crm_id"
    }
    assert {(version["person_id"], version["crm_id"]) for version in duplicates} <= crm_ids


def test_the_acquired_crm_holds_a_quarter_of_the_people_under_numeric_ids(
    run: tuple[SimulationConfig, Any], crm: list[dict[str, Any]]
) -> None:
    config, _ = run
    second = [version for version in crm if version["kind"] == "second_system"]
    primary = [version for version in crm if version["kind"] != "second_system"]
    assert all(version.get("crm_system") == ACQUIRED_CRM for version in second)
    assert all(version["crm_id"].isdigit() for version in second)
    assert all(len(v["crm_id"]) == 18 and v["crm_id"].startswith("003") for v in primary)
    assert all("crm_system" not in version for version in primary)
    covered = {version["person_id"] for version in second}
    assert len(covered) == len(second)
    assert 0.15 < len(covered) / config.people < 0.35
    also_primary = covered & {version["person_id"] for version in primary}
    assert 0 < len(also_primary) < len(covered)
    # Imported on one day, a third into the window, with the slips of its own clerks.
    assert {version["updated_at"][:10] for version in second} == {
        (START + timedelta(days=DAYS // 3)).isoformat()
    }
    assert not any({"account_user_id", "loyalty_card"} & set(version) for version in second)
    unreachable = [version for version in second if not reachable(version)]
    assert 0.15 < len(unreachable) / len(second) < 0.5
    identifiers = pq.read_table(config.truth_dir / "identifiers.parquet").to_pylist()
    acquired_ids = {
        (row["person_id"], row["value"])
        for row in identifiers
        if row["identifier_type"] == f"crm_id:{ACQUIRED_CRM}"
    }
    assert acquired_ids >= {(version["person_id"], version["crm_id"]) for version in second}


def test_contacts_from_paper_forms_have_no_email_or_phone(
    run: tuple[SimulationConfig, Any], crm: list[dict[str, Any]]
) -> None:
    config, _ = run
    first: dict[str, dict[str, Any]] = {}
    for version in sorted(crm, key=lambda version: version["updated_at"]):
        if version["kind"] == "original":
            first.setdefault(version["crm_id"], version)
    paper = [version for version in first.values() if version["entry_path"] != "web_signup"]
    unreachable = [version for version in paper if not reachable(version)]
    assert abs(len(unreachable) / len(paper) - config.crm_no_contact_rate) < 0.05
    online = [v for v in crm if v["kind"] == "original" and v["entry_path"] == "web_signup"]
    assert online and all("email" in version for version in online)


def test_household_members_share_a_surname_and_some_are_twins(
    run: tuple[SimulationConfig, Any], people: dict[str, dict[str, Any]]
) -> None:
    config, _ = run
    households: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person_id in sorted(people):
        households[people[person_id]["household_id"]].append(people[person_id])
    later = [(members[0], member) for members in households.values() for member in members[1:]]
    shared = sum(first["last_name"] == member["last_name"] for first, member in later)
    assert abs(shared / len(later) - config.household_surname_rate) < 0.06
    # Twins: one household, surname and birth date, two given names. Different people.
    twins = [
        (one, other)
        for members in households.values()
        for one, other in combinations(members, 2)
        if (one["last_name"], one["date_of_birth"]) == (other["last_name"], other["date_of_birth"])
    ]
    assert twins
    assert all(one["first_name"] != other["first_name"] for one, other in twins)
    # Unrelated people who share a full name (a few in a million pairs share one).
    names = Counter((person["first_name"], person["last_name"]) for person in people.values())
    assert sum(count > 1 for count in names.values()) > 3


def test_at_scale_unrelated_people_share_a_full_name_and_a_birth_date() -> None:
    population = new_population(Random("connect360:test:names"), 0, 200_000, salt=7)
    first_names = Counter(person.first_name for person in population).most_common()
    assert first_names[0][1] > 5 * first_names[-1][1]
    names = Counter((person.first_name, person.last_name) for person in population)
    pairs = sum(count * (count - 1) // 2 for count in names.values())
    assert 1e-6 < pairs / (len(population) ** 2 / 2) < 2e-5
    born: dict[tuple[str, str, date], set[str]] = defaultdict(set)
    for person in population:
        born[(person.first_name, person.last_name, person.date_of_birth)].add(
            person.household.household_id
        )
    assert sum(len(households) > 1 for households in born.values()) >= 2


def test_a_mistyped_birth_date_is_another_real_date() -> None:
    rng = Random(5)
    days = [date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55)) for _ in range(5000)]
    typed = [(day, mistyped_date(rng, day)) for day in days]
    assert all(wrong != day for day, wrong in typed)
    swapped = [
        (d, w) for d, w in typed if (w.month, w.day) == (d.day, d.month) and w.year == d.year
    ]
    off_by_a_year = [(d, w) for d, w in typed if abs(w.year - d.year) == 1 and w.month == d.month]
    assert swapped and off_by_a_year
