"""Every periodic job, with why it runs when it does. Exactly one worker runs this schedule
(`partnerhub worker`); extra workers start with `--no-periodic`."""

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import periodic_task

from analytics.warming import warm_license_overviews
from calling.retention import prune_call_legs, retention_cutoff
from calling.rules import last_complete_week
from calling.services import freeze_calling_week
from customers import services as customer_services
from ingest.idempotency import forget_expired_keys
from regions.registry import Region


# Statuses depend on today's date (expiring within 30 days, inactive for 30 days), so they
# change overnight even when no data arrives. Shortly after midnight UTC, when the day turns.
@periodic_task(crontab(minute="5", hour="0"))
def daily_status_refresh() -> None:
    customer_services.refresh_all_statuses()


# A customer written to two databases can be left half-done by a crash; every 15 minutes the
# reconciler finishes pending directory rows whose region rows exist.
@periodic_task(crontab(minute="*/15"))
def reconcile_customer_directory() -> None:
    customer_services.reconcile_directory()


# The license overview of a region takes about half a second to work out at 80k lines; after
# its data changes (ingest, trials, the weekly snapshots) the worker works the full admins' views
# out within a minute, so web requests find them in the shared cache. A region whose data has not
# changed costs one query.
@periodic_task(crontab(minute="*"))
def warm_license_analytics() -> None:
    warm_license_overviews()


# Calling weeks run Sunday 00:00 UTC to Sunday 00:00 UTC: the moment a week ends, its figures
# are frozen per customer so the page for a past week never changes (SPEC 6.2). Legs that
# arrive later still land in the daily rollups; a re-freeze of that week would pick them up.
@periodic_task(crontab(minute="0", hour="0", day_of_week="0"))
def freeze_last_calling_week() -> None:
    week_on = last_complete_week(timezone.now())
    for region in Region.values:
        freeze_calling_week(region=region, week_on=week_on)


# Idempotency keys answer replays for 7 days; an admin who stops sending keyed requests would
# otherwise keep its old keys for ever. Once a night, away from the status refresh.
@periodic_task(crontab(minute="30", hour="3"))
def forget_expired_idempotency_keys() -> None:
    forget_expired_keys()


# Raw call legs past their retention go once a night, after the status refresh and away from the
# Sunday freeze; their rollups stay (calling.retention).
@periodic_task(crontab(minute="15", hour="2"))
def prune_expired_call_legs() -> None:
    before = retention_cutoff(timezone.now(), settings.PARTNERHUB_CALL_LEG_RETENTION_DAYS)
    for region in Region.values:
        prune_call_legs(region=region, before=before)
