"""Settings shared by every environment; dev-safe defaults, overridden by the environment."""

from datetime import timedelta

from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from .environment import BASE_DIR, VAR_DIR, databases, env, env_bool, env_int

SECRET_KEY = env("PARTNERHUB_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("PARTNERHUB_DEBUG", False)
ALLOWED_HOSTS = [h for h in env("PARTNERHUB_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "template_partials",
    "django_filters",
    "django_tables2",
    "csp",
    "ninja",
    "huey.contrib.djhuey",
    "bootstrap",
    "partnerhub",
    "accounts",
    "regions",
    "customers",
    "subscriptions",
    "inventory",
    "calling",
    "analytics",
    "reports",
    "resources",
    "ingest",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.ScopeMiddleware",
    "accounts.middleware.SetupWizardMiddleware",
    "accounts.middleware.MfaEnrollmentMiddleware",
]

ROOT_URLCONF = "partnerhub.urls"
WSGI_APPLICATION = "partnerhub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.portal",
            ],
        },
    }
]

DATABASES = databases()
DATABASE_ROUTERS = ["regions.router.RegionRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Admin"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: e-mail sign-in only; partners invite their admins, nobody signs up alone.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.PortalAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Partner Hub"
SOCIALACCOUNT_ONLY = False

# Sessions: an idle admin is signed out after PARTNERHUB_SESSION_IDLE_MINUTES, everyone after
# PARTNERHUB_SESSION_MAX_HOURS whatever they do (accounts.middleware enforces both).
PARTNERHUB_SESSION_IDLE = timedelta(minutes=env_int("PARTNERHUB_SESSION_IDLE_MINUTES", 30))
PARTNERHUB_SESSION_MAX_AGE = timedelta(hours=env_int("PARTNERHUB_SESSION_MAX_HOURS", 12))
SESSION_COOKIE_AGE = int(PARTNERHUB_SESSION_MAX_AGE.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Status windows of SPEC 5.1, in days.
PARTNERHUB_EXPIRING_SOON_DAYS = env_int("PARTNERHUB_EXPIRING_SOON_DAYS", 30)
PARTNERHUB_INACTIVE_DAYS = env_int("PARTNERHUB_INACTIVE_DAYS", 30)

# Raw call legs are kept this long (13 months: a year-over-year comparison of any month), the
# rollups read from them for ever (calling.retention). At least five weeks: calling weeks are
# frozen the Sunday after they end, and a late leg is placed in its call by the call's earlier legs.
PARTNERHUB_CALL_LEG_RETENTION_DAYS = env_int("PARTNERHUB_CALL_LEG_RETENTION_DAYS", 396, least=35)

REDIS_URL = env("PARTNERHUB_REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Login rate limits live in the cache, so it must be shared between processes: never LocMem.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "partnerhub_cache"}}

HUEY = {
    "name": "partnerhub",
    "immediate": env_bool("PARTNERHUB_TASKS_IMMEDIATE", False),
    "results": False,
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY |= {"huey_class": "huey.RedisHuey", "url": REDIS_URL}
else:
    HUEY |= {"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "tasks.sqlite3")}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "partnerhub.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

PARTNERHUB_REPORTS_DIR = VAR_DIR / "reports"

# Largest ingestion request body (bytes); bigger ones answer 413 and are sent in several batches.
PARTNERHUB_INGEST_MAX_BYTES = env_int("PARTNERHUB_INGEST_MAX_BYTES", 50 * 1024 * 1024)

# Content Security Policy: scripts only from us (plus a per-request nonce for inline config);
# styles allow inline because the chart library's hover layer sets style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 1000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("PARTNERHUB_LOG_LEVEL", "INFO")},
}
