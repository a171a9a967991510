"""The data feeds page: what arrived through the API, the command line and uploads, how it went,
and for admins who may ingest, a file to upload."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.decorators import scoped_view
from accounts.middleware import PortalRequest
from accounts.roles import Permission

from .activity import RECENT_DAYS, batch_page, kind_summaries
from .formats import FormatRefused
from .uploads import UploadForm, UploadResult, ingest_upload
from .validation import KINDS


@require_safe
@scoped_view
def activity(request: PortalRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if request.htmx and not request.htmx.boosted:
        return render(request, "ingest/activity.html#batches", _context(request, kind))
    return render(request, "ingest/activity.html", _context(request, kind, upload=UploadForm()))


@require_http_methods(["GET", "HEAD", "POST"])
@scoped_view
def upload(request: PortalRequest) -> HttpResponse:
    """Ingest an uploaded file and show the data feeds page with what became of its rows. The
    answer is shown at this address, so a later visit to it (the language switch, a bookmark)
    goes to the data feeds page rather than a bare 405."""
    if request.method != "POST":
        return redirect("ingest:activity")
    scope = request.scope
    assert scope is not None
    if not scope.can(Permission.INGEST):
        raise PermissionDenied("your role may not ingest data")
    limit: int = settings.PARTNERHUB_INGEST_MAX_BYTES
    if _declared_length(request) > limit + _FORM_OVERHEAD:
        # Refused before Django reads the body: it would otherwise spool all of it to disk first.
        refused = _(
            "The file is larger than %(limit)s bytes, the most taken at once. Split it, or use the command line."
        )
        context = _context(request, "", upload=UploadForm(), upload_refused=refused % {"limit": f"{limit:,}"})
        return render(request, "ingest/activity.html", context, status=413)
    form = UploadForm(request.POST, request.FILES)
    uploaded: UploadResult | None = None
    if form.is_valid():
        try:
            uploaded = ingest_upload(scope, form)
        except FormatRefused as error:
            form.add_error("file", str(error))
    if uploaded is not None:
        form = UploadForm(initial={"kind": uploaded.kind, "format": form.cleaned_data["format"]})
    context = _context(request, "", upload=form, uploaded=uploaded)
    return render(request, "ingest/activity.html", context, status=200 if uploaded is not None else 400)


# What a multipart form adds to the file it carries (boundaries, headers, the other fields).
_FORM_OVERHEAD = 64 * 1024


def _declared_length(request: PortalRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _context(request: PortalRequest, kind: str, **extra: Any) -> dict[str, Any]:
    scope = request.scope
    assert scope is not None
    return {
        "page": batch_page(scope, kind=kind, page=request.GET.get("page", 1)),
        "summaries": kind_summaries(scope),
        "kinds": KINDS,
        "kind": kind if kind in KINDS else "",
        "recent_days": RECENT_DAYS,
        "sees_all": scope.sees_all_partner_customers,
        "may_ingest": scope.can(Permission.INGEST),
        "max_upload_mb": settings.PARTNERHUB_INGEST_MAX_BYTES // (1024 * 1024),
        **extra,
    }
