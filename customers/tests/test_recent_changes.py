"""The customer page's recent changes: each admin reads only the audit events its partner may."""

import uuid

import pytest

from accounts import audit
from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.queries import recent_changes
from customers.services import CustomerRecord, create_tag, grant_external, tag_customers, upsert_customer

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def history():
    """A customer its managing partner tagged and granted to an external admin, who tagged it with
    its own partner's tag; an event of the system, and one of a partner that once managed it."""
    partner = PartnerFactory()
    full = AdminFactory(partner=partner, role="full_admin")
    external = AdminFactory(partner=PartnerFactory(), role="external_admin")
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    managing = scope_for(full)
    tag_customers(scope=managing, tag=create_tag(scope=managing, name="vip"), org_ids=[customer.org_id])
    grant_external(scope=managing, org_id=customer.org_id, admin=external)
    granted = scope_for(external)
    tag_customers(scope=granted, tag=create_tag(scope=granted, name="ours"), org_ids=[customer.org_id])
    org_id = customer.org_id
    audit.record(scope=None, action="customer.status", obj_type="customer", obj_id=org_id, org_id=org_id)
    former = AdminFactory(partner=PartnerFactory(), role="full_admin")
    audit.record(
        scope=scope_for(former), action="customer.update", obj_type="customer", obj_id="x", org_id=customer.org_id
    )
    return customer, managing, granted, full, external


def _readable(scope, customer):
    """(action, actor id) of each event of the customer the scope reads."""
    events = recent_changes(scope, org_id=customer.org_id, managing_partner_id=customer.partner_id)
    return sorted((event.action, event.actor_id) for event in events)


def test_the_managing_partner_reads_its_own_the_systems_and_its_grantees_events(history):
    customer, managing, _granted, full, external = history

    assert _readable(managing, customer) == sorted(
        [
            ("customer.tag", full.pk),
            ("customer.grant_external", full.pk),
            ("customer.tag", external.pk),
            ("customer.create", None),
            ("customer.status", None),
        ]
    )


def test_an_external_admin_reads_only_its_own_partners_events(history):
    customer, _managing, granted, _full, external = history

    assert _readable(granted, customer) == [("customer.tag", external.pk)]


def test_the_customer_page_lists_only_the_events_the_admin_may_read(client, history):
    customer, _managing, _granted, _full, external = history
    client.force_login(external)

    page = client.get(f"/customers/{customer.org_id}/?tab=admins").content.decode()

    assert page.count('data-action="customer.') == 1
    assert 'data-action="customer.tag"' in page
