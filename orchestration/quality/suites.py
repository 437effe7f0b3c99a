"""The Great Expectations suites that guard the warehouse, and what each one reads.

A suite validates bounded pandas batches read from DuckDB, never a whole large table:

- ``by landing day``: the rows of the guarded table that landed on days not validated yet (or
  reloaded since), in batches of whole days up to ``BATCH_ROWS`` rows;
- ``candidates``: a SQL-computed set that is small by construction (one row per mart column,
  per erased subject, per group), validated whole on every run.

Each batch's columns are what the expectations judge plus the pseudonymous keys that name a
failing row in the Data Docs (``index_columns``). Parameters written ``{"$PARAMETER": name}`` in
an expectation are filled at validation time from ``parameters()``, so the suites under version
control and the project's configuration (dbt vars) cannot disagree.

The suites' JSON under ``gx/expectations`` is written from here by
``python -m orchestration.quality.project``; a test checks the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import great_expectations as gx
import yaml

from orchestration.settings import REPO_ROOT

Severity = Literal["error", "warn"]
#: The most rows one batch holds (whole landing days are never split, so a day larger than
#: this is a batch of its own).
BATCH_ROWS = 250_000


@dataclass(frozen=True)
class Suite:
    """One suite: its expectations, the table it guards and how its batches are read."""

    name: str
    description: str
    #: The warehouse table the suite guards, as ``schema.table`` (its Dagster asset key is
    #: ``[folder, table]`` as the dbt translator names models).
    table: str
    asset_key: tuple[str, ...]
    severity: Severity
    #: A select over the warehouse giving the batch columns. In ``by_landing_day`` mode it must
    #: have a ``_partition_date`` column; the runner restricts it to the days of each batch.
    sql: str
    mode: Literal["by_landing_day", "candidates"]
    index_columns: tuple[str, ...]
    expectations: Callable[[], list[gx.expectations.Expectation]]
    #: What each expectation enforces, by expectation position: the name a governance reviewer
    #: sees in the summary (a consent rule, or a quality dimension).
    rules: tuple[str, ...] = field(default=())


def _duration_seconds(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


@cache
def dbt_vars() -> Mapping[str, object]:
    """The project's dbt vars (``dbt_project.yml``): the one place rule parameters live."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())
    return project.get("vars") or {}


def parameters() -> dict[str, object]:
    """The values of every ``$PARAMETER`` the suites use, from the dbt vars."""
    rules = dbt_vars()["consent_rules"]
    quiet = rules["quiet_hours"]
    return {
        # Sends are allowed from the end of quiet hours up to the second before they start.
        "quiet_hours_first_allowed_second": _duration_seconds(quiet["end"]),
        "quiet_hours_last_allowed_second": _duration_seconds(quiet["start"]) - 1,
        "discount_window_seconds": rules["discount_after_full_price"]["window_days"] * 86_400,
    }


def _consent_rules() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="consent_state_at_send",
            value_set=["opt_in"],
            description="send_without_opt_in: the consent in force for the send's purpose when "
            "it was sent is an opt-in (an opt-out revokes it; an opt-in after the send is late)",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="quiet_hours_local_second",
            min_value={"$PARAMETER": "quiet_hours_first_allowed_second"},
            max_value={"$PARAMETER": "quiet_hours_last_allowed_second"},
            description="quiet_hours: calls and SMS are sent outside quiet hours in the "
            "customer's local time (seconds since local midnight)",
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="frequency_cap",
            column_B="sends_in_cap_window",
            or_equal=True,
            description="frequency_cap: the customer's marketing sends on the channel in the "
            "cap's window, this one included, stay within the channel's cap",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="seconds_since_full_price",
            min_value={"$PARAMETER": "discount_window_seconds"},
            description="discount_after_full_price: a discounted offer of a product comes no "
            "sooner than the window after the customer paid full price for it",
        ),
    ]


def _consent_coverage() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToNotBeInSet(
            column="time_zone_source",
            value_set=["unknown"],
            description="quiet_hours_unjudged: the customer's time zone is known for every send "
            "on a channel with quiet hours (otherwise the send cannot be judged)",
        ),
    ]


def _erasure() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="rows_found",
            min_value=0,
            max_value=0,
            description="erasure: an erased subject's customer appears in no model downstream",
        ),
    ]


def _personal_data() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="is_tagged_personal",
            value_set=[False],
            description="pii_column: no mart column is tagged as personal data in the dbt YAML",
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="values_like_email_or_phone",
            min_value=0,
            max_value=0,
            description="pii_value: no mart value looks like an email address or a phone number",
        ),
    ]


SUITES: tuple[Suite, ...] = (
    Suite(
        name="consent_rules",
        description="Consent rules on every marketing send: a valid opt-in at send time, quiet "
        "hours, frequency caps, no discount right after a full-price purchase.",
        table="marts.marketing_send_compliance",
        asset_key=("marts", "marketing_send_compliance"),
        severity="error",
        sql="""
            select
                send_id, customer_id, channel, sent_at, consent_state_at_send,
                quiet_hours_local_second, frequency_cap, sends_in_cap_window,
                seconds_since_full_price, _partition_date
            from marts.marketing_send_compliance
        """,
        mode="by_landing_day",
        index_columns=("send_id", "customer_id"),
        expectations=_consent_rules,
        rules=("send_without_opt_in", "quiet_hours", "frequency_cap", "discount_after_full_price"),
    ),
    Suite(
        name="consent_coverage",
        description="What the consent rules could not judge: sends on channels with quiet hours "
        "to customers whose time zone is unknown.",
        table="marts.marketing_send_compliance",
        asset_key=("marts", "marketing_send_compliance"),
        severity="warn",
        sql="""
            select send_id, customer_id, channel, time_zone_source, _partition_date
            from marts.marketing_send_compliance
            where channel_has_quiet_hours
        """,
        mode="by_landing_day",
        index_columns=("send_id", "customer_id"),
        expectations=_consent_coverage,
        rules=("quiet_hours_unjudged",),
    ),
)


def suite_named(name: str) -> Suite:
    for suite in SUITES:
        if suite.name == name:
            return suite
    raise KeyError(f"no suite named {name!r}; suites: {', '.join(s.name for s in SUITES)}")
