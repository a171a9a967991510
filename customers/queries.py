"""Reads of the customer directory for the list page, its CSV export and the API."""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessKind, AuditEvent, CustomerAccess
from accounts.scope import Scope

from .export import Column
from .models import Customer

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class TagChip:
    id: int
    name: str
    color: str


@dataclass(frozen=True, slots=True)
class CustomerRow:
    org_id: uuid.UUID
    name: str
    region: str
    statuses: tuple[str, ...]
    products: tuple[str, ...]
    tags: tuple[TagChip, ...]
    external_id: str
    managed_by: str  # "partner" or "external"
    managing_partner: str
    partner_id: int
    last_admin_activity_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CustomerPage:
    rows: tuple[CustomerRow, ...]
    count: int
    number: int
    num_pages: int
    has_previous: bool
    has_next: bool


def _row(customer: Customer, scope: Scope) -> CustomerRow:
    return CustomerRow(
        org_id=customer.org_id,
        name=customer.name,
        region=customer.region,
        statuses=tuple(customer.status_list),
        products=tuple(customer.product_list),
        # A customer granted to an external admin may carry tags of two partners: each sees its own.
        tags=tuple(TagChip(t.pk, t.name, t.color) for t in customer.tags.all() if t.partner_id == scope.partner_id),
        external_id=customer.external_id,
        managed_by="partner" if customer.partner_id == scope.partner_id else "external",
        managing_partner=customer.partner.name,
        partner_id=customer.partner_id,
        last_admin_activity_at=customer.last_admin_activity_at,
        created_at=customer.created_at,
    )


def _with_relations(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    return customers.select_related("partner").prefetch_related("tags")


def customer_page(
    scope: Scope, customers: QuerySet[Customer], *, page: int | str = 1, per_page: int = PAGE_SIZE
) -> CustomerPage:
    """One page of an already filtered (and scoped) list, with the total count of matches.
    Three queries whatever the page size: count, page, tags."""
    paginator = Paginator(_with_relations(customers), per_page)
    current = paginator.get_page(page)
    return CustomerPage(
        rows=tuple(_row(c, scope) for c in current.object_list),
        count=paginator.count,
        number=current.number,
        num_pages=paginator.num_pages,
        has_previous=current.has_previous(),
        has_next=current.has_next(),
    )


def customer_slice(
    scope: Scope, customers: QuerySet[Customer], *, offset: int, limit: int
) -> tuple[int, list[CustomerRow]]:
    """The API's view: total matches and rows `offset` to `offset + limit`."""
    rows = [_row(c, scope) for c in _with_relations(customers)[offset : offset + limit]]
    return customers.count(), rows


def iter_customer_rows(scope: Scope, customers: QuerySet[Customer]) -> Iterator[CustomerRow]:
    """Every row of the list, in chunks, for a streamed export."""
    for customer in _with_relations(customers).iterator(chunk_size=1000):
        yield _row(customer, scope)


EXPORT_COLUMNS: tuple[Column[CustomerRow], ...] = (
    Column(_("Customer"), lambda r: r.name),
    Column(_("Org ID"), lambda r: r.org_id),
    Column(_("External ID"), lambda r: r.external_id),
    Column(_("Region"), lambda r: r.region),
    Column(_("Statuses"), lambda r: "; ".join(r.statuses)),
    Column(_("Products"), lambda r: "; ".join(r.products)),
    Column(_("Tags"), lambda r: "; ".join(t.name for t in r.tags)),
    Column(
        _("Managed by"),
        lambda r: r.managing_partner if r.managed_by == "partner" else f"external: {r.managing_partner}",
    ),
    Column(
        _("Last admin activity"), lambda r: r.last_admin_activity_at.isoformat() if r.last_admin_activity_at else ""
    ),
)


class SeatSplit:
    """The parts of a license count that the used / assigned / available bars draw. Mixed into
    frozen dataclasses that have `quantity`, `assigned` and `used`."""

    __slots__ = ()
    quantity: int
    assigned: int
    used: int

    @property
    def available(self) -> int:
        return max(self.quantity - self.assigned, 0)

    @property
    def assigned_unused(self) -> int:
        return max(self.assigned - self.used, 0)

    @property
    def over_limit(self) -> int:
        return max(self.assigned - self.quantity, 0)


@dataclass(frozen=True, slots=True)
class LicenseLineView(SeatSplit):
    product: str
    sku: str
    quantity: int
    assigned: int
    used: int


@dataclass(frozen=True, slots=True)
class InvoiceView:
    number: str
    issued_on: date
    due_on: date
    total_amount: Decimal
    currency: str
    status: str


@dataclass(frozen=True, slots=True)
class OrderView:
    number: str
    ordered_on: date
    kind: str
    lines: tuple[dict[str, object], ...]


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscription_id: str
    kind: str
    state: str
    start_on: date
    end_on: date | None
    renewal_on: date | None
    auto_renew: bool
    trial_days: int | None
    license_lines: tuple[LicenseLineView, ...]
    invoices: tuple[InvoiceView, ...]
    orders: tuple[OrderView, ...]

    def days_left(self, today: date) -> int | None:
        return None if self.end_on is None else (self.end_on - today).days


@dataclass(frozen=True, slots=True)
class CustomerAdminView:
    admin_id: int
    email: str
    display_name: str
    role: str
    access: str  # "all customers", "assigned" or "granted"


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    row: CustomerRow
    subscriptions: tuple[SubscriptionView, ...]
    admins: tuple[CustomerAdminView, ...]

    @property
    def trials(self) -> tuple[SubscriptionView, ...]:
        return tuple(s for s in self.subscriptions if s.kind == "trial")

    @property
    def running_trial(self) -> SubscriptionView | None:
        return next((s for s in self.trials if s.state == "active"), None)

    @property
    def paid(self) -> tuple[SubscriptionView, ...]:
        return tuple(s for s in self.subscriptions if s.kind == "paid")


def customer_detail(scope: Scope, org_id: uuid.UUID) -> CustomerDetail:
    """Everything the customer page shows; the directory from control, the rest from the
    customer's own region database. Raises Http404 outside the scope."""
    from accounts.models import Admin, CustomerAccess
    from accounts.roles import ALL_CUSTOMER_ROLES
    from regions.registry import db_for
    from subscriptions.models import Invoice, LicenseLine, Order, Subscription

    customer = get_object_or_404(_with_relations(Customer.objects.visible_to(scope)), org_id=org_id)
    alias = db_for(customer.region)
    lines: dict[int, list[LicenseLineView]] = defaultdict(list)
    for line in LicenseLine.objects.using(alias).filter(org_id=org_id).order_by("product", "sku"):
        lines[line.subscription_id].append(
            LicenseLineView(line.product, line.sku, line.quantity, line.assigned, line.used)
        )
    invoices: dict[int, list[InvoiceView]] = defaultdict(list)
    for inv in Invoice.objects.using(alias).filter(org_id=org_id):
        invoices[inv.subscription_id].append(
            InvoiceView(inv.number, inv.issued_on, inv.due_on, inv.total_amount, inv.currency, inv.status)
        )
    orders: dict[int, list[OrderView]] = defaultdict(list)
    for order in Order.objects.using(alias).filter(org_id=org_id):
        orders[order.subscription_id].append(OrderView(order.number, order.ordered_on, order.kind, tuple(order.lines)))
    subscriptions = tuple(
        SubscriptionView(
            subscription_id=s.subscription_id,
            kind=s.kind,
            state=s.state,
            start_on=s.start_on,
            end_on=s.end_on,
            renewal_on=s.renewal_on,
            auto_renew=s.auto_renew,
            trial_days=s.trial_days,
            license_lines=tuple(lines[s.pk]),
            invoices=tuple(invoices[s.pk]),
            orders=tuple(orders[s.pk]),
        )
        for s in Subscription.objects.using(alias).filter(org_id=org_id).order_by("-start_on", "subscription_id")
    )
    access = {a.admin_id: a.kind for a in CustomerAccess.objects.filter(org_id=org_id)}
    admins = tuple(
        CustomerAdminView(a.pk, a.email, a.display_name, a.role, access.get(a.pk, "all customers"))
        for a in Admin.objects.filter(is_active=True)
        .filter(models.Q(pk__in=access.keys()) | models.Q(partner_id=customer.partner_id, role__in=ALL_CUSTOMER_ROLES))
        .order_by("email")
    )
    return CustomerDetail(row=_row(customer, scope), subscriptions=subscriptions, admins=admins)


# How many of a customer's audit events its page lists.
RECENT_CHANGES = 20


def recent_changes(scope: Scope, *, org_id: uuid.UUID, managing_partner_id: int) -> list[AuditEvent]:
    """The latest audit events of a customer (newest first) that the scope may read, once it is
    known to see the customer: its own partner's; and for the managing partner also the system's
    (ingestion, jobs) and those of the external admins it grants the customer to. An external
    admin so never reads what the managing partner did (its tags are its own), nor does anyone
    read what a former partner of the customer did."""
    readable = Q(partner_id=scope.partner_id)
    if managing_partner_id == scope.partner_id:
        grantees = CustomerAccess.objects.filter(org_id=org_id, kind=AccessKind.GRANTED).values("admin_id")
        readable |= Q(partner__isnull=True) | Q(actor_id__in=grantees)
    events = AuditEvent.objects.filter(readable, org_id=org_id).select_related("actor")
    return list(events[:RECENT_CHANGES])
