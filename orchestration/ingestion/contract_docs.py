"""Docs pages for the landing contracts, generated from the schemas so they cannot drift.

Run `uv run python -m orchestration.ingestion.contract_docs` after changing a contract: it
rewrites `docs/contracts/<channel>.md` (one page per channel) and `docs/contracts/README.md`.
`tests/test_contracts.py` fails when the pages on disk differ from what this module renders.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from orchestration.ingestion.contracts import CONTRACTS_DIR, Contract, load_contracts
from orchestration.ingestion.validation import FieldRule, field_rules

DOCS_DIR: Path = CONTRACTS_DIR.parent / "docs" / "contracts"
REGENERATE = "uv run python -m orchestration.ingestion.contract_docs"
_GENERATED_NOTE = f"<!-- Generated from contracts/ by `{REGENERATE}`. Do not edit by hand. -->"


def render(contract: Contract) -> str:
    """The Markdown section documenting one contract."""
    blocks = [
        f"## {contract.title} — `{contract.channel}/{contract.entity}`",
        contract.description,
        _summary_table(contract),
        "### Fields",
        _field_table(contract.schema),
        "### Example record",
        _example_block(contract),
    ]
    return "\n\n".join(blocks) + "\n"


def render_channel(channel: str, contracts: Sequence[Contract]) -> str:
    """The page of one channel: a heading, then one section per entity."""
    head = f"{_GENERATED_NOTE}\n\n# `{channel}` landing contracts\n"
    return "\n".join([head, *(render(contract) for contract in contracts)])


def render_index(contracts: Sequence[Contract]) -> str:
    """`docs/contracts/README.md`: every contract, linked to its channel page."""
    rows = [
        [
            f"[`{contract.channel}`]({contract.channel}.md)",
            f"`{contract.entity}`",
            contract.format,
            contract.follows,
            contract.owner,
        ]
        for contract in contracts
    ]
    lines = [
        _GENERATED_NOTE,
        "",
        "# Landing contracts",
        "",
        "What each channel's export must look like when it lands under "
        "`<landing>/<channel>/<YYYY-MM-DD>/`. The conventions are in "
        "[`contracts/README.md`](../../contracts/README.md); each page below is generated "
        "from the channel's JSON Schemas. A field's *If invalid* says what a value that breaks "
        "its type, format, pattern or range costs: a *quarantined* record (required fields and the "
        "fields the loader reads: record id, event time, time zone), or, for an optional "
        "field, a *flagged* field: the record loads and the field is listed in "
        "`ops.invalid_optional_fields`.",
        "",
        _table(["Channel", "Entity", "Format", "Follows", "Owner"], rows),
    ]
    return "\n".join(lines) + "\n"


def pages(contracts: Sequence[Contract]) -> dict[str, str]:
    """File name under `docs/contracts/` -> page text, for every channel and the index."""
    by_channel = groupby(contracts, key=lambda contract: contract.channel)
    rendered = {
        f"{channel}.md": render_channel(channel, list(group)) for channel, group in by_channel
    }
    rendered["README.md"] = render_index(contracts)
    return rendered


def main() -> None:
    """Write the pages, and remove pages of channels that no longer have a contract."""
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    wanted = pages(load_contracts())
    for stale in DOCS_DIR.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (DOCS_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {DOCS_DIR}")


def _summary_table(contract: Contract) -> str:
    event_time = f"`{contract.occurred_at}`"
    if contract.local_timezone_field:
        event_time += f" (local time in the zone named by `{contract.local_timezone_field}`)"
    relative = f"contracts/{contract.channel}/{contract.path.name}"
    rows = [
        ["Follows", contract.follows],
        ["Owner", contract.owner],
        ["Format", contract.format],
        ["Files", f"`<landing>/{contract.channel}/<YYYY-MM-DD>/{_file_pattern(contract)}`"],
        ["Raw table", f"`{contract.stream}`"],
        ["Record id", " + ".join(f"`{path}`" for path in contract.record_id)],
        ["Event time", event_time],
        ["Contract", f"[`{relative}`](../../{relative})"],
    ]
    return _table(["", ""], rows)


def _file_pattern(contract: Contract) -> str:
    return f"{contract.file_prefix}[-<suffix>].{contract.format}[.gz]"


def _field_table(schema: Mapping[str, Any]) -> str:
    # Array items are not checked at load, so they have no consequence listed.
    rules = list(field_rules(schema))
    if_invalid = {rule.path: "flagged" if rule.optional else "quarantined" for rule in rules}
    conditional = {rule.path: _conditional_text(rule) for rule in rules}
    rows = [
        [
            f"`{path}`",
            _type_text(node),
            "yes" if required else "",
            "; ".join(text for text in (_rule_text(node), conditional.get(path, "")) if text),
            node.get("x-pii", ""),
            node.get("description", ""),
            if_invalid.get(path, ""),
        ]
        for path, node, required in _flatten(schema, "")
    ]
    header = ["Field", "Type", "Required", "Format / values", "PII", "Description", "If invalid"]
    return _table(header, rows)


def _flatten(
    schema: Mapping[str, Any], prefix: str
) -> Iterator[tuple[str, Mapping[str, Any], bool]]:
    """(dotted path, subschema, required in its parent) for every property, depth first."""
    required = set(schema.get("required", []))
    for name, node in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, node, name in required
        yield from _flatten(node, f"{path}.")
        items = node.get("items")
        if isinstance(items, Mapping):
            yield from _flatten(items, f"{path}[].")


def _type_text(node: Mapping[str, Any]) -> str:
    types = node.get("type", "any")
    names = types if isinstance(types, list) else [types]
    items = node.get("items")
    item_type = _type_text(items) if isinstance(items, Mapping) else "any"
    return " or ".join(f"array of {item_type}" if name == "array" else name for name in names)


def _rule_text(node: Mapping[str, Any]) -> str:
    rules = []
    if "format" in node:
        rules.append(f"`{node['format']}`")
    if "const" in node:
        rules.append(f"always `{_value_text(node['const'])}`")
    if "enum" in node:
        rules.append(", ".join(f"`{_value_text(value)}`" for value in node["enum"]))
    if "pattern" in node:
        rules.append(f"pattern `{node['pattern']}`")
    rules += _range_text(node.get("minimum"), node.get("maximum"))
    if "minItems" in node:
        rules.append(f"at least {node['minItems']} item(s)")
    return "; ".join(rules)


def _conditional_text(rule: FieldRule) -> str:
    """The bounds another field's value sets (``allOf`` ``if``/``then``): "0 to 10 when
    survey_type is `nps`", one phrase per value."""
    by_condition: dict[tuple[str, Any], dict[str, float]] = {}
    for bound in rule.bounds:
        if bound.when is not None:
            by_condition.setdefault(bound.when, {})[bound.keyword] = bound.limit
    return "; ".join(
        " ".join(_range_text(limits.get("minimum"), limits.get("maximum")))
        + f" when {name} is `{_value_text(value)}`"
        for (name, value), limits in by_condition.items()
    )


def _value_text(value: Any) -> str:
    return "null" if value is None else str(value)


def _range_text(low: float | None, high: float | None) -> list[str]:
    if low is not None and high is not None:
        return [f"{low} to {high}"]
    if low is not None:
        return [f"≥ {low}"]
    return [] if high is None else [f"≤ {high}"]


def _example_block(contract: Contract) -> str:
    example = contract.schema["examples"][0]
    as_json = json.dumps(example, indent=2, ensure_ascii=False)
    if contract.format != "csv":
        return f"```json\n{as_json}\n```"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(example), lineterminator="\n")
    writer.writeheader()
    writer.writerow(example)
    as_csv = f"```csv\n{buffer.getvalue()}```"
    return f"As a CSV row:\n\n{as_csv}\n\nAs a record:\n\n```json\n{as_json}\n```"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [_row(header), _row(["---"] * len(header))]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"


if __name__ == "__main__":
    main()
