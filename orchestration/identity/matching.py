"""Probabilistic matching: records linked by their personal attributes, scored with Splink.

Fellegi-Sunter scoring with Splink on DuckDB, between dbt models. It reads
``restricted.restricted_match_attributes`` (names, birth dates, addresses, emails and phones in the
clear, cleaned for matching) and writes three tables that hold no clear personal value, only
record ids, probabilities and agreement levels:

- ``identity.match_model``: one row per training run: the trained model (Splink settings JSON
  with every m and u probability), the threshold and the counts;
- ``identity.match_pairs``: every scored pair at or above a review floor, with its probability,
  match weight, the agreement level (gamma) of each compared attribute and whether the two
  records share an email or a phone number;
- ``identity.probabilistic_edges``: the pairs at or above the threshold whose names do not
  disagree, the edges that the identity graph adds to the links of shared identifiers;
- ``identity.match_parameters``: the m and u probability and match weight of every comparison
  level of each run, and whether m was trained or a default (a level no training pair showed,
  such as an email level on an export without emails);
- ``identity.match_review_sample``: the scored pairs nearest the threshold on either side, with
  their agreement levels, for a reviewer; ``write_review_page`` turns both into a page.

Records with the same cleaned attributes are scored once, as one *profile* represented by its
smallest record id, and a pair of profiles becomes an edge between the two representatives:
about three records make one profile. A profile of several records is also scored against
itself (see _TWINS_SQL), and when that pair is an edge its other records are joined to the
representative: a shared email or phone does not always join them in the graph (two CRM ids of
one person that share an email conflict there), and a name and address alone share no
identifier. Profiles with no name, or nothing but a name, are not matched: an email or phone
alone is the deterministic graph's to link, and a name alone is not enough.

Exports often carry no email or phone (a CRM de-duplication, two systems after a merger, a
census-like file), so neither the candidate pairs nor the training need them: candidates come
from postal code with surname or initials, date of birth, the full name, given name or surname
with the year of birth, the street address, and names written the other way round; each key is
ignored where more than MAX_PROFILES_PER_BLOCKING_VALUE profiles share it. Names and postal codes
agreeing exactly weigh by how common they are (term-frequency adjustments). A nickname agrees
with its given name through the seed ``seeds/given_name_variants.csv``.

Splink works in a DuckDB database of its own (in memory, spilling to a temporary directory), so
its intermediate tables, which hold the clear values, never reach the warehouse file.
"""

import csv
import html
import json
import logging
import math
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from pydantic import Field
from splink import ColumnExpression, DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from orchestration.quality.runner import quality_dir
from orchestration.resources import WarehouseResource
from orchestration.settings import REPO_ROOT, WAREHOUSE_POOL

THRESHOLD_VARIABLE = "CONNECT360_MATCH_THRESHOLD"
#: The match probability a pair needs to become an edge. On the simulator's ground truth
#: (2,000 people x 30 days, 10,000 x 60) every edge from 0.9 up joins records of one person;
#: 0.99 keeps a margin for real data, and 0.999 would drop about 40% of the edges: those that
#: rest on a name and one email or phone number (a caller ID on a household landline...).
DEFAULT_THRESHOLD = 0.99
#: Pairs below this probability are not stored: neither edges nor worth a reviewer's time.
REVIEW_FLOOR = 0.01
SEED = 360
#: Pairs sampled to estimate u (how often two different people agree by coincidence).
U_SAMPLE_PAIRS = 5e6
#: At most about this many blocked pairs per expectation-maximisation session (hash-sampled).
EM_MAX_PAIRS = 5e6
#: A training block with fewer candidate pairs than this is skipped: too little to learn from.
MIN_TRAINING_PAIRS = 20
#: The share of true matches that the rules estimating the prior are assumed to find.
PRIOR_RULES_RECALL = 0.8
#: The smallest m probability a trained level keeps. On small or very regular data EM can learn
#: that one person's records never disagree on, say, the phone (m near 0), which would make any
#: disagreement a veto of 20 bits or more; with this floor no single attribute weighs more than
#: about -10 bits.
MIN_M_PROBABILITY = 0.001
#: Memory of Splink's own DuckDB database; it spills to a temporary directory beyond it.
DEFAULT_MEMORY_LIMIT = "4GB"

#: The cleaned attributes of restricted.restricted_match_attributes that make a profile.
ATTRIBUTES = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address_line",
    "postal_code",
    "email",
    "phone",
    "secondary_phone",
)
#: The comparisons of the model, by output column name (gamma_<name> in identity.match_pairs).
COMPARISONS = ("first_name", "last_name", "date_of_birth", "address", "phone", "email")
#: Expectation-maximisation sessions: each estimates m for the comparisons its block leaves free.
#: None blocks on what household members share (a landline, an address, a surname): a session
#: that fixed them would count a household as matches that disagree on first names, and learn
#: that a first name agreeing is weak evidence. Sessions whose block finds too few pairs (an
#: export without birth dates or emails) are skipped; the others still train every comparison.
TRAINING_BLOCKS = (
    ("first_name", "date_of_birth"),
    ("date_of_birth", "postal_code"),
    ("email_block",),
    ("first_name", "last_name"),
)
#: A blocking value on more profiles than this (a placeholder address, a call-centre number, the
#: commonest name of a large postal area) finds no candidate pairs: it would pair up thousands of
#: unrelated profiles. It still counts when a pair found otherwise is compared.
MAX_PROFILES_PER_BLOCKING_VALUE = 100
#: The candidate-pair keys, each a SQL expression over a profile's attributes (NULL when a part
#: is missing). Profiles agreeing on one key, or on the names written the other way round, are
#: scored. None needs an email or phone.
BLOCKING_KEYS = {
    "email_block": "email",
    "phone_block": "phone",
    "name_block": "first_name || '|' || last_name",
    "birth_block": "cast(date_of_birth as varchar)",
    "postcode_surname_block": "postal_code || '|' || last_name",
    "postcode_initials_block": "postal_code || '|' || left(first_name, 1) || left(last_name, 1)",
    "given_name_year_block": "first_name || '|' || year(date_of_birth)",
    "surname_year_block": "last_name || '|' || year(date_of_birth)",
    "address_block": "address_line || '|' || coalesce(postal_code, '')",
}
#: The given names a nickname stands for (nickname, given_name), lower case.
GIVEN_NAME_VARIANTS = REPO_ROOT / "seeds" / "given_name_variants.csv"
#: The reviewer's page of the trained model, in the quality folder beside the Data Docs.
REVIEW_PAGE = "match_model.html"
#: How many scored pairs on each side of the threshold are kept for review.
REVIEW_SAMPLE_PAIRS = 100

PAIR_SCHEMA = pa.schema(
    [
        ("record_id_l", pa.string()),
        ("record_id_r", pa.string()),
        ("records_l", pa.int64()),
        ("records_r", pa.int64()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        *[(f"gamma_{name}", pa.int32()) for name in COMPARISONS],
        ("shares_email", pa.bool_()),
        ("shares_phone", pa.bool_()),
        ("match_key", pa.string()),
    ]
)
#: Whether the two records already share an email or a phone number tells the graph which edges
#: only repeat a link it has (unless its guards cut that identifier) and which are new.
PARAMETER_SCHEMA = pa.schema(
    [
        ("trained_at", pa.timestamp("us", tz="UTC")),
        ("comparison", pa.string()),
        ("level_position", pa.int32()),
        ("level", pa.string()),
        ("m_probability", pa.float64()),
        ("u_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("m_is_default", pa.bool_()),
    ]
)
EDGE_COLUMNS = (
    "record_id_l",
    "record_id_r",
    "match_probability",
    "match_weight",
    "shares_email",
    "shares_phone",
)

logger = logging.getLogger(__name__)


def validate_threshold(threshold: float) -> float:
    if not REVIEW_FLOOR <= threshold < 1.0:
        raise ValueError(f"the match threshold must be in [{REVIEW_FLOOR}, 1), got {threshold}")
    return threshold


def default_threshold() -> float:
    """CONNECT360_MATCH_THRESHOLD when it is set, else DEFAULT_THRESHOLD."""
    value = os.environ.get(THRESHOLD_VARIABLE)
    return validate_threshold(float(value)) if value else DEFAULT_THRESHOLD


def _name_comparison(column: str, other: str, description: str, given_name: bool) -> Any:
    """A name: exact (weighted by how common it is), a nickname of it, written in the other name
    field (first and last swapped), an initial of it (a given name only: "J" for "James"), close
    in spelling, or different."""
    levels = [
        cll.NullLevel(column),
        cll.ExactMatchLevel(column, term_frequency_adjustments=True),
    ]
    if given_name:
        levels.append(
            cll.ArrayIntersectLevel("given_names", min_intersection=1).configure(
                label_for_charts="Same given name or a nickname of it"
            )
        )
    levels += [
        cll.CustomLevel(
            f'"{column}_l" = "{other}_r" and "{other}_l" = "{column}_r"',
            label_for_charts="Swapped with the other name field",
        ),
    ]
    if given_name:
        # Staging keeps "J." as "j"; a one-letter name agrees with any name it begins.
        levels.append(
            cll.CustomLevel(
                f'(length("{column}_l") = 1 or length("{column}_r") = 1) '
                f'and left("{column}_l", 1) = left("{column}_r", 1)',
                label_for_charts="Initial of the other",
            )
        )
    levels += [
        cll.JaroWinklerLevel(column, 0.92),
        cll.JaroWinklerLevel(column, 0.8),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name=column, comparison_description=description, comparison_levels=levels
    )


#: Two emails one slip of the keyboard apart (Damerau-Levenshtein 1: a substitution, an
#: insertion or deletion, two neighbours swapped), but not two that differ by one digit put for
#: another (jsmith1, jsmith2: numbered mailboxes of a family). One edit leaves either the first
#: or the last (n - 1) / 2 characters of the shorter string in place, so comparing those first
#: spares the edit distance on almost every pair of different values.
_ONE_KEYSTROKE_APART = """(
    left({l}, cast(floor((least(length({l}), length({r})) - 1) / 2) as integer))
        = left({r}, cast(floor((least(length({l}), length({r})) - 1) / 2) as integer))
    or right({l}, cast(floor((least(length({l}), length({r})) - 1) / 2) as integer))
        = right({r}, cast(floor((least(length({l}), length({r})) - 1) / 2) as integer))
)
and damerau_levenshtein({l}, {r}) <= 1
and not (
    regexp_replace({l}, '[0-9]', '0', 'g') = regexp_replace({r}, '[0-9]', '0', 'g')
    and list_sort(string_split({l}, '')) <> list_sort(string_split({r}, ''))
)"""


def comparisons() -> list[Any]:
    """How two profiles are compared: per attribute, its levels from most to least similar."""
    return [
        _name_comparison("first_name", "last_name", "Given name", given_name=True),
        _name_comparison("last_name", "first_name", "Surname", given_name=False),
        cl.CustomComparison(
            output_column_name="date_of_birth",
            comparison_description="Date of birth",
            comparison_levels=[
                cll.NullLevel("date_of_birth"),
                cll.ExactMatchLevel("date_of_birth"),
                # How often one person's records disagree on the birth date, and how: fixed
                # priors. Sources that never mistype a date give EM no such pair to learn from,
                # and it would drive these m to zero, an infinitely strong penalty.
                cll.LevenshteinLevel(
                    ColumnExpression("date_of_birth").cast_to_string(), 1
                ).configure(m_probability=0.01, fix_m_probability=True),
                cll.AbsoluteDateDifferenceLevel(
                    "date_of_birth", input_is_string=False, threshold=1, metric="year"
                ).configure(m_probability=0.005, fix_m_probability=True),
                cll.ElseLevel().configure(m_probability=0.005, fix_m_probability=True),
            ],
        ),
        cl.CustomComparison(
            output_column_name="address",
            comparison_description="Street line and postal code",
            comparison_levels=[
                cll.NullLevel("address_line"),
                cll.And(cll.ExactMatchLevel("address_line"), cll.ExactMatchLevel("postal_code")),
                # A typo in the street, not another house: the house numbers must agree.
                cll.And(
                    cll.ExactMatchLevel(ColumnExpression("address_line").regex_extract("^[0-9]+")),
                    cll.JaroWinklerLevel("address_line", 0.9),
                    cll.ExactMatchLevel("postal_code"),
                ),
                # Postal areas differ in size: agreeing on a small one says more.
                cll.ExactMatchLevel("postal_code", term_frequency_adjustments=True),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="phone",
            comparison_description="E.164 numbers: the main one, any of the two, one digit off",
            comparison_levels=[
                cll.NullLevel("phones"),
                cll.ExactMatchLevel("phone", term_frequency_adjustments=True),
                cll.ArrayIntersectLevel("phones", min_intersection=1),
                cll.DamerauLevenshteinLevel("phone", 1),
                cll.ElseLevel(),
            ],
        ),
        cl.CustomComparison(
            output_column_name="email",
            comparison_description="Normalized email address",
            comparison_levels=[
                cll.NullLevel("email"),
                cll.ExactMatchLevel("email", term_frequency_adjustments=True),
                # A slip of the keyboard in the mailbox (a transposed or doubled character).
                cll.CustomLevel(
                    _ONE_KEYSTROKE_APART.format(l='"email_l"', r='"email_r"'),
                    label_for_charts="Damerau-Levenshtein distance of email <= 1",
                ),
                cll.ElseLevel(),
            ],
        ),
    ]


def blocking_rules() -> list[Any]:
    """The candidate pairs: profiles that agree exactly on one of these are scored."""
    return [
        block_on("phones_block", arrays_to_explode=["phones_block"]),
        *(block_on(key) for key in BLOCKING_KEYS if key != "phone_block"),
        # First and last name swapped, on either side of the pair.
        CustomRule("l.name_swap_block = r.name_block", sql_dialect="duckdb"),
        CustomRule("l.name_block = r.name_swap_block", sql_dialect="duckdb"),
    ]


def match_settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="profile_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        # Splink only outputs the gamma levels with the matching columns; the query that reads
        # its predictions (in its own database) selects ids, scores and levels only.
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


@dataclass(frozen=True)
class MatchingRun:
    """What one run did, as written to identity.match_model."""

    trained_at: datetime
    status: str
    threshold: float
    records: int
    profiles: int
    scored_pairs: int
    edges: int
    seconds: float
    settings: dict[str, Any] | None

    @property
    def prior(self) -> float | None:
        return self.settings["probability_two_random_records_match"] if self.settings else None

    def summary(self) -> dict[str, Any]:
        return {
            "trained_at": self.trained_at.isoformat(),
            "status": self.status,
            "threshold": self.threshold,
            "records": self.records,
            "profiles": self.profiles,
            "scored_pairs": self.scored_pairs,
            "edges": self.edges,
            "probability_two_random_records_match": self.prior,
            "seconds": round(self.seconds, 2),
        }


def _read_profiles(connection: duckdb.DuckDBPyConnection) -> tuple[int, pa.Table]:
    """How many records there are, and the distinct profiles of those worth matching."""
    [(exists,)] = connection.sql(
        "select count(*) from information_schema.tables "
        "where table_schema = 'restricted' and table_name = 'restricted_match_attributes'"
    ).fetchall()
    if not exists:
        return 0, pa.table({})
    attributes = ", ".join(ATTRIBUTES)
    [(records,)] = connection.sql(
        "select count(*) from restricted.restricted_match_attributes"
    ).fetchall()
    profiles = connection.sql(
        f"""
        select
            min(record_id) as profile_id,
            {attributes},
            -- list_distinct drops NULLs: the profile's numbers, NULL when it has none.
            nullif(list_sort(list_distinct([phone, secondary_phone])), []) as phones,
            count(*) as record_count,
            -- The profile's other records (see _TWINS_SQL).
            nullif(list_sort(list(record_id))[2:], []) as member_ids
        from restricted.restricted_match_attributes
        where
            coalesce(first_name, last_name) is not null
            and coalesce(
                cast(date_of_birth as varchar), address_line, postal_code, email, phone,
                secondary_phone
            ) is not null
        group by {attributes}
        order by profile_id
        """
    ).to_arrow_table()
    return records, profiles


def _capped_key(name: str, expression: str) -> str:
    """A blocking key, NULL where more than MAX_PROFILES_PER_BLOCKING_VALUE profiles share it."""
    return (
        f"case when count(*) over (partition by {expression}) <= "
        f"{MAX_PROFILES_PER_BLOCKING_VALUE} then {expression} end as {name}"
    )


def _profiles_sql() -> str:
    """The profiles in Splink's database: attributes, given names and the blocking keys."""
    keys = {**BLOCKING_KEYS, "name_swap_block": "last_name || '|' || first_name"}
    capped = ",\n    ".join(_capped_key(name, expression) for name, expression in keys.items())
    return f"""
create table profiles as
with

numbers as (
    select profile_id, unnest(phones) as number from profiles_arrow
),

number_profiles as (
    select number, count(*) as profiles from numbers group by number
),

blocking_numbers as (
    select numbers.profile_id, list_sort(list(numbers.number)) as phones_block
    from numbers
    inner join number_profiles on numbers.number = number_profiles.number
    where number_profiles.profiles <= {MAX_PROFILES_PER_BLOCKING_VALUE}
    group by numbers.profile_id
),

given_names as (
    select profiles_arrow.profile_id,
        list_distinct(
            [profiles_arrow.first_name] || coalesce(list(variants.given_name), [])
        ) as given_names
    from profiles_arrow
    left join given_name_variants as variants
        on profiles_arrow.first_name = variants.nickname
    where profiles_arrow.first_name is not null
    group by profiles_arrow.profile_id, profiles_arrow.first_name
)

select
    profiles_arrow.*,
    given_names.given_names,
    {capped},
    blocking_numbers.phones_block
from profiles_arrow
left join given_names on profiles_arrow.profile_id = given_names.profile_id
left join blocking_numbers on profiles_arrow.profile_id = blocking_numbers.profile_id
order by profiles_arrow.profile_id
"""


def given_name_variants(path: Path = GIVEN_NAME_VARIANTS) -> pa.Table:
    """The seed's (nickname, given_name) pairs, lower case as normalize_name writes names."""
    with path.open(newline="") as seed:
        rows = [(row["nickname"].strip().lower(), row["given_name"].strip().lower())
                for row in csv.DictReader(seed)]  # fmt: skip
    return pa.table(
        {"nickname": [nick for nick, _ in rows], "given_name": [given for _, given in rows]}
    )


def _equal_pairs(database: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> int:
    """How many profile pairs agree exactly on every one of `columns`."""
    [(pairs,)] = database.sql(
        f"""
        select coalesce(sum(size * (size - 1) // 2), 0) from (
            select count(*) as size from profiles
            where {" and ".join(f"{column} is not null" for column in columns)}
            group by {", ".join(columns)}
        )
        """
    ).fetchall()
    return int(pairs)


def floor_m_probabilities(model: dict[str, Any], floor: float) -> dict[str, Any]:
    """The model (Splink settings) with every trained m probability raised to at least `floor`."""
    floored = json.loads(json.dumps(model))
    for comparison in floored["comparisons"]:
        for level in comparison["comparison_levels"]:
            m = level.get("m_probability")
            if isinstance(m, float | int) and m < floor:
                level["m_probability"] = floor
    return floored


#: The key under which the stored model notes, per level, an m that no training pair gave.
DEFAULT_M_NOTE = "m_probability_is_default"


def with_effective_m_probabilities(linker: Linker) -> dict[str, Any]:
    """The trained model with every m probability Splink uses, written out.

    A level that no training pair showed (an email level when the export has no emails, a
    nickname level when nobody used one) keeps no m in Splink's saved model, yet prediction still
    uses one: Splink's default for the level, a share that falls from the most to the least
    similar level. That default is the documented prior; it matters only for pairs that reach
    the level, which in such an export are few. The stored model writes it out, so a reviewer
    reads every parameter the scores came from, and `parameter_rows` marks it as a default.
    """
    model = linker.misc.save_model_to_json()
    comparisons = linker._settings_obj.comparisons
    for saved, comparison in zip(model["comparisons"], comparisons, strict=True):
        levels = comparison.comparison_levels
        defaults = []
        for saved_level, level in zip(saved["comparison_levels"], levels, strict=True):
            if level.is_null_level or isinstance(saved_level.get("m_probability"), float | int):
                continue
            saved_level["m_probability"] = level.m_probability
            defaults.append(level.label_for_charts)
        if defaults:
            saved[DEFAULT_M_NOTE] = defaults
            logger.info(
                "%s: no training pair showed %s; their m is the default",
                saved["output_column_name"],
                defaults,
            )
    return model


def splink_settings(model: dict[str, Any]) -> dict[str, Any]:
    """The stored model as Splink reads it: without this module's notes."""
    return model | {
        "comparisons": [
            {key: value for key, value in comparison.items() if key != DEFAULT_M_NOTE}
            for comparison in model["comparisons"]
        ]
    }


class UntrainableError(Exception):
    """The data did not let the model be trained (too small or too uniform)."""


def _expectation_maximisation(linker: Linker, block: tuple[str, ...]) -> bool:
    """One EM session blocked on `block`; False when Splink refused its estimates.

    On small or very regular data EM can drive an m probability to exactly zero, which Splink 5
    refuses (ValueError "below the minimum allowed value"). The session's estimates are then
    dropped (Splink trains on a copy of the model) and the other sessions still count.
    """
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(*block), max_pairs=EM_MAX_PAIRS
        )
    except ValueError as error:
        if "below the minimum allowed value" not in str(error):
            raise
        logger.warning("EM session blocked on %s skipped: %s", block, error)
        return False
    return True


def _train_and_predict(
    database: duckdb.DuckDBPyConnection, training_blocks: list[tuple[str, ...]], seed: int
) -> tuple[dict[str, Any], pa.Table]:
    linker = Linker(
        DuckDBAPI(database).register("profiles"), match_settings(), log_level=logging.WARNING
    )
    # Rules that almost only one person's records meet; any of them may be absent from an
    # export (no emails, no birth dates), and the others still find its matches.
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("first_name", "last_name", "email_block"),
            block_on("first_name", "last_name", "phone_block"),
            block_on("first_name", "last_name", "date_of_birth"),
            block_on("first_name", "last_name", "address_line", "postal_code"),
        ],
        recall=PRIOR_RULES_RECALL,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    trained = [block for block in training_blocks if _expectation_maximisation(linker, block)]
    if not trained:
        raise UntrainableError("no expectation-maximisation session gave usable estimates")
    model = floor_m_probabilities(with_effective_m_probabilities(linker), MIN_M_PROBABILITY)
    database.execute(_TWINS_SQL)
    linker = Linker(
        DuckDBAPI(database).register("prediction_profiles"),
        splink_settings(model),
        log_level=logging.WARNING,
    )
    predictions = linker.inference.predict(
        threshold_match_probability=REVIEW_FLOOR, warning_mode="never"
    )
    gammas = ", ".join(f"scored.gamma_{name}" for name in COMPARISONS)
    pairs = database.sql(
        f"""
        with scored as (
            select
                prediction.*,
                left_side.profile_id as left_profile_id,
                right_side.profile_id as right_profile_id,
                left_side.is_twin or right_side.is_twin as is_twin_pair
            from {predictions.physical_name} as prediction
            inner join sides as left_side on prediction.profile_id_l = left_side.side_id
            inner join sides as right_side on prediction.profile_id_r = right_side.side_id
            -- A twin stands for its own profile only: its pairs with others repeat the profile's.
            where not (left_side.is_twin or right_side.is_twin)
                or left_side.profile_id = right_side.profile_id
        ),

        record_pairs as (
            select
                left_profile_id as record_id_l, right_profile_id as record_id_r,
                left_profile_id, right_profile_id, is_twin_pair
            from scored where not is_twin_pair
            union all
            select
                profiles.profile_id, unnest(profiles.member_ids),
                profiles.profile_id, profiles.profile_id, true
            from profiles
            inner join scored on profiles.profile_id = scored.left_profile_id
            where scored.is_twin_pair
        )

        select
            record_pairs.record_id_l,
            record_pairs.record_id_r,
            case when record_pairs.is_twin_pair then 1 else left_profile.record_count end
                as records_l,
            case when record_pairs.is_twin_pair then 1 else right_profile.record_count end
                as records_r,
            scored.match_probability,
            scored.match_weight,
            {gammas},
            coalesce(left_profile.email = right_profile.email, false) as shares_email,
            coalesce(len(list_intersect(left_profile.phones, right_profile.phones)) > 0, false)
                as shares_phone,
            scored.match_key
        from record_pairs
        inner join scored
            on record_pairs.left_profile_id = scored.left_profile_id
            and record_pairs.right_profile_id = scored.right_profile_id
        inner join profiles as left_profile
            on record_pairs.left_profile_id = left_profile.profile_id
        inner join profiles as right_profile
            on record_pairs.right_profile_id = right_profile.profile_id
        order by record_pairs.record_id_l, record_pairs.record_id_r
        """
    ).to_arrow_table()
    return model, pairs.cast(PAIR_SCHEMA)


#: The profiles scored: every profile, and a twin of each profile of several records, under
#: the id of its second record. The records' attributes are the same: the model scores the
#: profile against its twin like any pair (the edge rules apply: a name and address alone are
#: what a household shares), and when that pair is an edge, the profile's every record is joined
#: to it. `sides` maps a scored id to its profile.
_TWINS_SQL = """
create or replace table prediction_profiles as
select * from profiles
union all
select * replace (member_ids[1] as profile_id) from profiles where member_ids is not null;

create or replace table sides as
select profile_id as side_id, profile_id, false as is_twin from profiles
union all
select member_ids[1], profile_id, true from profiles where member_ids is not null;
"""


def score_profiles(
    profiles: pa.Table, *, seed: int = SEED, memory_limit: str | None = DEFAULT_MEMORY_LIMIT
) -> tuple[str, dict[str, Any] | None, pa.Table]:
    """Train the model on the profiles and score their candidate pairs: (status, model, pairs)."""
    if profiles.num_rows < 2:
        return "skipped: fewer than two profiles to match", None, PAIR_SCHEMA.empty_table()
    with tempfile.TemporaryDirectory(prefix="connect360-matching-") as spill:
        database = duckdb.connect(config={"temp_directory": spill})
        try:
            if memory_limit:
                database.execute("set memory_limit = ?", [memory_limit])
            database.execute("set preserve_insertion_order = false")
            if "member_ids" not in profiles.column_names:
                profiles = profiles.append_column(
                    "member_ids", pa.nulls(profiles.num_rows, pa.list_(pa.string()))
                )
            database.register("profiles_arrow", profiles)
            database.register("given_name_variants", given_name_variants())
            database.execute(_profiles_sql())
            database.unregister("profiles_arrow")
            database.unregister("given_name_variants")
            training_blocks = [
                block
                for block in TRAINING_BLOCKS
                if _equal_pairs(database, block) >= MIN_TRAINING_PAIRS
            ]
            if not training_blocks:
                status = "skipped: too few candidate pairs to train on"
                return status, None, PAIR_SCHEMA.empty_table()
            try:
                settings, pairs = _train_and_predict(database, training_blocks, seed)
            except UntrainableError as error:
                return f"skipped: {error}", None, PAIR_SCHEMA.empty_table()
            return "trained", settings, pairs
        finally:
            database.close()


def level_gammas(comparison: str, labels: tuple[str, ...]) -> tuple[int, ...]:
    """The agreement values (gamma) Splink gives the levels of `comparison` whose chart labels
    start with one of `labels`: the last level is 0, each level above it one more."""
    resolved = (creator.get_comparison("duckdb") for creator in comparisons())
    (found,) = (c for c in resolved if c.output_column_name == comparison)
    levels = [level for level in found.comparison_levels if not level.is_null_level]
    return tuple(
        len(levels) - 1 - position
        for position, level in enumerate(levels)
        if level.label_for_charts.startswith(labels)
    )


#: A first name spelled only alike or cut to its initial (not the same, not a nickname of it,
#: not swapped).
_ALIKE_FIRST_NAMES = level_gammas("first_name", ("Initial", "Jaro-Winkler"))
#: A birth date that agrees exactly or one keystroke off.
_AGREEING_BIRTH_DATES = level_gammas("date_of_birth", ("Exact match", "Levenshtein"))
#: Names written in each other's fields (first and last swapped).
_SWAPPED_FIRST_NAMES = level_gammas("first_name", ("Swapped",))
#: A street address that agrees, exactly or but for a typo.
_AGREEING_ADDRESSES = level_gammas("address", ("(Exact match on",))
_BIRTH_DATE_AGREES = f"gamma_date_of_birth in ({', '.join(map(str, _AGREEING_BIRTH_DATES))})"
#: An email that agrees exactly or but for one keystroke.
_AGREEING_EMAILS = level_gammas("email", ("Exact match", "Damerau-Levenshtein"))
_EMAIL_AGREES = f"(shares_email or gamma_email in ({', '.join(map(str, _AGREEING_EMAILS))}))"
#: An edge also needs names that do not disagree (gamma 0 is a comparison's "all other" level;
#: -1, a missing name, is allowed), and, where what the pair agrees on is what a household shares
#: (a surname, an address, a landline), something only one person has:
#: - a first name that is missing, an initial or spelled only alike needs the birth date or the
#:   email to agree, the email but for a keystroke (twins are at times given names that look
#:   alike, and a household's members may share an initial);
#: - two different emails need the birth date to agree (a father and his junior, each with his
#:   own mailbox);
#: - names written the other way round need the address, the birth date or the email to agree
#:   (a "Thomas James" and a "James Thomas" are usually two people).
#: The model adds household evidence up as if it were independent; these conditions do not.
EDGE_CONDITION = f"""
    match_probability >= ?
    and gamma_first_name <> 0
    and gamma_last_name <> 0
    and (
        gamma_first_name not in (-1, {", ".join(map(str, _ALIKE_FIRST_NAMES))})
        or {_BIRTH_DATE_AGREES}
        or {_EMAIL_AGREES}
    )
    and (gamma_email <> 0 or {_BIRTH_DATE_AGREES})
    and (
        gamma_first_name not in ({", ".join(map(str, _SWAPPED_FIRST_NAMES))})
        or gamma_address in ({", ".join(map(str, _AGREEING_ADDRESSES))})
        or {_BIRTH_DATE_AGREES}
        or {_EMAIL_AGREES}
    )
"""


def count_edges(pairs: pa.Table, threshold: float) -> int:
    """How many scored pairs become edges (EDGE_CONDITION)."""
    with duckdb.connect() as database:
        database.register("pairs", pairs)
        [(edges,)] = database.execute(
            f"select count(*) from pairs where {EDGE_CONDITION}", [threshold]
        ).fetchall()
    return int(edges)


def _write(connection: duckdb.DuckDBPyConnection, run: MatchingRun, pairs: pa.Table) -> None:
    """Replace the pairs and edges and add the run to the model history, in one transaction."""
    connection.execute("create schema if not exists identity")
    connection.execute(
        """
        create table if not exists identity.match_model (
            trained_at timestamptz,
            status varchar,
            threshold double,
            records bigint,
            profiles bigint,
            scored_pairs bigint,
            edges bigint,
            probability_two_random_records_match double,
            seconds double,
            settings_json varchar
        )
        """
    )
    connection.execute(
        """
        create table if not exists identity.match_parameters (
            trained_at timestamptz,
            comparison varchar,
            level_position integer,
            level varchar,
            m_probability double,
            u_probability double,
            match_weight double,
            m_is_default boolean
        )
        """
    )
    parameters = pa.Table.from_pylist(
        [
            {"trained_at": run.trained_at} | row
            for row in parameter_rows(run.settings or {"comparisons": []})
        ],
        schema=PARAMETER_SCHEMA,
    )
    connection.register("scored_pairs", pairs)
    connection.register("run_parameters", parameters)
    try:
        connection.execute("begin transaction")
        connection.execute("create or replace table identity.match_pairs as from scored_pairs")
        connection.execute(
            f"""
            create or replace table identity.probabilistic_edges as
            select {", ".join(EDGE_COLUMNS)} from scored_pairs
            where {EDGE_CONDITION}
            order by record_id_l, record_id_r
            """,
            [run.threshold],
        )
        gammas = ", ".join(f"gamma_{name}" for name in COMPARISONS)
        connection.execute(
            f"""
            create or replace table identity.match_review_sample as
            select * from (
                select 'above' as side, record_id_l, record_id_r, match_probability,
                    match_weight, {gammas}
                from scored_pairs where match_probability >= $threshold
                order by match_probability asc, record_id_l, record_id_r limit $pairs
            )
            union all
            select * from (
                select 'below' as side, record_id_l, record_id_r, match_probability,
                    match_weight, {gammas}
                from scored_pairs where match_probability < $threshold
                order by match_probability desc, record_id_l, record_id_r limit $pairs
            )
            """,
            {"threshold": run.threshold, "pairs": REVIEW_SAMPLE_PAIRS},
        )
        connection.execute("insert into identity.match_parameters select * from run_parameters")
        connection.execute(
            "insert into identity.match_model values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run.trained_at,
                run.status,
                run.threshold,
                run.records,
                run.profiles,
                run.scored_pairs,
                run.edges,
                run.prior,
                round(run.seconds, 3),
                json.dumps(run.settings) if run.settings else None,
            ],
        )
        connection.execute("commit")
    except Exception:
        connection.execute("rollback")
        raise
    finally:
        connection.unregister("scored_pairs")
        connection.unregister("run_parameters")


def run_matching(
    connection: duckdb.DuckDBPyConnection,
    threshold: float | None = None,
    *,
    seed: int = SEED,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
) -> dict[str, Any]:
    """Train, score, and write identity.match_model, match_pairs and probabilistic_edges.

    `connection` is the warehouse. `threshold` defaults to CONNECT360_MATCH_THRESHOLD, else
    DEFAULT_THRESHOLD. With no or too few records the tables are written empty, never missing.
    Returns the run's summary (counts, status, timing).
    """
    started = time.perf_counter()
    threshold = validate_threshold(default_threshold() if threshold is None else threshold)
    trained_at = datetime.now(UTC)
    records, profiles = _read_profiles(connection)
    status, settings, pairs = score_profiles(profiles, seed=seed, memory_limit=memory_limit)
    run = MatchingRun(
        trained_at=trained_at,
        status=status,
        threshold=threshold,
        records=records,
        profiles=profiles.num_rows,
        scored_pairs=pairs.num_rows,
        edges=count_edges(pairs, threshold),
        seconds=time.perf_counter() - started,
        settings=settings,
    )
    _write(connection, run, pairs)
    logger.info("probabilistic matching: %s", run.summary())
    return run.summary()


def parameter_rows(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Every comparison level of a stored model: its m, u, match weight (log2 m/u, NULL when
    either is missing) and whether m is a default rather than trained."""
    rows = []
    for comparison in settings["comparisons"]:
        defaults = set(comparison.get(DEFAULT_M_NOTE, ()))
        for position, level in enumerate(comparison["comparison_levels"]):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level_position": position,
                    "level": level["label_for_charts"],
                    "m_probability": m,
                    "u_probability": u,
                    "match_weight": math.log2(m / u) if m and u else None,
                    "m_is_default": level["label_for_charts"] in defaults,
                }
            )
    return rows


def parameter_table(settings: dict[str, Any]) -> str:
    """The m and u of every comparison level, and its match weight, as Markdown."""
    lines = ["| comparison | level | m | u | weight |", "|---|---|---|---|---|"]
    for row in parameter_rows(settings):
        m, u, weight = row["m_probability"], row["u_probability"], row["match_weight"]
        lines.append(
            f"| {row['comparison']} | {row['level']}{' (default m)' if row['m_is_default'] else ''}"
            f" | {m if m is None else f'{m:.4g}'} | {u if u is None else f'{u:.3g}'} "
            f"| {'untrained' if weight is None else f'{weight:.2f}'} |"
        )
    return "\n".join(lines)


def _number(value: float | None, spec: str) -> str:
    """A parameter for the page; a level no sampled pair showed has no u: a dash."""
    return "—" if value is None else format(value, spec)


def write_review_page(connection: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """The latest trained model as a page for a reviewer: every level's m, u and match weight
    as a bar, and the sampled pairs nearest the threshold with their agreement levels. Holds
    record ids and scores only, no personal value."""
    rows = connection.sql(
        "select trained_at, threshold, probability_two_random_records_match, settings_json, "
        "records, profiles, scored_pairs, edges from identity.match_model "
        "where settings_json is not null order by trained_at desc limit 1"
    ).fetchall()
    row = rows[0] if rows else None
    path.parent.mkdir(parents=True, exist_ok=True)
    if row is None:
        path.write_text("<!doctype html><title>Match model</title><p>No trained model yet.</p>\n")
        return path
    trained_at, threshold, prior, settings_json, records, profiles, scored, edges = row
    parameters = parameter_rows(json.loads(settings_json))
    widest = max((abs(p["match_weight"] or 0) for p in parameters), default=1) or 1
    bars = []
    for parameter in parameters:
        weight = parameter["match_weight"]
        width = 0 if weight is None else round(150 * abs(weight) / widest)
        colour = "#2a7" if (weight or 0) >= 0 else "#c43"
        side = "left:150px" if (weight or 0) >= 0 else f"left:{150 - width}px"
        bars.append(
            f"<tr><td>{html.escape(parameter['comparison'])}</td>"
            f"<td>{html.escape(parameter['level'])}"
            f"{' <em>(default m)</em>' if parameter['m_is_default'] else ''}</td>"
            f"<td>{_number(parameter['m_probability'], '.4g')}</td>"
            f"<td>{_number(parameter['u_probability'], '.3g')}</td>"
            f"<td>{'' if weight is None else f'{weight:.2f}'}</td>"
            f'<td><div class="axis"><div class="bar" style="{side};width:{width}px;'
            f'background:{colour}"></div></div></td></tr>'
        )
    gammas = [f"gamma_{name}" for name in COMPARISONS]
    sample = connection.sql(
        f"select side, record_id_l, record_id_r, match_probability, match_weight, "
        f"{', '.join(gammas)} from identity.match_review_sample "
        "order by side, abs(match_weight) asc"
    ).fetchall()
    header = "".join(f"<th>{html.escape(name)}</th>" for name in COMPARISONS)
    pairs = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in pair[:3])
        + f"<td>{pair[3]:.4f}</td><td>{pair[4]:.2f}</td>"
        + "".join(f"<td>{value}</td>" for value in pair[5:]) + "</tr>"
        for pair in sample
    )  # fmt: skip
    path.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Match model</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; font-size: 13px; }}
.axis {{ position: relative; width: 300px; height: 12px; border-left: 1px solid #eee; }}
.bar {{ position: absolute; top: 0; height: 12px; }}
</style></head><body>
<h1>Probabilistic matching: the trained model</h1>
<p>Trained {trained_at:%Y-%m-%d %H:%M} UTC on {profiles:,} profiles of {records:,} records;
{scored:,} pairs scored, {edges:,} edges at the threshold {threshold}. Prior probability that
two random profiles match: {prior:.3g}. A level's match weight is log2(m/u): the bits of
evidence it adds when a pair reaches it; the bar is centred on zero.</p>
<table><tr><th>comparison</th><th>level</th><th>m</th><th>u</th><th>weight</th>
<th>weight (bar)</th></tr>
{"".join(bars)}
</table>
<h2>Pairs nearest the threshold</h2>
<p>Up to {REVIEW_SAMPLE_PAIRS} scored pairs on each side of the threshold, by record id;
agreement levels as in identity.match_pairs (-1 missing, 0 different, higher closer).</p>
<table><tr><th>side</th><th>record (left)</th><th>record (right)</th><th>probability</th>
<th>weight</th>{header}</tr>
{pairs}
</table>
</body></html>
"""
    )
    return path


class MatchingConfig(dg.Config):
    threshold: float | None = Field(
        default=None,
        description=(
            f"Match probability an edge needs; default {THRESHOLD_VARIABLE}, "
            f"else {DEFAULT_THRESHOLD}."
        ),
    )
    memory_limit: str = Field(
        default=DEFAULT_MEMORY_LIMIT,
        description="Memory of Splink's own DuckDB database; it spills to disk beyond it.",
    )


@dg.asset(
    key=dg.AssetKey(["identity", "probabilistic_edges"]),
    deps=[dg.AssetKey(["restricted", "restricted_match_attributes"])],
    group_name="identity",
    owners=["cx-analytics@connect360.example"],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python", "splink"},
    description=(
        "Record pairs linked by probabilistic matching (Fellegi-Sunter, Splink on DuckDB) on "
        "names, birth date, address, phone and email: edges of the identity graph at or above "
        "the match threshold. Also writes identity.match_pairs (every scored pair), "
        "identity.match_model (the trained model of each run), identity.match_parameters (m, u "
        "and weight of every level), identity.match_review_sample (pairs nearest the threshold) "
        "and the reviewer's page match_model.html in the quality folder."
    ),
)
def probabilistic_edges(
    context: dg.AssetExecutionContext, config: MatchingConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as connection:
        summary = run_matching(connection, config.threshold, memory_limit=config.memory_limit)
        [(settings_json,)] = connection.sql(
            "select settings_json from identity.match_model order by trained_at desc limit 1"
        ).fetchall()
        page = write_review_page(connection, quality_dir() / REVIEW_PAGE)
    if summary["status"] != "trained":
        context.log.warning(f"probabilistic matching {summary['status']}: no edges written")
    metadata: dict[str, Any] = {
        "dagster/row_count": dg.MetadataValue.int(summary["edges"]),
        "status": dg.MetadataValue.text(summary["status"]),
        "threshold": dg.MetadataValue.float(summary["threshold"]),
        "records": dg.MetadataValue.int(summary["records"]),
        "profiles": dg.MetadataValue.int(summary["profiles"]),
        "scored_pairs": dg.MetadataValue.int(summary["scored_pairs"]),
        "seconds": dg.MetadataValue.float(summary["seconds"]),
        "review_page": dg.MetadataValue.path(str(page)),
    }
    if settings_json:
        metadata["probability_two_random_records_match"] = dg.MetadataValue.float(
            summary["probability_two_random_records_match"]
        )
        metadata["parameters"] = dg.MetadataValue.md(parameter_table(json.loads(settings_json)))
    return dg.MaterializeResult(metadata=metadata)
