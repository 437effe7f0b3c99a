"""The raw loader on bad input: bad records are quarantined with a reason, good ones load."""

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from handmade import Warehouse
from time_texts import TIME_TEXTS, UNREADABLE_TIME_TEXTS

from orchestration.ingestion.assets import build_raw_assets
from orchestration.ingestion.contracts import Contract, get_contract, load_contracts
from orchestration.ingestion.loader import LoadResult, load_days, loaded_signature
from orchestration.ingestion.validation import FieldRule, field_rules, timestamp_text_sql
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import Settings
from orchestration.transform.assets import dbt_resource

DAY = date(2026, 3, 10)


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("set TimeZone = 'UTC'")
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def _example(contract: Contract) -> dict:
    return json.loads(json.dumps(contract.schema["examples"][0]))


def _write_jsonl(
    landing: Path, contract: Contract, lines: list[bytes | str], name: str = ""
) -> Path:
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{contract.entity}.jsonl")
    data = b"".join((line.encode() if isinstance(line, str) else line) + b"\n" for line in lines)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _write_csv(landing: Path, contract: Contract, rows: list[dict], columns: list[str]) -> Path:
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / f"{contract.entity}.csv"
    path.write_text(buffer.getvalue())
    return path


def _load(connection: duckdb.DuckDBPyConnection, contract: Contract, landing: Path) -> LoadResult:
    return load_days(connection, contract, landing, [DAY])


def _quarantine(connection: duckdb.DuckDBPyConnection, contract: Contract) -> dict[int, str]:
    rows = connection.execute(
        f"select _source_line, reason from quarantine.{contract.stream} order by 1"
    ).fetchall()
    return dict(rows)


def _loaded_keys(connection: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    rows = connection.execute(f"select record_key from raw.{contract.stream} order by 1").fetchall()
    return [row[0] for row in rows]


def _email_event(event_id: str, **changes: object) -> str:
    record = _example(get_contract("email", "events")) | {"sg_event_id": event_id} | changes
    return json.dumps(record)


def test_not_quite_json_is_quarantined_wherever_it_sits(warehouse, landing):
    """NaN, Infinity, trailing commas and keys given twice: DuckDB reads them, JSON does not,
    and readers disagree on what they mean. Text that only looks like them loads."""
    contract = get_contract("web", "events")
    record = _example(contract)

    def line(message_id: str, inner: str) -> str:
        # ``inner`` goes in as written, inside the declared ``properties`` object.
        text = json.dumps(record | {"messageId": message_id, "properties": {"p": 1}})
        return text.replace('{"p": 1}', "{" + inner + "}")

    _write_jsonl(
        landing,
        contract,
        [
            line("m-nan", '"score": NaN'),
            line("m-inf", '"score": -Infinity'),
            line("m-inf-lower", '"scores": [1, inf]'),
            line("m-comma", '"a": 1,'),
            line("m-array-comma", '"a": [1, 2, ]'),
            line("m-keys", '"a": 1, "a": 2'),
            json.dumps(record | {"messageId": "m-top"})[:-1] + ', "messageId": "m-other"}',
            line("m-text", '"note": "Smith, NaN, Infinity, [1,] {a,}", "nan": "inf"'),
            line("m-undeclared-twice", '"deep": {"a": 1, "a": 2}'),
        ],
    )
    _load(warehouse, contract, landing)
    reasons = _quarantine(warehouse, contract)
    assert reasons == {
        1: "not valid JSON: NaN and Infinity are not JSON numbers",
        2: "not valid JSON: NaN and Infinity are not JSON numbers",
        3: "not valid JSON: NaN and Infinity are not JSON numbers",
        4: "not valid JSON: a comma before a closing bracket",
        5: "not valid JSON: a comma before a closing bracket",
        6: "properties: a key appears twice",
        7: "the record: a key appears twice",
    }
    # Objects the contract does not declare are not looked into: the payload keeps both copies.
    assert _loaded_keys(warehouse, contract) == ["m-text", "m-undeclared-twice"]


def test_a_nul_character_is_refused_in_every_format(warehouse, landing):
    events = get_contract("email", "events")
    _write_jsonl(
        landing,
        events,
        [
            _email_event("evt-raw").replace("evt-raw", "evt-raw\x00"),  # a NUL byte as such
            _email_event("evt-escaped\x00"),
            _email_event("evt-backslash\\u0000"),
        ],
    )
    _load(warehouse, events, landing)
    assert _quarantine(warehouse, events) == {
        1: "contains a NUL character",
        2: "contains a NUL character",
    }
    assert _loaded_keys(warehouse, events) == ["evt-backslash\\u0000"]

    contacts = get_contract("crm", "contacts")
    row = _example(contacts)
    _write_csv(landing, contacts, [row | {"crm_id": "C-1\x00"}, row | {"crm_id": "C-2"}], list(row))
    _load(warehouse, contacts, landing)
    assert _quarantine(warehouse, contacts) == {2: "contains a NUL character"}
    assert [key.split("|")[0] for key in _loaded_keys(warehouse, contacts)] == ["C-2"]


def test_numbers_out_of_their_range_are_refused_at_the_door(warehouse, landing):
    """A bounded number the contract reads is checked at load, its bounds depending on another
    field where the contract says so; staging would read a too-large one as NULL."""
    surveys = get_contract("surveys", "responses")
    example = _example(surveys) | {"responded_at": f"{DAY}T12:00:00Z"}

    def response(response_id: str, survey_type: str, score: str) -> str:
        text = json.dumps(example | {"response_id": response_id, "survey_type": survey_type})
        return text.replace('"score": 4', f'"score": {score}')

    _write_jsonl(
        landing,
        surveys,
        [
            response("r-huge", "nps", "1e30"),
            response("r-nps-11", "nps", "11"),
            response("r-csat-0", "csat", "0"),
            response("r-ces-7", "ces", "7"),
            response("r-nps-0", "nps", "0"),
            response("r-other", "pulse", "42"),  # no bound is given for this kind of survey
            response("r-whole", "nps", "9.0"),
            response("r-big", "nps", "99999999999999999999"),
        ],
    )
    result = _load(warehouse, surveys, landing)
    above_ten = 'score: above the maximum 10 (when survey_type is "nps")'
    assert _quarantine(warehouse, surveys) == {
        1: f"score: too large for a 64-bit integer; {above_ten}",
        2: above_ten,
        3: 'score: below the minimum 1 (when survey_type is "csat")',
        8: f"score: too large for a 64-bit integer; {above_ten}",
    }
    assert result.loaded == 4

    # An optional field out of range costs the field, not the record.
    sends = get_contract("marketing", "sends")
    send = _example(sends) | {"sent_at": f"{DAY}T08:00:00Z"}
    _write_jsonl(
        landing,
        sends,
        [
            json.dumps(send | {"send_id": "s-150", "discount_percent": 150}),
            json.dumps(send | {"send_id": "s-1e400"}).replace(
                '"discount_percent": 10', '"discount_percent": 1e400'
            ),
        ],
    )
    result = _load(warehouse, sends, landing)
    assert (result.loaded, result.quarantined) == (2, 0)
    assert warehouse.execute(
        "select record_key, field, reason from ops.invalid_optional_fields order by 1"
    ).fetchall() == [
        ("s-150", "discount_percent", "above the maximum 100"),
        ("s-1e400", "discount_percent", "too large for a number; above the maximum 100"),
    ]


def test_an_oversized_record_is_quarantined_with_its_size_and_the_day_loads(tmp_path, landing):
    """One 50 MB line among a day's web events, under the loader's 2 GB memory limit: the
    line is quarantined with its size, never its text, and every other event loads."""
    connection = duckdb.connect(str(tmp_path / "bounded.duckdb"))
    connection.execute("set memory_limit = '2GB'")
    contract = get_contract("web", "events")
    record = _example(contract) | {"timestamp": f"{DAY}T10:00:00Z"}
    events = [json.dumps(record | {"messageId": f"m-{number}"}) for number in range(202)]
    huge = json.dumps(record | {"messageId": "m-huge", "properties": {"blob": "x" * 50_000_000}})
    _write_jsonl(landing, contract, [*events[:100], huge, *events[100:]])
    result = _load(connection, contract, landing)
    assert (result.loaded, result.quarantined) == (202, 1)
    (line, text, reason) = connection.execute(
        f"select _source_line, raw_text, reason from quarantine.{contract.stream}"
    ).fetchone()
    assert (line, text) == (101, "")
    assert reason == (
        f"record of {len(huge):,} bytes is over the limit of 16,777,216 bytes "
        "(CONNECT360_MAX_RECORD_BYTES)"
    )
    connection.close()


def test_the_record_size_limit_is_configurable_and_holds_for_csv(warehouse, landing):
    contract = get_contract("crm", "contacts")
    row = _example(contract)
    _write_csv(
        landing,
        contract,
        [row | {"crm_id": "C-1"}, row | {"crm_id": "C-2", "first_name": "N" * 5000}],
        list(row),
    )
    result = load_days(warehouse, contract, landing, [DAY], max_record_bytes=4096)
    assert (result.loaded, result.quarantined) == (1, 1)
    assert warehouse.execute(
        f"select _source_line, raw_text, starts_with(reason, 'record of ') "
        f"from quarantine.{contract.stream}"
    ).fetchall() == [(3, "", True)]


@pytest.mark.parametrize("setting", ["0", "-5", "lots"])
def test_a_record_size_limit_that_is_no_size_is_refused(monkeypatch, setting):
    monkeypatch.setenv("CONNECT360_MAX_RECORD_BYTES", setting)
    with pytest.raises(ValueError, match="CONNECT360_MAX_RECORD_BYTES must be a whole number"):
        Settings.from_env()


def test_bad_json_lines_are_quarantined_with_reasons_and_good_ones_load(warehouse, landing):
    contract = get_contract("email", "events")
    good = _email_event("evt-good")
    _write_jsonl(
        landing,
        contract,
        [
            good,
            good[: len(good) // 2],  # truncated
            _email_event("evt-type", timestamp="yesterday at noon"),  # unparseable time
            _email_event("evt-int", asm_group_id="seven"),  # wrong type, optional: loads
            json.dumps({k: v for k, v in json.loads(good).items() if k != "email"}).replace(
                "evt-good", "evt-missing"
            ),  # missing required key
            b'{"sg_event_id": "evt-utf8", "email": "\xff\xfe"}',  # invalid UTF-8
            "[1, 2, 3]",  # JSON but not an object
            "",  # blank lines are not records
            _email_event("evt-extra", brand_new_field={"kept": True}),  # unknown field kept
        ],
    )
    result = _load(warehouse, contract, landing)

    assert (result.lines, result.loaded, result.quarantined) == (8, 3, 5)
    assert _loaded_keys(warehouse, contract) == ["evt-extra", "evt-good", "evt-int"]
    assert result.invalid_optional_fields == {"asm_group_id": 1}
    reasons = _quarantine(warehouse, contract)
    assert reasons[2] == "not valid JSON"
    assert (
        reasons[3] == "timestamp: expected integer, found string; timestamp: unparseable timestamp"
    )
    assert 4 not in reasons
    assert reasons[5] == "email: missing required field"
    assert reasons[6] == "invalid UTF-8"
    assert reasons[7] == "not a JSON object"
    extra = warehouse.execute(
        f"select payload->'brand_new_field'->>'kept' from raw.{contract.stream} "
        "where record_key = 'evt-extra'"
    ).fetchone()
    assert extra == ("true",)


def test_reasons_never_contain_the_offending_value(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-1", email=["jane.doe@example.org"])])
    _load(warehouse, contract, landing)
    (reason,) = _quarantine(warehouse, contract).values()
    assert reason == "email: expected string, found array"
    assert "jane" not in reason


def test_empty_and_zero_byte_files_load_nothing_and_succeed(warehouse, landing):
    contract = get_contract("web", "events")
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "events.jsonl").write_bytes(b"")
    (folder / "events-0002.jsonl").write_text("\n\n  \n")
    result = _load(warehouse, contract, landing)
    assert (result.files, result.lines, result.loaded, result.quarantined) == (2, 0, 0, 0)
    assert _loaded_keys(warehouse, contract) == []


def test_a_missing_day_folder_loads_nothing_and_is_reported(warehouse, landing):
    result = _load(warehouse, get_contract("web", "events"), landing)
    assert result.missing_days == [DAY]
    assert result.loaded == 0


def test_the_same_file_twice_keeps_one_copy_and_quarantines_the_other(warehouse, landing):
    contract = get_contract("email", "events")
    lines = [_email_event("evt-1"), _email_event("evt-2")]
    _write_jsonl(landing, contract, lines, name="events-a.jsonl")
    _write_jsonl(landing, contract, lines, name="events-b.jsonl")
    _write_jsonl(landing, contract, [_email_event("evt-1", event="open")], name="events-c.jsonl")
    result = _load(warehouse, contract, landing)
    assert _loaded_keys(warehouse, contract) == ["evt-1", "evt-2"]
    assert result.quarantined == 3
    reasons = warehouse.execute(
        f"select _source_file, _source_line, reason from quarantine.{contract.stream} order by 1, 2"
    ).fetchall()
    day = DAY.isoformat()
    assert reasons == [
        (
            f"email/{day}/events-b.jsonl",
            1,
            f"duplicate of the record at email/{day}/events-a.jsonl:1",
        ),
        (
            f"email/{day}/events-b.jsonl",
            2,
            f"duplicate of the record at email/{day}/events-a.jsonl:2",
        ),
        (
            f"email/{day}/events-c.jsonl",
            1,
            f"same record id as the record at email/{day}/events-a.jsonl:1, other content",
        ),
    ]


def test_a_truncated_gzip_file_keeps_every_record_before_the_cut(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-ok")])
    folder = landing / contract.channel / DAY.isoformat()
    lines = [_email_event(f"evt-{number:03d}") for number in range(500)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    (folder / "events-0002.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])
    result = _load(warehouse, contract, landing)
    quarantined = warehouse.execute(
        f"select _source_line, reason, raw_text from quarantine.{contract.stream}"
    ).fetchall()
    # Every whole line before the cut loads; the line the cut went through is quarantined with
    # what is left of its text, and nothing is quarantined without a line of its own.
    [(line, reason, text)] = quarantined
    assert reason == "truncated gzip file: the line is cut short"
    assert result.loaded == line  # evt-ok and the line - 1 whole lines of the gzip
    assert 200 < line < 500
    assert text and lines[line - 1].startswith(text)


def test_a_gzip_file_with_nothing_readable_is_one_quarantine_row(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-ok")])
    folder = landing / contract.channel / DAY.isoformat()
    (folder / "events-0002.jsonl.gz").write_bytes(b"\x1f\x8b\x08 not gzip data at all")
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (1, 1)
    [reason] = _quarantine(warehouse, contract).values()
    assert reason.startswith("unreadable gzip data")


def test_gzip_members_and_zero_padding_read_like_gzip_does(warehouse, landing):
    contract = get_contract("email", "events")
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    first, second = (_email_event(f"evt-m{number}") + "\n" for number in range(2))
    members = gzip.compress(first.encode()) + gzip.compress(second.encode())
    (folder / "events-0001.jsonl.gz").write_bytes(members + b"\0" * 512)
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (2, 0)


def test_a_csv_with_an_unusable_header_keeps_every_row_with_its_line(warehouse, landing):
    contract = get_contract("crm", "contacts")
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    # Old Mac line endings and a column named twice: no row can be read, each is kept.
    (folder / "contacts.csv").write_bytes(b"crm_id,crm_id,email\rC-1,a,b\rC-2,c,d\r")
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (0, 2)
    rows = warehouse.execute(
        f"select _source_line, raw_text, reason from quarantine.{contract.stream} order by 1"
    ).fetchall()
    assert rows == [(2, "C-1,a,b", "unusable CSV header"), (3, "C-2,c,d", "unusable CSV header")]


def test_carriage_return_line_endings_split_records(warehouse, landing):
    contract = get_contract("email", "events")
    folder = landing / contract.channel / DAY.isoformat()
    folder.mkdir(parents=True)
    records = [_email_event(f"evt-cr{number}") for number in range(3)]
    (folder / "events.jsonl").write_bytes("\r".join(records).encode() + b"\r")
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (3, 0)
    assert _loaded_keys(warehouse, contract) == ["evt-cr0", "evt-cr1", "evt-cr2"]


def test_gzipped_files_load(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-gz")], name="events-0001.jsonl.gz")
    assert _load(warehouse, contract, landing).loaded == 1


@pytest.mark.parametrize(
    ("written", "expected_utc"),
    [
        ("2026-03-09T10:00:00Z", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
        ("2026-03-09T10:00:00+02:00", datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),
        ("2026-03-09T10:00:00.250-0500", datetime(2026, 3, 9, 15, 0, 0, 250000, tzinfo=UTC)),
        ("2026-03-09 10:00:00", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),  # naive: UTC
        ("Mon, 09 Mar 2026 10:00:00 +0100", datetime(2026, 3, 9, 9, 0, tzinfo=UTC)),
        ("Mon, 09 Mar 2026 10:00:00 GMT", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),
        ("1773050400", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),  # epoch seconds as text
        ("1773050400000", datetime(2026, 3, 9, 10, 0, tzinfo=UTC)),  # epoch milliseconds
        # Zone abbreviations stand for one fixed offset (PST is -08:00 even after the switch).
        ("2026-03-09 10:00:00 PST", datetime(2026, 3, 9, 18, 0, tzinfo=UTC)),
        ("2026-03-09 10:00:00 pdt", datetime(2026, 3, 9, 17, 0, tzinfo=UTC)),
        ("Mon, 09 Mar 2026 10:00:00 EST", datetime(2026, 3, 9, 15, 0, tzinfo=UTC)),
        # An IANA name keeps its rules: daylight time began in New York on 8 March 2026.
        ("2026-03-09 10:00:00 America/New_York", datetime(2026, 3, 9, 14, 0, tzinfo=UTC)),
        ("2026-03-09T10:00:00 Etc/GMT+8", datetime(2026, 3, 9, 18, 0, tzinfo=UTC)),
        ("2026-03-09 10:00:00 -0800", datetime(2026, 3, 9, 18, 0, tzinfo=UTC)),
        ("2026-03-09 10:00:00+14:00", datetime(2026, 3, 8, 20, 0, tzinfo=UTC)),
    ],
)
def test_timestamp_formats_and_zones_parse_to_utc(warehouse, landing, written, expected_utc):
    contract = get_contract("web", "events")
    record = _example(contract) | {"messageId": "m-1", "timestamp": written}
    _write_jsonl(landing, contract, [json.dumps(record)])
    result = _load(warehouse, contract, landing)
    assert result.loaded == 1, _quarantine(warehouse, contract)
    (occurred_at,) = warehouse.execute(f"select occurred_at from raw.{contract.stream}").fetchone()
    assert occurred_at == expected_utc


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("09/03/2026 10:00", "timestamp: unparseable timestamp"),
        ("2026-02-30T10:00:00Z", "timestamp: unparseable timestamp"),
        ("1970-01-01T00:00:00Z", "timestamp: event time outside the plausible range"),
        ("2026-03-20T10:00:00Z", "timestamp: event time outside the plausible range"),
        ("2026-03-09 10:00:00 Europe/Atlantis", "timestamp: unknown time zone"),
        ("2026-03-09 10:00:00+25:00", "timestamp: UTC offset out of range"),
        ("2026-03-09 10:00:00-05:75", "timestamp: UTC offset out of range"),
        # CST is US central, China and Cuba; IST India, Ireland and Israel.
        ("2026-03-09 10:00:00 CST", "timestamp: unknown or ambiguous time zone abbreviation"),
        ("2026-03-09 10:00:00 IST", "timestamp: unknown or ambiguous time zone abbreviation"),
        ("2026-03-09 10:00 PM", "timestamp: unknown or ambiguous time zone abbreviation"),
        ("2026-03-09 10:00:00 (local)", "timestamp: unparseable timestamp"),
    ],
)
def test_impossible_timestamps_are_quarantined(warehouse, landing, written, reason):
    contract = get_contract("web", "events")
    record = _example(contract) | {"messageId": "m-1", "timestamp": written}
    _write_jsonl(landing, contract, [json.dumps(record)])
    _load(warehouse, contract, landing)
    assert reason in _quarantine(warehouse, contract)[1]


def test_staging_reads_times_as_the_loader_does(tmp_path, monkeypatch):
    """to_utc() (every staged timestamp) and the loader (every event time) agree, case by case."""
    monkeypatch.setenv("CONNECT360_WAREHOUSE", str(tmp_path / "compile.duckdb"))
    compiled = dbt_resource().cli(
        ["compile", "--quiet", "--inline", "select {{ to_utc('written') }} as parsed from texts"],
        raise_on_error=True,
    )
    compiled.wait()
    sql = compiled.get_artifact("run_results.json")["results"][0]["compiled_code"]
    connection = duckdb.connect()
    connection.execute("set timezone = 'UTC'")
    connection.execute("create table texts (written varchar)")
    connection.executemany("insert into texts values (?)", [[text] for text in TIME_TEXTS])
    staged = [row[0] for row in connection.execute(sql).fetchall()]
    loaded = [
        row[0]
        for row in connection.execute(
            f"select {timestamp_text_sql('written')} from texts"
        ).fetchall()
    ]
    assert staged == loaded
    assert sum(value is None for value in loaded) == UNREADABLE_TIME_TEXTS


def test_epoch_integer_timestamps_parse(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-1", timestamp=1773050400)])
    _load(warehouse, contract, landing)
    (occurred_at,) = warehouse.execute(f"select occurred_at from raw.{contract.stream}").fetchone()
    assert occurred_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


def test_store_local_time_is_read_in_the_store_time_zone(warehouse, landing):
    contract = get_contract("pos", "receipts")
    row = _example(contract)
    rows = [
        row
        | {
            "receipt_id": "R-1",
            "store_timezone": "America/New_York",
            "local_timestamp": "2026-03-09 10:00:00",
        },
        row
        | {
            "receipt_id": "R-2",
            "store_timezone": "Europe/Amsterdam",
            "local_timestamp": "2026-03-09 10:00:00",
        },
        row
        | {
            "receipt_id": "R-3",
            "store_timezone": "Mars/Olympus_Mons",
            "local_timestamp": "2026-03-09 10:00:00",
        },
    ]
    _write_csv(landing, contract, rows, list(row))
    result = _load(warehouse, contract, landing)
    times = dict(
        warehouse.execute(
            f"select split_part(record_key, '|', 1), occurred_at from raw.{contract.stream}"
        ).fetchall()
    )
    assert times == {
        "R-1": datetime(2026, 3, 9, 14, 0, tzinfo=UTC),  # EDT starts 8 March 2026: UTC-4
        "R-2": datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    }
    assert result.quarantined == 1
    assert "store_timezone: unknown time zone" in _quarantine(warehouse, contract)[4]


def test_csv_with_an_added_and_a_removed_column(warehouse, landing):
    contract = get_contract("crm", "contacts")
    row = _example(contract)
    optional = next(name for name in row if name not in contract.schema["required"])
    columns = [name for name in row if name != optional] + ["loyalty_tier"]
    rows = [row | {"crm_id": "C-1", "loyalty_tier": "gold"}, row | {"crm_id": "C-2"}]
    _write_csv(landing, contract, rows, columns)
    result = _load(warehouse, contract, landing)
    assert result.loaded == 2
    tiers = warehouse.execute(
        f"select payload->>'loyalty_tier', payload->>'{optional}' from raw.{contract.stream} "
        "order by record_key"
    ).fetchall()
    assert tiers == [("gold", None), (None, None)]


def test_csv_without_a_required_column_quarantines_every_row(warehouse, landing):
    contract = get_contract("crm", "contacts")
    row = _example(contract)
    columns = [name for name in row if name != "updated_at"]
    _write_csv(landing, contract, [row | {"crm_id": "C-1"}, row | {"crm_id": "C-2"}], columns)
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (0, 2)
    assert set(_quarantine(warehouse, contract).values()) == {"updated_at: missing required field"}


def test_csv_rows_with_wrong_cells_or_bad_bytes_are_quarantined(warehouse, landing):
    contract = get_contract("crm", "contacts")
    row = _example(contract)
    path = _write_csv(landing, contract, [row | {"crm_id": "C-1"}], list(row))
    with path.open("ab") as handle:
        handle.write(b"C-2,too,few\n")
        handle.write(("\xff".join(str(v) for v in row.values())).encode("latin-1", "replace"))
        handle.write(b"\n")
        handle.write(b'"C-3,unterminated quote\n')
    result = _load(warehouse, contract, landing)
    reasons = _quarantine(warehouse, contract)
    assert result.loaded == 1
    assert reasons[3] == f"CSV row has 3 cells, the header has {len(row)}"
    assert reasons[4] == "invalid UTF-8"
    assert reasons[5].startswith("malformed CSV row")


def test_an_unterminated_quote_costs_its_own_row_only(warehouse, landing):
    contract = get_contract("crm", "contacts")
    row = _example(contract)
    path = _write_csv(landing, contract, [row | {"crm_id": "C-1"}], list(row))
    good = ",".join(str(value) for value in (row | {"crm_id": "C-9"}).values())
    with path.open("a") as handle:
        handle.write('"C-2,an unterminated quote\n')
        handle.write(good + "\n")
        handle.write(good.replace("C-9", "C-10") + "\n")
    result = _load(warehouse, contract, landing)
    quarantined = warehouse.execute(
        f"select _source_line, reason, raw_text from quarantine.{contract.stream}"
    ).fetchall()
    # The rows after the broken one still load, with their own lines; the broken one is kept
    # with its text.
    assert result.loaded == 3
    [(line, reason, text)] = quarantined
    assert (line, text) == (3, '"C-2,an unterminated quote')
    assert reason.startswith("malformed CSV row")
    lines = warehouse.execute(
        f"select payload ->> '$.crm_id', _source_line from raw.{contract.stream} order by 2"
    ).fetchall()
    assert lines == [("C-1", 2), ("C-9", 4), ("C-10", 5)]


def test_wrong_types_in_csv_formatted_fields(warehouse, landing):
    contract = get_contract("pos", "receipts")
    row = _example(contract)
    _write_csv(landing, contract, [row | {"receipt_id": "R-1", "paid_price": "12,50"}], list(row))
    _load(warehouse, contract, landing)
    assert _quarantine(warehouse, contract) == {2: "paid_price: not a valid decimal"}


def test_reloading_a_partition_leaves_identical_contents(warehouse, landing, tmp_path):
    contract = get_contract("email", "events")
    _write_jsonl(
        landing,
        contract,
        [_email_event("evt-1"), _email_event("evt-2"), "{broken", _email_event("evt-1")],
    )
    columns = (
        "record_key, occurred_at, payload::varchar, _partition_date, _source_file, _source_line"
    )
    state = tmp_path / "state"

    def snapshot() -> tuple[list, list, int]:
        raw = warehouse.execute(
            f"select {columns} from raw.{contract.stream} order by all"
        ).fetchall()
        bad = warehouse.execute(
            f"select reason, raw_text, _source_line from quarantine.{contract.stream} order by all"
        ).fetchall()
        audits = warehouse.execute("select count(*) from ops.load_audit").fetchone()[0]
        return raw, bad, audits

    first = load_days(warehouse, contract, landing, [DAY], state_root=state)
    before = snapshot()
    second = load_days(warehouse, contract, landing, [DAY], state_root=state)
    after = snapshot()
    assert before[:2] == after[:2]
    assert len(before[0]) == 2 and len(before[1]) == 2
    assert (before[2], after[2]) == (1, 2)  # each load is audited
    assert first.load_id != second.load_id
    assert loaded_signature(state, contract, DAY) is not None


def test_a_failed_load_leaves_the_previous_partition_in_place(warehouse, landing, monkeypatch):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-1")])
    _load(warehouse, contract, landing)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("orchestration.ingestion.loader._replace_partitions", fail)
    _write_jsonl(landing, contract, [_email_event("evt-2")], name="events-0002.jsonl")
    with pytest.raises(RuntimeError, match="disk full"):
        _load(warehouse, contract, landing)
    assert _loaded_keys(warehouse, contract) == ["evt-1"]


def test_a_segment_call_needs_an_anonymous_or_user_id(warehouse, landing):
    contract = get_contract("web", "events")
    base = {k: v for k, v in _example(contract).items() if k not in ("anonymousId", "userId")}
    _write_jsonl(
        landing,
        contract,
        [
            json.dumps(base | {"messageId": "m-none"}),
            json.dumps(base | {"messageId": "m-null", "userId": None}),
            json.dumps(base | {"messageId": "m-anon", "anonymousId": "a-1"}),
            json.dumps(base | {"messageId": "m-user", "userId": "u-1"}),
        ],
    )
    _load(warehouse, contract, landing)
    assert _loaded_keys(warehouse, contract) == ["m-anon", "m-user"]
    assert _quarantine(warehouse, contract) == {
        1: "needs anonymousId or userId",
        2: "needs anonymousId or userId",  # userId may be null (Segment sends null)
    }


def _wrong_type_value(schema: dict) -> object:
    """A value of a JSON type the field does not allow."""
    allowed = schema.get("type", [])
    allowed = [allowed] if isinstance(allowed, str) else allowed
    return {"unexpected": "object"} if "object" not in allowed else ["unexpected"]


@pytest.mark.parametrize("contract", load_contracts(), ids=lambda contract: contract.stream)
def test_every_contract_loads_good_records_and_quarantines_bad_ones(warehouse, landing, contract):
    example = _example(contract)
    required = [name for name in contract.schema["required"] if name in example]
    missing_field = required[-1]
    if contract.format == "csv":
        columns = list(example)
        formatted = [name for name in required if contract.schema["properties"][name].get("format")]
        rows = [
            example,
            example | {missing_field: ""},  # an empty cell is an absent field
            *([example | {formatted[0]: "not-a-value"}] if formatted else []),
        ]
        path = _write_csv(landing, contract, rows, columns)
        with path.open("ab") as handle:
            handle.write(b"only,two\n")
            handle.write(",".join(str(v) for v in example.values()).encode() + b"\xff\n")
        expected = {
            3: f"{missing_field}: missing required field",
            **({4: f"{formatted[0]}: not a valid"} if formatted else {}),
            4 + bool(formatted): "CSV row has 2 cells",
            5 + bool(formatted): "invalid UTF-8",
        }
    else:
        typed_field = required[0]
        good = json.dumps(example)
        lines = [
            good,
            good[: len(good) // 2],
            json.dumps({k: v for k, v in example.items() if k != missing_field}),
            json.dumps(
                example
                | {typed_field: _wrong_type_value(contract.schema["properties"][typed_field])}
            ),
            good.encode()[:-1] + b'\xff"}' if good.endswith('"}') else good.encode() + b"\xff",
        ]
        _write_jsonl(landing, contract, lines)
        expected = {
            2: "not valid JSON",
            3: f"{missing_field}: missing required field",
            4: f"{typed_field}: expected",
            5: "invalid UTF-8",
        }
    result = _load(warehouse, contract, landing)
    reasons = _quarantine(warehouse, contract)
    assert result.loaded == 1, reasons
    assert set(reasons) == set(expected)
    for line, reason in expected.items():
        assert reason in reasons[line], (line, reasons[line])
    assert result.quarantined == len(expected)


# --- optional fields: a bad value costs the field, not the record ------------------------------


def _contact(crm_id: str, **changes: str) -> dict:
    return _example(get_contract("crm", "contacts")) | {"crm_id": crm_id} | changes


#: CRM contacts as landed, by line: a bad optional value of each kind beside a good contact, and
#: a contact without its id (line 5), which is still quarantined.
CONTACTS = [
    _contact("C-1"),
    _contact("C-2", date_of_birth="31/02/1985"),
    _contact("C-3", date_of_birth="not a date"),
    _contact("", date_of_birth="not a date"),
    _contact("C-5", country_code="Netherlands"),
]
BAD_VALUES = ("31/02/1985", "not a date", "Netherlands")


def _field_issues(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        "select stream, record_key, field, reason, _partition_date, _source_file, _source_line "
        "from ops.invalid_optional_fields order by stream, _source_file, _source_line, field"
    ).fetchall()


def test_a_bad_optional_value_costs_the_field_not_the_record(warehouse, landing):
    contract = get_contract("crm", "contacts")
    _write_csv(landing, contract, CONTACTS, list(CONTACTS[0]))
    result = _load(warehouse, contract, landing)

    assert (result.loaded, result.quarantined) == (4, 1)
    assert result.invalid_optional_fields == {"date_of_birth": 2, "country_code": 1}
    # The record loads exactly as landed, its name and address with it.
    payloads = dict(
        warehouse.execute(
            f"select split_part(record_key, '|', 1), payload from raw.{contract.stream}"
        ).fetchall()
    )
    assert {crm_id: json.loads(payload) for crm_id, payload in payloads.items()} == {
        row["crm_id"]: row for row in CONTACTS if row["crm_id"]
    }
    # Each bad field is recorded per record with its reason.
    file = f"crm/{DAY.isoformat()}/contacts.csv"
    assert _field_issues(warehouse) == [
        ("crm__contacts", contract.record_key(CONTACTS[1]), "date_of_birth", "not a valid date",
         DAY, file, 3),
        ("crm__contacts", contract.record_key(CONTACTS[2]), "date_of_birth", "not a valid date",
         DAY, file, 4),
        ("crm__contacts", contract.record_key(CONTACTS[4]), "country_code",
         "does not match the pattern ^[A-Z]{2}$", DAY, file, 6),
    ]  # fmt: skip
    (audited,) = warehouse.execute("select invalid_optional_fields from ops.load_audit").fetchone()
    assert json.loads(audited) == {"country_code": 1, "date_of_birth": 2}
    # A missing id still quarantines the record, with every reason.
    assert _quarantine(warehouse, contract) == {
        5: "crm_id: missing required field; date_of_birth: not a valid date"
    }
    # No bad value reaches the issues, the audit or the result.
    recorded = f"{_field_issues(warehouse)} {audited} {result}"
    assert not [value for value in BAD_VALUES if value in recorded]


def test_the_raw_asset_counts_invalid_optional_fields_beside_loaded_and_quarantined(
    tmp_path, landing, monkeypatch
):
    monkeypatch.setenv("CONNECT360_PARTITIONS_START", "2026-01-01")
    contract = get_contract("crm", "contacts")
    _write_csv(landing, contract, CONTACTS, list(CONTACTS[0]))
    resources = {
        "landing": LandingResource(path=str(landing), state_path=str(tmp_path / "state")),
        "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
    }
    result = dg.materialize(
        build_raw_assets([contract]), partition_key=DAY.isoformat(), resources=resources
    )
    (materialization,) = result.asset_materializations_for_node("raw__crm__contacts")
    metadata = {name: value.value for name, value in materialization.metadata.items()}
    assert (metadata["loaded"], metadata["quarantined"]) == (4, 1)
    assert metadata["invalid_optional_fields"] == {"country_code": 1, "date_of_birth": 2}


def test_reloading_a_day_replaces_its_flagged_fields(warehouse, landing):
    contract = get_contract("crm", "contacts")
    path = _write_csv(landing, contract, CONTACTS, list(CONTACTS[0]))
    _load(warehouse, contract, landing)
    first = _field_issues(warehouse)
    _load(warehouse, contract, landing)
    assert _field_issues(warehouse) == first
    path.unlink()
    _write_csv(landing, contract, [CONTACTS[0], _contact("C-2")], list(CONTACTS[0]))
    result = _load(warehouse, contract, landing)
    assert (len(first), _field_issues(warehouse), result.invalid_optional_fields) == (3, [], {})


def test_a_field_the_loader_needs_still_quarantines_the_record(warehouse, landing):
    contract = get_contract("web", "events")
    record = _example(contract) | {"messageId": "m-1", "anonymousId": "a-1", "userId": {"id": 7}}
    _write_jsonl(landing, contract, [json.dumps(record)])
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (0, 1)
    assert _quarantine(warehouse, contract) == {1: "userId: expected string or null, found object"}


def _checked_optional_fields(contract: Contract) -> list[FieldRule]:
    """The optional fields the loader checks; in CSV only those with a format or pattern (a CSV
    cell is always text)."""
    return [
        rule
        for rule in field_rules(contract.schema)
        if rule.optional
        and (rule.string_format or rule.pattern or (rule.types and contract.format != "csv"))
    ]


def _bad_value(rule: FieldRule) -> tuple[object, str]:
    """Text that is no valid format or pattern where the field has one, else a JSON type the
    field does not allow; and the reason the loader gives for it."""
    if rule.string_format:
        return "not-a-value", f"not a valid {rule.string_format}"
    if rule.pattern:
        return "not-a-value", f"does not match the pattern {rule.pattern}"
    value = _wrong_type_value({"type": list(rule.types)})
    found = "object" if isinstance(value, dict) else "array"
    return value, f"expected {' or '.join(rule.types)}, found {found}"


def _with_value(record: dict, path: str, value: object) -> dict:
    copy = json.loads(json.dumps(record))
    node = copy
    *parents, name = path.split(".")
    for parent in parents:
        if not isinstance(node.get(parent), dict):
            node[parent] = {}
        node = node[parent]
    node[name] = value
    return copy


def _with_record_id(contract: Contract, record: dict, number: int) -> dict:
    """The record under another id: its first record-id field of free text or a JSON integer
    gets the number added."""
    properties = contract.schema["properties"]
    for path in contract.record_id:
        declared = properties.get(path, {})
        if "format" in declared or "enum" in declared or path not in record:
            continue
        value = record[path]
        changed = value + number if isinstance(value, int) else f"{value}-{number}"
        return record | {path: changed}
    raise AssertionError(f"{contract.stream}: no record-id field to vary")


def _damaged(contract: Contract) -> list[tuple[str, str, dict]]:
    """(field, reason, record) per checked optional field: the example with that field bad."""
    example = _example(contract)
    damaged = []
    for number, rule in enumerate(_checked_optional_fields(contract), start=1):
        value, reason = _bad_value(rule)
        record = _with_record_id(contract, _with_value(example, rule.path, value), number)
        damaged.append((rule.path, reason, record))
    return damaged


def _land(landing: Path, contract: Contract, records: list[dict]) -> None:
    if contract.format == "csv":
        columns = list(dict.fromkeys(name for record in records for name in record))
        _write_csv(landing, contract, records, columns)
    else:
        _write_jsonl(landing, contract, [json.dumps(record) for record in records])


@pytest.mark.parametrize("contract", load_contracts(), ids=lambda contract: contract.stream)
def test_every_contract_loads_records_with_a_bad_optional_field_and_flags_it(
    warehouse, landing, contract
):
    damaged = _damaged(contract)
    _land(landing, contract, [_example(contract), *(record for _, _, record in damaged)])
    result = _load(warehouse, contract, landing)

    assert (result.loaded, result.quarantined) == (1 + len(damaged), 0), _quarantine(
        warehouse, contract
    )
    issues = warehouse.execute(
        "select record_key, field, reason from ops.invalid_optional_fields"
    ).fetchall()
    assert sorted(issues) == sorted(
        (contract.record_key(record), field, reason) for field, reason, record in damaged
    )
    assert result.invalid_optional_fields == {field: 1 for field, _, _ in damaged}
    payloads = warehouse.execute(f"select payload from raw.{contract.stream}").fetchall()
    landed = [json.loads(payload) for (payload,) in payloads]
    assert all(record in landed for _, _, record in damaged)


# Through dbt: bad optional values never fail staging, and read as NULL there.

#: Required values that make a contract's example a record staging accepts.
STAGEABLE = {"consent__events": {"subject_id": "ana.lopez@mail.example.com"}}


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A warehouse loaded with every contract's records with a bad optional field, and the CRM
    contacts above, built through staging and the restricted layer with their dbt tests."""
    root = tmp_path_factory.mktemp("optional_fields")
    warehouse = Warehouse(root / "warehouse.duckdb")
    landing = root / "landing"
    for contract in load_contracts():
        records = [_example(contract), *(record for _, _, record in _damaged(contract))]
        if contract.stream == "crm__contacts":
            records += CONTACTS[1:]
        # The example's subject is an address the identity blocklist drops (customer@...), which
        # leaves the consent event without the subject key staging requires.
        records = [record | STAGEABLE.get(contract.stream, {}) for record in records]
        _land(landing, contract, records)
    connection = duckdb.connect(str(warehouse.path))
    connection.execute("set TimeZone = 'UTC'")
    for contract in load_contracts():
        load_days(connection, contract, landing, [DAY])
    connection.close()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONNECT360_WAREHOUSE", str(warehouse.path))
        dbt = dbt_resource()
        dbt.cli(["seed"], raise_on_error=True).wait()
        selection = "path:models/staging path:models/restricted"
        arguments = ["--select", selection, "--indirect-selection", "cautious"]
        dbt.cli(["build", *arguments], raise_on_error=True).wait()
    yield warehouse


def test_a_contact_with_an_unreadable_birth_date_is_staged_with_its_flag(staged):
    flags = dict(
        staged.query("select crm_id, has_invalid_date_of_birth from staging.stg_crm__contacts")
    )
    damaged = {
        field: record["crm_id"] for field, _, record in _damaged(get_contract("crm", "contacts"))
    }
    assert len(flags) == 4 + len(damaged)
    assert {crm_id for crm_id, flag in flags.items() if flag} == {
        "C-2",
        "C-3",
        damaged["date_of_birth"],
    }
    restricted = staged.query(
        "select split_part(record_key, '|', 1), date_of_birth, first_name, last_name, "
        "address_line, city, country_code from restricted.stg_restricted__crm_contacts "
        "where record_key like 'C-%' order by 1"
    )
    assert restricted == [
        ("C-2", None, "example", "customer", "1 example street", "utrecht", "NL"),
        ("C-3", None, "example", "customer", "1 example street", "utrecht", "NL"),
        ("C-5", date(1990, 1, 1), "example", "customer", "1 example street", "utrecht", None),
    ]


def test_records_with_bad_optional_values_are_all_staged(staged):
    for contract in load_contracts():
        table = f"stg_{contract.stream}"
        loaded = staged.query(f"select count(distinct record_key) from raw.{contract.stream}")
        rows = staged.query(f"select count(*) from staging.{table}")
        assert rows == loaded, contract.stream
