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
    "crm_system",
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

# Names, most common first: people draw them with `FIRST_NAME_WEIGHTS` and `LAST_NAME_WEIGHTS`,
# so common names are much more common than rare ones and unrelated people share a full name
# about as often as in a real customer base (a few in a million pairs).
FIRST_NAMES = (
    "James", "Mary", "John", "Michael", "Robert", "Jennifer", "David", "Linda", "William",
    "Elizabeth", "Richard", "Patricia", "Joseph", "Susan", "Thomas", "Sarah", "Christopher",
    "Jessica", "Daniel", "Karen", "Matthew", "Lisa", "Anthony", "Nancy", "Mark", "Emily",
    "Steven", "Margaret", "Andrew", "Ashley", "Paul", "Michelle", "Joshua", "Kimberly", "Kenneth",
    "Laura", "Kevin", "Emma", "Brian", "Amanda", "George", "Anna", "Timothy", "Stephanie",
    "Ronald", "Rebecca", "Jason", "Sandra", "Edward", "Maria", "Jeffrey", "Katherine", "Ryan",
    "Deborah", "Jacob", "Rachel", "Gary", "Catherine", "Nicholas", "Carol", "Eric", "Christine",
    "Jonathan", "Samantha", "Stephen", "Amy", "Larry", "Angela", "Justin", "Helen", "Scott",
    "Olivia", "Brandon", "Hannah", "Benjamin", "Julia", "Samuel", "Victoria", "Gregory", "Sophie",
    "Alexander", "Nicole", "Patrick", "Megan", "Frank", "Lauren", "Peter", "Charlotte", "Raymond",
    "Grace", "Jack", "Alice", "Dennis", "Claire", "Jerry", "Natalie", "Tyler", "Heather", "Aaron",
    "Diana", "Adam", "Christina", "Henry", "Lucy", "Nathan", "Abigail", "Douglas", "Anne",
    "Zachary", "Jacqueline", "Charles", "Danielle", "Oliver", "Louise", "Harry", "Ella", "Lucas",
    "Julie", "Stefan", "Marie", "Andreas", "Sabine", "Jan", "Pierre", "Isabelle", "Nicolas",
    "Nathalie", "Philippe", "Camille", "Jean", "Chloe", "Sebastian", "Katharina", "Julian",
    "Lena", "Florian", "Lea", "Maximilian", "Johanna", "Leon", "Sanne", "Daan", "Lotte", "Thijs",
    "Femke", "Bram", "Eva", "Lars", "Fleur", "Maarten", "Manon", "Julien", "Juliette", "Antoine",
    "Claudia", "Mathieu", "Petra", "Christian", "Franziska", "Louis", "Ines", "Hugo", "Anouk",
    "Felix", "Greta", "Jonas", "Tobias", "Oskar", "Milo", "Elena", "Rosa", "Carmen", "Adrian",
    "Adriana", "Juliana", "Erica", "Paula", "Theodore", "Frederick", "Kathleen", "Barbara",
    "Dorothy", "Judith", "Joan", "Evelyn", "Frances", "Ruth", "Virginia", "Walter", "Harold",
    "Arthur", "Albert", "Ralph", "Roy", "Eugene", "Philip", "Wayne", "Russell", "Bobby", "Howard",
    "Fred", "Alan", "Keith", "Roger", "Terry", "Sean", "Carl", "Jesse", "Joe", "Bruce", "Willie",
    "Billy", "Vincent", "Dylan", "Ethan", "Noah", "Liam", "Mason", "Logan", "Owen", "Jake",
    "Connor", "Luke", "Isaac", "Gavin", "Caleb", "Evan", "Ian", "Cameron", "Blake", "Avery",
    "Jordan", "Taylor", "Morgan", "Riley", "Madison", "Sophia", "Isabella", "Mia", "Harper",
    "Zoe", "Lily", "Layla", "Aria", "Nora", "Stella", "Hazel", "Violet", "Aurora", "Savannah",
    "Audrey", "Brooklyn", "Leah", "Ruby", "Ivy", "Alexandra", "Gabriel", "Vanessa", "Monica",
    "Erin", "Kelly", "Tracy", "Dawn", "Wendy", "Molly", "Holly", "Freya", "Poppy", "Imogen",
    "Isla", "Rosie", "Phoebe", "Matilda", "Alfie", "Archie", "Freddie", "Reuben", "Toby", "Rory",
    "Callum", "Finlay", "Ewan", "Dario", "Farah", "Gideon", "Hana", "Ilse", "Kira", "Lionel",
    "Marisol", "Nadia", "Priya", "Quentin", "Soren", "Talia", "Umar", "Vera", "Wendell",
    "Ximena", "Yusuf", "Zelda", "Bastian", "Celeste", "Dmitri", "Esme", "Jasper", "Leona", "Noor",
    "Otto", "Paloma", "Rafael", "Selma", "Ursula", "Viggo", "Willa", "Yara",
)  # fmt: skip
COMMON_LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price",
    "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson",
    "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno", "West",
    "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Stevens",
    "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald",
    "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Chen", "Freeman", "Webb", "Tucker",
    "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Silva", "Shaw",
    "Snyder", "Mason", "Dixon", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black",
    "Robertson", "Boyd", "Rose", "Stone", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt",
    "Davies", "Clarke", "Lloyd", "Griffiths", "Chapman", "Fletcher", "Pearson", "Atkinson",
    "O'Brien", "O'Connor", "O'Neill", "McCarthy", "Mueller", "Schneider", "Fischer", "Weber",
    "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schroeder", "Neumann",
    "Braun", "Zimmermann", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Fournier", "Girard", "Dupont",
    "Lambert", "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
    "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Dekker",
)  # fmt: skip
RARE_LAST_NAMES = (
    "Abernathy", "Brightwater", "Castellano", "Dunmore", "Everly", "Fairbanks", "Galloway",
    "Hollister", "Ingram", "Jarvisson", "Kettleby", "Lindqvist", "Marchetti", "Northcote",
    "Okonkwo", "Pemberton", "Quillfeather", "Ravensworth", "Stavros", "Thornbury", "Underhill",
    "Vantongeren", "Whitlock", "Yamadera", "Zellweger", "Ashdown", "Blackwood", "Coldwell",
    "Delacroix-Ames", "Esterhazy", "Fenwicke", "Granholm", "Haverford", "Ilyushenko",
    "Kowalczyk", "Lockridge", "Moravec", "Nightingale", "O'Rourke", "Penhaligon",
)  # fmt: skip
# The long tail: place-name surnames of the kind English and German registers hold by the
# thousand, each of them rare.
SURNAME_STEMS = (
    "Ash", "Bar", "Black", "Brad", "Bram", "Bright", "Brook", "Burn", "Cald", "Chat", "Clay",
    "Cran", "Dal", "Dun", "East", "Edge", "Els", "Fair", "Farn", "Fern", "Gold", "Gran", "Hal",
    "Hart", "Hazel", "Hol", "Horn", "Kings", "Lang", "Lind", "Marsh", "Mid", "Mill", "Moor",
    "Nor", "Oak", "Pen", "Red", "Rush", "Shel", "Stan", "Stock", "Thorn", "Wake", "Wal", "Wes",
    "Whit", "Yar", "Berg", "Stein", "Rosen", "Linden", "Kirch", "Hoch", "Bach", "Wald", "Eichen",
)  # fmt: skip
SURNAME_ENDINGS = (
    "ford", "field", "ley", "ton", "wood", "well", "worth", "by", "more", "bury", "dale", "ham",
    "hurst", "combe", "stead", "wick", "brook", "bridge", "land", "shaw", "croft", "gate",
    "ridge", "mere", "holt", "ington", "cott", "den", "low", "thorpe",
)  # fmt: skip
GERMAN_SURNAME_ENDINGS = ("mann", "berger", "hoff", "feld", "bauer", "meier", "dorf", "huber")
ENGLISH_SURNAME_STEMS = SURNAME_STEMS[:48]
LAST_NAMES = tuple(
    dict.fromkeys(
        (
            *COMMON_LAST_NAMES,
            *RARE_LAST_NAMES,
            *(
                stem + ending
                for stem in ENGLISH_SURNAME_STEMS
                for ending in SURNAME_ENDINGS
                if stem[:3].lower() != ending[:3]
            ),
            *(
                stem + ending
                for stem in SURNAME_STEMS[48:]
                for ending in GERMAN_SURNAME_ENDINGS
                if stem[:3].lower() != ending[:3]
            ),
        )
    )
)


def zipf_weights(count: int, offset: float, exponent: float, mass: float = 1.0) -> list[float]:
    """Weights of `count` names in order of frequency, adding up to `mass`: the name of rank r
    gets ``(r + offset) ** -exponent`` (Zipf-Mandelbrot, the law name frequencies follow)."""
    raw = [(rank + offset) ** -exponent for rank in range(1, count + 1)]
    total = sum(raw)
    return [mass * weight / total for weight in raw]


# James is about 1.3% of people and the rarest first name 0.14%; Smith is about 1.3%, and the
# common surnames together a quarter; the tail shares the rest evenly.
FIRST_NAME_WEIGHTS = tuple(zipf_weights(len(FIRST_NAMES), offset=20, exponent=0.8))
COMMON_LAST_NAME_SHARE = 0.25
RARE_LAST_NAME_COUNT = len(LAST_NAMES) - len(COMMON_LAST_NAMES)
LAST_NAME_WEIGHTS = (
    *zipf_weights(len(COMMON_LAST_NAMES), offset=4, exponent=1.0, mass=COMMON_LAST_NAME_SHARE),
    *[(1 - COMMON_LAST_NAME_SHARE) / RARE_LAST_NAME_COUNT] * RARE_LAST_NAME_COUNT,
)
# Short forms clerks and customers write for a given name.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Betty", "Eliza"), "Katherine": ("Kate", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Kate", "Cat"), "Kathleen": ("Kathy", "Kath"),
    "James": ("Jim", "Jimmy", "Jamie"), "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mick"),
    "Richard": ("Rick", "Rich", "Dick"), "Thomas": ("Tom", "Tommy"),
    "Charles": ("Charlie", "Chuck"),
    "Joseph": ("Joe", "Joey"), "Christopher": ("Chris", "Kit"), "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",), "Anthony": ("Tony",), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jen", "Jenny"), "Patricia": ("Pat", "Patty", "Trish"), "Susan": ("Sue", "Susie"),
    "Deborah": ("Deb", "Debbie"), "Jessica": ("Jess", "Jessie"), "Alexander": ("Alex", "Xander"),
    "Alexandra": ("Alex", "Sasha"), "Benjamin": ("Ben", "Benny"), "Samuel": ("Sam", "Sammy"),
    "Samantha": ("Sam", "Sammie"), "Nicholas": ("Nick", "Nicky"), "Edward": ("Ed", "Eddie", "Ted"),
    "Andrew": ("Andy", "Drew"), "Jonathan": ("Jon", "Jonny"), "Victoria": ("Vicky", "Tori"),
    "Rebecca": ("Becky", "Becca"), "Christine": ("Chris", "Tina"), "Kimberly": ("Kim",),
    "Stephanie": ("Steph",), "Gregory": ("Greg",), "Timothy": ("Tim", "Timmy"),
    "Steven": ("Steve",), "Stephen": ("Steve",), "Kenneth": ("Ken", "Kenny"),
    "Ronald": ("Ron", "Ronnie"), "Raymond": ("Ray",), "Jeffrey": ("Jeff",), "Zachary": ("Zach",),
    "Nathan": ("Nate",), "Patrick": ("Pat", "Paddy"), "Douglas": ("Doug",),
    "Abigail": ("Abby",), "Jacqueline": ("Jackie",), "Theodore": ("Ted", "Theo"),
    "Frederick": ("Fred", "Freddie"), "Barbara": ("Barb", "Babs"), "Dorothy": ("Dot", "Dottie"),
    "Judith": ("Judy",), "Frances": ("Fran",), "Virginia": ("Ginny",), "Maximilian": ("Max",),
    "Katharina": ("Kathi", "Katja"), "Johanna": ("Hanna",), "Franziska": ("Franzi",),
    "Sebastian": ("Basti",), "Florian": ("Flo",), "Gabriel": ("Gabe",), "Isabella": ("Bella",),
    "Madison": ("Maddie",), "Natalie": ("Nat",),
}  # fmt: skip
# Given names close enough to pass for one another: parents give such names to twins.
SIMILAR_FIRST_NAMES = (
    ("Anna", "Anne"), ("Daniel", "Danielle"), ("Christian", "Christina"), ("Eric", "Erica"),
    ("Louis", "Louise"), ("Julian", "Juliana"), ("Adrian", "Adriana"), ("Paul", "Paula"),
    ("Julia", "Julie"), ("Christina", "Christine"), ("Michael", "Michelle"), ("Leon", "Leona"),
)  # fmt: skip
STREETS = (
    "Maple Street", "Harbor Avenue", "Cedar Lane", "Orchard Road", "Willow Way", "Station Road",
    "Elm Street", "Lakeview Drive", "Mill Lane", "Kingsley Avenue", "Juniper Court",
    "Foundry Street", "Beacon Street", "Linden Boulevard", "Copper Road",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
JUNK_EMAILS = ("test@example.com", "noreply@example.com", "none@example.org", "asdf@asdf.example")
JUNK_PHONES = ("0000000000", "+10000000000", "1234567890", "555-555-5555")
