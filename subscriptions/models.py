"""Subscriptions, license lines, weekly snapshots, invoices and orders (region databases)."""

from typing import Self

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.statuses import Product
from regions.models import RegionQuerySet, RegionRow


class SubscriptionKind(models.TextChoices):
    PAID = "paid", _("Paid")
    TRIAL = "trial", _("Trial")


class SubscriptionState(models.TextChoices):
    PROVISIONING = "provisioning", _("Provisioning")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class SubscriptionQuerySet(RegionQuerySet["Subscription"]):
    def active(self) -> Self:
        return self.filter(state=SubscriptionState.ACTIVE)


class Subscription(RegionRow):
    """A paid subscription or a trial of one customer."""

    subscription_id = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=5, choices=SubscriptionKind.choices)
    state = models.CharField(max_length=12, choices=SubscriptionState.choices)
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)
    auto_renew = models.BooleanField(default=False)
    renewal_on = models.DateField(null=True, blank=True)
    trial_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # The customer admin invited with a trial; kept in the region with the rest of the customer's data.
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["start_on", "subscription_id"]
        indexes = [models.Index(fields=["org_id", "state"]), models.Index(fields=["partner_id", "state", "end_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_on__isnull=True) | models.Q(end_on__gte=models.F("start_on")),
                name="subscription_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.subscription_id


class LicenseLine(RegionRow):
    """Seats of one product (SKU) within a subscription: purchased, assigned, used in 7 days."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="license_lines")
    product = models.CharField(max_length=20, choices=Product.choices)
    sku = models.CharField(max_length=60)
    quantity = models.PositiveIntegerField()
    assigned = models.PositiveIntegerField(default=0)
    used = models.PositiveIntegerField(default=0)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["product", "sku"]
        constraints = [models.UniqueConstraint(fields=["subscription", "sku"], name="unique_sku_per_subscription")]
        indexes = [models.Index(fields=["org_id", "product"]), models.Index(fields=["partner_id", "product"])]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.sku}"


class LicenseSnapshot(RegionRow):
    """A license line's counts at the start of one week (weeks start on Sunday, UTC)."""

    line = models.ForeignKey(LicenseLine, on_delete=models.CASCADE, related_name="snapshots")
    # The line's product, copied when the snapshot is written, so the 12-week trend of one
    # product sums an index alone instead of joining ~1M snapshots to their lines (issue 5).
    product = models.CharField(max_length=20, choices=Product.choices)
    week_on = models.DateField()
    quantity = models.PositiveIntegerField()
    assigned = models.PositiveIntegerField()
    used = models.PositiveIntegerField()

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["week_on"]
        constraints = [models.UniqueConstraint(fields=["line", "week_on"], name="one_snapshot_per_line_week")]
        indexes = [
            models.Index(fields=["partner_id", "week_on"]),
            # Cover the trend's weekly sums: a full admin's read by partner, a partner admin's by
            # customer.
            models.Index(
                fields=["partner_id", "product", "week_on", "quantity", "assigned", "used"],
                name="snapshot_partner_trend",
            ),
            models.Index(
                fields=["org_id", "product", "week_on", "quantity", "assigned", "used"], name="snapshot_org_trend"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.week_on}"


class LicenseDataChange(models.Model):
    """One row per region database whose `token` changes with every write to subscriptions,
    license lines or snapshots: database triggers set a new random token (migration 0004), so
    no write path, however raw, is missed. Readers that keep figures worked out from these
    tables (the license overview) keep them only while the token they were read under stands.
    A random token rather than a counter, because a counter rolled back and counted up again
    would repeat a value that once meant other data."""

    token = models.CharField(max_length=32)

    class Meta:
        db_table = "subscriptions_license_data_change"

    def __str__(self) -> str:
        return self.token

    @classmethod
    def current(cls, alias: str) -> str | None:
        """The region's token now, or None before the first write (nothing worth keeping yet)."""
        return cls.objects.using(alias).filter(pk=1).values_list("token", flat=True).first()


class InvoiceStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    OPEN = "open", _("Open")
    OVERDUE = "overdue", _("Overdue")


class Invoice(RegionRow):
    """A bill for a subscription."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="invoices")
    number = models.CharField(max_length=40, unique=True)
    issued_on = models.DateField()
    due_on = models.DateField()
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "number"]
        indexes = [models.Index(fields=["org_id", "issued_on"])]

    def __str__(self) -> str:
        return self.number


class OrderKind(models.TextChoices):
    NEW = "new", _("New")
    CHANGE = "change", _("Change")
    RENEWAL = "renewal", _("Renewal")


class Order(RegionRow):
    """An order placed for a subscription, with its lines as recorded by the ordering system."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=40, unique=True)
    ordered_on = models.DateField()
    kind = models.CharField(max_length=8, choices=OrderKind.choices)
    lines = models.JSONField(default=list, encoder=DjangoJSONEncoder)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_on", "number"]
        indexes = [models.Index(fields=["org_id", "ordered_on"])]

    def __str__(self) -> str:
        return self.number
