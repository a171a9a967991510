"""Reading a JSON document of rows: an array of objects, or an object whose `items` array holds
them, which is the shape of a page of Webex Calling's Detailed Call History API (and of our own
list answers), so such a page can be ingested as it was downloaded.

The document is decoded as it is read, one record at a time: memory holds a record, never the
document. A record's number is its position in the array (the first is 1); it stands where NDJSON
and CSV give a line number. Unlike NDJSON, a document has no line break to start again after:
JSON that is broken in the middle ends the reading with one BadLine saying where, and the records
after it are not read. So does a record more than twice MAX_LINE_BYTES long, since where the
next one starts cannot be known without holding it whole; a shorter one over the limit is only
rejected."""

import codecs
import json
import re
from collections.abc import Iterator
from typing import BinaryIO

from .formats import (
    MAX_LINE_BYTES,
    UTF8,
    BadLine,
    ColumnNotes,
    FormatRefused,
    Item,
    Row,
    json_decoder,
    json_row,
    shown_encoding,
)

_CHUNK = 64 * 1024
_SPACE = re.compile(r"[ \t\n\r]*")
_DELIMITER = re.compile(r"[ \t\n\r,\]}]")


class _Broken(Exception):
    """The document cannot be read on from here."""


class _Text:
    """The document's text from the reading position on, decoded as it is read."""

    def __init__(self, stream: BinaryIO, chunk: int, encoding: str) -> None:
        self._stream = stream
        self._chunk = chunk
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._bytes_read = 0
        self._ended = False
        self.text = ""
        self.at = 0  # the reading position in `text`
        self.line = 1  # the document's line at that position

    def more(self) -> bool:
        """Read on; False once the stream has ended."""
        if self._ended:
            return False
        raw = self._stream.read(self._chunk)
        pending = len(self._decoder.getstate()[0])  # bytes of a character the last chunk began
        try:
            added = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as error:
            bad = error.object[error.start : error.start + 1].hex()
            position = self._bytes_read - pending + error.start + 1
            shown = shown_encoding(self._encoding)
            raise _Broken(f"is not valid {shown} (byte 0x{bad} at byte {position:,} of the document)") from None
        self._bytes_read += len(raw)
        self._ended = not raw
        if self.at == 0 and self._bytes_read == len(raw):
            added = added.removeprefix("\ufeff")
        self.text = self.text[self.at :] + added
        self.at = 0
        return True

    def move_to(self, position: int) -> None:
        self.line += self.text.count("\n", self.at, position)
        self.at = position

    def next_char(self) -> str:
        """The next character that is not white space (without taking it), or "" at the end."""
        while True:
            self.move_to(_SPACE.match(self.text, self.at).end())  # type: ignore[union-attr]
            if self.at < len(self.text) or not self.more():
                return self.text[self.at : self.at + 1]

    def expect(self, wanted: str, what: str) -> None:
        if self.next_char() != wanted:
            raise _Broken(f"is not valid JSON: expected {what} (line {self.line} of the document)")
        self.move_to(self.at + 1)

    def value(self, decoder: json.JSONDecoder) -> tuple[object, bool, int]:
        """The next JSON value, whether its text held a `\\u` escape, and its length."""
        self.next_char()
        while True:
            try:
                value, end = decoder.raw_decode(self.text, self.at)
            except json.JSONDecodeError as error:
                if self._grown():
                    continue
                line = self.line + self.text.count("\n", self.at, error.pos)
                raise _Broken(f"is not valid JSON: {error.msg} (line {line} of the document)") from None
            except ValueError as error:  # NaN or Infinity
                raise _Broken(f"is not valid JSON: {error}") from None
            except RecursionError:
                raise _Broken("is JSON nested too deeply to read") from None
            # A number read up to where the text read so far ends, or up to a "." or "e" there,
            # may go on in the next chunk: it is whole once a delimiter follows it.
            if not isinstance(value, dict | list | str) and not _DELIMITER.search(self.text, end) and self._grown():
                continue
            escaped = "\\u" in self.text[self.at : end]
            length = end - self.at
            self.move_to(end)
            return value, escaped, length

    def _grown(self) -> bool:
        if len(self.text) - self.at > 2 * MAX_LINE_BYTES:
            # Too long to hold until its end is found: where the next record starts is unknown.
            raise _Broken(_too_long())
        return self.more()


def _too_long() -> str:
    return f"is longer than {MAX_LINE_BYTES:,} characters"


class JsonDocumentReader:
    """Reads the rows of one JSON document. The document's opening (up to its array of records)
    is read when the reader is made, so a document of another shape is refused before any row
    is written (FormatRefused)."""

    def __init__(self, stream: BinaryIO, chunk: int = _CHUNK, encoding: str = UTF8) -> None:
        self._text = _Text(stream, chunk, encoding)
        self._decoder = json_decoder()
        self._notes = ColumnNotes()
        self._empty = False
        try:
            self._open()
        except _Broken as broken:
            raise FormatRefused(f"the JSON document {broken}") from None

    @property
    def columns(self) -> list[str]:
        """Every key of the records seen so far, in order of first appearance."""
        return self._notes.columns

    def _open(self) -> None:
        text = self._text
        first = text.next_char()
        if first == "":
            self._empty = True
            return
        if first == "[":
            text.move_to(text.at + 1)
            return
        if first != "{":
            raise FormatRefused("a JSON document of rows is an array of objects, or an object with an `items` array")
        text.move_to(text.at + 1)
        while text.next_char() == '"':
            key, _, _ = text.value(self._decoder)
            text.expect(":", "':' after a key")
            if key == "items":
                if text.next_char() != "[":
                    raise FormatRefused("the JSON document's `items` is not an array of records")
                text.move_to(text.at + 1)
                return
            text.value(self._decoder)
            if text.next_char() != ",":
                break
            text.move_to(text.at + 1)
        raise FormatRefused("the JSON document has no `items` array of records")

    def __iter__(self) -> Iterator[Item]:
        if self._empty:
            return
        text, number = self._text, 1  # the record being read
        try:
            if text.next_char() == "]":
                return
            while True:
                value, escaped, length = text.value(self._decoder)
                row = BadLine(number, _too_long()) if length > MAX_LINE_BYTES else json_row(number, value, escaped)
                if isinstance(row, Row):
                    self._notes.note(row.values)
                yield row
                number += 1
                following = text.next_char()
                if following == "]":
                    return
                if following != ",":
                    raise _Broken(f"is not valid JSON: expected ',' or ']' after record {number - 1}")
                text.move_to(text.at + 1)
        except _Broken as broken:
            yield BadLine(number, f"{broken}; the records after it were not read")


def is_document(head: bytes) -> bool:
    """Whether the start of a `.json` file is a JSON document of rows rather than NDJSON: an
    array, or an object that is a page (`items`) or does not end on its first line."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"["):
        return True
    first_line = start.split(b"\n", 1)[0]
    try:
        value = json.loads(first_line)
    except ValueError:
        return start.startswith(b"{")
    return isinstance(value, dict) and isinstance(value.get("items"), list)
