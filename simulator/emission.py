"""One simulated record on its way to a landing file, with what the truth knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from simulator.catalog import EntitySpec


class Stage(StrEnum):
    """The journey stage of a record (`journey_stage` in `records.parquet`)."""

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


JOURNEY_MOMENTS = frozenset(
    {
        Stage.FIRST_TOUCH,
        Stage.RESEARCH,
        Stage.PRODUCT_SELECTION,
        Stage.PURCHASE,
        Stage.ONBOARDING,
        Stage.FIRST_VALUE,
        Stage.SUPPORT,
        Stage.ESCALATION,
        Stage.RENEWAL_EXPANSION,
        Stage.CHURN_SIGNAL,
    }
)
"""The stages whose records are occurrences of a journey moment (see `simulator.moments`)."""


@dataclass(slots=True)
class Emission:
    """A record and its truth; `episode` numbers the occurrence (a session, a contact, an
    order…) it was emitted in, if any; it is a moment occurrence when `stage` is a moment."""

    spec: EntitySpec
    ts: float
    payload: dict[str, Any]
    person_id: str | None
    stage: Stage | None
    episode: int | None = None

    @property
    def record_key(self) -> str:
        return "|".join(str(self.payload[field]) for field in self.spec.record_id)

    @property
    def moment_id(self) -> str | None:
        """`<person_id>:<stage>:<episode>`, stable for a seed; None for records of no moment."""
        if self.episode is None or self.stage not in JOURNEY_MOMENTS:
            return None
        return f"{self.person_id}:{self.stage}:{self.episode}"
