"""The page frame (navigation, admin menu, language switch, region selector) and the home page."""

import html
import re

import pytest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import include, path, reverse

from accounts import queries
from accounts.models import CustomerAccess
from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from accounts.views import home
from customers.models import Customer, encode_set

pytestmark = pytest.mark.django_db(databases="__all__")


def _customers_page(request):
    return render(request, "base.html")


# A URLconf in which only the Customers section exists, so the navigation test does not depend on
# which sections the project has switched on.
urlpatterns = [
    path("", home, name="home"),
    path("", include("accounts.urls")),
    path("customers/", include(([path("", _customers_page, name="list")], "customers"))),
    path("data-feeds/", include("ingest.urls")),  # linked from the admin menu
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]


def make_customer(partner, name, region="US", statuses=()):
    return Customer.objects.create(
        partner=partner, name=name, region=region, statuses=encode_set(statuses), lifecycle="active"
    )


def nav_labels(response):
    return [item.label for item in response.context["nav_items"]]


@pytest.mark.urls(__name__)
def test_the_navigation_lists_only_sections_whose_page_exists(client, full_admin):
    client.force_login(full_admin)

    response = client.get("/")

    assert nav_labels(response) == ["Home", "Customers"]
    page = response.content.decode()
    assert 'data-nav="customers:list"' in page
    assert 'data-nav="analytics:licenses"' not in page


@pytest.mark.urls(__name__)
def test_the_navigation_marks_the_current_section(client, full_admin):
    client.force_login(full_admin)

    response = client.get("/customers/")

    active = [item.url_name for item in response.context["nav_items"] if item.active]
    assert active == ["customers:list"]
    assert 'href="/customers/" aria-current="page"' in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_sign_in_page_has_no_navigation_and_no_sign_up_link(client):
    response = client.get(reverse("account_login"))

    page = response.content.decode()
    assert response.context["nav_items"] == []
    assert "Sign in to Partner Hub" in page
    assert "sign up" not in page.lower()


def test_pages_load_no_asset_from_another_site(client, full_admin):
    client.force_login(full_admin)

    page = client.get(reverse("home")).content.decode()

    assert 'src="http' not in page
    assert 'href="http' not in page
    assert 'src="/static/bootstrap/js/bootstrap.bundle.min.js"' in page
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page


def test_the_admin_menu_shows_who_is_signed_in_with_mfa_and_sign_out(client):
    admin = AdminFactory(display_name="Min-ji Park", role="read_only", partner=PartnerFactory(name="Hanbit Telecom"))
    client.force_login(admin)

    page = client.get(reverse("home")).content.decode()

    assert "Min-ji Park" in page
    assert '<dd class="mb-1">Hanbit Telecom</dd>' in page
    assert "Partner read-only admin" in page
    assert f'href="{reverse("mfa_index")}"' in page
    assert f'<form method="post" action="{reverse("account_logout")}">' in page


def test_the_korean_switch_shows_korean_labels(client, full_admin):
    client.force_login(full_admin)

    switched = client.post(reverse("set_language"), {"language": "ko", "next": reverse("home")})
    page = client.get(reverse("home")).content.decode()

    assert switched["Location"] == reverse("home")
    assert '<html lang="ko">' in page
    assert 'data-nav="home">홈</a>' in page
    assert "고객" in page
    assert "로그아웃" in page


def test_the_english_switch_goes_back_to_english(client, full_admin):
    client.force_login(full_admin)
    client.post(reverse("set_language"), {"language": "ko", "next": "/"})

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()

    assert '<html lang="en">' in page
    assert 'data-nav="home">Home</a>' in page


def render_region_selector(path, regions, current):
    request = RequestFactory().get(path)
    return render_to_string(
        "components/region_selector.html", {"regions": regions, "current": current}, request=request
    )


def test_the_region_selector_is_hidden_with_one_region():
    assert render_region_selector("/analytics/", ["US"], "US").strip() == ""


def test_the_region_selector_links_keep_other_parameters_and_reset_the_page():
    html = render_region_selector("/analytics/?product=calling&page=3&region=US", ["US", "EU", "UAE"], "US")

    assert 'href="/analytics/?product=calling&amp;region=EU"' in html
    assert 'href="/analytics/?product=calling&amp;region=UAE"' in html
    assert "page=3" not in html


def test_the_region_selector_marks_the_current_region():
    html = render_region_selector("/reports/", ["US", "EU"], "EU")

    assert 'href="/reports/?region=EU"\n         title="Europe" aria-current="true"' in html
    assert 'title="United States">' in html


def test_home_counts_the_visible_customers_per_status_and_region(client, full_admin):
    partner = full_admin.partner
    make_customer(partner, "Alpha", "US", ["subscription", "expiring_soon"])
    make_customer(partner, "Bravo", "EU", ["trial", "expiring_soon", "license_overage"])
    make_customer(partner, "Charlie", "EU", ["subscription"])
    make_customer(PartnerFactory(), "Other partner's", "US", ["expired"])
    client.force_login(full_admin)

    response = client.get(reverse("home"))

    summary = response.context["summary"]
    counts = {item.status: item.count for item in summary.statuses}
    assert summary.customer_count == 3
    assert summary.needs_attention == 2
    assert counts["expiring_soon"] == 2
    assert counts["subscription"] == 2
    assert counts["license_overage"] == 1
    assert counts["expired"] == 0
    assert [(r.region, r.count) for r in summary.regions] == [("US", 1), ("EU", 2)]
    page = response.content.decode()
    assert '<div class="ph-stat-value" data-testid="customer-count">3</div>' in page
    assert 'data-status="expiring_soon">2</div>' in page


def test_the_attention_count_links_to_exactly_those_customers(client, full_admin):
    partner = full_admin.partner
    make_customer(partner, "Alpha", "US", ["subscription", "expiring_soon"])
    make_customer(partner, "Bravo", "EU", ["trial", "license_overage"])
    make_customer(partner, "Charlie", "EU", ["subscription"])
    make_customer(partner, "Delta", "US", ["expired"])
    client.force_login(full_admin)
    home = client.get(reverse("home"))
    link = re.search(r'href="([^"]+)" data-testid="attention-link"', home.content.decode())
    assert link is not None

    listed = client.get(html.unescape(link.group(1)))

    assert home.context["summary"].needs_attention == 3
    assert sorted(row.name for row in listed.context["page"].rows) == ["Alpha", "Bravo", "Delta"]


def test_home_of_a_partner_admin_counts_only_assigned_customers(partner):
    admin = AdminFactory(partner=partner, role="partner_admin")
    assigned = make_customer(partner, "Assigned", "US", ["suspended"])
    make_customer(partner, "Not assigned", "US", ["suspended"])
    CustomerAccess.objects.create(admin=admin, org_id=assigned.org_id, kind="assigned")

    summary = queries.home_summary(scope_for(admin))

    assert summary.customer_count == 1
    assert {item.status: item.count for item in summary.statuses}["suspended"] == 1
    assert summary.role_label == "Partner admin"


def test_home_without_customers_says_so(client, full_admin):
    client.force_login(full_admin)

    page = client.get(reverse("home")).content.decode()

    assert "No customers yet." in page
    assert 'data-testid="customer-count">0</div>' in page


def test_home_costs_a_fixed_number_of_queries(client, full_admin, django_assert_max_num_queries):
    for number in range(30):
        make_customer(full_admin.partner, f"Customer {number}", "US", ["subscription", "expiring_soon"][: number % 3])
    client.force_login(full_admin)

    with django_assert_max_num_queries(12):
        assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize(
    ("number", "links"),
    [
        (1, ["Next 2", "Last 9"]),
        (2, ["Previous 1", "Next 3", "Last 9"]),
        (5, ["First 1", "Previous 4", "Next 6", "Last 9"]),
        (8, ["First 1", "Previous 7", "Next 9"]),
        (9, ["First 1", "Previous 8"]),
    ],
)
def test_the_pager_links_the_first_previous_next_and_last_pages_that_differ(number, links):
    request = RequestFactory().get("/customers/", {"q": "acme", "page": number})
    context = {"request": request, "number": number, "pages": 9, "target": "#results"}

    pager = render_to_string("components/pager.html", context)

    found = re.findall(r'<a class="page-link" href="[^"]*page=(\d+)[^"]*"[^>]*>(\w+)</a>', pager)
    assert [f"{label} {page}" for page, label in found] == links
    assert f"Page {number} of 9" in pager
