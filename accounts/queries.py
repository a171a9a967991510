"""Reads for the portal's own pages that span models."""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count

from customers.models import Customer, decode_set
from customers.statuses import SEVERITY_ORDER, CustomerStatus
from regions.registry import Region

from .models import PartnerOrg
from .roles import Role
from .scope import Scope


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many visible customers carry one status."""

    status: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class RegionCount:
    """How many visible customers live in one region."""

    region: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class HomeSummary:
    """The landing page of a signed-in admin: who they are and how their customers are doing."""

    partner_name: str
    role_label: str
    customer_count: int
    needs_attention: int
    statuses: tuple[StatusCount, ...]
    regions: tuple[RegionCount, ...]


# The statuses a partner acts on; `trial` and `subscription` describe a customer in good standing.
ATTENTION_STATUSES = frozenset(SEVERITY_ORDER) - {CustomerStatus.TRIAL, CustomerStatus.SUBSCRIPTION}
# The customer list's query for those customers (its status filter matches any of the statuses
# given), the most urgent first.
ATTENTION_QUERY = urlencode(
    [("status", status) for status in SEVERITY_ORDER if status in ATTENTION_STATUSES] + [("sort", "severity")]
)


def home_summary(scope: Scope) -> HomeSummary:
    """Customer counts of the admin's scope: in total, needing attention (at least one status of
    ATTENTION_STATUSES), per cached status (every status, in severity order, zeros included) and
    per region (only regions that hold customers).

    A customer carries several statuses, so the status counts may add up to more than the total.
    Customers are grouped by their encoded status set, which has few distinct values, so this
    costs three small queries whatever the number of customers."""
    visible = Customer.objects.visible_to(scope).order_by()
    per_status: Counter[str] = Counter()
    total = attention = 0
    for encoded, count in visible.values_list("statuses").annotate(n=Count("pk")):
        statuses = decode_set(encoded)
        total += count
        attention += count if ATTENTION_STATUSES.intersection(statuses) else 0
        for status in statuses:
            per_status[status] += count
    per_region = dict(visible.values_list("region").annotate(n=Count("pk")))
    partner = PartnerOrg.objects.only("name").get(pk=scope.partner_id)
    return HomeSummary(
        partner_name=partner.name,
        role_label=str(Role(scope.role).label),
        customer_count=total,
        needs_attention=attention,
        statuses=tuple(
            StatusCount(status=status, label=str(CustomerStatus(status).label), count=per_status[status])
            for status in SEVERITY_ORDER
        ),
        regions=tuple(
            RegionCount(region=region.value, label=str(region.label), count=per_region[region.value])
            for region in Region
            if per_region.get(region.value)
        ),
    )
