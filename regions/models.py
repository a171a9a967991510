"""The shape every region-database row shares: the customer's org id and its partner's id.

No foreign key crosses databases, so region rows carry both ids as plain columns; `org_id`
leads every index so a region can later be distributed by customer."""

from typing import Self, TypeVar

from django.db import models

from accounts.scope import Scope

M = TypeVar("M", bound=models.Model)


class RegionQuerySet(models.QuerySet[M]):
    def visible_to(self, scope: Scope) -> Self:
        if scope.customer_ids is None:
            return self.filter(partner_id=scope.partner_id)
        return self.filter(org_id__in=scope.customer_ids)

    def of_customer(self, org_id: object) -> Self:
        return self.filter(org_id=org_id)


class RegionRow(models.Model):
    """Abstract base for region data: owned by one customer of one partner."""

    org_id = models.UUIDField()
    partner_id = models.BigIntegerField()

    class Meta:
        abstract = True
