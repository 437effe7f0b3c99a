"""Compile a landing contract (JSON Schema) into DuckDB SQL that validates records in bulk.

The loader enforces the structural part of a contract — the record is strict JSON and a JSON
object, required fields are present, every declared field has its declared JSON type, formatted
strings parse, numbers are within their bounds and fit their type, and the event time is a real,
plausible timestamp. Records that fail are quarantined with every reason at once.

A bad value of an *optional* field (``FieldRule.optional``: not required, and not a field the
loader reads itself) costs the field, not the record: the record loads as landed and the field is
flagged with its reasons (``optional_field_checks``), which also check the field's ``pattern``.
Enumerations are data-quality checks further on: a source that starts sending a new status value
must not lose records at the door.

Reasons name the field path and never repeat the field's value, which may be personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from orchestration.settings import dbt_vars

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


#: A word after the time: an abbreviation (PST, Z) or an IANA name (America/New_York, Etc/GMT+8).
_ZONE_WORD = r"[0-9.]\s*([A-Za-z]([A-Za-z_/][A-Za-z0-9_/+:-]*)?)$"
#: A numeric UTC offset right after a time: its sign, hours and minutes.
_NUMERIC_OFFSET = r"\d:\d{2}(:\d{2}([.,]\d+)?)?\s*([+-])(\d{2}):?(\d{2})?$"
#: The largest UTC offset in use anywhere (Kiribati, +14:00), in minutes.
_LARGEST_OFFSET_MINUTES = 14 * 60


def time_zone_abbreviations() -> dict[str, str]:
    """Abbreviation -> UTC offset: the dbt var ``time_zone_abbreviations``, which ``to_utc()``
    reads too, so the loader and staging read a time the same way."""
    abbreviations = dbt_vars().get("time_zone_abbreviations") or {}
    return {str(name).upper(): str(offset) for name, offset in abbreviations.items()}


def _abbreviation_offset_sql(word: str) -> str:
    names, offsets = zip(*sorted(time_zone_abbreviations().items()), strict=True)
    keys = ", ".join(sql_string(name) for name in names)
    values = ", ".join(sql_string(offset) for offset in offsets)
    return f"map([{keys}], [{values}])[upper({word})]"


@dataclass(frozen=True)
class _TimestampText:
    """The parts of a timestamp string the parse and its reasons share, as SQL."""

    value: str
    #: The word after the time ('' when none), and its offset when it is a known abbreviation.
    word: str
    word_offset: str
    #: The value with a known abbreviation replaced by its offset.
    offset_form: str

    @classmethod
    def of(cls, text: str) -> _TimestampText:
        value = f"trim({text})"
        word = f"regexp_extract({value}, '{_ZONE_WORD}', 1)"
        word_offset = _abbreviation_offset_sql(word)
        body = f"rtrim(left({value}, length({value}) - length({word})))"
        offset_form = (
            f"case when {word_offset} is not null then {body} || ' ' || {word_offset} "
            f"else {value} end"
        )
        return cls(value, word, word_offset, offset_form)

    @property
    def unknown_abbreviation(self) -> str:
        return (
            f"({self.word} <> '' and {self.word_offset} is null "
            f"and regexp_full_match({self.word}, '[A-Za-z]+'))"
        )

    @property
    def zone_name(self) -> str:
        """A word after the time that is no abbreviation: an IANA name, which DuckDB checks."""
        return f"({self.word} <> '' and {self.word_offset} is null)"

    @property
    def offset_in_range(self) -> str:
        """A numeric UTC offset of at most 14 hours, with minutes under 60."""
        hours, minutes = (
            f"coalesce(try_cast(regexp_extract({self.offset_form}, '{_NUMERIC_OFFSET}', {group}) "
            "as int), 0)"
            for group in (4, 5)
        )
        return f"({hours} * 60 + {minutes} <= {_LARGEST_OFFSET_MINUTES} and {minutes} < 60)"


def timestamp_text_sql(text: str, zone: str | None = None) -> str:
    """Parse a timestamp string in any accepted format into ``timestamptz`` (NULL if it fails).

    After the time may come a UTC offset (``Z``, ``+02:00``, ``+0200``; at most 14 hours), an
    abbreviation of ``time_zone_abbreviations`` (``PST``, ``GMT``; any other word fails: CST and
    IST name several offsets) or an IANA name (``America/New_York``), which is honoured; RFC 2822
    as Twilio writes it is accepted; a naive value is local time in ``zone`` (a SQL expression
    naming an IANA zone already checked to exist) or UTC when no zone applies; a string of 9 to
    13 digits is unix seconds or milliseconds.
    """
    parts = _TimestampText.of(text)
    value, offset_form = parts.value, parts.offset_form
    iso_form = rf"regexp_replace({offset_form}, '\s+([+-]\d{{2}}(:?\d{{2}})?)$', '\1')"
    naive = f"try_cast({value} as timestamp)"
    local = naive if zone is None else f"case when {zone} is null then {naive} end"
    zoned = "" if zone is None else f"when {zone} is not null then timezone({zone}, {naive}) "
    return (
        f"case when regexp_full_match({value}, '{_EPOCH_TEXT}') "
        f"then {epoch_sql(f'try_cast({value} as double)')} "
        f"when {parts.unknown_abbreviation} then null "
        f"when {parts.zone_name} then try_cast({value} as timestamptz) "
        f"when regexp_matches({offset_form}, '{_NUMERIC_OFFSET}') "
        f"then case when {parts.offset_in_range} then coalesce("
        f"try_cast({iso_form} as timestamptz), try_strptime({offset_form}, {_RFC_2822_FORMATS})"
        ") end "
        rf"when not regexp_matches({value}, '\d$') then null "
        f"{zoned}"
        f"else cast({local} as timestamptz) end"
    )


def timestamp_problem_sql(text: str) -> str:
    """SQL: why a timestamp string that does not parse failed, naming no value."""
    parts = _TimestampText.of(text)
    return (
        f"case when {parts.unknown_abbreviation} "
        "then 'unknown or ambiguous time zone abbreviation' "
        f"when {parts.zone_name} then 'unknown time zone' "
        f"when regexp_matches({parts.offset_form}, '{_NUMERIC_OFFSET}') "
        f"and not {parts.offset_in_range} then 'UTC offset out of range' "
        "else 'unparseable timestamp' end"
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
    #: The value's bounds, each with JSON Schema's name for it (``minimum``, ``maximum``,
    #: ``exclusiveMinimum``, ``exclusiveMaximum``): the field's own, and those an ``allOf``
    #: entry sets when another field has a given value.
    bounds: tuple[Bound, ...] = ()


@dataclass(frozen=True)
class Bound:
    """One bound of a number: ``value <op> limit`` must hold, when ``when`` (a top-level field
    and the value it must have, from an ``allOf`` ``if``/``then``) holds."""

    keyword: str
    limit: float
    when: tuple[str, Any] | None = None


_BOUND_KEYWORDS = {
    "minimum": (">=", "below the minimum"),
    "maximum": ("<=", "above the maximum"),
    "exclusiveMinimum": (">", "not above"),
    "exclusiveMaximum": ("<", "not below"),
}


def _bounds(schema: Mapping[str, Any], when: tuple[str, Any] | None = None) -> tuple[Bound, ...]:
    return tuple(
        Bound(keyword, schema[keyword], when) for keyword in _BOUND_KEYWORDS if keyword in schema
    )


def _conditional_bounds(schema: Mapping[str, Any]) -> dict[str, tuple[Bound, ...]]:
    """Bounds set by ``allOf`` entries of the form ``if`` a top-level field is a constant
    (and present) ``then`` these properties have these bounds. Any other ``allOf`` entry is a
    contract the loader cannot enforce, and is refused."""
    found: dict[str, tuple[Bound, ...]] = {}
    for entry in schema.get("allOf", ()):
        condition = entry.get("if", {})
        tested = condition.get("properties", {})
        if (
            set(entry) != {"if", "then"}
            or len(tested) != 1
            or set(condition)
            != {
                "properties",
                "required",
            }
        ):
            raise ValueError(f"allOf entry the loader cannot check: {json.dumps(entry)}")
        ((name, test),) = tested.items()
        if set(test) != {"const"} or condition["required"] != [name]:
            raise ValueError(f"allOf entry the loader cannot check: {json.dumps(entry)}")
        for path, then in entry["then"].get("properties", {}).items():
            found[path] = found.get(path, ()) + _bounds(then, (name, test["const"]))
    return found


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
    return _field_rules(schema, "", loader_fields(schema), _conditional_bounds(schema))


def _field_rules(
    schema: Mapping[str, Any],
    prefix: str,
    needed: frozenset[str],
    conditional: Mapping[str, tuple[Bound, ...]],
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
            bounds=_bounds(prop) + conditional.get(path, ()),
        )
        if "properties" in prop:
            yield from _field_rules(prop, f"{path}.", needed, conditional)


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


_NUMBER_KINDS = "('BIGINT', 'UBIGINT', 'HUGEINT', 'DOUBLE')"


def _number_sql(paths: Paths, rule: FieldRule) -> str:
    """The field's value as a DOUBLE when it is a JSON number, or a string of the ``integer`` or
    ``decimal`` format (as CSV exports write numbers); NULL otherwise."""
    kind = paths.type_of(rule.path)
    text_number = rule.string_format in ("integer", "decimal")
    kinds = f"{kind} in {_NUMBER_KINDS}" + (f" or {kind} = 'VARCHAR'" if text_number else "")
    return f"case when {kinds} then try_cast(trim({paths.value(rule.path)}) as double) end"


def _size_problem(paths: Paths, rule: FieldRule) -> str | None:
    """SQL: a number no column of the field's type can hold (an integer beyond 64 bits, a
    number that overflows to infinity), or NULL. Staging would read it as NULL."""
    kind, value = paths.type_of(rule.path), paths.value(rule.path)
    if "integer" in rule.types and "number" not in rule.types:
        return (
            f"case when {kind} in {_NUMBER_KINDS} and try_cast({value} as double) % 1 = 0 "
            f"and try_cast({value} as bigint) is null "
            "then 'too large for a 64-bit integer' end"
        )
    if "number" in rule.types:
        return (
            f"case when {kind} = 'DOUBLE' and not isfinite(try_cast({value} as double)) "
            "then 'too large for a number' end"
        )
    return None


def _equals_constant(paths: Paths, path: str, constant: Any) -> str:
    """SQL: the value at ``path`` is the JSON constant ``constant`` (JSON Schema ``const``)."""
    kind, value = paths.type_of(path), paths.value(path)
    if isinstance(constant, bool):
        return f"({kind} = 'BOOLEAN' and {value} = {sql_string(json.dumps(constant))})"
    if isinstance(constant, int | float):
        return f"({kind} in {_NUMBER_KINDS} and try_cast({value} as double) = {constant!r})"
    if isinstance(constant, str):
        return f"({kind} = 'VARCHAR' and {value} = {sql_string(constant)})"
    raise ValueError(f"{path}: a const of {json.dumps(constant)} is not one the loader checks")


def _bound_problem(paths: Paths, rule: FieldRule) -> str | None:
    """SQL: the bounds of ``rule`` the value breaks (``; ``-joined), or NULL."""
    if not rule.bounds:
        return None
    number = _number_sql(paths, rule)
    problems = []
    for bound in rule.bounds:
        operator, text = _BOUND_KEYWORDS[bound.keyword]
        limit = f"{bound.limit:g}"
        reason = f"{text} {limit}"
        condition = "true"
        if bound.when is not None:
            name, constant = bound.when
            reason += f" (when {name} is {json.dumps(constant)})"
            condition = _equals_constant(paths, name, constant)
        problems.append(
            f"case when {condition} and not ({number} {operator} {limit}) "
            f"then {sql_string(reason)} end"
        )
    return f"nullif(concat_ws('; ', {', '.join(problems)}), '')"


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
        for problem in (
            _type_problem(paths, rule),
            _format_problem(paths, rule),
            _size_problem(paths, rule),
            _bound_problem(paths, rule),
        ):
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
                _size_problem(paths, rule),
                _bound_problem(paths, rule),
            )
            if problem is not None
        ]
        if problems:
            checks.append((rule.path, f"nullif(concat_ws('; ', {', '.join(problems)}), '')"))
    return checks


#: A JSON string, escapes included: what ``strict_json_problem_sql`` blanks out before it looks
#: for tokens, so text inside a value never counts.
_JSON_STRING = r'"([^"\\]|\\.)*"'
#: What DuckDB reads although JSON (RFC 8259) has no such thing: NaN and Infinity in any case
#: and sign, and a comma before a closing bracket. The first pattern finds candidates cheaply
#: (it also matches inside strings); the second, over the text with its strings blanked, decides.
_LENIENT_CANDIDATE = r"(?i)[:,\[]\s*[-+]?(nan|inf)|,\s*[}\]]"
_NON_FINITE = r"(?i)[:,\[]\s*[-+]?(nan|inf(inity)?)\b"
_TRAILING_COMMA = r",\s*[}\]]"
#: The JSON escape of U+0000, not itself escaped (``\\u0000`` is a backslash and text).
_ESCAPED_NUL = r"(^|[^\\])(\\\\)*\\u0000"


def strict_json_problem_sql(text: str) -> str:
    """SQL: why a line is not the strict JSON every format is held to, or NULL.

    The same rules for every format (a CSV row is checked as the JSON object the reader makes of
    it): a NUL character, raw or escaped, is refused (drivers and BI tools cut text at it, and in
    an export it marks binary damage); NaN, Infinity and trailing commas, which DuckDB reads but
    JSON, Spark and most parsers do not, are refused. The line's other faults are left to
    ``json_valid``.
    """
    blanked = f"regexp_replace({text}, '{_JSON_STRING}', '\"\"', 'g')"
    lenient = f"regexp_matches({text}, '{_LENIENT_CANDIDATE}')"
    return (
        f"case when contains({text}, chr(0)) or regexp_matches({text}, '{_ESCAPED_NUL}') "
        "then 'contains a NUL character' "
        f"when {lenient} and regexp_matches({blanked}, '{_NON_FINITE}') "
        "then 'not valid JSON: NaN and Infinity are not JSON numbers' "
        f"when {lenient} and regexp_matches({blanked}, '{_TRAILING_COMMA}') "
        "then 'not valid JSON: a comma before a closing bracket' end"
    )


def object_paths(schema: Mapping[str, Any]) -> list[str]:
    """The record itself (``''``) and every object the contract declares by path."""
    return [""] + [rule.path for rule in field_rules(schema) if "object" in rule.types]


def object_keys_sql(schema: Mapping[str, Any], document: str = "doc") -> str:
    """SQL: the key lists of every object of ``object_paths``, one parse of the document."""
    pointers = ", ".join(
        sql_string(json_pointer(path) if path else "") for path in object_paths(schema)
    )
    return f"json_keys({document}, [{pointers}])"


def duplicate_key_check(schema: Mapping[str, Any], keys: str) -> str:
    """SQL: which objects of ``object_paths`` hold a key twice (``keys``: ``object_keys_sql``),
    or NULL. DuckDB reads the first copy of such a key, most other readers the last, so the
    record has no one meaning. Objects inside arrays are not looked at."""
    paths = object_paths(schema)
    names = "[" + ", ".join(sql_string(path or "the record") for path in paths) + "]"
    return (
        f"nullif(array_to_string(list_filter(list_transform(range(1, {len(paths) + 1}), "
        f"lambda i: case when len({keys}[i]) <> len(list_distinct({keys}[i])) "
        f"then {names}[i] || ': a key appears twice' end), lambda reason: reason is not null), "
        "'; '), '')"
    )
