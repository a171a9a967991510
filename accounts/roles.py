"""Roles, permissions and the one mapping that decides who may do what (SPEC section 3)."""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FULL_ADMIN = "full_admin", _("Partner full admin")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    READ_ONLY = "read_only", _("Partner read-only admin")
    EXTERNAL_ADMIN = "external_admin", _("External admin")


class Permission(StrEnum):
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"
    EDIT_TAGS = "edit_tags"
    ASSIGN_TAGS = "assign_tags"
    MANAGE_TRIALS = "manage_trials"
    MANAGE_ADMINS = "manage_admins"
    MANAGE_ASSIGNMENTS = "manage_assignments"
    RUN_REPORTS = "run_reports"
    MANAGE_REPORTS = "manage_reports"
    MANAGE_TEMPLATES = "manage_templates"
    MANAGE_RESOURCES = "manage_resources"
    INGEST = "ingest"
    SET_UP_ORG = "set_up_org"


_SCOPED_EDITOR = frozenset(
    {
        Permission.VIEW_CUSTOMERS,
        Permission.EDIT_TAGS,
        Permission.ASSIGN_TAGS,
        Permission.MANAGE_TRIALS,
        Permission.MANAGE_ASSIGNMENTS,
        Permission.RUN_REPORTS,
        Permission.MANAGE_REPORTS,
        Permission.INGEST,
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.FULL_ADMIN: frozenset(Permission),
    Role.PARTNER_ADMIN: _SCOPED_EDITOR,
    Role.READ_ONLY: frozenset({Permission.VIEW_CUSTOMERS, Permission.RUN_REPORTS}),
    Role.EXTERNAL_ADMIN: _SCOPED_EDITOR,
}

# Full and read-only admins see every customer of their partner; the others only those assigned
# (partner admins) or granted (external admins) to them.
ALL_CUSTOMER_ROLES = frozenset({Role.FULL_ADMIN, Role.READ_ONLY})
