import pytest

from accounts.models import AuditEvent, CustomerAccess
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def setup():
    partner, other = PartnerFactory(), PartnerFactory()
    return partner, other, CustomerFactory(partner=partner), AdminFactory(partner=partner, role="full_admin")


def test_full_admin_assigns_a_partner_admin_from_the_customer_page(client, setup):
    partner, _other, customer, full = setup
    pam = AdminFactory(partner=partner, role="partner_admin")
    client.force_login(full)
    response = client.post(f"/customers/{customer.org_id}/access", {"email": pam.email, "action": "assign"})
    assert response.status_code == 302
    assert CustomerAccess.objects.filter(admin=pam, org_id=customer.org_id, kind="assigned").exists()
    page = client.get(f"/customers/{customer.org_id}/?tab=admins")
    assert pam.email in [a.email for a in page.context["detail"].admins]


def test_full_admin_grants_and_revokes_an_external_admin(client, setup):
    _partner, other, customer, full = setup
    ext = AdminFactory(partner=other, role="external_admin")
    client.force_login(full)
    client.post(f"/customers/{customer.org_id}/access", {"email": ext.email, "action": "grant"})
    assert CustomerAccess.objects.filter(admin=ext, kind="granted").count() == 1
    client.post(f"/customers/{customer.org_id}/access", {"email": ext.email, "action": "revoke"})
    assert not CustomerAccess.objects.filter(admin=ext).exists()
    assert AuditEvent.objects.filter(org_id=customer.org_id, action="customer.revoke_access").count() == 1


def test_granting_to_an_admin_of_our_own_partner_is_refused_with_a_message(client, setup):
    partner, _other, customer, full = setup
    colleague = AdminFactory(partner=partner, role="partner_admin")
    client.force_login(full)
    response = client.post(
        f"/customers/{customer.org_id}/access", {"email": colleague.email, "action": "grant"}, follow=True
    )
    assert "external admins of another partner" in response.content.decode()
    assert not CustomerAccess.objects.exists()


def test_read_only_admin_gets_403_and_nothing_changes(client, setup):
    partner, _other, customer, _full = setup
    pam = AdminFactory(partner=partner, role="partner_admin")
    client.force_login(AdminFactory(partner=partner, role="read_only"))
    response = client.post(f"/customers/{customer.org_id}/access", {"email": pam.email, "action": "assign"})
    assert response.status_code == 403
    assert not CustomerAccess.objects.exists()


def test_other_partners_customer_is_404(client, setup):
    _partner, other, _customer, full = setup
    foreign = CustomerFactory(partner=other)
    client.force_login(full)
    response = client.post(f"/customers/{foreign.org_id}/access", {"email": full.email, "action": "assign"})
    assert response.status_code == 404


def test_tags_page_creates_renames_and_deletes(client, setup):
    from customers.models import Tag

    _partner, _other, _customer, full = setup
    client.force_login(full)
    client.post("/customers/tags/", {"action": "create", "name": "Renewal Q1", "color": "#112233"})
    tag = Tag.objects.get()
    client.post("/customers/tags/", {"action": "update", "tag": tag.pk, "name": "Renewal Q2", "color": "#445566"})
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Renewal Q2", "#445566")
    client.post("/customers/tags/", {"action": "delete", "tag": tag.pk})
    assert not Tag.objects.exists()


def test_tags_page_shows_tags_to_read_only_admin_but_refuses_changes(client, setup):
    from customers.models import Tag
    from customers.tests.factories import TagFactory

    partner, _other, _customer, _full = setup
    TagFactory(partner=partner, name="vip")
    client.force_login(AdminFactory(partner=partner, role="read_only"))
    assert [t.name for t in client.get("/customers/tags/").context["tags"]] == ["vip"]
    assert client.post("/customers/tags/", {"action": "create", "name": "x", "color": "#000000"}).status_code == 403
    assert Tag.objects.count() == 1
