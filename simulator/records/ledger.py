"""Consent ledger events, erasure requests, CRM contacts and experiment assignments."""

from __future__ import annotations

from random import Random
from typing import Any

from simulator.catalog import CRM_COLUMNS
from simulator.messy import hex_id, uuid4
from simulator.timefmt import iso_utc

NOTICE_VERSIONS = ("privacy-2025-03", "privacy-2025-11")
JURISDICTION = {"GB": "UK", "DE": "EU", "FR": "EU", "NL": "EU"}


def jurisdiction_of(country_code: str, region: str) -> str:
    """US state law applies per state; elsewhere the UK or EU regime."""
    return f"US-{region}" if country_code == "US" else JURISDICTION[country_code]


def consent_event(
    rng: Random,
    *,
    subject_type: str,
    subject_id: str,
    purpose: str,
    action: str,
    at: float,
    source: str,
    jurisdiction: str,
) -> dict[str, Any]:
    return {
        "consent_event_id": f"ce_{hex_id(rng, 24)}",
        "subject_type": subject_type,
        "subject_id": subject_id,
        "purpose": purpose,
        "action": action,
        "occurred_at": iso_utc(at),
        "source": source,
        "notice_version": NOTICE_VERSIONS[0] if at < 1_767_225_600 else NOTICE_VERSIONS[1],
        "jurisdiction": jurisdiction,
    }


def erasure_request(
    rng: Random, subject_type: str, subject_id: str, at: float, country: str
) -> dict[str, Any]:
    return {
        "request_id": f"dsr_{hex_id(rng, 16)}",
        "subject_type": subject_type,
        "subject_id": subject_id,
        "received_at": iso_utc(at),
        "regulation": "ccpa" if country == "US" else "gdpr",
        "channel": rng.choice(("web_form", "web_form", "email", "call_centre", "post")),
        "verified": rng.random() < 0.9,
    }


def experiment_assignment(
    rng: Random,
    *,
    experiment_key: str,
    variant: str,
    subject_type: str,
    subject_id: str,
    at: float,
    channel: str,
    surface: str,
) -> dict[str, Any]:
    return {
        "assignment_id": uuid4(rng),
        "experiment_key": experiment_key,
        "variant": variant,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "assigned_at": iso_utc(at),
        "context": {
            "channel": channel,
            "surface": surface,
            "app_version": "3.4.0" if channel == "mobile_app" else None,
        },
    }


def crm_contact(
    values: dict[str, str], lifecycle_stage: str, created: float, updated: float
) -> dict[str, str]:
    """A CRM export row; `values` holds the contact's (messy) personal fields."""
    row = {column: "" for column in CRM_COLUMNS}
    row.update(values)
    row["lifecycle_stage"] = lifecycle_stage
    row["created_at"] = iso_utc(created)
    row["updated_at"] = iso_utc(updated)
    return row
