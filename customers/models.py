"""The customer directory and tags (control database).

The directory is the only customer information kept in the control database: who the customer
is, where its data lives, who manages it, and status flags cached from its region."""

import uuid
from typing import Self

from django.db import models
from django.db.models import Q
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


class Lifecycle(models.TextChoices):
    # A customer is written in two databases that cannot share a transaction: the directory row
    # is `pending` until its region rows exist, then `active`; the reconciler finishes the rest.
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")


class CustomerQuerySet(models.QuerySet["Customer"]):
    def visible_to(self, scope: Scope) -> Self:
        if scope.customer_ids is None:
            return self.filter(partner_id=scope.partner_id)
        return self.filter(org_id__in=scope.customer_ids)

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
