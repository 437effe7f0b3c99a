"""The landing contracts: well-formed schemas, safe error messages, the registry, generated docs."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from orchestration.ingestion import contract_docs
from orchestration.ingestion.contracts import (
    CONTRACTS_DIR,
    FORMAT_CHECKER,
    Contract,
    channels,
    get_contract,
    load_contracts,
)

CONTRACTS = load_contracts()
STREAMS = [contract.stream for contract in CONTRACTS]

# The agreed list: (channel, entity) -> (format, record_id, occurred_at).
SPEC = {
    ("web", "events"): ("jsonl", ("messageId",), "timestamp"),
    ("mobile_app", "events"): ("jsonl", ("messageId",), "timestamp"),
    ("email", "events"): ("jsonl", ("sg_event_id",), "timestamp"),
    ("sms", "messages"): ("jsonl", ("sid",), "date_sent"),
    ("voice", "calls"): ("jsonl", ("sid",), "start_time"),
    ("voice", "dispositions"): ("jsonl", ("disposition_id",), "wrapped_up_at"),
    ("chat", "conversations"): ("jsonl", ("id",), "updated_at"),
    ("tickets", "tickets"): ("jsonl", ("id", "updated_at"), "updated_at"),
    ("orders", "orders"): ("jsonl", ("id", "updated_at"), "updated_at"),
    ("pos", "receipts"): ("csv", ("receipt_id", "line_number"), "local_timestamp"),
    ("shipping", "tracking_events"): ("jsonl", ("event_id",), "occurred_at"),
    ("surveys", "responses"): ("jsonl", ("response_id",), "responded_at"),
    ("social", "mentions"): ("jsonl", ("id",), "created_at"),
    ("crm", "contacts"): ("csv", ("crm_id", "updated_at"), "updated_at"),
    ("consent", "events"): ("jsonl", ("consent_event_id",), "occurred_at"),
    ("consent", "erasure_requests"): ("jsonl", ("request_id",), "received_at"),
    ("marketing", "sends"): ("jsonl", ("send_id",), "sent_at"),
    ("marketing", "price_list"): ("csv", ("channel", "sku", "valid_from"), "published_at"),
    ("experiments", "assignments"): ("jsonl", ("assignment_id",), "assigned_at"),
}


def _example(contract: Contract) -> dict[str, Any]:
    return copy.deepcopy(contract.schema["examples"][0])


def _subschema(schema: dict[str, Any], dotted: str) -> dict[str, Any]:
    for part in dotted.split("."):
        schema = schema["properties"][part]
    return schema


def test_the_registry_holds_exactly_the_agreed_contracts() -> None:
    assert {(contract.channel, contract.entity) for contract in CONTRACTS} == set(SPEC)
    assert sorted(STREAMS) == STREAMS
    assert channels() == tuple(sorted({channel for channel, _ in SPEC}))
    assert get_contract("orders", "orders").stream == "orders__orders"
    assert get_contract("pos", "receipts").file_prefix == "receipts"


@pytest.mark.parametrize("contract", CONTRACTS, ids=STREAMS)
def test_contract_matches_the_agreed_load_fields(contract: Contract) -> None:
    fmt, record_id, occurred_at = SPEC[(contract.channel, contract.entity)]
    assert (contract.format, contract.record_id, contract.occurred_at) == (
        fmt,
        record_id,
        occurred_at,
    )
    for path in (*record_id, occurred_at):
        assert _subschema(dict(contract.schema), path)["description"]
    assert set(record_id) | {occurred_at} <= set(contract.schema["required"])
    assert contract.path == CONTRACTS_DIR / contract.channel / f"{contract.entity}.schema.json"


@pytest.mark.parametrize("contract", CONTRACTS, ids=STREAMS)
def test_schema_is_valid_draft_2020_12(contract: Contract) -> None:
    Draft202012Validator.check_schema(contract.schema)
    assert contract.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert contract.schema["additionalProperties"] is True


@pytest.mark.parametrize("contract", CONTRACTS, ids=STREAMS)
def test_example_validates(contract: Contract) -> None:
    assert len(contract.schema["examples"]) == 1
    assert contract.errors(_example(contract)) == []


CSV_CONTRACTS = [contract for contract in CONTRACTS if contract.format == "csv"]


@pytest.mark.parametrize("contract", CSV_CONTRACTS, ids=[c.stream for c in CSV_CONTRACTS])
def test_csv_contracts_declare_strings_only(contract: Contract) -> None:
    types = {prop["type"] for prop in contract.schema["properties"].values()}
    assert types == {"string"}


def test_pos_event_time_is_local_to_the_store() -> None:
    assert get_contract("pos", "receipts").local_timezone_field == "store_timezone"


@pytest.mark.parametrize("contract", CONTRACTS, ids=STREAMS)
def test_extra_unknown_fields_are_kept_valid(contract: Contract) -> None:
    record = _example(contract) | {"vendor_added_field": {"anything": [1, "two"]}}
    assert contract.errors(record) == []


def test_missing_required_field_is_named() -> None:
    contract = get_contract("email", "events")
    record = _example(contract)
    del record["email"]
    assert contract.errors(record) == ["email: required field is missing"]


def test_wrong_type_names_the_field_and_hides_the_value() -> None:
    contract = get_contract("orders", "orders")
    record = _example(contract)
    record["customer"]["accepts_marketing"] = "secret-value@example.com"
    record["line_items"][0]["quantity"] = "private-quantity"
    errors = contract.errors(record)
    assert errors == [
        "customer.accepts_marketing: expected boolean, got string",
        "line_items[0].quantity: expected integer, got string",
    ]
    assert not any("secret-value" in error or "private-quantity" in error for error in errors)


def test_enum_and_format_errors_hide_the_value() -> None:
    contract = get_contract("sms", "messages")
    record = _example(contract) | {"status": "+15555550199", "price": "555-0199 ext"}
    errors = contract.errors(record)
    assert [error.split(":")[0] for error in errors] == ["price", "status"]
    assert not any("0199" in error for error in errors)


def test_web_events_need_an_anonymous_or_user_id() -> None:
    contract = get_contract("web", "events")
    record = _example(contract) | {"anonymousId": None, "userId": None}
    assert contract.errors(record) == [
        "(record): needs at least one of anonymousId, userId to be set"
    ]
    assert contract.errors(record | {"userId": "user_1"}) == []


@pytest.mark.parametrize(
    ("survey_type", "score", "expected"),
    [
        ("nps", 0, []),
        ("nps", 11, ["score: above the maximum 10"]),
        ("csat", 0, ["score: below the minimum 1"]),
        ("ces", 7, ["scale_version: required field is missing"]),
    ],
)
def test_survey_score_ranges_depend_on_the_survey_type(
    survey_type: str, score: int, expected: list[str]
) -> None:
    contract = get_contract("surveys", "responses")
    record = _example(contract) | {"survey_type": survey_type, "score": score}
    record.pop("scale_version")
    assert contract.errors(record) == expected


@pytest.mark.parametrize(
    ("fmt", "value", "valid"),
    [
        ("decimal", "19.99", True),
        ("decimal", "-0.00790", True),
        ("decimal", "19.9x", False),
        ("decimal", "", False),
        ("integer", "42", True),
        ("integer", "4.2", False),
        ("date", "2024-02-29", True),
        ("date", "2024-13-01", False),
        ("date", "2023-02-29", False),
        ("date-time", "2025-03-14T09:21:07.412Z", True),
        ("date-time", "2025-03-14T07:58:00+01:00", True),
        ("date-time", "2025-03-14T09:21:07", False),
        ("date-time", "2025-03-14T25:00:00Z", False),
    ],
)
def test_format_checker(fmt: str, value: str, valid: bool) -> None:
    assert FORMAT_CHECKER.conforms(value, fmt) is valid


def test_contract_validator_uses_our_formats() -> None:
    validator = get_contract("orders", "orders").validator()
    assert not validator.is_valid(
        _example(get_contract("orders", "orders")) | {"total_price": "19.9x"}
    )


def test_record_key_joins_composite_ids() -> None:
    receipts = get_contract("pos", "receipts")
    assert receipts.record_key({"receipt_id": "R-1", "line_number": "3"}) == "R-1|3"
    tickets = get_contract("tickets", "tickets")
    record = {"id": 35436, "updated_at": "2025-03-14T09:47:30Z"}
    assert tickets.record_key(record) == "35436|2025-03-14T09:47:30Z"
    prices = get_contract("marketing", "price_list")
    assert prices.record_key(_example(prices)) == "web|TR2-BLK-42|2025-03-10"


def test_record_key_follows_dotted_paths(tmp_path: Path) -> None:
    schema = json.loads(get_contract("voice", "dispositions").path.read_text())
    schema["properties"]["call"] = {
        "type": "object",
        "description": "The call.",
        "properties": {"leg": {"type": "integer", "description": "Leg number."}},
    }
    schema["x-load"]["record_id"] = ["call_sid", "call.leg"]
    _write(tmp_path / "voice" / "dispositions.schema.json", schema)
    (contract,) = load_contracts(tmp_path)
    assert contract.record_key({"call_sid": "CA1", "call": {"leg": 2}}) == "CA1|2"


def test_pii_fields_include_nested_tags() -> None:
    orders = get_contract("orders", "orders").pii_fields()
    assert orders["customer.email"] == "email"
    assert orders["shipping_address.address1"] == "address"
    assert orders["billing_address.zip"] == "address"
    assert "shipping_address.city" not in orders
    chat = get_contract("chat", "conversations").pii_fields()
    assert chat["conversation_parts.conversation_parts[].body"] == "free_text"
    assert get_contract("consent", "events").pii_fields() == {"subject_id": "contact_identifier"}
    assert get_contract("pos", "receipts").pii_fields() == {
        "phone": "phone",
        "customer_name": "name",
    }


@pytest.mark.parametrize("contract", CONTRACTS, ids=STREAMS)
def test_every_property_has_a_description(contract: Contract) -> None:
    def undocumented(schema: dict[str, Any], prefix: str) -> list[str]:
        missing = []
        for name, prop in schema.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(prefix + name)
            missing += undocumented(prop, f"{prefix}{name}.")
            if isinstance(prop.get("items"), dict):
                missing += undocumented(prop["items"], f"{prefix}{name}[].")
        return missing

    assert undocumented(dict(contract.schema), "") == []


def _write(path: Path, schema: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema), encoding="utf-8")


def _broken_copy(tmp_path: Path, breaks: Any) -> Path:
    source = get_contract("social", "mentions").path
    target = tmp_path / "social" / "mentions.schema.json"
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    schema = json.loads(target.read_text())
    breaks(schema)
    _write(target, schema)
    return target


@pytest.mark.parametrize(
    ("breaks", "problem"),
    [
        (lambda schema: schema.pop("x-landing"), "missing 'x-landing'"),
        (
            lambda schema: schema["x-load"].update(occurred_at="posted_at"),
            "x-load points at 'posted_at'",
        ),
        (lambda schema: schema["required"].append("ghost"), "required field 'ghost'"),
        (
            lambda schema: schema["examples"][0].update(platform="myspace"),
            "the example does not validate: platform",
        ),
        (lambda schema: schema["x-landing"].update(entity="posts"), "x-landing names social/posts"),
    ],
)
def test_broken_contract_file_raises_naming_the_file(
    tmp_path: Path, breaks: Any, problem: str
) -> None:
    target = _broken_copy(tmp_path, breaks)
    with pytest.raises(ValueError, match="malformed contract") as raised:
        load_contracts(tmp_path)
    assert str(target) in str(raised.value)
    assert problem in str(raised.value)


def test_docs_pages_on_disk_are_current() -> None:
    expected = contract_docs.pages(CONTRACTS)
    on_disk = {
        path.name: path.read_text(encoding="utf-8") for path in contract_docs.DOCS_DIR.glob("*.md")
    }
    assert on_disk == expected, f"docs are stale; run `{contract_docs.REGENERATE}`"


def test_docs_page_shows_fields_pii_and_example() -> None:
    page = contract_docs.render(get_contract("orders", "orders"))
    assert "| `shipping_address.address1` | string or null |  |  | address |" in page
    assert "| `line_items[].price` | string | " in page
    assert '"name": "#1042"' in page
