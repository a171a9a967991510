"""Home page and the partner org's set-up wizard."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .forms import SetupForm
from .roles import Permission


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html")


@require_http_methods(["GET", "POST"])
@login_required
def setup_wizard(request: HttpRequest) -> HttpResponse:
    partner = request.user.partner  # type: ignore[union-attr]
    if partner is None or partner.is_live:
        return redirect("home")
    scope = request.scope  # type: ignore[attr-defined]
    may_set_up = scope is not None and scope.can(Permission.SET_UP_ORG)
    form = SetupForm(request.POST or None, initial={"plan": partner.plan})
    if request.method == "POST" and may_set_up and form.is_valid():
        services.accept_terms(scope=scope, plan=form.cleaned_data["plan"])
        return redirect("home")
    return render(request, "accounts/setup.html", {"form": form, "partner": partner, "may_set_up": may_set_up})
