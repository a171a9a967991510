"""The customer page shows people's words: labels instead of stored codes, grouped money
amounts, and business-rule messages in the page's language."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from accounts.models import AuditEvent
from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, create_tag, grant_external, tag_customers, upsert_customer
from subscriptions.services import (
    InvoiceRecord,
    OrderRecord,
    SubscriptionRecord,
    upsert_invoices,
    upsert_orders,
    upsert_subscriptions,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def book():
    """A customer with an active and a suspended subscription, three invoices and three orders,
    tagged and granted to an external admin of another partner (both audited)."""
    partner = PartnerFactory(name="Hanbit Networks")
    full = AdminFactory(partner=partner, role="full_admin", email="full@hanbit.example")
    AdminFactory(partner=partner, role="read_only", email="reader@hanbit.example")
    external = AdminFactory(partner=PartnerFactory(), role="external_admin", email="ext@other.example")
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), "Acme", "US"))
    upsert_subscriptions(
        customer=customer,
        records=[
            SubscriptionRecord("Sub-1", "paid", "active", date(2026, 1, 1)),
            SubscriptionRecord("Sub-2", "paid", "suspended", date(2025, 1, 1)),
        ],
    )
    upsert_invoices(
        customer=customer,
        records=[
            InvoiceRecord("Sub-1", "INV-1", date(2026, 2, 1), date(2026, 3, 1), Decimal("3253.50"), "USD", "open"),
            InvoiceRecord("Sub-1", "INV-2", date(2026, 1, 1), date(2026, 2, 1), Decimal("1200000.00"), "KRW", "paid"),
            InvoiceRecord("Sub-2", "INV-3", date(2025, 6, 1), date(2025, 7, 1), Decimal("99.00"), "USD", "overdue"),
        ],
    )
    upsert_orders(
        customer=customer,
        records=[
            OrderRecord("Sub-1", "ORD-1", date(2026, 1, 1), "new"),
            OrderRecord("Sub-1", "ORD-2", date(2026, 2, 1), "change"),
            OrderRecord("Sub-2", "ORD-3", date(2025, 1, 1), "renewal"),
        ],
    )
    scope = scope_for(full)
    tag_customers(scope=scope, tag=create_tag(scope=scope, name="vip"), org_ids=[customer.org_id])
    grant_external(scope=scope, org_id=customer.org_id, admin=external)
    return type("Book", (), {"customer": customer, "full": full})


def page(client, book, tab="subscriptions", language="en"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(book.full)
    response = client.get(f"/customers/{book.customer.org_id}/?tab={tab}")
    assert response.status_code == 200
    return response.content.decode()


def test_subscription_states_show_their_labels(client, book):
    html = page(client, book)

    assert 'data-state="active">Active</span>' in html
    assert 'data-state="suspended">Suspended</span>' in html


def test_invoice_statuses_show_their_labels(client, book):
    html = page(client, book)

    assert 'data-status="open">Open</span>' in html
    assert 'data-status="paid">Paid</span>' in html
    assert 'data-status="overdue">Overdue</span>' in html


def test_order_types_show_their_labels(client, book):
    html = page(client, book)

    assert 'data-kind="new">New</td>' in html
    assert 'data-kind="change">Change</td>' in html
    assert 'data-kind="renewal">Renewal</td>' in html


def test_admin_roles_show_their_labels(client, book):
    html = page(client, book, tab="admins")

    assert 'data-role="full_admin">Partner full admin</td>' in html
    assert 'data-role="read_only">Partner read-only admin</td>' in html
    assert 'data-role="external_admin">External admin</td>' in html


def test_recent_changes_name_each_audit_action(client, book):
    html = page(client, book, tab="admins")

    assert 'data-action="customer.create">Customer created</span>' in html
    assert 'data-action="customer.tag">Tag added</span>' in html
    assert 'data-action="customer.grant_external">Granted to an external admin</span>' in html


def test_an_audit_action_without_a_label_shows_its_code(client, book):
    AuditEvent.objects.create(action="customer.merge", object_type="customer", object_id="x", org_id=book.customer.pk)

    html = page(client, book, tab="admins")

    assert 'data-action="customer.merge">customer.merge</span>' in html


def test_labels_are_korean_on_a_korean_page(client, book):
    html = page(client, book, language="ko")

    assert 'data-state="suspended">일시 중단</span>' in html
    assert 'data-status="overdue">연체</span>' in html
    assert 'data-kind="renewal">갱신</td>' in html


def test_invoice_amounts_are_grouped_by_thousands(client, book):
    html = page(client, book)

    assert "3,253.50 USD" in html
    assert "1,200,000.00 KRW" in html


def test_invoice_amounts_are_grouped_by_thousands_in_korean(client, book):
    html = page(client, book, language="ko")

    assert "3,253.50 USD" in html


def test_a_refused_grant_is_explained_in_korean_on_a_korean_page(client, book):
    colleague = AdminFactory(partner=book.full.partner, role="partner_admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    client.force_login(book.full)

    response = client.post(
        f"/customers/{book.customer.org_id}/access", {"email": colleague.email, "action": "grant"}, follow=True
    )

    assert response.status_code == 200
    assert "고객은 다른 파트너의 외부 관리자에게만 부여할 수 있습니다." in response.content.decode()
