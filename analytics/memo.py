"""Figures worked out from a region's license data, kept while that data stands.

Working out the overview of a region with 80k license lines takes about half a second, and an
admin asks for it again and again (paging, sorting, switching product, exporting) while the data
changes a few times a day (ingest batches, trials, the weekly snapshots). Every write to those
tables sets a new change token (`LicenseDataChange`, kept by database triggers), so a figure kept
under the token it was read under is exactly as fresh as one worked out again.

Two levels: the process keeps the entries it used last as they are (no 80k rows unpickled on
every request; the least recently used go first), and the shared cache (Redis in production)
carries them between processes, so what one web process or the worker worked out (see
tasks.py) the others load in a few tens of milliseconds instead of working it out again."""

import hashlib
import logging
import pickle
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.core.cache import cache

from partnerhub.collector import collector_paused
from subscriptions.models import LicenseDataChange

T = TypeVar("T")
logger = logging.getLogger(__name__)

# An 80k-line classification is about 10 MB in memory; a handful covers the admins of a process.
SIZE = 8
# Entries under an old token are never asked for again; they only wait to be evicted.
SHARED_SECONDS = 24 * 3600


# The shared cache only saves work: when it cannot be reached the figures are worked out here,
# never an error page.
def _shared_get(key: str) -> bytes | None:
    try:
        found: bytes | None = cache.get(key)
    except Exception:
        logger.warning("analytics_shared_cache_unavailable", exc_info=True)
        return None
    return found


def _shared_set(key: str, packed: bytes) -> None:
    try:
        cache.set(key, packed, SHARED_SECONDS)
    except Exception:
        logger.warning("analytics_shared_cache_unavailable", exc_info=True)


def _unpacked(packed: bytes) -> Any:
    # Unpickling some 100k small objects sets off the cyclic collector many times over, for
    # nothing (a fresh tree has no garbage): twice as fast with it paused.
    with collector_paused():
        return pickle.loads(zlib.decompress(packed))


class RegionMemo:
    def __init__(self, size: int = SIZE, *, namespace: str = "analytics") -> None:
        self._size = size
        self._namespace = namespace
        self._entries: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def remember(
        self, alias: str, token: str | None, key: Hashable, compute: Callable[[], T], *, reads: bool = True
    ) -> T:
        """`compute()`, or what it returned before under the same region token, here or in
        another process. Without a token (no license write yet) nothing is kept. A result that
        `reads` the database is kept only if the token still stands after computing it: a write
        that committed meanwhile may or may not be in it."""
        if token is None:
            return compute()
        entry = (alias, token, key)
        with self._lock:
            if entry in self._entries:
                self._entries.move_to_end(entry)
                found: T = self._entries[entry]
                return found
        shared_key = self._shared_key(entry)
        packed = _shared_get(shared_key)
        if packed is not None:
            value: T = _unpacked(packed)
            self._keep(entry, value)
            return value
        value = compute()
        if not reads or LicenseDataChange.current(alias) == token:
            self._keep(entry, value)
            # Level 1 compression: a third of the size for ~20 ms at 80k lines.
            _shared_set(shared_key, zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1))
        return value

    def _keep(self, entry: tuple[Hashable, ...], value: object) -> None:
        with self._lock:
            self._entries[entry] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def _shared_key(self, entry: tuple[Hashable, ...]) -> str:
        # repr is stable between processes for the keys used here (str, int, date, None, tuples
        # and sorted tuples of UUIDs); hashed to fit any cache's key rules.
        return f"{self._namespace}:{hashlib.blake2b(repr(entry).encode(), digest_size=20).hexdigest()}"

    def forget_here(self) -> None:
        """Drop this process's entries (the shared ones stay): what a new process starts with."""
        with self._lock:
            self._entries.clear()
