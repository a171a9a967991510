"""The Analytics page and its CSV exports, on the hand-computed book of test_queries.py."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connections
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKind, CustomerAccess
from accounts.tests.factories import AdminFactory
from analytics.tests.factories import build_book

pytestmark = [
    pytest.mark.django_db(databases="__all__"),
    pytest.mark.usefixtures("on_the_books_day"),
]


@pytest.fixture
def on_the_books_day():
    with time_machine.travel(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def book():
    return build_book()


@pytest.fixture
def signed_in(client, book):
    client.force_login(book.admin)
    return client


def rows(response, section):
    table = next(t for t in response.context["tables"] if t.key == section)
    return [r.customer for r in table.rows]


def read_csv(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_page_shows_the_regions_kpis_trend_and_sections(signed_in):
    response = signed_in.get("/analytics/?region=EU")
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["regions"] == ["US", "EU"]
    kpis = response.context["overview"].kpis
    assert (kpis.total_customers, kpis.expiring_soon, kpis.renewing_soon, kpis.low_assignment, kpis.over_limit) == (
        14,
        2,
        1,
        4,
        3,
    )
    assert 'data-kpi="over_limit">3<' in html
    for key in ("new", "expiring", "renewing", "low_assignment", "over_limit"):
        assert f'id="section-{key}"' in html
    trend = json.loads(html.split('<script id="trend-data" type="application/json">')[1].split("</script>")[0])
    assert trend["weeks"][-1] == "2026-11-22"
    assert [s["values"][-1] for s in trend["series"]] == [75, 19, 96]
    assert '<script src="/static/partnerhub/charts.js">' in html


def test_region_defaults_to_the_first_with_customers_and_the_selector_switches(signed_in):
    response = signed_in.get("/analytics/")
    assert response.context["region"] == "US"
    assert response.context["overview"].kpis.total_customers == 1
    assert 'href="/analytics/?region=EU"' in response.content.decode()


def test_unknown_region_or_product_falls_back_to_the_defaults(signed_in):
    response = signed_in.get("/analytics/?region=XX&product=messaging")
    assert (response.status_code, response.context["region"], response.context["product"]) == (200, "US", "meetings")


def test_kpis_link_to_the_customer_list_or_to_their_section(signed_in):
    links = signed_in.get("/analytics/?region=EU").context["kpi_links"]
    assert links["total_customers"] == "/customers/?region=EU"
    assert links["over_limit"] == "/customers/?region=EU&status=license_overage"
    assert links["expiring_soon"] == "#section-expiring"


def test_product_toggle_restricts_the_sections(signed_in):
    response = signed_in.get("/analytics/?region=EU&product=calling")
    assert rows(response, "over_limit") == ["Dogwood", "Alder", "Elm"]  # highest share assigned first
    assert rows(response, "low_assignment") == []
    assert 'href="?region=EU&amp;product=meetings"' in response.content.decode()


def test_a_section_sorts_by_any_column_both_ways(signed_in):
    response = signed_in.get("/analytics/?region=EU&low_assignment_sort=-customer")
    assert rows(response, "low_assignment") == ["Juniper", "Ivy", "Elm", "Birch"]
    response = signed_in.get("/analytics/?region=EU&low_assignment_sort=assignment_change")
    assert rows(response, "low_assignment") == ["Juniper", "Birch", "Elm", "Ivy"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_a_section_is_paginated_on_its_own(signed_in, monkeypatch):
    monkeypatch.setattr("analytics.views.PAGE_SIZE", 3)
    response = signed_in.get("/analytics/?region=EU&low_assignment_sort=customer&low_assignment_page=2")
    assert rows(response, "low_assignment") == ["Juniper"]
    assert rows(response, "expiring") == ["Cedar", "Alder"]  # the other sections keep their first page
    table = next(t for t in response.context["tables"] if t.key == "low_assignment")
    assert table.previous_url == "?region=EU&low_assignment_sort=customer&low_assignment_page=1"
    assert table.next_url is None


def test_a_page_past_the_end_shows_the_last_page(signed_in, monkeypatch):
    monkeypatch.setattr("analytics.views.PAGE_SIZE", 3)
    response = signed_in.get("/analytics/?region=EU&low_assignment_sort=customer&low_assignment_page=9")
    assert rows(response, "low_assignment") == ["Juniper"]
    table = next(t for t in response.context["tables"] if t.key == "low_assignment")
    assert (table.page.number, table.page.paginator.num_pages) == (2, 2)


def test_htmx_swaps_only_the_section_asked_for(signed_in):
    with CaptureQueriesContext(connections["region_eu"]) as eu:
        response = signed_in.get(
            "/analytics/?region=EU&renewing_sort=-days", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="section-renewing"
        )
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card shadow-sm mb-4" id="section-renewing"')
    assert "<html" not in html and "Birch" in html
    # the change token, the section's lines, the token again, its rows' snapshots: no trend, no
    # other section's rows
    assert len(eu) == 4


def test_bars_show_exact_numbers_on_hover(signed_in):
    html = signed_in.get("/analytics/?region=EU&product=calling").content.decode()
    expiring = html.split('id="section-expiring"')[1].split("</section>")[0]
    alder = expiring.split('data-subscription="S-A1"')[1].split("</tr>")[0]
    # 20 licences, 25 assigned, 10 used: 10 used, 15 assigned but unused, none available, 5 over
    assert 'title="Used: 10"' in alder
    assert 'title="Assigned, not used: 15"' in alder
    assert 'title="Over limit: 5"' in alder
    assert 'title="Available' not in alder


def test_page_takes_a_fixed_number_of_queries(signed_in):
    with (
        CaptureQueriesContext(connections["default"]) as control,
        CaptureQueriesContext(connections["region_eu"]) as eu,
    ):
        assert signed_in.get("/analytics/?region=EU").status_code == 200
    # the change token, subscriptions with their lines, the token again, trend, the token
    # again, snapshots
    assert len(eu) == 6
    # the frame's own (session, admin, scope, MFA) and ours: regions, customer count, names
    assert len(control) == 9


def test_export_has_exactly_the_tables_columns_in_the_tables_order(signed_in):
    response = signed_in.get("/analytics/export/low_assignment.csv?region=EU&product=meetings&sort=-customer")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="licenses_low_assignment_EU_meetings_2026-11-25.csv"' in response["Content-Disposition"]
    assert read_csv(response) == [
        [
            "Customer",
            "Subscription ID",
            "Months since added",
            "Assigned",
            "Assigned %",
            "Total licenses",
            "Used",
            "Assigned, not used",
            "Available",
            "Weekly assignment change",
        ],
        ["Juniper", "S-J1", "2", "10", "20.0", "50", "5", "5", "40", "-2"],
        ["Ivy", "S-I1", "21", "1", "25.0", "4", "0", "1", "3", "n/a"],
        ["Elm", "S-E1", "18", "1", "10.0", "10", "1", "0", "9", "n/a"],
        ["Birch", "S-B1", "29", "4", "10.0", "40", "2", "2", "36", "0"],
    ]


def test_export_of_expiring_spells_out_the_three_months(signed_in):
    lines = read_csv(signed_in.get("/analytics/export/expiring.csv?region=EU"))
    assert lines[0][-3:] == ["Mean weekly used, 2026-09", "Mean weekly used, 2026-10", "Mean weekly used, 2026-11"]
    assert lines[1] == ["Cedar", "T-C1", "6", "10", "1", "2", "7", "n/a", "n/a", "0.5"]
    assert lines[2] == ["Alder", "S-A1", "90", "80", "60", "10", "10", "53.0", "59.0", "60.5"]


def test_export_holds_every_row_not_one_page(signed_in, monkeypatch):
    monkeypatch.setattr("analytics.views.PAGE_SIZE", 1)
    assert len(read_csv(signed_in.get("/analytics/export/low_assignment.csv?region=EU"))) == 1 + 4


def test_export_of_a_partner_admin_holds_only_its_customers(client, book):
    admin = AdminFactory(partner=book.partner, role="partner_admin")
    CustomerAccess.objects.create(admin=admin, org_id=book.customers["Elm"].org_id, kind=AccessKind.ASSIGNED)
    client.force_login(admin)
    lines = read_csv(client.get("/analytics/export/over_limit.csv?region=EU&product=calling"))
    assert [line[0] for line in lines[1:]] == ["Elm"]
    assert client.get("/analytics/?region=EU").context["overview"].kpis.total_customers == 1


def test_unknown_section_export_is_404(signed_in):
    assert signed_in.get("/analytics/export/everything.csv?region=EU").status_code == 404


def test_page_needs_a_signed_in_admin(client):
    response = client.get("/analytics/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
