"""The company's side of the simulation: daily prices per channel and the campaign calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random

from simulator.catalog import PRODUCTS

PRICE_CHANNELS = ("web", "mobile_app", "pos", "email", "sms")
DISCOUNTS = (0, 0, 10, 15, 20)


@dataclass(frozen=True)
class PriceMismatch:
    day: int
    channel: str
    sku: str
    price: float
    reference: float


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    channel: str
    day: int
    sku: str
    discount_percent: int

    @property
    def offer_id(self) -> str:
        return f"OFF-{self.campaign_id[4:]}"

    @property
    def wording_key(self) -> str:
        tone = "sale" if self.discount_percent else "news"
        return f"{self.channel}.{tone}.{self.sku.lower()}.v1"


@dataclass
class Market:
    """Prices per (day, channel, sku) and the campaigns; the same for every chunk of a run."""

    start: date
    days: int
    prices: dict[tuple[int, str, str], float]
    mismatches: list[PriceMismatch]
    campaigns: list[Campaign]

    def price(self, day: int, channel: str, sku: str) -> float:
        day = min(max(day, 0), self.days - 1)
        return self.prices[(day, channel, sku)]


def build_market(seed: int, start: date, days: int) -> Market:
    rng = Random(f"connect360-market:{seed}")
    reference = _reference_prices(rng, days)
    prices = {
        (day, channel, sku): price
        for (day, sku), price in reference.items()
        for channel in PRICE_CHANNELS
    }
    mismatches = _inject_mismatches(rng, days, reference, prices)
    return Market(start, days, prices, mismatches, _campaigns(rng, start, days))


def _reference_prices(rng: Random, days: int) -> dict[tuple[int, str], float]:
    """List prices with week-long promotions and an occasional permanent price change."""
    prices: dict[tuple[int, str], float] = {}
    for product in PRODUCTS:
        base = product.price
        promo_days: set[int] = set()
        for first in range(rng.randrange(0, 30), days, 30):
            if rng.random() < 0.3:
                promo_days.update(range(first, min(first + 7, days)))
        change_day = rng.randrange(days) if rng.random() < 0.2 else days
        for day in range(days):
            price = base * 1.05 if day >= change_day else base
            if day in promo_days:
                price *= 0.9
            prices[(day, product.sku)] = round(price, 2)
    return prices


def _inject_mismatches(
    rng: Random,
    days: int,
    reference: dict[tuple[int, str], float],
    prices: dict[tuple[int, str, str], float],
) -> list[PriceMismatch]:
    """A few stale or mistyped channel prices, one to three days each."""
    mismatches: list[PriceMismatch] = []
    for _ in range(max(2, days // 30)):
        channel = rng.choice(PRICE_CHANNELS[1:])
        product = rng.choice(PRODUCTS)
        first = rng.randrange(days)
        factor = rng.choice((1.05, 1.10, 0.95, 1.2))
        for day in range(first, min(first + rng.randrange(1, 4), days)):
            if prices[(day, channel, product.sku)] != reference[(day, product.sku)]:
                continue
            wrong = round(reference[(day, product.sku)] * factor, 2)
            prices[(day, channel, product.sku)] = wrong
            mismatches.append(
                PriceMismatch(day, channel, product.sku, wrong, reference[(day, product.sku)])
            )
    return mismatches


def _campaigns(rng: Random, start: date, days: int) -> list[Campaign]:
    """A weekly email campaign and a fortnightly SMS campaign, each promoting one product."""
    campaigns: list[Campaign] = []
    cadence = (("email", 7, 1), ("sms", 14, 4))
    for channel, every, offset in cadence:
        for day in range(offset, days, every):
            product = rng.choice([p for p in PRODUCTS if p.category != "subscription"])
            stamp = (start + timedelta(days=day)).strftime("%Y%m%d")
            campaigns.append(
                Campaign(f"cmp-{stamp}-{channel}", channel, day, product.sku, rng.choice(DISCOUNTS))
            )
    return sorted(campaigns, key=lambda campaign: (campaign.day, campaign.channel))


def price_list_rows(market: Market, t0: float) -> list[tuple[float, dict[str, str]]]:
    """The daily price list per channel, published at 05:00 UTC each day."""
    names = {product.sku: product.name for product in PRODUCTS}
    rows: list[tuple[float, dict[str, str]]] = []
    for day in range(market.days):
        published = t0 + day * 86_400 + 5 * 3_600
        valid = (market.start + timedelta(days=day)).isoformat()
        for channel in PRICE_CHANNELS:
            for sku, name in names.items():
                rows.append(
                    (
                        published,
                        {
                            "channel": channel,
                            "sku": sku,
                            "product_name": name,
                            "offer_id": f"LIST-{sku}",
                            "list_price": f"{market.price(day, channel, sku):.2f}",
                            "currency": "USD",
                            "wording_key": f"{channel}.list.{sku.lower()}.v1",
                            "valid_from": valid,
                            "valid_to": valid,
                            "published_at": datetime.fromtimestamp(published, UTC).isoformat(),
                        },
                    )
                )
    return rows
