"""One simulated record on its way to a landing file, with what the truth knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from simulator.catalog import EntitySpec


class Stage(StrEnum):
    """The journey moment a record belongs to (the vocabulary of `records.parquet`)."""

    FIRST_TOUCH = "first_touch"
    ENGAGEMENT = "engagement"
    RESEARCH = "research"
    PRODUCT_SELECTION = "product_selection"
    PURCHASE = "purchase"
    FULFILLMENT = "fulfillment"
    ONBOARDING = "onboarding"
    FIRST_VALUE = "first_value"
    SUPPORT = "support"
    ESCALATION = "escalation"
    FEEDBACK = "feedback"
    RENEWAL_EXPANSION = "renewal_expansion"
    CHURN_SIGNAL = "churn_signal"
    MARKETING = "marketing"
    CONSENT = "consent"
    ACCOUNT = "account"
    REFERENCE = "reference"


@dataclass(slots=True)
class Emission:
    spec: EntitySpec
    ts: float
    payload: dict[str, Any]
    person_id: str | None
    stage: Stage | None

    @property
    def record_key(self) -> str:
        return "|".join(str(self.payload[field]) for field in self.spec.record_id)
