"""The immutable Scope every read starts from: who is asking and which customers they may see."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from .models import Admin, CustomerAccess
from .roles import ALL_CUSTOMER_ROLES, ROLE_PERMISSIONS, Permission, Role


class NotAllowed(PermissionDenied):
    """The admin may see the object but its role does not allow the action (HTTP 403)."""


def token_scope_of(permission: Permission) -> str:
    """The API token scope (`read`, `write`, `ingest`) an action needs."""
    if permission == Permission.INGEST:
        return "ingest"
    if permission in {Permission.VIEW_CUSTOMERS, Permission.RUN_REPORTS}:
        return "read"
    return "write"


def usable_token_scopes(role: str) -> frozenset[str]:
    """The token scopes some action of the role needs: a token with another would be refused
    whatever it asks."""
    return frozenset(token_scope_of(permission) for permission in ROLE_PERMISSIONS.get(role, frozenset()))


@dataclass(frozen=True, slots=True)
class Scope:
    """What one signed-in admin (or one of its API tokens) may see and do.

    `customer_ids` is None for roles that see every customer of their partner, else the exact
    set of org ids assigned or granted to the admin."""

    admin_id: int
    partner_id: int
    role: str
    customer_ids: frozenset[uuid.UUID] | None
    token_scopes: frozenset[str] | None = None

    @property
    def sees_all_partner_customers(self) -> bool:
        return self.customer_ids is None

    def can(self, permission: Permission) -> bool:
        if permission not in ROLE_PERMISSIONS.get(self.role, frozenset()):
            return False
        return self.token_scopes is None or token_scope_of(permission) in self.token_scopes

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise NotAllowed(f"your role does not allow {permission.value.replace('_', ' ')}")

    def may_see(self, org_id: uuid.UUID, partner_id: int) -> bool:
        if self.customer_ids is None:
            return partner_id == self.partner_id
        return org_id in self.customer_ids


def scope_for(admin: Admin, token_scopes: frozenset[str] | None = None) -> Scope:
    """Resolve the Scope of an active admin that belongs to a partner org."""
    if admin.partner_id is None:
        raise NotAllowed("this account does not belong to a partner organization")
    customer_ids: frozenset[uuid.UUID] | None = None
    if admin.role not in ALL_CUSTOMER_ROLES:
        customer_ids = frozenset(CustomerAccess.objects.filter(admin_id=admin.pk).values_list("org_id", flat=True))
    return Scope(
        admin_id=admin.pk,
        partner_id=admin.partner_id,
        role=Role(admin.role),
        customer_ids=customer_ids,
        token_scopes=token_scopes,
    )


# The admin id of a scope with no admin behind it (see `partner_wide`).
NO_ADMIN = 0


def partner_wide(partner_id: int) -> Scope:
    """Every customer of a partner, with no admin behind it: what the command line and the
    worker act as (audit events of such writes record the partner and no actor)."""
    return Scope(admin_id=NO_ADMIN, partner_id=partner_id, role=Role.FULL_ADMIN, customer_ids=None)
