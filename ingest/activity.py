"""What arrived through ingestion: the batches recorded in the audit log ("ingest.batch"), as
the data feeds page shows them. Admins who see every customer of their partner see all of its
batches; the others see the batches they sent themselves (a batch may hold rows of customers
they do not manage)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent
from accounts.scope import Scope

from .validation import KINDS

BATCH_ACTION = "ingest.batch"
PER_PAGE = 50
RECENT_DAYS = 7
SOURCES: dict[str, Promise] = {
    "api": _("API"),
    "cli": _("Command line"),
    "web": _("Upload"),
    "demo": _("Demo data"),
}


@dataclass(frozen=True, slots=True)
class Batch:
    """One ingested batch, as its audit event recorded it."""

    at: datetime
    kind: str
    source: str
    sender: str  # the admin's e-mail, or "" for the operator's command line
    rows: int
    accepted: int
    duplicates: int
    rejected: int

    @property
    def source_label(self) -> str:
        return str(SOURCES.get(self.source, self.source))

    @property
    def sender_label(self) -> str:
        """Who sent it: the admin, or the operator of a command run for the whole partner."""
        if self.sender:
            return self.sender
        return str(_("Operator (command line)")) if self.source == "cli" else ""


@dataclass(frozen=True, slots=True)
class KindSummary:
    """One kind's latest batch and its last RECENT_DAYS days."""

    kind: str
    last_at: datetime
    batches: int
    accepted: int
    rejected: int


def _count(after: object, name: str) -> int:
    value = after.get(name) if isinstance(after, dict) else None
    return value if isinstance(value, int) else 0


def _batch(event: AuditEvent) -> Batch:
    after = event.after if isinstance(event.after, dict) else {}
    return Batch(
        at=event.at,
        kind=str(after.get("kind", event.object_id)),
        source=str(after.get("source", "")),
        sender=event.actor.email if event.actor is not None else "",
        rows=_count(after, "rows"),
        accepted=_count(after, "accepted"),
        duplicates=_count(after, "duplicates"),
        rejected=_count(after, "rejected"),
    )


def visible_batches(scope: Scope) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(action=BATCH_ACTION, partner_id=scope.partner_id)
    if not scope.sees_all_partner_customers:
        events = events.filter(actor_id=scope.admin_id)
    return events


def batch_page(scope: Scope, *, kind: str = "", page: str | int = 1) -> Page[Batch]:
    """The scope's batches, newest first, PER_PAGE at a time; only of `kind` when it is one."""
    events = visible_batches(scope).select_related("actor").order_by("-at", "-id")
    if kind in KINDS:
        events = events.filter(object_id=kind)
    found = Paginator(events, PER_PAGE).get_page(page)
    return Page([_batch(event) for event in found.object_list], found.number, found.paginator)  # type: ignore[arg-type]


def kind_summaries(scope: Scope, *, now: datetime | None = None) -> list[KindSummary]:
    """Per kind that ever arrived: its latest batch, and the batches and rows of the last
    RECENT_DAYS days."""
    since = (now or timezone.now()) - timedelta(days=RECENT_DAYS)
    events = visible_batches(scope)
    latest = dict(events.order_by().values_list("object_id").annotate(last=Max("at")))
    recent: dict[str, list[int]] = {}
    for after in events.filter(at__gte=since).values_list("after", flat=True):
        kind = str(after.get("kind", "")) if isinstance(after, dict) else ""
        figures = recent.setdefault(kind, [0, 0, 0])
        figures[0] += 1
        figures[1] += _count(after, "accepted")
        figures[2] += _count(after, "rejected")
    ordered = sorted(latest, key=lambda kind: KINDS.index(kind) if kind in KINDS else len(KINDS))
    return [KindSummary(kind, latest[kind], *recent.get(kind, [0, 0, 0])) for kind in ordered]
