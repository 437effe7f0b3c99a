"""Contacts the CRMs hold besides the one a person's journey keeps up to date.

Real CRM exports hold the same person more than once: a store clerk, a call-centre agent or a
list import enters them again under a new id, with the usual slips and without the online
account or loyalty card that would have found the first contact. A merger adds a second system,
the acquired company's CRM, with ids of its own and its own slips. Contacts from paper forms
carry neither an email address nor a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from simulator.messy import (
    address_variant,
    maybe_typo,
    misentered_name,
    mistyped_date,
    pick_email,
    pick_phone,
    scramble,
)
from simulator.people import Person, new_postal_code, new_street_line

ACQUIRED_CRM = "acquired_crm"
"""`crm_system` of the acquired company's contacts; the primary CRM's leave it blank."""
SECOND_DUPLICATE_SHARE = 0.15
"""Among people entered again, the share entered a third time."""
MISTYPED_BIRTH_DATE = 0.1
# The acquired company's stages of people who are customers here; others it has as leads or
# prospects (so its records never make a person a customer before their first purchase here).
ACQUIRED_CUSTOMER_STAGES = (("customer", 0.75), ("churned", 0.1), ("lead", 0.15))


@dataclass(frozen=True)
class CrmRates:
    """How often the CRMs hold a person again (documented in `SimulationConfig`)."""

    duplicate: float = 0.07
    second_system: float = 0.4
    no_contact: float = 0.2


@dataclass(frozen=True)
class EntryPath:
    """A way a contact gets into a CRM, the chance that it records each field and the hours
    (local; UTC for the migration) it enters contacts at. The contact's lifecycle stage is
    `lifecycle_stage`, or `customer` for a person who has bought by then if the path sees
    purchases."""

    name: str
    email: float
    phone: float
    address: float
    birth_date: float
    moved: float
    lifecycle_stage: str
    sees_purchases: bool
    hours: tuple[int, ...]

    def stage(self, is_customer: bool) -> str:
        return "customer" if is_customer and self.sees_purchases else self.lifecycle_stage


STORE_SIGNUP = EntryPath(
    "store_signup", email=0.3, phone=0.35, address=0.85, birth_date=0.5, moved=0.08,
    lifecycle_stage="prospect", sees_purchases=True, hours=(10, 11, 12, 13, 14, 15, 16, 17, 18),
)  # fmt: skip
CALL_CENTRE = EntryPath(
    "call_centre", email=0.25, phone=0.5, address=0.7, birth_date=0.3, moved=0.08,
    lifecycle_stage="prospect", sees_purchases=True, hours=(8, 9, 10, 11, 13, 14, 15, 16, 17, 19),
)  # fmt: skip
LIST_IMPORT = EntryPath(
    "list_import", email=0.45, phone=0.1, address=0.5, birth_date=0.1, moved=0.15,
    lifecycle_stage="lead", sees_purchases=False, hours=(1, 2, 3),
)  # fmt: skip
MIGRATION = EntryPath(
    "migration", email=0.5, phone=0.4, address=0.8, birth_date=0.4, moved=0.15,
    lifecycle_stage="lead", sees_purchases=False, hours=(1, 2, 3, 4),
)  # fmt: skip


@dataclass(frozen=True)
class ContactFact:
    """One CRM contact of a person, for the truth's `crm_contacts` table. `kind` is
    `original` (the contact the person's journey keeps), `duplicate` (the same person again
    in the primary CRM) or `second_system` (their contact in the acquired company's CRM)."""

    crm_system: str | None
    crm_id: str
    kind: str
    entry_path: str
    created_at: float


def duplicate_crm_id(index: int, salt: int, number: int) -> str:
    """The id of a person's `number`th duplicate: Salesforce style like the person's own
    (`Person.crm_id`), from inputs no person's own id uses, so the two never collide."""
    return f"003{scramble(index + (number << 40), salt + 1, 56):015X}"


def acquired_crm_id(index: int, salt: int) -> str:
    """A HubSpot-style numeric id; it never looks like (or collides with) a primary id."""
    return str(1_000_000 + scramble(index, salt + 7, 34))


def acquired_lifecycle_stage(rng: Random, is_customer: bool) -> str:
    if not is_customer:
        return rng.choice(("lead", "prospect"))
    stages, weights = zip(*ACQUIRED_CUSTOMER_STAGES, strict=True)
    return rng.choices(stages, weights=weights)[0]


def entered_values(rng: Random, person: Person, path: EntryPath) -> dict[str, str]:
    """The person's fields as entered through `path`: with the slips of the hand that typed
    them, an address they have since left (or a new one), and often no email or phone, but
    then an address."""
    first, last = misentered_name(rng, person.first_name, person.last_name)
    home = person.household
    values = {
        "first_name": first,
        "last_name": last,
        "city": home.city.city,
        "region": home.city.region,
        "country_code": home.city.country_code,
    }
    if rng.random() < path.email:
        values["email"] = entered_email(rng, person)
    if rng.random() < path.phone:
        if home.landline is not None and rng.random() < 0.3:
            values["phone"] = pick_phone(rng, home.landline, clean=0.2)
        else:
            values["mobile_phone"] = pick_phone(rng, person.mobile, clean=0.2)
    # A CRM keeps a way to reach a contact: one with neither email nor phone has a postal address.
    if rng.random() < path.address or not values.keys() & {"email", "phone", "mobile_phone"}:
        if rng.random() < path.moved:
            line, postal = new_street_line(rng), new_postal_code(rng, home.city)
        else:
            line, postal = home.street_line, maybe_typo(rng, home.postal_code, 0.03)
        values["address_line1"] = address_variant(rng, line, chance=0.5)
        values["postal_code"] = postal
    if rng.random() < path.birth_date:
        born = person.date_of_birth
        if rng.random() < MISTYPED_BIRTH_DATE:
            born = mistyped_date(rng, born)
        values["date_of_birth"] = born.isoformat()
    return values


def entered_email(rng: Random, person: Person) -> str:
    """The person's address (or their second one), at times with a slip in the mailbox name."""
    email = person.email
    if person.secondary_email and rng.random() < 0.3:
        email = person.secondary_email
    mailbox, domain = email.split("@", 1)
    return pick_email(rng, f"{maybe_typo(rng, mailbox, 0.05)}@{domain}", clean=0.7)
