"""Production: secrets and hosts must come from the environment; HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .environment import env, env_int

DEBUG = False
SECRET_KEY = env("PARTNERHUB_SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("PARTNERHUB_SECRET_KEY must be set to a random string of 50+ characters")
ALLOWED_HOSTS = [h for h in env("PARTNERHUB_ALLOWED_HOSTS").split(",") if h]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("PARTNERHUB_ALLOWED_HOSTS must list the host names the portal answers on")
CSRF_TRUSTED_ORIGINS = [f"https://{h}" for h in ALLOWED_HOSTS]

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("PARTNERHUB_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
