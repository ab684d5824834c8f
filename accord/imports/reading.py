"""Reading import files: a file's identity, a quick line count, CSV records with the physical line
each starts on, and the lines of a JSON Lines file. Bytes that are not UTF-8 spoil only their row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from accord.imports.domain import HEAD_BYTES, HeaderError, Problem, head_digest

_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class FileIdentity:
    path: str  # absolute
    size: int
    head_sha256: str


def identify(name: str) -> FileIdentity:
    """Path, size and the digest of the first 64 KB; OSError when the file cannot be read."""
    path = Path(name).resolve()
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    return FileIdentity(path=str(path), size=path.stat().st_size, head_sha256=head_digest(head))


def count_lines(name: str) -> int:
    """Physical lines, counted in 1 MB chunks (a last line without a newline counts)."""
    lines, last = 0, b"\n"
    with Path(name).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _not_utf8(raw: bytes, error: UnicodeDecodeError) -> str:
    return f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at character {error.start + 1}); save the file as UTF-8"


@dataclass(frozen=True, slots=True)
class Record:
    line: int  # the physical line it starts on; the header is line 1
    end_line: int  # the physical line it ends on (a quoted cell may span lines)
    cells: list[str]
    problem: Problem | None = None  # set when the record cannot be read at all


class CsvFile:
    """A CSV file opened for import: `header` once opened, then `records()` for the data rows.

    The delimiter (comma, semicolon or tab) is the one the header line uses most. A UTF-8 byte
    order mark is dropped. Blank rows are passed over.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.header: list[str] = []
        self.delimiter = ","
        self._handle: IO[bytes] | None = None
        self._physical = 0
        self._bad: dict[int, str] = {}

    def __enter__(self) -> CsvFile:
        self._handle = Path(self.name).open("rb")  # closed in __exit__
        first = self._handle.readline()
        if not first.strip():
            raise HeaderError("the file is empty; the first line must be the header")
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise HeaderError(f"the header {_not_utf8(first, exc)}") from None
        self.delimiter = max(_DELIMITERS, key=lambda d: (text.count(d), d == ","))
        self._reader = csv.reader(self._lines(text), delimiter=self.delimiter)
        try:
            self.header = next(self._reader)
        except csv.Error as exc:
            raise HeaderError(f"the header cannot be read as CSV: {exc}") from None
        if self._bad:
            raise HeaderError(f"the header {next(iter(self._bad.values()))}")
        self._seen = self._reader.line_num
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._handle is not None:
            self._handle.close()

    def _lines(self, first: str) -> Iterator[str]:
        self._physical = 1
        yield first
        assert self._handle is not None
        for raw in self._handle:
            self._physical += 1
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self._bad[self._physical] = _not_utf8(raw, exc)
                yield raw.decode("utf-8", "surrogateescape")

    def records(self) -> Iterator[Record]:
        while True:
            try:
                cells = next(self._reader)
                problem = None
            except StopIteration:
                return
            except csv.Error as exc:
                cells, problem = [], f"cannot be read as CSV: {exc}"
            start, end = self._seen + 1, self._reader.line_num
            self._seen = end
            bad = [self._bad.pop(line) for line in range(start, end + 1) if line in self._bad]
            if bad:
                yield Record(start, end, cells, Problem(start, "row", bad[0]))
            elif problem is not None:
                yield Record(start, end, cells, Problem(start, "row", problem))
            elif any(cell.strip() for cell in cells):
                yield Record(start, end, cells)


def json_lines(name: str) -> Iterator[tuple[int, bytes]]:
    """(physical line number, the line's bytes) for every line that is not blank."""
    with Path(name).open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                yield number, raw
