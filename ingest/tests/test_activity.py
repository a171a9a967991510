"""The data feeds page: the ingested batches an admin may see, newest first, with their counts."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.scope import partner_wide, scope_for
from accounts.tests.factories import AdminFactory
from customers.tests.factories import CustomerFactory
from ingest.activity import PER_PAGE, kind_summaries
from ingest.services import ingest_batch
from ingest.sources import open_rows

from .samples import ndjson, sample_rows

pytestmark = pytest.mark.django_db(databases="__all__")
URL = reverse("ingest:activity")


def send(scope, kind, rows, source="api"):
    source_rows = open_rows(io.BytesIO(ndjson(rows)), kind=kind, syntax="ndjson")
    return ingest_batch(scope=scope, kind=kind, rows=source_rows, source=source)


@pytest.fixture
def customer(partner):
    return CustomerFactory(partner=partner, region="EU")


def batches_shown(response):
    return [
        (batch.kind, batch.sender, batch.accepted, batch.rejected) for batch in response.context["page"].object_list
    ]


def test_a_full_admin_sees_every_batch_of_the_partner_newest_first_with_its_counts(
    client, partner, full_admin, customer
):
    rows = sample_rows(customer.org_id)
    send(scope_for(full_admin), "locations", rows["locations"])
    send(partner_wide(partner.pk), "call-legs", [*rows["call-legs"], {"leg_id": "broken"}], source="cli")
    send(scope_for(AdminFactory()), "locations", rows["locations"])  # another partner's

    client.force_login(full_admin)
    response = client.get(URL)

    assert response.status_code == 200
    assert batches_shown(response) == [("call-legs", "", 2, 1), ("locations", full_admin.email, 1, 0)]
    page = response.content.decode()
    assert "Operator (command line)" in page
    assert "Command line" in page


def test_a_partner_admin_sees_only_the_batches_it_sent(client, partner, full_admin, customer):
    manager = AdminFactory(partner=partner, role="partner_admin")
    send(scope_for(full_admin), "locations", sample_rows(customer.org_id)["locations"])
    send(scope_for(manager), "locations", sample_rows(customer.org_id)["locations"])

    client.force_login(manager)
    response = client.get(URL)

    assert [batch.sender for batch in response.context["page"].object_list] == [manager.email]


def test_a_read_only_admin_sees_every_batch_of_the_partner(client, partner, full_admin, customer):
    send(scope_for(full_admin), "locations", sample_rows(customer.org_id)["locations"])

    client.force_login(AdminFactory(partner=partner, role="read_only"))
    response = client.get(URL)

    assert batches_shown(response) == [("locations", full_admin.email, 1, 0)]


def test_batches_are_filtered_by_kind_and_a_swap_renders_only_the_table(client, full_admin, customer):
    rows = sample_rows(customer.org_id)
    send(scope_for(full_admin), "locations", rows["locations"])
    send(scope_for(full_admin), "devices", rows["devices"])
    client.force_login(full_admin)

    page = client.get(URL, {"kind": "devices"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'data-batch-kind="devices"' in page
    assert 'data-batch-kind="locations"' not in page
    assert "<h1" not in page


def test_an_unknown_kind_shows_every_batch(client, full_admin, customer):
    send(scope_for(full_admin), "locations", sample_rows(customer.org_id)["locations"])
    client.force_login(full_admin)

    assert len(batches_shown(client.get(URL, {"kind": "widgets"}))) == 1


def test_with_nothing_received_the_page_says_how_feeds_send_data(client, full_admin):
    client.force_login(full_admin)

    page = client.get(URL).content.decode()

    assert "No data has arrived yet" in page
    assert "/api/v1/ingest/{kind}" in page


def test_batches_come_a_page_at_a_time(client, partner, full_admin):
    events = [
        AuditEvent(action="ingest.batch", object_type="ingest", object_id="locations", partner=partner, after={})
        for _ in range(PER_PAGE + 3)
    ]
    AuditEvent.objects.bulk_create(events)
    client.force_login(full_admin)

    response = client.get(URL, {"page": 2, "kind": "locations"})

    second = response.context["page"]
    assert (second.number, second.paginator.num_pages, len(second.object_list)) == (2, 2, 3)
    page = response.content.decode()
    assert "Page 2 of 2" in page
    assert 'href="/data-feeds/?page=1&amp;kind=locations"' in page
    assert ">Next<" not in page


def test_the_summary_counts_each_kinds_last_seven_days(partner, full_admin):
    now = timezone.now()
    for days_ago, accepted, rejected in ((1, 10, 2), (3, 5, 0), (9, 100, 50)):
        AuditEvent.objects.create(
            at=now - timedelta(days=days_ago),
            action="ingest.batch",
            object_type="ingest",
            object_id="call-legs",
            partner=partner,
            after={"kind": "call-legs", "accepted": accepted, "rejected": rejected},
        )

    [summary] = kind_summaries(scope_for(full_admin), now=now)

    assert (summary.kind, summary.batches, summary.accepted, summary.rejected) == ("call-legs", 2, 15, 2)
    assert summary.last_at == now - timedelta(days=1)


def test_the_admin_menu_links_to_the_page(client, full_admin):
    client.force_login(full_admin)

    assert f'href="{URL}"' in client.get(reverse("home")).content.decode()
