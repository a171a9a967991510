"""Figures worked out from a region's license data, kept in this process while that data stands.

Working out the overview of a region with 80k license lines takes about half a second, and an
admin asks for it again and again (paging, sorting, switching product, exporting) while the data
changes a few times a day (ingest batches, trials, the weekly snapshots). Every write to those
tables sets a new change token (`LicenseDataChange`, kept by database triggers), so a figure kept
under the token it was read under is exactly as fresh as one worked out again. Entries live in
the process (no 80k rows serialised through a shared cache on every request); the least recently
used go first."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from subscriptions.models import LicenseDataChange

T = TypeVar("T")

# An 80k-line classification is about 10 MB; a handful covers the admins of a busy process.
SIZE = 8


class RegionMemo:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def remember(
        self, alias: str, token: str | None, key: Hashable, compute: Callable[[], T], *, reads: bool = True
    ) -> T:
        """`compute()`, or what it returned before under the same region token. Without a token
        (no license write yet) nothing is kept. A result that `reads` the database is kept only
        if the token still stands after computing it: a write that committed meanwhile may or
        may not be in it."""
        if token is None:
            return compute()
        entry = (alias, token, key)
        with self._lock:
            if entry in self._entries:
                self._entries.move_to_end(entry)
                found: T = self._entries[entry]
                return found
        value = compute()
        if not reads or LicenseDataChange.current(alias) == token:
            with self._lock:
                self._entries[entry] = value
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
