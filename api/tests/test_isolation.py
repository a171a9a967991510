"""Every admin sees exactly its own scope, through the API as through the services."""

from types import SimpleNamespace

import pytest

from accounts.models import AccessKind, CustomerAccess
from accounts.services import create_token
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def world():
    northwind, blueharbor = PartnerFactory(name="Northwind"), PartnerFactory(name="Blue Harbor")
    ours = [CustomerFactory(partner=northwind, name=f"North {i}") for i in range(3)]
    theirs = CustomerFactory(partner=blueharbor, name="Harbor 1")
    return SimpleNamespace(northwind=northwind, blueharbor=blueharbor, ours=ours, theirs=theirs)


def bearer(admin, scopes=("read",)):
    _token, raw = create_token(admin=admin, scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def names(client, headers):
    response = client.get("/api/v1/customers", **headers)
    assert response.status_code == 200
    return sorted(item["name"] for item in response.json()["items"])


def test_full_admin_sees_every_customer_of_its_partner_only(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    assert names(client, bearer(admin)) == ["North 0", "North 1", "North 2"]


def test_other_partners_customer_answers_404(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    response = client.get(f"/api/v1/customers/{world.theirs.org_id}", **bearer(admin))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}


def test_partner_admin_sees_only_assigned_customers(client, world):
    admin = AdminFactory(partner=world.northwind, role="partner_admin")
    CustomerAccess.objects.create(admin=admin, org_id=world.ours[1].org_id, kind=AccessKind.ASSIGNED)
    headers = bearer(admin)
    assert names(client, headers) == ["North 1"]
    assert client.get(f"/api/v1/customers/{world.ours[0].org_id}", **headers).status_code == 404


def test_external_admin_sees_only_granted_customers_of_the_other_partner(client, world):
    external = AdminFactory(partner=world.blueharbor, role="external_admin")
    CustomerAccess.objects.create(admin=external, org_id=world.ours[2].org_id, kind=AccessKind.GRANTED)
    response = client.get("/api/v1/customers", **bearer(external))
    assert [(i["name"], i["managed_by"]) for i in response.json()["items"]] == [("North 2", "external")]


def test_read_only_admin_sees_all_partner_customers(client, world):
    reader = AdminFactory(partner=world.northwind, role="read_only")
    assert len(names(client, bearer(reader))) == 3


def test_missing_token_answers_401(client, world):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["detail"] == "A valid bearer token is required."


def test_token_of_deactivated_admin_is_refused(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    headers = bearer(admin)
    admin.is_active = False
    admin.save()
    assert client.get("/api/v1/customers", **headers).status_code == 401


def test_ingest_only_token_cannot_read_customers(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    response = client.get("/api/v1/customers", **bearer(admin, scopes=("ingest",)))
    assert response.status_code == 403


def test_count_reports_all_matches_while_items_are_paginated(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    body = client.get("/api/v1/customers?limit=2&offset=0", **bearer(admin)).json()
    assert (body["count"], len(body["items"])) == (3, 2)


def test_limit_above_1000_is_a_422_naming_the_field(client, world):
    admin = AdminFactory(partner=world.northwind, role="full_admin")
    response = client.get("/api/v1/customers?limit=5000", **bearer(admin))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith("limit")
