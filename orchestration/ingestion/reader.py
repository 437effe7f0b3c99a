"""Read landing files into numbered records, catching what cannot even be parsed as text.

The reader works on bytes so that one bad line never takes its neighbours down: every line (JSON
lines) or row (CSV) comes out either as text for the warehouse to validate, or with the reason it
was rejected. JSON parsing and typing happen later, in bulk, in DuckDB (see ``validation``).
"""

from __future__ import annotations

import csv
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

#: File endings a landing file may have, per contract format (``.gz`` may follow any of them).
EXTENSIONS = {"jsonl": (".jsonl", ".ndjson", ".json"), "csv": (".csv",)}

_DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")

#: The largest record (a JSON line, a CSV row) read, in bytes: a larger one is quarantined with
#: its size and without its text, and the rest of its file loads. Parsing a record in DuckDB
#: takes about ten times its size; setting CONNECT360_MAX_RECORD_BYTES changes the limit.
DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024


def oversized(size: int, limit: int) -> str:
    """The quarantine reason of a record of ``size`` bytes over ``limit``."""
    return (
        f"record of {size:,} bytes is over the limit of {limit:,} bytes "
        "(CONNECT360_MAX_RECORD_BYTES)"
    )


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


#: A line break: LF, CRLF, or a lone CR (old Mac exports). JSON text never holds a raw CR.
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
#: A line with its break, the lines Python's CSV reader counts (LF, CRLF or CR ends one).
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _read_bytes(path: Path) -> tuple[bytes, str | None]:
    """The file's bytes, and why they end early: a gzip file cut short or damaged keeps what
    decompressed before the damage (the caller quarantines the line the damage cut)."""
    if not path.name.endswith(".gz"):
        return path.read_bytes(), None
    chunks: list[bytes] = []
    decompressor = zlib.decompressobj(wbits=31)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            while block:
                if decompressor.eof and not block.strip(b"\0"):
                    break  # zero bytes after a member: padding, as gzip reads it
                if decompressor.eof:
                    # Several gzip members one after another are one file.
                    decompressor = zlib.decompressobj(wbits=31)
                try:
                    chunks.append(decompressor.decompress(block))
                except zlib.error as error:
                    return b"".join(chunks), f"unreadable gzip data ({error})"
                block = decompressor.unused_data if decompressor.eof else b""
    if not decompressor.eof:
        return b"".join(chunks), "truncated gzip file"
    return b"".join(chunks), None


def _decode_lines(data: bytes, max_record_bytes: int) -> Iterator[tuple[int, str, str | None]]:
    """``(line_number, text, reason)`` for each non-blank line; invalid UTF-8 gets a reason, a
    line over ``max_record_bytes`` its size and no text."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, raw in enumerate(_LINE_BREAK.split(data), start=1):
        if len(raw) > max_record_bytes:
            yield number, "", oversized(len(raw), max_record_bytes)
            continue
        if not raw.strip():
            continue
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError:
            yield number, raw.decode("utf-8", "replace"), "invalid UTF-8"


def _cut_tail(data: bytes, damage: str | None) -> tuple[bytes, bytes]:
    """``data`` up to its last line break, and the rest: when the file ends early, its last
    line is cut short and must not pass for a whole record."""
    if damage is None:
        return data, b""
    end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    return data[:end], data[end:]


def _add_damage(
    batch: ReadBatch, relative_name: str, line: int, tail: bytes, damage: str | None
) -> None:
    """The quarantine row that says where a damaged file stopped: the cut line with its text,
    or an empty row when nothing at all could be read."""
    if damage is None:
        return
    if tail.strip():
        text = tail.decode("utf-8", "replace")
        batch.add(relative_name, line, text, f"{damage}: the line is cut short")
    elif line == 1:
        batch.add(relative_name, 0, "", f"{damage}: nothing could be read")
    else:
        batch.add(relative_name, line, "", f"{damage}: the file ends here")


def read_jsonl(path: Path, relative_name: str, batch: ReadBatch, max_record_bytes: int) -> None:
    try:
        data, damage = _read_bytes(path)
    except OSError as error:
        batch.add(relative_name, 0, "", f"unreadable file: {type(error).__name__}")
        return
    whole, tail = _cut_tail(data, damage)
    last = 0
    for number, text, reason in _decode_lines(whole, max_record_bytes):
        batch.add(relative_name, number, text, reason)
        last = number
    lines = len(_LINE_BREAK.findall(whole))
    _add_damage(batch, relative_name, max(lines, last) + 1, tail, damage)


def read_csv(path: Path, relative_name: str, batch: ReadBatch, max_record_bytes: int) -> None:
    """Read a CSV export; each data row becomes a JSON object of its non-empty cells.

    Line numbers are physical: the header is line 1 and a row is numbered by the line it starts
    on. Rows with more or fewer cells than the header are rejected, never shifted into the wrong
    columns; a column added to or removed from the export is fine (the contract decides). A row
    the CSV rules cannot read (an unterminated quote) is quarantined with the text of its first
    line, and reading starts again on the line after it, so it never swallows the rows below.
    A row over ``max_record_bytes`` is quarantined with its size and no text.
    """
    # The csv module refuses a field over its limit (128 KiB by default): that one row fails.
    csv.field_size_limit(max_record_bytes)
    try:
        data, damage = _read_bytes(path)
    except OSError as error:
        batch.add(relative_name, 0, "", f"unreadable file: {type(error).__name__}")
        return
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    whole, tail = _cut_tail(data, damage)
    text = whole.decode("utf-8", "surrogateescape")
    # Physical lines with their endings, to restart after a row the reader cannot read.
    physical = _PHYSICAL_LINE.findall(text)
    _add_damage(batch, relative_name, len(physical) + 1, tail, damage)
    reader = csv.reader(iter(physical), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as error:
        # The header cannot be read, so no row can: each is kept, with its line, as text.
        for number, line in enumerate(physical, start=1):
            if line.strip():
                reason = f"unreadable CSV header: {error}"
                batch.add(relative_name, number, _visible(line.rstrip("\r\n")), reason)
        return
    columns = [name.strip() for name in header]
    if _has_surrogates("".join(columns)) or len(set(columns)) != len(columns) or "" in columns:
        for number, line in enumerate(physical[reader.line_num :], start=reader.line_num + 1):
            if line.strip():
                reason = "unusable CSV header"
                batch.add(relative_name, number, _visible(line.rstrip("\r\n")), reason)
        return
    offset = 0  # physical lines before the text the current reader reads
    next_line = reader.line_num + 1
    while True:
        start = next_line
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line = physical[start - 1].rstrip("\r\n") if start <= len(physical) else ""
            if not _add_oversized(batch, relative_name, start, [line], max_record_bytes):
                batch.add(relative_name, start, _visible(line), f"malformed CSV row: {error}")
            offset = start
            rest = (physical[index] for index in range(offset, len(physical)))
            reader = csv.reader(rest, strict=True)
            next_line = offset + 1
            continue
        next_line = offset + reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if not _add_oversized(batch, relative_name, start, row, max_record_bytes):
            batch.add(relative_name, start, *_csv_record(columns, row))


def _add_oversized(
    batch: ReadBatch, relative_name: str, line: int, cells: list[str], max_record_bytes: int
) -> bool:
    """Add a row of ``cells`` over ``max_record_bytes`` with its size and no text; False when
    it is not over."""
    separators = len(cells) - 1
    if 4 * (sum(map(len, cells)) + separators) <= max_record_bytes:
        return False  # a character takes at most four bytes: no need to encode
    size = sum(len(cell.encode("utf-8", "surrogateescape")) for cell in cells) + separators
    if size <= max_record_bytes:
        return False
    batch.add(relative_name, line, "", oversized(size, max_record_bytes))
    return True


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
    files: list[Path],
    landing_root: Path,
    file_format: str,
    batch: ReadBatch | None = None,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> ReadBatch:
    """Read ``files`` into ``batch`` (a new one when not given) and return it."""
    batch = ReadBatch() if batch is None else batch
    read = read_csv if file_format == "csv" else read_jsonl
    for path in files:
        read(path, path.relative_to(landing_root).as_posix(), batch, max_record_bytes)
    return batch
