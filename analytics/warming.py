"""The worker works the license overviews out after license data changes, so that the first page
an admin opens after an ingest batch or the weekly snapshots does not pay for it (about half a
second at 80k lines): web processes then load the result from the shared cache (memo.py).

Only the full-admin view of each partner is warmed (one per partner, region and product); a
partner admin's subset is worked out on its first request."""

from datetime import date

from django.utils import timezone

from accounts.scope import partner_wide
from regions.registry import Region, db_for
from subscriptions.models import LicenseDataChange, Subscription

from .queries import PRODUCTS, license_overview

# The token each region had when this process last warmed it: a region whose data has not
# changed since costs one query.
_warmed: dict[str, str] = {}


def warm_license_overviews(*, today: date | None = None) -> list[tuple[str, int, str]]:
    """Work out, for every region whose license data changed since this process last did, each
    partner's full-admin overview of both products. Returns (region, partner id, product) of
    each overview worked out."""
    today = today or timezone.now().date()
    done = []
    for region in Region.values:
        alias = db_for(region)
        token = LicenseDataChange.current(alias)
        if token is None or _warmed.get(alias) == token:
            continue
        partner_ids = Subscription.objects.using(alias).order_by("partner_id").values_list("partner_id", flat=True)
        for partner_id in partner_ids.distinct():
            for product in PRODUCTS:
                license_overview(partner_wide(partner_id), region=region, product=product, today=today)
                done.append((str(region), partner_id, product))
        _warmed[alias] = token
    return done
