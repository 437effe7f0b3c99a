"""The landing contracts: one JSON Schema per channel entity under `contracts/`.

Each `contracts/<channel>/<entity>.schema.json` describes one export as it lands, in the public
format of the system that produces it. This module reads them, checks that they are well formed,
and offers what the loader and the simulator need: validation with messages that never echo a
value, the PII inventory, and the record key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import SchemaError

CONTRACTS_DIR: Path = Path(__file__).resolve().parents[2] / "contracts"

FORMATS = ("jsonl", "csv")
PII_KINDS = frozenset(
    {
        "email",
        "phone",
        "name",
        "address",
        "date_of_birth",
        "ip_address",
        "contact_identifier",
        "free_text",
        "online_handle",
    }
)
_LANDING_KEYS = ("channel", "entity", "format", "owner", "follows")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:?\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^[+-]?\d+$")

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """ISO 8601 / RFC 3339 date-time with an offset or `Z`, and a real calendar time."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    return True


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    """A real calendar day written `YYYY-MM-DD`."""
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    date.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("decimal")
def _is_decimal(value: object) -> bool:
    """A money or quantity string such as `19.99` or `-0.0079`."""
    return not isinstance(value, str) or bool(_DECIMAL.match(value))


@FORMAT_CHECKER.checks("integer")
def _is_integer(value: object) -> bool:
    """A whole number written as a string, such as `42`."""
    return not isinstance(value, str) or bool(_INTEGER.match(value))


@dataclass(frozen=True)
class Contract:
    """One landing contract: what a channel's export of one entity looks like."""

    channel: str
    entity: str
    format: str
    owner: str
    follows: str
    title: str
    description: str
    schema: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    path: Path
    record_id: tuple[str, ...]
    occurred_at: str
    local_timezone_field: str | None

    @property
    def stream(self) -> str:
        """`<channel>__<entity>`: the stream name, also the raw table name."""
        return f"{self.channel}__{self.entity}"

    @property
    def file_prefix(self) -> str:
        """Landing files of this entity are named `<file_prefix>[-<suffix>].<ext>[.gz]`."""
        return self.entity

    def validator(self) -> Draft202012Validator:
        """A draft 2020-12 validator for the schema that also checks our string formats."""
        return self._validator

    @cached_property
    def _validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=FORMAT_CHECKER)

    def errors(self, record: Mapping[str, Any]) -> list[str]:
        """Why a record breaks the contract, one reason per problem; never quotes a value."""
        errors = self._validator.iter_errors(record)
        return sorted({reason for error in errors for reason in _describe(error)})

    def pii_fields(self) -> dict[str, str]:
        """Dotted path -> PII kind for every tagged property, nested ones included."""
        return dict(_walk_pii(self.schema, ""))

    def record_key(self, record: Mapping[str, Any]) -> str:
        """The record's identity in the source system: its `record_id` values joined by `|`."""
        return "|".join(_render_key_part(_get_path(record, path)) for path in self.record_id)


def load_contracts(root: Path | None = None) -> tuple[Contract, ...]:
    """All contracts under `root` (default `CONTRACTS_DIR`), sorted by channel and entity."""
    if root is None:
        return _default_contracts()
    return _read_contracts(root)


def get_contract(channel: str, entity: str) -> Contract:
    """The contract of one channel entity; KeyError naming the known streams if there is none."""
    for contract in load_contracts():
        if (contract.channel, contract.entity) == (channel, entity):
            return contract
    known = ", ".join(contract.stream for contract in load_contracts())
    raise KeyError(f"no contract for {channel}/{entity}; known streams: {known}")


def channels() -> tuple[str, ...]:
    """The channels that have at least one contract, sorted."""
    return tuple(sorted({contract.channel for contract in load_contracts()}))


@cache
def _default_contracts() -> tuple[Contract, ...]:
    return _read_contracts(CONTRACTS_DIR)


def _read_contracts(root: Path) -> tuple[Contract, ...]:
    contracts = [_read_contract(path, root) for path in root.glob("*/*.schema.json")]
    return tuple(sorted(contracts, key=lambda contract: (contract.channel, contract.entity)))


def _read_contract(path: Path, root: Path) -> Contract:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error
    problems = _schema_problems(schema, path.relative_to(root))
    if problems:
        raise ValueError(f"{path}: malformed contract: " + "; ".join(problems))
    landing, load = schema["x-landing"], schema["x-load"]
    contract = Contract(
        channel=landing["channel"],
        entity=landing["entity"],
        format=landing["format"],
        owner=landing["owner"],
        follows=landing["follows"],
        title=schema["title"],
        description=schema["description"],
        schema=schema,
        path=path,
        record_id=tuple(load["record_id"]),
        occurred_at=load["occurred_at"],
        local_timezone_field=load.get("local_timezone_field"),
    )
    example_problems = _example_problems(contract)
    if example_problems:
        raise ValueError(f"{path}: malformed contract: " + "; ".join(example_problems))
    return contract


def _schema_problems(schema: Any, relative: Path) -> list[str]:
    """Everything wrong with a contract document, short of validating its example."""
    if not isinstance(schema, dict):
        return ["the document is not a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [f"not a valid draft 2020-12 schema ({error.message})"]
    problems = [f"missing '{key}'" for key in ("title", "description") if not schema.get(key)]
    problems += _landing_problems(schema.get("x-landing"), relative)
    problems += _load_problems(schema.get("x-load"), schema)
    properties = schema.get("properties", {})
    problems += [
        f"required field '{name}' is not in properties"
        for name in schema.get("required", [])
        if name not in properties
    ]
    problems += [
        f"'{path}' has unknown x-pii kind '{kind}'"
        for path, kind in _walk_pii(schema, "")
        if kind not in PII_KINDS
    ]
    return problems


def _landing_problems(landing: Any, relative: Path) -> list[str]:
    if not isinstance(landing, dict):
        return ["missing 'x-landing'"]
    problems = [f"x-landing has no '{key}'" for key in _LANDING_KEYS if not landing.get(key)]
    if problems:
        return problems
    if landing["format"] not in FORMATS:
        problems.append(f"x-landing format '{landing['format']}' is not one of {FORMATS}")
    expected = (relative.parent.name, relative.name.removesuffix(".schema.json"))
    if (landing["channel"], landing["entity"]) != expected:
        problems.append(
            f"x-landing names {landing['channel']}/{landing['entity']} "
            f"but the file is {expected[0]}/{expected[1]}"
        )
    return problems


def _load_problems(load: Any, schema: Mapping[str, Any]) -> list[str]:
    if not isinstance(load, dict):
        return ["missing 'x-load'"]
    record_id = load.get("record_id")
    if not isinstance(record_id, list) or not record_id:
        return ["x-load record_id must be a non-empty list of field paths"]
    if not isinstance(load.get("occurred_at"), str):
        return ["x-load has no 'occurred_at' field path"]
    paths = [*record_id, load["occurred_at"]]
    if "local_timezone_field" in load:
        paths.append(load["local_timezone_field"])
    return [
        f"x-load points at '{path}', which is not in properties"
        for path in paths
        if _property_at(schema, path) is None
    ]


def _example_problems(contract: Contract) -> list[str]:
    examples = contract.schema.get("examples")
    if not isinstance(examples, list) or len(examples) != 1:
        return ["'examples' must hold exactly one example record"]
    return [f"the example does not validate: {reason}" for reason in contract.errors(examples[0])]


def _property_at(schema: Mapping[str, Any], dotted: str) -> Mapping[str, Any] | None:
    """The subschema at a dotted path through nested object properties, or None."""
    node: Mapping[str, Any] | None = schema
    for part in dotted.split("."):
        if node is None:
            return None
        node = node.get("properties", {}).get(part)
    return node


def _walk_pii(schema: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    """(path, kind) for every x-pii tag below `schema`; array items are written `name[]`."""
    for name, subschema in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if "x-pii" in subschema:
            yield path, subschema["x-pii"]
        yield from _walk_pii(subschema, f"{path}.")
        items = subschema.get("items")
        if isinstance(items, Mapping):
            yield from _walk_pii(items, f"{path}[].")


def _get_path(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _render_key_part(value: Any) -> str:
    """None renders empty; other values as text (ints in decimal, strings unchanged)."""
    return "" if value is None else str(value)


def _field_path(path: Sequence[str | int]) -> str:
    rendered = ""
    for part in path:
        rendered += f"[{part}]" if isinstance(part, int) else f".{part}"
    return rendered.lstrip(".") or "(record)"


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    names |= {dict: "object", list: "array", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _describe(error: ValidationError) -> list[str]:
    """Reasons that name the field and the rule, built from the schema, never the value."""
    where = _field_path(list(error.absolute_path))
    rule, expected = error.validator, error.validator_value
    if rule == "required":
        return [
            f"{_field_path([*error.absolute_path, name])}: required field is missing"
            for name in expected
            if name not in error.instance
        ]
    if rule in ("anyOf", "oneOf") and all("required" in option for option in expected):
        names = ", ".join(name for option in expected for name in option["required"])
        return [f"{where}: needs at least one of {names} to be set"]
    return [f"{where}: {_rule_text(rule, expected, error.instance)}"]


def _rule_text(rule: str, expected: Any, instance: Any) -> str:
    match rule:
        case "type":
            return f"expected {_type_names(expected)}, got {_json_type(instance)}"
        case "enum":
            return f"not one of the allowed values {_quoted(expected)}"
        case "const":
            return f"must be {json.dumps(expected)}"
        case "format":
            return f"not a valid {expected}"
        case "pattern":
            return f"does not match the pattern {expected}"
        case "minimum":
            return f"below the minimum {expected}"
        case "maximum":
            return f"above the maximum {expected}"
        case "minItems":
            return f"needs at least {expected} item(s)"
    return f"breaks the {rule} rule"


def _type_names(expected: str | list[str]) -> str:
    return " or ".join(expected) if isinstance(expected, list) else expected


def _quoted(values: list[Any]) -> str:
    return ", ".join(json.dumps(value) for value in values)
