"""The one NinjaAPI of Partner Hub, at /api/v1/."""

from ninja import NinjaAPI

from . import analytics, customers, errors, ingest, tags, trials
from .auth import TokenAuth

api = NinjaAPI(
    title="Partner Hub API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    description="Token-authenticated access to what the token's admin may see.",
)
errors.install(api)
api.add_router("/", customers.router)
api.add_router("/", tags.router)
api.add_router("/", trials.router)
api.add_router("/", ingest.router)
api.add_router("/", analytics.router)
