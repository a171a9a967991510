"""Every refusal under /api/v1/ answers in the one JSON shape, and says what to change (SPEC 11)."""

import uuid

import pytest

from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.tests.factories import TagFactory

pytestmark = pytest.mark.django_db(databases="__all__")

NO_SUCH_PATH = {
    "detail": "There is no such path in this API (paths end without a slash); /api/v1/docs lists them.",
    "errors": [],
}


@pytest.fixture
def admin():
    return AdminFactory(partner=PartnerFactory(), role="full_admin")


@pytest.fixture
def headers(bearer, admin):
    return bearer(admin, scopes=("read", "write", "ingest"))


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/customers/", f"/api/v1/customers/{uuid.uuid4()}/", "/api/v1/nonexistent"]
)
def test_an_unknown_path_is_a_404_in_the_error_shape(client, headers, path):
    response = client.get(path, **headers)

    assert (response.status_code, response.json()) == (404, NO_SUCH_PATH)


def test_an_unknown_path_is_the_same_404_without_a_token(client):
    response = client.post("/api/v1/customers/", {}, content_type="application/json")

    assert (response.status_code, response.json()) == (404, NO_SUCH_PATH)


def test_a_method_the_path_does_not_take_is_a_405_in_the_error_shape(client, headers):
    response = client.delete("/api/v1/customers", **headers)

    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": "DELETE is not allowed on this path; it takes GET.", "errors": []}


def test_a_token_without_the_write_scope_is_told_so_not_blamed_on_the_role(client, bearer):
    headers = bearer(AdminFactory(partner=PartnerFactory(), role="full_admin"), scopes=("read", "ingest"))

    response = client.post("/api/v1/tags", {"name": "new"}, content_type="application/json", **headers)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "this token lacks the write scope; create one with the scopes read, write, ingest",
        "errors": [],
    }


def test_a_role_that_does_not_allow_the_action_is_still_blamed_on_the_role(client, bearer):
    headers = bearer(AdminFactory(partner=PartnerFactory(), role="read_only"), scopes=("read",))

    response = client.post("/api/v1/tags", {"name": "new"}, content_type="application/json", **headers)

    assert response.status_code == 403
    assert response.json()["detail"] == "your role does not allow edit tags"


def test_a_token_of_a_partner_org_that_has_not_finished_its_set_up_is_a_403_saying_so(client, bearer):
    headers = bearer(AdminFactory(partner=PartnerFactory(terms_accepted_at=None), role="full_admin"))

    response = client.get("/api/v1/customers", **headers)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "The set-up of your partner organization is not finished: sign in to Partner Hub on the web "
        "to finish it (a full admin reviews the plan and accepts the terms).",
        "errors": [],
    }


@pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/tags", "/api/v1/analytics/licenses"])
@pytest.mark.parametrize(
    ("parameter", "value"),
    [("limit", "-1"), ("limit", "0"), ("limit", "1001"), ("limit", "ten"), ("offset", "-1"), ("offset", "ten")],
)
def test_a_list_answers_a_bad_limit_or_offset_with_a_422_naming_it(client, headers, path, parameter, value):
    response = client.get(path, {parameter: value}, **headers)

    assert response.status_code == 422
    assert response.json()["detail"] == "The request is not valid."
    assert [e["field"] for e in response.json()["errors"]] == [parameter]


def test_the_tag_list_is_paginated_like_every_list(client, admin, headers):
    for name in ("a", "b", "c"):
        TagFactory(partner=admin.partner, name=name)

    body = client.get("/api/v1/tags", {"limit": 1, "offset": 1}, **headers).json()

    assert (body["count"], [t["name"] for t in body["items"]]) == (3, ["b"])
