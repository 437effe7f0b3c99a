"""Orders (Shopify Order), carrier tracking webhooks, store till receipts and the price list."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from simulator.catalog import City, Store
from simulator.messy import hex_id
from simulator.timefmt import iso_local, naive_local

SHOP_TIMEZONE = "America/New_York"
CARRIERS = {"US": ("ups", "fedex", "usps"), "GB": ("royal_mail", "dpd"), "DE": ("dhl", "gls")}
CARRIERS_ELSEWHERE = ("dhl", "postnl", "gls")


def money(value: float) -> str:
    return f"{value:.2f}"


@dataclass
class LineItem:
    sku: str
    title: str
    quantity: int
    price: float
    compare_at_price: float | None
    discount: float

    @property
    def total(self) -> float:
        return self.price * self.quantity - self.discount


@dataclass
class Buyer:
    """The customer as this order writes them (already messy)."""

    customer_id: int
    email: str | None
    phone: str | None
    first_name: str
    last_name: str
    accepts_marketing: bool
    address1: str
    city: str
    province: str
    zip_code: str
    country_code: str


@dataclass
class Order:
    order_id: int
    number: int
    created: float
    source_name: str
    currency: str
    items: list[LineItem]
    buyer: Buyer
    discount_code: str | None
    tags: str
    landing_site: str


def shopify_order(
    rng: Random,
    order: Order,
    *,
    updated: float,
    financial_status: str,
    fulfillment_status: str | None,
    cancelled: bool = False,
) -> dict[str, Any]:
    subtotal = sum(item.total for item in order.items)
    discounts = sum(item.discount for item in order.items)
    tax = round(subtotal * 0.08, 2)
    buyer = order.buyer
    address = {
        "first_name": buyer.first_name,
        "last_name": buyer.last_name,
        "address1": buyer.address1,
        "address2": None,
        "city": buyer.city,
        "province": buyer.province,
        "zip": buyer.zip_code,
        "country_code": buyer.country_code,
        "phone": buyer.phone,
    }
    created = iso_local(order.created, SHOP_TIMEZONE)
    record: dict[str, Any] = {
        "id": order.order_id,
        "name": f"#{order.number}",
        "order_number": order.number,
        "email": buyer.email,
        "phone": buyer.phone,
        "created_at": created,
        "updated_at": iso_local(updated, SHOP_TIMEZONE),
        "processed_at": created,
        "cancelled_at": iso_local(updated, SHOP_TIMEZONE) if cancelled else None,
        "cancel_reason": "customer" if cancelled else None,
        "currency": "USD",
        "presentment_currency": order.currency,
        "subtotal_price": money(subtotal),
        "total_discounts": money(discounts),
        "total_price": money(subtotal + tax),
        "total_tax": money(tax),
        "financial_status": financial_status,
        "fulfillment_status": fulfillment_status,
        "source_name": order.source_name,
        "landing_site": order.landing_site,
        "referring_site": None,
        "tags": order.tags,
        "customer": {
            "id": buyer.customer_id,
            "email": buyer.email,
            "phone": buyer.phone,
            "first_name": buyer.first_name,
            "last_name": buyer.last_name,
            "accepts_marketing": buyer.accepts_marketing,
        },
        "billing_address": address,
        "shipping_address": address,
        "line_items": [
            {
                "id": order.order_id * 10 + position,
                "product_id": 8_000_000_000 + int(hex_id(rng, 6), 16),
                "variant_id": 4_000_000_000 + position,
                "sku": item.sku,
                "title": item.title,
                "quantity": item.quantity,
                "price": money(item.price),
                "compare_at_price": money(item.compare_at_price) if item.compare_at_price else None,
                "total_discount": money(item.discount),
            }
            for position, item in enumerate(order.items, start=1)
        ],
        "discount_codes": [
            {"code": order.discount_code, "amount": money(discounts), "type": "percentage"}
        ]
        if order.discount_code
        else [],
        "transactions": [
            {
                "id": order.order_id * 100 + 1,
                "kind": "sale",
                "status": "success",
                "gateway": "shopify_payments",
                "error_code": None,
                "created_at": created,
            }
        ],
    }
    if financial_status == "refunded":
        record["transactions"].append(
            {
                "id": order.order_id * 100 + 2,
                "kind": "refund",
                "status": "success",
                "gateway": "shopify_payments",
                "error_code": None,
                "created_at": iso_local(updated, SHOP_TIMEZONE),
            }
        )
    return record


@dataclass
class Parcel:
    tracking_number: str
    carrier: str
    order_reference: str
    timezone: str
    city: str
    region: str
    postal_code: str
    country_code: str


def new_parcel(rng: Random, order_name: str, city: City, postal_code: str) -> Parcel:
    carrier = rng.choice(CARRIERS.get(city.country_code, CARRIERS_ELSEWHERE))
    return Parcel(
        tracking_number=f"1Z{hex_id(rng, 16).upper()}",
        carrier=carrier,
        order_reference=order_name,
        timezone=city.timezone,
        city=city.city,
        region=city.region,
        postal_code=postal_code,
        country_code=city.country_code,
    )


def tracking_event(
    rng: Random, parcel: Parcel, status: str, *, at: float, eta: float, detail: str | None = None
) -> dict[str, Any]:
    at_destination = status in ("out_for_delivery", "delivered", "failed_attempt")
    return {
        "event_id": f"trk_{hex_id(rng, 24)}",
        "tracking_number": parcel.tracking_number,
        "carrier": parcel.carrier,
        "order_reference": parcel.order_reference,
        "status": status,
        "status_detail": detail,
        "occurred_at": iso_local(at, parcel.timezone),
        "estimated_delivery_at": iso_local(eta, parcel.timezone),
        "location": {
            "city": parcel.city if at_destination else "Memphis",
            "region": parcel.region if at_destination else "TN",
            "postal_code": parcel.postal_code if at_destination else "38118",
            "country_code": parcel.country_code if at_destination else "US",
        },
    }


@dataclass
class TillCustomer:
    loyalty_card: str
    phone: str
    customer_name: str


def receipt_lines(
    rng: Random,
    store: Store,
    at: float,
    items: list[LineItem],
    customer: TillCustomer,
    *,
    discount_code: str,
) -> list[dict[str, str]]:
    store_id, timezone = store.store_id, store.timezone
    receipt_id = f"{store_id[3:6]}-{hex_id(rng, 10).upper()}"
    register = f"R{rng.randrange(1, 5)}"
    cashier = f"C{rng.randrange(100, 160)}"
    method = rng.choice(("card", "card", "card", "cash", "mobile", "gift_card"))
    return [
        {
            "receipt_id": receipt_id,
            "line_number": str(position),
            "store_id": store_id,
            "store_timezone": timezone,
            "local_timestamp": naive_local(at, timezone),
            "register_id": register,
            "cashier_id": cashier,
            "loyalty_card": customer.loyalty_card,
            "phone": customer.phone,
            "customer_name": customer.customer_name,
            "sku": item.sku,
            "product_name": item.title,
            "quantity": str(item.quantity),
            "list_price": money(item.compare_at_price or item.price),
            "paid_price": money(item.total / item.quantity),
            "discount_code": discount_code,
            "payment_method": method,
            "currency": "USD",
        }
        for position, item in enumerate(items, start=1)
    ]
