"""Timestamps as exports write them, for the tests that check every reader of a time agrees:
the loader (event times), to_utc() on DuckDB and on Spark (every staged time)."""

TIME_TEXTS = [
    "2026-03-09T10:00:00Z",
    "2026-03-09T10:00:00z",
    "2026-03-09T10:00:00.250-0500",
    "2026-03-09 10:00:00",
    "2026-03-09",
    "2026-03-31",
    "Mon, 09 Mar 2026 10:00:00 +0100",
    "Mon, 09 Mar 2026 10:00:00 GMT",
    "Mon, 09 Mar 2026 10:00:00 EST",
    "1773050400",
    "1773050400000",
    "2026-03-09 10:00:00 PST",
    "2026-03-09 10:00:00 America/New_York",
    "2026-03-09 10:00:00 Etc/GMT+8",
    "2026-03-09 10:00:00 -0800",
    "2026-03-09 10:00:00+14:00",
    # Not readable: an unknown zone name, an offset no place has, an ambiguous abbreviation, a
    # 12-hour clock, text after the time, a day-first date.
    "2026-03-09 10:00:00 Europe/Atlantis",
    "2026-03-09 10:00:00+25:00",
    "2026-03-09 10:00:00 CST",
    "2026-03-09 10:00 PM",
    "2026-03-09 10:00:00 (local)",
    "09/03/2026 10:00",
]
UNREADABLE_TIME_TEXTS = 6
