"""Runs a simulation: chunks of people in worker processes, each writing its own part files."""

from __future__ import annotations

import multiprocessing as mp
import queue
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from random import Random
from typing import Any

from tqdm import tqdm

from simulator.catalog import ENTITY_SPECS, EXPERIMENTS, SPECS_BY_NAME
from simulator.config import SimulationConfig, SimulationSummary
from simulator.crm import CrmRates
from simulator.emission import JOURNEY_MOMENTS, Emission, Stage
from simulator.journeys import Counters, Journey, Outcome, World, bot_traffic
from simulator.malform import kinds_for
from simulator.market import build_market, price_list_rows
from simulator.moments import person_moments
from simulator.people import FamilyRates, Person, new_population
from simulator.rules import RULE_PARAMETERS
from simulator.timefmt import day_start, utc_day
from simulator.truth import (
    PART_TABLES,
    TableSink,
    merge_parts,
    part_path,
    to_ms,
    write_manifest,
    write_table,
)
from simulator.writer import LandingWriter

BOT_SHARE = 0.02
EFFECT_TARGET = {
    "order_conversion_14d": "probability that a started checkout completes",
    "activation_7d": "probability that a new account activates",
}
PROGRESS_EVERY = 250
_progress_queue: Any = None


class OutputNotEmptyError(RuntimeError):
    """The landing or truth directory already holds files and `overwrite` was not asked for."""


@dataclass(frozen=True)
class ChunkTask:
    config: SimulationConfig
    part: int
    first_index: int
    count: int


@dataclass
class ChunkResult:
    part: int
    records: Counter[str] = field(default_factory=Counter)
    malformed: Counter[str] = field(default_factory=Counter)
    violations: Counter[str] = field(default_factory=Counter)
    experiments: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    duplicates: int = 0
    late: int = 0
    files: int = 0


class ChunkRun:
    """Simulates one chunk of people and writes its landing and truth parts."""

    def __init__(self, task: ChunkTask) -> None:
        config = task.config
        self.task = task
        self.config = config
        market = build_market(config.seed, config.start, config.days)
        self.world = World(
            market,
            day_start(config.start),
            day_start(config.end),
            config.seed,
            config.violation_rate,
            config.erasure_rate,
            CrmRates(
                config.crm_duplicate_rate, config.second_crm_share, config.crm_no_contact_rate
            ),
        )
        self.noise = Random(f"connect360:noise:{config.seed}:{task.part}")
        # The CRM's extra contacts (`Outcome.crm_entries`) land with noise of their own, so
        # that every other record is late, broken or repeated as it was without them.
        self.crm_noise = Random(f"connect360:noise:crm:{config.seed}:{task.part}")
        self.writer = LandingWriter(config.landing_dir, task.part)
        self.sinks = {
            table: TableSink(part_path(config.truth_dir, table, task.part), table)
            for table in PART_TABLES
        }
        self.result = ChunkResult(task.part)

    def run(self, progress: Callable[[int], None]) -> ChunkResult:
        config, task = self.config, self.task
        if task.part == 1:
            self._price_list()
        people_rng = Random(f"connect360:people:{config.seed}:{task.part}")
        counters = Counters(task.part)
        family = FamilyRates(config.household_surname_rate, config.twin_rate)
        population = new_population(people_rng, task.first_index, task.count, config.seed, family)
        for number, person in enumerate(population, start=1):
            rng = Random(f"connect360:person:{config.seed}:{person.index}")
            outcome = Journey(person, self.world, rng, counters).run()
            self._land_person(person, outcome)
            if number % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        progress(len(population) % PROGRESS_EVERY)
        bots = Random(f"connect360:bots:{config.seed}:{task.part}")
        for _ in range(round(task.count * BOT_SHARE)):
            for emission in bot_traffic(bots, self.world):
                self._land(emission, protect=False)
        self.writer.flush_all()
        for sink in self.sinks.values():
            sink.close()
        self.result.files = self.writer.files
        return self.result

    def _price_list(self) -> None:
        spec = SPECS_BY_NAME["marketing/price_list"]
        market = self.world.market
        mismatched = {(m.day, m.channel, m.sku): m for m in market.mismatches}
        for ts, row in price_list_rows(market, self.world.t0):
            emission = Emission(spec, ts, row, None, Stage.REFERENCE)
            self._land(emission, protect=False)
            day = self.world.day_index(ts)
            mismatch = mismatched.get((day, row["channel"], row["sku"]))
            if mismatch:
                detail = (
                    f"{mismatch.channel} lists {mismatch.price:.2f}, "
                    f"web lists {mismatch.reference:.2f}"
                )
                self._violation("price_mismatch", emission, None, detail)

    def _land_person(self, person: Person, outcome: Outcome) -> None:
        breached = {breach.record_key for breach in outcome.breaches}
        records = {}
        for emission in outcome.emissions:
            key = emission.record_key
            if key in breached:
                records[key] = emission
            self._land(emission, protect=key in breached)
        for emission in outcome.crm_entries:
            self._land(emission, protect=False, noise=self.crm_noise)
        for contact in outcome.crm_contacts:
            self.sinks["crm_contacts"].add(
                person.person_id, contact.crm_system, contact.crm_id, contact.kind,
                contact.entry_path, to_ms(contact.created_at),
            )  # fmt: skip
        for breach in outcome.breaches:
            self._violation(
                breach.rule, records[breach.record_key], person.person_id, breach.detail
            )
        self._person_row(person, outcome)
        moments = self.sinks["moments"]
        for moment in person_moments(outcome.emissions, outcome.moment_outcomes):
            moments.add(
                moment.moment_id, moment.person_id, moment.moment, to_ms(moment.started_at),
                to_ms(moment.completed_at), moment.channels, moment.records, moment.outcome,
            )  # fmt: skip
        identifiers = self.sinks["identifiers"]
        for (kind, value), (junk, shared) in outcome.identifiers.items():
            identifiers.add(person.person_id, kind, value, junk, shared)
        for experiment, variant, _, converted in outcome.assignments:
            self.result.experiments[(experiment.key, variant, "subjects")] += 1
            self.result.experiments[(experiment.key, variant, "conversions")] += int(converted)

    def _person_row(self, person: Person, outcome: Outcome) -> None:
        facts = outcome.facts
        self.sinks["people"].add(
            person.person_id,
            person.persona.name,
            person.household.household_id,
            person.timezone,
            person.country,
            person.household.city.city,
            person.store.store_id if person.store else None,
            person.is_existing,
            to_ms(facts["first_seen_at"]),
            to_ms(facts["signup_at"]),
            to_ms(facts["first_purchase_at"]),
            to_ms(facts["activated_at"]),
            to_ms(facts["subscribed_at"]),
            to_ms(facts["churned_at"]),
            facts["churned_at"] is not None,
            to_ms(facts["erased_at"]),
            facts["orders"],
            facts["has_app"],
            len(outcome.emissions) + len(outcome.crm_entries),
            person.first_name,
            person.last_name,
            person.date_of_birth,
        )

    def _violation(self, rule: str, emission: Emission, person_id: str | None, detail: str) -> None:
        spec = emission.spec
        self.sinks["violations"].add(
            rule, spec.channel, spec.entity, emission.record_key, person_id, detail
        )
        self.result.violations[rule] += 1

    def _land(self, emission: Emission, protect: bool, noise: Random | None = None) -> None:
        """Write one record, deciding with `noise` (the chunk's) whether it arrives late,
        broken or twice."""
        config, spec = self.config, emission.spec
        noise = noise or self.noise
        event_day = utc_day(emission.ts)
        day, late = event_day, False
        if spec.name != "marketing/price_list" and noise.random() < config.late_rate:
            candidate = event_day + timedelta(days=noise.randint(1, 4))
            if candidate < config.end:
                day, late = candidate, True
        malformed = None
        if not protect and noise.random() < config.malformed_rate:
            malformed = noise.choice(kinds_for(spec))
        file, line, data = self.writer.write(spec, day, emission.payload, malformed, noise)
        key = emission.record_key
        stage = emission.stage.value if emission.stage else None
        moment_id = emission.moment_id
        records = self.sinks["records"]
        occurred = to_ms(emission.ts)
        records.add(
            spec.channel, spec.entity, day, file, line, key, emission.person_id, stage, moment_id,
            occurred, False, late, malformed,
        )  # fmt: skip
        self.result.records[spec.name] += 1
        self.result.late += late
        if malformed:
            self.result.malformed[malformed] += 1
        elif spec.format == "jsonl" and noise.random() < config.duplicate_rate:
            file, line = self.writer.write_again(spec, day, data)
            records.add(
                spec.channel, spec.entity, day, file, line, key, emission.person_id, stage,
                moment_id, occurred, True, late, None,
            )  # fmt: skip
            self.result.records[spec.name] += 1
            self.result.duplicates += 1


def plan_chunks(config: SimulationConfig) -> list[ChunkTask]:
    size = config.chunk_people
    return [
        ChunkTask(config, part, first, min(size, config.people - first))
        for part, first in enumerate(range(0, config.people, size), start=1)
    ]


def prepare_output(config: SimulationConfig) -> None:
    for directory in (config.landing_dir, config.truth_dir):
        if directory.exists() and any(directory.iterdir()):
            if not config.overwrite:
                raise OutputNotEmptyError(
                    f"{directory} is not empty; choose an empty directory or pass --overwrite "
                    "to clear it first"
                )
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)


def _init_worker(progress_queue: Any) -> None:
    global _progress_queue  # noqa: PLW0603 - the worker's one channel back to the progress bar
    _progress_queue = progress_queue
    # Progress ticks still buffered when the worker exits may be lost; waiting to flush them
    # into a pipe nobody reads any more would keep the worker from exiting.
    progress_queue.cancel_join_thread()


def _run_in_worker(task: ChunkTask) -> ChunkResult:
    return ChunkRun(task).run(_progress_queue.put)


def run_chunks(config: SimulationConfig, tasks: list[ChunkTask]) -> list[ChunkResult]:
    bar = tqdm(total=config.people, unit="people", disable=not config.progress, desc="simulate")
    with bar:
        if config.workers == 1 or len(tasks) == 1:
            return [ChunkRun(task).run(bar.update) for task in tasks]
        context = mp.get_context("spawn")
        progress_queue = context.Queue()
        workers = min(config.workers, len(tasks))
        with context.Pool(workers, _init_worker, (progress_queue,)) as pool:
            pending = [pool.apply_async(_run_in_worker, (task,)) for task in tasks]
            while not all(result.ready() for result in pending):
                _drain(progress_queue, bar, timeout=0.2)
            results = [result.get() for result in pending]
            _drain(progress_queue, bar, timeout=0.0)
            # Let the workers finish and exit on their own: terminating them (what leaving the
            # block does) relies on SIGTERM, which a host process may have set to be ignored.
            pool.close()
            pool.join()
        return results


def _drain(progress_queue: Any, bar: tqdm, timeout: float) -> None:
    try:
        bar.update(progress_queue.get(timeout=timeout) if timeout else progress_queue.get_nowait())
        while True:
            bar.update(progress_queue.get_nowait())
    except queue.Empty:
        return


def simulate(config: SimulationConfig) -> SimulationSummary:
    """Write the landing files and the ground truth for `config`; return what was written."""
    started = time.perf_counter()
    prepare_output(config)
    tasks = plan_chunks(config)
    results = run_chunks(config, tasks)
    parts = [result.part for result in results]
    rows = {table: merge_parts(config.truth_dir, table, parts) for table in PART_TABLES}
    (config.truth_dir / ".parts").rmdir()
    experiments = _experiment_rows(results)
    write_table(config.truth_dir, "experiments", experiments)
    summary = _summarize(config, results, time.perf_counter() - started)
    write_manifest(config.truth_dir, _manifest(config, summary, results, rows))
    return summary


def _experiment_rows(results: list[ChunkResult]) -> list[dict[str, Any]]:
    totals: Counter[tuple[str, str, str]] = Counter()
    for result in results:
        totals.update(result.experiments)
    rows = []
    for experiment in EXPERIMENTS:
        for variant in experiment.variants:
            subjects = totals[(experiment.key, variant, "subjects")]
            conversions = totals[(experiment.key, variant, "conversions")]
            rows.append(
                {
                    "experiment_key": experiment.key,
                    "variant": variant,
                    "primary_metric": experiment.primary_metric,
                    "true_effect": 0.0 if variant == "control" else experiment.true_effect,
                    "effect_applies_to": EFFECT_TARGET[experiment.primary_metric],
                    "subjects": subjects,
                    "conversions": conversions,
                    "conversion_rate": conversions / subjects if subjects else None,
                }
            )
    return rows


def _summarize(
    config: SimulationConfig, results: list[ChunkResult], seconds: float
) -> SimulationSummary:
    records: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    malformed: Counter[str] = Counter()
    for result in results:
        records.update(result.records)
        violations.update(result.violations)
        malformed.update(result.malformed)
    return SimulationSummary(
        records={spec.name: records[spec.name] for spec in ENTITY_SPECS},
        files_written=sum(result.files for result in results) + len(PART_TABLES) + 2,
        seconds=seconds,
        people=config.people,
        malformed=sum(malformed.values()),
        duplicates=sum(result.duplicates for result in results),
        late=sum(result.late for result in results),
        violations=dict(sorted(violations.items())),
    )


def _manifest(
    config: SimulationConfig,
    summary: SimulationSummary,
    results: list[ChunkResult],
    rows: dict[str, int],
) -> dict[str, Any]:
    malformed: Counter[str] = Counter()
    for result in results:
        malformed.update(result.malformed)
    return {
        "generator": "connect360-simulate",
        "config": config.as_dict(),
        "records": summary.records,
        "total_records": summary.total_records,
        "malformed_by_kind": dict(sorted(malformed.items())),
        "duplicates": summary.duplicates,
        "late": summary.late,
        "violations": summary.violations,
        "rules": RULE_PARAMETERS,
        "journey_stages": [stage.value for stage in Stage],
        "journey_moments": [stage.value for stage in Stage if stage in JOURNEY_MOMENTS],
        "truth_rows": rows,
        "landing_files": summary.files_written - len(PART_TABLES) - 2,
        "experiments": [experiment.key for experiment in EXPERIMENTS],
    }
