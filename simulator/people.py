"""The simulated population: people, personas and households."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random

from simulator.catalog import (
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    PERSONAS,
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


def new_household(rng: Random, number: int) -> Household:
    city = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
    has_tablet = rng.random() < 0.25
    postal = city.postal_prefix + random_digits(rng, 2 if city.country_code == "US" else 1)
    return Household(
        household_id=f"H{number:08d}",
        city=city,
        street_line=f"{rng.randrange(1, 400)} {rng.choice(STREETS)}",
        postal_code=postal,
        landline=new_phone(rng, city.country_code, city.city, landline=True)
        if rng.random() < 0.35
        else None,
        tablet_device_id=hex_id(rng, 16).upper() if has_tablet else None,
        tablet_anonymous_id=hex_id(rng, 32) if has_tablet else None,
    )


def new_person(rng: Random, index: int, household: Household, salt: int) -> Person:
    persona = rng.choices(PERSONAS, weights=PERSONA_WEIGHTS)[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    plain_last = last.lower().replace("'", "")
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


def new_population(rng: Random, first_index: int, count: int, salt: int) -> list[Person]:
    """People `first_index` .. `first_index + count - 1`, grouped into households."""
    people: list[Person] = []
    index = first_index
    while index < first_index + count:
        household = new_household(rng, index)
        size = min(rng.choice(HOUSEHOLD_SIZES), first_index + count - index)
        for _ in range(size):
            people.append(new_person(rng, index, household, salt))
            index += 1
    return people
