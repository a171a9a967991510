import pytest

from accounts.models import AccessKind, CustomerAccess
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(databases="__all__")


def post(client, headers, body):
    return client.post("/api/v1/trials", body, content_type="application/json", **headers)


def test_trial_for_new_customer_is_created_in_its_region(client, bearer):
    partner = PartnerFactory()
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    body = {
        "new_customer": {"name": "Nova", "admin_email": "IT@nova.example", "region": "EU"},
        "products": ["meetings"],
        "licenses": 10,
        "days": 90,
    }
    response = post(client, headers, body)
    assert response.status_code == 201
    org_id = response.json()["org_id"]
    assert Customer.objects.get(org_id=org_id).region == "EU"
    assert Subscription.objects.using("region_eu").get(org_id=org_id).contact_email == "it@nova.example"


def test_trial_needs_exactly_one_customer(client, bearer):
    partner = PartnerFactory()
    customer = CustomerFactory(partner=partner)
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    body = {
        "org_id": str(customer.org_id),
        "new_customer": {"name": "x", "admin_email": "a@b.example", "region": "US"},
        "products": ["meetings"],
        "licenses": 10,
        "days": 30,
    }
    response = post(client, headers, body)
    assert response.status_code == 422
    assert "either org_id or new_customer" in response.json()["errors"][0]["message"]


def test_trial_of_45_days_is_a_422(client, bearer):
    partner = PartnerFactory()
    customer = CustomerFactory(partner=partner)
    headers = bearer(AdminFactory(partner=partner, role="full_admin"))
    response = post(
        client, headers, {"org_id": str(customer.org_id), "products": ["calling"], "licenses": 5, "days": 45}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("days")


def test_second_trial_is_a_409_and_extend_convert_work(client, bearer):
    partner = PartnerFactory()
    customer = CustomerFactory(partner=partner)
    pam = AdminFactory(partner=partner, role="partner_admin")
    CustomerAccess.objects.create(admin=pam, org_id=customer.org_id, kind=AccessKind.ASSIGNED)
    headers = bearer(pam)
    body = {"org_id": str(customer.org_id), "products": ["calling"], "licenses": 5, "days": 30}
    trial_id = post(client, headers, body).json()["subscription_id"]
    assert post(client, headers, body).status_code == 409
    url = f"/api/v1/customers/{customer.org_id}/trials/{trial_id}"
    assert client.post(f"{url}/extend", **headers).status_code == 200
    converted = client.post(f"{url}/convert", **headers).json()
    assert (converted["kind"], converted["state"]) == ("paid", "active")


def test_unassigned_customer_is_404_for_partner_admin(client, bearer):
    partner = PartnerFactory()
    customer = CustomerFactory(partner=partner)
    headers = bearer(AdminFactory(partner=partner, role="partner_admin"))
    response = post(
        client, headers, {"org_id": str(customer.org_id), "products": ["calling"], "licenses": 5, "days": 30}
    )
    assert response.status_code == 404
    assert not Subscription.objects.using("region_us").exists()
