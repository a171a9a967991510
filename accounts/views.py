"""Home page and the partner org's set-up wizard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import queries, services
from .forms import PlanForm, SetupForm
from .middleware import PortalRequest
from .roles import Permission


@require_GET
@login_required
def home(request: PortalRequest) -> HttpResponse:
    summary = queries.home_summary(request.scope) if request.scope is not None else None
    context = {"summary": summary, "customer_list_url": _url_or_none("customers:list")}
    return render(request, "accounts/home.html", context)


def _url_or_none(url_name: str) -> str | None:
    # Sections arrive one app at a time; the home page links to those that exist.
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def setup_wizard(request: PortalRequest) -> HttpResponse:
    """Step 1 reviews the plan (a GET form, nothing changes), step 2 accepts the terms (POST)."""
    partner = request.user.partner  # type: ignore[union-attr]
    scope = request.scope
    if partner is None or partner.is_live or scope is None:
        return redirect("home")
    context: dict[str, object] = {"partner": partner, "may_set_up": scope.can(Permission.SET_UP_ORG)}
    if request.method == "POST":
        scope.require(Permission.SET_UP_ORG)
        form = SetupForm(request.POST)
        if form.is_valid():
            services.accept_terms(scope=scope, plan=form.cleaned_data["plan"])
            messages.success(request, _("%(partner)s is live. Welcome to Partner Hub.") % {"partner": partner.name})
            return redirect("home")
        return render(request, "accounts/setup.html", context | {"step": 2, "form": form})
    plan_form = PlanForm(request.GET if "plan" in request.GET else None, initial={"plan": partner.plan})
    if plan_form.is_valid():
        plan = plan_form.cleaned_data["plan"]
        return render(request, "accounts/setup.html", context | {"step": 2, "form": SetupForm(initial={"plan": plan})})
    return render(request, "accounts/setup.html", context | {"step": 1, "plan_form": plan_form})
