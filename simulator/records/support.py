"""Chat conversations (Intercom Conversation model) and tickets (Zendesk Ticket)."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Any

from simulator.timefmt import iso_utc

BOT = {"type": "bot", "id": "bot_brewline", "name": "Brewbot", "email": None}
GROUPS = {"general": 360001, "orders": 360002, "billing": 360003, "technical": 360004}


@dataclass
class Chat:
    conversation_id: str
    started: float
    contact_id: str
    user_id: str | None
    author_name: str | None
    author_email: str | None
    opening: str
    handoff: bool
    resolved: bool
    rating: int | None
    remark: str | None
    tags: list[str] = field(default_factory=list)


def intercom_conversation(rng: Random, chat: Chat) -> dict[str, Any]:
    clock = chat.started
    author_type = "user" if chat.user_id else "lead"
    author = {
        "type": author_type,
        "id": chat.contact_id,
        "name": chat.author_name,
        "email": chat.author_email,
    }
    parts: list[dict[str, Any]] = []

    def part(kind: str, body: str | None, who: dict[str, Any], assigned: Any = None) -> None:
        nonlocal clock
        clock += 20 + rng.expovariate(1 / 90)
        parts.append(
            {
                "type": "conversation_part",
                "id": str(rng.getrandbits(40)),
                "part_type": kind,
                "body": body,
                "created_at": int(clock),
                "author": who,
                "assigned_to": assigned,
            }
        )

    part("comment", "<p>Hi! I'm Brewbot. Let me look into that for you.</p>", BOT)
    first_admin_reply = None
    admin_id = str(rng.randrange(5_000_000, 5_000_080))
    if chat.handoff:
        part(
            "assignment",
            "Handing over to our support team.",
            BOT,
            {"type": "admin", "id": admin_id},
        )
        admin = {"type": "admin", "id": admin_id, "name": "Support Agent", "email": None}
        clock += rng.expovariate(1 / 400)
        part("comment", "<p>Thanks for waiting, I can help with this.</p>", admin)
        first_admin_reply = clock
        part("comment", "<p>Okay, thank you.</p>", author)
    else:
        part("comment", "<p>That answers it, thanks.</p>", author)
    if chat.resolved:
        part("close", None, BOT if not chat.handoff else {"type": "admin", "id": admin_id})
    assignment_at = parts[1]["created_at"] if chat.handoff else None
    record: dict[str, Any] = {
        "type": "conversation",
        "id": chat.conversation_id,
        "created_at": int(chat.started),
        "updated_at": int(clock),
        "state": "closed" if chat.resolved else "open",
        "open": not chat.resolved,
        "priority": "not_priority",
        "title": None,
        "source": {
            "type": "conversation",
            "delivered_as": "customer_initiated",
            "body": f"<p>{chat.opening}</p>",
            "url": "https://shop.example.com/help",
            "author": author,
        },
        "contacts": {
            "type": "contact.list",
            "contacts": [{"type": "contact", "id": chat.contact_id, "external_id": chat.user_id}],
        },
        "conversation_parts": {
            "type": "conversation_part.list",
            "total_count": len(parts),
            "conversation_parts": parts,
        },
        "admin_assignee_id": admin_id if chat.handoff else None,
        "team_assignee_id": "4021" if chat.handoff else None,
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "name": tag} for tag in chat.tags]},
        "statistics": {
            "time_to_assignment": int(assignment_at - chat.started) if assignment_at else None,
            "time_to_admin_reply": int(first_admin_reply - chat.started)
            if first_admin_reply
            else None,
            "time_to_first_close": int(clock - chat.started) if chat.resolved else None,
            "first_contact_reply_at": int(chat.started),
            "count_reopens": 0,
            "count_conversation_parts": len(parts),
        },
        "ai_agent_participated": True,
    }
    if chat.rating is not None:
        record["conversation_rating"] = {
            "rating": chat.rating,
            "remark": chat.remark,
            "created_at": int(clock + 30),
        }
    return record


@dataclass
class Ticket:
    ticket_id: int
    created: float
    subject: str
    description: str
    ticket_type: str
    priority: str
    group: str
    via: str
    requester_id: int
    requester_name: str
    requester_email: str | None
    requester_phone: str | None
    tags: list[str]
    assignee_id: int = 0
    replies: int = 0
    reopens: int = 0


def zendesk_ticket(
    ticket: Ticket,
    status: str,
    updated: float,
    satisfaction: tuple[str, str | None] | None = None,
    solved_at: float | None = None,
) -> dict[str, Any]:
    minutes = int((solved_at - ticket.created) // 60) if solved_at else None
    first_reply = 30 + ticket.ticket_id % 240
    return {
        "id": ticket.ticket_id,
        "url": f"https://brewline.zendesk.example.com/api/v2/tickets/{ticket.ticket_id}.json",
        "external_id": None,
        "subject": ticket.subject,
        "description": ticket.description,
        "type": ticket.ticket_type,
        "priority": ticket.priority,
        "status": status,
        "created_at": iso_utc(ticket.created),
        "updated_at": iso_utc(updated),
        "requester_id": ticket.requester_id,
        "requester": {
            "id": ticket.requester_id,
            "name": ticket.requester_name,
            "email": ticket.requester_email,
            "phone": ticket.requester_phone,
        },
        "submitter_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id or None,
        "group_id": GROUPS[ticket.group],
        "group_name": ticket.group.title(),
        "via": {"channel": ticket.via},
        "tags": ticket.tags,
        "satisfaction_rating": {"score": satisfaction[0], "comment": satisfaction[1]}
        if satisfaction
        else {"score": "unoffered", "comment": None},
        "metric_set": {
            "reopens": ticket.reopens,
            "replies": ticket.replies,
            "assigned_at": iso_utc(ticket.created + 600) if ticket.assignee_id else None,
            "solved_at": iso_utc(solved_at) if solved_at else None,
            "first_resolution_time_in_minutes": {"calendar": minutes, "business": minutes},
            "full_resolution_time_in_minutes": {"calendar": minutes, "business": minutes},
            "reply_time_in_minutes": {"calendar": first_reply, "business": first_reply},
        },
    }


def chat_id(rng: Random) -> str:
    return str(rng.getrandbits(44))
