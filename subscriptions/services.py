"""Writes of subscriptions, license lines, snapshots, invoices and orders into the customer's
region database. Callers resolve the customer through the directory (and the scope) first."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AccessKind, CustomerAccess
from accounts.roles import Permission
from accounts.scope import Scope
from customers.models import Customer, Lifecycle
from customers.services import refresh_statuses
from regions.context import region_atomic
from regions.registry import Region

from . import rules
from .models import (
    Invoice,
    LicenseLine,
    LicenseSnapshot,
    Order,
    Subscription,
    SubscriptionKind,
    SubscriptionState,
)


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
                stored, _created = LicenseLine.objects.update_or_create(
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
                # Snapshots carry their line's product for the analytics trend: keep them in step.
                stored.snapshots.exclude(product=line.product).update(product=line.product)
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
                    product=line.product,
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
            update_fields=["product", "quantity", "assigned", "used"],
        )
    return len(rows)


def _upsert_by_number(
    customer: Customer,
    model: type[Invoice] | type[Order],
    noun: str,
    number: str,
    subscription_id: str,
    values: dict[str, object],
) -> None:
    """Create or update one invoice or order of the customer, keyed by its number."""
    subscription = _own_subscription(customer, subscription_id)
    existing = model.objects.filter(number=number).first()
    if existing is not None and existing.org_id != customer.org_id:
        raise SubscriptionConflict(f"{noun} {number} belongs to another customer")
    model.objects.update_or_create(
        number=number,
        defaults={"subscription": subscription, "org_id": customer.org_id, "partner_id": customer.partner_id, **values},
    )


def upsert_invoices(*, customer: Customer, records: Sequence[InvoiceRecord]) -> int:
    """Create or update invoices by number. Raises SubscriptionConflict for a foreign subscription."""
    with region_atomic(customer.region):
        for r in records:
            values = {
                "issued_on": r.issued_on,
                "due_on": r.due_on,
                "total_amount": r.total_amount,
                "currency": r.currency.upper(),
                "status": r.status,
            }
            _upsert_by_number(customer, Invoice, "invoice", r.number, r.subscription_id, values)
    return len(records)


def upsert_orders(*, customer: Customer, records: Sequence[OrderRecord]) -> int:
    """Create or update orders by number. Raises SubscriptionConflict for a foreign subscription."""
    with region_atomic(customer.region):
        for r in records:
            values = {"ordered_on": r.ordered_on, "kind": r.kind, "lines": list(r.lines)}
            _upsert_by_number(customer, Order, "order", r.number, r.subscription_id, values)
    return len(records)


class TrialRefused(ValueError):
    """The trial action does not apply (a trial is already running, the trial has ended...)."""


@dataclass(frozen=True, slots=True)
class NewCustomer:
    name: str
    admin_email: str
    region: str


def _trial_lines(products: Sequence[str], licenses: int) -> tuple[LicenseLineRecord, ...]:
    return tuple(LicenseLineRecord(product=p, sku=f"{p.upper()}-TRIAL", quantity=licenses) for p in products)


def start_trial(
    *,
    scope: Scope,
    products: Sequence[str],
    licenses: int,
    days: int,
    today: date,
    customer: Customer | None = None,
    new_customer: NewCustomer | None = None,
) -> Subscription:
    """Start a trial for an existing customer of the scope, or for a new customer.

    A new customer is written in two steps (DESIGN 8): its directory row as `pending`, then the
    trial in its region, then the row becomes `active`; the reconciler finishes a crash between.
    Raises NotAllowed without MANAGE_TRIALS, TrialRefused when a trial is already running, and
    ValueError for a length other than 30/60/90 days or an empty product list."""
    scope.require(Permission.MANAGE_TRIALS)
    if not products:
        raise TrialRefused(_("Choose at least one product."))
    if licenses < 1:
        raise TrialRefused(_("A trial needs at least one license."))
    end_on = rules.trial_end_date(today, days)
    contact = ""
    if customer is None:
        if new_customer is None:
            raise TrialRefused(_("Choose an existing customer or describe a new one."))
        customer = _register_new_customer(scope, new_customer)
        contact = new_customer.admin_email
    elif not Customer.objects.visible_to(scope).filter(org_id=customer.org_id).exists():
        raise Customer.DoesNotExist(f"customer {customer.org_id} not found")
    with region_atomic(customer.region):
        if Subscription.objects.filter(org_id=customer.org_id, kind=SubscriptionKind.TRIAL, state="active").exists():
            raise TrialRefused(_("%(customer)s already has a trial running.") % {"customer": customer.name})
        trial = Subscription.objects.create(
            subscription_id=rules.new_subscription_id("Trial"),
            org_id=customer.org_id,
            partner_id=customer.partner_id,
            kind=SubscriptionKind.TRIAL,
            state=SubscriptionState.ACTIVE,
            start_on=today,
            end_on=end_on,
            trial_days=days,
            contact_email=contact,
        )
        for line in _trial_lines(products, licenses):
            LicenseLine.objects.create(
                subscription=trial,
                org_id=customer.org_id,
                partner_id=customer.partner_id,
                product=line.product,
                sku=line.sku,
                quantity=line.quantity,
            )
    Customer.objects.filter(pk=customer.pk, lifecycle=Lifecycle.PENDING).update(lifecycle=Lifecycle.ACTIVE)
    refresh_statuses(org_ids=[customer.org_id], today=today)
    audit.record(
        scope=scope,
        action="trial.start",
        obj_type="subscription",
        obj_id=trial.subscription_id,
        org_id=customer.org_id,
        after={"products": list(products), "licenses": licenses, "days": days},
    )
    return trial


@transaction.atomic
def _register_new_customer(scope: Scope, new: NewCustomer) -> Customer:
    if new.region not in Region.values:
        raise TrialRefused(_("Unknown region “%(region)s”.") % {"region": new.region})
    name = " ".join(new.name.split())
    if not name:
        raise TrialRefused(_("A new customer needs a name."))
    customer = Customer.objects.create(
        org_id=uuid.uuid4(), name=name, partner_id=scope.partner_id, region=new.region, lifecycle=Lifecycle.PENDING
    )
    if scope.customer_ids is not None:
        # A partner admin who creates a customer must be able to see it afterwards.
        CustomerAccess.objects.create(admin_id=scope.admin_id, org_id=customer.org_id, kind=AccessKind.ASSIGNED)
    audit.record(
        scope=scope,
        action="customer.create",
        obj_type="customer",
        obj_id=customer.org_id,
        org_id=customer.org_id,
        after={"name": name, "region": new.region, "admin_email": "(region)"},
    )
    return customer


def change_trial(*, scope: Scope, customer: Customer, subscription_id: str, action: str, today: date) -> Subscription:
    """Extend (30 days added to its current end), end, or convert a running trial of a customer
    in scope.

    Converting creates an active paid subscription with the trial's lines for a one-year term
    and ends the trial. Raises Customer.DoesNotExist out of scope, Subscription.DoesNotExist for
    a trial the customer does not have, TrialRefused when the trial is not running."""
    scope.require(Permission.MANAGE_TRIALS)
    customer = Customer.objects.visible_to(scope).get(org_id=customer.org_id)
    if "\x00" in subscription_id:  # no id holds NUL, and PostgreSQL refuses it in a query
        raise Subscription.DoesNotExist(f"no trial {subscription_id!r}")
    with region_atomic(customer.region):
        trial = Subscription.objects.select_for_update().get(
            org_id=customer.org_id, subscription_id=subscription_id, kind=SubscriptionKind.TRIAL
        )
        if trial.state != SubscriptionState.ACTIVE:
            raise TrialRefused(_("Trial %(trial)s is not running.") % {"trial": subscription_id})
        before = {"state": trial.state, "end_on": trial.end_on}
        result = trial
        if action == "extend":
            trial.end_on = rules.extended_trial_end(trial.end_on, today)
        elif action in {"end", "convert"}:
            trial.state = SubscriptionState.EXPIRED
            trial.end_on = today
        else:
            raise TrialRefused(_("Unknown trial action “%(action)s”.") % {"action": action})
        trial.updated_at = timezone.now()
        trial.save()
        if action == "convert":
            result = Subscription.objects.create(
                subscription_id=rules.new_subscription_id("Sub"),
                org_id=customer.org_id,
                partner_id=customer.partner_id,
                kind=SubscriptionKind.PAID,
                state=SubscriptionState.ACTIVE,
                start_on=today,
                end_on=today + timedelta(days=rules.PAID_TERM_DAYS),
                renewal_on=today + timedelta(days=rules.PAID_TERM_DAYS),
                auto_renew=True,
            )
            for line in trial.license_lines.all():
                LicenseLine.objects.create(
                    subscription=result,
                    org_id=customer.org_id,
                    partner_id=customer.partner_id,
                    product=line.product,
                    sku=line.sku.replace("-TRIAL", "-PAID"),
                    quantity=line.quantity,
                    assigned=line.assigned,
                    used=line.used,
                )
    refresh_statuses(org_ids=[customer.org_id], today=today)
    audit.record(
        scope=scope,
        action=f"trial.{action}",
        obj_type="subscription",
        obj_id=subscription_id,
        org_id=customer.org_id,
        before=before,
        after={"state": trial.state, "end_on": trial.end_on, "paid_subscription": result.subscription_id},
    )
    return result
