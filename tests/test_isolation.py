"""Scoping across every surface that lists customers (STYLE: "the rule that matters most"): the
customer list page and its CSV export, the customer page, the trial form's customer choice, the
tags page, the home page, the license analytics page and its CSV exports, and the API's customer
list, customer detail, tags and license analytics.

Two partners. Northwind has an assigned customer and an unassigned one; Blue Harbor has its own
customer. An admin of the other partner never sees a Northwind customer's name or org id; a
partner admin (and an external admin granted one customer) never sees the unassigned one. Tags
are a partner's own: on a customer shared with an external admin, each partner sees its tags. Each
test also finds the rows the viewer may see, so an empty answer cannot pass for a scoped one.
List pages pin their query count, the same for every role."""

import uuid
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import scope_for
from accounts.services import create_token
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, create_tag, tag_customers, upsert_customer
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions

pytestmark = pytest.mark.django_db(databases="__all__")

ANALYTICS_SECTIONS = ("new", "expiring", "renewing", "low_assignment", "over_limit")


def _customer(partner, name: str, today: date):
    """A US customer whose one Meetings subscription started 10 days ago, ends in 30 days without
    renewing and is over its limit: it shows in the new, expiring and over-limit sections."""
    customer = upsert_customer(
        partner_id=partner.pk, record=CustomerRecord(org_id=uuid.uuid4(), name=name, region="US")
    )
    upsert_subscriptions(
        customer=customer,
        records=[
            SubscriptionRecord(
                subscription_id=f"Sub-{customer.org_id.hex[:12]}",
                kind="paid",
                state="active",
                start_on=today - timedelta(days=10),
                end_on=today + timedelta(days=30),
                lines=(LicenseLineRecord(product="meetings", sku="MTG", quantity=10, assigned=12, used=5),),
            )
        ],
    )
    return customer


@pytest.fixture
def world():
    today = date.today()
    northwind, harbor = PartnerFactory(name="Northwind"), PartnerFactory(name="Blue Harbor")
    north_full = AdminFactory(partner=northwind, role="full_admin")
    pam = AdminFactory(partner=northwind, role="partner_admin")
    harbor_full = AdminFactory(partner=harbor, role="full_admin")
    external = AdminFactory(partner=harbor, role="external_admin")
    assigned = _customer(northwind, "Northwind Assigned Quokka", today)
    unassigned = _customer(northwind, "Northwind Unassigned Wombat", today)
    theirs = _customer(harbor, "Harbor Own Platypus", today)
    CustomerAccess.objects.create(admin=pam, org_id=assigned.org_id, kind=AccessKind.ASSIGNED)
    CustomerAccess.objects.create(admin=external, org_id=assigned.org_id, kind=AccessKind.GRANTED)
    north_tag = create_tag(scope=scope_for(north_full), name="northwind-secret-tag")
    tag_customers(scope=scope_for(north_full), tag=north_tag, org_ids=[assigned.org_id, unassigned.org_id])
    harbor_tag = create_tag(scope=scope_for(harbor_full), name="harbor-secret-tag")
    # The external admin labels the customer granted to it with its own partner's tag.
    tag_customers(scope=scope_for(external), tag=harbor_tag, org_ids=[assigned.org_id])
    return SimpleNamespace(
        admins={"north_full": north_full, "pam": pam, "harbor_full": harbor_full, "external": external},
        customers={"assigned": assigned, "unassigned": unassigned, "theirs": theirs},
    )


# Who sees what: (viewer, customers it must never see, customers it sees).
CASES = [
    ("harbor_full", ("assigned", "unassigned"), ("theirs",)),
    ("pam", ("unassigned", "theirs"), ("assigned",)),
    ("external", ("unassigned", "theirs"), ("assigned",)),
    ("north_full", ("theirs",), ("assigned", "unassigned")),
]
IDS = [f"{viewer} hides {', '.join(hidden)}" for viewer, hidden, _seen in CASES]


def traces(customer) -> tuple[str, str]:
    return customer.name, str(customer.org_id)


def assert_hidden(text: str, world, hidden, seen) -> None:
    for key in hidden:
        for trace in traces(world.customers[key]):
            assert trace not in text, f"{key} leaks as {trace!r}"
    for key in seen:
        assert world.customers[key].name in text, f"{key} is missing"


def bearer(admin) -> dict[str, str]:
    _token, raw = create_token(admin=admin, scopes=["read"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_customer_list_page_shows_only_the_viewers_customers(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    response = client.get("/customers/")
    assert response.status_code == 200
    assert_hidden(response.content.decode(), world, hidden, seen)


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_customer_list_search_does_not_find_hidden_customers(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    for key in hidden:
        name, org_id = traces(world.customers[key])
        for query in (name, org_id, org_id[:8]):
            page = client.get("/customers/", {"q": query}).context["page"]
            assert (page.count, page.rows) == (0, ())
            # The search box repeats the query; the id must appear nowhere else.
            export = b"".join(client.get("/customers/export.csv", {"q": query}).streaming_content).decode()
            assert name not in export


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_customer_csv_export_holds_only_the_viewers_customers(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    response = client.get("/customers/export.csv")
    assert response.status_code == 200
    assert_hidden(b"".join(response.streaming_content).decode(), world, hidden, seen)


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_hidden_customer_pages_answer_404_without_naming_the_customer(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    for key in hidden:
        name, org_id = traces(world.customers[key])
        for tab in ("subscriptions", "trials", "admins"):
            response = client.get(f"/customers/{org_id}/", {"tab": tab})
            assert response.status_code == 404
            assert name not in response.content.decode()
    for key in seen:
        response = client.get(f"/customers/{world.customers[key].org_id}/")
        assert world.customers[key].name in response.content.decode()


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_trial_form_offers_only_the_viewers_customers(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    response = client.get("/trials/new")
    assert response.status_code == 200
    assert_hidden(response.content.decode(), world, hidden, seen)


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_home_page_names_no_hidden_customer(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    text = client.get("/").content.decode()
    for key in hidden:
        for trace in traces(world.customers[key]):
            assert trace not in text


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_license_analytics_page_shows_only_the_viewers_customers(client, world, viewer, hidden, seen):
    client.force_login(world.admins[viewer])
    response = client.get("/analytics/", {"region": "US", "product": "meetings"})
    assert response.status_code == 200
    assert_hidden(response.content.decode(), world, hidden, seen)


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
@pytest.mark.parametrize("section", ANALYTICS_SECTIONS)
def test_license_analytics_exports_hold_only_the_viewers_customers(client, world, viewer, hidden, seen, section):
    client.force_login(world.admins[viewer])
    response = client.get(f"/analytics/export/{section}.csv", {"region": "US", "product": "meetings"})
    assert response.status_code == 200
    # Every customer of the world is new, expiring and over its limit; none renews or is low.
    assert_hidden(
        b"".join(response.streaming_content).decode(),
        world,
        hidden,
        () if section in {"renewing", "low_assignment"} else seen,
    )


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_api_customer_list_holds_only_the_viewers_customers(client, world, viewer, hidden, seen):
    headers = bearer(world.admins[viewer])
    response = client.get("/api/v1/customers", {"limit": 1000}, **headers)
    assert response.status_code == 200
    assert response.json()["count"] == len(seen)
    assert_hidden(response.content.decode(), world, hidden, seen)
    for key in hidden:
        name, _org_id = traces(world.customers[key])
        found = client.get("/api/v1/customers", {"q": name}, **headers).json()
        assert found == {"count": 0, "items": []}


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_api_hidden_customer_answers_404_like_a_missing_one(client, world, viewer, hidden, seen):
    headers = bearer(world.admins[viewer])
    missing = client.get(f"/api/v1/customers/{uuid.uuid4()}", **headers)
    for key in hidden:
        response = client.get(f"/api/v1/customers/{world.customers[key].org_id}", **headers)
        assert (response.status_code, response.json()) == (missing.status_code, missing.json())
        assert response.status_code == 404


@pytest.mark.parametrize(("viewer", "hidden", "seen"), CASES, ids=IDS)
def test_api_license_analytics_holds_only_the_viewers_customers(client, world, viewer, hidden, seen):
    response = client.get(
        "/api/v1/analytics/licenses", {"region": "US", "product": "meetings"}, **bearer(world.admins[viewer])
    )
    assert response.status_code == 200
    assert_hidden(response.content.decode(), world, hidden, seen)
    assert response.json()["kpis"]["total_customers"] == len(seen)


@pytest.mark.parametrize(
    ("viewer", "own_tag", "other_tag"),
    [
        ("north_full", "northwind-secret-tag", "harbor-secret-tag"),
        ("pam", "northwind-secret-tag", "harbor-secret-tag"),
        ("harbor_full", "harbor-secret-tag", "northwind-secret-tag"),
    ],
)
def test_tags_page_and_api_list_only_the_viewers_partners_tags(client, world, viewer, own_tag, other_tag):
    admin = world.admins[viewer]
    client.force_login(admin)
    page = client.get("/customers/tags/").content.decode()
    api = client.get("/api/v1/tags", **bearer(admin)).content.decode()
    for text in (page, api):
        assert own_tag in text
        assert other_tag not in text


@pytest.mark.parametrize(
    ("viewer", "own_tag", "other_tag"),
    [
        ("north_full", "northwind-secret-tag", "harbor-secret-tag"),
        ("pam", "northwind-secret-tag", "harbor-secret-tag"),
        ("external", "harbor-secret-tag", "northwind-secret-tag"),
    ],
)
def test_a_shared_customer_shows_each_partner_only_its_own_tags(client, world, viewer, own_tag, other_tag):
    admin = world.admins[viewer]
    org_id = world.customers["assigned"].org_id
    client.force_login(admin)
    headers = bearer(admin)
    texts = [
        client.get("/customers/").content.decode(),
        b"".join(client.get("/customers/export.csv").streaming_content).decode(),
        client.get(f"/customers/{org_id}/").content.decode(),
        client.get("/api/v1/customers", **headers).content.decode(),
        client.get(f"/api/v1/customers/{org_id}", **headers).content.decode(),
    ]
    for text in texts:
        assert own_tag in text
        assert other_tag not in text


@pytest.mark.parametrize(("viewer", "count"), [("north_full", 2), ("pam", 1)])
def test_tag_customer_counts_count_only_visible_customers(client, world, viewer, count):
    admin = world.admins[viewer]
    client.force_login(admin)
    items = client.get("/api/v1/tags", **bearer(admin)).json()["items"]
    assert [(t["name"], t["customers"]) for t in items] == [("northwind-secret-tag", count)]
    page = client.get("/customers/tags/")
    assert [t.customer_count for t in page.context["tags"]] == [count]


# Queries of a second request (the first one writes the session). Page: session, admin, partner
# (set-up gate), count, rows, the rows' tags, the partner's tags (the tag menu, then the tag
# filter's choices) and saved views; export: session, admin, partner, rows, the rows' tags. A
# partner or external admin costs one more, its assigned customers (the scope); no row costs one.
PINNED_QUERIES = {
    ("/customers/", "all customers"): 9,
    ("/customers/", "some customers"): 10,
    ("/customers/export.csv", "all customers"): 5,
    ("/customers/export.csv", "some customers"): 6,
}


@pytest.mark.parametrize("url", ["/customers/", "/customers/export.csv"])
@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("north_full", "all customers"),
        ("harbor_full", "all customers"),
        ("pam", "some customers"),
        ("external", "some customers"),
    ],
)
def test_customer_list_pins_its_query_count_for_every_role(client, world, url, viewer, sees):
    client.force_login(world.admins[viewer])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if url.endswith(".csv"):
            b"".join(response.streaming_content)
    assert len(queries) == PINNED_QUERIES[url, sees]
