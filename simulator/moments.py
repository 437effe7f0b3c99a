"""Journey moment occurrences: the truth the warehouse's journey-moment models are measured against.

A moment is one occurrence of a journey moment (a stage in `JOURNEY_MOMENTS`) in one person's
life: the records of that stage the journey emitted for the same occurrence (`Emission.episode`).
Its id `<person_id>:<stage>:<episode>` is the `moment_id` of each of its rows in
`records.parquet`, and `moments.parquet` holds one row per moment. Records of the other stages
(engagement, marketing, fulfillment, feedback, consent, account, reference) and bot traffic
belong to no moment.

Granularity (what the warehouse's rules recognize, kept exactly so):

- first_touch: the landing view of the earliest session in time of a person who is new in the
  window; at most one per person. Customers who existed before the window have none, and
  neither do people whose first visit was to a store (they discovered the shop there).
- research: one per session (visit) with research events (Products Searched, Product Viewed and
  the product page views that go with them).
- product_selection: one per session with cart or checkout events (Product Added, Checkout
  Started, Payment Info Entered).
- purchase: one per person new in the window, their first order in time: the session's "Order
  Completed" event together with the order's creation record in `orders` (channels
  "orders,web" or "mobile_app,orders"), or all lines of a POS receipt. Customers who existed
  before the window have none.
- renewal_expansion: one per later order or subscription event: a repeat order's creation record
  in `orders`, all lines of a returning customer's POS receipt, "Subscription Started", and each
  "Subscription Renewed" together with the renewal order it places.
- onboarding: one per person: "Signed Up", the signup identify (and alias) and "Account
  Activated".
- first_value: the person's first "Feature Used"; one per person.
- support, escalation: one per contact: a chat conversation; a Zendesk ticket with all its status
  records (new, open, pending, solved, closed); a voice call with its disposition.
- churn_signal: every signal record is an occurrence of its own: an email unsubscribe, an inbound
  SMS keyword (STOP), a negative social mention, an NPS detractor response (score 0-6),
  "Subscription Cancelled".

Outcomes, as the simulator knows them at the end of the window:

- research: `completed` if the same session went on to product selection, else `abandoned`.
- product_selection: `completed` if the session placed an order, else `abandoned`.
- purchase, renewal_expansion: `completed`, or `returned` when the order came back to the sender
  and was refunded.
- onboarding: `completed` if the account was activated, else `abandoned`.
- support, escalation: `resolved`, `unresolved`, or `abandoned` for a call hung up in the queue.
- first_touch, first_value, churn_signal: `completed`.

The window: only records emitted inside it belong to moments (`Journey.emit`); a moment none of
whose records falls inside it does not exist, and an outcome reached after the window ends (an
activation, a solved ticket, a refund) does not count, so the outcome is always one the landing
data of the window could show.

Duplicates and malformed records: a moment is the person's real interaction, and `records`
counts the records the journey emitted for it. A record whose landing line is malformed on
purpose (`malformed_kind`) still carries its `moment_id`: the interaction happened, only its
export is broken, so a warehouse that quarantines the line may miss the moment. A duplicate line
(`is_duplicate`) carries the `moment_id` of the record it repeats and is not counted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from simulator.emission import Emission, Stage

UNSETTLED_OUTCOME = {
    Stage.RESEARCH: "abandoned",
    Stage.PRODUCT_SELECTION: "abandoned",
    Stage.ONBOARDING: "abandoned",
    Stage.SUPPORT: "unresolved",
    Stage.ESCALATION: "unresolved",
}
"""A moment's outcome when the journey settled none; any other moment is `completed`."""


class Moment(NamedTuple):
    """One row of `moments.parquet` (times in epoch seconds)."""

    moment_id: str
    person_id: str
    moment: str
    started_at: float
    completed_at: float
    channels: str
    records: int
    outcome: str


def person_moments(
    emissions: Iterable[Emission], outcomes: Mapping[tuple[Stage, int], str]
) -> list[Moment]:
    """The moments among one person's emissions, in time order.

    `outcomes` holds the outcomes the journey settled, by (stage, episode).
    """
    members: dict[str, list[Emission]] = {}
    for emission in emissions:
        if emission.moment_id is not None:
            members.setdefault(emission.moment_id, []).append(emission)
    moments = [_moment(moment_id, records, outcomes) for moment_id, records in members.items()]
    return sorted(moments, key=lambda moment: (moment.started_at, moment.moment_id))


def _moment(
    moment_id: str, records: list[Emission], outcomes: Mapping[tuple[Stage, int], str]
) -> Moment:
    first = records[0]
    assert first.person_id is not None and first.stage is not None and first.episode is not None
    times = [record.ts for record in records]
    outcome = outcomes.get(
        (first.stage, first.episode), UNSETTLED_OUTCOME.get(first.stage, "completed")
    )
    return Moment(
        moment_id,
        first.person_id,
        first.stage.value,
        min(times),
        max(times),
        ",".join(sorted({record.spec.channel for record in records})),
        len(records),
        outcome,
    )
