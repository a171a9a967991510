"""Leg rows made ready for PostgreSQL's COPY where they are read, so that the process writing them
stores a batch without ever holding its rows.

The command line reads and checks a file in one process and writes in another
(ingest.read_ahead). Rows crossing between them cost the writer about 1 µs each to decode, 2 µs
to format for COPY and more to go through and free, all while PostgreSQL waits for it; formatted
once where they are read (1 µs each, on the other core), a batch of new legs reaches the writer
as text it passes on whole (PostgreSQL, 200,000 legs of one day: the writer's CPU 0.96 -> 0.36 s,
docs/benchmarks.md). The rows are still made if something needs them (`CopyReadyRows.rows`): a
leg id stored already sends the batch through the staged insert, which sorts its rows out."""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, overload

# psycopg's own COPY row formatter (in C with psycopg[binary]): the one its `Copy.write_row` calls,
# which has no public entry point outside a connection's COPY.
from psycopg._copy_base import format_row_text
from psycopg.adapt import Transformer

if TYPE_CHECKING:  # calling.services reads these rows
    from .services import LegRow


def copy_text(rows: Iterable["LegRow"]) -> bytes:
    """The rows as the text format of PostgreSQL's COPY, one line each, as a COPY of the call-leg
    table (calling.services.LEG_COLUMNS) reads them; naive UTC times need the session in UTC, as
    the writer sets it."""
    # Dumpers by Python type, the driver's defaults: those a connection of ours uses too.
    transformer = Transformer()
    text = bytearray()
    for row in rows:
        format_row_text(row, transformer, text)
    return bytes(text)


class CopyReadyRows(Sequence["LegRow"]):
    """`count` leg rows of distinct leg ids held as COPY text, in leg-id order (`text`), with the
    partner id of each customer they name (`partners`, by org id as 32 hex digits). As a
    sequence they are the rows themselves, made by `make_rows` the first time they are needed."""

    def __init__(
        self, text: bytes, partners: Mapping[str, int], count: int, make_rows: Callable[[], list["LegRow"]]
    ) -> None:
        self.text = text
        self.partners = dict(partners)
        self._count = count
        self._make_rows = make_rows
        self._rows: list[LegRow] | None = None

    @property
    def made(self) -> bool:
        """Whether the rows themselves were made."""
        return self._rows is not None

    def _all(self) -> list["LegRow"]:
        if self._rows is None:
            self._rows = self._make_rows()
            if len(self._rows) != self._count:
                raise ValueError(f"{len(self._rows)} rows made for {self._count} in the COPY text")
        return self._rows

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> "LegRow": ...
    @overload
    def __getitem__(self, index: slice) -> Sequence["LegRow"]: ...
    def __getitem__(self, index: int | slice) -> "LegRow | Sequence[LegRow]":
        return self._all()[index]

    def __iter__(self) -> Iterator["LegRow"]:
        return iter(self._all())
