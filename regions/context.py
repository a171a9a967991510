"""The current region of a unit of work, set only at boundaries (middleware, task, command),
plus transaction helpers that cover the region's database rather than `default`."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from .registry import db_for

_current_region: ContextVar[str | None] = ContextVar("partnerhub_region", default=None)


def current_region() -> str | None:
    return _current_region.get()


@contextmanager
def region_scope(region: str) -> Iterator[str]:
    """Route unbound region-model queries inside the block to `region`'s database."""
    alias = db_for(region)
    token = _current_region.set(region.upper())
    try:
        yield alias
    finally:
        _current_region.reset(token)


@contextmanager
def region_atomic(region: str) -> Iterator[str]:
    """One transaction on the region's database, with the region current inside it.

    `transaction.atomic()` without `using` covers `default` only: a region write inside it would
    survive a rollback."""
    with region_scope(region) as alias, transaction.atomic(using=alias):
        yield alias


def on_region_commit(region: str, callback: Callable[[], object]) -> None:
    """Run `callback` once the region's current transaction commits (now, if none is open)."""
    transaction.on_commit(callback, using=db_for(region))
