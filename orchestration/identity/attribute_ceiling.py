"""How much of a CRM's true pairs the contacts' own attributes can tell apart from other people.

Two contacts of one person may agree on no more than two contacts of different people do: a
duplicate entered with a first initial, the surname and the street address and nothing else
agrees with its original exactly as well as the person's daughter's contact, entered the same
way, agrees with it. Any matcher that decides from how well the fields agree must then merge
both pairs or neither. Such a true pair is *indistinguishable*: the data holds a pair of two
people that agrees at least as well on every field.

Each field of a pair gets an agreement level, from most to least: equal, alike, missing (on
either side), different.

- names: alike when spelled within Jaro-Winkler 0.8, one is an initial of the other, one is a
  nickname of the other (or both of one given name, by ``seeds/given_name_variants.csv``), or
  the two names are written in each other's fields;
- date of birth: alike within two keystrokes (a transposed digit, day and month swapped, a day
  or a year off);
- address: equal when street line and postal code are; alike when only the postal code is;
- email: alike within one keystroke; phones: equal when the contacts share a number, alike one
  digit off.

A true pair (x, y) is indistinguishable when some contact d of another person, held by the
system y is in, agrees with x at least as well as y does on every field (or, the other way,
some contact of another person in x's system agrees so with y). The share of true pairs that
are not is the ceiling of a matcher that compares fields; the project's recall over those pairs
is reported beside it, the way the identity measure reports linkable recall beside recall.

A pair that agrees on no field at all (nothing equal or alike; a contact without any match
attribute) is indistinguishable as it stands: no matcher comparing fields has anything to go
on. For the others, d must agree with x exactly on every field on which y does, so it is
looked for among the contacts agreeing with x on the most selective such field (the phone by
the first number; a pair agreeing exactly on nothing, among x's city). The search is not
sampled, and where it is narrower than the definition it errs towards "distinguishable": the
ceiling is never lower than the definition's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from orchestration.settings import REPO_ROOT

GIVEN_NAME_VARIANTS = REPO_ROOT / "seeds" / "given_name_variants.csv"

#: Agreement levels.
EQUAL, ALIKE, MISSING, DIFFERENT = 3, 2, 1, 0
#: The fields compared, and the anchor a pair is searched by when the pair agrees exactly on it,
#: most selective first. A pair agreeing exactly on none is searched among its city's contacts.
FIELDS = ("first_name", "last_name", "date_of_birth", "address", "email", "phone")
ANCHORS = (
    ("email", "email"),
    ("phone", "phone"),
    ("date_of_birth", "date_of_birth"),
    ("address", "address_line || '|' || postal_code"),
    ("full_name", "first_name || '|' || last_name"),
    ("last_name", "last_name"),
    ("first_name", "first_name"),
    ("city", "city"),
)


def _levels(x: str, y: str) -> str:
    """A SQL struct of the agreement level of each field between contacts `x` and `y`."""

    def level(equal: str, alike: str, missing: str) -> str:
        return (
            f"case when {missing} then {MISSING} when {equal} then {EQUAL} "
            f"when {alike} then {ALIKE} else {DIFFERENT} end"
        )

    swapped = f"({x}.first_name = {y}.last_name and {x}.last_name = {y}.first_name)"

    def name(column: str, extra: str) -> str:
        return level(
            f"{x}.{column} = {y}.{column}",
            f"jaro_winkler_similarity({x}.{column}, {y}.{column}) >= 0.8 or {swapped}{extra}",
            f"{x}.{column} is null or {y}.{column} is null",
        )

    given = (
        f" or ((length({x}.first_name) = 1 or length({y}.first_name) = 1)"
        f" and left({x}.first_name, 1) = left({y}.first_name, 1))"
        f" or len(list_intersect({x}.given_names, {y}.given_names)) > 0"
    )
    born = (
        f"damerau_levenshtein(cast({x}.date_of_birth as varchar), "
        f"cast({y}.date_of_birth as varchar)) <= 2"
    )
    return f"""struct_pack(
        first_name := {name("first_name", given)},
        last_name := {name("last_name", "")},
        date_of_birth := {
        level(
            f"{x}.date_of_birth = {y}.date_of_birth",
            born,
            f"{x}.date_of_birth is null or {y}.date_of_birth is null",
        )
    },
        address := {
        level(
            f"{x}.address_line = {y}.address_line "
            f"and coalesce({x}.postal_code = {y}.postal_code, true)",
            f"{x}.postal_code = {y}.postal_code",
            f"{x}.address_line is null or {y}.address_line is null",
        )
    },
        email := {
        level(
            f"{x}.email = {y}.email",
            f"damerau_levenshtein({x}.email, {y}.email) <= 1",
            f"{x}.email is null or {y}.email is null",
        )
    },
        phone := {
        level(
            f"len(list_intersect({x}.phones, {y}.phones)) > 0",
            f"damerau_levenshtein({x}.phones[1], {y}.phones[1]) <= 1",
            f"{x}.phones is null or {y}.phones is null",
        )
    }
    )"""


@dataclass(frozen=True)
class Ceiling:
    true_pairs: int
    indistinguishable_pairs: int
    #: Of the distinguishable pairs, those the project put in one cluster.
    distinguishable_found: int

    def figures(self) -> dict[str, int | float | None]:
        distinguishable = self.true_pairs - self.indistinguishable_pairs
        return {
            "indistinguishable_pairs": self.indistinguishable_pairs,
            "recall_ceiling": (
                round(distinguishable / self.true_pairs, 6) if self.true_pairs else None
            ),
            "f1_ceiling": (
                round(2 * distinguishable / (distinguishable + self.true_pairs), 6)
                if self.true_pairs
                else None
            ),
            "distinguishable_recall": (
                round(self.distinguishable_found / distinguishable, 6) if distinguishable else None
            ),
        }


def attribute_ceilings(
    connection: duckdb.DuckDBPyConnection, contacts: list[tuple[str, str | None, str, str | None]]
) -> dict[str, Ceiling] | None:
    """The ceiling of CRM de-duplication and of linkage across systems, or None when the
    warehouse has no restricted match attributes (identity built without them).

    `contacts`: (record id of the contact's latest version, system or None for the primary
    CRM, person, cluster or None). The attributes are read from the warehouse's restricted
    match attributes, cleaned as the matcher sees them."""
    [(present,)] = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'restricted' and table_name = 'restricted_match_attributes'"
    ).fetchall()
    if not present:
        return None
    columns = ("record_id", "system", "person_id", "cluster")
    values = list(zip(*contacts, strict=True)) if contacts else [()] * len(columns)
    table = pa.table(
        {name: pa.array(column, pa.string()) for name, column in zip(columns, values, strict=True)}
    )
    connection.register("ceiling_contacts_arrow", table)
    connection.execute(
        "create or replace temp table ceiling_contacts as select * from ceiling_contacts_arrow"
    )
    connection.unregister("ceiling_contacts_arrow")
    connection.execute(
        f"""
        create or replace temp table ceiling_attributes as
        with variants as (
            select nickname, given_name from read_csv('{GIVEN_NAME_VARIANTS}', header = true)
        )
        select
            contacts.record_id,
            coalesce(contacts.system, '') as system,
            contacts.person_id,
            -- A contact without a cluster is a cluster of its own.
            coalesce(contacts.cluster, contacts.record_id) as cluster,
            attributes.first_name,
            attributes.last_name,
            attributes.date_of_birth,
            attributes.address_line,
            attributes.postal_code,
            attributes.city,
            attributes.email,
            nullif(
                list_sort(list_distinct([attributes.phone, attributes.secondary_phone])), []
            ) as phones,
            attributes.phone,
            list_distinct(
                [attributes.first_name]
                || coalesce(
                    (select list(variants.given_name) from variants
                     where variants.nickname = attributes.first_name),
                    []
                )
            ) as given_names
        from ceiling_contacts as contacts
        left join restricted.restricted_match_attributes as attributes
            on contacts.record_id = attributes.record_id
        """
    )
    anchor_case = " ".join(
        f"when {_anchor_equal('a', 'b', expression)} then '{name}'"
        for name, expression in ANCHORS[:-1]
    )
    connection.execute(
        f"""
        create or replace temp table ceiling_pairs as
        select
            a.record_id as a_id, b.record_id as b_id,
            a.system = b.system as within_system,
            a.cluster = b.cluster as found,
            {_levels("a", "b")} as levels,
            case {anchor_case} else 'city' end as anchor
        from ceiling_attributes as a
        inner join ceiling_attributes as b
            on a.person_id = b.person_id
            and (
                (a.system = '' and b.system = '' and a.record_id < b.record_id)
                or (a.system = '' and b.system <> '')
            )
        """
    )
    dominated = " union ".join(
        _dominated_sql(side, name, expression)
        for side in ("a", "b")
        for name, expression in ANCHORS
    )
    rows = connection.execute(
        f"""
        with dominated as (
            {dominated}
            union
            -- Nothing equal or alike: nothing to tell the pair apart by.
            select a_id, b_id from ceiling_pairs
            where greatest({", ".join(f"levels.{field}" for field in FIELDS)}) < {ALIKE}
        )
        select
            ceiling_pairs.within_system,
            count(*),
            count(dominated.a_id),
            count(*) filter (where dominated.a_id is null and ceiling_pairs.found)
        from ceiling_pairs
        left join dominated
            on ceiling_pairs.a_id = dominated.a_id and ceiling_pairs.b_id = dominated.b_id
        group by ceiling_pairs.within_system
        """
    ).fetchall()
    found = {within: Ceiling(int(n), int(d), int(f)) for within, n, d, f in rows}
    empty = Ceiling(0, 0, 0)
    return {"crm deduplication": found.get(True, empty), "crm linkage": found.get(False, empty)}


def _anchor_equal(x: str, y: str, expression: str) -> str:
    return f"{_qualified(x, expression)} = {_qualified(y, expression)}"


def _qualified(alias: str, expression: str) -> str:
    """`expression` over the columns of contact `alias`."""
    return re.sub(r"\b([a-z_]+)\b", lambda column: f"{alias}.{column[1]}", expression)


def _dominated_sql(side: str, anchor: str, expression: str) -> str:
    """The pairs anchored on `anchor` for which a contact d of another person, in the other
    side's system, agrees with this `side` at least as well as the other side does."""
    other = "b" if side == "a" else "a"
    d_levels = _levels(side, "d")
    at_least = " and ".join(
        f"struct_extract({d_levels}, '{field}') >= pairs.levels.{field}" for field in FIELDS
    )
    return f"""
        select pairs.a_id, pairs.b_id
        from ceiling_pairs as pairs
        inner join ceiling_attributes as a on pairs.a_id = a.record_id
        inner join ceiling_attributes as b on pairs.b_id = b.record_id
        inner join ceiling_attributes as d
            on {_qualified("d", expression)} = {_qualified(side, expression)}
            and d.system = {other}.system
            and d.person_id <> {side}.person_id
        where pairs.anchor = '{anchor}' and {at_least}
    """
