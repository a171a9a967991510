"""Every PARTNERHUB_* environment variable is read here, and only here."""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REGION_CODES = ("US", "CA", "EU", "UAE")


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, least: int = 0) -> int:
    """A whole number of at least `least`; a clear error naming the variable otherwise."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: {raw!r} is not a whole number") from None
    if value < least:
        raise ImproperlyConfigured(f"{name}: {value} is below the least allowed, {least}")
    return value


VAR_DIR = Path(env("PARTNERHUB_VAR_DIR", str(BASE_DIR / "var")))


def database_from_url(url: str) -> dict[str, object]:
    """Turn `postgres://user:pass@host:port/name` or `sqlite:///path` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return sqlite_database(Path(unquote(parsed.path)))
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError(f"unsupported database URL scheme {parsed.scheme!r} (use postgres:// or sqlite:///)")
    options = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def sqlite_database(path: Path) -> dict[str, object]:
    path.parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web and the worker read while the other writes; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def region_database_urls() -> dict[str, str]:
    """Parse PARTNERHUB_REGION_DATABASE_URLS, e.g. `US=postgres://...,EU=postgres://...`."""
    raw = env("PARTNERHUB_REGION_DATABASE_URLS")
    urls: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        code, sep, url = part.partition("=")
        code = code.strip().upper()
        if not sep or code not in REGION_CODES:
            raise ValueError(
                f"PARTNERHUB_REGION_DATABASE_URLS: cannot read {part!r}; expected CODE=URL with CODE in {REGION_CODES}"
            )
        urls[code] = url.strip()
    return urls


def databases() -> dict[str, dict[str, object]]:
    control_url = env("PARTNERHUB_DATABASE_URL")
    result = {
        "default": database_from_url(control_url) if control_url else sqlite_database(VAR_DIR / "control.sqlite3"),
    }
    region_urls = region_database_urls()
    for code in REGION_CODES:
        url = region_urls.get(code)
        result[f"region_{code.lower()}"] = (
            database_from_url(url) if url else sqlite_database(VAR_DIR / f"region-{code.lower()}.sqlite3")
        )
    return result
