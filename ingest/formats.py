"""Streaming readers for ingestion bodies and files: NDJSON and CSV.

A reader takes a binary stream and yields one item per row: a `Row` (its line number and its
fields) or a `BadLine` (its line number and why it cannot be read at all: bad JSON, broken CSV
quoting, invalid UTF-8, an over-long line or field). It reads one physical line at a time with a
bounded buffer, so memory does not grow with the size of the body, and one unreadable line never
stops the lines after it.

Line numbers are physical lines counted from 1, the CSV header included; a CSV record whose
quoted field spans several lines is numbered by its first line. Blank lines are not rows."""

import codecs
import csv
import json
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO

from .fast_legs import CheckedLeg, FastLegs

# One NDJSON row, or one physical CSV line, may hold at most this many bytes.
MAX_LINE_BYTES = 1_000_000
# One CSV field may hold at most this many characters (the longest real one is an order's lines).
MAX_FIELD_CHARS = 65_536
# A quoted CSV field may span at most this many lines before we call its quote unclosed.
MAX_RECORD_LINES = 50
# Column names remembered for the "ignored columns" answer; a body cannot make this list grow.
MAX_COLUMNS = 200


class FormatRefused(ValueError):
    """The whole body or file cannot be read as asked (e.g. a CSV header that is not readable)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One readable row. `labels` names fields as the sender knows them (Webex column names),
    for error messages; None when the sender used our own field names."""

    line: int
    values: Mapping[str, object]
    labels: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be read as a row at all."""

    line: int
    error: str


Item = Row | BadLine | CheckedLeg


def _physical_lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line ending); None for a line over MAX_LINE_BYTES, whose
    bytes are skipped rather than kept."""
    number = 0
    while True:
        chunk = stream.readline(MAX_LINE_BYTES + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > MAX_LINE_BYTES and not chunk.endswith(b"\n"):
            while True:
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        if chunk.endswith(b"\n"):
            chunk = chunk[:-1]
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
        yield number, chunk


def _too_long(number: int) -> BadLine:
    return BadLine(number, f"is longer than {MAX_LINE_BYTES:,} bytes; the line was skipped")


UTF8 = "utf-8"
# Bytes that must mean the same in an encoding for its lines, fields and JSON to be found by
# their bytes, as the readers do.
_ASCII_PROBE = '\n\r\t ,;"{}[]:\\0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def text_encoding(name: str) -> str:
    """The codec name of an encoding the readers can read a body in: one that writes ASCII as
    ASCII (UTF-8, Windows-1252, ISO 8859-x...). ValueError naming the problem otherwise."""
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"{name!r} is not a known text encoding") from None
    try:
        same = _ASCII_PROBE.encode(codec) == _ASCII_PROBE.encode("ascii")
    except UnicodeError:
        same = False
    if not same:
        raise ValueError(f"the {codec} encoding is not read (save the file as UTF-8)")
    return codec


def shown_encoding(codec: str) -> str:
    """An encoding's name as a message shows it."""
    return "UTF-8" if codec == UTF8 else codec


def _decode(number: int, raw: bytes, encoding: str = UTF8) -> str | BadLine:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        if number == 1 and raw.startswith(_UTF16_MARKS):
            return BadLine(number, "is UTF-16 text, which is not read (save the file as UTF-8)")
        bad = raw[error.start : error.start + 1].hex()
        return BadLine(number, f"is not valid {shown_encoding(encoding)} (byte 0x{bad} at position {error.start + 1})")
    return text.removeprefix("\ufeff") if number == 1 else text


def _unstorable(value: object) -> str | None:
    """Why a decoded JSON value cannot be stored as text (a NUL character, or half of a UTF-16
    surrogate pair that has no UTF-8 form), or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character (\\u0000)"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired UTF-16 surrogate escape (e.g. \\ud800), which is not a character"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _unstorable(key) or _unstorable(item)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _unstorable(item)
            if problem:
                return problem
    return None


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a number in JSON")


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}


class ColumnNotes:
    """The keys rows were seen with, in order of first appearance (at most MAX_COLUMNS)."""

    def __init__(self) -> None:
        self._columns: dict[str, None] = {}

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def note(self, values: Mapping[str, object]) -> None:
        columns = self._columns
        if len(columns) >= MAX_COLUMNS:
            return
        for key in values:
            if key not in columns:
                columns[key] = None


def json_row(number: int, value: object, escaped: bool) -> Row | BadLine:
    """A decoded JSON value as a row, or why it cannot be one; `escaped`: its text held a `\\u`
    escape, the only way a decoded string can hold a NUL or a lone surrogate."""
    if not isinstance(value, dict):
        shown = "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)
        return BadLine(number, f"is {shown}, not a JSON object with one row's fields")
    if escaped:
        problem = _unstorable(value)
        if problem:
            return BadLine(number, problem)
    return Row(number, value)


def json_decoder() -> json.JSONDecoder:
    """A decoder that refuses NaN and Infinity, which JSON does not have."""
    return json.JSONDecoder(parse_constant=_no_constants)


class NdjsonReader:
    """Reads newline-delimited JSON: one JSON object per line. With `fast`, a line it vouches for
    comes out as a CheckedLeg (call legs) and only the others are read here."""

    def __init__(self, stream: BinaryIO, fast: FastLegs | None = None, encoding: str = UTF8) -> None:
        self._stream = stream
        # The fast path reads bytes as UTF-8.
        self._fast = fast if encoding == UTF8 else None
        self._encoding = encoding
        self._notes = ColumnNotes()

    @property
    def columns(self) -> list[str]:
        """Every key seen so far, in order of first appearance (at most MAX_COLUMNS)."""
        return self._notes.columns

    def __iter__(self) -> Iterator[Item]:
        decoder = json_decoder()
        fast = self._fast
        for number, raw in _physical_lines(self._stream):
            if raw is None:
                yield _too_long(number)
                continue
            if fast is not None:
                # Such a line has only keys that the kind reads: there is no column to note.
                leg = fast.check(number, raw)
                if leg is not None:
                    yield leg
                    continue
            if not raw.strip():
                continue
            text = _decode(number, raw, self._encoding)
            if isinstance(text, BadLine):
                yield text
                continue
            if not text.strip():
                # A first line holding just the byte order mark: blank, as in a CSV.
                continue
            try:
                value = decoder.decode(text)
            except json.JSONDecodeError as error:
                yield BadLine(number, f"is not valid JSON: {error.msg} (column {error.colno})")
                continue
            except ValueError as error:
                yield BadLine(number, f"is not valid JSON: {error}")
                continue
            except RecursionError:
                yield BadLine(number, "is JSON nested too deeply to read")
                continue
            row = json_row(number, value, "\\u" in text)
            if isinstance(row, Row):
                self._notes.note(row.values)
            yield row


def _delimiter(header: str) -> str:
    """The header's field separator: a comma, or else a semicolon or a tab (spreadsheets set to
    a language that writes decimal commas save CSV with semicolons)."""
    if "," in header:
        return ","
    return max((";", "\t"), key=header.count) if ";" in header or "\t" in header else ","


class CsvReader:
    """Reads CSV with a header row (comma-separated, or semicolon- or tab-separated when the
    header has no comma; `"` quotes, `""` for a quote inside).

    The header is read when the reader is made, so an unreadable header is refused before any
    row is written (FormatRefused). With `keep`, each row holds only the fields of the columns
    that `keep` names a field for, under that name (a Webex export has some sixty columns, of
    which a call leg reads a third, spelled in varying case)."""

    def __init__(self, stream: BinaryIO, encoding: str = UTF8, keep: Callable[[str], str | None] | None = None) -> None:
        self._lines = _physical_lines(stream)
        self._encoding = encoding
        self._pushed_back: deque[tuple[int, str] | BadLine] = deque()
        self.delimiter = ","
        self.columns: list[str] = self._read_header()
        self._kept = None
        if keep is not None:
            self._kept = [(field, i) for i, column in enumerate(self.columns) if (field := keep(column)) is not None]

    def _read_header(self) -> list[str]:
        for number, raw in self._lines:
            if raw is None:
                raise FormatRefused(f"the CSV header (line {number}) is longer than {MAX_LINE_BYTES:,} bytes")
            text = _decode(number, raw, self._encoding)
            if isinstance(text, BadLine):
                raise FormatRefused(f"the CSV header (line {number}) {text.error}")
            # Blank only once decoded: a first line holding just the byte order mark (a BOM then
            # a blank line) would otherwise be read as a header of no columns, and every row lost.
            if not text.strip():
                continue
            if "\x00" in text:
                # Column names go into the answer, which PostgreSQL cannot store for a replay with NUL.
                raise FormatRefused(f"the CSV header (line {number}) contains a NUL character")
            try:
                self.delimiter = _delimiter(text)
                names = [name.strip() for name in next(csv.reader([text], strict=True, delimiter=self.delimiter))]
            except csv.Error as error:
                raise FormatRefused(f"the CSV header (line {number}) cannot be read: {error}") from None
            seen: set[str] = set()
            for name in names:
                if name and name in seen:
                    raise FormatRefused(f"the CSV header names the column {name!r} twice")
                seen.add(name)
            return names
        return []

    def _next_line(self) -> tuple[int, str] | BadLine | None:
        if self._pushed_back:
            return self._pushed_back.popleft()
        for number, raw in self._lines:
            if raw is None:
                return _too_long(number)
            text = _decode(number, raw, self._encoding)
            return text if isinstance(text, BadLine) else (number, text)
        return None

    def _record(self, number: int, text: str) -> Item:
        if "\x00" in text:
            return BadLine(number, "contains a NUL character")
        if '"' not in text:
            fields = text.split(self.delimiter)
        else:
            try:
                fields = next(csv.reader([text], strict=True, delimiter=self.delimiter))
            except csv.Error as error:
                return BadLine(number, f"cannot be read as CSV: {error}")
        if len(fields) != len(self.columns):
            return BadLine(number, f"has {len(fields)} fields but the header has {len(self.columns)}")
        # No field can be longer than the record that holds it.
        for name, field in zip(self.columns, fields, strict=True) if len(text) > MAX_FIELD_CHARS else ():
            if len(field) > MAX_FIELD_CHARS:
                return BadLine(
                    number, f"field {name!r} is {len(field):,} characters long; at most {MAX_FIELD_CHARS:,} are allowed"
                )
        if self._kept is not None:
            return Row(number, {name: fields[i] for name, i in self._kept})
        return Row(number, dict(zip(self.columns, fields, strict=True)))

    def __iter__(self) -> Iterator[Item]:
        if not self.columns:
            return
        while (item := self._next_line()) is not None:
            if isinstance(item, BadLine):
                yield item
                continue
            number, text = item
            if not text.strip():
                continue
            quotes = text.count('"')
            if quotes % 2 == 0:
                yield self._record(number, text)
                continue
            # An odd number of quotes: a quoted field goes on over the next lines, or a quote was
            # never closed. Take lines until the quotes balance; if they never do, or the result
            # is not one good record, only the first line is rejected and the lines taken are
            # read again on their own, so a stray quote cannot swallow the good rows after it.
            parts, taken, size = [text], [], len(text)
            while quotes % 2 and len(parts) < MAX_RECORD_LINES and size <= MAX_LINE_BYTES:
                following = self._next_line()
                if following is None:
                    break
                taken.append(following)
                if isinstance(following, BadLine):
                    break
                parts.append(following[1])
                quotes += following[1].count('"')
                size += len(following[1])
            if quotes % 2 == 0 and not (taken and isinstance(taken[-1], BadLine)):
                record = self._record(number, "\n".join(parts))
                if isinstance(record, Row):
                    yield record
                    continue
            yield BadLine(number, 'has a quoted field whose closing quote (") is missing')
            self._pushed_back.extendleft(reversed(taken))
