"""Pausing Python's cyclic garbage collector around bulk work."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in the block (reference counting frees as ever). For work
    that makes tens of thousands of small objects in no cycle (decoding, counting, a batch of
    rows): each few hundred of them set off a collection that finds nothing, and together those
    cost as much as the work. Collections resume where the block ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
