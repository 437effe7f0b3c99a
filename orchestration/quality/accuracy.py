"""The consent suite against the simulator's truth: is every injected violation caught by its rule?

``python -m orchestration.quality.accuracy --warehouse W --truth T`` runs the ``consent_rules``
suite on every landing day of W (in a scratch quality folder) and compares the sends each rule
failed with the truth's violations of that rule. For each rule it prints the violations in the
truth, those caught, those missed and the sends flagged that the truth does not list, with the
reason where the warehouse can tell it (the send's consent record was quarantined on arrival, or
the customer's time zone is unknown).
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


def flagged_sends(warehouse: Path) -> dict[str, set[str]]:
    """The send ids each consent rule failed, over every landing day."""
    suite = suite_named("consent_rules")
    with tempfile.TemporaryDirectory() as scratch:
        context, outcome = validate_warehouse(warehouse, suite, Path(scratch))
        flagged: dict[str, set[str]] = defaultdict(set)
        for key in outcome.result_keys:
            result = context.validation_results_store.get(key)
            for rule, expectation in zip(suite.rules, result.results, strict=True):
                for row in (expectation.result or {}).get("unexpected_index_list") or []:
                    flagged[rule].add(row["send_id"])
    return flagged


def compare(warehouse: Path, truth: Path) -> list[dict[str, object]]:
    flagged = flagged_sends(warehouse)
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        truth_rows = connection.execute(
            f"select rule, record_key from '{truth}/violations.parquet' where entity = 'sends'"
        ).fetchall()
        unknown_zone = {
            row[0]
            for row in connection.execute(
                "select send_id from marts.marketing_send_compliance "
                "where channel_has_quiet_hours and time_zone_source = 'unknown'"
            ).fetchall()
        }
        in_mart = {
            row[0]
            for row in connection.execute(
                "select send_id from marts.marketing_send_compliance"
            ).fetchall()
        }
        quarantined_consent = connection.execute(
            "select count(*) from quarantine.consent__events"
        ).fetchone()[0]
    finally:
        connection.close()
    expected: dict[str, set[str]] = defaultdict(set)
    for rule, send_id in truth_rows:
        expected[rule].add(send_id)
    report = []
    for rule in suite_named("consent_rules").rules:
        truth_sends, found = expected[rule], flagged[rule]
        missed = truth_sends - found
        report.append(
            {
                "rule": rule,
                "in_truth": len(truth_sends),
                "caught": len(truth_sends & found),
                "missed": len(missed),
                "missed_unattributed_send": len(missed - in_mart),
                "missed_unknown_time_zone": len(missed & unknown_zone),
                "flagged_not_in_truth": len(found - truth_sends),
                "quarantined_consent_records": quarantined_consent,
            }
        )
    return report


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
            f"{row['missed_unattributed_send']:>10}{row['missed_unknown_time_zone']:>10}"
            f"{row['flagged_not_in_truth']:>7}"
        )
    print(
        f"consent records quarantined on arrival: {rows[0]['quarantined_consent_records']} "
        "(sends they would have allowed show as sent without an opt-in)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
