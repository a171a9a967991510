"""CSV export shared by every table: one column list feeds both the page and its CSV, and every
cell is neutralised against spreadsheet formula injection."""

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.http import StreamingHttpResponse
from django.utils.encoding import force_str
from django.utils.functional import Promise

Row = TypeVar("Row")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_E164 = re.compile(r"^\+\d+$")


def safe_csv_cell(value: object) -> str:
    """The text of a CSV cell, with a leading apostrophe when a spreadsheet would read it as a
    formula. Plain numbers (`-12.5`) and E.164 phone numbers (`+14155550100`) stay as they are
    so that numbers remain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = force_str(value)
    if text.startswith(_FORMULA_START) and not (_PLAIN_NUMBER.match(text) or _E164.match(text)):
        return "'" + text
    return text


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    header: str | Promise
    value: Callable[[Row], Any]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[Column[Row]], rows: Iterable[Row]) -> Iterator[str]:
    """Yield a header line and one line per row, UTF-8 text with escaped cells."""
    writer = csv.writer(_Echo())
    yield writer.writerow([force_str(c.header) for c in columns])
    for row in rows:
        yield writer.writerow([safe_csv_cell(c.value(row)) for c in columns])


def csv_response(filename: str, columns: Sequence[Column[Row]], rows: Iterable[Row]) -> StreamingHttpResponse:
    """Stream a CSV download without building it in memory."""
    response = StreamingHttpResponse(csv_lines(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
