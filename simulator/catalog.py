"""Static reference data of the simulated company: entities, products, stores, regions, personas.

The company is a fictional coffee-and-kitchen retailer with web and app shops, stores in the
United States, a monthly bean subscription ("Bean Club") and customers at home and abroad.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class EntitySpec:
    """How one landed entity is written; mirrors the entity's contract in `contracts/`."""

    channel: str
    entity: str
    format: str
    record_id: tuple[str, ...]
    occurred_at: str
    required_field: str
    text_field: str
    columns: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.channel}/{self.entity}"


POS_COLUMNS = (
    "receipt_id",
    "line_number",
    "store_id",
    "store_timezone",
    "local_timestamp",
    "register_id",
    "cashier_id",
    "loyalty_card",
    "phone",
    "customer_name",
    "sku",
    "product_name",
    "quantity",
    "list_price",
    "paid_price",
    "discount_code",
    "payment_method",
    "currency",
)
CRM_COLUMNS = (
    "crm_id",
    "first_name",
    "last_name",
    "email",
    "secondary_email",
    "phone",
    "mobile_phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "country_code",
    "date_of_birth",
    "lifecycle_stage",
    "loyalty_card",
    "account_user_id",
    "created_at",
    "updated_at",
)
PRICE_LIST_COLUMNS = (
    "channel",
    "sku",
    "product_name",
    "offer_id",
    "list_price",
    "currency",
    "wording_key",
    "valid_from",
    "valid_to",
    "published_at",
)

ENTITY_SPECS: tuple[EntitySpec, ...] = (
    EntitySpec("web", "events", "jsonl", ("messageId",), "timestamp", "type", "messageId"),
    EntitySpec("mobile_app", "events", "jsonl", ("messageId",), "timestamp", "type", "messageId"),
    EntitySpec("email", "events", "jsonl", ("sg_event_id",), "timestamp", "event", "sg_event_id"),
    EntitySpec("sms", "messages", "jsonl", ("sid",), "date_sent", "status", "sid"),
    EntitySpec("voice", "calls", "jsonl", ("sid",), "start_time", "direction", "sid"),
    EntitySpec(
        "voice", "dispositions", "jsonl", ("disposition_id",), "wrapped_up_at", "call_sid", "queue"
    ),
    EntitySpec("chat", "conversations", "jsonl", ("id",), "updated_at", "created_at", "id"),
    EntitySpec(
        "tickets", "tickets", "jsonl", ("id", "updated_at"), "updated_at", "status", "status"
    ),
    EntitySpec(
        "orders", "orders", "jsonl", ("id", "updated_at"), "updated_at", "currency", "currency"
    ),
    EntitySpec(
        "pos",
        "receipts",
        "csv",
        ("receipt_id", "line_number"),
        "local_timestamp",
        "sku",
        "product_name",
        POS_COLUMNS,
    ),
    EntitySpec(
        "shipping",
        "tracking_events",
        "jsonl",
        ("event_id",),
        "occurred_at",
        "tracking_number",
        "event_id",
    ),
    EntitySpec(
        "surveys", "responses", "jsonl", ("response_id",), "responded_at", "score", "response_id"
    ),
    EntitySpec("social", "mentions", "jsonl", ("id",), "created_at", "platform", "id"),
    EntitySpec(
        "crm",
        "contacts",
        "csv",
        ("crm_id", "updated_at"),
        "updated_at",
        "created_at",
        "last_name",
        CRM_COLUMNS,
    ),
    EntitySpec(
        "consent", "events", "jsonl", ("consent_event_id",), "occurred_at", "purpose", "source"
    ),
    EntitySpec(
        "consent",
        "erasure_requests",
        "jsonl",
        ("request_id",),
        "received_at",
        "subject_type",
        "request_id",
    ),
    EntitySpec("marketing", "sends", "jsonl", ("send_id",), "sent_at", "campaign_id", "send_id"),
    EntitySpec(
        "marketing",
        "price_list",
        "csv",
        ("channel", "sku", "valid_from"),
        "published_at",
        "currency",
        "product_name",
        PRICE_LIST_COLUMNS,
    ),
    EntitySpec(
        "experiments",
        "assignments",
        "jsonl",
        ("assignment_id",),
        "assigned_at",
        "variant",
        "assignment_id",
    ),
)
SPECS_BY_NAME: dict[str, EntitySpec] = {spec.name: spec for spec in ENTITY_SPECS}


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: float
    category: str


PRODUCTS: tuple[Product, ...] = (
    Product("ESP-100", "Brewline Espresso One", 349.00, "machines"),
    Product("ESP-200", "Brewline Espresso Duo", 549.00, "machines"),
    Product("ESP-300", "Brewline Barista Pro", 899.00, "machines"),
    Product("DRP-110", "Pourwell Drip Brewer", 129.00, "machines"),
    Product("GRD-120", "Millstone Burr Grinder", 179.00, "grinders"),
    Product("GRD-220", "Millstone Flat Grinder", 289.00, "grinders"),
    Product("KTL-130", "Gooseneck Kettle", 69.00, "accessories"),
    Product("SCL-140", "Brew Scale", 49.00, "accessories"),
    Product("TMP-150", "Walnut Tamper", 39.00, "accessories"),
    Product("MLK-160", "Milk Frothing Jug", 29.00, "accessories"),
    Product("FLT-170", "Paper Filters 200", 8.50, "consumables"),
    Product("CLN-180", "Descaler Tablets", 14.00, "consumables"),
    Product("BNS-210", "House Blend Beans 1kg", 32.00, "beans"),
    Product("BNS-220", "Ethiopia Yirgacheffe 250g", 16.50, "beans"),
    Product("BNS-230", "Colombia Huila 250g", 15.00, "beans"),
    Product("BNS-240", "Decaf Swiss Water 250g", 14.50, "beans"),
    Product("BNS-250", "Espresso Roast 1kg", 34.00, "beans"),
    Product("MUG-310", "Stoneware Mug Set", 36.00, "accessories"),
    Product("CUP-320", "Travel Cup", 24.00, "accessories"),
    Product("SUB-100", "Bean Club Monthly", 29.00, "subscription"),
)
PRODUCTS_BY_SKU: dict[str, Product] = {product.sku: product for product in PRODUCTS}
SUBSCRIPTION_SKU = "SUB-100"


@dataclass(frozen=True)
class City:
    city: str
    region: str
    country_code: str
    timezone: str
    postal_prefix: str
    weight: float


CITIES: tuple[City, ...] = (
    City("New York", "NY", "US", "America/New_York", "100", 14),
    City("Boston", "MA", "US", "America/New_York", "021", 6),
    City("Atlanta", "GA", "US", "America/New_York", "303", 6),
    City("Chicago", "IL", "US", "America/Chicago", "606", 9),
    City("Dallas", "TX", "US", "America/Chicago", "752", 7),
    City("Denver", "CO", "US", "America/Denver", "802", 5),
    City("Phoenix", "AZ", "US", "America/Phoenix", "850", 4),
    City("Seattle", "WA", "US", "America/Los_Angeles", "981", 6),
    City("Los Angeles", "CA", "US", "America/Los_Angeles", "900", 10),
    City("San Francisco", "CA", "US", "America/Los_Angeles", "941", 6),
    City("Honolulu", "HI", "US", "Pacific/Honolulu", "968", 1),
    City("London", "ENG", "GB", "Europe/London", "SW1", 5),
    City("Manchester", "ENG", "GB", "Europe/London", "M1", 2),
    City("Berlin", "BE", "DE", "Europe/Berlin", "101", 3),
    City("Paris", "IDF", "FR", "Europe/Paris", "750", 3),
    City("Amsterdam", "NH", "NL", "Europe/Amsterdam", "101", 2),
)
US_AREA_CODES: dict[str, tuple[str, ...]] = {
    "New York": ("212", "646", "718", "917"),
    "Boston": ("617", "857"),
    "Atlanta": ("404", "470", "678"),
    "Chicago": ("312", "773", "872"),
    "Dallas": ("214", "469", "972"),
    "Denver": ("303", "720"),
    "Phoenix": ("480", "602", "623"),
    "Seattle": ("206", "425"),
    "Los Angeles": ("213", "310", "323", "424"),
    "San Francisco": ("415", "628"),
    "Honolulu": ("808",),
}
PRESENTMENT_CURRENCY = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "NL": "EUR"}
LANGUAGE = {"US": "en", "GB": "en", "DE": "de", "FR": "fr", "NL": "nl"}


@dataclass(frozen=True)
class Store:
    store_id: str
    city: str
    timezone: str


STORES: tuple[Store, ...] = (
    Store("ST-NYC-01", "New York", "America/New_York"),
    Store("ST-NYC-02", "New York", "America/New_York"),
    Store("ST-BOS-01", "Boston", "America/New_York"),
    Store("ST-ATL-01", "Atlanta", "America/New_York"),
    Store("ST-CHI-01", "Chicago", "America/Chicago"),
    Store("ST-DAL-01", "Dallas", "America/Chicago"),
    Store("ST-DEN-01", "Denver", "America/Denver"),
    Store("ST-PHX-01", "Phoenix", "America/Phoenix"),
    Store("ST-SEA-01", "Seattle", "America/Los_Angeles"),
    Store("ST-LAX-01", "Los Angeles", "America/Los_Angeles"),
    Store("ST-SFO-01", "San Francisco", "America/Los_Angeles"),
)


@dataclass(frozen=True)
class Persona:
    """How a kind of customer behaves; rates are per 30 days unless named otherwise."""

    name: str
    weight: float
    existing_share: float
    sessions: float
    app_share: float
    store_visits: float
    purchase: float
    depth: int
    support: float
    churn: float
    opt_in: float
    discount_seeking: float
    survey_response: float
    social: float
    subscribe: float
    mood: float


PERSONAS: tuple[Persona, ...] = (
    # name, weight, existing_share, sessions, app_share, store_visits, purchase, depth,
    # support, churn, opt_in, discount_seeking, survey_response, social, subscribe, mood
    Persona("bargain_hunter", 18, 0.35, 1.20, 0.30, 0.10, 0.10, 5,
            0.08, 0.15, 0.85, 0.9, 0.10, 0.05, 0.03, 0.0),
    Persona("loyal_regular", 14, 0.80, 1.10, 0.40, 0.25, 0.18, 3,
            0.08, 0.02, 0.70, 0.2, 0.30, 0.06, 0.25, 1.5),
    Persona("researcher", 14, 0.20, 1.30, 0.20, 0.10, 0.05, 8,
            0.12, 0.10, 0.50, 0.4, 0.15, 0.03, 0.03, 0.3),
    Persona("support_heavy", 8, 0.60, 0.80, 0.30, 0.15, 0.10, 4,
            0.70, 0.20, 0.60, 0.3, 0.35, 0.12, 0.10, -1.0),
    Persona("at_risk", 10, 0.90, 0.60, 0.30, 0.10, 0.06, 3,
            0.30, 0.60, 0.60, 0.5, 0.25, 0.15, 0.15, -2.0),
    Persona("store_first", 14, 0.55, 0.30, 0.10, 0.90, 0.08, 3,
            0.06, 0.05, 0.45, 0.3, 0.12, 0.02, 0.03, 0.8),
    Persona("app_first", 22, 0.45, 1.35, 0.90, 0.10, 0.12, 4,
            0.10, 0.08, 0.65, 0.4, 0.15, 0.08, 0.18, 0.5),
)  # fmt: skip


@dataclass(frozen=True)
class Experiment:
    key: str
    surface: str
    channel: str
    subject_type: str
    variants: tuple[str, ...]
    true_effect: float
    primary_metric: str
    start: date
    end: date


# The same keys, variants and dates as `seeds/experiments.csv` (a test keeps them in step).
EXPERIMENTS: tuple[Experiment, ...] = (
    Experiment(
        "checkout_one_page", "checkout", "web", "anonymous_id", ("control", "one_page"),
        0.06, "order_conversion_14d", date(2026, 1, 5), date(2026, 3, 31),
    ),
    Experiment(
        "app_home_recommendations", "home", "mobile_app", "anonymous_id",
        ("control", "personalized"), 0.03, "order_conversion_14d",
        date(2026, 1, 1), date(2026, 6, 30),
    ),
    Experiment(
        "welcome_series_v2", "onboarding_email", "email", "user_id", ("control", "three_step"),
        0.10, "activation_7d", date(2026, 2, 1), date(2026, 6, 30),
    ),
    Experiment(
        "free_shipping_banner", "product_page", "web", "anonymous_id", ("control", "banner"),
        0.0, "order_conversion_14d", date(2026, 3, 1), date(2026, 5, 31),
    ),
)  # fmt: skip

FIRST_NAMES = (
    "Avery", "Blake", "Carmen", "Dario", "Elena", "Farah", "Gideon", "Hana", "Ilse", "Jonas",
    "Kira", "Lionel", "Marisol", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Soren", "Talia",
    "Umar", "Vera", "Wendell", "Ximena", "Yusuf", "Zelda", "Anouk", "Bastian", "Celeste",
    "Dmitri", "Esme", "Felix", "Greta", "Hugo", "Ines", "Jasper", "Leona", "Milo", "Noor",
    "Otto", "Paloma", "Rafael", "Selma", "Tobias", "Ursula", "Viggo", "Willa", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "Abernathy", "Brightwater", "Castellano", "Dunmore", "Everly", "Fairbanks", "Galloway",
    "Hollister", "Ingram", "Jarvisson", "Kettleby", "Lindqvist", "Marchetti", "Northcote",
    "Okonkwo", "Pemberton", "Quillfeather", "Ravensworth", "Stavros", "Thornbury", "Underhill",
    "Vantongeren", "Whitlock", "Yamadera", "Zellweger", "Ashdown", "Blackwood", "Coldwell",
    "Delacroix-Ames", "Esterhazy", "Fenwicke", "Granholm", "Haverford", "Ilyushenko",
    "Kowalczyk", "Lockridge", "Moravec", "Nightingale", "O'Rourke", "Penhaligon",
)  # fmt: skip
STREETS = (
    "Maple Street", "Harbor Avenue", "Cedar Lane", "Orchard Road", "Willow Way", "Station Road",
    "Elm Street", "Lakeview Drive", "Mill Lane", "Kingsley Avenue", "Juniper Court",
    "Foundry Street", "Beacon Street", "Linden Boulevard", "Copper Road",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
JUNK_EMAILS = ("test@example.com", "noreply@example.com", "none@example.org", "asdf@asdf.example")
JUNK_PHONES = ("0000000000", "+10000000000", "1234567890", "555-555-5555")
