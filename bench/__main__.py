"""`make bench`: every benchmark, on SQLite and on PostgreSQL."""

import sys

from .harness import run_per_engine

BENCHMARKS = ("bench.customers", "bench.analytics", "bench.ingest", "bench.retention")

if __name__ == "__main__":
    chosen = [b for b in BENCHMARKS if len(sys.argv) < 2 or b.endswith(sys.argv[1])]
    sys.exit(sum(run_per_engine(b) for b in chosen))
