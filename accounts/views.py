"""Home page, the partner org's set-up wizard, the partner's Admins page and the signed-in
admin's own profile with API tokens."""

import logging
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import queries, services
from .decorators import scoped_view
from .forms import AdminActiveForm, InviteAdminForm, PlanForm, RoleForm, SetupForm, TokenForm
from .middleware import PortalRequest
from .models import Admin, ApiToken, PartnerOrg
from .roles import ALL_CUSTOMER_ROLES, Permission, Role
from .scope import Scope

logger = logging.getLogger(__name__)


def unknown_action(action: str) -> HttpResponse:
    """The answer to a POST whose action no button of the page sends (a stale or forged form):
    400 naming it, so that nothing passes for a success. Plain text, as the action is input."""
    message = _("Unknown action “%(action)s”: nothing was changed.") % {"action": action}
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@require_safe
@login_required
def home(request: PortalRequest) -> HttpResponse:
    summary = queries.home_summary(request.scope) if request.scope is not None else None
    context = {
        "summary": summary,
        "customer_list_url": _url_or_none("customers:list"),
        "attention_query": queries.ATTENTION_QUERY,
    }
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


@dataclass(frozen=True, slots=True)
class Invitation:
    """A set-password link just issued for an invited admin, shown to the inviting admin once."""

    email: str
    link: str
    emailed: bool
    valid_days: int


def _partner_admins(scope: Scope) -> QuerySet[Admin]:
    totp = Authenticator.objects.filter(user_id=OuterRef("pk"), type=Authenticator.Type.TOTP)
    return (
        Admin.objects.filter(partner_id=scope.partner_id)
        .annotate(customer_count=Count("customer_access"), mfa_enabled=Exists(totp))
        .order_by("email")
    )


def _admins_page(
    request: PortalRequest,
    scope: Scope,
    *,
    invite_form: InviteAdminForm | None = None,
    invitation: Invitation | None = None,
) -> HttpResponse:
    context = {
        "admins": _partner_admins(scope),
        "all_customer_roles": ALL_CUSTOMER_ROLES,
        "may_manage": scope.can(Permission.MANAGE_ADMINS),
        "invite_form": invite_form or InviteAdminForm(),
        "role_choices": Role.choices,
        "invitation": invitation,
    }
    return render(request, "accounts/admins.html", context)


def _invite(request: PortalRequest, scope: Scope, admin: Admin) -> Invitation:
    """Issue a set-password link for an admin who has none yet, e-mail it, and return it so the
    inviting admin can also hand it over. The link is allauth's password reset link: it works once
    (setting the password changes the hash it signs) and expires after PASSWORD_RESET_TIMEOUT."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(admin), "key": default_token_generator.make_token(admin)},
    )
    link = request.build_absolute_uri(path)
    valid_days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    partner_name = PartnerOrg.objects.only("name").get(pk=scope.partner_id).name
    context = {"admin": admin, "partner_name": partner_name, "inviter": request.user, "link": link, "days": valid_days}
    subject = _("You are invited to Partner Hub for %(partner)s") % {"partner": partner_name}
    try:
        send_mail(subject, render_to_string("accounts/email/invitation.txt", context), None, [admin.email])
    except OSError:
        # The admin exists either way; the inviting admin still sees the link and can pass it on.
        logger.exception("could not send the invitation e-mail to admin %s", admin.pk)
        emailed = False
    else:
        emailed = True
    return Invitation(email=admin.email, link=link, emailed=emailed, valid_days=valid_days)


@require_safe
@scoped_view
def admin_list(request: PortalRequest) -> HttpResponse:
    """The partner's admins: everyone of the partner sees the list, full admins manage it."""
    scope = request.scope
    assert scope is not None
    return _admins_page(request, scope)


@require_POST
@scoped_view
def admin_invite(request: PortalRequest) -> HttpResponse:
    """Create an admin without a password and show the set-password link once. The link is never
    stored, so it is shown in the answer to this POST rather than after a redirect."""
    scope = request.scope
    assert scope is not None
    scope.require(Permission.MANAGE_ADMINS)
    form = InviteAdminForm(request.POST)
    if not form.is_valid():
        return _admins_page(request, scope, invite_form=form)
    try:
        admin = services.create_admin(
            scope=scope,
            partner=PartnerOrg.objects.get(pk=scope.partner_id),
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            display_name=form.cleaned_data["display_name"].strip(),
            password=None,
        )
    except services.InvalidInput as error:
        form.add_error(None, str(error))
        return _admins_page(request, scope, invite_form=form)
    return _admins_page(request, scope, invitation=_invite(request, scope, admin))


@require_POST
@scoped_view
def admin_reinvite(request: PortalRequest, pk: int) -> HttpResponse:
    """A new set-password link for an invited admin who has not set a password yet (the first
    one expired or got lost). Never for an admin with a password: that would let one admin take
    over another's account."""
    scope = request.scope
    assert scope is not None
    admin = get_object_or_404(Admin.objects.filter(partner_id=scope.partner_id), pk=pk)
    scope.require(Permission.MANAGE_ADMINS)
    if admin.has_usable_password():
        messages.error(request, _("%(email)s has already set a password.") % {"email": admin.email})
        return redirect("accounts:admins")
    if not admin.is_active:
        messages.error(request, _("%(email)s is deactivated; reactivate them first.") % {"email": admin.email})
        return redirect("accounts:admins")
    return _admins_page(request, scope, invitation=_invite(request, scope, admin))


@require_POST
@scoped_view
def admin_role(request: PortalRequest, pk: int) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    admin = get_object_or_404(Admin.objects.filter(partner_id=scope.partner_id), pk=pk)
    scope.require(Permission.MANAGE_ADMINS)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return redirect("accounts:admins")
    try:
        admin = services.change_role(scope=scope, admin=admin, role=form.cleaned_data["role"])
    except services.InvalidInput as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(email)s is now %(role)s.") % {"email": admin.email, "role": admin.get_role_display()}
        )
    return redirect("accounts:admins")


@require_POST
@scoped_view
def admin_active(request: PortalRequest, pk: int) -> HttpResponse:
    """Deactivate or reactivate an admin; a deactivated admin is signed out at its next request
    and loses its API tokens (accounts.services.set_admin_active)."""
    scope = request.scope
    assert scope is not None
    admin = get_object_or_404(Admin.objects.filter(partner_id=scope.partner_id), pk=pk)
    scope.require(Permission.MANAGE_ADMINS)
    form = AdminActiveForm(request.POST)
    if not form.is_valid():
        return unknown_action(request.POST.get("active", ""))
    active = form.cleaned_data["active"]
    try:
        admin = services.set_admin_active(scope=scope, admin=admin, active=active)
    except services.InvalidInput as error:
        messages.error(request, str(error))
    else:
        done = _("%(email)s is active again.") if active else _("%(email)s is deactivated and signed out.")
        messages.success(request, done % {"email": admin.email})
    return redirect("accounts:admins")


def _profile_page(
    request: PortalRequest, *, token_form: TokenForm | None = None, new_token: str | None = None
) -> HttpResponse:
    admin = request.user
    assert isinstance(admin, Admin)
    context = {
        "tokens": [
            (token, sorted(token.scope_set))
            for token in ApiToken.objects.filter(admin_id=admin.pk, revoked_at__isnull=True).order_by("-created_at")
        ],
        "token_form": token_form or TokenForm(role=admin.role),
        "new_token": new_token,
        "mfa_enabled": Authenticator.objects.filter(user_id=admin.pk, type=Authenticator.Type.TOTP).exists(),
    }
    return render(request, "accounts/profile.html", context)


@require_safe
@scoped_view
def profile(request: PortalRequest) -> HttpResponse:
    """The signed-in admin's own account: who they are, two-factor status and API tokens."""
    return _profile_page(request)


@require_POST
@scoped_view
def token_create(request: PortalRequest) -> HttpResponse:
    """Create an API token; the raw token exists only in this answer (only its hash is stored)."""
    admin = request.user
    assert isinstance(admin, Admin)
    form = TokenForm(request.POST, role=admin.role)
    if not form.is_valid():
        return _profile_page(request, token_form=form)
    _token, raw = services.create_token(admin=admin, scopes=form.cleaned_data["scopes"], name=form.cleaned_data["name"])
    return _profile_page(request, new_token=raw)


@require_POST
@scoped_view
def token_revoke(request: PortalRequest, pk: int) -> HttpResponse:
    admin = request.user
    assert isinstance(admin, Admin)
    if not services.revoke_token(admin=admin, token_id=pk):
        raise Http404("no such token")
    messages.success(request, _("The token was revoked; it no longer works."))
    return redirect("accounts:profile")
