import pytest

from accounts.models import AuditEvent
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Tag
from customers.tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def partner():
    return PartnerFactory()


def test_full_admin_creates_a_tag(client, partner, bearer):
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    response = client.post(
        "/api/v1/tags", {"name": "Renewal Q1", "color": "#FF0000"}, content_type="application/json", **headers
    )
    assert response.status_code == 201
    assert response.json() | {"id": 0} == {"id": 0, "name": "Renewal Q1", "color": "#ff0000", "customers": 0}
    assert AuditEvent.objects.filter(action="tag.create").count() == 1


def test_duplicate_tag_name_is_a_409(client, partner, bearer):
    TagFactory(partner=partner, name="vip")
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    response = client.post("/api/v1/tags", {"name": "VIP"}, content_type="application/json", **headers)
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


def test_bad_colour_is_a_422_naming_the_field(client, partner, bearer):
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    response = client.post("/api/v1/tags", {"name": "x", "color": "red"}, content_type="application/json", **headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("color")


def test_read_only_admin_sees_tags_but_cannot_create(client, partner, bearer):
    TagFactory(partner=partner, name="vip")
    headers = bearer(AdminFactory(partner=partner, role="read_only"))
    assert [t["name"] for t in client.get("/api/v1/tags", **headers).json()["items"]] == ["vip"]
    response = client.post("/api/v1/tags", {"name": "new"}, content_type="application/json", **headers)
    assert response.status_code == 403
    assert not Tag.objects.filter(name="new").exists()


def test_rename_recolour_and_delete(client, partner, bearer):
    tag = TagFactory(partner=partner, name="old")
    headers = bearer(AdminFactory(partner=partner, role="partner_admin"))
    response = client.patch(
        f"/api/v1/tags/{tag.pk}", {"name": "new", "color": "#00aa00"}, content_type="application/json", **headers
    )
    assert response.json()["name"] == "new"
    assert client.delete("/api/v1/tags/new", **headers).status_code == 204
    assert not Tag.objects.filter(pk=tag.pk).exists()


def test_other_partners_tag_is_404(client, partner, bearer):
    foreign = TagFactory(name="theirs")
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    assert client.delete(f"/api/v1/tags/{foreign.pk}", **headers).status_code == 404
    assert Tag.objects.filter(pk=foreign.pk).exists()


def test_tag_and_untag_a_customer_by_name(client, partner, bearer):
    customer = CustomerFactory(partner=partner)
    TagFactory(partner=partner, name="vip")
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    response = client.post(
        f"/api/v1/customers/{customer.org_id}/tags", {"tag": "vip"}, content_type="application/json", **headers
    )
    assert [t["name"] for t in response.json()["items"]] == ["vip"]
    assert client.delete(f"/api/v1/customers/{customer.org_id}/tags/vip", **headers).status_code == 204
    assert not customer.tags.exists()


def test_tagging_an_unassigned_customer_is_404_for_a_partner_admin(client, partner, bearer):
    customer = CustomerFactory(partner=partner)
    TagFactory(partner=partner, name="vip")
    headers = bearer(AdminFactory(partner=partner, role="partner_admin"))
    response = client.post(
        f"/api/v1/customers/{customer.org_id}/tags", {"tag": "vip"}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    assert not customer.tags.exists()


def test_a_tag_is_named_in_any_case_and_case_twins_by_their_exact_spelling(client, partner, bearer):
    # The service refuses names that differ only in case; the database alone would take them.
    upper, lower = TagFactory(partner=partner, name="VIP"), TagFactory(partner=partner, name="vip")
    TagFactory(partner=partner, name="Gold")
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))

    assert client.delete("/api/v1/tags/Vip", **headers).status_code == 404
    assert client.delete("/api/v1/tags/vip", **headers).status_code == 204
    assert list(Tag.objects.filter(partner=partner).order_by("name").values_list("name", flat=True)) == ["Gold", "VIP"]
    assert client.delete("/api/v1/tags/gOLD", **headers).status_code == 204
    assert Tag.objects.filter(pk=upper.pk).exists() and not Tag.objects.filter(pk=lower.pk).exists()
