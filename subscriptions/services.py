"""Writes of subscriptions, license lines, snapshots, invoices and orders into the customer's
region database. Callers resolve the customer through the directory (and the scope) first."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from customers.models import Customer
from customers.services import refresh_statuses
from regions.context import region_atomic

from .models import Invoice, LicenseLine, LicenseSnapshot, Order, Subscription


class SubscriptionConflict(ValueError):
    """The write names a subscription or line that belongs elsewhere or does not exist."""


@dataclass(frozen=True, slots=True)
class LicenseLineRecord:
    product: str
    sku: str
    quantity: int
    assigned: int = 0
    used: int = 0


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    subscription_id: str
    kind: str
    state: str
    start_on: date
    end_on: date | None = None
    auto_renew: bool = False
    renewal_on: date | None = None
    trial_days: int | None = None
    lines: tuple[LicenseLineRecord, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    subscription_id: str
    sku: str
    week_on: date
    quantity: int
    assigned: int
    used: int


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    subscription_id: str
    number: str
    issued_on: date
    due_on: date
    total_amount: Decimal
    currency: str
    status: str


@dataclass(frozen=True, slots=True)
class OrderRecord:
    subscription_id: str
    number: str
    ordered_on: date
    kind: str
    lines: tuple[dict[str, object], ...] = ()


def _own_subscription(customer: Customer, subscription_id: str) -> Subscription:
    subscription = Subscription.objects.filter(subscription_id=subscription_id).first()
    if subscription is None or subscription.org_id != customer.org_id:
        raise SubscriptionConflict(f"subscription {subscription_id} does not exist for customer {customer.org_id}")
    return subscription


def upsert_subscriptions(
    *, customer: Customer, records: Sequence[SubscriptionRecord], refresh: bool = True
) -> list[Subscription]:
    """Create or update subscriptions of one customer with their license lines (matched by SKU;
    lines not named are kept, since a partial feed must never drop seats).

    Raises SubscriptionConflict if a subscription id already belongs to another customer; the
    whole call is one region transaction, so nothing of it is written then."""
    saved: list[Subscription] = []
    now = timezone.now()
    with region_atomic(customer.region):
        for record in records:
            subscription = (
                Subscription.objects.select_for_update().filter(subscription_id=record.subscription_id).first()
            )
            if subscription is not None and subscription.org_id != customer.org_id:
                raise SubscriptionConflict(f"subscription {record.subscription_id} belongs to another customer")
            values = {
                "kind": record.kind,
                "state": record.state,
                "start_on": record.start_on,
                "end_on": record.end_on,
                "auto_renew": record.auto_renew,
                "renewal_on": record.renewal_on,
                "trial_days": record.trial_days,
                "updated_at": now,
            }
            if subscription is None:
                subscription = Subscription.objects.create(
                    subscription_id=record.subscription_id,
                    org_id=customer.org_id,
                    partner_id=customer.partner_id,
                    **values,
                )
            else:
                for name, value in values.items():
                    setattr(subscription, name, value)
                subscription.save()
            for line in record.lines:
                LicenseLine.objects.update_or_create(
                    subscription=subscription,
                    sku=line.sku,
                    defaults={
                        "org_id": customer.org_id,
                        "partner_id": customer.partner_id,
                        "product": line.product,
                        "quantity": line.quantity,
                        "assigned": line.assigned,
                        "used": line.used,
                    },
                )
            saved.append(subscription)
    if refresh:
        refresh_statuses(org_ids=[customer.org_id])
    return saved


def upsert_snapshots(*, customer: Customer, records: Sequence[SnapshotRecord]) -> int:
    """Write weekly snapshots (one per line and week; a resend replaces the counts).
    Raises SubscriptionConflict for a line the customer does not have. Returns rows written."""
    with region_atomic(customer.region):
        lines = {
            (line.subscription.subscription_id, line.sku): line
            for line in LicenseLine.objects.filter(org_id=customer.org_id).select_related("subscription")
        }
        rows = []
        for record in records:
            line = lines.get((record.subscription_id, record.sku))
            if line is None:
                raise SubscriptionConflict(
                    f"license line {record.sku} of subscription {record.subscription_id} does not exist"
                )
            rows.append(
                LicenseSnapshot(
                    line=line,
                    org_id=customer.org_id,
                    partner_id=customer.partner_id,
                    week_on=record.week_on,
                    quantity=record.quantity,
                    assigned=record.assigned,
                    used=record.used,
                )
            )
        LicenseSnapshot.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["line", "week_on"],
            update_fields=["quantity", "assigned", "used"],
        )
    return len(rows)


def upsert_invoices(*, customer: Customer, records: Sequence[InvoiceRecord]) -> int:
    """Create or update invoices by number. Raises SubscriptionConflict for a foreign subscription."""
    with region_atomic(customer.region):
        for record in records:
            subscription = _own_subscription(customer, record.subscription_id)
            existing = Invoice.objects.filter(number=record.number).first()
            if existing is not None and existing.org_id != customer.org_id:
                raise SubscriptionConflict(f"invoice {record.number} belongs to another customer")
            Invoice.objects.update_or_create(
                number=record.number,
                defaults={
                    "subscription": subscription,
                    "org_id": customer.org_id,
                    "partner_id": customer.partner_id,
                    "issued_on": record.issued_on,
                    "due_on": record.due_on,
                    "total_amount": record.total_amount,
                    "currency": record.currency.upper(),
                    "status": record.status,
                },
            )
    return len(records)


def upsert_orders(*, customer: Customer, records: Sequence[OrderRecord]) -> int:
    """Create or update orders by number. Raises SubscriptionConflict for a foreign subscription."""
    with region_atomic(customer.region):
        for record in records:
            subscription = _own_subscription(customer, record.subscription_id)
            existing = Order.objects.filter(number=record.number).first()
            if existing is not None and existing.org_id != customer.org_id:
                raise SubscriptionConflict(f"order {record.number} belongs to another customer")
            Order.objects.update_or_create(
                number=record.number,
                defaults={
                    "subscription": subscription,
                    "org_id": customer.org_id,
                    "partner_id": customer.partner_id,
                    "ordered_on": record.ordered_on,
                    "kind": record.kind,
                    "lines": list(record.lines),
                },
            )
    return len(records)
