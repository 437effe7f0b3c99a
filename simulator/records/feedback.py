"""Survey responses (Qualtrics/Delighted-style export) and social listening mentions."""

from __future__ import annotations

from random import Random
from typing import Any

from simulator.messy import hex_id
from simulator.timefmt import iso_local, iso_utc

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
COMMENTS = {
    "negative": (
        "Delivery was late again and nobody told me.",
        "Waited far too long on the phone.",
        "The machine leaks and support keeps asking the same questions.",
        "Price in the app was different from the website.",
        "I had to contact you three times for one problem.",
        "Cancelled. Too many emails and texts.",
    ),
    "neutral": (
        "It was fine.",
        "Okay, a bit slow.",
        "Got there in the end.",
        "Decent coffee, average service.",
    ),
    "positive": (
        "Fast delivery and great beans!",
        "Support sorted it out in minutes.",
        "Love the espresso machine, easy setup.",
        "The chat bot actually helped.",
        "Bean Club is the best thing I signed up for this year.",
    ),
}
SOCIAL_TEXT = {
    "negative": (
        "still waiting for my order from @brewline, tracking says delayed for days",
        "@brewline your app charges more than your website??",
        "third time contacting @brewline about the same broken grinder",
    ),
    "positive": (
        "morning ritual sorted thanks to @brewline",
        "shoutout to @brewline support for the quick fix",
        "new beans from @brewline are fantastic",
    ),
    "neutral": ("does @brewline ship to Canada?", "anyone tried the Barista Pro from @brewline?"),
}


def sentiment_of(survey_type: str, score: int) -> str:
    """Negative, neutral or positive; on every scale here a higher score is better."""
    low, high = SCALES[survey_type]
    share = (score - low) / (high - low)
    if share < 0.45:
        return "negative"
    return "positive" if share > 0.75 else "neutral"


def survey_response(
    rng: Random,
    survey_type: str,
    score: int,
    *,
    sent: float,
    responded: float,
    timezone: str,
    respondent: dict[str, Any],
    trigger: dict[str, Any],
    language: str,
) -> dict[str, Any]:
    mood = sentiment_of(survey_type, score)
    record: dict[str, Any] = {
        "response_id": f"R_{hex_id(rng, 15)}",
        "survey_id": f"SV_{survey_type}_{trigger['touchpoint_type']}",
        "survey_type": survey_type,
        "score": score,
        "comment": rng.choice(COMMENTS[mood]) if rng.random() < 0.45 else None,
        "language": language,
        "sent_at": iso_utc(sent),
        "responded_at": iso_local(responded, timezone),
        "respondent": respondent,
        "trigger": trigger,
    }
    if survey_type == "ces":
        record["scale_version"] = "ces-7pt-v2"
    return record


def social_mention(
    rng: Random,
    platform: str,
    kind: str,
    *,
    handle: str,
    author_name: str | None,
    mood: str,
    at: float,
    linked: dict[str, Any] | None,
    language: str,
) -> dict[str, Any]:
    mention_id = f"{platform[:2]}_{rng.getrandbits(60)}"
    record: dict[str, Any] = {
        "id": mention_id,
        "platform": platform,
        "kind": kind,
        "handle": handle,
        "author_name": author_name,
        "text": rng.choice(SOCIAL_TEXT[mood]),
        "created_at": iso_utc(at),
        "in_reply_to_id": None,
        "url": f"https://{platform}.example.com/{handle.lstrip('@')}/{mention_id}",
        "language": language,
    }
    if linked:
        record["linked_contact"] = linked
    return record
