"""The one NinjaAPI of Partner Hub, at /api/v1/, and its URL configuration (`urls`)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path, reverse
from django.views.decorators.csrf import csrf_exempt
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


def _in_error_shape(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`view` answering in the one error shape where ninja answers outside its operations: a
    method a path does not take gets a plain-text 405 from ninja, and the API's root raises Http404
    (Django's HTML page). Every operation is synchronous; an async one would need an async wrapper."""

    @wraps(view)  # keeps ninja's csrf_exempt
    def shaped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            docs = reverse("api:openapi-view")
            detail = f"There is no such path in this API (paths end without a slash); {docs} lists them."
            return api.on_exception(request, errors.ApiError(404, detail))
        if isinstance(response, HttpResponseNotAllowed):
            detail = f"{request.method} is not allowed on this path; it takes {response['Allow']}."
            refused = api.on_exception(request, errors.ApiError(405, detail))
            refused["Allow"] = response["Allow"]
            return refused
        return response

    return shaped


@csrf_exempt  # as ninja's views: a POST to a mistyped path is a 404 in the one shape, not a CSRF page
def _unknown_path(request: HttpRequest) -> HttpResponse:
    # Answered without authentication: which paths exist is public in openapi.json, and the answer
    # does not depend on any id in the path, so it tells an anonymous caller nothing about data.
    raise Http404


def _urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL configuration, answering every path under it in the one error shape."""
    patterns, app_name, namespace = api.urls
    shaped: list[URLPattern | URLResolver] = [
        URLPattern(p.pattern, _in_error_shape(p.callback), p.default_args, p.name) if isinstance(p, URLPattern) else p
        for p in patterns
    ]
    return [*shaped, re_path(r"", _in_error_shape(_unknown_path))], app_name, namespace


urls = _urls()
