"""How well identity resolution matches the simulator's ground truth: ``make accuracy``.

Each source record the truth attributes to a person is compared with the customer the bridge
(``identity.int_identity__record_customers``) gives it:

- pairwise precision: of the record pairs put in one customer, the share that belong to one
  person; pairwise recall: of the record pairs of one person, the share put in one customer;
- people wrongly split (their records are in more than one customer) and wrongly merged (they
  share a customer with somebody else);
- records the pipeline could not attribute are counted apart, not paired, by the bridge's
  `resolution`: no usable identifier (a cash receipt, a call from a blocked number), or only one
  several people share (a call from a household landline two CRM contacts hold);
- linkable recall: recall over the pairs the data can support at all. Two records of one
  person are linkable when a chain of the person's own records, each sharing an identifier
  with the next, joins them. A cookie that never meets a login, or a support request from an
  address used nowhere else, is the same person in the truth but not in any data; the
  `recall_ceiling` is the share of a person's pairs that are linkable. The same figures over
  chains of the person's *own* identifiers (no other person's record carries them: not the
  family tablet, not the household landline) are `own_identifier_linkable_recall` and
  `own_identifier_recall_ceiling`;
- distinguishable precision: precision over the pairs the data lets a resolver judge. A
  record is *misleading* when everything its own chain of identifiers reaches is carried by
  somebody else too: a tablet one household member signs in on and another browses on signed
  out, a landline only the other member ever gave. Its records carry nothing of their own
  person, so any resolver that links records sharing an identifier puts them with the other
  one; the pairs of different people of which one record is misleading are the
  `forced_false_pairs`, and distinguishable precision leaves them out.

With ``--build``, the probabilistic matching step runs first (restricted attributes, then
Splink), and the identity models are rebuilt without and with its matches; both results are
reported.

CRM contacts are also measured as contacts, the way a CRM team counts duplicates. A contact is
a CRM system and a ``crm_id``: its versions (one record each) are one contact and never a pair.
Its person is the truth's, its cluster the customer of its latest version (none: a cluster of its
own). Pairwise precision, recall and F1 are reported for

- de-duplication: pairs of contacts of the primary CRM (``crm_system`` blank or absent);
- linkage: pairs of one primary contact and one contact of another CRM system (after a merger),

for the project and, with ``--baseline`` (the default with ``--build``), for a plain Splink
de-duplication of the same contacts (``orchestration.identity.baseline``), side by side with the
time each took. Beside them, the attribute ceiling (``orchestration.identity.attribute_ceiling``):
how many true pairs are indistinguishable (two contacts of different people agree at least as
well on every field, so a matcher deciding from how the fields agree merges both pairs or
neither), the recall and F1 left when those are never merged, and the project's recall over
the pairs that can be told apart. The project's figures are those of the bridge the command
leaves (with ``--build``, the one with probabilistic matches). Contacts whose latest version
has no truth person, or is not in the bridge (an erased customer's), are left out of both.

With ``--fingerprint-study``, the command also reports what linking browsers and app installs by
their network fingerprint (IP address and user agent, or device model) would do to the figures:
the only signal left in the data for the pairs that are not linkable. It is a measurement, not a
pipeline option: 360Connect does not fingerprint, because addresses are shared by households,
offices and carriers, and linking people by them without consent is the tracking the consent
rules exist to prevent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.identity import baseline
from orchestration.identity.attribute_ceiling import attribute_ceilings
from orchestration.identity.matching import run_matching
from orchestration.settings import Settings
from orchestration.transform.assets import run_dbt

BRIDGE = "identity.int_identity__record_customers"


def measure(warehouse: Path, truth: Path) -> dict[str, object]:
    """The accuracy figures of the warehouse's current bridge against the truth folder."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        connection.execute(
            f"""
            create temp table judged as
            select truth.person_id, bridge.customer_id, bridge.resolution
            from read_parquet('{truth}/records*.parquet') as truth
            inner join {BRIDGE} as bridge
                on bridge.record_id
                    = truth.channel || '__' || truth.entity || ':' || truth.record_key
            where truth.person_id is not null
            """
        )
        connection.execute(
            f"""
            create temp table judged_records as
            select bridge.record_id, truth.person_id, bridge.customer_id, hubs.hub_node_id
            from read_parquet('{truth}/records*.parquet') as truth
            inner join {BRIDGE} as bridge
                on bridge.record_id
                    = truth.channel || '__' || truth.entity || ':' || truth.record_key
            inner join (
                select record_id, hub_node_id from identity.int_identity__occurrences
                where is_hub or hub_node_id is null
            ) as hubs on hubs.record_id = bridge.record_id
            where truth.person_id is not null
            """
        )
        (records, unattributed) = connection.execute(
            "select count(*), count(*) filter (where customer_id is null) from judged"
        ).fetchone()
        unattributed_by_resolution = dict(
            connection.execute(
                "select resolution, count(*) from judged where customer_id is null "
                "group by resolution order by resolution"
            ).fetchall()
        )
        precision, recall, split, merged, people, customers = connection.execute(
            """
            with attributed as (select * from judged where customer_id is not null),
            cells as (
                select person_id, customer_id, count(*) as n from attributed group by all
            ),
            together as (select sum(n * (n - 1) / 2) as pairs from cells),
            by_customer as (
                select sum(n * (n - 1) / 2) as pairs from (
                    select customer_id, count(*) as n from attributed group by customer_id
                )
            ),
            by_person as (
                select sum(n * (n - 1) / 2) as pairs from (
                    select person_id, count(*) as n from attributed group by person_id
                )
            ),
            mixed_customers as (
                select customer_id from cells group by customer_id having count(*) > 1
            )
            select
                together.pairs / nullif(by_customer.pairs, 0),
                together.pairs / nullif(by_person.pairs, 0),
                (select count(*) from (
                    select person_id from cells group by person_id having count(*) > 1
                )),
                (select count(distinct person_id) from cells
                    where customer_id in (select customer_id from mixed_customers)),
                (select count(distinct person_id) from cells),
                (select count(distinct customer_id) from cells)
            from together, by_customer, by_person
            """
        ).fetchone()
        linkable_recall, ceiling = _linkable_recall(connection)
        forced, distinguishable_precision = _distinguishable_precision(connection)
        own_linkable_recall, own_ceiling = _linkable_recall(connection, own_identifiers_only=True)
    finally:
        connection.close()
    return {
        "records": records,
        "unattributed_records": unattributed,
        "unattributed_by_resolution": unattributed_by_resolution,
        "pairwise_precision": round(float(precision or 0), 6),
        "pairwise_recall": round(float(recall or 0), 6),
        "people": people,
        "customers": customers,
        "people_wrongly_split": split,
        "people_wrongly_merged": merged,
        "linkable_recall": round(linkable_recall, 6),
        "recall_ceiling": round(ceiling, 6),
        "own_identifier_linkable_recall": round(own_linkable_recall, 6),
        "own_identifier_recall_ceiling": round(own_ceiling, 6),
        "forced_false_pairs": forced,
        "distinguishable_precision": round(distinguishable_precision, 6),
    }


@dataclass(frozen=True)
class Contact:
    """A CRM contact as the pair arithmetic sees it."""

    system: str | None  # None: the primary CRM
    crm_id: str
    person_id: str
    cluster: str | None  # None: no cluster, so a cluster of its own


@dataclass(frozen=True)
class PairCounts:
    true_pairs: int  # of one person
    predicted_pairs: int  # in one cluster
    correct_pairs: int  # both

    def figures(self) -> dict[str, int | float | None]:
        """Precision, recall and F1 with the counts. A ratio of no pairs is None, not 0: with
        no true pairs, say, recall is undefined; F1 is 0 when pairs exist and none is right."""
        correct, predicted, true = self.correct_pairs, self.predicted_pairs, self.true_pairs
        return {
            "precision": round(correct / predicted, 6) if predicted else None,
            "recall": round(correct / true, 6) if true else None,
            "f1": round(2 * correct / (predicted + true), 6) if predicted + true else None,
            "true_pairs": true,
            "predicted_pairs": predicted,
            "correct_pairs": correct,
        }


def _cluster_of(contact: Contact) -> Hashable:
    return contact.cluster if contact.cluster is not None else (contact.system, contact.crm_id)


def _within(keys: Iterable[Hashable]) -> int:
    """Pairs of items with equal keys."""
    return sum(n * (n - 1) // 2 for n in Counter(keys).values())


def _across(left: Iterable[Hashable], right: Iterable[Hashable]) -> int:
    """Pairs of one left and one right item with equal keys."""
    right_counts = Counter(right)
    return sum(n * right_counts[key] for key, n in Counter(left).items())


def deduplication_pairs(contacts: Iterable[Contact]) -> PairCounts:
    """Pairs of contacts of the primary CRM: of one person, in one cluster, both."""
    primary = [contact for contact in contacts if contact.system is None]
    return PairCounts(
        true_pairs=_within(contact.person_id for contact in primary),
        predicted_pairs=_within(_cluster_of(contact) for contact in primary),
        correct_pairs=_within((contact.person_id, _cluster_of(contact)) for contact in primary),
    )


def linkage_pairs(contacts: Iterable[Contact]) -> PairCounts:
    """Pairs of one primary contact and one contact of another CRM system."""
    primary, other = [], []
    for contact in contacts:
        (primary if contact.system is None else other).append(contact)
    keys = (
        lambda contact: contact.person_id,
        _cluster_of,
        lambda contact: (contact.person_id, _cluster_of(contact)),
    )
    true, predicted, correct = (_across(map(key, primary), map(key, other)) for key in keys)
    return PairCounts(true_pairs=true, predicted_pairs=predicted, correct_pairs=correct)


@dataclass(frozen=True)
class CrmContacts:
    #: The contacts measured, each with its latest version's record id and its customer.
    judged: list[tuple[str, Contact]]
    #: The latest version of every contact, measured or not: what the baseline de-duplicates.
    latest_record_ids: list[str]
    without_person: int
    not_in_bridge: int


def crm_contacts(connection: duckdb.DuckDBPyConnection, truth: Path) -> CrmContacts:
    """Every CRM contact of the raw table, by its latest version, with its person and customer.

    The system is read as staging reads it: trimmed, lower case, blank for the primary CRM."""
    rows = connection.execute(
        f"""
        with versions as (
            select distinct
                record_key,
                nullif(lower(trim(payload ->> '$.crm_system')), '') as crm_system,
                payload ->> '$.crm_id' as crm_id,
                occurred_at
            from raw.crm__contacts
        ),
        latest as (
            select * from versions
            qualify row_number() over (
                partition by crm_system, crm_id order by occurred_at desc, record_key desc
            ) = 1
        ),
        people as (
            select record_key, min(person_id) as person_id
            from read_parquet('{truth}/records*.parquet')
            where channel = 'crm' and entity = 'contacts' and person_id is not null
            group by record_key
        )
        select
            latest.crm_system,
            latest.crm_id,
            'crm__contacts:' || latest.record_key as record_id,
            people.person_id,
            bridge.record_id is not null as in_bridge,
            bridge.customer_id
        from latest
        left join people on people.record_key = latest.record_key
        left join {BRIDGE} as bridge on bridge.record_id = 'crm__contacts:' || latest.record_key
        order by latest.crm_system nulls first, latest.crm_id
        """
    ).fetchall()
    judged = [
        (record_id, Contact(system, crm_id, person, customer))
        for system, crm_id, record_id, person, in_bridge, customer in rows
        if person is not None and in_bridge
    ]
    return CrmContacts(
        judged=judged,
        latest_record_ids=[row[2] for row in rows],
        without_person=sum(row[3] is None for row in rows),
        not_in_bridge=sum(row[3] is not None and not row[4] for row in rows),
    )


def crm_comparison(
    warehouse: Path,
    truth: Path,
    *,
    project_seconds: dict[str, float] | None = None,
    baseline_threshold: float | None = None,
) -> list[dict[str, object]]:
    """The CRM de-duplication and linkage figures of the project's bridge and, with a
    threshold, of the plain Splink baseline: a line on the contacts, then one per measure."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        contacts = crm_contacts(connection, truth)
        ceilings = attribute_ceilings(
            connection,
            [(record_id, c.system, c.person_id, c.cluster) for record_id, c in contacts.judged],
        )
        run = (
            baseline.run_baseline(connection, contacts.latest_record_ids, baseline_threshold)
            if baseline_threshold is not None
            else None
        )
    finally:
        connection.close()
    project = [contact for _, contact in contacts.judged]
    measured = {"project": (project, project_seconds)}
    if run is not None:
        clustered = [
            dataclasses.replace(contact, cluster=run.clusters.get(record_id))
            for record_id, contact in contacts.judged
        ]
        measured["baseline"] = (clustered, round(run.seconds, 1))
    systems = Counter(contact.system for contact in project)
    lines: list[dict[str, object]] = [
        {
            "run": "crm contacts",
            "contacts": len(project),
            "primary_system": systems.pop(None, 0),
            "other_systems": dict(sorted(systems.items())),
            "left_out_without_person": contacts.without_person,
            "left_out_not_in_bridge": contacts.not_in_bridge,
        }
        | ({"baseline": run.summary()} if run is not None else {})
    ]
    for label, pairs, primary_only in (
        ("crm deduplication", deduplication_pairs, True),
        ("crm linkage", linkage_pairs, False),
    ):
        line: dict[str, object] = {
            "run": label,
            "attribute_ceiling": ceilings[label].figures() if ceilings else None,
        }
        for who, (judged, seconds) in measured.items():
            counted = [c for c in judged if c.system is None or not primary_only]
            line[who] = pairs(judged).figures() | {
                "contacts_without_cluster": sum(c.cluster is None for c in counted),
                "seconds": seconds,
            }
        lines.append(line)
    return lines


def _linkable_recall(
    connection: duckdb.DuckDBPyConnection, *, own_identifiers_only: bool = False
) -> tuple[float, float]:
    """Recall over the pairs a chain of the person's own shared identifiers joins, and the share
    of the person's pairs such chains join (see above). With `own_identifiers_only`, a chain may
    only pass through identifiers no other person's record carries, and a record whose hub
    another person carries too joins no chain: temp table ``placed_own``. Otherwise temp
    table ``placed`` (which ``_distinguishable_precision`` reads, with ``labels``)."""
    placed = "placed_own" if own_identifiers_only else "placed"
    cluster = "coalesce(labels.label, judged_records.hub_node_id)"
    if own_identifiers_only:
        # A record whose hub others carry too is a cluster alone.
        cluster = (
            "case when node_people.people > 1 then 'record:' || judged_records.record_id "
            f"else cast({cluster} as varchar) end"
        )
    connection.execute(
        """
        create or replace temp table node_people as
        select occurrences.node_id as node, count(distinct judged_records.person_id) as people
        from identity.int_identity__occurrences as occurrences
        inner join judged_records using (record_id)
        where occurrences.node_id is not null
        group by occurrences.node_id;

        create or replace temp table person_links as
        select distinct
            judged_records.person_id, occurrences.hub_node_id as a, occurrences.node_id as b
        from identity.int_identity__occurrences as occurrences
        inner join judged_records using (record_id)
        where not occurrences.is_hub and occurrences.node_id is not null
            and occurrences.node_id <> occurrences.hub_node_id
        """
    )
    if own_identifiers_only:
        connection.execute(
            """
            delete from person_links
            where a in (select node from node_people where people > 1)
                or b in (select node from node_people where people > 1)
            """
        )
    connection.execute(
        """
        create or replace temp table adjacent as
        select person_id, a as node, b as neighbour from person_links
        union all
        select person_id, b, a from person_links
        """
    )
    _components(connection, partition="person_id")
    # Each attributed record with its person's cluster: the part of the person's records their
    # own identifiers chain together (a record whose hub is in no link is a cluster alone).
    connection.execute(
        f"""
        create or replace temp table {placed} as
        select judged_records.person_id, judged_records.customer_id, judged_records.hub_node_id,
            {cluster} as cluster
        from judged_records
        left join labels
            on labels.person_id = judged_records.person_id
            and labels.node = judged_records.hub_node_id
        left join node_people on node_people.node = judged_records.hub_node_id
        where judged_records.customer_id is not null
        """
    )
    linkable, supported, everything = connection.execute(
        f"""
        with pairs as (
            select
                sum(n * (n - 1) / 2) filter (where level = 'both') as both_pairs,
                sum(n * (n - 1) / 2) filter (where level = 'cluster') as cluster_pairs,
                sum(n * (n - 1) / 2) filter (where level = 'person') as person_pairs
            from (
                select 'both' as level, count(*) as n from {placed}
                group by person_id, cluster, customer_id
                union all
                select 'cluster', count(*) from {placed} group by person_id, cluster
                union all
                select 'person', count(*) from {placed} group by person_id
            )
        )
        select both_pairs, cluster_pairs, person_pairs from pairs
        """
    ).fetchone()
    return float(linkable) / float(supported), float(supported) / float(everything)


def _distinguishable_precision(connection: duckdb.DuckDBPyConnection) -> tuple[int, float]:
    """The false pairs misleading records force, and precision without them (see above). Reads
    the temp tables ``labels`` and ``placed`` that ``_linkable_recall`` leaves."""
    forced, precision = connection.execute(
        """
        with cluster_nodes as (
            select distinct person_id, label as cluster, node from labels
            union
            select person_id, cluster, hub_node_id from placed where hub_node_id is not null
        ),
        node_people as (
            select node, count(distinct person_id) as people from cluster_nodes group by node
        ),
        misleading as (
            select cluster_nodes.person_id, cluster_nodes.cluster
            from cluster_nodes inner join node_people using (node)
            group by all
            having bool_and(node_people.people > 1)
        ),
        cells as (
            select placed.customer_id, placed.person_id,
                count(*) as n,
                count(*) filter (where misleading.cluster is null) as own
            from placed
            left join misleading
                on misleading.person_id = placed.person_id
                and misleading.cluster = placed.cluster
            group by all
        ),
        customers as (
            select customer_id,
                sum(n) as n, sum(n * n) as n_squared, sum(own) as own, sum(own * own) as own_squared
            from cells group by customer_id
        ),
        pairs as (
            select
                sum(n * (n - 1) / 2) as predicted,
                sum((n * n - n_squared) / 2) as false_pairs,
                sum((own * own - own_squared) / 2) as unforced_false_pairs
            from customers
        )
        select
            false_pairs - unforced_false_pairs,
            1 - unforced_false_pairs / nullif(predicted - (false_pairs - unforced_false_pairs), 0)
        from pairs
        """
    ).fetchone()
    return int(forced or 0), float(precision if precision is not None else 1.0)


def _components(connection: duckdb.DuckDBPyConnection, partition: str | None = None) -> None:
    """Temp table ``labels(node, label)``: each node of temp table ``adjacent(node, neighbour)``
    (edges listed both ways) labelled with the least node it reaches, by label propagation. With
    a ``partition`` column in both tables, components stay within one value of it."""
    keys = f"{partition}, node" if partition else "node"
    labelled = f"labels.{partition}, labels.node" if partition else "labels.node"
    on_partition = f"theirs.{partition} = adjacent.{partition} and " if partition else ""
    connection.execute(
        f"create or replace temp table labels as select distinct {keys}, node as label "
        "from adjacent"
    )
    while True:  # The graphs measured here are small per component, so few rounds.
        connection.execute(
            f"""
            create or replace temp table next_labels as
            select {labelled},
                least(labels.label, coalesce(min(theirs.label), labels.label)) as label
            from labels
            left join adjacent using ({keys})
            left join labels as theirs
                on {on_partition}theirs.node = adjacent.neighbour
            group by {labelled}, labels.label
            """
        )
        (changed,) = connection.execute(
            f"""
            select count(*) from next_labels inner join labels using ({keys})
            where next_labels.label <> labels.label
            """
        ).fetchone()
        connection.execute("create or replace temp table labels as select * from next_labels")
        if changed == 0:
            return


def fingerprint_study(
    warehouse: Path, truth: Path, limits: tuple[int | None, ...] = (None, 3, 2)
) -> list[dict[str, object]]:
    """Pairwise precision and recall if customers sharing a network fingerprint were merged.

    A fingerprint is a web or app event's IP address with its user agent (web) or device model
    (app). For each limit, fingerprints seen with more customers than the limit are ignored, as
    the identity graph ignores a shared device; the rest merge their customers.
    """
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        connection.execute(
            f"""
            create temp table judged as
            select truth.person_id, bridge.customer_id
            from read_parquet('{truth}/records*.parquet') as truth
            inner join {BRIDGE} as bridge
                on bridge.record_id
                    = truth.channel || '__' || truth.entity || ':' || truth.record_key
            where truth.person_id is not null and bridge.customer_id is not null
            """
        )
        connection.execute(
            f"""
            create temp table prints as
            select distinct bridge.customer_id,
                events.payload ->> '$.context.ip' || ' ' || coalesce(
                    events.payload ->> '$.context.userAgent',
                    events.payload ->> '$.context.device.model', ''
                ) as fingerprint
            from (
                select 'web__events:' || record_key as record_id, payload from raw.web__events
                union all
                select 'mobile_app__events:' || record_key, payload from raw.mobile_app__events
            ) as events
            inner join {BRIDGE} as bridge using (record_id)
            where bridge.customer_id is not null and events.payload ->> '$.context.ip' is not null
            """
        )
        results = []
        for limit in limits:
            connection.execute(
                f"""
                create or replace temp table edges as
                with usable as (
                    select fingerprint from prints group by fingerprint
                    having count(*) <= {limit if limit is not None else "count(*)"}
                )
                select distinct one.customer_id as a, other.customer_id as b
                from prints as one
                inner join prints as other using (fingerprint)
                where one.fingerprint in (select fingerprint from usable)
                    and one.customer_id <> other.customer_id
                """
            )
            connection.execute(
                "create or replace temp table adjacent as "
                "select a as node, b as neighbour from edges"
            )
            _components(connection)
            together, by_cluster, by_person, merged_customers = connection.execute(
                """
                with placed as (
                    select judged.person_id,
                        coalesce(labels.label, judged.customer_id) as cluster
                    from judged left join labels on labels.node = judged.customer_id
                )
                select
                    (select sum(n * (n - 1) / 2) from (
                        select count(*) as n from placed group by person_id, cluster)),
                    (select sum(n * (n - 1) / 2) from (
                        select count(*) as n from placed group by cluster)),
                    (select sum(n * (n - 1) / 2) from (
                        select count(*) as n from placed group by person_id)),
                    (select count(*) from labels)
                """
            ).fetchone()
            results.append(
                {
                    "fingerprint_customers_at_most": limit,
                    "customers_merged": merged_customers,
                    # No pairs (a warehouse of one-record customers): 0, as `measure` says.
                    "pairwise_precision": round(float(together or 0) / float(by_cluster or 1), 6),
                    "pairwise_recall": round(float(together or 0) / float(by_person or 1), 6),
                }
            )
        return results
    finally:
        connection.close()


def _match(warehouse: Path, env: dict[str, str]) -> dict[str, object]:
    """The probabilistic step as the Dagster asset runs it: attributes, then Splink."""
    run_dbt(["run", "--select", "+restricted_match_attributes"], env)
    connection = duckdb.connect(str(warehouse))
    try:
        return run_matching(connection)
    finally:
        connection.close()


def _rebuild_identity(probabilistic: bool, env: dict[str, str]) -> float:
    started = time.perf_counter()
    variables = json.dumps({"identity_probabilistic_matching": probabilistic})
    # With the staging view over the matches: built before they were written, it selects none.
    run_dbt(
        ["run", "--select", "stg_identity__probabilistic_edges identity", "--vars", variables],
        env,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="default: CONNECT360_WAREHOUSE")
    parser.add_argument("--truth", type=Path, help="default: CONNECT360_TRUTH_DIR")
    parser.add_argument(
        "--build",
        action="store_true",
        help="rebuild the identity models with and without probabilistic matching first",
    )
    parser.add_argument(
        "--fingerprint-study",
        action="store_true",
        help="also report what merging customers by IP address and user agent would do",
    )
    parser.add_argument(
        "--baseline",
        action=argparse.BooleanOptionalAction,
        help="also de-duplicate the CRM contacts with a plain Splink model (default: with --build)",
    )
    parser.add_argument(
        "--baseline-threshold",
        type=float,
        default=baseline.DEFAULT_THRESHOLD,
        help=f"match probability of the baseline's clusters (default {baseline.DEFAULT_THRESHOLD})",
    )
    arguments = parser.parse_args(argv)
    if not 0 < arguments.baseline_threshold < 1:
        parser.error("--baseline-threshold must be a probability between 0 and 1")
    settings = Settings.from_env()
    warehouse = arguments.warehouse or settings.warehouse_path
    truth = arguments.truth or settings.truth_dir
    env = os.environ | {"CONNECT360_WAREHOUSE": str(warehouse)}
    runs = [(False, True), (True, True)] if arguments.build else [(None, False)]
    project_seconds = None
    if arguments.build:
        summary = _match(warehouse, env)
        print(json.dumps({"probabilistic_matching": summary}, default=str))
        project_seconds = {"matching": summary["seconds"]}
    for probabilistic, build in runs:
        seconds = _rebuild_identity(bool(probabilistic), env) if build else None
        label = {None: "as built", False: "deterministic", True: "with probabilistic"}
        figures = {"run": label[probabilistic], "build_seconds": seconds and round(seconds, 1)}
        figures |= measure(warehouse, truth)
        print(json.dumps(figures))
        if probabilistic and project_seconds is not None and seconds:
            project_seconds["identity_build"] = round(seconds, 1)
    with_baseline = arguments.build if arguments.baseline is None else arguments.baseline
    for figures in crm_comparison(
        warehouse,
        truth,
        project_seconds=project_seconds,
        baseline_threshold=arguments.baseline_threshold if with_baseline else None,
    ):
        print(json.dumps(figures))
    if arguments.fingerprint_study:
        for figures in fingerprint_study(warehouse, truth):
            print(json.dumps({"run": "fingerprint study"} | figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
