"""The catalogue of malformed input: every kind of bad landing file the loader was tried with,
what it must do with each, and the count check that nothing is lost.

Each entry lands one or more files for one stream and day, loads the day, and checks what
loaded, what was quarantined with which reason, and that every landed record of every file is
exactly one raw or quarantine row. README.md ("What the loader accepts and rejects") lists the
same entries by name; a test below keeps the two in step.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.contracts import Contract, get_contract
from orchestration.ingestion.loader import load_days
from orchestration.ingestion.reader import refused_files, unclaimed_files
from orchestration.settings import REPO_ROOT

DAY = date(2026, 3, 10)
AT = f"{DAY}T10:00:00Z"


def _web(message_id: str, **changes: object) -> dict:
    record = json.loads(json.dumps(get_contract("web", "events").schema["examples"][0]))
    return record | {"messageId": message_id, "timestamp": AT} | changes


def _line(message_id: str, **changes: object) -> str:
    return json.dumps(_web(message_id, **changes))


def _jsonl(*lines: str | bytes, end: bytes = b"\n") -> bytes:
    return b"".join((line if isinstance(line, bytes) else line.encode()) + end for line in lines)


def _contact_row(crm_id: str, **changes: str) -> dict:
    record = get_contract("crm", "contacts").schema["examples"][0]
    return {**record, "crm_id": crm_id, "updated_at": AT, **changes}


def _csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    lines = [",".join(columns)]
    for row in rows:
        cells = [str(row.get(name, "")) for name in columns]
        lines.append(
            ",".join(f'"{cell}"' if "," in cell or "\n" in cell else cell for cell in cells)
        )
    return ("\n".join(lines) + "\n").encode()


def _receipt(receipt_id: str, **changes: str) -> dict:
    record = get_contract("pos", "receipts").schema["examples"][0]
    return {**record, "receipt_id": receipt_id, "local_timestamp": f"{DAY} 10:00:00", **changes}


@dataclass(frozen=True)
class Case:
    """One kind of malformed (or merely unusual) input."""

    name: str
    stream: tuple[str, str]
    #: file name -> bytes, landed in the stream's day folder
    files: dict[str, bytes]
    loaded: int
    quarantined: int
    #: text every quarantined row's reason contains (None: no quarantine expected)
    reason: str | None = None
    #: records landed per file when counting non-blank lines does not give it (a damaged gzip,
    #: a CSV cell over several lines)
    landed: dict[str, int] = field(default_factory=dict)
    max_record_bytes: int | None = None


WEB = ("web", "events")
CRM = ("crm", "contacts")
POS = ("pos", "receipts")
SURVEYS = ("surveys", "responses")


def _survey(response_id: str, survey_type: str, score: str) -> str:
    record = get_contract("surveys", "responses").schema["examples"][0]
    text = json.dumps(record | {"response_id": response_id, "survey_type": survey_type})
    return text.replace(
        '"responded_at": "2025-03-14T12:03:51Z"', f'"responded_at": "{AT}"'
    ).replace('"score": 4', f'"score": {score}')


_GOOD = _jsonl(_line("m-1"), _line("m-2"))
_WHOLE_GZIP = gzip.compress(
    _jsonl(*(_line(f"m-{n}", anonymousId=f"a-{n * 7919}") for n in range(500)))
)
_CUT_GZIP = _WHOLE_GZIP[: len(_WHOLE_GZIP) // 2]
_HUGE = _line("m-huge", properties={"blob": "x" * 5000})

CASES = [
    # Encoding and line breaks
    Case(
        "invalid UTF-8",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), b'{"messageId": "\xff\xfe"}')},
        1,
        1,
        "invalid UTF-8",
    ),
    Case("UTF-8 byte order mark", WEB, {"events.jsonl": b"\xef\xbb\xbf" + _GOOD}, 2, 0),
    Case(
        "CRLF line endings",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), _line("m-2"), end=b"\r\n")},
        2,
        0,
    ),
    Case(
        "CR-only line endings",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), _line("m-2"), end=b"\r")},
        2,
        0,
    ),
    Case(
        "blank lines between records",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), "", "   ", _line("m-2"))},
        2,
        0,
    ),
    Case(
        "last line without a line break", WEB, {"events.jsonl": _GOOD + _line("m-3").encode()}, 3, 0
    ),
    Case(
        "last line cut short",
        WEB,
        {"events.jsonl": _GOOD + _line("m-3").encode()[:40]},
        2,
        1,
        "not valid JSON",
    ),
    Case("empty file", WEB, {"events.jsonl": b""}, 0, 0),
    Case("gzip file", WEB, {"events.jsonl.gz": gzip.compress(_GOOD)}, 2, 0),
    Case(
        "gzip members one after another",
        WEB,
        {
            "events.jsonl.gz": gzip.compress(_jsonl(_line("m-1")))
            + gzip.compress(_jsonl(_line("m-2")))
        },
        2,
        0,
    ),
    Case(
        "gzip file cut short",
        WEB,
        {"events.jsonl.gz": _CUT_GZIP},
        None,
        1,
        "truncated gzip file",
    ),
    Case(
        "corrupt gzip data",
        WEB,
        {"events.jsonl.gz": gzip.compress(_GOOD)[:20] + b"\x00garbage" * 8},
        0,
        1,
        "gzip",
        landed={"events.jsonl.gz": 1},
    ),
    Case(
        "record over the size limit",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), _HUGE, _line("m-2"))},
        2,
        1,
        "bytes is over the limit",
        max_record_bytes=4096,
    ),
    # Not JSON, or not quite
    Case(
        "plain text line",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), "hello world")},
        1,
        1,
        "not valid JSON",
    ),
    Case(
        "JSON array instead of an object",
        WEB,
        {"events.jsonl": _jsonl("[1, 2, 3]")},
        0,
        1,
        "not a JSON object",
    ),
    Case(
        "JSON scalar",
        WEB,
        {"events.jsonl": _jsonl('"just a string"', "42")},
        0,
        2,
        "not a JSON object",
    ),
    Case(
        "two objects on one line",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1") + _line("m-2"))},
        0,
        1,
        "not valid JSON",
    ),
    Case(
        "single quotes",
        WEB,
        {"events.jsonl": _jsonl("{'messageId': 'm-1'}")},
        0,
        1,
        "not valid JSON",
    ),
    Case(
        "keys without quotes",
        WEB,
        {"events.jsonl": _jsonl("{messageId: 1}")},
        0,
        1,
        "not valid JSON",
    ),
    Case(
        "comment in JSON",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1")[:-1] + " /* note */}")},
        0,
        1,
        "not valid JSON",
    ),
    Case(
        "trailing comma",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1")[:-1] + ",}")},
        0,
        1,
        "comma before a closing bracket",
    ),
    Case(
        "NaN",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1").replace('"quantity": 1', '"quantity": NaN'))},
        0,
        1,
        "NaN and Infinity",
    ),
    Case(
        "Infinity",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1").replace('"price": 129.0', '"price": -Infinity'))},
        0,
        1,
        "NaN and Infinity",
    ),
    Case(
        "a key given twice",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1")[:-1] + ', "type": "page"}')},
        0,
        1,
        "a key appears twice",
    ),
    Case(
        "a key given twice in a declared object",
        WEB,
        {
            "events.jsonl": _jsonl(
                _line("m-1").replace('"quantity": 1', '"quantity": 1, "quantity": 2')
            )
        },
        0,
        1,
        "properties: a key appears twice",
    ),
    Case(
        "NUL byte",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1").replace("prod_4471", "prod\x004471"))},
        0,
        1,
        "NUL character",
    ),
    Case(
        "escaped NUL",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", event="Add\x00ed"))},
        0,
        1,
        "NUL character",
    ),
    Case(
        "lone surrogate escape",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1").replace("Trail Runner 2", "\\ud800"))},
        0,
        1,
        "not valid JSON",
    ),
    Case(
        "10,000 levels of nesting",
        WEB,
        {
            "events.jsonl": _jsonl(
                _line("m-1", properties={"deep": 1}).replace(
                    '{"deep": 1}', '{"deep": ' + "[" * 10_000 + "]" * 10_000 + "}"
                )
            )
        },
        1,
        0,
    ),
    Case(
        "SQL injection text",
        WEB,
        {
            "events.jsonl": _jsonl(
                _line(
                    "m-1'; drop table raw.web__events; --",
                    event="x'); delete from raw.web__events; --",
                )
            )
        },
        1,
        0,
    ),
    Case(
        "Jinja template text",
        WEB,
        {
            "events.jsonl": _jsonl(
                _line("m-{{ 7 * 7 }}", event="{% for x in range(9) %}{{ x }}{% endfor %}")
            )
        },
        1,
        0,
    ),
    # The contract
    Case(
        "extra unknown fields",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", surprise={"new": True}))},
        1,
        0,
    ),
    Case(
        "required field missing",
        WEB,
        {"events.jsonl": _jsonl(json.dumps({k: v for k, v in _web("m-1").items() if k != "type"}))},
        0,
        1,
        "type: missing required field",
    ),
    Case(
        "required field null",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", type=None))},
        0,
        1,
        "type: ",
    ),
    Case(
        "required field of the wrong type",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", type=7))},
        0,
        1,
        "type: expected string",
    ),
    Case(
        "optional field of the wrong type",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", sentAt=12.5))},
        1,
        0,
    ),
    Case(
        "integer written as 3.0",
        SURVEYS,
        {"responses.jsonl": _jsonl(_survey("r-1", "nps", "9.0"))},
        1,
        0,
    ),
    Case(
        "integer too large for 64 bits",
        SURVEYS,
        {"responses.jsonl": _jsonl(_survey("r-1", "nps", "1e30"))},
        0,
        1,
        "too large for a 64-bit integer",
    ),
    Case(
        "score above its survey's maximum",
        SURVEYS,
        {"responses.jsonl": _jsonl(_survey("r-1", "nps", "11"), _survey("r-2", "csat", "5"))},
        1,
        1,
        "above the maximum 10",
    ),
    # Event times
    Case(
        "event time that does not parse",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="09/03/2026 10:00"))},
        0,
        1,
        "unparseable timestamp",
    ),
    Case(
        "day that does not exist",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="2026-02-30T10:00:00Z"))},
        0,
        1,
        "unparseable timestamp",
    ),
    Case(
        "event time before 1990",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="1970-01-01T00:00:00Z"))},
        0,
        1,
        "outside the plausible range",
    ),
    Case(
        "event time days after its landing day",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="2026-03-20T10:00:00Z"))},
        0,
        1,
        "outside the plausible range",
    ),
    Case(
        "odd year 0001",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="0001-01-01T00:00:00Z"))},
        0,
        1,
        "outside the plausible range",
    ),
    Case(
        "zone abbreviation",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp=f"{DAY} 10:00:00 PST"))},
        1,
        0,
    ),
    Case(
        "ambiguous zone abbreviation",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp=f"{DAY} 10:00:00 CST"))},
        0,
        1,
        "ambiguous time zone abbreviation",
    ),
    Case(
        "IANA zone name",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp=f"{DAY} 10:00:00 Europe/Paris"))},
        1,
        0,
    ),
    Case(
        "unknown zone name",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp=f"{DAY} 10:00:00 Europe/Atlantis"))},
        0,
        1,
        "unknown time zone",
    ),
    Case(
        "offset beyond 14 hours",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp=f"{DAY}T10:00:00+25:00"))},
        0,
        1,
        "UTC offset out of range",
    ),
    Case(
        "epoch milliseconds",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1", timestamp="1773136800000"))},
        1,
        0,
    ),
    Case(
        "unknown store time zone",
        POS,
        {"receipts.csv": _csv([_receipt("R-1", store_timezone="Mars/Olympus")])},
        0,
        1,
        "unknown time zone",
    ),
    # Copies
    Case(
        "exact duplicate line",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), _line("m-1"))},
        1,
        1,
        "duplicate of the record at",
    ),
    Case(
        "same record id, other content",
        WEB,
        {"events.jsonl": _jsonl(_line("m-1"), _line("m-1", event="Other"))},
        1,
        1,
        "same record id as the record at",
    ),
    Case(
        "the same file under two names",
        WEB,
        {"events.jsonl": _GOOD, "events-copy.jsonl": _GOOD},
        2,
        2,
        "duplicate of the record at",
    ),
    # CSV
    Case(
        "CSV unterminated quote",
        CRM,
        {
            "contacts.csv": _csv([_contact_row("C-1")])
            + b'C-2,"Broken\n'
            + _csv([_contact_row("C-3")]).split(b"\n", 1)[1]
        },
        2,
        1,
        "CSV",
        landed={"contacts.csv": 3},
    ),
    Case(
        "CSV row with too many cells",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1")]) + b"a,b,c" + b",x" * 20 + b"\n"},
        1,
        1,
        "cells, the header has",
    ),
    Case(
        "CSV row with too few cells",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1")]) + b"C-2,Ann\n"},
        1,
        1,
        "cells, the header has",
    ),
    Case(
        "CSV header naming a column twice",
        CRM,
        {"contacts.csv": b"crm_id,crm_id,updated_at\nC-1,C-1," + AT.encode() + b"\n"},
        0,
        1,
        "unusable CSV header",
    ),
    Case(
        "CSV header only",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1")]).split(b"\n")[0] + b"\n"},
        0,
        0,
        landed={"contacts.csv": 0},
    ),
    Case(
        "CSV cell with a NUL",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1", city="Ut\x00recht"), _contact_row("C-2")])},
        1,
        1,
        "NUL character",
    ),
    Case(
        "CSV cell over several lines",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1", address_line1="1 Example Street\nFlat 2")])},
        1,
        0,
        landed={"contacts.csv": 1},
    ),
    Case(
        "CSV with an added column",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1") | {"favourite_colour": "blue"}])},
        1,
        0,
    ),
    Case(
        "CSV without an optional column",
        CRM,
        {"contacts.csv": _csv([{k: v for k, v in _contact_row("C-1").items() if k != "city"}])},
        1,
        0,
    ),
    Case(
        "CSV optional date that does not parse",
        CRM,
        {"contacts.csv": _csv([_contact_row("C-1", date_of_birth="31/02/1990")])},
        1,
        0,
    ),
]

#: Landing entries that are not read at all: reported by name instead.
_NOT_READ = [
    "upper-case file name",
    "file with another extension",
    "directory named like an export",
    "broken symbolic link",
    "symbolic link out of the landing folder",
]


def _gunzip(data: bytes) -> bytes:
    """What a tolerant gunzip recovers: every member, and of a file cut short or damaged what
    came before the damage (its whole lines and the one it cut)."""
    recovered = []
    while data:
        member = zlib.decompressobj(wbits=31)
        try:
            recovered.append(member.decompress(data))
        except zlib.error:
            break
        if not member.eof:
            break
        data = member.unused_data
    return b"".join(recovered)


def _landed_records(name: str, data: bytes, file_format: str) -> int:
    """Non-blank lines of a file (a CSV's header left out): what the count check counts."""
    if name.endswith(".gz"):
        data = _gunzip(data)
    lines = [line for line in re.split(rb"\r\n|\r|\n", data) if line.strip()]
    return len(lines) - (1 if file_format == "csv" and lines else 0)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_input(case: Case, tmp_path: Path) -> None:
    contract: Contract = get_contract(*case.stream)
    folder = tmp_path / "landing" / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    for name, data in case.files.items():
        (folder / name).write_bytes(data)
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    options = {} if case.max_record_bytes is None else {"max_record_bytes": case.max_record_bytes}
    result = load_days(connection, contract, tmp_path / "landing", [DAY], **options)

    if case.loaded is not None:
        assert result.loaded == case.loaded
    assert result.quarantined == case.quarantined
    reasons = [
        reason
        for (reason,) in connection.execute(
            f"select reason from quarantine.{contract.stream}"
        ).fetchall()
    ]
    assert all(case.reason in reason for reason in reasons), reasons

    # The count check: every landed record of every file is one raw or one quarantine row.
    rows = dict(
        connection.execute(
            f"""
            select _source_file, count(*) from (
                select _source_file from raw.{contract.stream}
                union all
                select _source_file from quarantine.{contract.stream}
            ) group by 1
            """
        ).fetchall()
    )
    for name, data in case.files.items():
        source = f"{contract.channel}/{DAY}/{name}"
        landed = case.landed.get(name)
        expected = landed if landed is not None else _landed_records(name, data, contract.format)
        assert rows.get(source, 0) == expected, name


def test_entries_that_are_not_files_of_the_landing_folder_are_reported_not_read(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "web" / DAY.isoformat()
    folder.mkdir(parents=True)
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(_GOOD)
    (folder / "EVENTS.jsonl").write_bytes(_GOOD)
    (folder / "events.txt").write_bytes(_GOOD)
    (folder / "events-dir.jsonl").mkdir()
    (folder / "events-broken.jsonl").symlink_to(tmp_path / "missing.jsonl")
    (folder / "events-outside.jsonl").symlink_to(outside)
    entities = [("events", "jsonl")]
    assert {path.name for path in unclaimed_files(folder, entities)} == {
        "EVENTS.jsonl",
        "events.txt",
    }
    assert {path.name for path, _ in refused_files(folder, entities)} == {
        "events-dir.jsonl",
        "events-broken.jsonl",
        "events-outside.jsonl",
    }
    connection = duckdb.connect()
    result = load_days(connection, get_contract("web", "events"), landing, [DAY])
    assert (result.files, result.loaded, result.quarantined) == (0, 0, 0)


def test_the_readme_lists_every_entry_of_the_catalogue():
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("### What the loader accepts and rejects", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| ([^|]+?) \|", section, flags=re.M)) - {"input", "---"}
    assert listed == {case.name for case in CASES} | set(_NOT_READ)
    assert len(listed) >= 51
