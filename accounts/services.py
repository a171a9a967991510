"""Every change to partner orgs, admins, access and tokens."""

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import Admin, ApiToken, PartnerOrg, TokenScope, hash_token
from .roles import Permission, Role
from .scope import Scope, usable_token_scopes


@transaction.atomic
def accept_terms(*, scope: Scope, plan: str) -> PartnerOrg:
    """Finish the set-up wizard: record the plan and the acceptance; the org is live afterwards."""
    scope.require(Permission.SET_UP_ORG)
    partner = PartnerOrg.objects.select_for_update().get(pk=scope.partner_id)
    before = {"plan": partner.plan, "terms_accepted_at": partner.terms_accepted_at}
    partner.plan = plan
    partner.terms_accepted_at = timezone.now()
    partner.terms_accepted_by_id = scope.admin_id
    partner.save(update_fields=["plan", "terms_accepted_at", "terms_accepted_by"])
    audit.record(
        scope=scope,
        action="partner.accept_terms",
        obj_type="partner",
        obj_id=partner.pk,
        before=before,
        after={"plan": plan, "terms_accepted_at": partner.terms_accepted_at},
    )
    return partner


class InvalidInput(ValueError):
    """Input a person can correct; the message names what is wrong."""


@transaction.atomic
def create_partner(*, name: str, plan: str = "standard", require_mfa: bool = False) -> PartnerOrg:
    """Create a partner org (operator tooling and the demo); it is not live until set up."""
    if PartnerOrg.objects.filter(name=name).exists():
        raise InvalidInput(_("A partner organization named “%(name)s” already exists.") % {"name": name})
    partner = PartnerOrg.objects.create(name=name, plan=plan, require_mfa=require_mfa)
    audit.record(
        scope=None,
        action="partner.create",
        obj_type="partner",
        obj_id=partner.pk,
        partner_id=partner.pk,
        after={"name": name, "plan": plan},
    )
    return partner


@transaction.atomic
def create_admin(
    *,
    partner: PartnerOrg,
    email: str,
    role: str,
    password: str | None,
    display_name: str = "",
    scope: Scope | None = None,
) -> Admin:
    """Create an admin of `partner`. With a scope, the acting admin must manage admins of that
    partner. The password must pass the password rules (12+ characters)."""
    if scope is not None:
        scope.require(Permission.MANAGE_ADMINS)
        if scope.partner_id != partner.pk:
            raise InvalidInput(_("Admins can only be created in your own partner organization."))
    email = email.strip().lower()
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role “%(role)s”; expected one of %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)}
        )
    if Admin.objects.filter(email=email).exists():
        raise InvalidInput(_("An admin with e-mail %(email)s already exists.") % {"email": email})
    admin = Admin(email=email, partner=partner, role=role, display_name=display_name)
    if password is not None:
        try:
            validate_password(password, admin)
        except Exception as error:  # ValidationError carries a list of readable messages
            raise InvalidInput(" ".join(getattr(error, "messages", [str(error)]))) from error
    admin.set_password(password)
    admin.save()
    audit.record(
        scope=scope,
        action="admin.create",
        obj_type="admin",
        obj_id=admin.pk,
        partner_id=partner.pk,
        after={"email": email, "role": role},
    )
    return admin


def parse_token_scopes(scopes: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(s.strip().lower() for s in scopes if s.strip())
    unknown = chosen - set(TokenScope.values)
    if not chosen or unknown:
        raise InvalidInput(
            _("Token scopes must be among %(scopes)s; got %(got)s.")
            % {"scopes": ", ".join(TokenScope.values), "got": ", ".join(sorted(unknown)) or _("none")}
        )
    return chosen


@transaction.atomic
def create_token(*, admin: Admin, scopes: Iterable[str], name: str = "") -> tuple[ApiToken, str]:
    """Create an API token for `admin`; returns the row and the raw token, which is never stored
    and cannot be shown again. A token never exceeds its admin's own access."""
    chosen = parse_token_scopes(scopes)
    if unusable := sorted(chosen - usable_token_scopes(admin.role)):
        raise InvalidInput(
            _("The role of %(email)s allows nothing that needs the %(scopes)s scope: leave it out.")
            % {"email": admin.email, "scopes": ", ".join(unusable)}
        )
    raw = ApiToken.new_raw_token()
    token = ApiToken.objects.create(
        admin=admin, name=name, key_hash=hash_token(raw), hint=raw[:10], scopes=",".join(sorted(chosen))
    )
    audit.record(
        scope=None,
        action="token.create",
        obj_type="token",
        obj_id=token.pk,
        partner_id=admin.partner_id,
        actor_id=admin.pk,
        after={"admin": admin.email, "scopes": token.scopes},
    )
    return token, raw


@transaction.atomic
def change_role(*, scope: Scope, admin: Admin, role: str) -> Admin:
    """Give an admin of the scope's partner another role.

    Refused for the acting admin itself: nobody locks themselves out, and since only full admins
    manage admins, the partner always keeps at least one active full admin. Customer assignments
    stay, so a partner admin promoted and later demoted again keeps its customers."""
    scope.require(Permission.MANAGE_ADMINS)
    admin = Admin.objects.select_for_update().get(pk=admin.pk, partner_id=scope.partner_id)
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role “%(role)s”; expected one of %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)}
        )
    if admin.pk == scope.admin_id:
        raise InvalidInput(_("You cannot change your own role."))
    before = {"role": admin.role}
    admin.role = role
    admin.save(update_fields=["role"])
    audit.record(
        scope=scope, action="admin.change_role", obj_type="admin", obj_id=admin.pk, before=before, after={"role": role}
    )
    return admin


@transaction.atomic
def set_admin_active(*, scope: Scope, admin: Admin, active: bool) -> Admin:
    """Deactivate (or reactivate) an admin of the scope's partner. A deactivated admin's sessions
    stop working at its next request and its API tokens are revoked."""
    scope.require(Permission.MANAGE_ADMINS)
    admin = Admin.objects.select_for_update().get(pk=admin.pk, partner_id=scope.partner_id)
    if admin.pk == scope.admin_id and not active:
        raise InvalidInput(_("You cannot deactivate yourself."))
    if not active:
        ApiToken.objects.filter(admin=admin, revoked_at__isnull=True).update(revoked_at=timezone.now())
    admin.is_active = active
    admin.save(update_fields=["is_active"])
    audit.record(
        scope=scope,
        action="admin.activate" if active else "admin.deactivate",
        obj_type="admin",
        obj_id=admin.pk,
        after={"is_active": active},
    )
    return admin


@transaction.atomic
def revoke_token(*, admin: Admin, token_id: int) -> bool:
    """Revoke one of the admin's own tokens; False when it has no such live token."""
    revoked = ApiToken.objects.filter(pk=token_id, admin=admin, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(
            scope=None,
            action="token.revoke",
            obj_type="token",
            obj_id=token_id,
            partner_id=admin.partner_id,
            actor_id=admin.pk,
            before={"admin": admin.email},
        )
    return revoked > 0
