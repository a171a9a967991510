"""An admin opens Analytics, switches region and product, reads a bar's numbers on hover in a
table and in the trend chart, and exports a section as CSV."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PartnerFactory
from analytics import rules
from customers.services import CustomerRecord, upsert_customer
from subscriptions.services import (
    LicenseLineRecord,
    SnapshotRecord,
    SubscriptionRecord,
    upsert_snapshots,
    upsert_subscriptions,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases="__all__", transaction=True)]


def customer(partner, name, region, subscription, snapshots=()):
    entry = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, region))
    upsert_subscriptions(customer=entry, records=[subscription])
    upsert_snapshots(customer=entry, records=list(snapshots))
    return entry


@pytest.fixture
def admin():
    today = timezone.now().date()
    this_week, last_week = rules.snapshot_week(today), rules.snapshot_week(today) - timedelta(days=7)
    partner = PartnerFactory(name="Hanbit Networks")
    customer(
        partner,
        "Daehan Logistics",
        "US",
        SubscriptionRecord(
            "Sub-100001",
            "paid",
            "active",
            today - timedelta(days=300),
            today + timedelta(days=200),
            auto_renew=True,
            renewal_on=today + timedelta(days=60),
            lines=(LicenseLineRecord("meetings", "MTG-ENT", 100, 60, 45),),
        ),
    )
    # Expiring in 40 days; its Calling seats are five over the limit.
    customer(
        partner,
        "Rheinland Motors",
        "EU",
        SubscriptionRecord(
            "Sub-200002",
            "paid",
            "active",
            today - timedelta(days=400),
            today + timedelta(days=40),
            lines=(
                LicenseLineRecord("meetings", "MTG-ENT", 50, 30, 20),
                LicenseLineRecord("calling", "CALL-PRO", 20, 25, 10),
            ),
        ),
        [
            SnapshotRecord("Sub-200002", "CALL-PRO", last_week, 20, 22, 9),
            SnapshotRecord("Sub-200002", "CALL-PRO", this_week, 20, 25, 10),
        ],
    )
    return AdminFactory(partner=partner, role="full_admin", display_name="Jiwoo Kim", email="jiwoo@hanbit.example")


def sign_in_to_analytics(page: Page, email: str) -> None:
    page.goto("/analytics/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("License analytics")


def test_an_admin_switches_region_and_product_reads_bars_and_exports_a_section(page: Page, admin):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 else None)
    sign_in_to_analytics(page, admin.email)

    # The first region with customers is shown; the selector offers both.
    selector = page.get_by_role("navigation", name="Region")
    expect(selector.get_by_role("link", name="US")).to_have_attribute("aria-current", "true")
    expect(page.locator('[data-kpi="total_customers"]')).to_have_text("1")
    expect(page.locator('[data-kpi="renewing_soon"]')).to_have_text("1")

    selector.get_by_role("link", name="EU").click()
    expect(page).to_have_url("/analytics/?region=EU")
    expect(page.locator('[data-kpi="expiring_soon"]')).to_have_text("1")
    expect(page.locator('[data-kpi="over_limit"]')).to_have_text("1")

    page.get_by_test_id("product-toggle").get_by_role("link", name="Calling").click()
    expect(page).to_have_url("/analytics/?region=EU&product=calling")
    over_limit = page.locator("#section-over_limit")
    expect(over_limit.get_by_role("row", name="Rheinland Motors")).to_contain_text("25 (125.0 %)")

    # The page's script has run once the chart is drawn: it also switches the bar tooltips on.
    chart = page.locator("#trend-chart")
    expect(chart.locator(".trace.bars")).to_have_count(3)

    # A table bar: 20 licences, 25 assigned, 10 used.
    expiring = page.locator("#section-expiring")
    expiring.locator('tr[data-subscription="Sub-200002"] [data-segment="used"]').hover()
    expect(page.locator(".tooltip.show")).to_have_text("Used: 10")
    expiring.locator('tr[data-subscription="Sub-200002"] [data-segment="over"]').hover()
    expect(page.locator(".tooltip.show")).to_have_text("Over limit: 5")

    # The trend chart: this week's used bar is the last of the first series.
    # Plotly listens on a drag layer above the bars, so the mouse goes to the bar's position.
    chart.scroll_into_view_if_needed()
    box = chart.locator(".trace.bars").first.locator(".point").last.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    expect(chart.locator(".hoverlayer")).to_contain_text("Used: 10")

    with page.expect_download() as download_info:
        over_limit.get_by_test_id("export-over_limit").click()
    download = download_info.value
    assert download.suggested_filename.startswith("licenses_over_limit_EU_calling_")
    with open(download.path(), encoding="utf-8") as exported:
        lines = list(csv.reader(io.StringIO(exported.read())))
    assert lines == [
        [
            "Customer",
            "Subscription ID",
            "Months remaining",
            "Auto-renew",
            "Total licenses",
            "Assigned",
            "Assigned %",
            "Used",
            "Used %",
        ],
        ["Rheinland Motors", "Sub-200002", lines[1][2], "false", "20", "25", "125.0", "10", "50.0"],
    ]
    assert lines[1][2] in {"0", "1"}  # 40 days out
    assert problems == []


def test_sorting_a_section_swaps_only_that_section(page: Page, admin):
    sign_in_to_analytics(page, admin.email)
    page.goto("/analytics/?region=EU&product=calling")
    heading = page.locator("#section-expiring thead").get_by_role("link", name="Days to expiry")
    heading.click()
    expect(page).to_have_url("/analytics/?region=EU&product=calling&expiring_sort=-days")
    expect(page.locator("#section-expiring th[aria-sort=descending]")).to_have_count(1)
    expect(page.locator("#trend-chart .trace.bars")).to_have_count(3)  # the chart was not redrawn away


def test_the_trend_chart_counts_licenses_in_whole_numbers(page: Page, admin):
    # The US region's only customer has no weekly snapshots: every bar of its trend is empty.
    sign_in_to_analytics(page, admin.email)
    ticks = page.locator("#trend-chart .ytick text")
    expect(ticks.first).to_be_attached()

    labels = ticks.all_text_contents()

    assert labels == ["0", "1"]
