"""Per-request edges: session lifetimes, the Scope, the set-up wizard gate and MFA enrolment."""

from collections.abc import Callable
from datetime import datetime, timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from .models import Admin
from .scope import Scope, scope_for

Handler = Callable[[HttpRequest], HttpResponse]


class PortalRequest(HttpRequest):
    """A request as the portal's middleware leaves it; for type annotations of views only."""

    user: Admin | AnonymousUser
    scope: Scope | None
    htmx: HtmxDetails


# Recording activity on every request would write the session row on every page; a minute's
# precision is plenty for a 30-minute idle timeout.
_SEEN_RESOLUTION = timedelta(minutes=1)


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
            if seen is None or now - seen > _SEEN_RESOLUTION:
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


class MfaEnrollmentMiddleware:
    """An admin of a partner org that requires two-factor authentication reaches only the MFA
    set-up pages (and sign-out, static files, the language switch) until they have activated an
    authenticator app."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        partner = getattr(user, "partner", None) if user.is_authenticated else None
        if (
            partner is not None
            and partner.require_mfa
            and not request.path.startswith(_mfa_open_prefixes())
            and not Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
        ):
            url = reverse("mfa_activate_totp")
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(url)
            return redirect(url)
        return self.get_response(request)


def _mfa_open_prefixes() -> tuple[str, ...]:
    # allauth asks for the password again before any change to two-factor authentication (unless
    # it was confirmed in the last five minutes), and that page lives outside the 2fa prefix.
    return (
        reverse("mfa_index"),
        reverse("account_logout"),
        reverse("account_reauthenticate"),
        reverse("set_language"),
        settings.STATIC_URL or "/static/",
    )
