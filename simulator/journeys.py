"""One person's life across the channels during the simulated window (pure: no file I/O).

`Journey.run()` turns a `Person` into the records every source system would export about them,
in the order the person lives them, plus the facts the truth keeps (identifiers, sends, breaches).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from random import Random
from typing import Any
from uuid import UUID

from simulator.catalog import (
    EXPERIMENTS,
    JUNK_EMAILS,
    JUNK_PHONES,
    LANGUAGE,
    PRESENTMENT_CURRENCY,
    PRODUCTS,
    PRODUCTS_BY_SKU,
    SPECS_BY_NAME,
    SUBSCRIPTION_SKU,
    Experiment,
    Product,
)
from simulator.crm import (
    ACQUIRED_CRM,
    CALL_CENTRE,
    LIST_IMPORT,
    MIGRATION,
    SECOND_DUPLICATE_SHARE,
    STORE_SIGNUP,
    ContactFact,
    CrmRates,
    EntryPath,
    acquired_crm_id,
    acquired_lifecycle_stage,
    duplicate_crm_id,
    entered_values,
)
from simulator.emission import JOURNEY_MOMENTS, Emission, Stage
from simulator.market import Campaign, Market
from simulator.messy import (
    address_variant,
    hex_id,
    maybe_typo,
    pick_email,
    pick_phone,
    scramble,
    uuid4,
)
from simulator.people import Person
from simulator.records.commerce import (
    Buyer,
    LineItem,
    Order,
    TillCustomer,
    new_parcel,
    receipt_lines,
    shopify_order,
    tracking_event,
)
from simulator.records.feedback import SCALES, social_mention, survey_response
from simulator.records.ledger import (
    consent_event,
    crm_contact,
    erasure_request,
    experiment_assignment,
    jurisdiction_of,
)
from simulator.records.messaging import (
    COMPANY_CALL_NUMBER,
    COMPANY_SMS_NUMBER,
    Send,
    Wrapup,
    call_disposition,
    marketing_send,
    sendgrid_event,
    twilio_call,
    twilio_message,
)
from simulator.records.segment import (
    BOT_USER_AGENTS,
    DEVICES,
    SHARED_TABLET_MODEL,
    Device,
    Visit,
    product_properties,
    user_agent_for,
)
from simulator.records.support import Chat, Ticket, chat_id, intercom_conversation, zendesk_ticket
from simulator.rules import (
    CONSENT_PURPOSE,
    ERASURE_GRACE_DAYS,
    Breach,
    ConsentFact,
    FullPricePurchase,
    SendFact,
    consent_state,
    evaluate,
    paid_full_price_recently,
)
from simulator.timefmt import DAY, HOUR, MINUTE, at_local_hour, iso_utc

MONTH = 30 * DAY
SESSION_HOURS = (7, 8, 9, 12, 12, 13, 17, 18, 19, 19, 20, 20, 21, 21, 22, 23)
STORE_HOURS = (9, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18, 18, 19)
SEARCHES = ("espresso machine", "burr grinder", "decaf", "milk jug", "descaler", "bean club")
FEATURES = ("brew_scheduler", "recipe_saved", "grind_guide", "maintenance_reminder", "bean_match")
SUPPORT_REASONS = (
    ("order_status", "orders"),
    ("billing_question", "billing"),
    ("technical_issue", "technical"),
    ("product_question", "general"),
    ("cancel_request", "retention"),
    ("complaint", "general"),
)
OPENINGS = {
    "order_status": "Where is my order?",
    "delivery_issue": "My parcel is late and tracking has not moved.",
    "billing_question": "I was charged twice for my order.",
    "technical_issue": "My machine shows error E4 after descaling.",
    "product_question": "Which grinder works best for espresso?",
    "cancel_request": "I want to cancel my Bean Club subscription.",
    "complaint": "I am not happy with how my last order was handled.",
}
ZENDESK_GROUP = {
    "orders": "orders",
    "billing": "billing",
    "technical": "technical",
    "general": "general",
    "retention": "general",
}
DISCOUNT_CODES = ("SAVE10", "WELCOME15", "BEANS20", "FLASH10")
PLATFORMS = ("x", "instagram", "facebook", "tiktok", "trustpilot")
CAMPAIGN_REACH = {"email": 0.2, "sms": 0.5}
NPS_DETRACTOR_MAX = 6


def sold_line(product: Product, quantity: int, price: float, percent: int) -> LineItem:
    """A line as sold: the list price shows as compare-at when sold below it; ``percent`` off."""
    compare_at = product.price if price < product.price else None
    discount = round(price * quantity * percent / 100, 2)
    return LineItem(product.sku, product.name, quantity, price, compare_at, discount)


@dataclass
class Counters:
    """Ids that must be unique across the run; each chunk owns its own number range."""

    chunk: int
    orders: int = 0
    tickets: int = 0

    def next_order(self) -> tuple[int, int]:
        self.orders += 1
        order_id = 5_900_000_000_000 + self.chunk * 10_000_000 + self.orders
        return order_id, (self.chunk + 1) * 1_000_000 + self.orders

    def next_ticket(self) -> int:
        self.tickets += 1
        return self.chunk * 10_000_000 + self.tickets


@dataclass
class World:
    """What every journey of a run shares."""

    market: Market
    t0: float
    t1: float
    salt: int
    violation_rate: float
    erasure_rate: float
    crm: CrmRates = field(default_factory=CrmRates)

    def day_index(self, ts: float) -> int:
        return int((ts - self.t0) // DAY)

    @property
    def acquired_crm_import(self) -> float:
        """The start of the day the acquired company's CRM is imported: a third into the
        window."""
        return self.t0 + self.day_index(self.t1) // 3 * DAY


@dataclass
class Outcome:
    """The truth about one person besides the records themselves. `crm_entries` are records
    too: the person's extra CRM contacts (`simulator.crm`), which land with noise of their own;
    `crm_contacts` lists every CRM contact of the person that landed."""

    emissions: list[Emission]
    identifiers: dict[tuple[str, str], tuple[bool, bool]]
    breaches: list[Breach]
    facts: dict[str, Any]
    assignments: list[tuple[Experiment, str, float, bool]] = field(default_factory=list)
    moment_outcomes: dict[tuple[Stage, int], str] = field(default_factory=dict)
    crm_entries: list[Emission] = field(default_factory=list)
    crm_contacts: list[ContactFact] = field(default_factory=list)


class Journey:
    """Simulates one person; `run()` returns their records and truth."""

    def __init__(self, person: Person, world: World, rng: Random, counters: Counters) -> None:
        self.p = person
        self.w = world
        self.rng = rng
        self.counters = counters
        self.out: list[Emission] = []
        self.identifiers: dict[tuple[str, str], tuple[bool, bool]] = {}
        self.consents: list[ConsentFact] = []
        self.sends: list[SendFact] = []
        self.full_price: list[FullPricePurchase] = []
        self.orders: list[float] = []
        self.activation_effect = 0.0
        self.assignments: list[tuple[Experiment, str, float, bool]] = []
        self.exposed: dict[str, str] = {}
        self.signed_up: float | None = None
        self.activated: float | None = None
        self.subscribed: float | None = None
        self.crm_created: float | None = None
        self.lifecycle = "prospect"
        self.web_anonymous_id = uuid4(rng)
        self.device: Device | None = None
        self.identified_ids: set[str] = set()
        self.login_pending = False
        self.ip = self._ip()
        self.contact_id = hex_id(rng, 24)
        self.requester_id = 400_000_000_000 + scramble(person.index, world.salt + 5, 36)
        # Injected breaches of records (not of sends) draw from their own stream, so a person
        # without one is simulated exactly as before.
        self.breach_rng = Random(f"connect360:breach:{world.salt}:{person.person_id}")
        self.record_breaches: list[Breach] = []
        # So do the CRM's duplicates of the person, their contact in the acquired company's
        # CRM and whether their own contact came from a paper form without email or phone.
        self.crm_rng = Random(f"connect360:crm:{world.salt}:{person.person_id}")
        self.crm_entries: list[Emission] = []
        self.crm_contacts: list[ContactFact] = []
        self.crm_origin = ""
        self.crm_first_landed: float | None = None
        self.crm_contactless = False
        self.mood_penalty = 0.0
        self.touched = False
        self.found_value = False
        self.episodes = 0
        self.episode: int | None = None
        self.moment_outcomes: dict[tuple[Stage, int], str] = {}
        self.start, self.end, self.churn_at, self.erase_at = self._lifetime()

    # --- plan -----------------------------------------------------------------------------

    def _lifetime(self) -> tuple[float, float, float | None, float | None]:
        t0, t1 = self.w.t0, self.w.t1
        span = t1 - t0
        start = t0 if self.p.is_existing else t0 + span * 0.85 * self.rng.random() ** 1.3
        churn_at = None
        if self.rng.random() < self.p.persona.churn * min(1.0, span / (180 * DAY)):
            churn_at = start + (t1 - start) * (0.2 + 0.8 * self.rng.random())
        erase_at = None
        if self.rng.random() < self.w.erasure_rate:
            erase_at = start + (t1 - start) * (0.3 + 0.7 * self.rng.random())
        end = min(t for t in (t1, churn_at, erase_at) if t is not None)
        return start, end, churn_at, erase_at

    def _ip(self) -> str:
        number = scramble(int(self.p.household.household_id[1:]), 7, 16)
        if self.rng.random() < 0.6:
            return (
                f"2001:db8:{number:x}:{self.rng.getrandbits(16):x}::{self.rng.randrange(1, 255):x}"
            )
        network = self.rng.choice(("192.0.2", "198.51.100", "203.0.113"))
        return f"{network}.{self.rng.randrange(1, 255)}"

    # --- emit -----------------------------------------------------------------------------

    def emit(self, name: str, ts: float, payload: dict[str, Any], stage: Stage) -> None:
        """Keep a record if it falls inside the window; a moment's record joins the open
        occurrence."""
        if not self.w.t0 <= ts < self.w.t1:
            return
        if stage in JOURNEY_MOMENTS:
            assert self.episode is not None, f"a {stage} record emitted outside any occurrence"
        episode = self.episode
        self.out.append(
            Emission(SPECS_BY_NAME[name], ts, payload, self.p.person_id, stage, episode)
        )

    @contextmanager
    def occurrence(self) -> Iterator[None]:
        """Moment records emitted inside form one new occurrence of their moment (see
        `simulator.moments`); a flow nested inside opens its own, and this one resumes after."""
        outer = self.episode
        self.episodes += 1
        self.episode = self.episodes
        try:
            yield
        finally:
            self.episode = outer

    def settle(self, stage: Stage, outcome: str, at: float) -> None:
        """The outcome of the open occurrence's `stage` moment, reached at `at`; an outcome
        reached after the window does not count."""
        assert self.episode is not None
        if at < self.w.t1:
            self.moment_outcomes[(stage, self.episode)] = outcome

    def note(self, kind: str, value: str | None, junk: bool = False, shared: bool = False) -> None:
        if value:
            self.identifiers.setdefault((kind, value), (junk, shared))

    def written_email(self, clean: float = 0.8, junk_rate: float = 0.0) -> str:
        value, junk = self._drawn_email(clean, junk_rate)
        self.note("email", value, junk=junk)
        return value

    def _drawn_email(self, clean: float, junk_rate: float) -> tuple[str, bool]:
        """A written form of the person's address, and whether it is junk instead."""
        if self.rng.random() < junk_rate:
            return self.rng.choice(JUNK_EMAILS), True
        return pick_email(self.rng, self.p.email, clean), False

    def written_phone(
        self, clean: float = 0.4, junk_rate: float = 0.0, landline: float = 0.0
    ) -> str:
        value, junk, shared = self._drawn_phone(clean, junk_rate, landline)
        self.note("phone", value, junk=junk, shared=shared)
        return value

    def _drawn_phone(
        self, clean: float, junk_rate: float, landline: float
    ) -> tuple[str, bool, bool]:
        """A written form of the person's mobile (or the household's landline, which is
        shared), or a junk number; with whether it is junk and whether it is shared."""
        if self.rng.random() < junk_rate:
            return self.rng.choice(JUNK_PHONES), True, False
        household_phone = self.p.household.landline
        if household_phone is not None and self.rng.random() < landline:
            return pick_phone(self.rng, household_phone, clean), False, True
        return pick_phone(self.rng, self.p.mobile, clean), False, False

    def written_name(self, typo_rate: float = 0.05) -> tuple[str, str]:
        return (
            maybe_typo(self.rng, self.p.first_name, typo_rate),
            maybe_typo(self.rng, self.p.last_name, typo_rate),
        )

    def local_time(self, ts: float, hours: tuple[int, ...]) -> float:
        hour = self.rng.choice(hours) + self.rng.random()
        return at_local_hour(ts, self.p.timezone, hour)

    # --- run ------------------------------------------------------------------------------

    def run(self) -> Outcome:
        self.note("user_id", self.p.user_id)
        if self.p.is_existing:
            self._existing_customer()
        for ts in self._local_arrivals(self.p.persona.sessions, SESSION_HOURS):
            with self.occurrence():
                self._session(ts)
        if self.p.store is not None:
            for ts in self._local_arrivals(self.p.persona.store_visits, STORE_HOURS):
                self._store_visit(ts)
        self._subscription()
        for ts in self._poisson(self.p.persona.support * 0.5):
            self._support(ts, self.rng.choice(SUPPORT_REASONS)[0])
        for ts in self._poisson(self.p.persona.social * 0.5):
            self._social(ts, "positive" if self.p.persona.mood > 0 else "neutral")
        self._marketing()
        self._periodic_survey()
        if self.churn_at is not None:
            self._churn(self.churn_at)
        self._address_in_page_path()
        if self.erase_at is not None:
            self._erasure(self.erase_at)
            self._erasure_not_honoured(self.erase_at)
        self._stage_orders_by_time()
        self._stage_first_touch_by_time()
        self._crm_duplicates()
        self._acquired_crm_contact()
        breaches = evaluate(self.sends, self.consents, self.full_price, self.p.timezone)
        breaches += self.record_breaches
        return Outcome(
            self.out,
            self.identifiers,
            breaches,
            self._facts(),
            self.assignments,
            self.moment_outcomes,
            self.crm_entries,
            self.crm_contacts,
        )

    def _stage_orders_by_time(self) -> None:
        """A new person's first order in time is their purchase moment, every other order a
        renewal or expansion. The flows run channel by channel (all sessions, then all store
        visits), so the stage each order got when it was emitted follows code order, not time;
        here the order records of each occurrence (and its "Order Completed" event) are staged
        again by time, with any settled outcome."""
        ordering = (Stage.PURCHASE, Stage.RENEWAL_EXPANSION)
        started: dict[int, float] = {}
        for emission in self.out:
            if emission.stage in ordering and emission.spec.channel in ("orders", "pos"):
                assert emission.episode is not None
                started[emission.episode] = min(
                    started.get(emission.episode, emission.ts), emission.ts
                )
        if not started:
            return
        first = None if self.p.is_existing else min(started, key=lambda e: (started[e], e))
        for emission in self.out:
            is_order_record = emission.spec.channel in ("orders", "pos") or (
                emission.payload.get("event") == "Order Completed"
            )
            if emission.stage in ordering and emission.episode in started and is_order_record:
                emission.stage = (
                    Stage.PURCHASE if emission.episode == first else Stage.RENEWAL_EXPANSION
                )
        for episode in started:
            stage = Stage.PURCHASE if episode == first else Stage.RENEWAL_EXPANSION
            for old in ordering:
                outcome = self.moment_outcomes.pop((old, episode), None)
                if outcome is not None:
                    self.moment_outcomes[(stage, episode)] = outcome

    def _stage_first_touch_by_time(self) -> None:
        """A new person's first touch is the landing view of their earliest session in time, or
        none at all when a store visit came first (they discovered the shop there). Sessions
        are placed at a local hour of their day after they are drawn, so the session the code
        ran first is not always the earliest."""
        firsts = [emission for emission in self.out if emission.stage == Stage.FIRST_TOUCH]
        if not firsts:
            return
        landings = [
            emission
            for emission in self.out
            if emission.spec.channel in ("web", "mobile_app")
            and emission.payload.get("type") in ("page", "screen")
            and emission.stage in (Stage.FIRST_TOUCH, Stage.ENGAGEMENT)
            and emission.episode is not None
        ]
        earliest = min(landings, key=lambda emission: (emission.ts, emission.episode or 0))
        first_session = [e for e in landings if e.episode == earliest.episode]
        landing = min(first_session, key=lambda emission: emission.ts)
        store_first = any(
            emission.spec.channel == "pos" and emission.ts < landing.ts for emission in self.out
        )
        for emission in firsts:
            emission.stage = Stage.ENGAGEMENT
        if not store_first:
            landing.stage = Stage.FIRST_TOUCH

    def _facts(self) -> dict[str, Any]:
        return {
            "first_seen_at": self.start,
            "signup_at": self.signed_up,
            "first_purchase_at": min(self.orders) if self.orders else None,
            "activated_at": self.activated,
            "subscribed_at": self.subscribed,
            "churned_at": self.churn_at,
            "erased_at": self.erase_at,
            "orders": len(self.orders),
            "has_app": self.device is not None,
        }

    def _local_arrivals(self, per_month: float, hours: tuple[int, ...]) -> list[float]:
        """Poisson arrivals, each moved to one of `hours` (local) on its day, in time order: a
        flow changes what later ones see (signed up, a customer, logged in), so two visits on
        one day must run in the order they happen, not the order they were drawn."""
        return sorted(self.local_time(ts, hours) for ts in self._poisson(per_month))

    def _poisson(self, per_month: float) -> list[float]:
        times: list[float] = []
        if per_month <= 0:
            return times
        ts = self.start
        while True:
            ts += self.rng.expovariate(per_month / MONTH)
            if ts >= self.end:
                return times
            times.append(ts)

    # --- identity and account -------------------------------------------------------------

    def _existing_customer(self) -> None:
        """Signed up before the window: the CRM and consent ledger import them on day one."""
        t0 = self.w.t0
        self.signed_up = t0 - self.rng.uniform(30, 900) * DAY
        self.activated = self.signed_up + DAY
        self.lifecycle = "customer"
        import_at = t0 + self.rng.uniform(1, 5) * HOUR
        self._crm_row(import_at, created=self.signed_up, origin="import")
        if self.rng.random() < self.p.persona.opt_in:
            self._consent("email", "marketing_email", "opt_in", import_at, "import")
        if self.rng.random() < self.p.persona.opt_in * 0.4:
            self._consent("phone", "marketing_sms", "opt_in", import_at, "import")
        if self.p.persona.name == "at_risk" and self.rng.random() < 0.5:
            self._consent("phone", "phone_outreach", "opt_in", import_at, "import")
        if self.rng.random() < self.p.persona.subscribe:
            self.subscribed = t0 - self.rng.uniform(1, 29) * DAY

    def _consent(
        self, subject_type: str, purpose: str, action: str, at: float, source: str
    ) -> None:
        """A consent ledger event about the person's email, mobile or current web cookie."""
        if subject_type == "email":
            subject_id = self.written_email(clean=0.9)
        elif subject_type == "phone":
            subject_id = self.p.mobile.e164
            self.note("phone", subject_id)
        else:
            subject_id = self.web_anonymous_id
        record = consent_event(
            self.rng,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
            action=action,
            at=at,
            source=source,
            jurisdiction=jurisdiction_of(self.p.country, self.p.household.city.region),
        )
        self.emit("consent/events", at, record, Stage.CONSENT)
        if self.w.t0 <= at < self.w.t1:
            self.consents.append(ConsentFact(at, purpose, action))

    def _crm_row(self, at: float, created: float | None = None, origin: str = "") -> None:
        """A version of the person's own contact in the primary CRM; the first creates it
        (`origin` says how). One from a paper form, in a store or from before the window,
        may have no email or phone until the person signs up online."""
        if self.crm_created is None:
            self.crm_created = created if created is not None else at
            self.crm_origin = origin
            self.crm_contactless = (
                origin != "web_signup" and self.crm_rng.random() < self.w.crm.no_contact
            )
        first, last = self.written_name(0.06)
        home = self.p.household
        # Drawn also for a contact without them, so the journey's stream stays as it was.
        email, junk = self._drawn_email(clean=0.7, junk_rate=0.01)
        mobile, _, _ = self._drawn_phone(clean=0.3, junk_rate=0.0, landline=0.0)
        landline = pick_phone(self.rng, home.landline) if home.landline else ""
        values = {
            "crm_id": self.p.crm_id,
            "first_name": first,
            "last_name": last,
            "address_line1": address_variant(self.rng, home.street_line),
            "postal_code": home.postal_code,
            "city": home.city.city,
            "region": home.city.region,
            "country_code": home.city.country_code,
            "date_of_birth": self.p.date_of_birth.isoformat() if self.rng.random() < 0.6 else "",
            "loyalty_card": self.p.loyalty_card or "",
            "account_user_id": self.p.user_id if self.signed_up else "",
        }
        if not self.crm_contactless:
            values["email"] = email
            values["secondary_email"] = self.p.secondary_email or ""
            values["mobile_phone"] = mobile
            values["phone"] = landline
            self.note("email", email, junk=junk)
            self.note("phone", mobile)
            self.note("phone", landline, shared=True)
            self.note("email", self.p.secondary_email)
        self.note("crm_id", self.p.crm_id)
        self.note("loyalty_card", self.p.loyalty_card)
        row = crm_contact(values, self.lifecycle, self.crm_created, at)
        self.emit("crm/contacts", at, row, Stage.ACCOUNT)
        if self.crm_first_landed is None and self.w.t0 <= at < self.w.t1:
            self.crm_first_landed = at
            self.crm_contacts.append(
                ContactFact(None, self.p.crm_id, "original", self.crm_origin, self.crm_created)
            )

    def _crm_duplicates(self) -> None:
        """The person entered again in the primary CRM, once or twice, under new ids: in a
        store, by the call centre or in a list import, with the slips of that path and
        without the online account or loyalty card that would have found their contact. For
        a customer from before the window, half of them are as old and come with the first
        day's import."""
        rng = self.crm_rng
        first = self.crm_first_landed
        if first is None or rng.random() >= self.w.crm.duplicate:
            return
        copies = 2 if rng.random() < SECOND_DUPLICATE_SHARE else 1
        paths = (CALL_CENTRE, LIST_IMPORT) if self.p.store is None else (
            STORE_SIGNUP, CALL_CENTRE, LIST_IMPORT,
        )  # fmt: skip
        for number in range(1, copies + 1):
            path = rng.choice(paths)
            if self.p.is_existing and self.signed_up is not None and rng.random() < 0.5:
                created = rng.uniform(self.signed_up, self.w.t0)
                at = self.w.t0 + rng.uniform(1, 5) * HOUR
            else:
                created = at = self._entry_time(path, first, max(first, self.end))
            contact = ContactFact(
                None, duplicate_crm_id(self.p.index, self.w.salt, number), "duplicate",
                path.name, created,
            )  # fmt: skip
            self._crm_entry(contact, path, path.stage(self._customer_by(at)), at)

    def _acquired_crm_contact(self) -> None:
        """The person's contact in the acquired company's CRM, imported on one day, for people
        active here by then (and not gone). The acquired company knew an existing customer
        from before the window, anyone else only since their first touch here (or their first
        record, without one), so it never makes them known before it (nor a customer before
        their first purchase: see `acquired_lifecycle_stage`)."""
        rng = self.crm_rng
        if rng.random() >= self.w.crm.second_system:
            return
        day = self.w.acquired_crm_import
        at = day + (rng.choice(MIGRATION.hours) + rng.random()) * HOUR
        if self.p.is_existing:
            since = self.w.t0 - rng.uniform(30, 1500) * DAY
        else:
            touches = [e.ts for e in self.out if e.stage == Stage.FIRST_TOUCH]
            since = min(touches or [emission.ts for emission in self.out] or [self.end])
        if not (since < day and at < self.end):
            return
        contact = ContactFact(
            ACQUIRED_CRM, acquired_crm_id(self.p.index, self.w.salt), "second_system",
            MIGRATION.name, rng.uniform(since, day),
        )  # fmt: skip
        stage = acquired_lifecycle_stage(rng, self._customer_by(at))
        self._crm_entry(contact, MIGRATION, stage, at)

    def _customer_by(self, at: float) -> bool:
        return self.p.is_existing or any(order <= at for order in self.orders)

    def _entry_time(self, path: EntryPath, earliest: float, latest: float) -> float:
        """A moment between `earliest` and `latest`, at an hour of the path if one fits."""
        ts = self.crm_rng.uniform(earliest, latest)
        hour = self.crm_rng.choice(path.hours) + self.crm_rng.random()
        local = at_local_hour(ts, self.p.timezone, hour)
        return local if earliest <= local < latest else ts

    def _crm_entry(self, contact: ContactFact, path: EntryPath, stage: str, at: float) -> None:
        """`contact` as entered through `path`, landing at `at` (if inside the window): its
        record goes to `crm_entries`, its identifiers and the contact itself to the truth."""
        values = entered_values(self.crm_rng, self.p, path)
        if not self.w.t0 <= at < self.w.t1:
            return
        values |= {"crm_id": contact.crm_id, "crm_system": contact.crm_system or ""}
        row = crm_contact(values, stage, contact.created_at, at)
        spec = SPECS_BY_NAME["crm/contacts"]
        self.crm_entries.append(Emission(spec, at, row, self.p.person_id, Stage.ACCOUNT))
        self.crm_contacts.append(contact)
        kind = "crm_id" if contact.crm_system is None else f"crm_id:{contact.crm_system}"
        self.note(kind, contact.crm_id)
        self.note("email", values.get("email"))
        self.note("phone", values.get("mobile_phone"))
        self.note("phone", values.get("phone"), shared=True)

    def _signup(self, visit: Visit) -> list[tuple[dict[str, Any], Stage]]:
        at = visit.clock
        self.signed_up = at
        visit.user_id = self.p.user_id
        first, last = self.written_name(0.02)
        traits = {
            "email": self.written_email(clean=0.85),
            "first_name": first,
            "last_name": last,
            "created_at": iso_utc(at),
        }
        if self.rng.random() < 0.5:
            traits["phone"] = self.written_phone(clean=0.5)
        events = [
            (visit.track(self.rng, "Signed Up", {"method": "email"}), Stage.ONBOARDING),
            (visit.identify(self.rng, traits), Stage.ONBOARDING),
        ]
        if visit.channel == "mobile_app" and self.rng.random() < 0.5:
            events.append((visit.alias(self.rng, visit.anonymous_id), Stage.ONBOARDING))
        self.identified_ids.add(visit.anonymous_id)
        if self.rng.random() < self.p.persona.opt_in:
            self._consent("email", "marketing_email", "opt_in", at + 1, "web_form")
        if self.rng.random() < self.p.persona.opt_in * 0.35:
            self._consent("phone", "marketing_sms", "opt_in", at + 2, "web_form")
        if self.rng.random() < 0.2:
            self._consent("phone", "phone_outreach", "opt_in", at + 3, "web_form")
        # The online account gives a contact from a paper form its email and phone.
        self.crm_contactless = False
        self._crm_row(at + self.rng.uniform(5, 60) * MINUTE, origin="web_signup")
        self._onboarding(at)
        return events

    def _onboarding(self, signed_up: float) -> None:
        """Welcome email, activation within days (or never), and an onboarding survey."""
        send = self._transactional("email", "welcome", signed_up + 120)
        experiment = next(e for e in EXPERIMENTS if e.key == "welcome_series_v2")
        lift = 0.0
        if _running(experiment, self.w, signed_up):
            variant = self._assign(experiment, self.p.user_id, signed_up + 60)
            lift = experiment.true_effect if variant != "control" else 0.0
        chance = 0.55 + 0.2 * (self.p.persona.mood > 0) + lift
        activated = self.rng.random() < chance
        if activated:
            self.activated = signed_up + self.rng.expovariate(1 / (2 * DAY))
            self._server_event(
                "Account Activated", self.activated, {"plan": "free"}, Stage.ONBOARDING
            )
            self.settle(Stage.ONBOARDING, "completed", self.activated)
            if self.rng.random() < self.p.persona.survey_response:
                self._survey("ces", "onboarding_completed", "web", send.send_id, self.activated)
        self._record_activation(signed_up)

    def _record_activation(self, signed_up: float) -> None:
        for index, (experiment, variant, at, _) in enumerate(self.assignments):
            if experiment.key == "welcome_series_v2" and at >= signed_up:
                converted = self.activated is not None and self.activated - at < 7 * DAY
                self.assignments[index] = (experiment, variant, at, converted)

    def _server_event(self, name: str, at: float, properties: dict[str, Any], stage: Stage) -> None:
        """A track call sent by the company's backend (no browser context)."""
        visit = Visit(
            "web", self.web_anonymous_id, self.p.user_id, self.p.timezone, "en-US", "", at
        )
        event = visit.track(self.rng, name, properties)
        event["context"] = {"library": {"name": "analytics-python", "version": "2.3.3"}}
        del event["anonymousId"]
        self.emit("web/events", at, event, stage)

    # --- sessions -------------------------------------------------------------------------

    def _visit(self, ts: float, first: bool) -> Visit:
        persona = self.p.persona
        channel = "web"
        if self.device is None and not first and self.rng.random() < persona.app_share * 0.5:
            self._install_app()
        if self.device is not None and self.rng.random() < persona.app_share:
            channel = "mobile_app"
        if channel == "web" and self.rng.random() < 0.12:
            self.web_anonymous_id = uuid4(self.rng)
        app = self.device if channel == "mobile_app" else None
        anonymous_id = app.anonymous_id if app else self.web_anonymous_id
        self.note("anonymous_id", anonymous_id, shared=self._is_shared_anonymous(anonymous_id))
        locale = f"{LANGUAGE[self.p.country]}-{self.p.country}"
        logged_in = self.signed_up is not None and self.signed_up < ts and self.rng.random() < 0.7
        # Logged in on a browser or install that never identified: the session opens with the
        # login, and a login is an identify call.
        self.login_pending = logged_in and anonymous_id not in self.identified_ids
        visit = Visit(
            channel,
            anonymous_id,
            self.p.user_id if logged_in and anonymous_id in self.identified_ids else None,
            self.p.timezone,
            locale,
            self.ip,
            ts,
            user_agent=user_agent_for(self.p.index),
            device=app,
        )
        if first or self.rng.random() < 0.25:
            visit.campaign = _campaign_context(self.rng)
            visit.referrer = "https://search.example.com/"
        return visit

    def _is_shared_anonymous(self, anonymous_id: str) -> bool:
        return anonymous_id == self.p.household.tablet_anonymous_id

    def _install_app(self) -> None:
        household = self.p.household
        if household.tablet_device_id and self.rng.random() < 0.5:
            device_id, anonymous_id = household.tablet_device_id, household.tablet_anonymous_id
            shared = True
        else:
            device_id, anonymous_id, shared = hex_id(self.rng, 16).upper(), uuid4(self.rng), False
        assert anonymous_id is not None
        model, advertising_id = self.rng.randrange(len(DEVICES)), uuid4(self.rng).upper()
        if shared:
            # One tablet: every member's sessions on it report its model and advertising id.
            # (The draws above still happen, so the rest of the person's life is unchanged.)
            model = SHARED_TABLET_MODEL
            advertising_id = str(UUID(household.tablet_anonymous_id)).upper()
        self.device = Device(device_id, anonymous_id, model, advertising_id)
        self.note("device_id", device_id, shared=shared)

    def _session(self, ts: float) -> None:
        """One visit to the shop's site or app, inside the occurrence `run` opens for it."""
        if not self.start <= ts < self.end:
            return
        first = not self.touched and not self.p.is_existing
        self.touched = True
        visit = self._visit(ts, first)
        persona = self.p.persona
        events: list[tuple[dict[str, Any], Stage]] = []
        landing_stage = Stage.FIRST_TOUCH if first else Stage.ENGAGEMENT
        events.append((visit.view(self.rng, "Home", "/"), landing_stage))
        if first and visit.channel == "web" and self.p.country != "US":
            self._consent("anonymous_id", "analytics", "opt_in", ts, "web_form")
        if (
            self.signed_up is not None
            and self.signed_up < ts
            and visit.user_id is None
            and (self.login_pending or self.rng.random() < 0.5)
        ):
            visit.tick(self.rng, 20)
            visit.user_id = self.p.user_id
            self.identified_ids.add(visit.anonymous_id)
            events.append(
                (visit.identify(self.rng, {"email": self.written_email(0.9)}), Stage.ENGAGEMENT)
            )
        lift = self._experiments(visit, events)
        cart = self._research(visit, events, persona.depth)
        wants = (
            persona.purchase
            * (1.6 if self.p.is_existing else 1.0)
            * (1 + persona.discount_seeking * 0.2)
        )
        if cart and self.rng.random() < min(0.9, wants * 1.6):
            self._checkout(visit, events, cart, lift)
        elif self.signed_up is None and self.rng.random() < 0.06:
            events.extend(self._signup(visit))
        if self.activated is not None and visit.user_id and self.rng.random() < 0.5:
            visit.tick(self.rng, 40)
            stage = Stage.ENGAGEMENT if self.found_value else Stage.FIRST_VALUE
            self.found_value = True
            feature = self.rng.choice(FEATURES)
            events.append((visit.track(self.rng, "Feature Used", {"feature": feature}), stage))
        name = "web/events" if visit.channel == "web" else "mobile_app/events"
        for event, stage in events:
            self.emit(name, visit.times[event["messageId"]], event, stage)

    def _experiments(self, visit: Visit, events: list[tuple[dict[str, Any], Stage]]) -> float:
        lift = 0.0
        for experiment in EXPERIMENTS:
            if experiment.channel != visit.channel or not _running(experiment, self.w, visit.clock):
                continue
            if experiment.key not in self.exposed:
                visit.tick(self.rng, 5)
                self.exposed[experiment.key] = self._assign(
                    experiment, visit.anonymous_id, visit.clock
                )
                events.append(
                    (
                        visit.track(
                            self.rng,
                            "Experiment Viewed",
                            {
                                "experiment_id": experiment.key,
                                "variation_id": self.exposed[experiment.key],
                            },
                        ),
                        Stage.ENGAGEMENT,
                    )
                )
            if self.exposed[experiment.key] != "control":
                lift += experiment.true_effect
        return lift

    def _assign(self, experiment: Experiment, subject_id: str, at: float) -> str:
        variant = experiment.variants[self.rng.randrange(len(experiment.variants))]
        record = experiment_assignment(
            self.rng,
            experiment_key=experiment.key,
            variant=variant,
            subject_type=experiment.subject_type,
            subject_id=subject_id,
            at=at,
            channel=experiment.channel,
            surface=experiment.surface,
        )
        self.emit("experiments/assignments", at, record, Stage.ENGAGEMENT)
        if self.w.t0 <= at < self.w.t1:
            self.assignments.append((experiment, variant, at, False))
        return variant

    def _research(
        self, visit: Visit, events: list[tuple[dict[str, Any], Stage]], depth: int
    ) -> list[Product]:
        viewed: list[Product] = []
        for _ in range(self.rng.randint(0, depth)):
            visit.tick(self.rng, 45)
            if self.rng.random() < 0.3:
                query = self.rng.choice(SEARCHES)
                events.append(
                    (visit.track(self.rng, "Products Searched", {"query": query}), Stage.RESEARCH)
                )
                continue
            product = self.rng.choice(PRODUCTS[:-1])
            price = self.w.market.price(self.w.day_index(visit.clock), visit.channel, product.sku)
            path = f"/products/{product.sku.lower()}"
            if self.rng.random() < 0.5:
                events.append((visit.view(self.rng, product.name, path), Stage.RESEARCH))
            events.append(
                (
                    visit.track(
                        self.rng,
                        "Product Viewed",
                        product_properties(product.sku, product.name, price),
                    ),
                    Stage.RESEARCH,
                )
            )
            viewed.append(product)
            if self.rng.random() < 0.05 and self.p.persona.support > 0.1:
                self._support(visit.clock + 60, "product_question", via="chat")
        return viewed

    def _checkout(
        self,
        visit: Visit,
        events: list[tuple[dict[str, Any], Stage]],
        viewed: list[Product],
        lift: float,
    ) -> None:
        day = self.w.day_index(visit.clock)
        picks = list(
            dict.fromkeys(self.rng.sample(viewed, k=min(len(viewed), self.rng.randint(1, 2))))
        )
        cart: list[tuple[Product, int, float]] = []
        for product in picks:
            visit.tick(self.rng, 30)
            quantity = 1 if product.category != "beans" else self.rng.randint(1, 3)
            price = self.w.market.price(day, visit.channel, product.sku)
            cart.append((product, quantity, price))
            events.append(
                (
                    visit.track(
                        self.rng,
                        "Product Added",
                        product_properties(product.sku, product.name, price, quantity),
                    ),
                    Stage.PRODUCT_SELECTION,
                )
            )
            self.settle(Stage.RESEARCH, "completed", visit.clock)
        total = sum(price * quantity for _, quantity, price in cart)
        if self.rng.random() > 0.7:
            return
        visit.tick(self.rng, 40)
        events.append(
            (
                visit.track(
                    self.rng, "Checkout Started", {"value": round(total, 2), "currency": "USD"}
                ),
                Stage.PRODUCT_SELECTION,
            )
        )
        if self.signed_up is None and self.rng.random() < 0.55:
            events.extend(self._signup(visit))
        visit.tick(self.rng, 60)
        events.append(
            (
                visit.track(self.rng, "Payment Info Entered", {"payment_method": "card"}),
                Stage.PRODUCT_SELECTION,
            )
        )
        if self.rng.random() >= min(0.95, 0.62 + lift):
            return
        visit.tick(self.rng, 20)
        order = self._place_order(visit.clock, cart, visit.channel, visit.device)
        events.append(
            (
                visit.track(
                    self.rng,
                    "Order Completed",
                    {
                        "order_id": str(order.order_id),
                        "revenue": round(total, 2),
                        "total": round(total, 2),
                        "currency": "USD",
                    },
                ),
                Stage.PURCHASE,
            )
        )
        self.settle(Stage.PRODUCT_SELECTION, "completed", visit.clock)

    # --- orders, deliveries, stores -------------------------------------------------------

    def _place_order(
        self,
        at: float,
        cart: list[tuple[Product, int, float]],
        channel: str,
        device: Device | None,
        tags: str = "",
    ) -> Order:
        persona = self.p.persona
        code = (
            self.rng.choice(DISCOUNT_CODES)
            if self.rng.random() < persona.discount_seeking * 0.5
            else None
        )
        percent = int(code[-2:]) if code else 0
        items = []
        for product, quantity, price in cart:
            items.append(sold_line(product, quantity, price, percent))
        first, last = self.written_name(0.04)
        home = self.p.household
        buyer = Buyer(
            customer_id=self.p.customer_id,
            email=self.written_email(clean=0.75, junk_rate=0.01),
            phone=self.written_phone(clean=0.4, junk_rate=0.01, landline=0.15)
            if self.rng.random() < 0.7
            else None,
            first_name=first,
            last_name=last,
            accepts_marketing=consent_state(self.consents, "marketing_email", at) == "opt_in",
            address1=address_variant(self.rng, home.street_line),
            city=home.city.city,
            province=home.city.region,
            zip_code=home.postal_code,
            country_code=home.city.country_code,
        )
        self.note("customer_id", str(self.p.customer_id))
        order_id, number = self.counters.next_order()
        source = (
            "web"
            if channel == "web"
            else ("iphone" if device and DEVICES[device.model][2] == "ios" else "android")
        )
        order = Order(
            order_id,
            number,
            at,
            source,
            PRESENTMENT_CURRENCY[self.p.country],
            items,
            buyer,
            code,
            tags,
            "/checkout",
        )
        stage = Stage.RENEWAL_EXPANSION if self.orders or self.p.is_existing else Stage.PURCHASE
        self.emit(
            "orders/orders",
            at + 2,
            shopify_order(
                self.rng, order, updated=at + 2, financial_status="paid", fulfillment_status=None
            ),
            stage,
        )
        self._record_purchase(at, items, code)
        self._transactional("email", "order_confirmation", at + 60)
        self._ship(order, stage)
        return order

    def _record_purchase(
        self, at: float, items: list[LineItem], code: str | None, identified: bool = True
    ) -> None:
        self.orders.append(at)
        full_price = frozenset(item.sku for item in items if item.compare_at_price is None)
        if not code and full_price:
            self.full_price.append(FullPricePurchase(at, full_price, identified))
        if self.lifecycle == "prospect" and self.crm_created is not None:
            self.lifecycle = "customer"
            self._crm_row(at + self.rng.uniform(1, 12) * HOUR)
        self.lifecycle = "customer"
        for index, (experiment, variant, assigned, _) in enumerate(self.assignments):
            if (
                experiment.primary_metric == "order_conversion_14d"
                and 0 <= at - assigned < 14 * DAY
            ):
                self.assignments[index] = (experiment, variant, assigned, True)
        if (
            self.subscribed is None
            and self.signed_up is not None
            and self.rng.random() < self.p.persona.subscribe * 0.3
        ):
            self.subscribed = at + HOUR
            with self.occurrence():
                self._server_event(
                    "Subscription Started",
                    self.subscribed,
                    {"plan": "bean_club"},
                    Stage.RENEWAL_EXPANSION,
                )

    def _ship(self, order: Order, stage: Stage) -> None:
        """Fulfilment and delivery of an order placed as a `stage` moment."""
        rng = self.rng
        home = self.p.household
        fulfilled = order.created + rng.uniform(0.5, 2) * DAY
        parcel = new_parcel(rng, f"#{order.number}", home.city, home.postal_code)
        self.emit(
            "orders/orders",
            fulfilled,
            shopify_order(
                rng,
                order,
                updated=fulfilled,
                financial_status="paid",
                fulfillment_status="fulfilled",
            ),
            Stage.FULFILLMENT,
        )
        if rng.random() < 0.5:
            self._transactional("email", "shipping_confirmation", fulfilled + 300)
        eta = fulfilled + 3 * DAY
        steps = [
            ("label_created", fulfilled, None),
            ("picked_up", fulfilled + rng.uniform(4, 10) * HOUR, None),
        ]
        clock = steps[-1][1] + rng.uniform(10, 24) * HOUR
        steps.append(("in_transit", clock, None))
        incident = rng.random()
        returned = False
        if incident < 0.08:
            clock += rng.uniform(6, 30) * HOUR
            steps.append(
                (
                    "delayed",
                    clock,
                    rng.choice(("weather_delay", "capacity_constraint", "held_at_depot")),
                )
            )
            clock += rng.uniform(1, 3) * DAY
        elif incident < 0.11:
            clock += rng.uniform(6, 30) * HOUR
            steps.append(("exception", clock, "address_issue"))
            clock += rng.uniform(1, 3) * DAY
            returned = rng.random() < 0.25
        elif incident < 0.13:
            clock += rng.uniform(6, 30) * HOUR
            steps.append(("misrouted", clock, "label_mismatch"))
            clock += rng.uniform(2, 4) * DAY
        clock = at_local_hour(clock + DAY, home.city.timezone, 8 + rng.random() * 2)
        if returned:
            steps.append(("returned_to_sender", clock, "undeliverable"))
        else:
            steps.append(("out_for_delivery", clock, None))
            if rng.random() < 0.04:
                steps.append(("failed_attempt", clock + 4 * HOUR, "no_one_home"))
                clock += DAY
            clock += rng.uniform(2, 8) * HOUR
            steps.append(("delivered", clock, None))
        for status, at, detail in steps:
            self.emit(
                "shipping/tracking_events",
                at,
                tracking_event(rng, parcel, status, at=at, eta=eta, detail=detail),
                Stage.FULFILLMENT,
            )
        had_incident = incident < 0.13
        if returned:
            self.emit(
                "orders/orders",
                clock + DAY,
                shopify_order(
                    rng,
                    order,
                    updated=clock + DAY,
                    financial_status="refunded",
                    fulfillment_status="restocked",
                ),
                Stage.FULFILLMENT,
            )
            self.settle(stage, "returned", clock + DAY)
        if had_incident:
            self.mood_penalty += 1.5
            if rng.random() < 0.4 + self.p.persona.support * 0.4:
                self._support(clock - rng.uniform(0.5, 2) * DAY, "delivery_issue")
            if rng.random() < self.p.persona.social * 1.5:
                self._social(clock, "negative")
        elif rng.random() < self.p.persona.survey_response:
            self._survey(
                rng.choice(("csat", "nps")),
                "order_delivered",
                "web",
                f"#{order.number}",
                clock + rng.uniform(1, 48) * HOUR,
            )

    def _store_visit(self, at: float) -> None:
        store = self.p.store
        assert store is not None
        if not self.start <= at < self.end:
            return
        day = self.w.day_index(at)
        picks = self.rng.sample(
            [p for p in PRODUCTS if p.category in ("beans", "accessories", "consumables")],
            k=self.rng.randint(1, 3),
        )
        code = (
            self.rng.choice(DISCOUNT_CODES)
            if self.rng.random() < self.p.persona.discount_seeking * 0.3
            else ""
        )
        percent = int(code[-2:]) if code else 0
        items = []
        for product in picks:
            price = self.w.market.price(day, "pos", product.sku)
            quantity = self.rng.randint(1, 2)
            items.append(sold_line(product, quantity, price, percent))
        card = self.p.loyalty_card if self.p.loyalty_card and self.rng.random() < 0.8 else ""
        phone = (
            self.written_phone(clean=0.2, junk_rate=0.05, landline=0.3)
            if self.rng.random() < 0.3
            else ""
        )
        name = " ".join(self.written_name(0.05)).upper() if card else ""
        customer = TillCustomer(card, phone, name)
        self.note("loyalty_card", card or None)
        stage = Stage.RENEWAL_EXPANSION if self.orders or self.p.is_existing else Stage.PURCHASE
        with self.occurrence():
            for line in receipt_lines(self.rng, store, at, items, customer, discount_code=code):
                self.emit("pos/receipts", at, line, stage)
        if self.crm_created is None and card:
            self._crm_row(at + self.rng.uniform(1, 20) * HOUR, origin="store_signup")
            if self.rng.random() < self.p.persona.opt_in * 0.5:
                self._consent("email", "marketing_email", "opt_in", at + 60, "pos")
        self._record_purchase(at, items, code, identified=bool(card or phone))
        if self.rng.random() < self.p.persona.survey_response * 0.3:
            self._survey(
                "csat", "purchase", "pos", store.store_id, at + self.rng.uniform(2, 30) * HOUR
            )

    def _subscription(self) -> None:
        if self.subscribed is None:
            return
        renewal = self.subscribed + MONTH
        product = PRODUCTS_BY_SKU[SUBSCRIPTION_SKU]
        while renewal < self.end:
            with self.occurrence():
                self._server_event(
                    "Subscription Renewed",
                    renewal,
                    {"plan": "bean_club", "revenue": product.price},
                    Stage.RENEWAL_EXPANSION,
                )
                self._place_order(
                    renewal + 60,
                    [(product, 1, product.price)],
                    "web",
                    None,
                    tags="subscription,renewal",
                )
            renewal += MONTH

    # --- support --------------------------------------------------------------------------

    def _support(self, ts: float, reason: str, via: str | None = None, attempt: int = 1) -> None:
        if not self.start <= ts < self.end:
            return
        channel = via or self.rng.choices(("chat", "ticket", "call"), weights=(4, 3.5, 2.5))[0]
        unresolved = self.rng.random() < (
            0.25 + 0.15 * (attempt > 1) + 0.2 * (self.p.persona.name == "support_heavy")
        )
        escalated = attempt > 1 and self.rng.random() < 0.5
        stage = Stage.ESCALATION if escalated else Stage.SUPPORT
        with self.occurrence():
            if channel == "chat":
                closed = self._chat(ts, reason, not unresolved, stage)
            elif channel == "ticket":
                closed = self._ticket(ts, reason, not unresolved, escalated, stage)
            else:
                closed = self._call(ts, reason, not unresolved, escalated, stage)
        if unresolved:
            self.mood_penalty += 1.0
            if attempt < 3 and self.rng.random() < 0.7:
                self._support(closed + self.rng.uniform(0.5, 4) * DAY, reason, attempt=attempt + 1)
        else:
            self.mood_penalty = max(0.0, self.mood_penalty - 0.5)

    def _chat(self, ts: float, reason: str, resolved: bool, stage: Stage) -> float:
        signed_in = self.signed_up is not None and self.signed_up < ts
        first, last = self.written_name(0.03)
        rating = None
        if self.rng.random() < 0.4:
            rating = max(1, min(5, round(3.5 + self._mood() * 0.5 + (1 if resolved else -1.5))))
        chat = Chat(
            chat_id(self.rng),
            ts,
            self.contact_id,
            self.p.user_id if signed_in else None,
            f"{first} {last}" if signed_in else None,
            self.written_email(0.8) if signed_in or self.rng.random() < 0.5 else None,
            OPENINGS[reason],
            handoff=not resolved or self.rng.random() < 0.5,
            resolved=resolved,
            rating=rating,
            remark=None,
            tags=[reason] + (["escalated"] if stage == Stage.ESCALATION else []),
        )
        self.note("intercom_contact_id", self.contact_id)
        record = intercom_conversation(self.rng, chat)
        self.emit("chat/conversations", record["updated_at"], record, stage)
        if resolved:
            self.settle(stage, "resolved", record["updated_at"])
        if resolved and self.rng.random() < self.p.persona.survey_response:
            self._survey(
                "csat", "chat_closed", "chat", chat.conversation_id, record["updated_at"] + 600
            )
        return float(record["updated_at"])

    def _ticket(
        self, ts: float, reason: str, resolved: bool, escalated: bool, stage: Stage
    ) -> float:
        first, last = self.written_name(0.04)
        ticket = Ticket(
            ticket_id=self.counters.next_ticket(),
            created=ts,
            subject=OPENINGS[reason],
            description=f"{OPENINGS[reason]} Order ref attached.",
            ticket_type="problem"
            if reason in ("technical_issue", "delivery_issue")
            else "question",
            priority="urgent"
            if escalated
            else self.rng.choice(("low", "normal", "normal", "high")),
            group=ZENDESK_GROUP[dict(SUPPORT_REASONS).get(reason, "orders")],
            via=self.rng.choice(("email", "web", "web", "mobile")),
            requester_id=self.requester_id,
            requester_name=f"{first} {last}",
            requester_email=self.written_email(0.7),
            requester_phone=self.written_phone(0.3) if self.rng.random() < 0.3 else None,
            tags=[reason] + (["escalated", "tier2"] if escalated else []),
            assignee_id=0,
        )
        self.note("zendesk_user_id", str(self.requester_id))
        self.emit("tickets/tickets", ts, zendesk_ticket(ticket, "new", ts), stage)
        clock = ts + self.rng.uniform(1, 20) * HOUR
        ticket.assignee_id = 370_000 + self.rng.randrange(60)
        ticket.replies = 1
        self.emit("tickets/tickets", clock, zendesk_ticket(ticket, "open", clock), stage)
        if not resolved:
            clock += self.rng.uniform(1, 3) * DAY
            self.emit("tickets/tickets", clock, zendesk_ticket(ticket, "pending", clock), stage)
            return clock
        clock += self.rng.uniform(0.2, 3) * DAY
        ticket.replies += self.rng.randint(0, 3)
        satisfaction = None
        if self.rng.random() < 0.3:
            good = self._mood() > -0.5
            satisfaction = (
                "good" if good else "bad",
                None if self.rng.random() < 0.6 else ("Thanks!" if good else "Took too long."),
            )
        self.emit(
            "tickets/tickets",
            clock,
            zendesk_ticket(ticket, "solved", clock, satisfaction, clock),
            stage,
        )
        self.settle(stage, "resolved", clock)
        closed = clock + 4 * DAY
        self.emit(
            "tickets/tickets",
            closed,
            zendesk_ticket(ticket, "closed", closed, satisfaction, clock),
            stage,
        )
        if self.rng.random() < self.p.persona.survey_response:
            self._survey("csat", "ticket_solved", "tickets", str(ticket.ticket_id), clock + 3600)
        return clock

    def _call(self, ts: float, reason: str, resolved: bool, escalated: bool, stage: Stage) -> float:
        household_phone = self.p.household.landline
        use_landline = household_phone is not None and self.rng.random() < 0.35
        caller = household_phone.e164 if use_landline and household_phone else self.p.mobile.e164
        self.note("phone", caller, shared=use_landline)
        sid = "CA" + hex_id(self.rng, 32)
        wait = int(self.rng.expovariate(1 / 150))
        abandoned = wait > 600 and self.rng.random() < 0.6
        talk = 0 if abandoned else int(60 + self.rng.expovariate(1 / 420))
        name = f"{self.p.last_name} {self.p.first_name}".upper()[:15]
        status = "canceled" if abandoned else "completed"
        record = twilio_call(
            sid=sid,
            sender=caller,
            recipient=COMPANY_CALL_NUMBER,
            caller_name=name,
            direction="inbound",
            status=status,
            start=ts,
            seconds=wait + talk,
        )
        self.emit("voice/calls", ts, record, stage)
        end = ts + wait + talk
        if abandoned:
            self.settle(stage, "abandoned", ts)
            return end
        queue = {"delivery_issue": "orders"}.get(
            reason, dict(SUPPORT_REASONS).get(reason, "general")
        )
        wrapup = Wrapup(
            queue,
            reason,
            wait,
            talk,
            resolved,
            self.rng.random() < 0.15,
            escalated,
            not resolved and self.rng.random() < 0.5,
            f"{reason.replace('_', ' ')}; caller verified",
        )
        wrapped = end + self.rng.uniform(30, 180)
        self.emit(
            "voice/dispositions", wrapped, call_disposition(self.rng, sid, wrapup, wrapped), stage
        )
        if resolved:
            self.settle(stage, "resolved", wrapped)
        if self.rng.random() < self.p.persona.survey_response:
            self._survey("ces", "call_completed", "voice", sid, end + 900)
        return end

    def _mood(self) -> float:
        return self.p.persona.mood - self.mood_penalty

    # --- feedback -------------------------------------------------------------------------

    def _survey(self, kind: str, trigger: str, channel: str, reference: str, sent: float) -> None:
        low, high = SCALES[kind]
        centre = {"nps": 7.5, "csat": 4.0, "ces": 5.2}[kind]
        spread = (high - low) / 10
        score = round(centre + (self._mood() * 1.2 + self.rng.gauss(0, 1.4)) * spread)
        score = max(low, min(high, score))
        responded = sent + self.rng.expovariate(1 / (6 * HOUR))
        respondent: dict[str, Any] = {"email": self.written_email(0.9)}
        if self.signed_up is not None:
            respondent["external_id"] = self.p.user_id
        record = survey_response(
            self.rng,
            kind,
            score,
            sent=sent,
            responded=responded,
            timezone=self.p.timezone,
            respondent=respondent,
            trigger={"touchpoint_type": trigger, "channel": channel, "reference_id": reference},
            language=LANGUAGE[self.p.country],
        )
        detractor = kind == "nps" and score <= NPS_DETRACTOR_MAX
        stage = Stage.CHURN_SIGNAL if detractor else Stage.FEEDBACK
        with self.occurrence():
            self.emit("surveys/responses", responded, record, stage)

    def _periodic_survey(self) -> None:
        if self.signed_up is None or self.rng.random() > self.p.persona.survey_response:
            return
        sent = self.w.t0 + self.rng.uniform(0.3, 0.9) * (self.w.t1 - self.w.t0)
        if self.start <= sent < self.end:
            self._survey("nps", "periodic", "email", "nps-quarterly", sent)

    def _social(self, ts: float, mood: str) -> None:
        if not self.start <= ts < self.end:
            return
        platform = self.rng.choice(PLATFORMS)
        kind = (
            "review"
            if platform == "trustpilot"
            else self.rng.choice(("mention", "mention", "reply", "direct_message"))
        )
        linked = None
        if self.rng.random() < 0.3:
            linked = {"crm_id": self.p.crm_id, "email": self.written_email(0.9)}
        self.note("social_handle", self.p.handle)
        name = f"{self.p.first_name} {self.p.last_name[0]}." if self.rng.random() < 0.6 else None
        record = social_mention(
            self.rng,
            platform,
            kind,
            handle=self.p.handle,
            author_name=name,
            mood=mood,
            at=ts,
            linked=linked,
            language=LANGUAGE[self.p.country],
        )
        stage = Stage.CHURN_SIGNAL if mood == "negative" else Stage.FEEDBACK
        with self.occurrence():
            self.emit("social/mentions", ts, record, stage)

    # --- marketing ------------------------------------------------------------------------

    def _transactional(self, channel: str, template: str, at: float) -> Send:
        send = Send(
            send_id=f"snd_{hex_id(self.rng, 20)}",
            campaign_id=f"txn-{template}",
            channel=channel,
            purpose="transactional",
            at=at,
            email=self.written_email(0.95),
            phone=None,
            user_id=self.p.user_id if self.signed_up is not None else None,
            crm_id=self.p.crm_id if self.crm_created is not None else None,
            wording_key=f"email.{template}.v3",
            provider_message_id=f"{hex_id(self.rng, 22)}.filter0001p1",
        )
        self._deliver(send)
        return send

    def _marketing(self) -> None:
        """Campaign sends that respect consent, quiet hours, caps and recent full-price buys,
        plus the few deliberate breaches a misconfigured tool would produce."""
        for campaign in self.w.market.campaigns:
            at = self.local_time(
                self.w.t0 + campaign.day * DAY + 12 * HOUR, (10, 11, 12, 14, 16, 18)
            )
            if (
                not self.start <= at < self.end
                or self.rng.random() > CAMPAIGN_REACH[campaign.channel]
            ):
                continue
            if self._allowed(campaign, at):
                self._campaign_send(campaign, at)
        self._inject_breaches()
        if (
            self.p.persona.name == "at_risk"
            and consent_state(self.consents, "phone_outreach", self.end) == "opt_in"
        ):
            at = self.local_time(
                self.start + self.rng.uniform(0.2, 0.8) * (self.end - self.start), (10, 11, 15, 16)
            )
            if self._cap_room(at):
                self._outreach_call(at)

    def _allowed(self, campaign: Campaign, at: float) -> bool:
        if consent_state(self.consents, CONSENT_PURPOSE[campaign.channel], at) != "opt_in":
            return False
        if campaign.discount_percent and paid_full_price_recently(
            self.full_price, campaign.sku, at, identified_only=False
        ):
            return False
        return self._cap_room(at)

    def _cap_room(self, at: float) -> bool:
        recent = [s for s in self.sends if s.purpose == "marketing" and abs(at - s.at) < 7 * DAY]
        return len(recent) < 2

    def _campaign_send(self, campaign: Campaign, at: float, discount: int | None = None) -> None:
        percent = campaign.discount_percent if discount is None else discount
        price = self.w.market.price(self.w.day_index(at), campaign.channel, campaign.sku)
        send = Send(
            send_id=f"snd_{hex_id(self.rng, 20)}",
            campaign_id=campaign.campaign_id,
            channel=campaign.channel,
            purpose="marketing",
            at=at,
            email=self.written_email(0.95) if campaign.channel == "email" else None,
            phone=self.p.mobile.e164 if campaign.channel == "sms" else None,
            user_id=self.p.user_id if self.signed_up is not None else None,
            crm_id=self.p.crm_id if self.crm_created is not None else None,
            wording_key=campaign.wording_key,
            provider_message_id=f"{hex_id(self.rng, 22)}.filter0001p1"
            if campaign.channel == "email"
            else "SM" + hex_id(self.rng, 32),
            offer_id=campaign.offer_id,
            sku=campaign.sku,
            price_quoted=round(price * (100 - percent) / 100, 2),
            discount_percent=float(percent),
            discount_code=f"{campaign.campaign_id[4:12]}{percent}" if percent else None,
        )
        self._deliver(send)

    def _deliver(self, send: Send) -> None:
        """The campaign log row and the provider's own records of the message."""
        self.emit("marketing/sends", send.at, marketing_send(send), Stage.MARKETING)
        if self.w.t0 <= send.at < self.w.t1:
            self.sends.append(
                SendFact(
                    send.send_id,
                    send.channel,
                    send.purpose,
                    send.at,
                    send.discount_percent,
                    send.sku,
                )
            )
        if send.channel == "email":
            self._email_events(send)
        elif send.channel == "sms":
            self._sms_events(send)

    def _email_events(self, send: Send) -> None:
        rng = self.rng
        at = send.at + rng.uniform(1, 20)
        self.emit("email/events", at, sendgrid_event(rng, send, "processed", at), Stage.MARKETING)
        if rng.random() < 0.02:
            at += rng.uniform(5, 60)
            self.emit(
                "email/events",
                at,
                sendgrid_event(
                    rng,
                    send,
                    "bounce",
                    at,
                    type="bounce",
                    reason="550 5.1.1 mailbox unavailable",
                    status="5.1.1",
                ),
                Stage.MARKETING,
            )
            return
        at += rng.uniform(2, 120)
        self.emit(
            "email/events",
            at,
            sendgrid_event(rng, send, "delivered", at, response="250 OK"),
            Stage.MARKETING,
        )
        open_rate = (
            0.55 if send.purpose == "transactional" else 0.25 + 0.1 * (self.p.persona.mood > 0)
        )
        if rng.random() >= open_rate:
            return
        at += rng.expovariate(1 / (5 * HOUR))
        self.emit(
            "email/events",
            at,
            sendgrid_event(rng, send, "open", at, useragent="Mozilla/5.0", ip=self.ip),
            Stage.MARKETING,
        )
        if rng.random() < 0.25:
            at += rng.uniform(5, 120)
            url = f"https://shop.example.com/?utm_campaign={send.campaign_id}"
            self.emit(
                "email/events",
                at,
                sendgrid_event(
                    rng, send, "click", at, url=url, useragent="Mozilla/5.0", ip=self.ip
                ),
                Stage.MARKETING,
            )
        unsubscribe = (
            0.004 + 0.05 * (self.churn_at is not None) + 0.02 * (self.p.persona.name == "at_risk")
        )
        if send.purpose == "marketing" and rng.random() < unsubscribe:
            at += rng.uniform(5, 300)
            with self.occurrence():
                self.emit(
                    "email/events",
                    at,
                    sendgrid_event(rng, send, "unsubscribe", at),
                    Stage.CHURN_SIGNAL,
                )
            self._consent("email", "marketing_email", "opt_out", at + 1, "email_link")

    def _sms_events(self, send: Send) -> None:
        rng = self.rng
        assert send.phone is not None
        status = "undelivered" if rng.random() < 0.03 else "delivered"
        body = f"Brewline: {send.wording_key}. Reply STOP to opt out."
        outbound = (COMPANY_SMS_NUMBER, send.phone)
        self._sms(
            send.provider_message_id, outbound, body, status, direction="outbound-api", at=send.at
        )
        stop = 0.01 + 0.06 * (self.churn_at is not None) + 0.03 * (self.p.persona.name == "at_risk")
        if status == "delivered" and send.purpose == "marketing" and rng.random() < stop:
            at = send.at + rng.uniform(30, 3600)
            keyword = rng.choice(("STOP", "stop", "Stop", "UNSUBSCRIBE", "STOP "))
            inbound = (send.phone, COMPANY_SMS_NUMBER)
            self._sms(
                "SM" + hex_id(rng, 32), inbound, keyword, "received", direction="inbound", at=at
            )
            self._consent("phone", "marketing_sms", "opt_out", at + 2, "sms_keyword")
            reply = "You have successfully been unsubscribed. Reply START to resubscribe."
            self._sms(
                "SM" + hex_id(rng, 32),
                outbound,
                reply,
                "delivered",
                direction="outbound-reply",
                at=at + 3,
            )

    def _sms(self, sid: str, route: tuple[str, str], body: str, status: str, *, direction: str,
             at: float) -> None:  # fmt: skip
        """One Twilio message; `route` is (from, to). Keywords and replies are churn signals."""
        record = twilio_message(
            self.rng,
            sid=sid,
            sender=route[0],
            recipient=route[1],
            body=body,
            status=status,
            direction=direction,
            at=at,
        )
        stage = {"outbound-api": Stage.MARKETING, "inbound": Stage.CHURN_SIGNAL}
        with self.occurrence():
            self.emit("sms/messages", at, record, stage.get(direction, Stage.CONSENT))

    def _outreach_call(self, at: float) -> None:
        sid = "CA" + hex_id(self.rng, 32)
        answered = self.rng.random() < 0.45
        seconds = int(60 + self.rng.expovariate(1 / 200)) if answered else 0
        status = "completed" if answered else "no-answer"
        self.emit(
            "voice/calls",
            at,
            twilio_call(
                sid=sid,
                sender=COMPANY_CALL_NUMBER,
                recipient=self.p.mobile.e164,
                caller_name=None,
                direction="outbound-api",
                status=status,
                start=at,
                seconds=seconds,
            ),
            Stage.MARKETING,
        )
        send = Send(
            f"snd_{hex_id(self.rng, 20)}",
            "cmp-retention-calls",
            "phone",
            "marketing",
            at,
            None,
            self.p.mobile.e164,
            self.p.user_id,
            self.p.crm_id if self.crm_created else None,
            "phone.retention.v2",
            sid,
        )
        self.emit("marketing/sends", at, marketing_send(send), Stage.MARKETING)
        # Only sends inside the window are landed, so only they can break a consent rule.
        if self.w.t0 <= at < self.w.t1:
            self.sends.append(SendFact(send.send_id, "phone", "marketing", at, 0.0))

    def _inject_breaches(self) -> None:
        rate = self.w.violation_rate
        rng = self.rng
        campaigns = [c for c in self.w.market.campaigns if c.channel == "email"]
        if not campaigns:
            return
        opt_outs = [
            c for c in self.consents if c.action == "opt_out" and c.purpose == "marketing_email"
        ]
        if opt_outs and rng.random() < rate * 20:
            at = opt_outs[0].at + rng.uniform(1, 5) * DAY
            self._campaign_send(rng.choice(campaigns), at)
        opted_in = consent_state(self.consents, "marketing_email", self.end) == "opt_in"
        known = [purchase for purchase in self.full_price if purchase.identified]
        if known and opted_in and rng.random() < rate * 5:
            bought = known[0]
            offers = [c for c in campaigns if c.sku in bought.skus]
            if offers:
                at = bought.at + rng.uniform(1, 6) * DAY
                self._campaign_send(rng.choice(offers), at, discount=20)
        if opted_in and rng.random() < rate:
            at = self.start + rng.uniform(0.1, 0.9) * (self.end - self.start)
            for offset in range(4):
                self._campaign_send(rng.choice(campaigns), at + offset * 0.6 * DAY)
        sms = [c for c in self.w.market.campaigns if c.channel == "sms"]
        if (
            sms
            and consent_state(self.consents, "marketing_sms", self.end) == "opt_in"
            and rng.random() < rate * 5
        ):
            day = self.start + rng.uniform(0.1, 0.9) * (self.end - self.start)
            self._campaign_send(
                rng.choice(sms),
                at_local_hour(day, self.p.timezone, rng.choice((6.5, 7.2, 21.5, 22.7))),
            )

    # --- endings --------------------------------------------------------------------------

    def _churn(self, at: float) -> None:
        """The signals before and at the moment a customer leaves."""
        rng = self.rng
        self.mood_penalty += 2.5
        before = at - rng.uniform(2, 20) * DAY
        if rng.random() < 0.4:
            self._support(max(self.start, before), "complaint")
        if rng.random() < 0.5 and self.signed_up is not None:
            self._survey("nps", "periodic", "email", "nps-quarterly", max(self.start, before + DAY))
        if rng.random() < self.p.persona.social * 2:
            self._social(max(self.start, before + 2 * DAY), "negative")
        if self.subscribed is not None and self.signed_up is not None:
            with self.occurrence():
                self._server_event(
                    "Subscription Cancelled",
                    at,
                    {"plan": "bean_club", "reason": "too_expensive"},
                    Stage.CHURN_SIGNAL,
                )
        if consent_state(self.consents, "marketing_email", at) == "opt_in" and rng.random() < 0.5:
            self._consent("email", "marketing_email", "opt_out", at + HOUR, "preference_center")
        if self.crm_created is not None:
            self.lifecycle = "churned"
            self._crm_row(at + rng.uniform(1, 48) * HOUR)

    def _erasure(self, at: float) -> None:
        record = erasure_request(self.rng, "email", self.written_email(0.9), at, self.p.country)
        self.emit("consent/erasure_requests", at, record, Stage.CONSENT)
        for purpose in ("marketing_email", "marketing_sms"):
            if consent_state(self.consents, purpose, at) == "opt_in":
                subject = "email" if purpose == "marketing_email" else "phone"
                self._consent(subject, purpose, "opt_out", at + 60, "preference_center")

    # --- injected breaches of personal data ------------------------------------------------

    def _breach_record(self, rule: str, detail: str) -> None:
        """The record just emitted breaks `rule`."""
        self.record_breaches.append(Breach(rule, self.out[-1].record_key, detail))

    def _erasure_not_honoured(self, requested_at: float) -> None:
        """The marketing platform never heard of the erasure: days after the request it still
        mails a campaign to the subject's address, and reports the delivery."""
        rng = self.breach_rng
        campaigns = [c for c in self.w.market.campaigns if c.channel == "email"]
        if not campaigns or rng.random() >= self.w.violation_rate * 40:
            return
        at = requested_at + rng.uniform(ERASURE_GRACE_DAYS + 1, 30) * DAY
        delivered_at = at + rng.uniform(2, 60)
        if delivered_at >= self.w.t1:
            return
        campaign = rng.choice(campaigns)
        percent = campaign.discount_percent
        price = self.w.market.price(self.w.day_index(at), "email", campaign.sku)
        send = Send(
            send_id=f"snd_{hex_id(rng, 20)}",
            campaign_id=campaign.campaign_id,
            channel="email",
            purpose="marketing",
            at=at,
            email=self.p.email,
            phone=None,
            user_id=None,
            crm_id=None,
            wording_key=campaign.wording_key,
            provider_message_id=f"{hex_id(rng, 22)}.filter0001p1",
            offer_id=campaign.offer_id,
            sku=campaign.sku,
            price_quoted=round(price * (100 - percent) / 100, 2),
            discount_percent=float(percent),
            discount_code=f"{campaign.campaign_id[4:12]}{percent}" if percent else None,
        )
        days = (at - requested_at) / DAY
        self.emit("marketing/sends", at, marketing_send(send), Stage.MARKETING)
        self._breach_record("erasure_not_honoured", f"sent {days:.1f} days after the request")
        delivered = sendgrid_event(rng, send, "delivered", delivered_at)
        self.emit("email/events", delivered_at, delivered, Stage.MARKETING)
        self._breach_record("erasure_not_honoured", f"delivered {days:.1f} days after the request")

    def _address_in_page_path(self) -> None:
        """The shop's email-preferences page puts the visitor's address in its path, as some
        account and unsubscribe links do: personal data where analytics expects none."""
        rng = self.breach_rng
        if self.signed_up is None or rng.random() >= self.w.violation_rate * 3:
            return
        since = max(self.start, self.signed_up)
        if self.end - since < HOUR:
            return
        at = since + rng.random() * (self.end - since - HOUR)
        locale = f"{LANGUAGE[self.p.country]}-{self.p.country}"
        visit = Visit(
            "web", self.web_anonymous_id, self.p.user_id, self.p.timezone, locale, self.ip, at,
            user_agent=user_agent_for(self.p.index),
        )  # fmt: skip
        encoded = rng.random() < 0.5
        address = self.p.email.replace("@", "%40") if encoded else self.p.email
        view = visit.view(rng, "Email preferences", f"/account/email-preferences/{address}")
        self.emit("web/events", visit.times[view["messageId"]], view, Stage.ACCOUNT)
        form = "percent-encoded" if encoded else "plain"
        self._breach_record("personal_data_in_page_path", f"{form} email address in the path")


def _running(experiment: Experiment, world: World, at: float) -> bool:
    start = world.t0 + (experiment.start - world.market.start).days * DAY
    end = world.t0 + ((experiment.end - world.market.start).days + 1) * DAY
    return start <= at < end


def _campaign_context(rng: Random) -> dict[str, str]:
    source, medium = rng.choice(
        (
            ("google", "cpc"),
            ("newsletter", "email"),
            ("instagram", "social"),
            ("partner_blog", "referral"),
        )
    )
    return {
        "name": rng.choice(("spring_brew", "new_year_reset", "bean_club_launch")),
        "source": source,
        "medium": medium,
        "term": "",
        "content": "v1",
    }


def bot_traffic(rng: Random, world: World) -> list[Emission]:
    """A crawler or script hammering pages: web events that belong to nobody."""
    start = world.t0 + rng.random() * (world.t1 - world.t0)
    visit = Visit(
        "web", uuid4(rng), None, "UTC", "en-US", f"198.51.100.{rng.randrange(1, 255)}", start
    )
    visit.user_agent = rng.choice(BOT_USER_AGENTS)
    spec = SPECS_BY_NAME["web/events"]
    emissions: list[Emission] = []
    for _ in range(rng.randint(5, 25)):
        product = rng.choice(PRODUCTS)
        event = visit.view(rng, product.name, f"/products/{product.sku.lower()}")
        if visit.clock < world.t1:
            emissions.append(Emission(spec, visit.clock, event, None, None))
        visit.tick(rng, 2)
    return emissions
