"""Where the rows of a batch come from: a body or a file in one syntax (NDJSON, CSV, or one JSON
document) and one layout (our own field names, or Webex Calling's Detailed Call History
columns), read lazily."""

import gzip
import io
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePath
from typing import IO, BinaryIO, NamedTuple, cast

from . import webex
from .fast_legs import UNKNOWN_PARTNER, FastLegs
from .formats import UTF8, CsvReader, FormatRefused, Item, NdjsonReader, Row
from .json_document import JsonDocumentReader, is_document
from .validation import FIELDS, KINDS

SYNTAXES = ("ndjson", "csv", "json")
LAYOUTS = ("native", "webex-cdr")
Reader = NdjsonReader | CsvReader | JsonDocumentReader
# How much of a stream is looked at to tell its syntax: its first non-blank line, up to this.
SNIFF_BYTES = 1024 * 1024
_BLANK = b"\xef\xbb\xbf \t\r\n"


FORMATS = ("ndjson", "csv", "json", "webex-cdr")
_SUFFIXES = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}


class ReadFormat(NamedTuple):
    """How a file is read: its syntax (None: told by its first line, else `otherwise`), layout."""

    syntax: str | None
    layout: str
    otherwise: str = "ndjson"


def reading_format(chosen: str | None, name: str) -> ReadFormat | None:
    """How to read the file `name` ("-" for standard input, ".gz" after its own suffix): as the
    format `chosen` (one of FORMATS), else as its name says; None when neither tells."""
    stem = name[: -len(".gz")] if name.lower().endswith(".gz") else name
    suffix = PurePath(stem).suffix.lower() if name != "-" else ""
    if chosen == "webex-cdr":
        # Webex exports are CSV; the API's pages are JSON; standard input may be either.
        by_name = _SUFFIXES.get(suffix)
        if by_name in ("csv", "ndjson"):
            return ReadFormat(by_name, "webex-cdr")
        return ReadFormat(None, "webex-cdr", otherwise="ndjson" if by_name == "json" else "csv")
    if chosen is not None:
        return ReadFormat(chosen, "native")
    if name == "-":
        return ReadFormat(None, "native", otherwise="csv")
    if suffix not in _SUFFIXES:
        return None
    # A `.json` file may hold NDJSON or one JSON document.
    return ReadFormat(None if _SUFFIXES[suffix] == "json" else _SUFFIXES[suffix], "native")


class RowSource:
    """The rows of one body or file, in order, and the columns it had that the kind cannot use."""

    def __init__(self, reader: Reader, kind: str, layout: str) -> None:
        self._reader = reader
        self.kind = kind
        self.layout = layout

    def __iter__(self) -> Iterator[Item]:
        if self.layout == "native":
            yield from self._reader
            return
        for item in self._reader:
            if not isinstance(item, Row):
                yield item
            else:
                yield Row(item.line, webex.to_call_leg(item.values), labels=webex.LABELS)

    @property
    def ignored_columns(self) -> list[str]:
        """Columns seen so far (all of them, once the rows are read) that nothing reads."""
        if self.layout == "webex-cdr":
            return webex.ignored_columns(self._reader.columns)
        used = FIELDS[self.kind]
        return [column for column in self._reader.columns if column and column not in used]


def open_rows(
    stream: BinaryIO,
    *,
    kind: str,
    syntax: str,
    layout: str = "native",
    encoding: str = UTF8,
    partner_id: int = UNKNOWN_PARTNER,
) -> RowSource:
    """Start reading `stream`. A CSV header, or a JSON document's opening, is read now, so a
    header that cannot be read, a document of another shape, or a Webex layout without the
    columns a call leg needs, is refused (FormatRefused) before any row is written. `encoding`
    is one that formats.text_encoding accepts; call legs read on the NDJSON fast path are made
    legs of customers of `partner_id` (ingest.fast_legs), as the checking of the others will be.
    Raises ValueError for an unknown kind, syntax or layout."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if syntax not in SYNTAXES:
        raise ValueError(f"unknown syntax {syntax!r}; expected one of {', '.join(SYNTAXES)}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if layout == "webex-cdr" and kind != "call-legs":
        raise FormatRefused(f"the webex-cdr format holds call records: ingest it as call-legs, not {kind}")
    reader: Reader
    if syntax == "csv":
        reader = CsvReader(stream, encoding, keep=webex.used_column if layout == "webex-cdr" else None)
    elif syntax == "json":
        reader = JsonDocumentReader(stream, encoding=encoding)
    else:
        fast = kind == "call-legs" and layout == "native"
        reader = NdjsonReader(stream, FastLegs(partner_id) if fast else None, encoding)
    if layout == "webex-cdr" and isinstance(reader, CsvReader) and reader.columns:
        webex.check_columns(reader.columns)
    if layout == "native" and kind == "call-legs" and isinstance(reader, CsvReader):
        _refuse_webex_report(reader.columns)
    return RowSource(reader, kind, layout)


def _refuse_webex_report(columns: list[str]) -> None:
    """Refuse a call-legs CSV that is a Webex Calling report sent without its format: read as our
    own columns, its every row would be rejected for a missing leg_id, with no hint why."""
    if FIELDS["call-legs"].isdisjoint(columns) and webex.looks_like_report(columns):
        raise FormatRefused(
            "this looks like a Webex Calling Detailed Call History report, not call legs in our columns: "
            "send it as the webex-cdr format (--format webex-cdr on the command line, ?format=webex-cdr "
            "in the API, or the format webex-cdr when uploading)"
        )


class _Replayed(io.RawIOBase):
    """A stream whose first bytes were read already: those, then the rest."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._rest.close()
        super().close()


def sniff_syntax(stream: BinaryIO, otherwise: str) -> tuple[str, BinaryIO]:
    """The syntax of a stream of unknown syntax, by its first non-blank line: JSON when it opens
    with `{` or `[` (one document, or NDJSON: ingest.json_document.is_document), else
    `otherwise`; and the stream to read, from its start."""
    head = b""
    while len(head) < SNIFF_BYTES:
        line = stream.readline(SNIFF_BYTES - len(head))
        head += line
        if not line or line.strip(_BLANK):
            break
    replayed = io.BufferedReader(_Replayed(head, stream))
    if not head.lstrip(_BLANK).startswith((b"{", b"[")):
        return otherwise, replayed
    return ("json" if is_document(head) else "ndjson"), replayed


GZIP_MAGIC = b"\x1f\x8b"


def decompressed(stream: BinaryIO) -> BinaryIO:
    """The stream itself, or, when it starts as gzip data does, its decompressed bytes (read as
    they are needed: memory stays flat whatever the size). Damaged or cut-short gzip data raises
    while it is read (gzip.BadGzipFile, EOFError or zlib.error: `DAMAGED_GZIP`)."""
    head = b""
    while len(head) < len(GZIP_MAGIC) and (more := stream.read(len(GZIP_MAGIC) - len(head))):
        head += more
    replayed: BinaryIO = io.BufferedReader(_Replayed(head, stream))
    if head != GZIP_MAGIC:
        return replayed
    return cast(BinaryIO, gzip.GzipFile(fileobj=replayed, mode="rb"))


DAMAGED_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)


class TooLarge(Exception):
    """Decompressed data beyond the size limit."""


_PIECE = 64 * 1024
# Decompressed rows are kept in memory up to this, then on disk.
_SPOOL_IN_MEMORY = 1024 * 1024


@contextmanager
def gunzipped_aside(stream: IO[bytes], limit: int) -> Iterator[IO[bytes]]:
    """The rows of the gzip data of `stream`, decompressed aside (in memory up to 1 MB, then on
    disk) before any is read, in bounded pieces (a small body that inflates hugely never sits
    whole in memory). Raises TooLarge beyond `limit` bytes, EOFError for data cut short and one
    of DAMAGED_GZIP for damaged data, so that nothing of such data is stored. Members written
    one after another (as `cat a.gz b.gz` does) are read as one, as gzip readers do."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        size = 0
        with gzip.GzipFile(fileobj=stream, mode="rb") as rows:
            while piece := rows.read(_PIECE):
                size += len(piece)
                if size > limit:
                    raise TooLarge(f"{limit:,} bytes")
                spool.write(piece)
        spool.seek(0)
        yield cast(IO[bytes], spool)
