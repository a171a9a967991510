"""Sign-in, lockout, two-factor authentication and session lifetimes, through the real pages."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import DEFAULT_PASSWORD, AdminFactory, PartnerFactory

pytestmark = pytest.mark.django_db(databases="__all__")

LOGIN_URL = reverse("account_login")
MFA_URL = reverse("mfa_authenticate")


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth keeps failed sign-ins in the cache, which outlives a test's database.
    cache.clear()
    yield
    cache.clear()


def sign_in(client, email, password=DEFAULT_PASSWORD):
    return client.post(LOGIN_URL, {"login": email, "password": password})


def signed_in_admin_id(client):
    return client.session.get("_auth_user_id")


def current_totp(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def admin_with_totp(partner):
    admin = AdminFactory(partner=partner)
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    codes = RecoveryCodes.activate(admin).get_unused_codes()
    return admin, secret, codes


def test_sign_in_with_the_right_password_lands_on_home(client, full_admin):
    response = sign_in(client, full_admin.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert full_admin.partner.name in home.content.decode()
    assert signed_in_admin_id(client) == str(full_admin.pk)


def test_sign_in_with_the_email_in_another_case_works(client, full_admin):
    response = sign_in(client, full_admin.email.upper())

    assert response.status_code == 302
    assert signed_in_admin_id(client) == str(full_admin.pk)


def test_sign_in_with_a_wrong_password_is_refused(client, full_admin):
    response = sign_in(client, full_admin.email, "not-the-password")

    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in response.content.decode()
    assert signed_in_admin_id(client) is None


def test_five_failures_lock_the_account_even_for_the_right_password(client, full_admin):
    for _attempt in range(5):
        assert sign_in(client, full_admin.email, "not-the-password").status_code == 200

    response = sign_in(client, full_admin.email)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert signed_in_admin_id(client) is None


def test_four_failures_still_let_the_right_password_in(client, full_admin):
    for _attempt in range(4):
        sign_in(client, full_admin.email, "not-the-password")

    response = sign_in(client, full_admin.email)

    assert response.status_code == 302
    assert signed_in_admin_id(client) == str(full_admin.pk)


def test_an_inactive_admin_cannot_sign_in(client, partner):
    admin = AdminFactory(partner=partner, is_active=False)

    response = sign_in(client, admin.email)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_inactive")
    assert signed_in_admin_id(client) is None


def test_an_admin_with_totp_is_asked_for_a_code_after_the_password(client, admin_with_totp):
    admin, _secret, _codes = admin_with_totp

    response = sign_in(client, admin.email)

    assert response.status_code == 302
    assert response["Location"] == MFA_URL
    assert signed_in_admin_id(client) is None
    page = client.get(MFA_URL)
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()


def test_the_current_totp_code_completes_the_sign_in(client, admin_with_totp):
    admin, secret, _codes = admin_with_totp
    sign_in(client, admin.email)

    response = client.post(MFA_URL, {"code": current_totp(secret)})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_admin_id(client) == str(admin.pk)


def test_a_wrong_totp_code_is_refused(client, admin_with_totp):
    admin, secret, _codes = admin_with_totp
    sign_in(client, admin.email)
    wrong = f"{(int(current_totp(secret)) + 1) % 1_000_000:06d}"

    response = client.post(MFA_URL, {"code": wrong})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_admin_id(client) is None


def test_the_language_can_be_switched_during_the_code_step(client, admin_with_totp):
    admin, _secret, _codes = admin_with_totp
    sign_in(client, admin.email)

    client.post(reverse("set_language"), {"language": "ko", "next": MFA_URL})
    page = client.get(MFA_URL)

    assert page.status_code == 200
    assert "인증 앱에 표시된 6자리 코드를 입력하세요." in page.content.decode()
    assert signed_in_admin_id(client) is None


def test_a_recovery_code_signs_in_once(client, admin_with_totp):
    admin, _secret, codes = admin_with_totp
    sign_in(client, admin.email)
    first = client.post(MFA_URL, {"code": codes[0]})
    assert first.status_code == 302
    assert signed_in_admin_id(client) == str(admin.pk)
    client.post(reverse("account_logout"))
    assert signed_in_admin_id(client) is None

    sign_in(client, admin.email)
    second = client.post(MFA_URL, {"code": codes[0]})

    assert second.status_code == 200
    assert signed_in_admin_id(client) is None
    recovery = Authenticator.objects.get(user=admin, type=Authenticator.Type.RECOVERY_CODES)
    assert codes[0] not in RecoveryCodes(recovery).get_unused_codes()


def test_require_mfa_sends_an_admin_without_totp_to_activation(client):
    admin = AdminFactory(partner=PartnerFactory(require_mfa=True))
    sign_in(client, admin.email)

    for path in (reverse("home"), reverse("accounts:setup"), "/customers/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp"), path


def test_require_mfa_answers_htmx_requests_with_a_client_redirect(client):
    admin = AdminFactory(partner=PartnerFactory(require_mfa=True))
    sign_in(client, admin.email)

    response = client.get(reverse("home"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


def test_require_mfa_still_lets_the_admin_switch_language_and_sign_out(client):
    admin = AdminFactory(partner=PartnerFactory(require_mfa=True))
    sign_in(client, admin.email)

    language = client.post(reverse("set_language"), {"language": "ko", "next": reverse("mfa_activate_totp")})
    password_check = client.get(reverse("account_reauthenticate"))
    sign_out = client.post(reverse("account_logout"))

    assert language["Location"] == reverse("mfa_activate_totp")
    assert password_check.status_code == 200
    assert sign_out.status_code == 302
    assert signed_in_admin_id(client) is None


def test_activating_totp_under_require_mfa_opens_the_portal(client):
    admin = AdminFactory(partner=PartnerFactory(require_mfa=True))
    sign_in(client, admin.email)
    # allauth asks for the password again before any change to two-factor authentication.
    asked = client.get(reverse("mfa_activate_totp"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    client.post(asked["Location"], {"password": DEFAULT_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert "requires two-factor authentication" in page.content.decode()
    secret = client.session["mfa.totp.secret"]

    activated = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("home")).status_code == 200


def test_an_admin_of_an_org_without_require_mfa_is_not_sent_to_activation(client, full_admin):
    sign_in(client, full_admin.email)

    assert client.get(reverse("home")).status_code == 200


def test_an_idle_session_is_signed_out(client, full_admin):
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(full_admin)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(settings.PARTNERHUB_SESSION_IDLE + timedelta(minutes=1))

        response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert signed_in_admin_id(client) is None


def test_an_active_session_outlives_the_idle_limit(client, full_admin):
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(full_admin)
        for _step in range(3):
            assert client.get(reverse("home")).status_code == 200
            traveller.shift(settings.PARTNERHUB_SESSION_IDLE - timedelta(minutes=1))

        response = client.get(reverse("home"))

    assert response.status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, full_admin):
    step = settings.PARTNERHUB_SESSION_IDLE - timedelta(minutes=5)
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=UTC), tick=False) as traveller:
        client.force_login(full_admin)
        assert client.get(reverse("home")).status_code == 200
        elapsed = timedelta(0)
        while elapsed + step <= settings.PARTNERHUB_SESSION_MAX_AGE:
            traveller.shift(step)
            elapsed += step
            assert client.get(reverse("home")).status_code == 200
        traveller.shift(step)

        response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert signed_in_admin_id(client) is None


def test_a_deactivated_admins_existing_session_stops_working(client, full_admin):
    client.force_login(full_admin)
    assert client.get(reverse("home")).status_code == 200

    full_admin.is_active = False
    full_admin.save(update_fields=["is_active"])
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
