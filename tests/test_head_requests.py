"""Uptime monitors send HEAD: every read-only page answers it as it answers GET, without a body."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.parametrize(
    ("signed_in", "url_name", "status"),
    [
        (False, "home", 302),
        (False, "account_login", 200),
        (True, "home", 200),
        (True, "customers:list", 200),
        (True, "analytics:licenses", 200),
        (True, "ingest:activity", 200),
        (True, "accounts:admins", 200),
        (True, "accounts:profile", 200),
    ],
)
def test_head_answers_a_page_as_get_does(client, full_admin, signed_in, url_name, status):
    if signed_in:
        client.force_login(full_admin)
    url = reverse(url_name)

    head, get = client.head(url), client.get(url)

    assert (head.status_code, get.status_code) == (status, status)
    assert head.get("Location") == get.get("Location")
    assert head.content == b""
