"""The quality suites against the simulator's truth: is every injected violation caught by its rule?

``python -m orchestration.quality.accuracy --warehouse W --truth T`` runs the ``consent_rules``,
``erasure_at_source`` and ``personal_data_at_source`` suites on every day of W (in a scratch
quality folder) and compares the records each rule failed with the truth's violations of that
rule, record by record:

- the four consent rules, by send;
- ``erasure_not_honoured``: records about an erased subject that a source sent after the grace
  period;
- ``personal_data_in_page_path``: web page views whose path held the visitor's email address
  (redacted in staging; the rule lists the record).

For each rule it prints the violations in the truth, those caught, those missed and the records
flagged that the truth does not list, with the reason where the warehouse can tell it (the record
reached no mart or resolved to no erased subject, or the customer's time zone is unknown), and
the consent records quarantined on arrival (the sends they would have allowed show as sent
without an opt-in). Then what erasures did not reach: the records of erased subjects still in the
customer bridge, by source and by what their customer is known by (``erasure_coverage``).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

import duckdb

from orchestration.quality.runner import validate_warehouse
from orchestration.quality.suites import suite_named
from orchestration.settings import Settings

CONSENT_RULES = suite_named("consent_rules").rules
RULES = (*CONSENT_RULES, "erasure_not_honoured", "personal_data_in_page_path")


def _unexpected_rows(warehouse: Path, suite_name: str) -> dict[str, list[dict]]:
    """Per rule of the suite: the index rows it failed, over every batch."""
    suite = suite_named(suite_name)
    with tempfile.TemporaryDirectory() as scratch:
        context, outcome = validate_warehouse(warehouse, suite, Path(scratch))
        failed: dict[str, list[dict]] = defaultdict(list)
        for key in outcome.result_keys:
            result = context.validation_results_store.get(key)
            for rule, expectation in zip(suite.rules, result.results, strict=True):
                failed[rule] += (expectation.result or {}).get("unexpected_index_list") or []
    return failed


def flagged_records(warehouse: Path) -> dict[str, set[str]]:
    """The records each rule failed, as ``stream:key``."""
    flagged: dict[str, set[str]] = defaultdict(set)
    for rule, rows in _unexpected_rows(warehouse, "consent_rules").items():
        flagged[rule] |= {f"marketing__sends:{row['send_id']}" for row in rows}
    flagged["erasure_not_honoured"] = {
        row["record_id"]
        for row in _unexpected_rows(warehouse, "erasure_at_source")["erasure_not_honoured"]
    }
    flagged["personal_data_in_page_path"] = {
        f"{row['source_stream']}:{row['source_record_key']}"
        for row in _unexpected_rows(warehouse, "personal_data_at_source")["pii_in_free_text"]
    }
    return flagged


def compare(warehouse: Path, truth: Path) -> list[dict[str, object]]:
    flagged = flagged_records(warehouse)
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        truth_rows = connection.execute(
            "select rule, channel || '__' || entity || ':' || record_key "
            f"from '{truth}/violations.parquet'"
        ).fetchall()
        unknown_zone = {
            f"marketing__sends:{row[0]}"
            for row in connection.execute(
                "select send_id from marts.marketing_send_compliance "
                "where channel_has_quiet_hours and time_zone_source = 'unknown'"
            ).fetchall()
        }
        in_marts = {
            f"{row[0]}:{row[1]}"
            for row in connection.execute(
                "select 'marketing__sends', send_id from marts.marketing_send_compliance "
                "union all select source_stream, source_record_key from marts.touchpoints"
            ).fetchall()
        }
        erased_records = {
            row[0]
            for row in connection.execute(
                "select occurrences.record_id from identity.int_identity__occurrences "
                "as occurrences inner join identity.identity_erasure_suppressions as suppressed "
                "on occurrences.hub_node_id = suppressed.node_id"
            ).fetchall()
        }
        quarantined_consent = connection.execute(
            "select count(*) from quarantine.consent__events"
        ).fetchone()[0]
    finally:
        connection.close()
    expected: dict[str, set[str]] = defaultdict(set)
    for rule, record in truth_rows:
        expected[rule].add(record)
    report = []
    for rule in RULES:
        truth_records, found = expected[rule], flagged[rule]
        missed = truth_records - found
        # What the warehouse cannot judge: an erasure rule's record that resolved to no erased
        # subject; any other rule's record that reached no mart.
        judged = erased_records if rule == "erasure_not_honoured" else in_marts
        report.append(
            {
                "rule": rule,
                "in_truth": len(truth_records),
                "caught": len(truth_records & found),
                "missed": len(missed),
                "missed_unattributed": len(missed - judged),
                "missed_unknown_time_zone": len(missed & unknown_zone),
                "flagged_not_in_truth": len(found - truth_records),
                "quarantined_consent_records": quarantined_consent,
            }
        )
    return report


#: What the customer holding an erased subject's record is known by, and what that says.
_COVERAGE_KINDS = {
    "anonymous_id": "a cookie never seen with any identifier of theirs: the pipeline cannot know",
    "chat_contact_id": "a chat visitor never identified: the pipeline cannot know",
    "social_handle": "a social handle never tied to them: the pipeline cannot know",
    None: "no identifier at all (a cash receipt): the pipeline cannot know",
}


def erasure_coverage(warehouse: Path, truth: Path) -> list[dict[str, object]]:
    """Per source stream and kind of customer: the records of erased subjects (the truth's
    people whose request was honoured) that still resolve to a customer, against all of their
    records that were loaded. Each remaining record's customer is judged by its identifiers: a
    customer known only by a cookie, a chat visitor id, a social handle or by nothing is one
    the pipeline cannot tie to the subject; a customer with other identifiers is a link
    identity resolution missed."""
    connection = duckdb.connect()
    try:
        connection.execute(f"attach '{warehouse}' as warehouse (read_only)")
        connection.execute(
            f"create temp view truth as select * from read_parquet('{truth}/records.parquet')"
        )
        return [
            {"stream": stream, "customer": kind, "records": records, "of": loaded}
            for stream, kind, records, loaded in connection.execute(
                """
                with erased_people as (
                    select distinct truth.person_id
                    from warehouse.identity.identity_erasure_register as register
                    inner join truth
                        on truth.channel = 'consent' and truth.entity = 'erasure_requests'
                        and truth.record_key = register.request_id
                    where register.status = 'erased'
                ),
                theirs as (
                    select truth.channel || '__' || truth.entity || ':' || truth.record_key
                        as record_id
                    from truth inner join erased_people using (person_id)
                    where not truth.is_duplicate and truth.malformed_kind is null
                ),
                remaining as (
                    select bridge.record_id, bridge.source_stream, bridge.customer_id,
                        bridge.customer_id is null as unresolved
                    from warehouse.identity.int_identity__record_customers as bridge
                    inner join theirs using (record_id)
                ),
                known_by as (
                    select bridge.customer_id,
                        case when count(distinct occurrences.identifier_type) = 1
                            then min(occurrences.identifier_type) end as only_type,
                        count(occurrences.identifier_type) as identifiers
                    from warehouse.identity.int_identity__record_customers as bridge
                    left join warehouse.identity.int_identity__occurrences as occurrences
                        using (record_id)
                    where bridge.customer_id in (select customer_id from remaining)
                    group by bridge.customer_id
                )
                select
                    remaining.source_stream,
                    case when remaining.unresolved or known_by.identifiers = 0 then 'none'
                        else coalesce(known_by.only_type, 'identified') end,
                    count(*),
                    (select count(*) from theirs)
                from remaining left join known_by using (customer_id)
                group by all
                order by 3 desc, 1
                """
            ).fetchall()
        ]
    finally:
        connection.close()


def _print_erasure_coverage(rows: list[dict[str, object]]) -> None:
    loaded = rows[0]["of"] if rows else 0
    remaining = sum(int(row["records"]) for row in rows)
    print(f"\nerased subjects' records still under a customer: {remaining} of {loaded} loaded")
    for row in rows:
        kind = row["customer"]
        meaning = _COVERAGE_KINDS.get(
            None if kind == "none" else kind,
            "known by other identifiers: a link identity resolution did not make",
        )
        print(f"  {row['records']:>5}  {row['stream']:<26} {kind:<16} {meaning}")


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path)
    parser.add_argument("--truth", type=Path, default=settings.truth_dir)
    arguments = parser.parse_args(argv)
    rows = compare(arguments.warehouse, arguments.truth)
    print(
        f"{'rule':<28}{'truth':>7}{'caught':>8}{'missed':>8}{'(unattr.)':>10}{'(no zone)':>10}"
        f"{'extra':>7}"
    )
    for row in rows:
        print(
            f"{row['rule']:<28}{row['in_truth']:>7}{row['caught']:>8}{row['missed']:>8}"
            f"{row['missed_unattributed']:>10}{row['missed_unknown_time_zone']:>10}"
            f"{row['flagged_not_in_truth']:>7}"
        )
    print(
        f"consent records quarantined on arrival: {rows[0]['quarantined_consent_records']} "
        "(sends they would have allowed show as sent without an opt-in)"
    )
    _print_erasure_coverage(erasure_coverage(arguments.warehouse, arguments.truth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
