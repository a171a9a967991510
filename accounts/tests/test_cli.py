import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Admin, ApiToken, hash_token
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db(databases="__all__")


def test_createadmin_creates_partner_and_full_admin():
    out = io.StringIO()
    call_command("createadmin", email="Ana@Example.com", partner="Example", password="a-long-enough-pass", stdout=out)
    admin = Admin.objects.get(email="ana@example.com")
    assert (admin.partner.name, admin.role) == ("Example", "full_admin")
    assert "Created full_admin ana@example.com" in out.getvalue()


def test_createadmin_refuses_a_short_password_with_the_reason():
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command("createadmin", email="bo@example.com", partner="Example", password="short")
    assert not Admin.objects.filter(email="bo@example.com").exists()


def test_token_create_prints_a_token_whose_hash_is_stored():
    admin = AdminFactory(email="ops@example.com")
    out = io.StringIO()
    call_command("token", "create", email="ops@example.com", scopes="read,ingest", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(admin=admin)
    assert token.key_hash == hash_token(raw)
    assert token.scope_set == {"read", "ingest"}


def test_token_create_refuses_unknown_scope():
    AdminFactory(email="ops2@example.com")
    with pytest.raises(CommandError, match="got admin"):
        call_command("token", "create", email="ops2@example.com", scopes="read,admin")


def test_token_create_refuses_a_scope_the_admins_role_cannot_use():
    AdminFactory(email="reader@example.com", role="read_only")
    with pytest.raises(CommandError, match="allows nothing that needs the ingest, write scope"):
        call_command("token", "create", email="reader@example.com", scopes="read,write,ingest")
    assert not ApiToken.objects.exists()


def test_token_create_for_unknown_email_is_a_clear_error():
    with pytest.raises(CommandError, match=r"no active admin with e-mail ghost@example\.com"):
        call_command("token", "create", email="ghost@example.com")


def test_production_settings_pass_the_deploy_check():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "partnerhub.settings.prod",
        "PARTNERHUB_SECRET_KEY": "x" * 20 + "production-grade-secret-key-for-the-deploy-check-0123456789",
        "PARTNERHUB_ALLOWED_HOSTS": "hub.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-m", "partnerhub.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout
