"""GET /api/v1/customers: the `tag` filter takes a tag's id or its name."""

from types import SimpleNamespace

import pytest

from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db(databases="__all__")
URL = "/api/v1/customers"


@pytest.fixture
def world(bearer):
    partner = PartnerFactory()
    strategic, renewal = TagFactory(partner=partner, name="Strategic"), TagFactory(partner=partner, name="Renewal Q1")
    acme, globex = CustomerFactory(partner=partner, name="Acme"), CustomerFactory(partner=partner, name="Globex")
    CustomerFactory(partner=partner, name="Initech")
    acme.tags.add(strategic)
    globex.tags.add(renewal)
    headers = bearer(AdminFactory(partner=partner, role="full_admin"), scopes=("read",))
    return SimpleNamespace(partner=partner, strategic=strategic, headers=headers)


def names(response):
    assert response.status_code == 200
    return [item["name"] for item in response.json()["items"]]


def test_tag_filter_takes_a_tag_name(client, world):
    response = client.get(URL, {"tag": "Strategic"}, **world.headers)

    assert names(response) == ["Acme"]


def test_tag_filter_repeats_and_mixes_names_and_ids(client, world):
    response = client.get(URL, {"tag": [str(world.strategic.pk), "Renewal Q1"]}, **world.headers)

    assert names(response) == ["Acme", "Globex"]


def test_tag_filter_takes_a_name_in_another_case(client, world):
    response = client.get(URL, {"tag": "strategic"}, **world.headers)

    assert names(response) == ["Acme"]


def test_tag_filter_prefers_the_exact_spelling_of_names_that_differ_in_case(client, world):
    lower = CustomerFactory(partner=world.partner, name="Lower")
    lower.tags.add(TagFactory(partner=world.partner, name="strategic"))

    assert names(client.get(URL, {"tag": "strategic"}, **world.headers)) == ["Lower"]
    assert names(client.get(URL, {"tag": "Strategic"}, **world.headers)) == ["Acme"]


def test_tag_filter_refuses_a_name_that_only_case_twins_match(client, world):
    TagFactory(partner=world.partner, name="strategic")

    response = client.get(URL, {"tag": "STRATEGIC"}, **world.headers)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "tag", "message": "unknown tag 'STRATEGIC'; give one of your partner's tags by id or by name"}
    ]


def test_tag_filter_takes_a_name_that_looks_like_an_id(client, world):
    numbered = CustomerFactory(partner=world.partner, name="Numbered")
    numbered.tags.add(TagFactory(partner=world.partner, name="999999"))

    response = client.get(URL, {"tag": "999999"}, **world.headers)

    assert names(response) == ["Numbered"]


def test_another_partners_tag_name_is_unknown(client, world):
    TagFactory(name="Theirs")

    response = client.get(URL, {"tag": ["Strategic", "Theirs"]}, **world.headers)

    assert response.status_code == 422
    assert [e["message"] for e in response.json()["errors"]] == [
        "unknown tag 'Theirs'; give one of your partner's tags by id or by name"
    ]
