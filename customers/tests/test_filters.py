"""The customer list's filter controls: the sort choices and the length of a search."""

import re

import pytest

from customers.filters import SEARCH_MAX_LENGTH
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def signed_in(client, full_admin):
    CustomerFactory(partner=full_admin.partner, name="Harbor Freight")
    CustomerFactory(partner=full_admin.partner, name="Alpine Foods")
    client.force_login(full_admin)
    return client


def sort_options(html: str) -> list[str]:
    select = re.search(r'<select name="sort".*?</select>', html, re.DOTALL)
    assert select is not None
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_sort_dropdown_lists_each_order_once(signed_in):
    html = signed_in.get("/customers/").content.decode()

    assert sort_options(html) == [
        "Name (A-Z)",
        "Name (Z-A)",
        "Most urgent status first",
        "Expiring first",
        "Newest first",
        "Oldest first",
    ]


def test_the_search_box_takes_at_most_the_longest_search(signed_in):
    html = signed_in.get("/customers/").content.decode()

    assert f'maxlength="{SEARCH_MAX_LENGTH}"' in re.search(r'<input[^>]*id="id_q"[^>]*>', html).group(0)


def test_an_over_long_search_is_refused_with_a_message_not_an_error_page(signed_in):
    response = signed_in.get("/customers/", {"q": "harbor" * 700})

    assert response.status_code == 200
    assert "A search has at most 200 characters; this one has 4200." in response.content.decode()
    assert [row.name for row in response.context["page"].rows] == ["Alpine Foods", "Harbor Freight"]


def test_a_search_of_the_longest_length_is_applied(signed_in):
    response = signed_in.get("/customers/", {"q": "Harbor Freight".ljust(SEARCH_MAX_LENGTH)})

    assert response.context["filters"].form.errors == {}
    assert [row.name for row in response.context["page"].rows] == ["Harbor Freight"]
