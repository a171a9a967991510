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


def test_an_unknown_tags_page_action_is_a_400_naming_it_and_changes_nothing(client, setup):
    from customers.tests.factories import TagFactory

    partner, _other, _customer, full = setup
    tag = TagFactory(partner=partner, name="vip", color="#112233")
    client.force_login(full)

    response = client.post("/customers/tags/", {"action": "bogus", "tag": tag.pk, "name": "x", "color": "#000000"})

    tag.refresh_from_db()
    assert response.status_code == 400
    assert "Unknown action “bogus”" in response.content.decode()
    assert (tag.name, tag.color) == ("vip", "#112233")
    assert not AuditEvent.objects.filter(action__startswith="tag.").exists()


def test_an_unknown_customer_tag_action_is_a_400_and_adds_no_tag(client, setup):
    from customers.tests.factories import TagFactory

    partner, _other, customer, full = setup
    tag = TagFactory(partner=partner)
    client.force_login(full)

    response = client.post(f"/customers/{customer.org_id}/tags", {"action": "bogus", "tag": tag.pk})

    assert response.status_code == 400
    assert "Unknown action “bogus”" in response.content.decode()
    assert not customer.tags.exists()


def test_an_unknown_access_action_is_a_400_naming_it_and_removes_nothing(client, setup):
    partner, _other, customer, full = setup
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=customer.org_id, kind="assigned")
    client.force_login(full)

    response = client.post(f"/customers/{customer.org_id}/access", {"email": pam.email, "action": "x"})

    assert response.status_code == 400
    assert "Unknown action “x”" in response.content.decode()
    assert CustomerAccess.objects.filter(admin=pam, org_id=customer.org_id).exists()
    assert not AuditEvent.objects.filter(action="customer.revoke_access").exists()


def test_deleting_a_tag_asks_for_confirmation_naming_the_tag(client, setup):
    from customers.tests.factories import TagFactory

    partner, _other, _customer, full = setup
    TagFactory(partner=partner, name="Renewal Q1")
    client.force_login(full)

    page = client.get("/customers/tags/").content.decode()

    delete_form = page[page.rindex("<form", 0, page.index('value="delete"')) : page.index('value="delete"')]
    assert 'hx-confirm="Delete the tag “Renewal Q1”? Every customer carrying it loses it."' in delete_form
    assert 'hx-boost="true"' in delete_form


def test_removing_an_admins_access_asks_for_confirmation_naming_admin_and_customer(client, setup):
    partner, _other, customer, full = setup
    pam = AdminFactory(partner=partner, role="partner_admin", email="pam@example.com")
    CustomerAccess.objects.create(admin=pam, org_id=customer.org_id, kind="assigned")
    client.force_login(full)

    page = client.get(f"/customers/{customer.org_id}/?tab=admins").content.decode()

    assert f'hx-confirm="Remove the access of pam@example.com to {customer.name}?"' in page


@pytest.fixture
def granted(setup):
    """An external admin of the other partner, granted the managing partner's customer, and a
    partner admin of the managing partner not assigned to it."""
    partner, other, customer, _full = setup
    external = AdminFactory(partner=other, role="external_admin")
    CustomerAccess.objects.create(admin=external, org_id=customer.org_id, kind="granted")
    return external, AdminFactory(partner=partner, role="partner_admin", email="staff@managing.example")


def test_an_external_admin_cannot_assign_the_managing_partners_admin(client, setup, granted):
    _partner, _other, customer, _full = setup
    external, staff = granted
    client.force_login(external)

    response = client.post(f"/customers/{customer.org_id}/access", {"email": staff.email, "action": "assign"})

    assert response.status_code == 403
    assert not CustomerAccess.objects.filter(admin=staff).exists()


def test_an_external_admin_cannot_remove_the_managing_partners_admin(client, setup, granted):
    _partner, _other, customer, _full = setup
    external, staff = granted
    CustomerAccess.objects.create(admin=staff, org_id=customer.org_id, kind="assigned")
    client.force_login(external)

    response = client.post(f"/customers/{customer.org_id}/access", {"email": staff.email, "action": "revoke"})

    assert response.status_code == 403
    assert CustomerAccess.objects.filter(admin=staff, org_id=customer.org_id).exists()


def test_an_external_admins_tab_offers_neither_the_managing_partners_admins_nor_their_removal(client, setup, granted):
    _partner, _other, customer, _full = setup
    external, staff = granted
    CustomerAccess.objects.create(admin=staff, org_id=customer.org_id, kind="assigned")
    client.force_login(external)

    response = client.get(f"/customers/{customer.org_id}/?tab=admins")

    page = response.content.decode()
    staff_row = page[page.index(f'data-admin="{staff.email}"') :]
    assert response.context["assignable_admins"] == []
    assert 'id="assign-admin"' not in page
    assert 'value="revoke"' not in staff_row[: staff_row.index("</tr>")]


def test_an_external_admins_tab_offers_to_remove_its_own_partners_access(client, setup, granted):
    _partner, _other, customer, _full = setup
    external, _staff = granted
    client.force_login(external)

    page = client.get(f"/customers/{customer.org_id}/?tab=admins").content.decode()
    own_row = page[page.index(f'data-admin="{external.email}"') :]

    assert 'value="revoke"' in own_row[: own_row.index("</tr>")]
