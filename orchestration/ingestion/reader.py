"""Read landing files into numbered records, catching what cannot even be parsed as text.

The reader works on bytes so that one bad line never takes its neighbours down: every line (JSON
lines) or row (CSV) comes out either as text for the warehouse to validate, or with the reason it
was rejected. JSON parsing and typing happen later, in bulk, in DuckDB (see ``validation``).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

#: File endings a landing file may have, per contract format (``.gz`` may follow any of them).
EXTENSIONS = {"jsonl": (".jsonl", ".ndjson", ".json"), "csv": (".csv",)}

_DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class ReadBatch:
    """Columns of records read from landing files, ready to hand to the warehouse as Arrow."""

    source_file: list[str] = field(default_factory=list)
    source_line: list[int] = field(default_factory=list)
    raw_text: list[str] = field(default_factory=list)
    reason: list[str | None] = field(default_factory=list)

    def add(self, source_file: str, line: int, text: str, reason: str | None = None) -> None:
        self.source_file.append(source_file)
        self.source_line.append(line)
        self.raw_text.append(text)
        self.reason.append(reason)

    def __len__(self) -> int:
        return len(self.raw_text)


def is_day_folder(name: str) -> bool:
    return bool(_DAY_FOLDER.match(name))


def landing_days(landing_root: Path) -> list[str]:
    """Every day folder under any channel of a landing directory, sorted."""
    return sorted(
        {
            folder.name
            for channel in landing_root.iterdir()
            if channel.is_dir()
            for folder in channel.iterdir()
            if folder.is_dir() and is_day_folder(folder.name)
        }
    )


def files_for(day_dir: Path, entity: str, file_format: str) -> list[Path]:
    """The files in one landing day folder that belong to ``entity``, in a stable order.

    A file belongs to the entity when its name is ``<entity>`` or ``<entity>-<anything>`` followed
    by one of the format's endings, optionally gzipped. Entries named so that cannot be read
    safely (see ``refusal``) are left out; ``refused_files`` reports them.
    """
    if not day_dir.is_dir():
        return []
    return sorted(
        path
        for path in day_dir.iterdir()
        if claims(path.name, entity, file_format) and refusal(path, day_dir) is None
    )


def refusal(path: Path, day_dir: Path) -> str | None:
    """Why an entry of a landing day folder is not read, or None when it is a regular file in
    the landing folder. A day folder is ``<landing>/<channel>/<YYYY-MM-DD>``; a symbolic link is
    followed only when what it names is inside ``<landing>`` too, so a link can never make the
    loader read (and quarantine, text and all) a file from elsewhere on the machine."""
    if path.is_symlink() and not path.exists():
        return "a broken link"
    if path.is_dir():
        return "a directory, not a file"
    if not path.is_file():
        return "not a regular file"
    if not path.resolve().is_relative_to(day_dir.parent.parent.resolve()):
        return "a link to a file outside the landing folder"
    return None


def refused_files(day_dir: Path, entities: Sequence[tuple[str, str]]) -> list[tuple[Path, str]]:
    """Entries of a landing day folder named like one of the channel's exports that are not
    read, with the reason: they are reported, never passed over in silence."""
    if not day_dir.is_dir():
        return []
    refused = (
        (path, refusal(path, day_dir))
        for path in sorted(day_dir.iterdir())
        if any(claims(path.name, entity, file_format) for entity, file_format in entities)
    )
    return [(path, reason) for path, reason in refused if reason is not None]


def unclaimed_files(day_dir: Path, entities: Sequence[tuple[str, str]]) -> list[Path]:
    """Files in a landing day folder that none of the channel's ``(entity, format)`` claims.

    They would never load, so they are reported rather than passed over in silence. Hidden files
    and markers (names starting with ``.`` or ``_``, such as ``_SUCCESS``) are not exports.
    """
    if not day_dir.is_dir():
        return []
    return sorted(
        path
        for path in day_dir.iterdir()
        if not path.name.startswith((".", "_"))
        and not any(claims(path.name, entity, file_format) for entity, file_format in entities)
    )


def claims(file_name: str, entity: str, file_format: str) -> bool:
    stem = file_name.removesuffix(".gz")
    for ending in EXTENSIONS[file_format]:
        if stem.endswith(ending):
            base = stem.removesuffix(ending)
            return base == entity or base.startswith(f"{entity}-")
    return False


def _read_bytes(path: Path) -> bytes:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return handle.read()
    return path.read_bytes()


def _decode_lines(data: bytes) -> Iterator[tuple[int, str, str | None]]:
    """``(line_number, text, reason)`` for each non-blank line; invalid UTF-8 gets a reason."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        for number, raw in enumerate(data.split(b"\n"), start=1):
            if not raw.strip():
                continue
            try:
                yield number, raw.decode("utf-8").rstrip("\r"), None
            except UnicodeDecodeError:
                yield number, raw.decode("utf-8", "replace").rstrip("\r"), "invalid UTF-8"
        return
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line.rstrip("\r"), None


def read_jsonl(path: Path, relative_name: str, batch: ReadBatch) -> None:
    try:
        data = _read_bytes(path)
    except (OSError, EOFError) as error:
        batch.add(relative_name, 0, "", f"unreadable file: {type(error).__name__}")
        return
    for number, text, reason in _decode_lines(data):
        batch.add(relative_name, number, text, reason)


def read_csv(path: Path, relative_name: str, batch: ReadBatch) -> None:
    """Read a CSV export; each data row becomes a JSON object of its non-empty cells.

    Line numbers are physical: the header is line 1 and a row is numbered by the line it starts
    on. Rows with more or fewer cells than the header are rejected, never shifted into the wrong
    columns; a column added to or removed from the export is fine (the contract decides).
    """
    try:
        data = _read_bytes(path)
    except (OSError, EOFError) as error:
        batch.add(relative_name, 0, "", f"unreadable file: {type(error).__name__}")
        return
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("utf-8", "surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        batch.add(
            relative_name, 1, _visible(text.split("\n", 1)[0]), f"unreadable CSV header: {error}"
        )
        return
    columns = [name.strip() for name in header]
    if _has_surrogates("".join(columns)) or len(set(columns)) != len(columns) or "" in columns:
        for number, line in enumerate(text.split("\n")[1:], start=2):
            if line.strip():
                batch.add(relative_name, number, _visible(line), "unusable CSV header")
        return
    next_line = reader.line_num + 1
    while True:
        start = next_line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            next_line = reader.line_num + 1
            batch.add(relative_name, start, "", f"malformed CSV row: {error}")
            continue
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        batch.add(relative_name, start, *_csv_record(columns, row))


def _csv_record(columns: list[str], row: list[str]) -> tuple[str, str | None]:
    joined = ",".join(row)
    if _has_surrogates(joined):
        return _visible(joined), "invalid UTF-8"
    if len(row) != len(columns):
        return joined, f"CSV row has {len(row)} cells, the header has {len(columns)}"
    record = {name: cell for name, cell in zip(columns, row, strict=True) if cell != ""}
    return orjson.dumps(record).decode(), None


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _visible(text: str) -> str:
    """Text safe to store: undecodable bytes become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_files(
    files: list[Path], landing_root: Path, file_format: str, batch: ReadBatch | None = None
) -> ReadBatch:
    """Read ``files`` into ``batch`` (a new one when not given) and return it."""
    batch = ReadBatch() if batch is None else batch
    read = read_csv if file_format == "csv" else read_jsonl
    for path in files:
        read(path, path.relative_to(landing_root).as_posix(), batch)
    return batch
