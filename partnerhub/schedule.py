"""Every periodic job, with why it runs when it does. Exactly one worker runs this schedule
(`partnerhub worker`); extra workers start with `--no-periodic`."""

from huey import crontab
from huey.contrib.djhuey import periodic_task

from customers import services as customer_services


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
