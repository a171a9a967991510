"""An admin signs in through the real form, lands on home, and switches the portal to Korean."""

import os
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PartnerFactory
from customers.models import Customer, encode_set

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]

SCREENSHOT = settings.BASE_DIR / "docs" / "screenshot-home.png"

# A small, believable book of customers so the home page (and its screenshot) shows real counts.
CUSTOMERS = [
    ("Daehan Logistics", "US", ["subscription", "expiring_soon"]),
    ("Seoul Bio Labs", "US", ["subscription"]),
    ("Maple Dental Group", "CA", ["trial", "expiring_soon"]),
    ("Northwind Clinics", "CA", ["subscription", "license_overage"]),
    ("Rheinland Motors", "EU", ["subscription", "no_recent_activity"]),
    ("Lisboa Travel", "EU", ["suspended", "subscription"]),
    ("Amsterdam Design Studio", "EU", ["trial"]),
    ("Gulf Energy Services", "UAE", ["ready_for_order_setup"]),
    ("Desert Rose Hotels", "UAE", ["expired"]),
]


@pytest.fixture
def admin():
    partner = PartnerFactory(name="Hanbit Networks")
    for index, (name, region, statuses) in enumerate(CUSTOMERS):
        Customer.objects.create(
            partner=partner,
            name=name,
            region=region,
            statuses=encode_set(statuses),
            lifecycle="active",
            created_at=timezone.now() - timedelta(days=30 * index),
        )
    return AdminFactory(partner=partner, role="full_admin", display_name="Jiwoo Kim", email="jiwoo@hanbit.example")


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_signs_in_lands_on_home_and_switches_to_korean(page: Page, admin):
    # Anything the Content Security Policy blocks, or any asset that fails to load, shows up here.
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if "Refused to" in message.text else None)
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 else None)

    sign_in(page, admin.email, DEFAULT_PASSWORD)

    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Jiwoo Kim")
    expect(page.get_by_test_id("partner-name")).to_have_text("Hanbit Networks")
    expect(page.get_by_test_id("customer-count")).to_have_text("9")
    if os.environ.get("PARTNERHUB_SCREENSHOT") == "1":
        page.reload()  # without the one-time "signed in" message
        page.screenshot(path=str(SCREENSHOT))

    page.get_by_role("button", name="한국어").click()

    expect(page.locator("html")).to_have_attribute("lang", "ko")
    navigation = page.get_by_role("navigation", name="주 탐색")
    expect(navigation.get_by_role("link", name="홈")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jiwoo Kim님, 환영합니다")
    expect(page.get_by_role("heading", name="상태별 고객")).to_be_visible()
    assert problems == []


def test_a_wrong_password_keeps_the_admin_on_the_sign_in_page(page: Page, admin):
    sign_in(page, admin.email, "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("The email address and/or password you specified are not correct.")).to_be_visible()


def test_the_admin_menu_works_from_the_keyboard_and_signs_out(page: Page, admin):
    sign_in(page, admin.email, DEFAULT_PASSWORD)
    expect(page).to_have_url("/")

    menu = page.get_by_role("button", name="Signed in as Jiwoo Kim")
    menu.focus()
    page.keyboard.press("Enter")
    dropdown = page.locator(".ph-admin-menu .dropdown-menu")
    expect(dropdown.get_by_role("link", name="Two-factor authentication")).to_be_visible()
    expect(dropdown.get_by_text("Partner full admin")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to Partner Hub")).to_be_visible()
