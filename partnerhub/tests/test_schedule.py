import os
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from huey import RedisHuey
from huey.contrib.djhuey import HUEY

from accounts.tests.factories import AdminFactory, PartnerFactory
from customers import services as customer_services
from customers.models import Customer
from customers.services import CustomerRecord, upsert_customer
from subscriptions.services import SubscriptionRecord, upsert_subscriptions

pytestmark = pytest.mark.django_db(databases="__all__")


def due_at(hour: int, minute: int) -> set[str]:
    return {task.name for task in HUEY.read_periodic(datetime(2026, 11, 26, hour, minute))}


def test_daily_status_refresh_runs_at_five_past_midnight_utc_only():
    assert "daily_status_refresh" in due_at(0, 5)
    assert "daily_status_refresh" not in due_at(1, 5)


def test_reconciler_runs_every_quarter_hour():
    assert "reconcile_customer_directory" in due_at(13, 45)
    assert "reconcile_customer_directory" not in due_at(13, 46)


@pytest.mark.skipif(not os.environ.get("PARTNERHUB_TEST_REDIS"), reason="PARTNERHUB_TEST_REDIS names no Redis")
def test_status_refresh_round_trips_through_a_redis_queue():
    partner = PartnerFactory()
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    today = date.today()
    trial = SubscriptionRecord("Sub-r1", "trial", "active", today, end_on=today + timedelta(days=50))
    upsert_subscriptions(customer=customer, records=[trial], refresh=False)
    queue = RedisHuey(
        name=f"partnerhub-test-{uuid.uuid4().hex}", url=os.environ["PARTNERHUB_TEST_REDIS"], results=False
    )
    refresh = queue.task(name="refresh_all_statuses")(customer_services.refresh_all_statuses)
    try:
        refresh()
        assert queue.pending_count() == 1
        queue.execute(queue.dequeue())
        assert queue.pending_count() == 0
    finally:
        queue.storage.flush_all()
    assert "trial" in Customer.objects.get(pk=customer.pk).status_list


def test_calling_week_freezes_at_sunday_midnight_utc_only():
    sunday, monday = datetime(2026, 11, 29, 0, 0), datetime(2026, 11, 30, 0, 0)
    assert "freeze_last_calling_week" in {t.name for t in HUEY.read_periodic(sunday)}
    assert "freeze_last_calling_week" not in {t.name for t in HUEY.read_periodic(monday)}


def test_freeze_job_freezes_the_week_that_just_ended(time_machine):
    from calling.models import CallingWeek
    from calling.services import append_call_legs
    from calling.tests.factories import CallLegRecordFactory
    from partnerhub.schedule import freeze_last_calling_week

    partner = PartnerFactory()
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Acme", "EU"))
    saturday = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    legs = [CallLegRecordFactory(org_id=customer.org_id, partner_id=partner.pk, started_at=saturday)]
    append_call_legs(region="EU", legs=legs)
    time_machine.move_to(datetime(2026, 11, 29, 0, 0, 30, tzinfo=UTC))
    freeze_last_calling_week.call_local()
    week = CallingWeek.objects.using("region_eu").get(org_id=customer.org_id)
    assert (week.week_on, week.legs, week.calls) == (date(2026, 11, 22), 1, 1)


def test_expired_idempotency_keys_are_forgotten_nightly():
    from ingest.idempotency import RETENTION, forget_expired_keys
    from ingest.models import IdempotentRequest

    assert "forget_expired_idempotency_keys" in due_at(3, 30)
    admin = AdminFactory()
    old = IdempotentRequest.objects.create(admin=admin, key="old", request_hash="x")
    IdempotentRequest.objects.filter(pk=old.pk).update(created_at=datetime.now(UTC) - RETENTION - timedelta(hours=1))
    IdempotentRequest.objects.create(admin=admin, key="new", request_hash="y")
    assert forget_expired_keys() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_license_analytics_are_warmed_every_minute():
    assert "warm_license_analytics" in due_at(13, 46)
    assert "warm_license_analytics" in due_at(13, 47)


def test_call_legs_past_their_retention_are_pruned_nightly_in_every_region(time_machine, settings):
    from calling.models import CallLeg
    from calling.services import append_call_legs
    from calling.tests.factories import CallLegRecordFactory
    from partnerhub.schedule import prune_expired_call_legs

    assert "prune_expired_call_legs" in due_at(2, 15)
    assert "prune_expired_call_legs" not in due_at(3, 15)
    settings.PARTNERHUB_CALL_LEG_RETENTION_DAYS = 35
    kept, gone = datetime(2026, 10, 22, tzinfo=UTC), datetime(2026, 10, 21, 23, 59, tzinfo=UTC)
    for region in ("EU", "US"):
        legs = [CallLegRecordFactory(started_at=gone), CallLegRecordFactory(started_at=kept)]
        append_call_legs(region=region, legs=legs)
    time_machine.move_to(datetime(2026, 11, 26, 2, 15, tzinfo=UTC))
    prune_expired_call_legs.call_local()
    for alias in ("region_eu", "region_us"):
        assert list(CallLeg.objects.using(alias).values_list("started_at", flat=True)) == [kept]
