"""GET /api/v1/analytics/licenses: the figures of the Analytics page, scoped like it."""

from datetime import UTC, datetime

import pytest
import time_machine

from accounts.models import AccessKind, CustomerAccess
from accounts.tests.factories import AdminFactory
from analytics.tests.factories import build_book

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("on_the_books_day")]
URL = "/api/v1/analytics/licenses"


@pytest.fixture
def on_the_books_day():
    with time_machine.travel(datetime(2026, 11, 25, 9, 30, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def book():
    return build_book()


def get(client, headers, query=""):
    response = client.get(f"{URL}?{query}", **headers)
    return response.status_code, response.json()


def test_answers_kpis_trend_and_the_five_sections(client, bearer, book):
    status, body = get(client, bearer(book.admin, ("read",)), "region=EU&product=meetings")
    assert status == 200
    assert (body["region"], body["product"], body["week_on"]) == ("EU", "meetings", "2026-11-22")
    assert body["kpis"] == {
        "total_customers": 14,
        "expiring_soon": 2,
        "renewing_soon": 1,
        "low_assignment": 4,
        "over_limit": 3,
    }
    assert body["trend"][-1] == {"week_on": "2026-11-22", "used": 75, "assigned_unused": 19, "available": 96}
    assert len(body["trend"]) == 12
    assert set(body) >= {"new", "expiring", "renewing", "low_assignment_section", "over_limit_section"}
    for key in ("new", "expiring", "renewing", "low_assignment_section", "over_limit_section"):
        assert set(body[key]) == {"kpis", "count", "rows"}


def test_section_rows_carry_the_tables_columns(client, bearer, book):
    _status, body = get(client, bearer(book.admin), "region=EU")
    assert body["new"]["kpis"] == {"customers": 2, "total_licenses": 60}
    assert body["new"]["rows"][0] == {
        "org_id": str(book.customers["Cedar"].org_id),
        "customer": "Cedar",
        "subscription_id": "T-C1",
        "days_since_added": 24,
        "total_licenses": 10,
        "used": 1,
        "assigned": 3,
        "available": 7,
        "weekly_assignment_change": 1,
        "weekly_usage_change": 1,
    }
    alder = next(r for r in body["expiring"]["rows"] if r["customer"] == "Alder")
    assert alder["days_to_expiry"] == 90
    assert alder["usage_last_3_months"] == [
        {"month": "2026-09", "mean_weekly_used": 53.0},
        {"month": "2026-10", "mean_weekly_used": 59.0},
        {"month": "2026-11", "mean_weekly_used": 60.5},
    ]
    low = body["low_assignment_section"]
    assert low["kpis"]["unassigned"] == 88 and low["count"] == 4
    assert {r["customer"]: r["weekly_assignment_change"] for r in low["rows"]} == {
        "Elm": None,
        "Ivy": None,
        "Birch": 0,
        "Juniper": -2,
    }


def test_empty_shares_are_null_not_zero(client, bearer, book):
    _status, body = get(client, bearer(book.admin), "region=EU&product=calling")
    assert body["renewing"]["kpis"] == {"customers": 0, "assignment": None, "usage": None}
    assert body["over_limit_section"]["kpis"] == {"customers": 3, "total_excess": 17, "average_excess": 17 / 3}


def test_limit_and_offset_page_every_section(client, bearer, book):
    _status, body = get(client, bearer(book.admin), "region=EU&limit=1&offset=1")
    low = body["low_assignment_section"]
    assert (low["count"], len(low["rows"])) == (4, 1)
    assert body["new"]["rows"][0]["customer"] == "Juniper"


def test_offset_past_the_end_answers_no_rows(client, bearer, book):
    _status, body = get(client, bearer(book.admin), "region=EU&offset=10")
    assert (body["expiring"]["count"], body["expiring"]["rows"]) == (2, [])


def test_region_defaults_to_the_first_with_customers(client, bearer, book):
    _status, body = get(client, bearer(book.admin))
    assert (body["region"], body["product"], body["kpis"]["total_customers"]) == ("US", "meetings", 1)


@pytest.mark.parametrize(("query", "field"), [("region=XX", "region"), ("region=EU&product=messaging", "product")])
def test_unknown_region_or_product_is_422_naming_the_parameter(client, bearer, book, query, field):
    status, body = get(client, bearer(book.admin), query)
    assert status == 422
    assert body["detail"] == "The request is not valid."
    assert [e["field"] for e in body["errors"]] == [field]


def test_limit_out_of_range_is_422(client, bearer, book):
    status, body = get(client, bearer(book.admin), "region=EU&limit=5000")
    assert status == 422
    assert body["errors"][0]["field"].endswith("limit")


def test_partner_admin_sees_only_its_customers_figures(client, bearer, book):
    admin = AdminFactory(partner=book.partner, role="partner_admin")
    for name in ("Alder", "Birch", "Elm", "Nutmeg"):
        CustomerAccess.objects.create(admin=admin, org_id=book.customers[name].org_id, kind=AccessKind.ASSIGNED)
    _status, body = get(client, bearer(admin), "region=EU")
    assert body["kpis"] == {
        "total_customers": 4,
        "expiring_soon": 1,
        "renewing_soon": 1,
        "low_assignment": 2,
        "over_limit": 2,
    }
    assert sorted(r["customer"] for r in body["low_assignment_section"]["rows"]) == ["Birch", "Elm"]


def test_another_partners_admin_sees_none_of_it(client, bearer, book):
    _status, body = get(client, bearer(AdminFactory(partner=book.other, role="read_only")), "region=EU")
    assert body["kpis"]["total_customers"] == 1
    assert [r["customer"] for r in body["expiring"]["rows"]] == ["Xylo"]


def test_needs_a_token(client, book):
    response = client.get(f"{URL}?region=EU")
    assert response.status_code == 401
