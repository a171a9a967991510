"""Customer pages: the list with its filters, CSV export, bulk tagging, saved views, and the
customer page with its tabs."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.decorators import scoped_view
from accounts.middleware import PortalRequest
from accounts.models import Admin
from accounts.roles import Permission, Role
from accounts.scope import Scope
from accounts.services import InvalidInput
from accounts.views import unknown_action

from . import queries, rules, services
from .export import csv_response
from .filters import CustomerFilterSet
from .forms import BulkTagForm, SavedViewForm
from .models import Customer, SavedView, Tag
from .queries import EXPORT_COLUMNS, customer_page, iter_customer_rows

# Parameters that are part of a view (filters and sort), as opposed to the page number.
_VIEW_PARAMS = ("q", "admin", "product", "status", "subscription_type", "tag", "region", "sort")


def _view_query(params: QueryDict) -> str:
    kept = QueryDict(mutable=True)
    for name in _VIEW_PARAMS:
        values = [v for v in params.getlist(name) if v]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def _posted_tag(request: PortalRequest, scope: Scope) -> Tag:
    """The tag whose id the form posted as `tag`: anything else is a 404, like a tag out of scope."""
    key = request.POST.get("tag", "")
    if not key.isdecimal():
        raise Http404("no such tag")
    return get_object_or_404(Tag.objects.visible_to(scope), pk=key)


@require_safe
@scoped_view
def customer_list(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    filters = CustomerFilterSet(request.GET or None, scope=scope)
    page = customer_page(scope, filters.qs, page=request.GET.get("page", 1))
    context = {
        "filters": filters,
        "page": page,
        "view_query": _view_query(request.GET),
        "tags": list(Tag.objects.visible_to(scope)),
        "saved_views": list(SavedView.objects.filter(admin_id=scope.admin_id)),
        "may_assign_tags": scope.can(Permission.ASSIGN_TAGS),
        "may_edit_tags": scope.can(Permission.EDIT_TAGS),
        "may_manage_trials": scope.can(Permission.MANAGE_TRIALS),
        "trial_url": reverse("trials:start"),
    }
    template = "customers/list.html#results" if request.htmx and not request.htmx.boosted else "customers/list.html"
    return render(request, template, context)


@require_safe
@scoped_view
def customer_export(request: PortalRequest) -> HttpResponseBase:
    scope = request.scope
    assert scope is not None
    filters = CustomerFilterSet(request.GET or None, scope=scope)
    filename = f"customers_{timezone.now():%Y-%m-%d}.csv"
    return csv_response(filename, EXPORT_COLUMNS, iter_customer_rows(scope, filters.qs))


@require_POST
@scoped_view
def bulk_tag(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    form = BulkTagForm(request.POST, scope=scope)
    back = f"{redirect('customers:list').url}?{request.POST.get('return_query', '')}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    tag, org_ids = form.cleaned_data["tag"], [c.org_id for c in form.cleaned_data["org_ids"]]
    try:
        if form.cleaned_data["action"] == "add":
            changed = services.tag_customers(scope=scope, tag=tag, org_ids=org_ids)
            messages.success(request, _("Tag “%(tag)s” added to %(n)d customer(s).") % {"tag": tag.name, "n": changed})
        else:
            changed = services.untag_customers(scope=scope, tag=tag, org_ids=org_ids)
            messages.success(
                request, _("Tag “%(tag)s” removed from %(n)d customer(s).") % {"tag": tag.name, "n": changed}
            )
    except InvalidInput as error:
        messages.error(request, str(error))
    return redirect(back)


@require_POST
@scoped_view
def save_view(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    form = SavedViewForm(request.POST)
    query = _view_query(QueryDict(request.POST.get("query", "")))
    # Re-encoding can lengthen a query that the form found short enough (raw non-ASCII text).
    longest = SavedView._meta.get_field("query").max_length
    if longest is not None and len(query) > longest:
        messages.error(request, _("This view has too many filters to be saved."))
        return redirect("customers:list")
    if form.is_valid():
        SavedView.objects.update_or_create(
            admin_id=scope.admin_id, name=form.cleaned_data["name"].strip(), defaults={"query": query}
        )
        messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"].strip()})
    else:
        messages.error(request, _("A saved view needs a name of at most 80 characters."))
    return redirect(f"{redirect('customers:list').url}?{query}")


@require_POST
@scoped_view
def delete_view(request: PortalRequest, pk: int) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    view = get_object_or_404(SavedView, pk=pk, admin_id=scope.admin_id)
    view.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("customers:list")


_TABS = ("subscriptions", "trials", "admins")


def _removable_admin_ids(scope: Scope, detail: queries.CustomerDetail) -> frozenset[int]:
    """The admins listed on the Partner admins tab whose assignment or grant the scope may remove
    (the service decides; this only spares offering a button that would answer 403)."""
    if not scope.can(Permission.MANAGE_ASSIGNMENTS):
        return frozenset()
    with_access = [a.admin_id for a in detail.admins if a.access != "all customers"]
    return frozenset(
        pk
        for pk, partner_id in Admin.objects.filter(pk__in=with_access).values_list("pk", "partner_id")
        if rules.can_take_access(
            actor_partner_id=scope.partner_id, customer_partner_id=detail.row.partner_id, admin_partner_id=partner_id
        )
    )


@require_safe
@scoped_view
def customer_detail(request: PortalRequest, org_id: uuid.UUID) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    detail = queries.customer_detail(scope, org_id)
    tab = request.GET.get("tab") if request.GET.get("tab") in _TABS else "subscriptions"
    may_give_access = scope.can(Permission.MANAGE_ASSIGNMENTS) and rules.can_give_access(
        actor_partner_id=scope.partner_id, customer_partner_id=detail.row.partner_id
    )
    context = {
        "detail": detail,
        "customer": detail.row,
        "tab": tab,
        "today": timezone.now().date(),
        "tags": list(Tag.objects.visible_to(scope)),
        "audit_events": queries.recent_changes(scope, org_id=org_id, managing_partner_id=detail.row.partner_id),
        "may_assign_tags": scope.can(Permission.ASSIGN_TAGS),
        "may_manage_trials": scope.can(Permission.MANAGE_TRIALS),
        "may_manage_assignments": scope.can(Permission.MANAGE_ASSIGNMENTS),
        "removable_admin_ids": _removable_admin_ids(scope, detail),
        "assignable_admins": list(
            Admin.objects.filter(partner_id=detail.row.partner_id, role=Role.PARTNER_ADMIN, is_active=True)
            .exclude(pk__in=[a.admin_id for a in detail.admins])
            .order_by("email")
        )
        if may_give_access
        else [],
        "may_grant": may_give_access,
    }
    template = "customers/detail.html#tab" if request.htmx and not request.htmx.boosted else "customers/detail.html"
    return render(request, template, context)


@require_POST
@scoped_view
def customer_tags(request: PortalRequest, org_id: uuid.UUID) -> HttpResponse:
    """Add or remove one tag on this customer."""
    scope = request.scope
    assert scope is not None
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    tag = _posted_tag(request, scope)
    changes = {"add": services.tag_customers, "remove": services.untag_customers}
    action = request.POST.get("action", "")
    if action not in changes:
        return unknown_action(action)
    changes[action](scope=scope, tag=tag, org_ids=[customer.org_id])
    return redirect("customers:detail", org_id=customer.org_id)


@require_POST
@scoped_view
def customer_access(request: PortalRequest, org_id: uuid.UUID) -> HttpResponse:
    """Assign or unassign a partner admin, or grant or revoke an external admin, on one customer."""
    scope = request.scope
    assert scope is not None
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    changes = {"assign": services.assign_admin, "grant": services.grant_external, "revoke": services.revoke_access}
    action = request.POST.get("action", "")
    if action not in changes:
        return unknown_action(action)
    email = request.POST.get("email", "").strip().lower()
    # PostgreSQL refuses a NUL character in a query parameter; no e-mail address holds one.
    admin = Admin.objects.filter(email=email, is_active=True).first() if "\x00" not in email else None
    back = redirect(f"{reverse('customers:detail', args=[customer.org_id])}?tab=admins")
    if admin is None:
        messages.error(request, _("No active admin with e-mail %(email)s.") % {"email": email or "—"})
        return back
    try:
        changes[action](scope=scope, org_id=customer.org_id, admin=admin)
    except services.CustomerConflict as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Access of %(email)s updated.") % {"email": admin.email})
    return back


@require_http_methods(["GET", "POST"])
@scoped_view
def tag_list(request: PortalRequest) -> HttpResponse:
    """The partner's tags: every admin sees them; full and partner admins create, rename,
    recolour and delete them."""
    scope = request.scope
    assert scope is not None
    if request.method == "POST":
        action = request.POST.get("action", "")
        # An unknown tag is a 404 whatever the action, as everywhere else.
        tag = None if action == "create" else _posted_tag(request, scope)
        if action not in ("create", "update", "delete"):
            return unknown_action(action)
        try:
            if tag is None:
                services.create_tag(scope=scope, name=request.POST.get("name", ""), color=request.POST.get("color", ""))
            elif action == "delete":
                services.delete_tag(scope=scope, tag=tag)
            else:
                services.update_tag(
                    scope=scope, tag=tag, name=request.POST.get("name"), color=request.POST.get("color")
                )
        except InvalidInput as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Tags updated."))
        return redirect("customers:tags_page")
    tags = Tag.objects.visible_to(scope).with_customer_counts(scope)
    return render(request, "customers/tags.html", {"tags": tags, "may_edit_tags": scope.can(Permission.EDIT_TAGS)})
