"""The consent rules the pipeline must enforce, evaluated on the simulated truth.

Only marketing sends are judged; transactional messages are exempt. The parameters are written to
the truth manifest so the quality suites and this evaluation agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.timefmt import DAY, local_hour

CONSENT_PURPOSE = {"email": "marketing_email", "sms": "marketing_sms", "phone": "phone_outreach"}
QUIET_HOURS_START = 21.0
QUIET_HOURS_END = 8.0
QUIET_HOUR_CHANNELS = ("sms", "phone")
FREQUENCY_CAP = 3
FREQUENCY_WINDOW_DAYS = 7
DISCOUNT_WINDOW_DAYS = 14
#: Source systems have this long after an erasure request to stop processing the subject.
ERASURE_GRACE_DAYS = 3
RULE_PARAMETERS: dict[str, object] = {
    "send_without_opt_in": "a marketing send whose latest consent event for the channel's purpose "
    "(email→marketing_email, sms→marketing_sms, phone→phone_outreach) at send time is not opt_in",
    "quiet_hours": {
        "start": QUIET_HOURS_START,
        "end": QUIET_HOURS_END,
        "channels": ["sms", "phone"],
    },
    "frequency_cap": {
        "max_sends": FREQUENCY_CAP,
        "window_days": FREQUENCY_WINDOW_DAYS,
        "per": "customer and channel",
    },
    "discount_after_full_price": {"window_days": DISCOUNT_WINDOW_DAYS, "per": "product (sku)"},
    "price_mismatch": "a channel's daily list price differs from the web list price",
    "erasure_not_honoured": {
        "grace_days": ERASURE_GRACE_DAYS,
        "what": "a record about an erased subject that occurred later than grace_days after the "
        "erasure request: a source system kept processing the subject (each such record)",
    },
    "personal_data_in_page_path": "a web page view whose path holds the visitor's email "
    "address, plain or percent-encoded (the record that carries it)",
}


@dataclass(frozen=True)
class SendFact:
    send_id: str
    channel: str
    purpose: str
    at: float
    discount_percent: float
    sku: str | None = None


@dataclass(frozen=True)
class FullPricePurchase:
    """The products a person bought at full price at one moment. ``identified`` is whether the
    business could tell it was theirs (an online order, or a till receipt with a loyalty card or
    phone): an anonymous cash purchase cannot oblige the business to hold back a discount."""

    at: float
    skus: frozenset[str]
    identified: bool = True


@dataclass(frozen=True)
class ConsentFact:
    at: float
    purpose: str
    action: str


@dataclass(frozen=True)
class Breach:
    """One injected violation: the rule and the record that breaks it (a send's id, or the
    key of any other record)."""

    rule: str
    record_key: str
    detail: str


def consent_state(consents: list[ConsentFact], purpose: str, at: float) -> str | None:
    latest = None
    for fact in consents:
        if fact.purpose == purpose and fact.at <= at and (latest is None or fact.at >= latest.at):
            latest = fact
    return latest.action if latest else None


def paid_full_price_recently(
    purchases: list[FullPricePurchase], sku: str | None, at: float, *, identified_only: bool
) -> list[float]:
    """When the person paid full price for the product in the discount window before ``at``."""
    return [
        purchase.at
        for purchase in purchases
        if sku in purchase.skus
        and 0 <= at - purchase.at < DISCOUNT_WINDOW_DAYS * DAY
        and (purchase.identified or not identified_only)
    ]


def in_quiet_hours(hour: float) -> bool:
    return hour >= QUIET_HOURS_START or hour < QUIET_HOURS_END


def evaluate(
    sends: list[SendFact],
    consents: list[ConsentFact],
    full_price_purchases: list[FullPricePurchase],
    timezone: str,
) -> list[Breach]:
    """Every breach of every consent rule by one person's marketing sends."""
    marketing = sorted((s for s in sends if s.purpose == "marketing"), key=lambda s: s.at)
    breaches: list[Breach] = []
    for position, send in enumerate(marketing):
        state = consent_state(consents, CONSENT_PURPOSE[send.channel], send.at)
        if state != "opt_in":
            breaches.append(Breach("send_without_opt_in", send.send_id, f"consent state {state}"))
        hour = local_hour(send.at, timezone)
        if send.channel in QUIET_HOUR_CHANNELS and in_quiet_hours(hour):
            breaches.append(Breach("quiet_hours", send.send_id, f"local time {hour:05.2f}h"))
        window_start = send.at - FREQUENCY_WINDOW_DAYS * DAY
        recent = sum(
            1
            for other in marketing[: position + 1]
            if other.channel == send.channel and other.at > window_start
        )
        if recent > FREQUENCY_CAP:
            detail = f"{recent} {send.channel} sends in {FREQUENCY_WINDOW_DAYS} days"
            breaches.append(Breach("frequency_cap", send.send_id, detail))
        if send.discount_percent > 0:
            earlier = paid_full_price_recently(
                full_price_purchases, send.sku, send.at, identified_only=True
            )
            if earlier:
                days = (send.at - max(earlier)) / DAY
                detail = (
                    f"{send.discount_percent:.0f}% offer {days:.1f} days after a full-price buy"
                )
                breaches.append(Breach("discount_after_full_price", send.send_id, detail))
    return breaches
