"""How long raw call legs are kept (DESIGN 9): the rollups and user weeks they were folded into
are kept for ever, the legs themselves for PARTNERHUB_CALL_LEG_RETENTION_DAYS.

Nothing reads legs by time (pages read the rollups), so the legs have no index on started_at,
and one would cost every ingested leg a write. Legs are appended in the order they arrive, which
is by and large the order of their start times, so pruning walks the table by row id from the
oldest leg, a chunk of ids per transaction, and stops at the first chunk in which no leg is old
enough: a night's pruning reads the legs it deletes and one chunk more. A leg that arrived long
after it started sits among newer legs and goes when the scan reaches them; a late leg of a call
whose other legs were pruned counts as a call of its own."""

from datetime import UTC, datetime, time, timedelta

from regions.context import region_atomic
from regions.registry import db_for

from .models import CallLeg

# Legs per transaction: short enough that ingestion never waits long for the table.
CHUNK = 20_000


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Legs that started before this moment are past a retention of `days` days (from the start
    of today's UTC day, so that a night's pruning does not depend on when it ran)."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days), time(), tzinfo=UTC)


def prune_call_legs(*, region: str, before: datetime, chunk: int = CHUNK) -> int:
    """Delete the region's call legs that started before `before`, oldest rows first, a chunk of
    row ids per transaction, until a chunk holds none; returns how many were deleted."""
    legs = CallLeg.objects.using(db_for(region))
    deleted = 0
    after = 0
    while True:
        ids = list(legs.filter(id__gt=after).order_by("id").values_list("id", flat=True)[:chunk])
        if not ids:
            return deleted
        with region_atomic(region):
            gone, _ = legs.filter(id__gte=ids[0], id__lte=ids[-1], started_at__lt=before).delete()
        if not gone:
            return deleted
        deleted += gone
        after = ids[-1]
