"""The signed-in admin's profile page: account details and its own API tokens (create, list,
revoke); the raw token is shown once."""

import re

import pytest
from django.urls import reverse

from accounts.models import ApiToken, AuditEvent, hash_token
from accounts.services import create_token
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def shown_token(response) -> str | None:
    match = re.search(r'value="(phk_[^"]+)"', response.content.decode())
    return match.group(1) if match else None


def api_get(client, raw):
    return client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_profile_shows_the_account_and_only_the_admins_own_live_tokens(client, full_admin):
    mine, _raw = create_token(admin=full_admin, scopes=["read"], name="billing export")
    revoked, _raw = create_token(admin=full_admin, scopes=["write"], name="old script")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=mine.created_at)
    theirs, _raw = create_token(admin=AdminFactory(partner=full_admin.partner), scopes=["read"], name="not mine")
    client.force_login(full_admin)

    response = client.get(reverse("accounts:profile"))

    page = response.content.decode()
    assert response.status_code == 200
    assert full_admin.email in page and full_admin.partner.name in page
    assert [token.pk for token, _scopes in response.context["tokens"]] == [mine.pk]
    assert f'data-token="{mine.hint}"' in page
    assert "billing export" in page
    assert f'data-token="{theirs.hint}"' not in page
    assert f'data-token="{revoked.hint}"' not in page


def test_creating_a_token_shows_it_once_and_it_works_on_the_api(client, full_admin):
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_create"), {"name": "nightly sync", "scopes": ["read", "ingest"]})

    raw = shown_token(response)
    assert response.status_code == 200
    assert raw is not None
    token = ApiToken.objects.get(admin=full_admin)
    assert (token.key_hash, token.name, token.scopes) == (hash_token(raw), "nightly sync", "ingest,read")
    assert api_get(client, raw).status_code == 200
    assert raw not in client.get(reverse("accounts:profile")).content.decode()
    assert AuditEvent.objects.filter(action="token.create", object_id=str(token.pk)).exists()


def test_the_list_shows_scopes_and_when_a_token_was_last_used(client, full_admin):
    token, raw = create_token(admin=full_admin, scopes=["write", "read"])
    api_get(client, raw)
    client.force_login(full_admin)

    response = client.get(reverse("accounts:profile"))

    [(listed, scopes)] = response.context["tokens"]
    assert scopes == ["read", "write"]
    assert listed.last_used_at is not None
    page = response.content.decode()
    row = page[page.index(f'data-token="{token.hint}"') :]
    assert "Never" not in row[: row.index("</tr>")]


def test_a_token_needs_at_least_one_scope(client, full_admin):
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_create"), {"name": "nothing", "scopes": []})

    assert response.status_code == 200
    assert "Choose at least one scope." in response.content.decode()
    assert shown_token(response) is None
    assert not ApiToken.objects.exists()


def test_revoking_a_token_from_the_page_stops_it_working(client, full_admin):
    token, raw = create_token(admin=full_admin, scopes=["read"])
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "The token was revoked; it no longer works." in response.content.decode()
    assert f'data-token="{token.hint}"' not in response.content.decode()
    assert api_get(client, raw).status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


def test_another_admins_token_cannot_be_revoked(client, full_admin):
    colleague = AdminFactory(partner=full_admin.partner, role="read_only")
    token, _raw = create_token(admin=colleague, scopes=["read"])
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert response.status_code == 404
    assert token.revoked_at is None


@pytest.mark.parametrize("role", ["partner_admin", "read_only", "external_admin"])
def test_every_role_manages_its_own_tokens(client, partner, role):
    admin = AdminFactory(partner=partner, role=role)
    client.force_login(admin)

    response = client.post(reverse("accounts:token_create"), {"scopes": ["read"]})

    assert shown_token(response) is not None
    assert ApiToken.objects.filter(admin=admin).count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.post(reverse("accounts:token_create"), {"scopes": ["read"]})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not ApiToken.objects.exists()


def test_revoking_asks_for_confirmation_naming_the_token(client, full_admin):
    token, _raw = create_token(admin=full_admin, scopes=["read"])
    client.force_login(full_admin)

    page = client.get(reverse("accounts:profile")).content.decode()

    form = page[page.index(f'action="{reverse("accounts:token_revoke", args=[token.pk])}"') :]
    form = form[: form.index(">")]
    assert f'hx-confirm="Revoke token {token.hint}…? Scripts that use it stop working at once."' in form
    assert 'hx-boost="true"' in form


def test_a_token_without_scopes_shows_the_error_where_the_field_points(client, full_admin):
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_create"), {"name": "nothing", "scopes": []})

    assert '<div class="invalid-feedback d-block" id="id_scopes_error">Choose at least one scope.</div>' in (
        response.content.decode()
    )


def test_a_token_name_too_long_is_shown_where_the_field_points(client, full_admin):
    client.force_login(full_admin)

    response = client.post(reverse("accounts:token_create"), {"name": "x" * 101, "scopes": ["read"]})

    page = response.content.decode()
    assert 'aria-describedby="id_name_error"' in page
    assert 'id="id_name_error">Ensure this value has at most 100 characters (it has 101).</div>' in page
    assert not ApiToken.objects.exists()
