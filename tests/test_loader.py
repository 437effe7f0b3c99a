"""The raw loader on bad input: bad records are quarantined with a reason, good ones load."""

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.contracts import Contract, get_contract, load_contracts
from orchestration.ingestion.loader import LoadResult, load_days, loaded_signature

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
            _email_event("evt-int", asm_group_id="seven"),  # wrong type, optional field
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

    assert (result.lines, result.loaded, result.quarantined) == (8, 2, 6)
    assert _loaded_keys(warehouse, contract) == ["evt-extra", "evt-good"]
    reasons = _quarantine(warehouse, contract)
    assert reasons[2] == "not valid JSON"
    assert (
        reasons[3] == "timestamp: expected integer, found string; timestamp: unparseable timestamp"
    )
    assert reasons[4] == "asm_group_id: expected integer, found string"
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


def test_a_corrupt_gzip_file_is_quarantined_whole_and_the_rest_loads(warehouse, landing):
    contract = get_contract("email", "events")
    _write_jsonl(landing, contract, [_email_event("evt-ok")])
    folder = landing / contract.channel / DAY.isoformat()
    (folder / "events-0002.jsonl.gz").write_bytes(gzip.compress(b'{"a": 1}\n')[:-12])
    result = _load(warehouse, contract, landing)
    assert (result.loaded, result.quarantined) == (1, 1)
    assert _quarantine(warehouse, contract) == {0: "unreadable file: EOFError"}


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
    ],
)
def test_impossible_timestamps_are_quarantined(warehouse, landing, written, reason):
    contract = get_contract("web", "events")
    record = _example(contract) | {"messageId": "m-1", "timestamp": written}
    _write_jsonl(landing, contract, [json.dumps(record)])
    _load(warehouse, contract, landing)
    assert reason in _quarantine(warehouse, contract)[1]


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
