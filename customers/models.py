"""The customer directory and tags (control database).

The directory is the only customer information kept in the control database: who the customer
is, where its data lives, who manages it, and status flags cached from its region."""

import uuid
from typing import Any, Self

from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PartnerOrg
from accounts.scope import Scope
from regions.registry import Region

from .statuses import SEVERITY_ORDER


def encode_set(values: object) -> str:
    """Store a set of names as `,a,b,` so one `contains=",a,"` finds it on every engine."""
    names = sorted({str(v) for v in values})  # type: ignore[attr-defined]
    return f",{','.join(names)}," if names else ""


def decode_set(stored: str) -> list[str]:
    return [name for name in stored.split(",") if name]


SORT_FIELDS = {"name": "name", "severity": "severity", "created": "created_at", "expiry": "next_expiry_on"}


def _looks_like_org_id_part(text: str) -> bool:
    return len(text) >= 4 and all(c in "0123456789abcdefABCDEF-" for c in text)


class Lifecycle(models.TextChoices):
    # A customer is written in two databases that cannot share a transaction: the directory row
    # is `pending` until its region rows exist, then `active`; the reconciler finishes the rest.
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")


class CustomerQuerySet(models.QuerySet["Customer"]):
    def visible_to(self, scope: Scope) -> Self:
        if scope.customer_ids is None:
            return self.filter(partner_id=scope.partner_id)
        # A subquery rather than the scope's id list: a partner admin may hold thousands.
        from accounts.models import CustomerAccess

        return self.filter(org_id__in=CustomerAccess.objects.filter(admin_id=scope.admin_id).values("org_id"))

    def with_status(self, *statuses: str) -> Self:
        query = Q()
        for status in statuses:
            query |= Q(statuses__contains=f",{status},")
        return self.filter(query)

    def with_product(self, *products: str) -> Self:
        query = Q()
        for product in products:
            query |= Q(products__contains=f",{product},")
        return self.filter(query)

    def in_region(self, region: str) -> Self:
        return self.filter(region=region)

    def search(self, text: str) -> Self:
        """Free text over name, org id (any part of it) and external id."""
        text = text.strip()
        if not text:
            return self
        query = Q(name__icontains=text) | Q(external_id__icontains=text)
        if _looks_like_org_id_part(text):
            query |= Q(org_id__icontains=text)
        return self.filter(query)

    def managed_by(self, who: str, scope: Scope) -> Self:
        """`partner`: managed by the scope's own partner org; `external`: seen through a grant to
        an external admin (another partner's customer, or one of ours granted out); `me`:
        assigned or granted to the signed-in admin."""
        from accounts.models import AccessKind, CustomerAccess

        if who == "partner":
            return self.filter(partner_id=scope.partner_id)
        if who == "external":
            granted_out = CustomerAccess.objects.filter(kind=AccessKind.GRANTED).values("org_id")
            return self.filter(~Q(partner_id=scope.partner_id) | Q(org_id__in=granted_out))
        if who == "me":
            return self.filter(org_id__in=CustomerAccess.objects.filter(admin_id=scope.admin_id).values("org_id"))
        return self

    def with_subscription_type(self, kind: str) -> Self:
        """`paid`: has an active paid subscription; `trial`: has an active trial."""
        status = {"paid": "subscription", "trial": "trial"}.get(kind)
        return self.with_status(status) if status else self

    def tagged(self, *tag_ids: int) -> Self:
        """Customers carrying any of the given tags."""
        if not tag_ids:
            return self
        # A subquery keeps one row per customer, so no DISTINCT (which makes counting slow).
        through: Any = Customer.tags.through  # Any: the auto-created M2M model has no static type
        tagged = through.objects.filter(tag_id__in=tag_ids).values("customer_id")
        return self.filter(org_id__in=tagged)

    def sorted_by(self, key: str) -> Self:
        """Sort by `name`, `severity`, `created` or `expiry` (prefix `-` to reverse); ties break
        on name and org id so pages never overlap."""
        descending = key.startswith("-")
        field = SORT_FIELDS.get(key.lstrip("-"), "name")
        expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return self.order_by(expression, "name", "org_id")


class Customer(models.Model):
    """A customer organization in the directory: identity, region, manager, cached statuses."""

    org_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    partner = models.ForeignKey(PartnerOrg, on_delete=models.PROTECT, related_name="customers")
    region = models.CharField(max_length=3, choices=Region.choices)
    external_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_admin_activity_at = models.DateTimeField(null=True, blank=True)
    lifecycle = models.CharField(max_length=10, choices=Lifecycle.choices, default=Lifecycle.PENDING)
    # Cached from the region database by customers.services.refresh_statuses.
    statuses = models.CharField(max_length=200, blank=True, default="")
    products = models.CharField(max_length=200, blank=True, default="")
    severity = models.PositiveSmallIntegerField(default=len(SEVERITY_ORDER))
    next_expiry_on = models.DateField(null=True, blank=True)
    statuses_computed_on = models.DateField(null=True, blank=True)
    tags: "models.ManyToManyField[Tag, models.Model]" = models.ManyToManyField(
        "Tag", blank=True, related_name="customers"
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["partner", "name"]),
            models.Index(fields=["partner", "severity"]),
            models.Index(fields=["partner", "next_expiry_on"]),
            models.Index(fields=["partner", "created_at"]),
            models.Index(fields=["external_id"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def status_list(self) -> list[str]:
        return decode_set(self.statuses)

    @property
    def product_list(self) -> list[str]:
        return decode_set(self.products)


class TagQuerySet(models.QuerySet["Tag"]):
    def visible_to(self, scope: Scope) -> Self:
        return self.filter(partner_id=scope.partner_id)

    def with_customer_counts(self, scope: Scope) -> Self:
        """`customer_count`: the customers carrying each tag that the scope may see (a partner
        admin's count must not reveal how many unassigned customers carry it)."""
        visible = Customer.objects.visible_to(scope).values("org_id")
        return self.annotate(customer_count=Count("customers", filter=Q(customers__in=visible)))


class Tag(models.Model):
    """A partner's own label for grouping customers; visible to every admin of the partner."""

    partner = models.ForeignKey(PartnerOrg, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#0d6efd")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="unique_tag_name_per_partner")]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named set of customer-list filters that one admin saved to find again in one click."""

    admin = models.ForeignKey("accounts.Admin", on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["admin", "name"], name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name
