import uuid
from datetime import date
from decimal import Decimal

import pytest

from customers.services import CustomerRecord, upsert_customer
from inventory.models import Device, PhoneNumber
from inventory.services import (
    DeviceRecord,
    InventoryConflict,
    LocationRecord,
    NumberRecord,
    upsert_devices,
    upsert_locations,
    upsert_numbers,
)
from subscriptions.models import Invoice, LicenseSnapshot
from subscriptions.services import (
    InvoiceRecord,
    LicenseLineRecord,
    SnapshotRecord,
    SubscriptionConflict,
    SubscriptionRecord,
    upsert_invoices,
    upsert_snapshots,
    upsert_subscriptions,
)
from subscriptions.tests.factories import customer_with_a_line

pytestmark = pytest.mark.django_db(databases="__all__")
WEEK = date(2026, 11, 22)


@pytest.fixture
def customer():
    return customer_with_a_line(region="UAE")


def test_resent_snapshot_replaces_the_week_counts(customer):
    upsert_snapshots(customer=customer, records=[SnapshotRecord("Sub-7", "MTG-ENT", WEEK, 50, 20, 10)])
    upsert_snapshots(customer=customer, records=[SnapshotRecord("Sub-7", "MTG-ENT", WEEK, 50, 25, 11)])
    rows = list(LicenseSnapshot.objects.using("region_uae").values_list("week_on", "assigned", "used"))
    assert rows == [(WEEK, 25, 11)]


def test_snapshot_of_unknown_line_is_refused_naming_it(customer):
    with pytest.raises(SubscriptionConflict, match="license line CALL-X of subscription Sub-7"):
        upsert_snapshots(customer=customer, records=[SnapshotRecord("Sub-7", "CALL-X", WEEK, 1, 1, 1)])


def test_invoice_is_stored_with_upper_case_currency(customer):
    record = InvoiceRecord("Sub-7", "INV-1", date(2026, 11, 1), date(2026, 12, 1), Decimal("120.50"), "usd", "open")
    upsert_invoices(customer=customer, records=[record])
    invoice = Invoice.objects.using("region_uae").get(number="INV-1")
    assert (invoice.total_amount, invoice.currency) == (Decimal("120.50"), "USD")


def test_invoice_for_a_subscription_of_another_customer_is_refused(customer):
    other = upsert_customer(partner_id=customer.partner_id, record=CustomerRecord(uuid.uuid4(), "Other", "UAE"))
    record = InvoiceRecord("Sub-7", "INV-2", date(2026, 11, 1), date(2026, 12, 1), Decimal(1), "USD", "open")
    with pytest.raises(SubscriptionConflict, match="Sub-7 does not exist"):
        upsert_invoices(customer=other, records=[record])


def test_device_mac_is_normalised_and_linked_to_its_location(customer):
    site = uuid.uuid4()
    upsert_locations(customer=customer, records=[LocationRecord(site, "Dubai HQ", "ae")])
    upsert_devices(
        customer=customer, records=[DeviceRecord(mac="aa:bb:cc:dd:ee:ff", product="Desk Pro", location_id=site)]
    )
    device = Device.objects.using("region_uae").select_related("location").get()
    assert (device.mac, device.location.name) == ("AABBCCDDEEFF", "Dubai HQ")


def test_device_at_unknown_location_is_refused(customer):
    with pytest.raises(InventoryConflict, match="does not exist"):
        upsert_devices(
            customer=customer, records=[DeviceRecord(mac="001122334455", product="8865", location_id=uuid.uuid4())]
        )


def test_extension_only_entry_has_no_pstn_provider(customer):
    upsert_numbers(customer=customer, records=[NumberRecord(country="AE", extension="2001", pstn_provider="du")])
    number = PhoneNumber.objects.using("region_uae").get()
    assert (number.number, number.extension, number.pstn_provider) == ("", "2001", "")


def test_snapshots_follow_a_line_that_changes_product(customer):
    upsert_snapshots(customer=customer, records=[SnapshotRecord("Sub-7", "MTG-ENT", WEEK, 50, 20, 10)])
    line = LicenseLineRecord(product="calling", sku="MTG-ENT", quantity=50, assigned=20, used=10)
    upsert_subscriptions(
        customer=customer, records=[SubscriptionRecord("Sub-7", "paid", "active", date(2026, 1, 1), lines=(line,))]
    )
    assert list(LicenseSnapshot.objects.using("region_uae").values_list("product", flat=True)) == ["calling"]
