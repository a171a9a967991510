"""The partner's Admins page: everyone of the partner sees it, full admins invite, change roles
and deactivate; an admin of another partner is a 404."""

import re
import uuid

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessKind, Admin, AuditEvent, CustomerAccess
from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PartnerFactory

pytestmark = pytest.mark.django_db(databases="__all__")

NOT_FULL_ROLES = ("partner_admin", "read_only", "external_admin")
LINK = re.compile(r"https?://testserver(/accounts/password/reset/key/[0-9a-z]+-[^/\s\"]+/)")


@pytest.fixture
def team(partner, full_admin):
    others = {role: AdminFactory(partner=partner, role=role) for role in NOT_FULL_ROLES}
    stranger = AdminFactory(partner=PartnerFactory(name="Elsewhere"), role="read_only", email="stranger@example.com")
    return full_admin, others, stranger


def invite(client, email="new.admin@example.com", role="partner_admin", name="New Admin"):
    return client.post(reverse("accounts:admin_invite"), {"email": email, "role": role, "display_name": name})


def row(response, email):
    page = response.content.decode()
    start = page.index(f'data-admin="{email}"')
    return page[start : page.index("</tr>", start)]


@pytest.mark.parametrize("role", ["full_admin", *NOT_FULL_ROLES])
def test_every_admin_of_the_partner_sees_the_partners_admins_and_no_others(client, team, role):
    full, others, stranger = team
    viewer = full if role == "full_admin" else others[role]
    client.force_login(viewer)

    response = client.get(reverse("accounts:admins"))

    assert response.status_code == 200
    shown = {admin.email for admin in response.context["admins"]}
    assert shown == {full.email, *(admin.email for admin in others.values())}
    assert stranger.email not in response.content.decode()


@pytest.mark.parametrize("role", NOT_FULL_ROLES)
def test_only_full_admins_see_the_invite_form_and_the_actions(client, team, role):
    _full, others, _stranger = team
    client.force_login(others[role])

    page = client.get(reverse("accounts:admins")).content.decode()

    assert 'id="invite-form"' not in page
    assert "Deactivate" not in page
    assert 'name="role"' not in page


def test_the_list_shows_role_status_two_factor_last_sign_in_and_assigned_customers(client, team):
    full, others, _stranger = team
    partner_admin = others["partner_admin"]
    for _ in range(2):
        CustomerAccess.objects.create(admin=partner_admin, org_id=uuid.uuid4(), kind=AccessKind.ASSIGNED)
    Authenticator.objects.create(user=partner_admin, type=Authenticator.Type.TOTP, data={"secret": "x"})
    Admin.objects.filter(pk=partner_admin.pk).update(last_login=timezone.now())
    client.force_login(full)

    response = client.get(reverse("accounts:admins"))

    assigned = row(response, partner_admin.email)
    assert 'data-testid="customers">2<' in assigned
    assert 'data-testid="mfa"><span class="badge text-bg-success">On' in assigned
    assert "Never" not in assigned
    assert 'value="partner_admin" selected' in assigned
    reader = row(response, others["read_only"].email)
    assert "All" in reader and "Off" in reader and "Never" in reader


def test_the_list_costs_the_same_number_of_queries_for_many_admins(client, team):
    full, _others, _stranger = team
    client.force_login(full)
    client.get(reverse("accounts:admins"))

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:admins"))
    AdminFactory.create_batch(8, partner=full.partner, role="partner_admin")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:admins"))

    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("role", NOT_FULL_ROLES)
def test_other_roles_may_not_invite_and_nothing_is_created(client, team, role):
    _full, others, _stranger = team
    client.force_login(others[role])

    response = invite(client)

    assert response.status_code == 403
    assert not Admin.objects.filter(email="new.admin@example.com").exists()
    assert mail.outbox == []


@pytest.mark.parametrize("role", NOT_FULL_ROLES)
def test_other_roles_may_not_change_a_role(client, team, role):
    _full, others, _stranger = team
    client.force_login(others[role])
    target = others["read_only"] if role != "read_only" else others["partner_admin"]
    before = target.role

    response = client.post(reverse("accounts:admin_role", args=[target.pk]), {"role": "full_admin"})

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.role == before
    assert not AuditEvent.objects.filter(action="admin.change_role").exists()


@pytest.mark.parametrize("role", NOT_FULL_ROLES)
def test_other_roles_may_not_deactivate(client, team, role):
    full, others, _stranger = team
    client.force_login(others[role])

    response = client.post(reverse("accounts:admin_active", args=[full.pk]), {"active": "0"})

    assert response.status_code == 403
    full.refresh_from_db()
    assert full.is_active


@pytest.mark.parametrize("action", ["admin_role", "admin_active", "admin_reinvite"])
def test_an_admin_of_another_partner_is_not_found_and_unchanged(client, team, action):
    full, _others, stranger = team
    client.force_login(full)

    response = client.post(reverse(f"accounts:{action}", args=[stranger.pk]), {"role": "full_admin", "active": "0"})

    assert response.status_code == 404
    stranger.refresh_from_db()
    assert (stranger.role, stranger.is_active) == ("read_only", True)
    assert mail.outbox == []


def test_an_admin_of_another_partner_is_not_found_for_other_roles_either(client, team):
    _full, others, stranger = team
    client.force_login(others["read_only"])

    response = client.post(reverse("accounts:admin_role", args=[stranger.pk]), {"role": "full_admin"})

    assert response.status_code == 404


def test_a_full_admin_changes_a_role_and_it_is_audited(client, team):
    full, others, _stranger = team
    reader = others["read_only"]
    client.force_login(full)

    response = client.post(reverse("accounts:admin_role", args=[reader.pk]), {"role": "partner_admin"}, follow=True)

    reader.refresh_from_db()
    assert reader.role == "partner_admin"
    assert f"{reader.email} is now Partner admin." in response.content.decode()
    event = AuditEvent.objects.get(action="admin.change_role", object_id=str(reader.pk))
    assert (event.actor_id, event.before, event.after) == (full.pk, {"role": "read_only"}, {"role": "partner_admin"})


def test_a_full_admin_cannot_change_their_own_role(client, team):
    full, _others, _stranger = team
    client.force_login(full)

    response = client.post(reverse("accounts:admin_role", args=[full.pk]), {"role": "read_only"}, follow=True)

    full.refresh_from_db()
    assert full.role == "full_admin"
    assert "You cannot change your own role." in response.content.decode()


def test_an_unknown_role_changes_nothing(client, team):
    full, others, _stranger = team
    client.force_login(full)
    url = reverse("accounts:admin_role", args=[others["read_only"].pk])

    response = client.post(url, {"role": "owner"}, follow=True)

    others["read_only"].refresh_from_db()
    assert others["read_only"].role == "read_only"
    assert "Choose one of the roles." in response.content.decode()


def test_an_invitation_creates_an_admin_without_a_password_and_shows_the_link_once(client, team):
    full, _others, _stranger = team
    client.force_login(full)

    response = invite(client)

    assert response.status_code == 200
    admin = Admin.objects.get(email="new.admin@example.com")
    assert (admin.partner_id, admin.role, admin.display_name) == (full.partner_id, "partner_admin", "New Admin")
    assert not admin.has_usable_password()
    shown = LINK.search(response.content.decode())
    assert shown is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.admin@example.com"]
    assert shown.group(0) in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="admin.create", object_id=str(admin.pk), actor=full).exists()
    assert 'data-testid="invite-link"' not in client.get(reverse("accounts:admins")).content.decode()
    assert 'data-admin="new.admin@example.com"' in client.get(reverse("accounts:admins")).content.decode()


def test_the_invitation_link_lets_the_new_admin_set_a_password_and_sign_in(client, team):
    full, _others, _stranger = team
    client.force_login(full)
    link = LINK.search(invite(client).content.decode()).group(1)
    newcomer = Client()
    password = "a-brand-new-passphrase-42"

    form_url = newcomer.get(link)["Location"]
    assert newcomer.get(form_url).status_code == 200
    done = newcomer.post(form_url, {"password1": password, "password2": password})
    signed_in = newcomer.post(reverse("account_login"), {"login": "new.admin@example.com", "password": password})

    assert done.status_code == 302
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("home")
    home = newcomer.get(reverse("home"))
    assert home.context["user"].email == "new.admin@example.com"
    assert Admin.objects.get(email="new.admin@example.com").has_usable_password()


def test_the_invitation_link_works_only_once(client, team):
    full, _others, _stranger = team
    client.force_login(full)
    link = LINK.search(invite(client).content.decode()).group(1)
    newcomer = Client()
    form_url = newcomer.get(link)["Location"]
    newcomer.post(form_url, {"password1": "a-brand-new-passphrase-42", "password2": "a-brand-new-passphrase-42"})

    again = Client().get(link)

    assert again.status_code == 200
    assert again.context["token_fail"] is True


def test_an_invitation_for_a_known_email_is_refused_and_sends_nothing(client, team):
    full, others, _stranger = team
    client.force_login(full)

    response = invite(client, email=others["read_only"].email.upper())

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert 'data-testid="invite-link"' not in response.content.decode()
    assert mail.outbox == []


def test_an_invalid_invitation_form_shows_its_errors(client, team):
    full, _others, _stranger = team
    client.force_login(full)

    response = invite(client, email="not-an-email")

    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"]
    assert Admin.objects.count() == 5


def test_a_new_link_is_issued_only_for_an_admin_still_invited(client, team):
    full, others, _stranger = team
    client.force_login(full)
    invite(client)
    pending = Admin.objects.get(email="new.admin@example.com")
    mail.outbox.clear()

    reissued = client.post(reverse("accounts:admin_reinvite", args=[pending.pk]))
    refused = client.post(reverse("accounts:admin_reinvite", args=[others["read_only"].pk]), follow=True)

    assert LINK.search(reissued.content.decode()) is not None
    assert [message.to for message in mail.outbox] == [["new.admin@example.com"]]
    assert LINK.search(refused.content.decode()) is None
    assert f"{others['read_only'].email} has already set a password." in refused.content.decode()


def test_deactivation_ends_the_admins_session_and_is_audited(client, team):
    full, others, _stranger = team
    reader = others["read_only"]
    theirs = Client()
    theirs.force_login(reader)
    assert theirs.get(reverse("home")).status_code == 200
    client.force_login(full)

    response = client.post(reverse("accounts:admin_active", args=[reader.pk]), {"active": "0"}, follow=True)

    after = theirs.get(reverse("home"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("account_login"))
    assert f"{reader.email} is deactivated and signed out." in response.content.decode()
    assert '<span class="badge text-bg-secondary">Deactivated' in row(response, reader.email)
    assert AuditEvent.objects.filter(action="admin.deactivate", object_id=str(reader.pk), actor=full).exists()


def test_a_deactivated_admin_cannot_sign_in_until_reactivated(client, team):
    full, others, _stranger = team
    reader = others["read_only"]
    client.force_login(full)
    client.post(reverse("accounts:admin_active", args=[reader.pk]), {"active": "0"})
    theirs = Client()

    refused = theirs.post(reverse("account_login"), {"login": reader.email, "password": DEFAULT_PASSWORD})
    client.post(reverse("accounts:admin_active", args=[reader.pk]), {"active": "1"})
    accepted = theirs.post(reverse("account_login"), {"login": reader.email, "password": DEFAULT_PASSWORD})

    assert (refused.status_code, refused["Location"]) == (302, reverse("account_inactive"))
    assert (accepted.status_code, accepted["Location"]) == (302, reverse("home"))
    assert AuditEvent.objects.filter(action="admin.activate", object_id=str(reader.pk)).exists()


def test_a_full_admin_cannot_deactivate_themselves(client, team):
    full, _others, _stranger = team
    client.force_login(full)

    response = client.post(reverse("accounts:admin_active", args=[full.pk]), {"active": "0"}, follow=True)

    full.refresh_from_db()
    assert full.is_active
    assert "You cannot deactivate yourself." in response.content.decode()


def test_the_admin_menu_links_to_admins_and_profile(client, team):
    _full, others, _stranger = team
    client.force_login(others["read_only"])

    page = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("accounts:admins")}">Admins<' in page
    assert f'href="{reverse("accounts:profile")}">Profile & API tokens<' in page


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("accounts:admins"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_unknown_activation_value_is_a_400_naming_it_and_changes_nothing(client, team):
    full, others, _stranger = team
    reader = others["read_only"]
    client.force_login(full)

    response = client.post(reverse("accounts:admin_active", args=[reader.pk]), {"active": "bogus"})

    reader.refresh_from_db()
    assert response.status_code == 400
    assert "Unknown action “bogus”" in response.content.decode()
    assert reader.is_active
    assert not AuditEvent.objects.filter(object_id=str(reader.pk)).exists()


def test_deactivating_asks_for_confirmation_naming_the_admin(client, team):
    full, others, _stranger = team
    reader = others["read_only"]
    client.force_login(full)

    response = client.get(reverse("accounts:admins"))

    form = row(response, reader.email)
    form = form[form.rindex("<form", 0, form.index('name="active" value="0"')) :]
    assert (
        f'hx-confirm="Deactivate {reader.email}? They are signed out at once and their API tokens are revoked."' in form
    )
    assert 'hx-boost="true"' in form


def test_an_invalid_invitation_shows_the_error_where_the_field_points(client, team):
    full, _others, _stranger = team
    client.force_login(full)

    response = invite(client, email="not-an-email")

    page = response.content.decode()
    assert 'aria-describedby="id_email_error"' in page
    assert '<div class="invalid-feedback d-block" id="id_email_error">Enter a valid email address.</div>' in page
