"""How well the journey moments match the simulator's ground truth: ``make journey-accuracy``.

The truth (``moments.parquet``, and ``records.parquet``'s ``moment_id``) says which records make
up each moment occurrence of each person. The warehouse's ``journeys.int_moment_touchpoints``
says which touchpoints (source records) make up each recognized occurrence. Per moment type:

- a recognized occurrence and a true one *match* when they share records and each is the
  other's best overlap (mutual best match, so one true occurrence is never counted twice);
- precision: matched recognized occurrences ÷ all recognized occurrences of the type;
- recall: matched true occurrences ÷ the true occurrences the warehouse could see — at least one
  of their records was loaded (not quarantined) and the person was not erased;
- attributable recall: the same over the true occurrences with at least one record the identity
  graph could give a customer (a cash receipt with no loyalty card or phone belongs to nobody).

Funnels: the true funnel counts are computed here, in Python, from the true moments the
warehouse could see (same definitions, `seeds/journey_funnels.csv`, an independent
implementation of `int_funnel_progress`), and compared step by step with `marts.funnel_conversion`.
With ``--oracle-identity`` they are compared once more over the intact people only: those none
of whose records the simulator damaged (the truth's `malformed_kind`), so no quarantined record
hides a moment from the warehouse.

Moments stand on identity resolution: an anonymous browser the graph could not join to its
person starts a "first touch" of its own. With ``--oracle-identity`` the journey models are
rebuilt, in a scratch copy of the warehouse, on the truth's people instead of the resolved
customers, which measures the moment rules alone; both figures are worth reading.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from orchestration.journeys.build import build_journey_layer
from orchestration.settings import REPO_ROOT, Settings

MOMENT_TOUCHPOINTS = "journeys.int_moment_touchpoints"
TOUCHPOINTS = "journeys.int_touchpoints_unioned"
BRIDGE = "identity.int_identity__record_customers"
FUNNEL_PROGRESS = "journeys.int_funnel_progress"
FUNNELS_SEED = REPO_ROOT / "seeds" / "journey_funnels.csv"


def measure(warehouse: Path, truth: Path) -> list[dict[str, object]]:
    """Per moment type: recognized, true (visible), matched, precision and recall."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _measure(connection, truth)
    finally:
        connection.close()


def _measure(connection: duckdb.DuckDBPyConnection, truth: Path) -> list[dict[str, object]]:
    connection.execute(
        f"""
        create temp table truth_records as
        select
            records.channel || '__' || records.entity || ':' || records.record_key as record_id,
            records.moment_id,
            moments.moment,
            moments.person_id
        from read_parquet('{truth}/records*.parquet') as records
        inner join read_parquet('{truth}/moments.parquet') as moments
            on records.moment_id = moments.moment_id
        inner join read_parquet('{truth}/people.parquet') as people
            on moments.person_id = people.person_id
        where people.erased_at is null
        """
    )
    connection.execute(
        f"""
        create temp table shared as
        select
            predicted.moment_id as predicted_id,
            truth_records.moment_id as truth_id,
            predicted.moment,
            count(*) as shared_records
        from {MOMENT_TOUCHPOINTS} as predicted
        inner join truth_records
            on predicted.touchpoint_id = truth_records.record_id
            and predicted.moment = truth_records.moment
        group by all
        """
    )
    rows = connection.execute(
        f"""
        with best_for_truth as (
            select truth_id, arg_max(predicted_id, shared_records * 1e6 - hash(predicted_id) % 1e6)
                as predicted_id
            from shared group by truth_id
        ),
        best_for_predicted as (
            select predicted_id, arg_max(truth_id, shared_records * 1e6 - hash(truth_id) % 1e6)
                as truth_id
            from shared group by predicted_id
        ),
        matched as (
            select shared.moment, count(*) as matched
            from shared
            inner join best_for_truth using (truth_id, predicted_id)
            inner join best_for_predicted using (truth_id, predicted_id)
            group by shared.moment
        ),
        predicted as (
            select moment, count(distinct moment_id) as recognized
            from {MOMENT_TOUCHPOINTS} group by moment
        ),
        visible as (
            select truth_records.moment, count(distinct truth_records.moment_id) as visible
            from truth_records
            inner join {TOUCHPOINTS} as touchpoints
                on truth_records.record_id = touchpoints.record_id
            group by truth_records.moment
        ),
        attributable as (
            select truth_records.moment, count(distinct truth_records.moment_id) as attributable
            from truth_records
            inner join {BRIDGE} as bridge
                on truth_records.record_id = bridge.record_id
            where bridge.customer_id is not null
            group by truth_records.moment
        ),
        everything as (
            select moment, count(*) as true_total
            from read_parquet('{truth}/moments.parquet') group by moment
        )
        select
            everything.moment,
            coalesce(predicted.recognized, 0),
            everything.true_total,
            coalesce(visible.visible, 0),
            coalesce(attributable.attributable, 0),
            coalesce(matched.matched, 0)
        from everything
        left join predicted using (moment)
        left join visible using (moment)
        left join attributable using (moment)
        left join matched using (moment)
        order by everything.moment
        """
    ).fetchall()
    figures = []
    for moment, recognized, true_total, visible, attributable, matched in rows:
        figures.append(
            {
                "moment": moment,
                "recognized": recognized,
                "true": true_total,
                "true_visible": visible,
                "matched": matched,
                "precision": round(matched / recognized, 4) if recognized else None,
                "recall": round(matched / visible, 4) if visible else None,
                "true_attributable": attributable,
                "recall_attributable": round(matched / attributable, 4) if attributable else None,
            }
        )
    return figures


def true_funnel_counts(
    moments: dict[str, dict[str, list[float]]], funnels: dict[str, list[tuple[str, int]]]
) -> dict[tuple[str, int], int]:
    """Customers reaching each funnel step, from each person's moment start times (epoch
    seconds by moment): entry at the first step's first occurrence, then each step's first
    occurrence no earlier than the step before and within the window from the entry."""
    reached: dict[tuple[str, int], int] = {}
    for funnel, steps in funnels.items():
        for step_number in range(1, len(steps) + 1):
            reached[(funnel, step_number)] = 0
        for times in moments.values():
            first = times.get(steps[0][0])
            if not first:
                continue
            entered = previous = min(first)
            reached[(funnel, 1)] += 1
            for step_number, (moment, window_days) in enumerate(steps[1:], start=2):
                later = [
                    at
                    for at in times.get(moment, ())
                    if previous <= at <= entered + window_days * 86400
                ]
                if not later:
                    break
                previous = min(later)
                reached[(funnel, step_number)] += 1
    return reached


def compare_funnels(
    warehouse: Path, truth: Path, *, intact_people_only: bool = False
) -> list[dict[str, object]]:
    """Per funnel step: customers the warehouse counts against people the truth counts.

    With `intact_people_only` (for a warehouse built on the truth's people, where a customer id
    is a person id), both sides count only the people none of whose records the simulator
    damaged: what the moment rules make of complete input, with no quarantined record missing.
    """
    funnels: dict[str, list[tuple[str, int]]] = {}
    with FUNNELS_SEED.open() as seed:
        rows = sorted(
            csv.DictReader(seed), key=lambda row: (row["funnel"], int(row["step_number"]))
        )
    for row in rows:
        funnels.setdefault(row["funnel"], []).append(
            (row["moment"], int(row["conversion_window_days"]))
        )
    intact_people = (
        f"select person_id from read_parquet('{truth}/records*.parquet') "
        "group by person_id having count(malformed_kind) = 0"
    )
    intact = f"and moments.person_id in ({intact_people})" if intact_people_only else ""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        visible = connection.execute(
            f"""
            select distinct moments.person_id, moments.moment, epoch(moments.started_at)
            from read_parquet('{truth}/moments.parquet') as moments
            inner join read_parquet('{truth}/people.parquet') as people
                on moments.person_id = people.person_id
            inner join read_parquet('{truth}/records*.parquet') as records
                on moments.moment_id = records.moment_id
            inner join {TOUCHPOINTS} as touchpoints
                on touchpoints.record_id
                    = records.channel || '__' || records.entity || ':' || records.record_key
            where people.erased_at is null {intact}
            """
        ).fetchall()
        counted = connection.execute(
            f"""
            select progress.funnel, progress.step_number, count(*)
            from {FUNNEL_PROGRESS} as progress
            where progress.customer_id in ({intact_people})
            group by all
            """
            if intact_people_only
            else "select funnel, step_number, customers_reached from marts.funnel_conversion"
        ).fetchall()
    finally:
        connection.close()
    moments: dict[str, dict[str, list[float]]] = {}
    for person_id, moment, started in visible:
        moments.setdefault(person_id, {}).setdefault(moment, []).append(float(started))
    expected = true_funnel_counts(moments, funnels)
    warehouse_counts = {(funnel, step): reached for funnel, step, reached in counted}
    return [
        {
            "funnel": funnel,
            "step_number": step,
            "moment": funnels[funnel][step - 1][0],
            "warehouse": warehouse_counts.get((funnel, step), 0),
            "truth": count,
        }
        for (funnel, step), count in sorted(expected.items())
    ]


def with_oracle_identity(warehouse: Path, truth: Path, scratch: Path) -> Path:
    """A copy of the warehouse at `scratch` whose journeys are built on the truth's people."""
    shutil.copyfile(warehouse, scratch)
    connection = duckdb.connect(str(scratch))
    try:
        connection.execute(
            f"""
            create or replace table {BRIDGE} as
            -- Every staged record, by its hub row (or its only row when it has no
            -- identifier), not the resolved bridge: the resolved graph's erasures can take
            -- records of other people with them (anonymous events on a household tablet
            -- that the graph gave an erased member), which a perfect graph would keep.
            select
                occurrences.record_id,
                occurrences.source_stream,
                occurrences.occurred_at,
                truth.person_id as customer_id,
                occurrences.identifier_type as resolved_by,
                'resolved' as resolution
            from identity.int_identity__occurrences as occurrences
            inner join read_parquet('{truth}/records*.parquet') as truth
                on occurrences.record_id
                    = truth.channel || '__' || truth.entity || ':' || truth.record_key
            inner join read_parquet('{truth}/people.parquet') as people
                on truth.person_id = people.person_id
            where
                (occurrences.is_hub or occurrences.hub_node_id is null)
                -- A perfect identity graph would erase all of an erased person's records.
                and people.erased_at is null
            """
        )
    finally:
        connection.close()
    # Every customer is a different one now: rebuild the layer instead of comparing it with
    # the state the resolved customers left.
    build_journey_layer(scratch, "--full-refresh")
    return scratch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="default: CONNECT360_WAREHOUSE")
    parser.add_argument("--truth", type=Path, help="default: CONNECT360_TRUTH_DIR")
    parser.add_argument(
        "--build", action="store_true", help="rebuild the journey models on the warehouse first"
    )
    parser.add_argument(
        "--oracle-identity",
        action="store_true",
        help="also measure the moment rules alone, on the truth's people (scratch copy)",
    )
    parser.add_argument(
        "--keep-oracle",
        type=Path,
        metavar="PATH",
        help="with --oracle-identity: write the truth-identity warehouse here and keep it",
    )
    arguments = parser.parse_args(argv)
    settings = Settings.from_env()
    warehouse = arguments.warehouse or settings.warehouse_path
    truth = arguments.truth or settings.truth_dir
    if arguments.build:
        build_journey_layer(warehouse, "--full-refresh")
    runs = [("resolved identity", warehouse)]
    scratch_folder = None
    try:
        if arguments.oracle_identity:
            if arguments.keep_oracle:
                scratch = arguments.keep_oracle
            else:
                scratch_folder = Path(tempfile.mkdtemp(prefix="connect360-oracle-"))
                scratch = scratch_folder / "warehouse.duckdb"
            runs.append(("truth identity", with_oracle_identity(warehouse, truth, scratch)))
        for label, path in runs:
            for figures in measure(path, truth):
                print(json.dumps({"identity": label} | figures))
            for step in compare_funnels(path, truth):
                print(json.dumps({"identity": label} | step))
        if arguments.oracle_identity:
            for step in compare_funnels(runs[-1][1], truth, intact_people_only=True):
                print(json.dumps({"identity": "truth identity", "people": "intact"} | step))
    finally:
        if scratch_folder is not None:
            shutil.rmtree(scratch_folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
