"""The region's license data change token (migration 0004): every write to subscriptions, license
lines or snapshots, whichever way it is made, sets a new one; other writes do not."""

from datetime import date

import pytest
from django.db import connections

from subscriptions.models import Invoice, LicenseDataChange, LicenseLine, LicenseSnapshot, Subscription
from subscriptions.services import SnapshotRecord, upsert_snapshots
from subscriptions.tests.factories import customer_with_a_line

pytestmark = pytest.mark.django_db(databases="__all__")
EU = "region_eu"
WEEK = date(2026, 11, 22)


@pytest.fixture
def customer():
    customer = customer_with_a_line(region="EU", subscription_id="S-1", sku="M", quantity=10)
    upsert_snapshots(customer=customer, records=[SnapshotRecord("S-1", "M", WEEK, 10, 5, 3)])
    return customer


def token():
    return LicenseDataChange.current(EU)


def test_writing_through_the_services_sets_a_token(customer):
    assert token() is not None


def test_an_orm_update_of_a_subscription_changes_the_token(customer):
    before = token()
    Subscription.objects.using(EU).update(auto_renew=True)
    assert token() not in {before, None}


def test_an_orm_update_of_a_line_changes_the_token(customer):
    before = token()
    LicenseLine.objects.using(EU).update(assigned=6)
    assert token() not in {before, None}


def test_a_raw_sql_update_of_a_snapshot_changes_the_token(customer):
    before = token()
    with connections[EU].cursor() as cursor:
        cursor.execute(f"UPDATE {LicenseSnapshot._meta.db_table} SET used = used + 1")
    assert token() not in {before, None}


def test_a_new_snapshot_changes_the_token(customer):
    before = token()
    upsert_snapshots(customer=customer, records=[SnapshotRecord("S-1", "M", date(2026, 11, 29), 10, 6, 4)])
    assert token() not in {before, None}


def test_deleting_a_subscription_with_its_lines_changes_the_token(customer):
    before = token()
    Subscription.objects.using(EU).all().delete()
    assert token() not in {before, None}


def test_a_write_to_another_table_keeps_the_token(customer):
    before = token()
    subscription = Subscription.objects.using(EU).get()
    Invoice.objects.using(EU).create(
        subscription=subscription,
        org_id=customer.org_id,
        partner_id=customer.partner_id,
        number="INV-1",
        issued_on=WEEK,
        due_on=WEEK,
        total_amount=10,
        currency="EUR",
        status="open",
    )
    assert token() == before
