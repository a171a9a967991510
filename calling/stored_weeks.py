"""The user weeks a long run of appends has seen stored, so that it sends each one once.

A day's feed names the same users in batch after batch, and each batch would otherwise look up
every one of its user weeks again (PostgreSQL, 200,000 legs of one day: 0.40-0.48 s of a
3.5 s run). A user week is added here only once the transaction that stored it has committed,
and nothing deletes user weeks while their legs stay (recompute_rollups rebuilds them from the
legs in one transaction), so one known here is stored. A run that rolls its writes back (a dry
run) never commits, and adds nothing."""

from collections.abc import Iterable

from django.db import transaction

from .batch_figures import UserWeek

# About 150 bytes each: a run that names more than this many user weeks starts over (memory stays
# bounded whatever the size of the file; the next batches send theirs again).
LIMIT = 200_000


class StoredUserWeeks:
    """User weeks (org hex, week, user id) known to be stored in some region's database; one run's
    knowledge, never shared between processes."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._stored: set[UserWeek] = set()

    def __len__(self) -> int:
        return len(self._stored)

    def unknown(self, weeks: Iterable[UserWeek]) -> list[UserWeek]:
        """Those of `weeks` not known to be stored, in their order."""
        stored = self._stored
        return [week for week in weeks if week not in stored]

    def add_once_committed(self, weeks: list[UserWeek], *, using: str) -> None:
        """Know `weeks` as stored once the transaction open on `using` commits (at once, outside
        one); nothing if it rolls back."""
        transaction.on_commit(lambda: self._add(weeks), using=using)

    def _add(self, weeks: list[UserWeek]) -> None:
        if len(self._stored) + len(weeks) > self._limit:
            self._stored.clear()
        if len(weeks) <= self._limit:
            self._stored.update(weeks)
