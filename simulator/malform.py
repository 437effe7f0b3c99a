"""The broken records real exports contain, made on purpose (pure functions)."""

from __future__ import annotations

from random import Random
from typing import Any

from simulator.catalog import EntitySpec

JSONL_KINDS = ("truncated_json", "wrong_type", "missing_required", "invalid_utf8", "bad_timestamp")
CSV_KINDS = ("wrong_cell_count", "wrong_type", "missing_required", "invalid_utf8", "bad_timestamp")
BAD_TIMESTAMP = "30/02/2026 25:61"
INVALID_UTF8_MARK = "@@invalid-utf8@@"
INVALID_UTF8_BYTES = b"\xc3\x28\xff"
CSV_TYPED_FIELD = {
    "pos/receipts": "list_price",
    "crm/contacts": "created_at",
    "marketing/price_list": "list_price",
}


def kinds_for(spec: EntitySpec) -> tuple[str, ...]:
    return CSV_KINDS if spec.format == "csv" else JSONL_KINDS


def break_payload(kind: str, spec: EntitySpec, payload: dict[str, Any]) -> dict[str, Any]:
    """The record with the field-level defect of `kind`; byte-level kinds only get a marker."""
    broken = dict(payload)
    if kind == "missing_required":
        if spec.format == "csv":
            broken[spec.required_field] = ""
        else:
            del broken[spec.required_field]
    elif kind == "wrong_type":
        if spec.format == "csv":
            broken[CSV_TYPED_FIELD[spec.name]] = "12,99 USD"
        else:
            broken[spec.required_field] = [broken[spec.required_field]]
    elif kind == "bad_timestamp":
        broken[spec.occurred_at] = BAD_TIMESTAMP
    elif kind == "invalid_utf8":
        broken[spec.text_field] = f"{INVALID_UTF8_MARK}{broken[spec.text_field]}"
    return broken


def break_line(kind: str, line: bytes, rng: Random) -> bytes:
    """Byte-level defects of an already serialized line (which ends with a newline)."""
    if kind == "invalid_utf8":
        return line.replace(INVALID_UTF8_MARK.encode(), INVALID_UTF8_BYTES, 1)
    if kind == "truncated_json":
        body = line.rstrip(b"\n")
        return body[: rng.randrange(max(2, len(body) // 4), len(body) - 1)] + b"\n"
    return line


def break_cells(kind: str, cells: list[str]) -> list[str]:
    """A CSV row with one cell too many or too few."""
    if kind != "wrong_cell_count":
        return cells
    return [*cells, "extra"] if len(cells) % 2 else cells[:-1]
