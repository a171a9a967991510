"""The worker works the license overviews out after license data changes, so that the first page
an admin opens after an ingest batch or the weekly snapshots does not pay for it (about half a
second at 80k lines): web processes then load the result from the shared cache (memo.py).

Warmed: each partner's view of all its customers (what its full and read-only admins see), then
the view of each partner admin who signed in within the last 30 days and has customers in the
region. Anyone else's view is worked out on its first request."""

from collections.abc import Iterator
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import Admin
from accounts.roles import ALL_CUSTOMER_ROLES
from accounts.scope import Scope, partner_wide, scope_for
from customers.models import Customer
from regions.registry import Region, db_for
from subscriptions.models import LicenseDataChange, Subscription

from .queries import PRODUCTS, license_overview

RECENT_SIGN_IN = timedelta(days=30)

# The token each region had when this process last warmed it: a region whose data has not
# changed since costs one query.
_warmed: dict[str, str] = {}


def warm_license_overviews(*, today: date | None = None) -> list[tuple[str, int, int | None, str]]:
    """Work out the overviews above, of both products, for every region whose license data
    changed since this process last did. Returns (region, partner id, admin id or None for the
    partner-wide view, product) of each overview worked out."""
    today = today or timezone.now().date()
    done = []
    for region in Region.values:
        alias = db_for(region)
        token = LicenseDataChange.current(alias)
        if token is None or _warmed.get(alias) == token:
            continue
        partner_ids = list(
            Subscription.objects.using(alias).order_by("partner_id").values_list("partner_id", flat=True).distinct()
        )
        for scope, admin_id in _views(partner_ids, region, today):
            for product in PRODUCTS:
                license_overview(scope, region=region, product=product, today=today)
                done.append((str(region), scope.partner_id, admin_id, product))
        _warmed[alias] = token
    return done


def _views(partner_ids: list[int], region: str, today: date) -> Iterator[tuple[Scope, int | None]]:
    for partner_id in partner_ids:
        yield partner_wide(partner_id), None
    recent = timezone.now() - RECENT_SIGN_IN
    admins = (
        Admin.objects.filter(partner_id__in=partner_ids, is_active=True, last_login__gte=recent)
        .exclude(role__in=ALL_CUSTOMER_ROLES)
        .filter(customer_access__org_id__in=Customer.objects.in_region(region).values("org_id"))
        .distinct()
        .order_by("pk")
    )
    for admin in admins:
        yield scope_for(admin), admin.pk
