"""Call-leg ingestion: the command line and the HTTP API against the engine's own bulk
load of the same rows into the same table, in the same run; and peak memory from 1 M legs up.

`python -m bench.ingest <engine> [legs] [memory sizes...]`, e.g. `python -m bench.ingest sqlite
200000 1000000 10000000` (the default sizes). Rates are legs per second over the whole run (reading, validating,
resolving customers, writing legs and rollups); the raw load times only the engine's insert of
ready-made rows (SQLite `executemany`, PostgreSQL `COPY`); raw load and CLI alternate three
times per data set and the median of the pairs' ratios is reported. The same legs are also loaded from CSV
(the full validator instead of the NDJSON fast path) and packed into one day (dense). Memory is
the peak resident size of a separate `ingest` process fed the legs on standard input."""

import csv
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Tables to bulk-load: each one's name, columns and rows.
Tables = list[tuple[str, list[str], list[tuple[object, ...]]]]

LEGS = 200_000
# The main run spreads the legs over four weeks: ~0.35 legs per user and day, sparse enough that
# a daily rollup row holds about two legs. The dense run puts the same legs in one day (10 legs
# per user and day, still below the traffic DESIGN 9 plans for), as a day's feed would arrive.
DAYS = 28
DENSE_DAYS = 1
MEMORY_SIZES = (1_000_000, 10_000_000)
CUSTOMERS = 500
API_BATCH = 10_000
CLI_BATCH = 50_000  # the command's default
# Raw load and CLI alternate this many times per data set (see Loads).
PAIRS = 3
PARTNER = "Bench Partner"
REGION = "EU"
START = dt.datetime(2026, 1, 4, tzinfo=dt.UTC)
ENDPOINTS = ("desk_phone", "app", "room_device", "other_device")
OUTCOMES = ("answered", "answered", "answered", "abandoned", "timed_out", "overflowed", "transferred")


def org_ids() -> list[uuid.UUID]:
    rng = random.Random(4)
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(CUSTOMERS)]


def generate_legs(count: int, prefix: str, days: int = DAYS) -> Iterator[dict[str, object]]:
    """Calls of one to three legs over `days` days for CUSTOMERS customers: a tenth through a call
    queue, a twentieth poor quality, every leg measured."""
    rng = random.Random(count)
    orgs = [str(org_id) for org_id in org_ids()]
    made = call = 0
    while made < count:
        call += 1
        org = orgs[call % CUSTOMERS]
        started = START + dt.timedelta(seconds=rng.randrange(days * 86400))
        queue = rng.random() < 0.1
        for position in range(min(rng.choice((1, 2, 2, 3)), count - made)):
            made += 1
            poor = rng.random() < 0.05
            leg: dict[str, object] = {
                "leg_id": f"{prefix}-{made}",
                "call_id": f"{prefix}-c{call}",
                "org_id": org,
                "user_id": f"user-{rng.randrange(40)}",
                "started_at": (started + dt.timedelta(seconds=position * 3)).isoformat(),
                "duration_seconds": rng.randrange(5, 1800),
                "direction": "outbound" if position == 0 else "inbound",
                "media": "video" if rng.random() < 0.2 else "audio",
                "endpoint_type": rng.choice(ENDPOINTS),
                "jitter_ms": round(rng.uniform(160, 300) if poor else rng.uniform(1, 40), 1),
                "latency_ms": round(rng.uniform(20, 150), 1),
                "loss_pct": round(rng.uniform(0, 1), 2),
            }
            if queue and position == 0:
                leg |= {
                    "feature": "call_queue",
                    "queue_outcome": rng.choice(OUTCOMES),
                    "queue_wait_seconds": rng.randrange(90),
                }
            yield leg


def write_ndjson(path: Path, count: int, prefix: str, days: int = DAYS) -> None:
    with path.open("w") as out:
        for leg in generate_legs(count, prefix, days):
            out.write(json.dumps(leg) + "\n")


def write_csv(path: Path, count: int, prefix: str, days: int = DAYS) -> None:
    """The same legs as write_ndjson, as CSV (read by the full validator, not the fast path)."""
    legs = generate_legs(count, prefix, days)
    first = next(legs)
    columns = list(first) + [name for name in ("feature", "queue_outcome", "queue_wait_seconds") if name not in first]
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerow(first)
        writer.writerows(legs)


def populate() -> dict[str, object]:
    from django.utils import timezone

    from accounts.models import Admin, PartnerOrg
    from customers.models import Customer, Lifecycle

    now = timezone.now()
    partner = PartnerOrg.objects.create(name=PARTNER, terms_accepted_at=now)
    admin = Admin.objects.create(email="ingest@bench.example", partner=partner, role="full_admin")
    Customer.objects.bulk_create(
        [
            Customer(
                org_id=org_id, name=f"Customer {i:04d}", partner=partner, region=REGION, lifecycle=Lifecycle.ACTIVE
            )
            for i, org_id in enumerate(org_ids())
        ]
    )
    return {"partner": partner, "admin": admin}


def empty_calling_tables() -> None:
    from django.db import connections

    from calling.models import CallDailyRollup, CallingUserWeek, CallLeg
    from regions.registry import db_for

    connection = connections[db_for(REGION)]
    tables = [model._meta.db_table for model in (CallLeg, CallDailyRollup, CallingUserWeek)]
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)}")
            else:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        if connection.vendor == "sqlite":
            cursor.execute("VACUUM")
        else:
            cursor.execute("CHECKPOINT")


def raw_rows(path: Path, partner_id: int, postgres: bool) -> list[tuple[object, ...]]:
    """The file's legs as ready-made rows in the engine's storage format (not timed)."""
    rows = []
    with path.open() as lines:
        for line in lines:
            leg = json.loads(line)
            started = dt.datetime.fromisoformat(str(leg["started_at"])).astimezone(dt.UTC)
            org = uuid.UUID(str(leg["org_id"]))
            rows.append(
                (
                    org if postgres else org.hex,
                    partner_id,
                    leg["leg_id"],
                    leg["call_id"],
                    None,
                    leg["user_id"],
                    started if postgres else str(started.replace(tzinfo=None)),
                    leg["duration_seconds"],
                    leg["direction"],
                    leg["media"],
                    leg["endpoint_type"],
                    leg["jitter_ms"],
                    leg["latency_ms"],
                    leg["loss_pct"],
                    leg.get("feature", ""),
                    False,
                    leg.get("queue_outcome", ""),
                    leg.get("queue_wait_seconds"),
                )
            )
    return rows


def raw_load(rows: list[tuple[object, ...]]) -> float:
    """Seconds the engine takes to bulk-load the rows into the call-leg table, in one transaction."""
    from calling.models import CallLeg
    from calling.services import LEG_COLUMNS

    return bulk_load([(CallLeg._meta.db_table, list(LEG_COLUMNS), rows)])


def derived_rows() -> Tables:
    """What ingestion wrote besides the legs (daily rollups, user weeks): each
    table's columns and rows as stored, to bulk-load again (not timed): the least any ingestion
    that keeps them must spend on them beyond the legs themselves."""
    from django.db import connections

    from calling.models import CallDailyRollup, CallingUserWeek
    from regions.registry import db_for

    connection = connections[db_for(REGION)]
    tables = []
    with connection.cursor() as cursor:
        for model in (CallDailyRollup, CallingUserWeek):
            table = model._meta.db_table
            columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
            cursor.execute(f"SELECT {', '.join(columns)} FROM {connection.ops.quote_name(table)}")
            tables.append((table, columns, [tuple(row) for row in cursor.fetchall()]))
    return tables


def bulk_load(tables: Tables) -> float:
    """Seconds the engine takes to bulk-load each table's rows (SQLite `executemany`, PostgreSQL
    `COPY`), all in one transaction."""
    from django.db import connections, transaction

    from regions.registry import db_for

    alias = db_for(REGION)
    connection = connections[alias]
    started = time.perf_counter()
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for table, columns, rows in tables:
            names = ", ".join(columns)
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {quoted} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
    return time.perf_counter() - started


def cli_load(path: Path) -> float:
    import io

    from django.core.management import call_command

    started = time.perf_counter()
    call_command(
        "ingest",
        "call-legs",
        str(path),
        partner=PARTNER,
        batch_size=CLI_BATCH,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return time.perf_counter() - started


def api_load(path: Path, admin: object) -> float:
    from django.test import Client

    from accounts.services import create_token

    _token, raw = create_token(admin=admin, scopes=["ingest"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    started = time.perf_counter()
    with path.open("rb") as lines:
        while True:
            body = b"".join(line for _, line in zip(range(API_BATCH), lines, strict=False))
            if not body:
                break
            response = client.post("/api/v1/ingest/call-legs", body, content_type="application/x-ndjson")
            assert response.status_code == 200 and not response.json()["rejected"], response.content[:300]
    return time.perf_counter() - started


def _peak_kib(pid: int) -> int:
    """The highest resident size a process has had (VmHWM, KiB); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []


def _wait_peak_rss(process: subprocess.Popen[bytes]) -> int:
    """Wait for the command and return in bytes the highest resident size of it or of its reading
    process, read from each process's own high-water mark while they run. Not the `ru_maxrss`
    of the child: a child started with vfork (as subprocess starts it) records the parent's high-
    water mark as its own when it executes, so the bench process's size (hundreds of MB of rows)
    would pass for the command's."""
    peaks: dict[int, int] = {}
    while process.poll() is None:
        for pid in (process.pid, *_children(process.pid)):
            peaks[pid] = max(peaks.get(pid, 0), _peak_kib(pid))
        time.sleep(0.1)
    return max(peaks.values(), default=0) * 1024


def peak_memory(count: int, prefix: str) -> dict[str, float]:
    """Run `manage.py ingest call-legs -` in a child process fed `count` legs on standard input."""
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    process = subprocess.Popen(
        [sys.executable, str(manage), "ingest", "call-legs", "-", "--partner", PARTNER, "--batch-size", str(CLI_BATCH)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdin is not None

    def feed() -> None:
        assert process.stdin is not None
        buffer = []
        for leg in generate_legs(count, prefix):
            buffer.append(json.dumps(leg) + "\n")
            if len(buffer) == 5000:
                process.stdin.write("".join(buffer).encode())
                buffer.clear()
        process.stdin.write("".join(buffer).encode())
        process.stdin.close()

    started = time.perf_counter()
    feeder = threading.Thread(target=feed)
    feeder.start()
    peak = _wait_peak_rss(process)
    feeder.join()
    elapsed = time.perf_counter() - started
    assert process.returncode == 0, f"ingest exited with {process.returncode}"
    return {
        "legs": count,
        "peak_rss_mb": round(peak / 2**20, 1),
        "seconds": round(elapsed, 1),
        "legs_per_s": round(count / elapsed),
    }


@dataclass(frozen=True)
class Loads:
    """One data set loaded by the engine (raw) and by the CLI in alternating pairs, in seconds,
    and what the CLI derived from it. The machine's speed drifts by tens of percent within
    minutes, so each pair's ratio is taken on its own and the median of the pairs reported."""

    legs: int
    raw_seconds: list[float]
    cli_seconds: list[float]
    derived_rows: int
    derived_seconds: float

    @property
    def shares(self) -> list[float]:
        """raw ÷ CLI of each pair, in order."""
        return [raw / cli for raw, cli in zip(self.raw_seconds, self.cli_seconds, strict=True)]

    @property
    def raw(self) -> float:
        return statistics.median(self.raw_seconds)

    @property
    def cli(self) -> float:
        return statistics.median(self.cli_seconds)

    def figures(self) -> dict[str, object]:
        return {
            "pairs": len(self.shares),
            "raw_legs_per_s": round(self.legs / self.raw),
            "cli_legs_per_s": round(self.legs / self.cli),
            "cli_share_of_raw": round(statistics.median(self.shares), 3),
            "cli_share_of_raw_each_pair": [round(share, 3) for share in self.shares],
            "derived_rows": self.derived_rows,
            "raw_derived_seconds": round(self.derived_seconds, 3),
            # The most the CLI can reach while it keeps the derived tables.
            "cli_ceiling_share_of_raw": round(self.raw / (self.raw + self.derived_seconds), 3),
            # The CLI against the raw load of everything it wrote, legs and derived rows.
            "cli_share_of_raw_all": round((self.raw + self.derived_seconds) / self.cli, 3),
        }

    def summary(self) -> str:
        figures = self.figures()
        return (
            f"raw {figures['raw_legs_per_s']:,} legs/s, CLI {figures['cli_legs_per_s']:,} legs/s (medians); "
            f"CLI {figures['cli_share_of_raw']:.0%} of raw, the median of {len(self.shares)} pairs "
            f"({', '.join(f'{share:.0%}' for share in self.shares)}; target >= 50%); "
            f"{self.derived_rows:,} rollup and user-week rows kept, whose raw load takes "
            f"{self.derived_seconds:.2f} s against {self.raw:.2f} s for the legs: a pipeline that only "
            f"bulk-loaded both would reach {figures['cli_ceiling_share_of_raw']:.0%} of raw, and the CLI is at "
            f"{figures['cli_share_of_raw_all']:.0%} of that raw load of everything it wrote"
        )


def load(path: Path, partner_id: int, postgres: bool) -> Loads:
    """Raw load and CLI in alternating pairs, then the raw load of what the CLI derived, each
    into emptied tables."""
    rows = raw_rows(path, partner_id, postgres)
    raw_seconds, cli_seconds = [], []
    for _ in range(PAIRS):
        empty_calling_tables()
        raw_seconds.append(raw_load(rows))
        empty_calling_tables()
        cli_seconds.append(cli_load(path))
        assert legs_stored() == len(rows)
    derived = derived_rows()
    empty_calling_tables()
    derived_seconds = bulk_load(derived)
    return Loads(len(rows), raw_seconds, cli_seconds, sum(len(rows) for _, _, rows in derived), derived_seconds)


def legs_stored() -> int:
    from calling.models import CallLeg
    from regions.registry import db_for

    return CallLeg.objects.using(db_for(REGION)).count()


def main(engine: str, legs: int, memory_sizes: tuple[int, ...]) -> None:
    from .harness import configure, save

    configure(engine, "ingest")
    from django.db import connections

    from regions.registry import db_for

    data = populate()
    partner_id = data["partner"].pk  # type: ignore[attr-defined]
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    path = workdir / "legs.ndjson"
    write_ndjson(path, legs, "b")
    postgres = connections[db_for(REGION)].vendor == "postgresql"
    sparse = load(path, partner_id, postgres)
    empty_calling_tables()
    api_seconds = api_load(path, data["admin"])
    assert legs_stored() == legs
    path.unlink()
    csv_path = workdir / "legs.csv"
    write_csv(csv_path, legs, "b")
    empty_calling_tables()
    csv_seconds = cli_load(csv_path)
    assert legs_stored() == legs
    csv_path.unlink()
    dense_path = workdir / "dense.ndjson"
    write_ndjson(dense_path, legs, "d", DENSE_DAYS)
    dense = load(dense_path, partner_id, postgres)
    dense_path.unlink()

    api_rate, cli_rate = legs / api_seconds, legs / sparse.cli
    results: dict[str, object] = {
        "legs": legs,
        "customers": CUSTOMERS,
        **sparse.figures(),
        "api_legs_per_s": round(api_rate),
        "api_share_of_cli": round(api_rate / cli_rate, 3),
        "cli_csv_legs_per_s": round(legs / csv_seconds),
        "cli_csv_share_of_raw": round(sparse.raw / csv_seconds, 3),
        "cli_batch": CLI_BATCH,
        "api_batch": API_BATCH,
        "dense": {"days": DENSE_DAYS, **dense.figures()},
    }
    print(f"{legs:,} legs, {CUSTOMERS} customers, engine {engine}")
    print(f"{DAYS} days: {sparse.summary()}")
    print(f"HTTP API {api_rate:,.0f} legs/s ({api_rate / cli_rate:.0%} of CLI; target >= 50%)")
    print(f"CLI from CSV {legs / csv_seconds:,.0f} legs/s ({sparse.raw / csv_seconds:.0%} of the median raw)")
    print(f"dense ({DENSE_DAYS} day): {dense.summary()}")
    memory = []
    for size in memory_sizes:
        empty_calling_tables()
        figures = peak_memory(size, f"m{size}")
        memory.append(figures)
        print(f"memory {size:>11,} legs: peak RSS {figures['peak_rss_mb']:,.1f} MB ({figures['legs_per_s']:,} legs/s)")
    if len(memory) > 1:
        growth = memory[-1]["peak_rss_mb"] - memory[0]["peak_rss_mb"]
        results["memory_growth_mb"] = round(growth, 1)
        print(
            f"peak RSS growth {memory[0]['legs']:,} -> {memory[-1]['legs']:,} legs: "
            f"{growth:+.1f} MB (target within 50 MB)"
        )
    results["memory"] = memory
    print(f"saved {save('ingest', engine, results)}")
    # Millions of legs take gigabytes: leave no data behind (the databases are this run's own).
    empty_calling_tables()
    connections.close_all()
    if engine == "sqlite":
        shutil.rmtree(os.environ["PARTNERHUB_VAR_DIR"], ignore_errors=True)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    main(
        arguments[0],
        int(arguments[1]) if len(arguments) > 1 else LEGS,
        tuple(int(size) for size in arguments[2:]) if len(arguments) > 2 else MEMORY_SIZES,
    )
