"""Shared benchmark plumbing: a throwaway database set per engine, timing helpers, results.

Benchmarks never run inside the test suite; `make bench` runs each one in its own process per
engine, because Django's settings are fixed once a process starts."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
ENGINES = ("sqlite", "postgres")
POSTGRES = os.environ.get("PARTNERHUB_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
ALIASES = ("control", "us", "ca", "eu", "uae")


def configure(engine: str, name: str) -> None:
    """Point every alias at fresh, empty databases of `engine`, then set Django up and migrate."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "partnerhub.settings.dev"
    os.environ["PARTNERHUB_DEBUG"] = "0"
    if engine == "sqlite":
        os.environ["PARTNERHUB_VAR_DIR"] = tempfile.mkdtemp(prefix=f"bench-{name}-")
    else:
        import psycopg

        base = POSTGRES.rsplit("/", 1)[0]
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            for alias in ALIASES:
                conn.execute(f"DROP DATABASE IF EXISTS bench_{name}_{alias}")
                conn.execute(f"CREATE DATABASE bench_{name}_{alias}")
        os.environ["PARTNERHUB_DATABASE_URL"] = f"{base}/bench_{name}_control"
        os.environ["PARTNERHUB_REGION_DATABASE_URLS"] = ",".join(
            f"{code}={base}/bench_{name}_{code.lower()}" for code in ("US", "CA", "EU", "UAE")
        )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_all", verbosity=0)
    from django.conf import settings

    settings.DEBUG = False


def timings_ms(action: Callable[[], object], *, repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2), "max_ms": round(ordered[-1], 2)}


def save(name: str, engine: str, payload: dict[str, object]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{engine}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def run_per_engine(module: str, engines: tuple[str, ...] = ENGINES) -> int:
    """Run `python -m <module> <engine>` once per engine, each in a fresh process."""
    failures = 0
    for engine in engines:
        print(f"\n=== {module} on {engine} ===", flush=True)
        failures += subprocess.call([sys.executable, "-m", module, engine]) != 0
    return failures
