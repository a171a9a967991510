import pytest

from accounts.models import ApiToken, AuditEvent
from accounts.scope import NotAllowed, scope_for
from accounts.services import InvalidInput, change_role, create_admin, create_token, set_admin_active
from accounts.tests.factories import AdminFactory, PartnerFactory

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def team():
    partner = PartnerFactory()
    full = AdminFactory(partner=partner, role="full_admin")
    return partner, full, scope_for(full)


def test_full_admin_invites_an_admin_with_a_role(team):
    partner, _full, scope = team
    admin = create_admin(scope=scope, partner=partner, email="New@Example.com", role="read_only", password=None)
    assert (admin.email, admin.role, admin.has_usable_password()) == ("new@example.com", "read_only", False)


def test_partner_admin_cannot_invite(team):
    partner, _full, _scope = team
    pam = scope_for(AdminFactory(partner=partner, role="partner_admin"))
    with pytest.raises(NotAllowed):
        create_admin(scope=pam, partner=partner, email="x@example.com", role="read_only", password=None)


def test_role_change_is_audited(team):
    partner, _full, scope = team
    other = AdminFactory(partner=partner, role="read_only")
    change_role(scope=scope, admin=other, role="partner_admin")
    event = AuditEvent.objects.get(action="admin.change_role")
    assert (event.before, event.after) == ({"role": "read_only"}, {"role": "partner_admin"})


def test_own_role_cannot_be_changed(team):
    _partner, full, scope = team
    with pytest.raises(InvalidInput, match="your own role"):
        change_role(scope=scope, admin=full, role="read_only")


def test_own_deactivation_is_refused(team):
    _partner, full, scope = team
    with pytest.raises(InvalidInput, match="deactivate yourself"):
        set_admin_active(scope=scope, admin=full, active=False)


def test_admin_of_another_partner_cannot_be_changed(team):
    _partner, _full, scope = team
    stranger = AdminFactory(role="read_only")
    with pytest.raises(type(stranger).DoesNotExist):
        change_role(scope=scope, admin=stranger, role="full_admin")


def test_deactivation_revokes_tokens_and_ends_the_session(client, team):
    partner, _full, scope = team
    reader = AdminFactory(partner=partner, role="read_only")
    create_token(admin=reader, scopes=["read"])
    client.force_login(reader)
    assert client.get("/").status_code == 200
    set_admin_active(scope=scope, admin=reader, active=False)
    assert ApiToken.objects.get(admin=reader).revoked_at is not None
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_token_events_name_the_admin_who_acted(team):
    from accounts.services import revoke_token

    _partner, full, _scope = team
    token, _raw = create_token(admin=full, scopes=["read"])
    revoke_token(admin=full, token_id=token.pk)
    events = AuditEvent.objects.filter(object_type="token").order_by("id")
    assert [(e.action, e.actor_id) for e in events] == [("token.create", full.pk), ("token.revoke", full.pk)]
    assert events[1].before == {"admin": full.email}
