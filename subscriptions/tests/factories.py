"""A customer holding one active paid subscription with one Meetings line, written through the
services as ingest would."""

import uuid
from datetime import date

from accounts.tests.factories import PartnerFactory
from customers.models import Customer
from customers.services import CustomerRecord, upsert_customer
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions


def customer_with_a_line(
    *, region: str, subscription_id: str = "Sub-7", sku: str = "MTG-ENT", quantity: int = 50
) -> Customer:
    partner = PartnerFactory()
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Acme", region))
    line = LicenseLineRecord(product="meetings", sku=sku, quantity=quantity, assigned=20, used=10)
    upsert_subscriptions(
        customer=customer,
        records=[SubscriptionRecord(subscription_id, "paid", "active", date(2026, 1, 1), lines=(line,))],
    )
    return customer
