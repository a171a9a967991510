"""The customer list page, its filters, export, bulk tagging and saved views."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AccessKind, CustomerAccess
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import SavedView
from customers.services import CustomerRecord, upsert_customer
from customers.tests.factories import TagFactory
from subscriptions.services import LicenseLineRecord, SubscriptionRecord, upsert_subscriptions

pytestmark = pytest.mark.django_db(databases="__all__")
TODAY = timezone.now().date()


def customer(partner, name, region="US", subs=(), external_id=""):
    c = upsert_customer(
        partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, region, external_id=external_id)
    )
    if subs:
        upsert_subscriptions(customer=c, records=list(subs))
    c.refresh_from_db()
    return c


def paid(sid, product="calling", days=200, state="active", auto_renew=True):
    line = LicenseLineRecord(product=product, sku=f"{product}-sku", quantity=10, assigned=5, used=2)
    return SubscriptionRecord(
        sid,
        "paid",
        state,
        TODAY - timedelta(days=60),
        TODAY + timedelta(days=days),
        auto_renew=auto_renew,
        lines=(line,),
    )


def trial(sid, product="meetings", days=20):
    line = LicenseLineRecord(product=product, sku=f"{product}-trial", quantity=5)
    return SubscriptionRecord(sid, "trial", "active", TODAY, TODAY + timedelta(days=days), lines=(line,))


@pytest.fixture
def book():
    partner, other = PartnerFactory(name="Northwind"), PartnerFactory(name="Blue Harbor")
    alpha = customer(partner, "Alpha", "US", [paid("S-1")], external_id="EXT-42")
    bravo = customer(partner, "Bravo", "EU", [trial("S-2")])
    charlie = customer(partner, "Charlie", "EU", [paid("S-3", product="meetings", days=10, auto_renew=False)])
    delta = customer(partner, "Delta", "CA")
    foreign = customer(other, "Foreign", "US", [paid("S-9")])
    vip = TagFactory(partner=partner, name="vip")
    alpha.tags.add(vip)
    charlie.tags.add(vip)
    admin = AdminFactory(partner=partner, role="full_admin")
    return type("Book", (), locals())


def names(client, book, query=""):
    client.force_login(book.admin)
    response = client.get(f"/customers/?{query}")
    assert response.status_code == 200
    return [row.name for row in response.context["page"].rows]


def test_list_shows_every_own_customer_and_no_foreign_one(client, book):
    assert names(client, book) == ["Alpha", "Bravo", "Charlie", "Delta"]


def test_search_matches_name_external_id_and_org_id(client, book):
    assert names(client, book, "q=brav") == ["Bravo"]
    assert names(client, book, "q=EXT-42") == ["Alpha"]
    assert names(client, book, f"q={str(book.delta.org_id)[:8]}") == ["Delta"]


def test_status_filter_matches_any_of_the_chosen_statuses(client, book):
    assert names(client, book, "status=trial") == ["Bravo"]
    assert names(client, book, "status=trial&status=expired") == ["Bravo", "Delta"]


def test_expiring_soon_filter(client, book):
    assert names(client, book, "status=expiring_soon") == ["Bravo", "Charlie"]


def test_product_filter(client, book):
    assert names(client, book, "product=meetings") == ["Bravo", "Charlie"]


def test_subscription_type_filter(client, book):
    assert names(client, book, "subscription_type=paid") == ["Alpha", "Charlie"]
    assert names(client, book, "subscription_type=trial") == ["Bravo"]


def test_tag_filter(client, book):
    assert names(client, book, f"tag={book.vip.pk}") == ["Alpha", "Charlie"]


def test_region_filter(client, book):
    assert names(client, book, "region=EU") == ["Bravo", "Charlie"]


def test_admin_filter_me_and_external(client, book):
    CustomerAccess.objects.create(admin=book.admin, org_id=book.delta.org_id, kind=AccessKind.ASSIGNED)
    external = AdminFactory(partner=book.other, role="external_admin")
    CustomerAccess.objects.create(admin=external, org_id=book.alpha.org_id, kind=AccessKind.GRANTED)
    assert names(client, book, "admin=me") == ["Delta"]
    assert names(client, book, "admin=external") == ["Alpha"]
    assert names(client, book, "admin=partner") == ["Alpha", "Bravo", "Charlie", "Delta"]


def test_filters_combine(client, book):
    assert names(client, book, f"region=EU&tag={book.vip.pk}&product=meetings") == ["Charlie"]


def test_sort_by_expiry_puts_customers_without_expiry_last(client, book):
    assert names(client, book, "sort=expiry") == ["Charlie", "Bravo", "Alpha", "Delta"]


def test_sort_by_severity_puts_urgent_first(client, book):
    assert names(client, book, "sort=severity") == ["Bravo", "Charlie", "Delta", "Alpha"]


def test_invalid_filter_value_is_shown_not_a_500(client, book):
    client.force_login(book.admin)
    response = client.get("/customers/?status=bogus")
    assert response.status_code == 200
    assert "bogus" in response.context["filters"].form.errors["status"][0]


def test_partner_admin_sees_only_assigned_customers(client, book):
    pam = AdminFactory(partner=book.partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=book.bravo.org_id, kind=AccessKind.ASSIGNED)
    client.force_login(pam)
    assert [r.name for r in client.get("/customers/").context["page"].rows] == ["Bravo"]


# Session, admin, partner; tag filter, count, page, tags of the page; tag and saved-view menus,
# the filter form's tag choices.
LIST_PAGE_QUERIES = 10


def test_list_query_count_is_pinned_and_does_not_grow_with_customers(client, book):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(book.admin)
    client.get("/customers/")  # warm up the session
    url = f"/customers/?tag={book.vip.pk}&sort=expiry"
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(30):
        customer(book.partner, f"Extra {i}").tags.add(book.vip)
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(response.context["page"].rows) == 32
    assert (len(before), len(after)) == (LIST_PAGE_QUERIES, LIST_PAGE_QUERIES)


def test_htmx_request_gets_only_the_results(client, book):
    client.force_login(book.admin)
    response = client.get("/customers/?region=EU", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Bravo" in body and "<html" not in body


def test_export_streams_every_filtered_row_with_escaped_cells(client, book):
    upsert_customer(partner_id=book.partner.pk, record=CustomerRecord(uuid.uuid4(), "=HYPERLINK()", "US"))
    client.force_login(book.admin)
    response = client.get("/customers/export.csv?region=US")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["Customer", "Org ID"]
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK()", "Alpha"]


def test_bulk_tag_adds_a_tag_to_selected_customers(client, book):
    client.force_login(book.admin)
    ops = TagFactory(partner=book.partner, name="ops")
    response = client.post(
        "/customers/tags/bulk", {"tag": ops.pk, "action": "add", "org_ids": [book.bravo.org_id, book.delta.org_id]}
    )
    assert response.status_code == 302
    assert names(client, book, f"tag={ops.pk}") == ["Bravo", "Delta"]


def test_bulk_tag_cannot_touch_another_partners_customer(client, book):
    client.force_login(book.admin)
    response = client.post(
        "/customers/tags/bulk", {"tag": book.vip.pk, "action": "add", "org_ids": [book.foreign.org_id]}
    )
    assert response.status_code == 302
    assert not book.foreign.tags.exists()


def test_read_only_admin_cannot_bulk_tag(client, book):
    reader = AdminFactory(partner=book.partner, role="read_only")
    client.force_login(reader)
    response = client.post(
        "/customers/tags/bulk", {"tag": book.vip.pk, "action": "add", "org_ids": [book.delta.org_id]}
    )
    assert response.status_code == 403
    assert not book.delta.tags.exists()


def test_saved_view_keeps_the_filters_and_belongs_to_its_admin(client, book):
    client.force_login(book.admin)
    client.post("/customers/views/save", {"name": "EU trials", "query": "region=EU&status=trial&page=3"})
    view = SavedView.objects.get(admin=book.admin)
    assert (view.name, view.query) == ("EU trials", "status=trial&region=EU")
    other = AdminFactory(partner=book.partner, role="full_admin")
    client.force_login(other)
    assert client.post(f"/customers/views/{view.pk}/delete").status_code == 404


def test_detail_shows_region_data_and_other_partner_is_404(client, book):
    client.force_login(book.admin)
    response = client.get(f"/customers/{book.charlie.org_id}/")
    assert response.status_code == 200
    assert [s.subscription_id for s in response.context["detail"].subscriptions] == ["S-3"]
    assert client.get(f"/customers/{book.foreign.org_id}/").status_code == 404


def test_detail_tag_form_adds_and_removes(client, book):
    client.force_login(book.admin)
    client.post(f"/customers/{book.delta.org_id}/tags", {"tag": book.vip.pk, "action": "add"})
    assert list(book.delta.tags.values_list("name", flat=True)) == ["vip"]
    client.post(f"/customers/{book.delta.org_id}/tags", {"tag": book.vip.pk, "action": "remove"})
    assert not book.delta.tags.exists()
