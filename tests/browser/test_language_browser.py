"""Switching language keeps the page the admin is looking at: htmx has pushed the customer list's
filters into the address since the page (and the switch's `next` field) was rendered."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, upsert_customer
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions
from tests.browser.session import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]

TODAY = timezone.now().date()


def subscription(sid: str, kind: str) -> SubscriptionRecord:
    line = LicenseLineRecord(product="meetings", sku=f"MTG-{sid}", quantity=10)
    return SubscriptionRecord(
        sid, kind, "active", TODAY - timedelta(days=10), TODAY + timedelta(days=200), lines=(line,)
    )


@pytest.fixture
def admin():
    partner = PartnerFactory(name="Hanbit Networks")
    for name, kind in (("Harbor Freight", "trial"), ("Harbor Lights", "paid"), ("Alpine Foods", "trial")):
        customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, "US"))
        upsert_subscriptions(customer=customer, records=[subscription(f"Sub-{name[:3]}-{kind}", kind)])
    return AdminFactory(partner=partner, role="full_admin", email="jiwoo@hanbit.example")


def test_switching_language_keeps_the_customer_lists_filters(page: Page, admin):
    sign_in(page, admin.email, then="/customers/")
    page.get_by_label("Search").press_sequentially("harbor")
    expect(page.get_by_test_id("match-count")).to_have_text("2 customers")
    page.get_by_label("Trial", exact=True).check()
    expect(page.get_by_test_id("match-count")).to_have_text("1 customer")
    expect(page).to_have_url(re.compile(r"q=harbor.*status=trial"))

    page.get_by_role("button", name="한국어").click()

    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page).to_have_url(re.compile(r"/customers/\?q=harbor.*status=trial"))
    expect(page.get_by_label("검색")).to_have_value("harbor")
    expect(page.get_by_test_id("match-count")).to_have_text("고객 1명")
