"""The data feeds page: what arrived through the API and the command line, and how it went."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import scoped_view
from accounts.middleware import PortalRequest

from .activity import RECENT_DAYS, batch_page, kind_summaries
from .validation import KINDS


@require_GET
@scoped_view
def activity(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    kind = request.GET.get("kind", "")
    context = {
        "page": batch_page(scope, kind=kind, page=request.GET.get("page", 1)),
        "summaries": kind_summaries(scope),
        "kinds": KINDS,
        "kind": kind if kind in KINDS else "",
        "recent_days": RECENT_DAYS,
        "sees_all": scope.sees_all_partner_customers,
    }
    template = "ingest/activity.html#batches" if request.htmx and not request.htmx.boosted else "ingest/activity.html"
    return render(request, template, context)
