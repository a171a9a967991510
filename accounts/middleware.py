"""Per-request edges: session lifetimes, the Scope, and the set-up wizard gate."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .scope import scope_for

Handler = Callable[[HttpRequest], HttpResponse]


class SessionLifetimeMiddleware:
    """Sign out an admin idle for PARTNERHUB_SESSION_IDLE, or signed in longer than
    PARTNERHUB_SESSION_MAX_AGE, whatever they are doing."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now()
            started = _stamp(request.session.get("partnerhub_started_at"))
            seen = _stamp(request.session.get("partnerhub_seen_at"))
            if started is None:
                request.session["partnerhub_started_at"] = now.isoformat()
            elif now - started > settings.PARTNERHUB_SESSION_MAX_AGE or (
                seen is not None and now - seen > settings.PARTNERHUB_SESSION_IDLE
            ):
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            request.session["partnerhub_seen_at"] = now.isoformat()
        return self.get_response(request)


def _stamp(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


class ScopeMiddleware:
    """Resolve the signed-in admin's Scope once per request (`request.scope`, None if anonymous)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        request.scope = scope_for(user) if user.is_authenticated and user.partner_id else None  # type: ignore[attr-defined, union-attr]
        return self.get_response(request)


# Paths an admin of a partner org that is not live yet may still reach.
_WIZARD_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/setup/", "/api/", "/admin/")


class SetupWizardMiddleware:
    """Until the partner org has accepted the terms, every page leads to the set-up wizard."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "partner", None) is not None
            and not user.partner.is_live  # type: ignore[union-attr]
            and not request.path.startswith(_WIZARD_OPEN_PREFIXES)
        ):
            return redirect("accounts:setup")
        return self.get_response(request)
