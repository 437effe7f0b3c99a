"""Email (SendGrid Event Webhook), SMS and calls (Twilio), call dispositions, marketing sends."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

from simulator.messy import hex_id
from simulator.timefmt import iso_utc, rfc2822

ACCOUNT_SID = "AC" + "5ce7" * 8
MESSAGING_SERVICE_SID = "MG" + "90a1" * 8
COMPANY_SMS_NUMBER = "+12025550143"
COMPANY_CALL_NUMBER = "+18005550199"


@dataclass
class Send:
    """A message the company sent, before it is rendered for the campaign log and provider."""

    send_id: str
    campaign_id: str
    channel: str
    purpose: str
    at: float
    email: str | None
    phone: str | None
    user_id: str | None
    crm_id: str | None
    wording_key: str
    provider_message_id: str
    offer_id: str | None = None
    sku: str | None = None
    price_quoted: float | None = None
    discount_percent: float = 0.0
    discount_code: str | None = None


def marketing_send(send: Send) -> dict[str, Any]:
    recipient: dict[str, Any] = {"user_id": send.user_id, "crm_id": send.crm_id}
    if send.email:
        recipient["email"] = send.email
    if send.phone:
        recipient["phone"] = send.phone
    record: dict[str, Any] = {
        "send_id": send.send_id,
        "campaign_id": send.campaign_id,
        "channel": send.channel,
        "purpose": send.purpose,
        "recipient": recipient,
        "wording_key": send.wording_key,
        "provider_message_id": send.provider_message_id,
        "sent_at": iso_utc(send.at),
    }
    if send.offer_id:
        record["offer_id"] = send.offer_id
        record["sku"] = send.sku
        record["price_quoted"] = f"{send.price_quoted:.2f}"
        record["currency"] = "USD"
        record["discount_percent"] = send.discount_percent
        record["discount_code"] = send.discount_code
    return record


def sendgrid_event(rng: Random, send: Send, event: str, at: float, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sg_event_id": hex_id(rng, 22),
        "event": event,
        "email": send.email,
        "timestamp": int(at),
        "sg_message_id": send.provider_message_id,
        "smtp-id": f"<{send.provider_message_id[:22]}@ismtpd0001p1.example.net>",
        "category": [send.campaign_id, send.purpose],
        "marketing_send_id": send.send_id,
        "campaign_id": send.campaign_id,
        "purpose": send.purpose,
        "asm_group_id": 1201 if send.purpose == "marketing" else 1100,
    }
    record.update(extra)
    return record


def twilio_message(
    rng: Random,
    *,
    sid: str,
    sender: str,
    recipient: str,
    body: str,
    status: str,
    direction: str,
    at: float,
) -> dict[str, Any]:
    outbound = direction != "inbound"
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "messaging_service_sid": MESSAGING_SERVICE_SID if outbound else None,
        "from": sender,
        "to": recipient,
        "body": body,
        "status": status,
        "direction": direction,
        "date_created": rfc2822(at - 1),
        "date_updated": rfc2822(at + rng.randrange(1, 20)),
        "date_sent": rfc2822(at),
        "num_segments": str(1 + len(body) // 160),
        "price": f"-{0.0079 * (1 + len(body) // 160):.5f}" if outbound else None,
        "price_unit": "USD",
        "error_code": 30003 if status == "undelivered" else None,
        "error_message": "Unreachable destination handset" if status == "undelivered" else None,
        "api_version": "2010-04-01",
    }


def twilio_call(
    *,
    sid: str,
    sender: str,
    recipient: str,
    caller_name: str | None,
    direction: str,
    status: str,
    start: float,
    seconds: int,
    parent_sid: str | None = None,
) -> dict[str, Any]:
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "parent_call_sid": parent_sid,
        "from": sender,
        "to": recipient,
        "caller_name": caller_name,
        "direction": direction,
        "status": status,
        "start_time": rfc2822(start),
        "end_time": rfc2822(start + seconds),
        "duration": str(seconds),
        "answered_by": "human" if status == "completed" else None,
        "price": f"-{0.014 * (1 + seconds // 60):.5f}" if seconds else None,
        "price_unit": "USD",
    }


@dataclass
class Wrapup:
    queue: str
    reason_code: str
    wait_seconds: int
    talk_seconds: int
    resolved: bool
    transferred: bool
    escalated: bool
    callback_requested: bool
    notes: str


def call_disposition(rng: Random, call_sid: str, wrapup: Wrapup, at: float) -> dict[str, Any]:
    return {
        "disposition_id": f"dsp_{hex_id(rng, 20)}",
        "call_sid": call_sid,
        "queue": wrapup.queue,
        "agent_id": f"agent_{rng.randrange(1, 80):03d}",
        "reason_code": wrapup.reason_code,
        "wait_seconds": wrapup.wait_seconds,
        "talk_seconds": wrapup.talk_seconds,
        "resolved": wrapup.resolved,
        "transferred": wrapup.transferred,
        "escalated": wrapup.escalated,
        "escalated_to": "tier2_" + wrapup.queue if wrapup.escalated else None,
        "callback_requested": wrapup.callback_requested,
        "wrapped_up_at": iso_utc(at),
        "notes": wrapup.notes,
    }
