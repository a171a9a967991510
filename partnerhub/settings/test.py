"""Fast, isolated test settings. PARTNERHUB_TEST_POSTGRES=postgres://user@host:port runs every
alias on PostgreSQL, each under its own test database name."""

from .base import *  # noqa: F403
from .base import DATABASES
from .environment import REGION_CODES, database_from_url, env

DEBUG = False
_postgres = env("PARTNERHUB_TEST_POSTGRES")
if _postgres:
    for _alias in DATABASES:
        DATABASES[_alias] = database_from_url(_postgres) | {"CONN_MAX_AGE": 0}
# Two aliases with one test name would silently share a database: name each one. A suffix lets
# two runs share one PostgreSQL server.
_suffix = env("PARTNERHUB_TEST_DB_SUFFIX")
for _alias in DATABASES:
    DATABASES[_alias]["TEST"] = {"NAME": f"test_partnerhub_{_alias}{_suffix}"}
    if not _postgres:
        DATABASES[_alias]["TEST"] = {"NAME": f"file:memorydb_{_alias}?mode=memory&cache=shared"}

assert len(REGION_CODES) + 1 == len(DATABASES)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
HUEY = HUEY | {"immediate": True}  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the installed packages: nothing to collect first.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
