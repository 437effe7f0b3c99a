"""Compile a landing contract (JSON Schema) into DuckDB SQL that validates records in bulk.

The loader enforces the structural part of a contract — the record is a JSON object, required
fields are present, every declared field has its declared JSON type, formatted strings parse, and
the event time is a real, plausible timestamp. Records that fail are quarantined with every
reason at once.

A bad value of an *optional* field (``FieldRule.optional``: not required, and not a field the
loader reads itself) costs the field, not the record: the record loads as landed and the field is
flagged with its reasons (``optional_field_checks``), which also check the field's ``pattern``.
Value rules (enumerations, score ranges) are data-quality checks further on: a source that starts
sending a new status value must not lose records at the door.

Reasons name the field path and never repeat the field's value, which may be personal data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: DuckDB ``json_type`` results that satisfy each JSON Schema type.
_JSON_TYPES: dict[str, tuple[str, ...]] = {
    "string": ("VARCHAR",),
    "integer": ("BIGINT", "UBIGINT", "HUGEINT"),
    "number": ("BIGINT", "UBIGINT", "HUGEINT", "DOUBLE"),
    "boolean": ("BOOLEAN",),
    "object": ("OBJECT",),
    "array": ("ARRAY",),
    "null": ("NULL",),
}
_JSON_TYPE_NAMES = {
    "VARCHAR": "string",
    "BIGINT": "integer",
    "UBIGINT": "integer",
    "HUGEINT": "integer",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "OBJECT": "object",
    "ARRAY": "array",
    "NULL": "null",
}
_OFFSET_SUFFIX = r"([Zz]|[+-]\d{2}(:?\d{2})?|\s*(GMT|UTC))\s*$"
_EPOCH_TEXT = r"\s*\d{9,13}(\.\d+)?\s*"
_RFC_2822_FORMATS = "['%a, %d %b %Y %H:%M:%S %z', '%d %b %Y %H:%M:%S %z', '%a, %d %b %Y %H:%M %z']"
_DECIMAL = r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*"
_INTEGER = r"\s*[+-]?\d+\s*"
#: Earliest event time accepted; anything before is a placeholder or a unit mistake.
EARLIEST_EVENT = "1990-01-01"
#: How far past the end of its landing day a record's event time may be (clock skew, time zones).
FUTURE_TOLERANCE = "interval 2 day"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def json_pointer(path: str) -> str:
    """``customer.email`` -> ``/customer/email`` (RFC 6901, so any key name works)."""
    parts = [part.replace("~", "~0").replace("/", "~1") for part in path.split(".")]
    return "/" + "/".join(parts)


class Paths:
    """Every JSON path the checks read, so each record is parsed once, not once per check.

    Checks refer to ``_types[i]`` and ``_values[i]``; ``select_sql`` extracts them all with one
    ``json_type`` and one ``json_extract_string`` call over the list of paths.
    """

    def __init__(self) -> None:
        self._positions: dict[str, int] = {}

    def _position(self, path: str) -> int:
        return self._positions.setdefault(path, len(self._positions) + 1)

    def type_of(self, path: str) -> str:
        return f"_types[{self._position(path)}]"

    def value(self, path: str) -> str:
        return f"_values[{self._position(path)}]"

    def select_sql(self, document: str = "doc") -> str:
        pointers = ", ".join(sql_string(json_pointer(path)) for path in self._positions)
        return (
            f"json_type({document}, [{pointers}]) as _types, "
            f"json_extract_string({document}, [{pointers}]) as _values"
        )


def epoch_sql(seconds_or_millis: str) -> str:
    """A number of unix seconds or milliseconds (told apart by size) as a UTC timestamp."""
    value = f"({seconds_or_millis})"
    return (
        f"case when {value} between 0 and 1e11 then to_timestamp({value}) "
        f"when {value} between 1e11 and 1e14 then to_timestamp({value} / 1000) end"
    )


def timestamp_text_sql(text: str, zone: str | None = None) -> str:
    """Parse a timestamp string in any accepted format into ``timestamptz`` (NULL if it fails).

    With an offset (``Z``, ``+02:00``, ``+0200``, ``GMT``) the offset is honoured; RFC 2822 as
    Twilio writes it is accepted; a naive value is local time in ``zone`` (a SQL expression naming
    an IANA zone already checked to exist) or UTC when no zone applies; a string of 9 to 13
    digits is unix seconds or milliseconds.
    """
    value = f"trim({text})"
    normalized = rf"regexp_replace(regexp_replace({value}, '\s*(GMT|UTC)$', ' +0000'), 'z$', 'Z')"
    naive = f"try_cast({value} as timestamp)"
    local = naive if zone is None else f"case when {zone} is null then {naive} end"
    zoned = "" if zone is None else f"when {zone} is not null then timezone({zone}, {naive}) "
    return (
        f"case when regexp_full_match({value}, '{_EPOCH_TEXT}') "
        f"then {epoch_sql(f'try_cast({value} as double)')} "
        f"when regexp_matches({value}, '{_OFFSET_SUFFIX}') "
        f"then coalesce(try_cast({normalized} as timestamptz), "
        f"try_strptime({normalized}, {_RFC_2822_FORMATS})) "
        f"{zoned}"
        f"else cast({local} as timestamptz) end"
    )


def timestamp_value_sql(paths: Paths, path: str, zone: str | None = None) -> str:
    """The value at ``path`` — a string or a number — as a UTC timestamp."""
    kind, value = paths.type_of(path), paths.value(path)
    return (
        f"case when {kind} in ('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE') "
        f"then {epoch_sql(f'try_cast({value} as double)')} "
        f"when {kind} = 'VARCHAR' then {timestamp_text_sql(value, zone)} end"
    )


@dataclass(frozen=True)
class FieldRule:
    """What the schema says about one field, flattened to a dotted path."""

    path: str
    types: tuple[str, ...]
    required: bool
    string_format: str | None
    pattern: str | None
    parent: str | None
    #: Not required and not read by the loader itself (``loader_fields``): a bad value flags the
    #: field on the loaded record instead of quarantining the record.
    optional: bool


def _types(schema: Mapping[str, Any]) -> tuple[str, ...]:
    declared = schema.get("type")
    if declared is None:
        return ()
    return (declared,) if isinstance(declared, str) else tuple(declared)


def loader_fields(schema: Mapping[str, Any]) -> frozenset[str]:
    """The fields the loader reads itself, with every object they sit in: the record id, the
    event time, the time zone the event time is read in, and each field of a top-level ``anyOf``
    of ``required`` lists (the record's only identifiers)."""
    load = schema.get("x-load") or {}
    paths = [*load.get("record_id", ()), load.get("occurred_at"), load.get("local_timezone_field")]
    paths += [name for option in schema.get("anyOf", ()) for name in option.get("required", ())]
    return frozenset(
        ".".join(parts[:end])
        for parts in (path.split(".") for path in paths if path)
        for end in range(1, len(parts) + 1)
    )


def field_rules(schema: Mapping[str, Any]) -> Iterator[FieldRule]:
    """Every property of a contract, nested objects included (array items are not walked)."""
    return _field_rules(schema, "", loader_fields(schema))


def _field_rules(
    schema: Mapping[str, Any], prefix: str, needed: frozenset[str]
) -> Iterator[FieldRule]:
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield FieldRule(
            path=path,
            types=_types(prop),
            required=name in required,
            string_format=prop.get("format"),
            pattern=prop.get("pattern"),
            parent=prefix.rstrip(".") or None,
            optional=name not in required and path not in needed,
        )
        if "properties" in prop:
            yield from _field_rules(prop, f"{path}.", needed)


def _present(paths: Paths, path: str) -> str:
    return f"{paths.type_of(path)} is not null"


def _parent_is_object(paths: Paths, rule: FieldRule) -> str:
    return "true" if rule.parent is None else f"{paths.type_of(rule.parent)} = 'OBJECT'"


def _format_problem(paths: Paths, rule: FieldRule) -> str | None:
    """SQL: why a string value breaks the field's format (the reason names no value), or NULL."""
    value = paths.value(rule.path)
    checks = {
        "date-time": f"({timestamp_text_sql(value)}) is null",
        "date": f"try_cast(trim({value}) as date) is null",
        "decimal": f"not regexp_full_match({value}, '{_DECIMAL}')",
        "integer": f"not regexp_full_match({value}, '{_INTEGER}')",
    }
    check = checks.get(rule.string_format or "")
    if check is None:
        return None
    return (
        f"case when {paths.type_of(rule.path)} = 'VARCHAR' and {check} "
        f"then {sql_string(f'not a valid {rule.string_format}')} end"
    )


def _pattern_problem(paths: Paths, rule: FieldRule) -> str | None:
    """SQL: a string value that the field's ``pattern`` does not find (JSON Schema searches)."""
    if rule.pattern is None:
        return None
    return (
        f"case when {paths.type_of(rule.path)} = 'VARCHAR' "
        f"and not regexp_matches({paths.value(rule.path)}, {sql_string(rule.pattern)}) "
        f"then {sql_string(f'does not match the pattern {rule.pattern}')} end"
    )


def _type_problem(paths: Paths, rule: FieldRule) -> str | None:
    """SQL: the JSON type a value has when it is not one the field declares, or NULL."""
    if not rule.types:
        return None
    kind = paths.type_of(rule.path)
    accepted = sorted({duck for name in rule.types for duck in _JSON_TYPES.get(name, ())})
    if "integer" in rule.types and "number" not in rule.types:
        # JSON Schema counts 3.0 as an integer. try_cast: DuckDB does not short-circuit "and".
        whole = f"try_cast({paths.value(rule.path)} as double) % 1 = 0"
        whole_double = f"coalesce({kind} = 'DOUBLE' and {whole}, false)"
    else:
        whole_double = "false"
    expected = " or ".join(rule.types)
    found = (
        "case "
        + " ".join(
            f"when {kind} = '{duck}' then '{name}'" for duck, name in _JSON_TYPE_NAMES.items()
        )
        + " end"
    )
    listed = ", ".join(f"'{duck}'" for duck in accepted)
    return (
        f"case when {kind} is not null and {kind} not in ({listed}) and not {whole_double} "
        f"then {sql_string(f'expected {expected}, found ')} || {found} end"
    )


def _required_check(paths: Paths, rule: FieldRule) -> str:
    return (
        f"case when {_parent_is_object(paths, rule)} and not {_present(paths, rule.path)} "
        f"then {sql_string(f'{rule.path}: missing required field')} end"
    )


def _any_of_checks(paths: Paths, schema: Mapping[str, Any]) -> Iterator[str]:
    """``anyOf`` of ``required`` lists at the top level: at least one group must be present."""
    groups = [
        option["required"] for option in schema.get("anyOf", ()) if set(option) >= {"required"}
    ]
    if not groups:
        return
    given = [
        [f"coalesce({paths.type_of(name)}, 'NULL') <> 'NULL'" for name in group] for group in groups
    ]
    satisfied = " or ".join("(" + " and ".join(group) + ")" for group in given)
    names = " or ".join(" and ".join(group) for group in groups)
    yield f"case when not ({satisfied}) then {sql_string(f'needs {names}')} end"


def record_checks(paths: Paths, schema: Mapping[str, Any]) -> list[str]:
    """The checks that quarantine a record: SQL expressions, one per rule, each NULL when the
    record passes it or a reason naming the field when not. Optional fields are not among them
    (see ``optional_field_checks``); the patterns of the others are not checked at load."""
    checks: list[str] = []
    for rule in field_rules(schema):
        if rule.optional:
            continue
        if rule.required:
            checks.append(_required_check(paths, rule))
        for problem in (_type_problem(paths, rule), _format_problem(paths, rule)):
            if problem is not None:
                checks.append(f"{sql_string(f'{rule.path}: ')} || {problem}")
    checks.extend(_any_of_checks(paths, schema))
    return checks


def optional_field_checks(paths: Paths, schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, SQL)`` for every optional field that has something to check: the SQL is NULL
    when the field is absent or valid, else why it is not (type, format, pattern; never the
    value), several reasons joined by ``; ``."""
    checks = []
    for rule in field_rules(schema):
        if not rule.optional:
            continue
        problems = [
            problem
            for problem in (
                _type_problem(paths, rule),
                _format_problem(paths, rule),
                _pattern_problem(paths, rule),
            )
            if problem is not None
        ]
        if problems:
            checks.append((rule.path, f"nullif(concat_ws('; ', {', '.join(problems)}), '')"))
    return checks
