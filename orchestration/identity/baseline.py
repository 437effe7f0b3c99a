"""A plain Splink de-duplication of the CRM contacts: what the accuracy command compares with.

What a user would run without 360Connect: Splink 5 on DuckDB, ``dedupe_only`` over the latest
version of every CRM contact of every CRM system, with Splink's ready-made comparisons (names,
date of birth, address line, postal code, email and phone), ordinary blocking rules, the usual
training (the prior from deterministic rules, u by random sampling, m by expectation
maximisation on a few blocking rules), then ``cluster_pairwise_predictions_at_threshold``.

It reads the cleaned attributes of ``restricted.stg_restricted__crm_contacts`` and works in a
DuckDB database of its own, in memory (spilling to a temporary directory), so nothing it computes
reaches the warehouse. It shares nothing with the project's own matching model
(``orchestration.identity.matching``): the comparison is with Splink as documented.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

#: The match probability at which two contacts join one cluster.
DEFAULT_THRESHOLD = 0.95
SEED = 360
#: The share of true matches the deterministic rules of the prior are assumed to find.
PRIOR_RECALL = 0.7
#: Random pairs sampled to estimate u.
U_SAMPLE_PAIRS = 1e7
MEMORY_LIMIT = "2GB"
CONTACTS = "restricted.stg_restricted__crm_contacts"
COLUMNS = (
    "record_id",
    "first_name",
    "last_name",
    "date_of_birth",
    "address_line",
    "postal_code",
    "email",
    "phone",
)


def comparisons() -> list[Any]:
    return [
        # Exact (weighed by the name's term frequency), then Jaro-Winkler similar. One
        # ForenameSurnameComparison of both names instead does a little worse on the simulator.
        cl.NameComparison("first_name"),
        cl.NameComparison("last_name"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
        cl.LevenshteinAtThresholds("address_line", [1, 2]),
        # PostcodeComparison's levels are British (sector, district, area); the contacts'
        # postal codes come from several countries, so an exact match with its term frequency.
        cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
        cl.EmailComparison("email"),
        cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
    ]


def blocking_rules() -> list[Any]:
    return [
        block_on("postal_code"),
        block_on("date_of_birth"),
        block_on("first_name", "last_name"),
        block_on("last_name", "year(date_of_birth)"),
        block_on("email"),
        block_on("phone"),
    ]


#: Rules whose pairs are almost all matches: they estimate the prior.
DETERMINISTIC_RULES = (("first_name", "last_name", "date_of_birth"), ("email",))
#: Expectation-maximisation sessions, each estimating m for what its block leaves free: those
#: of Splink's example of de-duplicating people (``deduplicate_50k_synthetic``). A session on the
#: postal code, as in its febrl3 example, takes household members for matches and does worse.
TRAINING_BLOCKS = (("first_name", "last_name"), ("date_of_birth",))


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


@dataclass(frozen=True)
class BaselineRun:
    """The clusters of one run: record id of each contact's latest version -> cluster id."""

    clusters: dict[str, str]
    status: str
    threshold: float
    contacts: int
    predicted_pairs: int
    training_blocks: tuple[tuple[str, ...], ...]
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "threshold": self.threshold,
            "contacts": self.contacts,
            "scored_pairs_at_threshold": self.predicted_pairs,
            "em_sessions": ["+".join(block) for block in self.training_blocks],
            "seconds": round(self.seconds, 2),
        }


def _read_contacts(warehouse: duckdb.DuckDBPyConnection, record_ids: Sequence[str]) -> pa.Table:
    """The cleaned attributes of the given records (one version of each contact)."""
    warehouse.register("baseline_record_ids", pa.table({"record_id": pa.array(record_ids)}))
    try:
        return warehouse.sql(
            f"""
            select {", ".join(f"contacts.{column}" for column in COLUMNS)}
            from {CONTACTS} as contacts
            inner join baseline_record_ids using (record_id)
            order by contacts.record_id
            """
        ).to_arrow_table()
    finally:
        warehouse.unregister("baseline_record_ids")


def _expectation_maximisation(linker: Linker, block: tuple[str, ...]) -> bool:
    """One EM session; False when Splink refuses its estimates (an m of zero on small data)."""
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*block))
    except ValueError as error:
        if "below the minimum allowed value" not in str(error):
            raise
        return False
    return True


def _cluster(
    database: duckdb.DuckDBPyConnection, threshold: float, seed: int
) -> tuple[str, dict[str, str], int, tuple[tuple[str, ...], ...]]:
    linker = Linker(DuckDBAPI(database).register("contacts"), settings(), log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*rule) for rule in DETERMINISTIC_RULES], recall=PRIOR_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    trained = tuple(block for block in TRAINING_BLOCKS if _expectation_maximisation(linker, block))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    [(pairs,)] = database.sql(f"select count(*) from {predictions.physical_name}").fetchall()
    rows = database.sql(f"select record_id, cluster_id from {clusters.physical_name}").fetchall()
    status = "trained" if trained else "untrained: no expectation-maximisation session converged"
    return status, {record: str(cluster) for record, cluster in rows}, int(pairs), trained


def run_baseline(
    warehouse: duckdb.DuckDBPyConnection,
    record_ids: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    seed: int = SEED,
) -> BaselineRun:
    """Train, predict and cluster the given contact versions; `warehouse` is only read.

    A record missing from the restricted model, or left alone by Splink, is a cluster of its
    own in the result (it is absent from `clusters`)."""
    started = time.perf_counter()
    contacts = _read_contacts(warehouse, record_ids)
    status, clusters, pairs, trained = "skipped: fewer than two contacts", {}, 0, ()
    if contacts.num_rows >= 2:
        with tempfile.TemporaryDirectory(prefix="connect360-baseline-") as spill:
            database = duckdb.connect(config={"temp_directory": spill})
            try:
                database.execute("set memory_limit = ?", [MEMORY_LIMIT])
                database.register("contacts_arrow", contacts)
                database.execute("create table contacts as from contacts_arrow")
                database.unregister("contacts_arrow")
                status, clusters, pairs, trained = _cluster(database, threshold, seed)
            finally:
                database.close()
    return BaselineRun(
        clusters=clusters,
        status=status,
        threshold=threshold,
        contacts=contacts.num_rows,
        predicted_pairs=pairs,
        training_blocks=trained,
        seconds=time.perf_counter() - started,
    )
