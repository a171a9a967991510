"""license_overview against figures computed by hand on a small book of customers (SPEC 6.1).

TODAY is Wednesday 2026-11-25: this week's snapshot is Sunday 2026-11-22 and last week's 11-15;
the trend runs from 2026-09-06; the usage months are September, October and November; the 90-day
windows end on 2027-02-23, and a new customer's first subscription started on or after 2026-08-27.

Meetings peers of the partner in EU, band 1-10 (active, quantity > 0): Cedar 3/10, Elm 1/10,
Fir 8/10, Gum 6/8, Holly 5/5, Ivy 1/4, Nutmeg 2/7. Sorted: .1 .25 .2857 .3 .75 .8 1; the 25th
percentile lies at rank 1.5: .25 + .5 * (.2857 - .25) = .2679, under 50 %, so that is the
threshold: Elm and Ivy are low; Nutmeg (.2857) is not; Cedar is too young anyway.
Band 11-50: Birch 4/40, Juniper 10/50, two peers: the 30 % fallback; both are low.
Band 51-250: Alder 70/80 alone: 30 %, not low. Dogwood's zero-quantity line is in no band.
Calling: Elm 12/10, Kauri 5/5 and 0/3 (1-10), Alder 25/20 and Dogwood 40/30 (11-50), all under
5 peers; Kauri's 0/3 started 10 days ago, so nothing is low."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory
from analytics import rules
from analytics.queries import (
    Kpis,
    LowKpis,
    NewKpis,
    OverKpis,
    TableRequest,
    TrendWeek,
    UnknownProduct,
    WindowKpis,
    csv_columns,
    license_overview,
    license_section,
    regions_with_customers,
    section_columns,
    section_rows,
    sort_key,
    sorted_rows,
)
from analytics.tests.factories import TODAY, build_book
from regions.registry import UnknownRegion
from subscriptions.models import LicenseLine, LicenseSnapshot

pytestmark = pytest.mark.django_db(databases="__all__")
D = date


@pytest.fixture
def book():
    return build_book()


def overview(scope, product="meetings", region="EU"):
    return license_overview(scope, region=region, product=product, today=TODAY)


def table(section):
    """(customer, subscription, quantity, assigned, used) of each row, by customer."""
    return sorted((r.customer, r.subscription_id, r.quantity, r.assigned, r.used) for r in section.rows)


def by_customer(section):
    return {row.customer: row for row in section.rows}


# --- the five KPIs -------------------------------------------------------------------------------


def test_kpis_count_customers_over_every_product_of_the_region(book):
    assert overview(book.full).kpis == Kpis(
        total_customers=14,  # Alder to Nutmeg, with Maple (no subscription); not Xylo, not Umber
        expiring_soon=2,  # Alder (exactly 90 days), Cedar (trial); not Birch (auto-renew), not Fir (91 days)
        renewing_soon=1,  # Birch (exactly 30 days); not Holly (91 days)
        low_assignment=4,  # Birch, Elm, Ivy, Juniper
        over_limit=3,  # Alder, Dogwood, Elm (calling)
    )


def test_kpis_do_not_depend_on_the_product_toggle(book):
    assert overview(book.full, "calling").kpis == overview(book.full, "meetings").kpis


# --- the trend -----------------------------------------------------------------------------------


def test_trend_sums_the_twelve_weeks_of_the_products_snapshots(book):
    trend = overview(book.full).trend
    assert [w.week_on for w in trend] == rules.trend_weeks(TODAY)
    expected = {
        # Alder 80/70/50 and Larch's expired line 10/0/0
        D(2026, 9, 6): (50, 20, 20),
        D(2026, 9, 13): (52, 18, 10),
        D(2026, 10, 11): (60, 10, 10),
        D(2026, 10, 18): (0, 0, 0),  # no snapshot that week
        # Alder 80/70/60, Cedar 10/2/0, Juniper 50/12/6, Birch 40/4/1
        D(2026, 11, 15): (67, 21, 92),
        # Alder 80/70/60, Cedar 10/3/1, Juniper 50/10/5, Birch 40/4/3, Ivy 4/1/0, and Holly 5/6/6
        # whose one licence over the limit is neither unused nor available
        D(2026, 11, 22): (75, 19, 96),
    }
    for week in trend:
        if week.week_on in expected:
            assert (week.used, week.assigned_unused, week.available) == expected[week.week_on], week.week_on


def test_trend_of_a_product_without_snapshots_is_all_zeros(book):
    trend = overview(book.full, "calling").trend
    assert len(trend) == 12
    assert {(w.used, w.assigned_unused, w.available) for w in trend} == {(0, 0, 0)}
    assert trend[-1] == TrendWeek(D(2026, 11, 22), 0, 0, 0)


# --- new in the last 90 days ---------------------------------------------------------------------


def test_new_section_lists_customers_whose_first_subscription_started_within_90_days(book):
    section = overview(book.full).new
    assert section.kpis == NewKpis(customers=2, total_licenses=60)
    assert table(section) == [("Cedar", "T-C1", 10, 3, 1), ("Juniper", "S-J1", 50, 10, 5)]


def test_new_rows_show_days_since_added_and_week_over_week_changes(book):
    rows = by_customer(overview(book.full).new)
    assert (rows["Cedar"].days, rows["Cedar"].assignment_change, rows["Cedar"].usage_change) == (24, 1, 1)
    assert (rows["Juniper"].days, rows["Juniper"].assignment_change, rows["Juniper"].usage_change) == (90, -2, -1)


def test_new_section_of_a_product_the_new_customers_do_not_have_is_empty(book):
    section = overview(book.full, "calling").new
    assert section.kpis == NewKpis(customers=0, total_licenses=0)
    assert section.rows == ()


# --- expiring and renewing -----------------------------------------------------------------------


def test_expiring_section_includes_the_90th_day_and_trials(book):
    section = overview(book.full).expiring
    assert table(section) == [("Alder", "S-A1", 80, 70, 60), ("Cedar", "T-C1", 10, 3, 1)]
    assert section.kpis == WindowKpis(customers=2, assignment=73 / 90, usage=61 / 90)


def test_expiring_rows_show_days_to_expiry_and_three_monthly_means_of_weekly_use(book):
    rows = by_customer(overview(book.full).expiring)
    # September (50+52+54+56)/4, October (58+60)/2, November (60+62+60+60)/4; the August week is out.
    assert (rows["Alder"].days, rows["Alder"].monthly_usage) == (90, (53.0, 59.0, 60.5))
    # Cedar has snapshots in November only: (0+1)/2.
    assert (rows["Cedar"].days, rows["Cedar"].monthly_usage) == (6, (None, None, 0.5))


def test_expiring_section_of_calling_has_the_same_subscription_with_its_calling_line(book):
    section = overview(book.full, "calling").expiring
    assert table(section) == [("Alder", "S-A1", 20, 25, 10)]
    assert section.kpis == WindowKpis(customers=1, assignment=1.25, usage=0.5)
    assert section.rows[0].monthly_usage == (None, None, None)


def test_renewing_section_lists_auto_renewing_subscriptions_renewing_within_90_days(book):
    section = overview(book.full).renewing
    assert table(section) == [("Birch", "S-B1", 40, 4, 2)]
    assert section.kpis == WindowKpis(customers=1, assignment=0.1, usage=0.05)
    assert (section.rows[0].days, section.rows[0].monthly_usage) == (30, (None, None, 2.0))


def test_empty_section_shares_are_not_applicable_rather_than_zero(book):
    section = overview(book.full, "calling").renewing
    assert section.kpis == WindowKpis(customers=0, assignment=None, usage=None)


# --- low assignment ------------------------------------------------------------------------------


def test_low_assignment_applies_the_peer_percentile_and_the_fallback_under_five_peers(book):
    section = overview(book.full).low_assignment
    # Elm and Ivy under the band's 26.8 %; Birch and Juniper under the 30 % fallback of their band.
    assert table(section) == [
        ("Birch", "S-B1", 40, 4, 2),
        ("Elm", "S-E1", 10, 1, 1),
        ("Ivy", "S-I1", 4, 1, 0),
        ("Juniper", "S-J1", 50, 10, 5),
    ]
    assert section.kpis == LowKpis(customers=4, assignment=16 / 104, usage=8 / 104, unassigned=36 + 9 + 3 + 40)


def test_low_rows_show_months_since_added_and_weekly_assignment_change(book):
    rows = by_customer(overview(book.full).low_assignment)
    assert {name: (row.months, row.assignment_change) for name, row in rows.items()} == {
        "Birch": (29, 0),
        "Elm": (18, None),  # no snapshots
        "Ivy": (21, None),  # no snapshot last week
        "Juniper": (2, -2),
    }
    assert rows["Ivy"].assigned_share == 0.25


def test_zero_quantity_young_and_inactive_lines_are_never_low(book):
    low = {row.customer for row in overview(book.full).low_assignment.rows}
    low |= {row.customer for row in overview(book.full, "calling").low_assignment.rows}
    assert not low & {"Dogwood", "Cedar", "Kauri", "Larch", "Nutmeg"}


def test_low_lines_of_the_query_are_the_rules_low_lines(book):
    facts = [
        rules.LineFacts(
            key=line.subscription.subscription_id,
            product=line.product,
            quantity=line.quantity,
            assigned=line.assigned,
            active=line.subscription.state == "active",
            start_on=line.subscription.start_on,
        )
        for line in LicenseLine.objects.using("region_eu")
        .filter(partner_id=book.partner.pk)
        .select_related("subscription")
    ]
    expected = rules.low_lines(facts, today=TODAY)
    found = {
        row.subscription_id
        for product in ("meetings", "calling")
        for row in overview(book.full, product).low_assignment.rows
    }
    assert found == expected == {"S-B1", "S-E1", "S-I1", "S-J1"}


# --- over the limit ------------------------------------------------------------------------------


def test_over_limit_section_sums_the_excess_of_active_lines_over_their_quantity(book):
    section = overview(book.full, "calling").over_limit
    assert table(section) == [
        ("Alder", "S-A1", 20, 25, 10),
        ("Dogwood", "S-D1", 30, 40, 35),
        ("Elm", "S-E1", 10, 12, 12),
    ]
    assert section.kpis == OverKpis(customers=3, total_excess=5 + 10 + 2, average_excess=17 / 3)


def test_over_limit_rows_show_months_remaining_auto_renew_and_shares(book):
    rows = by_customer(overview(book.full, "calling").over_limit)
    assert {name: (r.months, r.auto_renew, r.assigned_share, r.used_share) for name, r in rows.items()} == {
        "Alder": (2, False, 1.25, 0.5),
        "Dogwood": (6, True, 40 / 30, 35 / 30),
        "Elm": (5, True, 1.2, 1.2),
    }


def test_a_customer_over_the_limit_in_one_product_and_low_in_the_other_is_in_each_section_once(book):
    meetings, calling = overview(book.full), overview(book.full, "calling")
    assert "Elm" in by_customer(meetings.low_assignment) and "Elm" not in by_customer(meetings.over_limit)
    assert "Elm" in by_customer(calling.over_limit) and "Elm" not in by_customer(calling.low_assignment)
    assert meetings.over_limit.kpis == OverKpis(customers=0, total_excess=0, average_excess=None)


# --- scope ---------------------------------------------------------------------------------------


def partner_admin(book, *names):
    admin = AdminFactory(partner=book.partner, role="partner_admin")
    for name in names:
        CustomerAccess.objects.create(admin=admin, org_id=book.customers[name].org_id, kind=AccessKind.ASSIGNED)
    return scope_for(admin)


def test_partner_admin_counts_only_its_customers(book):
    scope = partner_admin(book, "Alder", "Birch", "Elm", "Nutmeg")
    assert overview(scope).kpis == Kpis(
        total_customers=4, expiring_soon=1, renewing_soon=1, low_assignment=2, over_limit=2
    )
    assert overview(book.full).kpis.total_customers == 14


def test_partner_admin_lines_are_judged_against_the_whole_partners_peers(book):
    # Alone, Nutmeg's 28.6 % would fall under the 30 % fallback; among the partner's seven peers
    # the threshold is 26.8 %.
    scope = partner_admin(book, "Nutmeg", "Elm")
    assert table(overview(scope).low_assignment) == [("Elm", "S-E1", 10, 1, 1)]


def test_partner_admin_sections_hide_unassigned_customers(book):
    scope = partner_admin(book, "Alder", "Birch")
    result = overview(scope)
    assert table(result.expiring) == [("Alder", "S-A1", 80, 70, 60)]
    assert result.new.rows == ()
    assert [w.used for w in result.trend][-2:] == [60 + 1, 60 + 3]


def test_other_partners_admin_sees_none_of_the_partners_figures(book):
    scope = scope_for(AdminFactory(partner=book.other, role="full_admin"))
    result = overview(scope)
    # Xylo's 0 % line is its own only peer: under the 30 % fallback.
    assert result.kpis == Kpis(total_customers=1, expiring_soon=1, renewing_soon=0, low_assignment=1, over_limit=0)
    assert table(result.expiring) == table(result.low_assignment) == [("Xylo", "S-X1", 10, 0, 0)]


# --- regions, input ------------------------------------------------------------------------------


def test_regions_with_customers_lists_only_regions_the_scope_has_customers_in(book):
    assert regions_with_customers(book.full) == ["US", "EU"]
    assert regions_with_customers(partner_admin(book, "Alder")) == ["EU"]


def test_another_region_reads_its_own_database(book):
    result = overview(book.full, region="US")
    assert result.kpis.total_customers == 1
    assert table(result.expiring) == [("Umber", "S-U1", 10, 0, 0)]


def test_a_region_without_licenses_gives_zeros_and_empty_shares(book):
    scope = scope_for(AdminFactory(partner=book.other, role="full_admin"))
    result = overview(scope, region="CA")
    assert result.kpis == Kpis(total_customers=0, expiring_soon=0, renewing_soon=0, low_assignment=0, over_limit=0)
    assert {w.used + w.assigned_unused + w.available for w in result.trend} == {0}
    assert result.low_assignment.kpis == LowKpis(customers=0, assignment=None, usage=None, unassigned=0)
    assert all(result.section(key).rows == () for key in ("new", "expiring", "renewing", "low_assignment"))


def test_unknown_region_and_product_are_refused():
    scope = SimpleNamespace(partner_id=1, customer_ids=None, admin_id=1)
    with pytest.raises(UnknownRegion, match="unknown region 'XX'"):
        license_overview(scope, region="XX", product="meetings", today=TODAY)
    with pytest.raises(UnknownProduct, match="unknown product 'messaging'"):
        license_overview(scope, region="EU", product="messaging", today=TODAY)


def test_overview_takes_a_fixed_number_of_queries(book):
    with (
        CaptureQueriesContext(connections["default"]) as control,
        CaptureQueriesContext(connections["region_eu"]) as eu,
    ):
        overview(book.full)
    # control: customer count, names; region: change token, subscriptions with their lines, token
    # again, trend, token again, the shown rows' snapshots
    assert (len(control), len(eu)) == (2, 6)


def test_overview_asked_again_reads_only_the_token_and_the_shown_rows(book):
    overview(book.full)
    with (
        CaptureQueriesContext(connections["default"]) as control,
        CaptureQueriesContext(connections["region_eu"]) as eu,
    ):
        again = overview(book.full)
    assert (len(control), len(eu)) == (2, 2)
    assert again == overview(book.full)


def test_a_write_to_a_line_shows_in_the_next_overview(book):
    assert overview(book.full).kpis.over_limit == 3
    LicenseLine.objects.using("region_eu").filter(
        subscription__org_id=book.customers["Fir"].org_id, product="meetings"
    ).update(assigned=11)  # Fir's meetings line: 11 of 10, over the limit
    assert overview(book.full).kpis.over_limit == 4


def test_a_new_snapshot_shows_in_the_next_trend(book):
    before = overview(book.full).trend[-1]
    line = LicenseLine.objects.using("region_eu").filter(product="meetings", quantity__gt=0).first()
    LicenseSnapshot.objects.using("region_eu").filter(line=line, week_on=before.week_on).delete()
    after = overview(book.full).trend[-1]
    assert after.total == before.total - line.quantity


def test_one_section_alone_is_the_same_as_in_the_overview(book):
    request = TableRequest(sort="-customer", offset=1, limit=2)
    whole = license_overview(
        book.full, region="EU", product="meetings", today=TODAY, tables={"low_assignment": request}
    ).low_assignment
    alone = license_section(
        book.full, region="EU", product="meetings", today=TODAY, section="low_assignment", table=request
    )
    assert alone == whole
    assert [r.customer for r in alone.rows] == ["Ivy", "Elm"]
    assert (alone.count, alone.sort, alone.offset) == (4, "-customer", 1)


def test_section_rows_are_every_row_of_the_section_complete_and_in_order(book):
    rows = list(section_rows(book.full, region="EU", product="meetings", today=TODAY, section="expiring", sort="-days"))
    assert [(r.customer, r.days, r.monthly_usage) for r in rows] == [
        ("Alder", 90, (53.0, 59.0, 60.5)),
        ("Cedar", 6, (None, None, 0.5)),
    ]


def test_a_section_swap_after_the_overview_reads_only_the_token_and_its_rows(book):
    overview(book.full)
    with CaptureQueriesContext(connections["region_eu"]) as eu:
        license_section(
            book.full, region="EU", product="meetings", today=TODAY, section="expiring", table=TableRequest()
        )
    # the change token and the shown rows' snapshots
    assert len(eu) == 2


# --- tables --------------------------------------------------------------------------------------


def test_section_rows_sort_by_any_column_with_missing_values_last(book):
    section = overview(book.full).low_assignment
    columns = section_columns("low_assignment", rules.usage_months(TODAY))
    by_change = sorted_rows(section.rows, "assignment_change", columns)
    assert [r.customer for r in by_change] == ["Juniper", "Birch", "Elm", "Ivy"]
    by_change_desc = sorted_rows(section.rows, "-assignment_change", columns)
    assert [r.customer for r in by_change_desc] == ["Birch", "Juniper", "Elm", "Ivy"]
    assert [r.customer for r in sorted_rows(section.rows, "-customer", columns)] == ["Juniper", "Ivy", "Elm", "Birch"]


def test_unknown_sort_falls_back_to_the_sections_default(book):
    columns = section_columns("over_limit", rules.usage_months(TODAY))
    assert sort_key("over_limit", "-nonsense", columns) == "-assigned"
    assert sort_key("over_limit", "-months", columns) == "-months"


def test_csv_columns_spell_out_bars_shares_and_months(book):
    headers = [str(c.header) for c in csv_columns(section_columns("expiring", rules.usage_months(TODAY)))]
    assert headers == [
        "Customer",
        "Subscription ID",
        "Days to expiry",
        "Total licenses",
        "Used",
        "Assigned, not used",
        "Available",
        "Mean weekly used, 2026-09",
        "Mean weekly used, 2026-10",
        "Mean weekly used, 2026-11",
    ]
    low = [str(c.header) for c in csv_columns(section_columns("low_assignment", rules.usage_months(TODAY)))]
    assert low[3:5] == ["Assigned", "Assigned %"]
