"""Partner orgs, their admins, customer access, API tokens and the audit trail (control database)."""

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import Role


class Plan(models.TextChoices):
    STANDARD = "standard", _("Standard")
    PREMIUM = "premium", _("Premium")
    ENTERPRISE = "enterprise", _("Enterprise")


class PartnerOrg(models.Model):
    """A reseller or managed-service provider: the tenant every other row belongs to."""

    name = models.CharField(max_length=200, unique=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.STANDARD)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    require_mfa = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.terms_accepted_at is not None


class AdminManager(BaseUserManager["Admin"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "Admin":
        admin = self.model(email=self.normalize_email(email).lower(), **fields)
        admin.set_password(password)
        admin.save(using=self._db)
        return admin

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "Admin":
        fields |= {"is_staff": True, "is_superuser": True}
        return self.create_user(email, password, **fields)


class Admin(AbstractBaseUser, PermissionsMixin):
    """A person who signs in to Partner Hub on behalf of one partner org."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=200, blank=True)
    partner = models.ForeignKey(PartnerOrg, null=True, blank=True, on_delete=models.PROTECT, related_name="admins")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.READ_ONLY)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = AdminManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email


class AccessKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    GRANTED = "granted", _("Granted to external admin")


class CustomerAccess(models.Model):
    """One customer a partner admin is assigned to, or an external admin is granted.

    The customer is named by org id, not a foreign key, so accounts does not depend on customers."""

    admin = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="customer_access")
    org_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=AccessKind.choices)
    granted_by = models.ForeignKey(Admin, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["admin", "org_id"], name="unique_customer_access")]
        indexes = [models.Index(fields=["org_id"])]

    def __str__(self) -> str:
        return f"{self.admin} → {self.org_id} ({self.kind})"


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")
    INGEST = "ingest", _("Ingest")


TOKEN_PREFIX = "phk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of one admin; only its hash is stored, the token is shown once."""

    admin = models.ForeignKey(Admin, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    scopes = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.hint}… ({self.admin})"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    @staticmethod
    def new_raw_token() -> str:
        return TOKEN_PREFIX + secrets.token_urlsafe(32)


class AuditEvent(models.Model):
    """Who changed what, when, with the values before and after."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(Admin, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partner = models.ForeignKey(PartnerOrg, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=80, db_index=True)
    org_id = models.UUIDField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"
