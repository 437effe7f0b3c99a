"""Generated personal values and the messy ways real exports write them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from simulator.catalog import NICKNAMES, US_AREA_CODES

CALLING_CODES = {"US": "1", "GB": "44", "DE": "49", "FR": "33", "NL": "31"}


@dataclass(frozen=True)
class Phone:
    """A phone number as its country and national significant number."""

    country: str
    national: str

    @property
    def e164(self) -> str:
        return f"+{CALLING_CODES[self.country]}{self.national}"


def random_digits(rng: Random, count: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(count))


def new_phone(rng: Random, country: str, city: str, landline: bool = False) -> Phone:
    """A number that looks real for its country; every digit is generated."""
    if country == "US":
        area = rng.choice(US_AREA_CODES[city])
        exchange = f"{rng.randrange(2, 10)}{random_digits(rng, 2)}"
        return Phone(country, f"{area}{exchange}{random_digits(rng, 4)}")
    prefixes = {
        "GB": ("20", 8) if landline else (f"7{rng.randrange(4, 10)}", 8),
        "DE": ("30", 8) if landline else (f"15{rng.randrange(1, 8)}", 8),
        "FR": ("1", 8) if landline else (str(rng.choice((6, 7))), 8),
        "NL": ("20", 7) if landline else ("6", 8),
    }
    prefix, length = prefixes[country]
    return Phone(country, prefix + random_digits(rng, length))


def phone_variants(phone: Phone) -> tuple[str, ...]:
    """Ways people and forms write the same number: E.164, national, with spaces, 00 prefix."""
    cc, nsn = CALLING_CODES[phone.country], phone.national
    if phone.country == "US":
        area, exchange, line = nsn[:3], nsn[3:6], nsn[6:]
        return (
            f"+1{nsn}",
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"{area} {exchange} {line}",
            f"1-{area}-{exchange}-{line}",
            f"001 {area} {exchange} {line}",
            f"+1 {area}-{exchange}-{line}",
            nsn,
        )
    head, tail = nsn[:4], nsn[4:]
    return (
        f"+{cc}{nsn}",
        f"0{head} {tail}",
        f"+{cc} {head} {tail}",
        f"00{cc} {head} {tail}",
        f"0{nsn}",
        f"+{cc} (0){nsn}",
        f"0{head}-{tail}",
    )


def pick_phone(rng: Random, phone: Phone, clean: float = 0.4) -> str:
    """A written form of the number; `clean` is the chance of plain E.164."""
    if rng.random() < clean:
        return phone.e164
    return rng.choice(phone_variants(phone))


def pick_email(rng: Random, email: str, clean: float = 0.8) -> str:
    """The address with the case and whitespace slips of hand-typed forms."""
    if rng.random() < clean:
        return email
    local, domain = email.split("@", 1)
    return rng.choice(
        (
            email.upper(),
            f"{local.capitalize()}@{domain}",
            f" {email}",
            f"{email} ",
            f"{local.title()}@{domain.upper()}",
        )
    )


def typo(rng: Random, text: str) -> str:
    """One keyboard slip: a swapped, dropped, doubled or replaced letter."""
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[: position - 1] + text[position] + text[position - 1] + text[position + 1 :]
    if kind == 1:
        return text[:position] + text[position + 1 :]
    if kind == 2:
        return text[:position] + text[position] + text[position:]
    return text[:position] + rng.choice("aeiourstn") + text[position + 1 :]


def maybe_typo(rng: Random, text: str, chance: float) -> str:
    return typo(rng, text) if rng.random() < chance else text


def misentered_name(rng: Random, first: str, last: str) -> tuple[str, str]:
    """A name as a clerk or an imported list has it: at times a nickname for the given name
    (Bob for Robert), a slip of the keyboard in either name, first and last name swapped, the
    given name left blank or cut to its initial, everything in capitals."""
    if first in NICKNAMES and rng.random() < 0.3:
        first = rng.choice(NICKNAMES[first])
    first, last = maybe_typo(rng, first, 0.06), maybe_typo(rng, last, 0.06)
    slip = rng.random()
    if slip < 0.04:
        first, last = last, first
    elif slip < 0.07:
        first = ""
    elif slip < 0.10:
        first = f"{first[0]}."
    if rng.random() < 0.08:
        first, last = first.upper(), last.upper()
    return first, last


def mistyped_date(rng: Random, day: date) -> date:
    """Another valid date a hand typing `day` gives: the day's or the year's last two digits
    transposed, day and month swapped, the day one off, or the year one off."""
    kind = rng.randrange(5)
    if kind == 0 and day.day <= 12 and day.day != day.month:
        return date(day.year, day.day, day.month)
    if kind == 1:
        swapped = int(f"{day.day:02d}"[::-1])
        if 1 <= swapped <= 28 and swapped != day.day:
            return day.replace(day=swapped)
    if kind == 2:
        year = day.year - day.year % 100 + int(f"{day.year % 100:02d}"[::-1])
        if year != day.year and not (day.month == 2 and day.day == 29):
            return day.replace(year=year)
    if kind == 3:
        return day + timedelta(days=rng.choice((-1, 1)))
    year = day.year + rng.choice((-1, 1))
    return day.replace(year=year, day=min(day.day, 28) if day.month == 2 else day.day)


STREET_ABBREVIATIONS = {
    "Street": ("St", "St.", "street", "STREET"),
    "Avenue": ("Ave", "Ave.", "Av."),
    "Road": ("Rd", "Rd.", "road"),
    "Lane": ("Ln", "Ln."),
    "Drive": ("Dr", "Dr."),
    "Boulevard": ("Blvd", "Blvd."),
    "Court": ("Ct", "Ct."),
    "Way": ("Wy",),
}


def address_variant(rng: Random, line: str, chance: float = 0.3) -> str:
    """The street line as forms abbreviate, lowercase or mistype it."""
    if rng.random() >= chance:
        return line
    suffix = line.rsplit(" ", 1)[-1]
    if suffix in STREET_ABBREVIATIONS and rng.random() < 0.6:
        return line[: -len(suffix)] + rng.choice(STREET_ABBREVIATIONS[suffix])
    return rng.choice((line.lower(), line.upper(), typo(rng, line)))


def hex_id(rng: Random, digits: int = 32) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def uuid4(rng: Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def scramble(index: int, salt: int, bits: int = 40) -> int:
    """A one-to-one mapping of an index to a random-looking number below 2**bits."""
    mask = (1 << bits) - 1
    value = (index * 0x9E3779B97F4A7C15 + salt) & mask
    value ^= value >> (bits // 2)
    return (value * 0xBF58476D1CE4E5B9) & mask
