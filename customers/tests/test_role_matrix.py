"""Every role against every kind of customer, on every customers, tags and trials route and API
operation: allowed, 403 (visible but not allowed) or 404 (out of scope), as SPEC section 3 says.
A refused write must change nothing."""

import uuid

import pytest

from accounts.models import AccessKind, CustomerAccess
from accounts.scope import usable_token_scopes
from accounts.services import create_token
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.models import Tag
from customers.services import CustomerRecord, upsert_customer
from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(databases="__all__")

ROLES = ("full_admin", "partner_admin", "read_only", "external_admin")
TARGETS = ("assigned", "unassigned", "foreign")

# role -> target -> (can view, can write) ; a customer that cannot be viewed is a 404.
MATRIX = {
    "full_admin": {"assigned": (True, True), "unassigned": (True, True), "foreign": (False, False)},
    "partner_admin": {"assigned": (True, True), "unassigned": (False, False), "foreign": (False, False)},
    "read_only": {"assigned": (True, False), "unassigned": (True, False), "foreign": (False, False)},
    "external_admin": {"assigned": (True, True), "unassigned": (False, False), "foreign": (False, False)},
}


def expected(role: str, target: str, *, write: bool) -> int:
    can_view, can_write = MATRIX[role][target]
    if not can_view:
        return 404
    if write and not can_write:
        return 403
    return 200


@pytest.fixture
def world():
    managing, other = PartnerFactory(name="Managing"), PartnerFactory(name="Other")

    def make(partner, name):
        return upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, "US"))

    customers = {
        "assigned": make(managing, "Assigned"),
        "unassigned": make(managing, "Unassigned"),
        "foreign": make(other, "Foreign"),
    }
    admins = {}
    for role in ROLES:
        partner = other if role == "external_admin" else managing
        admin = AdminFactory(partner=partner, role=role)
        kind = AccessKind.GRANTED if role == "external_admin" else AccessKind.ASSIGNED
        CustomerAccess.objects.create(admin=admin, org_id=customers["assigned"].org_id, kind=kind)
        admins[role] = admin
    tags = {role: Tag.objects.create(partner=admins[role].partner, name=f"t-{role}") for role in ROLES}
    return customers, admins, tags


def bearer(admin):
    # The widest token the role can have: its role alone decides.
    _token, raw = create_token(admin=admin, scopes=sorted({"read", "write"} & usable_token_scopes(admin.role)))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_customer_page(client, world, role, target):
    customers, admins, _tags = world
    client.force_login(admins[role])
    response = client.get(f"/customers/{customers[target].org_id}/")
    assert response.status_code == expected(role, target, write=False)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_customer_list_shows_exactly_the_visible_customers(client, world, role, target):
    customers, admins, _tags = world
    client.force_login(admins[role])
    names = [row.name for row in client.get("/customers/").context["page"].rows]
    assert (customers[target].name in names) is MATRIX[role][target][0]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_customer_detail(client, world, role, target):
    customers, admins, _tags = world
    response = client.get(f"/api/v1/customers/{customers[target].org_id}", **bearer(admins[role]))
    assert response.status_code == expected(role, target, write=False)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_tag_a_customer_on_the_page(client, world, role, target):
    customers, admins, tags = world
    client.force_login(admins[role])
    response = client.post(f"/customers/{customers[target].org_id}/tags", {"tag": tags[role].pk, "action": "add"})
    status = expected(role, target, write=True)
    assert response.status_code == (302 if status == 200 else status)
    assert customers[target].tags.exists() is (status == 200)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_tag_a_customer_by_api(client, world, role, target):
    customers, admins, tags = world
    response = client.post(
        f"/api/v1/customers/{customers[target].org_id}/tags",
        {"tag": tags[role].name},
        content_type="application/json",
        **bearer(admins[role]),
    )
    assert response.status_code == expected(role, target, write=True)
    assert customers[target].tags.exists() is (response.status_code == 200)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_start_a_trial_by_api(client, world, role, target):
    customers, admins, _tags = world
    body = {"org_id": str(customers[target].org_id), "products": ["calling"], "licenses": 5, "days": 30}
    response = client.post("/api/v1/trials", body, content_type="application/json", **bearer(admins[role]))
    status = expected(role, target, write=True)
    assert response.status_code == (201 if status == 200 else status)
    assert Subscription.objects.using("region_us").filter(org_id=customers[target].org_id).exists() is (status == 200)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_start_a_trial_on_the_page(client, world, role, target):
    customers, admins, _tags = world
    client.force_login(admins[role])
    form = {"customer": customers[target].org_id, "products": ["meetings"], "licenses": 5, "days": 30}
    response = client.post("/trials/new", form)
    can_view, can_write = MATRIX[role][target]
    if not can_write and can_view:
        assert response.status_code == 403
    elif not can_view:
        # The customer is not among the form's choices: the form answers with an error.
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert "customer" in response.context["form"].errors
    else:
        assert response.status_code == 302
    assert Subscription.objects.using("region_us").filter(org_id=customers[target].org_id).exists() is can_write


@pytest.mark.parametrize("role", ROLES)
def test_create_tag_by_api(client, world, role):
    _customers, admins, _tags = world
    response = client.post("/api/v1/tags", {"name": "new"}, content_type="application/json", **bearer(admins[role]))
    allowed = role in {"full_admin", "partner_admin", "external_admin"}
    assert response.status_code == (201 if allowed else 403)
    assert Tag.objects.filter(name="new").exists() is allowed
