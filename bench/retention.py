"""Nightly pruning of raw call legs past their retention (calling.retention) against the
engine's own one-statement delete of the same legs, in the same run.

`python -m bench.retention <engine> [legs]`: the legs (default 1,000,000) start over 400 days
and are stored in the order they started, as ingestion appends them, 1 % of them late (stored
among legs that started up to a month later); a retention of 396 days then puts four days' legs
past it, a few nights' pruning. Against two raw deletes, each one statement in one transaction:
by time, `DELETE ... WHERE started_at < cutoff`, the only way to find them without an index on
started_at (nothing else reads legs by time), a scan of the whole table; and by row id, the legs
up to the last one past retention (`id <= last AND started_at < cutoff`), which knows beforehand
where they end, the least the engine can do. Pruning walks the row ids from the oldest leg, a
chunk per transaction, so it reads what it deletes and one chunk more. Figures are legs deleted
per second."""

import datetime as dt
import os
import random
import shutil
import sys
import time
from pathlib import Path
from tempfile import mkdtemp

from . import ingest as legs_bench

DAYS = 400
RETENTION_DAYS = 396
LATE_SHARE = 0.01
LEGS = 1_000_000


def stored_rows(count: int, partner_id: int, postgres: bool) -> list[tuple[object, ...]]:
    """The legs as rows in the order ingestion would have stored them (by start, some late)."""
    path = Path(mkdtemp(prefix="bench-retention-")) / "legs.ndjson"
    legs_bench.write_ndjson(path, count, "r", DAYS)
    rows = legs_bench.raw_rows(path, partner_id, postgres)
    path.unlink()
    rng = random.Random(count)

    def arrived(row: tuple[object, ...]) -> object:
        started = row[6]
        if rng.random() < LATE_SHARE:
            late = dt.timedelta(days=rng.randrange(1, 31))
            return started + late if postgres else str(dt.datetime.fromisoformat(str(started)) + late)
        return started

    return sorted(rows, key=arrived)


def main(engine: str, count: int) -> None:
    from .harness import configure, save

    configure(engine, "retention")
    from django.db import connections, transaction
    from django.utils import timezone

    from calling.models import CallLeg
    from calling.retention import prune_call_legs, retention_cutoff
    from regions.registry import db_for

    data = legs_bench.populate()
    alias = db_for(legs_bench.REGION)
    connection = connections[alias]
    postgres = connection.vendor == "postgresql"
    rows = stored_rows(count, data["partner"].pk, postgres)  # type: ignore[attr-defined]
    now = legs_bench.START + dt.timedelta(days=DAYS)
    cutoff = retention_cutoff(now, RETENTION_DAYS)

    def is_old(row: tuple[object, ...]) -> bool:
        started = row[6] if postgres else dt.datetime.fromisoformat(f"{row[6]}+00:00")
        return started < cutoff  # type: ignore[operator]

    expected = sum(1 for row in rows if is_old(row))

    def reload() -> int:
        """Load the legs into the emptied table; the row id of the last leg past retention."""
        legs_bench.empty_calling_tables()
        legs_bench.raw_load(rows)
        first = CallLeg.objects.using(alias).order_by("id").values_list("id", flat=True)[0]
        return first + max(position for position, row in enumerate(rows) if is_old(row))

    def raw_delete(condition: str, parameters: list[object]) -> float:
        table = connection.ops.quote_name(CallLeg._meta.db_table)
        started = time.perf_counter()
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE {condition}", parameters)
            assert cursor.rowcount == expected, (cursor.rowcount, expected)
        return time.perf_counter() - started

    reload()
    by_time = raw_delete("started_at < %s", [cutoff])
    last = reload()
    by_id = raw_delete("id <= %s AND started_at < %s", [last, cutoff])
    reload()
    started = time.perf_counter()
    pruned = prune_call_legs(region=legs_bench.REGION, before=cutoff)
    prune_seconds = time.perf_counter() - started
    late_kept = expected - pruned

    results = {
        "legs": count,
        "days": DAYS,
        "retention_days": RETENTION_DAYS,
        "legs_past_retention": expected,
        "raw_delete_by_time_legs_per_s": round(expected / by_time),
        "raw_delete_by_id_legs_per_s": round(expected / by_id),
        "prune_legs_per_s": round(pruned / prune_seconds),
        "prune_share_of_raw_by_id": round(by_id / prune_seconds, 3),
        "late_legs_left_for_a_later_night": late_kept,
        "measured_at": timezone.now().isoformat(),
    }
    print(f"{count:,} legs over {DAYS} days, engine {engine}; {expected:,} past a {RETENTION_DAYS}-day retention")
    print(f"raw delete by time (a scan of every leg): {expected / by_time:,.0f} legs/s ({by_time:.2f} s)")
    print(f"raw delete by row id (where they end known): {expected / by_id:,.0f} legs/s ({by_id:.2f} s)")
    print(
        f"nightly pruning: {pruned / prune_seconds:,.0f} legs/s ({prune_seconds:.2f} s, "
        f"{by_id / prune_seconds:.0%} of the raw delete by row id); {late_kept:,} late legs left for a later night"
    )
    print(f"saved {save('retention', engine, results)}")
    legs_bench.empty_calling_tables()
    connections.close_all()
    if engine == "sqlite":
        shutil.rmtree(os.environ["PARTNERHUB_VAR_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else LEGS)
