"""Timestamp renderings of the source systems; simulated time is float unix seconds (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY = 86_400.0
HOUR = 3_600.0
MINUTE = 60.0


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def utc_day(ts: float) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def iso_utc_ms(ts: float) -> str:
    """Segment style: `2026-01-04T17:03:12.345Z`."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def iso_utc(ts: float) -> str:
    """Zendesk style: `2026-01-04T17:03:12Z`."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")[:-6] + "Z"


def iso_local(ts: float, tz: str) -> str:
    """ISO 8601 with the local offset: `2026-01-04T12:03:12-05:00`."""
    return datetime.fromtimestamp(ts, zone(tz)).isoformat(timespec="seconds")


def iso_local_ms(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, zone(tz)).isoformat(timespec="milliseconds")


def rfc2822(ts: float) -> str:
    """Twilio style: `Thu, 24 Aug 2023 05:01:45 +0000`."""
    return format_datetime(datetime.fromtimestamp(int(ts), UTC))


def naive_local(ts: float, tz: str) -> str:
    """Store till style: local wall-clock time without an offset."""
    return datetime.fromtimestamp(ts, zone(tz)).strftime("%Y-%m-%d %H:%M:%S")


def local_hour(ts: float, tz: str) -> float:
    moment = datetime.fromtimestamp(ts, zone(tz))
    return moment.hour + moment.minute / 60.0


def at_local_hour(ts: float, tz: str, hour: float) -> float:
    """The moment on the local calendar day of `ts` at the given local hour."""
    local = datetime.fromtimestamp(ts, zone(tz))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight + timedelta(seconds=hour * HOUR)).timestamp()
