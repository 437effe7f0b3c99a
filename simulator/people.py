"""The simulated population: people, personas and households."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from random import Random

from simulator.catalog import (
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAME_WEIGHTS,
    FIRST_NAMES,
    LAST_NAME_WEIGHTS,
    LAST_NAMES,
    PERSONAS,
    SIMILAR_FIRST_NAMES,
    STORES,
    STREETS,
    City,
    Persona,
    Store,
)
from simulator.messy import Phone, hex_id, new_phone, random_digits, scramble

CITY_WEIGHTS = [city.weight for city in CITIES]
PERSONA_WEIGHTS = [persona.weight for persona in PERSONAS]
HOUSEHOLD_SIZES = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
FIRST_NAME_CUMULATIVE = list(accumulate(FIRST_NAME_WEIGHTS))
LAST_NAME_CUMULATIVE = list(accumulate(LAST_NAME_WEIGHTS))
# Among the children of a household (its third and later members) who carry its surname, the
# share named after the first member, as a "junior" is: same full name and address, another
# birth date.
JUNIOR_SHARE = 0.04
# Twins given names close enough to pass for one another ("Anna" and "Anne").
SIMILAR_TWIN_NAMES_SHARE = 0.3


@dataclass
class Household:
    household_id: str
    city: City
    street_line: str
    postal_code: str
    landline: Phone | None
    tablet_device_id: str | None
    tablet_anonymous_id: str | None


@dataclass
class Person:
    """One simulated customer; the identifiers they own before any messy rendering."""

    index: int
    person_id: str
    persona: Persona
    household: Household
    first_name: str
    last_name: str
    email: str
    secondary_email: str | None
    mobile: Phone
    date_of_birth: date
    user_id: str
    crm_id: str
    customer_id: int
    loyalty_card: str | None
    handle: str
    is_existing: bool
    store: Store | None
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        return self.household.city.timezone

    @property
    def country(self) -> str:
        return self.household.city.country_code


def person_id_for(index: int) -> str:
    return f"P{index:08d}"


def new_postal_code(rng: Random, city: City) -> str:
    return city.postal_prefix + random_digits(rng, 2 if city.country_code == "US" else 1)


def new_street_line(rng: Random) -> str:
    return f"{rng.randrange(1, 400)} {rng.choice(STREETS)}"


def new_household(rng: Random, number: int) -> Household:
    city = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
    has_tablet = rng.random() < 0.25
    postal = new_postal_code(rng, city)
    return Household(
        household_id=f"H{number:08d}",
        city=city,
        street_line=new_street_line(rng),
        postal_code=postal,
        landline=new_phone(rng, city.country_code, city.city, landline=True)
        if rng.random() < 0.35
        else None,
        tablet_device_id=hex_id(rng, 16).upper() if has_tablet else None,
        tablet_anonymous_id=hex_id(rng, 32) if has_tablet else None,
    )


@dataclass(frozen=True)
class FamilyRates:
    """How households name their members (documented in `SimulationConfig`)."""

    surname: float = 0.8
    twins: float = 0.02


@dataclass(frozen=True)
class Member:
    """A household member's names, and whether they are the twin of the member before."""

    first_name: str
    last_name: str
    is_twin: bool = False


def first_name(rng: Random) -> str:
    return rng.choices(FIRST_NAMES, cum_weights=FIRST_NAME_CUMULATIVE)[0]


def last_name(rng: Random) -> str:
    return rng.choices(LAST_NAMES, cum_weights=LAST_NAME_CUMULATIVE)[0]


def family_members(rng: Random, size: int, rates: FamilyRates) -> list[Member]:
    """The names of a household's `size` members, each given name new to the household but a
    junior's. The first one's surname is the household's; each later member carries it with
    chance `rates.surname` (a partner may keep their own);
    a household of two or more has twins (its last two members) with chance `rates.twins`."""
    surname = last_name(rng)
    members = [Member(first_name(rng), surname)]
    for position in range(1, size):
        last = surname if rng.random() < rates.surname else last_name(rng)
        # Parents do not give two children one name: a member's given name is new to the
        # household, but for a junior's.
        first = first_name(rng)
        while first in {member.first_name for member in members}:
            first = first_name(rng)
        if position >= 2 and last == surname and rng.random() < JUNIOR_SHARE:
            first = members[0].first_name
        members.append(Member(first, last))
    if size >= 2 and rng.random() < rates.twins:
        members[-2:] = twins(rng, surname)
    return members


def twins(rng: Random, surname: str) -> list[Member]:
    """Two siblings born the same day: the household's surname, two given names, at times
    similar ones."""
    if rng.random() < SIMILAR_TWIN_NAMES_SHARE:
        names = list(rng.choice(SIMILAR_FIRST_NAMES))
        rng.shuffle(names)
    else:
        names = [first_name(rng)]
        while len(names) < 2:
            name = first_name(rng)
            if name != names[0]:
                names.append(name)
    return [Member(names[0], surname), Member(names[1], surname, is_twin=True)]


def new_person(rng: Random, index: int, household: Household, salt: int, member: Member) -> Person:
    persona = rng.choices(PERSONAS, weights=PERSONA_WEIGHTS)[0]
    # Names are drawn with the household (`family_members`); these two draws are the ones the
    # first catalogue of 48 first and 40 last names took, kept so that a seed's people keep
    # every other trait they had.
    rng.randrange(48)
    rng.randrange(40)
    first, last = member.first_name, member.last_name
    plain_last = last.lower().replace("'", "").replace(" ", "")
    city = household.city
    # A mailbox belongs to one person: the number (one-to-one with the index) keeps two
    # people of the same name from sharing an address.
    local = f"{first.lower()}.{plain_last}{scramble(index, salt + 4, 24)}"
    domain = rng.choice(EMAIL_DOMAINS)
    is_store_shopper = city.country_code == "US" and (
        persona.store_visits > 1.0 or rng.random() < persona.store_visits
    )
    store = next((s for s in STORES if s.city == city.city), None) if is_store_shopper else None
    has_card = store is not None and rng.random() < 0.8
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    return Person(
        index=index,
        person_id=person_id_for(index),
        persona=persona,
        household=household,
        first_name=first,
        last_name=last,
        email=f"{local}@{domain}",
        secondary_email=f"{first[0].lower()}{plain_last}{scramble(index, salt + 5, 24)}@example.org"
        if rng.random() < 0.15
        else None,
        mobile=new_phone(rng, city.country_code, city.city),
        date_of_birth=birth,
        user_id=f"usr_{scramble(index, salt, 48):012x}",
        crm_id=f"003{scramble(index, salt + 1, 56):015X}"[:18],
        customer_id=6_000_000_000_000 + scramble(index, salt + 2, 36),
        loyalty_card=f"LC{scramble(index, salt + 3, 36):011d}" if has_card else None,
        # A handle names one account on its platform, like a mailbox.
        handle=f"@{first.lower()}_{plain_last[:6]}{scramble(index, salt + 6, 24)}",
        is_existing=rng.random() < persona.existing_share,
        store=store,
    )


def new_population(
    rng: Random, first_index: int, count: int, salt: int, family: FamilyRates | None = None
) -> list[Person]:
    """People `first_index` .. `first_index + count - 1`, grouped into households. Names come
    from a stream of each household's own, so that `rng` draws what it always drew."""
    rates = family or FamilyRates()
    people: list[Person] = []
    index = first_index
    while index < first_index + count:
        household = new_household(rng, index)
        size = min(rng.choice(HOUSEHOLD_SIZES), first_index + count - index)
        names = Random(f"connect360:family:{salt}:{household.household_id}")
        for member in family_members(names, size, rates):
            person = new_person(rng, index, household, salt, member)
            if member.is_twin:
                person.date_of_birth = people[-1].date_of_birth
            people.append(person)
            index += 1
    return people
