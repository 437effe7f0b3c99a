"""Landing files: buffered appends per (entity, landing day) for one part number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from random import Random
from typing import Any

import orjson

from simulator.catalog import EntitySpec
from simulator.malform import break_cells, break_line, break_payload

FLUSH_FILE_BYTES = 1 << 16
FLUSH_TOTAL_BYTES = 64 << 20


@dataclass
class FileBuffer:
    path: Path
    relative: str
    lines: list[bytes] = field(default_factory=list)
    size: int = 0
    count: int = 0


class LandingWriter:
    """Writes `<landing>/<channel>/<day>/<entity>-<part>.<ext>`; only this writer owns its part."""

    def __init__(self, root: Path, part: int) -> None:
        self.root = root
        self.part = part
        self.buffers: dict[tuple[str, date], FileBuffer] = {}
        self.pending = 0
        self._csv_text = io.StringIO()
        self._csv = csv.writer(self._csv_text, lineterminator="\n")

    def write(
        self,
        spec: EntitySpec,
        day: date,
        payload: dict[str, Any],
        malformed: str | None,
        rng: Random,
    ) -> tuple[str, int, bytes]:
        """Append one record; returns its file (relative), its 1-based line and its bytes."""
        buffer = self._buffer(spec, day)
        line = self.serialize(spec, payload, malformed, rng)
        self._append(buffer, line)
        return buffer.relative, buffer.count, line

    def write_again(self, spec: EntitySpec, day: date, line: bytes) -> tuple[str, int]:
        """Append an exact copy of a line (a webhook retry)."""
        buffer = self._buffer(spec, day)
        self._append(buffer, line)
        return buffer.relative, buffer.count

    def serialize(
        self, spec: EntitySpec, payload: dict[str, Any], malformed: str | None, rng: Random
    ) -> bytes:
        if malformed:
            payload = break_payload(malformed, spec, payload)
        if spec.format == "csv":
            cells = [payload.get(column) or "" for column in spec.columns]
            line = self._csv_line(break_cells(malformed, cells) if malformed else cells)
        else:
            line = orjson.dumps(payload) + b"\n"
        return break_line(malformed, line, rng) if malformed else line

    def _csv_line(self, cells: list[str]) -> bytes:
        self._csv_text.seek(0)
        self._csv_text.truncate()
        self._csv.writerow(cells)
        return self._csv_text.getvalue().encode()

    def _buffer(self, spec: EntitySpec, day: date) -> FileBuffer:
        key = (spec.name, day)
        buffer = self.buffers.get(key)
        if buffer is None:
            relative = (
                f"{spec.channel}/{day.isoformat()}/{spec.entity}-{self.part:04d}.{spec.format}"
            )
            buffer = FileBuffer(self.root / relative, relative)
            if spec.format == "csv":
                buffer.lines.append(self._csv_line(list(spec.columns)))
                buffer.count = 1
            self.buffers[key] = buffer
        return buffer

    def _append(self, buffer: FileBuffer, line: bytes) -> None:
        buffer.lines.append(line)
        buffer.size += len(line)
        buffer.count += 1
        self.pending += len(line)
        if buffer.size >= FLUSH_FILE_BYTES:
            self._flush(buffer)
        if self.pending >= FLUSH_TOTAL_BYTES:
            self.flush_all()

    def _flush(self, buffer: FileBuffer) -> None:
        if not buffer.lines:
            return
        buffer.path.parent.mkdir(parents=True, exist_ok=True)
        with buffer.path.open("ab") as handle:
            handle.write(b"".join(buffer.lines))
        self.pending -= buffer.size
        buffer.lines.clear()
        buffer.size = 0

    def flush_all(self) -> None:
        for buffer in self.buffers.values():
            self._flush(buffer)
        self.pending = 0

    @property
    def files(self) -> int:
        return len(self.buffers)
