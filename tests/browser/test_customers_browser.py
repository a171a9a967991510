"""Issue 3 in a real browser: a full admin filters the customer list by status and tag (htmx
swaps the results), tags two customers at once, and starts a trial for a new customer that then
shows in the list with the `trial` badge."""

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, create_tag, tag_customers, upsert_customer
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions
from tests.browser.session import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]

TODAY = timezone.now().date()


def subscription(sid: str, *, kind="paid", state="active", ends_in=200, auto_renew=True, product="calling"):
    line = LicenseLineRecord(product=product, sku=f"{product.upper()}-{sid}", quantity=20, assigned=12, used=9)
    return SubscriptionRecord(
        subscription_id=sid,
        kind=kind,
        state=state,
        start_on=TODAY - timedelta(days=90),
        end_on=TODAY + timedelta(days=ends_in),
        auto_renew=auto_renew,
        lines=(line,),
    )


# name: region, subscriptions. Birch Retail and Dogwood Media are also `expiring_soon` (ending within
# 30 days without auto-renew) and every customer is `no_recent_activity` (no admin activity yet).
BOOK = {
    "Alder Health": ("US", [subscription("Sub-100001")]),  # subscription
    "Birch Retail": ("EU", [subscription("Trial-100002", kind="trial", ends_in=20, product="meetings")]),  # trial
    "Cedar Energy": ("CA", [subscription("Sub-100003", state="suspended")]),  # suspended
    "Dogwood Media": ("US", [subscription("Sub-100004", ends_in=10, auto_renew=False)]),  # subscription
    "Elm Foods": ("UAE", [subscription("Sub-100005", state="expired", ends_in=-5)]),  # expired
}


@pytest.fixture
def admin():
    partner = PartnerFactory(name="Hanbit Networks")
    admin = AdminFactory(partner=partner, role="full_admin", display_name="Jiwoo Kim", email="jiwoo@hanbit.example")
    customers = {}
    for name, (region, subscriptions) in BOOK.items():
        customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, region))
        upsert_subscriptions(customer=customer, records=subscriptions)
        customers[name] = customer
    scope = scope_for(admin)
    vip = create_tag(scope=scope, name="vip", color="#6f42c1")
    tag_customers(scope=scope, tag=vip, org_ids=[customers["Alder Health"].org_id, customers["Dogwood Media"].org_id])
    create_tag(scope=scope, name="renewal-q3", color="#198754")
    return admin


def sign_in_to_customers(page: Page, admin) -> None:
    sign_in(page, admin.email, then="/customers/")


def customer_names(page: Page):
    return page.locator("#results tbody tr[data-org-id] td a.fw-semibold")


def row_of(page: Page, name: str):
    return page.locator("#results tbody tr[data-org-id]").filter(has=page.get_by_role("link", name=name, exact=True))


@pytest.fixture
def problems(page: Page) -> list[str]:
    """Anything the Content Security Policy blocks and every failed request."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if "Refused to" in message.text else None)
    page.on("response", lambda response: found.append(response.url) if response.status >= 400 else None)
    return found


def test_the_list_filters_by_status_and_tag_without_reloading_the_page(page: Page, admin, problems):
    sign_in_to_customers(page, admin)
    expect(page.get_by_test_id("match-count")).to_have_text("5 customers")
    page.evaluate("window.phNoReload = true")

    page.get_by_label("Expiring soon", exact=True).check()

    expect(page.get_by_test_id("match-count")).to_have_text("2 customers")
    expect(customer_names(page)).to_have_text(["Birch Retail", "Dogwood Media"])
    expect(page).to_have_url(re.compile(r"[?&]status=expiring_soon"))
    # Each label belongs to its own checkbox (they once all pointed at the first product's).
    expect(page.get_by_label("Meetings", exact=True)).not_to_be_checked()

    page.get_by_label("vip", exact=True).check()

    expect(page.get_by_test_id("match-count")).to_have_text("1 customer")
    expect(customer_names(page)).to_have_text(["Dogwood Media"])

    page.get_by_label("Expiring soon", exact=True).uncheck()

    expect(customer_names(page)).to_have_text(["Alder Health", "Dogwood Media"])
    expect(row_of(page, "Alder Health").locator('[data-tag="vip"]')).to_have_text("vip")

    page.get_by_label("vip", exact=True).uncheck()
    page.get_by_label("Suspended", exact=True).check()

    expect(customer_names(page)).to_have_text(["Cedar Energy"])
    expect(row_of(page, "Cedar Energy").locator('[data-status="suspended"]')).to_have_text("Suspended")
    assert page.evaluate("window.phNoReload") is True
    assert problems == []


def test_two_customers_are_tagged_at_once(page: Page, admin, problems):
    sign_in_to_customers(page, admin)

    page.get_by_label("Select Birch Retail").check()
    page.get_by_label("Select Elm Foods").check()
    page.locator("#bulk-tag").select_option(label="renewal-q3")
    page.get_by_role("button", name="Tag selected", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="added to 2 customer(s)")).to_be_visible()
    for name in ("Birch Retail", "Elm Foods"):
        expect(row_of(page, name).locator('[data-tag="renewal-q3"]')).to_have_text("renewal-q3")
    for name in ("Alder Health", "Cedar Energy", "Dogwood Media"):
        expect(row_of(page, name).locator('[data-tag="renewal-q3"]')).to_have_count(0)

    page.get_by_label("renewal-q3", exact=True).check()

    expect(page.get_by_test_id("match-count")).to_have_text("2 customers")
    expect(customer_names(page)).to_have_text(["Birch Retail", "Elm Foods"])
    assert problems == []


def test_a_trial_for_a_new_customer_shows_in_the_list_with_the_trial_badge(page: Page, admin, problems):
    sign_in_to_customers(page, admin)

    page.get_by_role("link", name="Start trial").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a trial")
    page.get_by_label("New customer name").fill("Fjord Analytics")
    page.get_by_label("Customer admin e-mail").fill("it@fjord.example")
    page.get_by_label("Region").select_option("EU")
    page.get_by_label("Meetings", exact=True).check()
    page.get_by_label("Calling", exact=True).check()
    page.get_by_label("Licenses").fill("50")
    page.get_by_label("Length").select_option(label="60 days")
    page.get_by_role("button", name="Start trial").click()

    expect(page.get_by_role("status").filter(has_text=re.compile(r"Trial Trial-\S+ started\."))).to_be_visible()
    page.goto("/customers/")
    expect(page.get_by_test_id("match-count")).to_have_text("6 customers")
    fjord = row_of(page, "Fjord Analytics")
    expect(fjord.locator('[data-status="trial"]')).to_have_text("Trial")
    expect(fjord.locator('[data-status="expiring_soon"]')).to_have_count(0)
    expect(fjord.locator("td").nth(3)).to_have_text("Calling, Meetings")
    expect(fjord.locator("td").nth(5)).to_have_text("EU")

    page.get_by_label("Trial", exact=True).check()

    expect(customer_names(page)).to_have_text(["Birch Retail", "Fjord Analytics"])
    assert problems == []
