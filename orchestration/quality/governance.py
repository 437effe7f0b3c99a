"""The governance summary: one page beside the Data Docs for governance reviewers.

It shows consent coverage by purpose, consent-rule violations by rule for every validated batch
(from the Great Expectations results, so the page and the Data Docs agree), erasure requests
received and honoured, the personal-data inventory from the dbt column tags, and the owner of
each source. Only counts, rule names, landing days and the names of columns and sources
appear on it: it names no record.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.quality.suites import (
    ERASED_REQUESTS,
    ERASURE_ARRIVALS,
    SUITES,
    dbt_manifest,
    parameters,
    personal_data_columns,
)

SUMMARY_FILE = "governance.html"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #ccd; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #eef; } td.number { text-align: right; }
.failed { color: #a40000; font-weight: 600; } .passed { color: #216e1f; }
"""


def _table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, int | float):
                cells.append(f'<td class="number">{value:,}</td>')
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def consent_coverage(connection: duckdb.DuckDBPyConnection) -> list[list[object]]:
    """Per purpose: customers whose consent in force is an opt-in, an opt-out, or none."""
    if not all(_exists(connection, "marts", table) for table in ("consent_ledger", "customers")):
        return []
    rows = connection.execute(
        """
        with current_consent as (
            select purpose, action, count(*) as holders
            from marts.consent_ledger
            where valid_to is null
            group by purpose, action
        ),
        all_customers as (select count(*) as customers from marts.customers)
        select
            current_consent.purpose,
            sum(case when current_consent.action = 'opt_in' then holders else 0 end),
            sum(case when current_consent.action = 'opt_out' then holders else 0 end),
            max(all_customers.customers)
        from current_consent
        cross join all_customers
        group by current_consent.purpose
        order by current_consent.purpose
        """
    ).fetchall()
    return [
        [purpose, opted_in, opted_out, f"{opted_in / customers:.1%}" if customers else "-"]
        for purpose, opted_in, opted_out, customers in rows
    ]


def violations_by_batch(context: Any) -> list[list[object]]:
    """Every stored validation: when, which batch of landing days, and failures per rule."""
    rules_of = {suite.name: suite.rules for suite in SUITES}
    store = context.validation_results_store
    rows = []
    for key in store.list_keys():
        suite = key.expectation_suite_identifier.name
        if suite not in rules_of:
            continue
        result = store.get(key)
        counts = {}
        for position, expectation in enumerate(result.results):
            rule = rules_of[suite][position] if position < len(rules_of[suite]) else "?"
            counts[rule] = int((expectation.result or {}).get("unexpected_count") or 0)
        rows.append(
            [
                str(key.run_id.run_time)[:19],
                suite,
                str(key.batch_identifier),
                "passed" if result.success else "failed",
                ", ".join(f"{rule}: {count}" for rule, count in counts.items()),
            ]
        )
    return sorted(rows, key=lambda row: (row[0], row[1], row[2]))


def violation_totals(rows: list[list[object]]) -> list[list[object]]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for part in str(row[4]).split(", "):
            if ": " in part:
                rule, count = part.rsplit(": ", 1)
                totals[rule] += int(count)
    return [[rule, count] for rule, count in sorted(totals.items())]


def erasures(connection: duckdb.DuckDBPyConnection) -> list[list[object]]:
    """Requests by status; of the erased, those whose subject a source kept sending records
    about after the grace period (the erasure was not honoured there)."""
    if not _exists(connection, "identity", "identity_erasure_register"):
        return []
    grace = parameters()["erasure_grace_seconds"]
    return [
        [status, count, not_honoured]
        for status, count, not_honoured in connection.execute(
            f"with {ERASED_REQUESTS}, late as (select distinct request_id "
            f"from ({ERASURE_ARRIVALS}) as arrivals where seconds_after_request > {grace}) "
            "select status, count(*), count(late.request_id) "
            "from identity.identity_erasure_register as register "
            "left join late on register.request_id = late.request_id "
            "group by status order by status"
        ).fetchall()
    ]


def pii_inventory(manifest: dict[str, Any]) -> list[list[object]]:
    """Columns tagged ``pii`` (personal data in the clear) or marked pseudonymized."""
    return [list(row) for row in personal_data_columns(manifest)]


def source_owners(manifest: dict[str, Any]) -> list[list[object]]:
    rows = []
    for source in manifest["sources"].values():
        meta = source.get("meta") or (source.get("config") or {}).get("meta") or {}
        rows.append(
            [f"{source['source_name']}.{source['name']}", meta.get("owner") or "(no owner)"]
        )
    return sorted(rows)


def write_summary(connection: duckdb.DuckDBPyConnection, context: Any, directory: Path) -> Path:
    """Write ``governance.html`` under the quality folder; return its path."""
    manifest = dbt_manifest()
    batches = violations_by_batch(context)
    inventory = pii_inventory(manifest)
    clear = [row for row in inventory if row[3] == "personal data (clear)"]
    in_marts = [row for row in clear if row[0] == "marts"]
    sections = [
        "<h1>360Connect governance summary</h1>",
        f"<p>Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The Data Docs beside this page "
        '(<a href="data_docs/index.html">data_docs/index.html</a>) list every validation with '
        "its failing records named by ids (source record keys, send, touchpoint and customer "
        "ids, pseudonymous subject keys), never by personal data. The probabilistic matching "
        "model that may merge customers, with every parameter and the pairs nearest its "
        "threshold, is on "
        '<a href="match_model.html">match_model.html</a>; every merge it made of two CRM '
        "contacts (or other one-per-person ids) is listed in identity.identity_match_merges."
        "</p>",
        "<h2>Consent coverage by purpose</h2>",
        _table(
            ["purpose", "opted in", "opted out", "share of customers opted in"],
            consent_coverage(connection),
        ),
        "<h2>Violations by rule, all validated batches</h2>",
        _table(["rule", "violations"], violation_totals(batches)),
        "<h2>Validations over time</h2>",
        _table(
            ["validated at (UTC)", "suite", "landing days", "status", "failures by rule"], batches
        ),
        "<h2>Erasure requests</h2>",
        _table(
            ["status", "requests", "of them, a source kept sending after the grace period"],
            erasures(connection),
        ),
        "<h2>Personal-data inventory (dbt column tags)</h2>",
        f"<p>{len(clear)} columns hold personal data in the clear ({len(in_marts)} of them in "
        f"marts, which must be none); {len(inventory) - len(clear)} hold pseudonymous keys.</p>",
        _table(["schema", "model", "column", "kind"], inventory),
        "<h2>Source owners</h2>",
        _table(["source", "owner"], source_owners(manifest)),
    ]
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>360Connect governance"
        f"</title><style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>"
    )
    path = directory / SUMMARY_FILE
    path.write_text(page)
    return path
