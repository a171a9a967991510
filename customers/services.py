"""Every change to the customer directory, and the refresh of its cached status flags."""

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.models import AccessKind, Admin, CustomerAccess
from accounts.roles import Permission, Role
from accounts.scope import NotAllowed, Scope
from accounts.services import InvalidInput
from regions.registry import Region, db_for

from . import rules
from .models import Customer, Lifecycle, Tag, encode_set


class CustomerConflict(ValueError):
    """The write contradicts what the directory already knows (other partner, other region)."""


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    org_id: uuid.UUID
    name: str
    region: str
    external_id: str = ""
    created_at: datetime | None = None


def _snapshot(customer: Customer) -> dict[str, object]:
    return {"name": customer.name, "region": customer.region, "external_id": customer.external_id}


@transaction.atomic
def upsert_customer(*, partner_id: int, record: CustomerRecord, scope: Scope | None = None) -> Customer:
    """Create or update a directory entry of `partner_id`.

    Raises CustomerConflict when the org id belongs to another partner or lives in another
    region (moving a customer's data between regions is not an update)."""
    if record.region not in Region.values:
        raise CustomerConflict(f"unknown region {record.region!r}; expected one of {', '.join(Region.values)}")
    existing = Customer.objects.select_for_update().filter(org_id=record.org_id).first()
    if existing is None:
        customer = Customer.objects.create(
            org_id=record.org_id,
            partner_id=partner_id,
            name=record.name,
            region=record.region,
            external_id=record.external_id,
            created_at=record.created_at or timezone.now(),
            lifecycle=Lifecycle.ACTIVE,
        )
        customer.statuses = encode_set([])
        audit.record(
            scope=scope,
            action="customer.create",
            obj_type="customer",
            obj_id=customer.pk,
            org_id=customer.pk,
            partner_id=partner_id,
            after=_snapshot(customer),
        )
        refresh_statuses(org_ids=[customer.pk])
        return customer
    if existing.partner_id != partner_id:
        raise CustomerConflict(f"org id {record.org_id} belongs to another partner")
    if existing.region != record.region:
        raise CustomerConflict(f"customer {record.org_id} lives in region {existing.region}, not {record.region}")
    before = _snapshot(existing)
    existing.name = record.name
    existing.external_id = record.external_id
    after = _snapshot(existing)
    if after != before:
        existing.save(update_fields=["name", "external_id"])
        audit.record(
            scope=scope,
            action="customer.update",
            obj_type="customer",
            obj_id=existing.pk,
            org_id=existing.pk,
            partner_id=partner_id,
            before=before,
            after=after,
        )
    return existing


def record_admin_activity(*, org_id: uuid.UUID, at: datetime) -> bool:
    """Note that the customer's own admins were active at `at`, keeping the latest time seen
    (activity may arrive out of order). Returns False when the customer is unknown."""
    customer = Customer.objects.filter(org_id=org_id).first()
    if customer is None:
        return False
    if customer.last_admin_activity_at is None or at > customer.last_admin_activity_at:
        Customer.objects.filter(pk=org_id).update(last_admin_activity_at=at)
        refresh_statuses(org_ids=[org_id])
    return True


_REFRESH_CHUNK = 500
_CACHED_FIELDS = ["statuses", "products", "severity", "next_expiry_on", "statuses_computed_on"]


def refresh_statuses(*, org_ids: Iterable[uuid.UUID], today: date | None = None) -> int:
    """Recompute and cache statuses, products, severity and next expiry of the given customers
    from their region databases. Returns how many directory rows changed."""
    from subscriptions.models import LicenseLine, Subscription  # region data; imported late to keep the layering

    today = today or timezone.now().date()
    ids = list(dict.fromkeys(org_ids))
    changed = 0
    for start in range(0, len(ids), _REFRESH_CHUNK):
        chunk = ids[start : start + _REFRESH_CHUNK]
        customers = list(Customer.objects.filter(org_id__in=chunk))
        by_region: dict[str, list[Customer]] = defaultdict(list)
        for customer in customers:
            by_region[customer.region].append(customer)
        dirty: list[Customer] = []
        for region, group in by_region.items():
            alias = db_for(region)
            region_ids = [c.org_id for c in group]
            subs: dict[uuid.UUID, list[rules.SubscriptionFacts]] = defaultdict(list)
            for org_id, kind, state, end_on, auto_renew in (
                Subscription.objects.using(alias)
                .filter(org_id__in=region_ids)
                .values_list("org_id", "kind", "state", "end_on", "auto_renew")
            ):
                subs[org_id].append(rules.SubscriptionFacts(kind, state, end_on, auto_renew))
            overage = set(
                LicenseLine.objects.using(alias)
                .filter(org_id__in=region_ids, subscription__state="active", assigned__gt=F("quantity"))
                .values_list("org_id", flat=True)
            )
            products: dict[uuid.UUID, set[str]] = defaultdict(set)
            for org_id, product in (
                LicenseLine.objects.using(alias)
                .filter(org_id__in=region_ids, subscription__state__in=rules.LIVE_STATES)
                .values_list("org_id", "product")
                .distinct()
            ):
                products[org_id].add(product)
            for customer in group:
                facts = rules.CustomerFacts(
                    subscriptions=tuple(subs[customer.org_id]),
                    has_overage=customer.org_id in overage,
                    last_admin_activity_at=customer.last_admin_activity_at,
                )
                statuses = rules.customer_statuses(
                    facts,
                    today=today,
                    expiring_days=settings.PARTNERHUB_EXPIRING_SOON_DAYS,
                    inactive_days=settings.PARTNERHUB_INACTIVE_DAYS,
                )
                values = dict(
                    zip(
                        _CACHED_FIELDS,
                        (
                            encode_set(statuses),
                            encode_set(products[customer.org_id]),
                            rules.severity(statuses),
                            rules.next_expiry(facts),
                            today,
                        ),
                        strict=True,
                    )
                )
                if any(getattr(customer, field) != value for field, value in values.items()):
                    for field, value in values.items():
                        setattr(customer, field, value)
                    dirty.append(customer)
        if dirty:
            Customer.objects.bulk_update(dirty, _CACHED_FIELDS, batch_size=_REFRESH_CHUNK)
            changed += len(dirty)
    return changed


def refresh_all_statuses(*, today: date | None = None) -> int:
    """The daily refresh: dates move, so `expiring_soon` and `no_recent_activity` change overnight."""
    ids = Customer.objects.values_list("org_id", flat=True).iterator(chunk_size=2000)
    return refresh_statuses(org_ids=ids, today=today)


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    activated: int
    still_pending: tuple[uuid.UUID, ...]
    orphaned_region_rows: dict[str, tuple[uuid.UUID, ...]]


def reconcile_directory(*, older_than: timedelta = timedelta(minutes=10)) -> ReconcileReport:
    """Finish the customer saga: a `pending` directory row whose region rows exist becomes
    `active`; pending rows without region rows and region rows without a directory row are
    reported for an operator (never deleted automatically: they may be someone's only copy)."""
    from subscriptions.models import Subscription

    cutoff = timezone.now() - older_than
    activated = 0
    pending: list[uuid.UUID] = []
    for customer in Customer.objects.filter(lifecycle=Lifecycle.PENDING, created_at__lt=cutoff):
        if Subscription.objects.using(db_for(customer.region)).filter(org_id=customer.org_id).exists():
            Customer.objects.filter(pk=customer.pk).update(lifecycle=Lifecycle.ACTIVE)
            activated += 1
        else:
            pending.append(customer.org_id)
    orphans: dict[str, tuple[uuid.UUID, ...]] = {}
    for region in Region.values:
        region_ids = set(Subscription.objects.using(db_for(region)).values_list("org_id", flat=True).distinct())
        known = set(Customer.objects.filter(org_id__in=region_ids, region=region).values_list("org_id", flat=True))
        if region_ids - known:
            orphans[region] = tuple(sorted(region_ids - known))
    return ReconcileReport(activated=activated, still_pending=tuple(pending), orphaned_region_rows=orphans)


def _customer_in_scope(scope: Scope, org_id: uuid.UUID) -> Customer:
    customer = Customer.objects.visible_to(scope).filter(org_id=org_id).first()
    if customer is None:
        raise Customer.DoesNotExist(f"customer {org_id} not found")
    return customer


def _give_access(scope: Scope, org_id: uuid.UUID, admin: Admin, kind: str, action: str) -> CustomerAccess:
    access, created = CustomerAccess.objects.get_or_create(
        admin=admin, org_id=org_id, defaults={"kind": kind, "granted_by_id": scope.admin_id}
    )
    if created:
        audit.record(
            scope=scope, action=action, obj_type="customer", obj_id=org_id, org_id=org_id, after={"admin": admin.email}
        )
    return access


@transaction.atomic
def assign_admin(*, scope: Scope, org_id: uuid.UUID, admin: Admin) -> CustomerAccess:
    """Give a partner admin of the managing partner access to one of its customers (idempotent).

    Raises Customer.DoesNotExist out of scope, NotAllowed without the permission or for an
    external admin (only the managing partner staffs its customers), and CustomerConflict for an
    admin of another partner or one who already sees every customer."""
    scope.require(Permission.MANAGE_ASSIGNMENTS)
    customer = _customer_in_scope(scope, org_id)
    if not rules.can_give_access(actor_partner_id=scope.partner_id, customer_partner_id=customer.partner_id):
        raise NotAllowed(_("Only the managing partner assigns admins to its customers."))
    if admin.partner_id != customer.partner_id or admin.role != Role.PARTNER_ADMIN:
        raise CustomerConflict(_("Only partner admins of the managing partner can be assigned to its customers."))
    return _give_access(scope, org_id, admin, AccessKind.ASSIGNED, "customer.assign_admin")


@transaction.atomic
def grant_external(*, scope: Scope, org_id: uuid.UUID, admin: Admin) -> CustomerAccess:
    """Grant one of our customers to an external admin of another partner (idempotent).
    Only the managing partner grants its own customers."""
    scope.require(Permission.MANAGE_ASSIGNMENTS)
    customer = _customer_in_scope(scope, org_id)
    if not rules.can_give_access(actor_partner_id=scope.partner_id, customer_partner_id=customer.partner_id):
        raise NotAllowed(_("Only the managing partner grants its customers to external admins."))
    if admin.partner_id == customer.partner_id or admin.role != Role.EXTERNAL_ADMIN:
        raise CustomerConflict(_("Customers are granted to external admins of another partner."))
    return _give_access(scope, org_id, admin, AccessKind.GRANTED, "customer.grant_external")


@transaction.atomic
def revoke_access(*, scope: Scope, org_id: uuid.UUID, admin: Admin) -> bool:
    """Remove an assignment or a grant; returns False when there was none.

    Raises Customer.DoesNotExist out of scope, and NotAllowed without the permission or when an
    external admin names an admin of another partner than its own."""
    scope.require(Permission.MANAGE_ASSIGNMENTS)
    customer = _customer_in_scope(scope, org_id)
    if not rules.can_take_access(
        actor_partner_id=scope.partner_id, customer_partner_id=customer.partner_id, admin_partner_id=admin.partner_id
    ):
        raise NotAllowed(_("An external admin removes only the access of its own partner's admins."))
    deleted, _by_model = CustomerAccess.objects.filter(admin=admin, org_id=org_id).delete()
    if deleted:
        audit.record(
            scope=scope,
            action="customer.revoke_access",
            obj_type="customer",
            obj_id=org_id,
            org_id=org_id,
            before={"admin": admin.email},
        )
    return deleted > 0


_TAG_COLOR = re.compile(r"#[0-9a-fA-F]{6}")  # fullmatch: `$` would let a trailing newline through
_TAG_NAME_MAX = 50  # Tag.name max_length


def _clean_tag_name(scope: Scope, name: str, *, renaming: Tag | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("A tag needs a name."))
    if len(name) > _TAG_NAME_MAX:
        raise InvalidInput(_("A tag name has at most %(max)d characters.") % {"max": _TAG_NAME_MAX})
    if "\x00" in name:
        # PostgreSQL cannot store (or even compare) text holding NUL.
        raise InvalidInput(_("A tag name cannot contain a NUL character."))
    same_name = Tag.objects.visible_to(scope).filter(name__iexact=name)
    if renaming is not None:
        same_name = same_name.exclude(pk=renaming.pk)
    if same_name.exists():
        raise InvalidInput(_("A tag named “%(name)s” already exists.") % {"name": name})
    return name


def _clean_tag_color(color: str) -> str:
    if not _TAG_COLOR.fullmatch(color):
        raise InvalidInput(_("The tag colour “%(color)s” is not a colour code of the form #rrggbb.") % {"color": color})
    return color.lower()


@transaction.atomic
def create_tag(*, scope: Scope, name: str, color: str = "#0d6efd") -> Tag:
    """Create a tag of the scope's partner (visible to all its admins).

    Raises NotAllowed without EDIT_TAGS, and InvalidInput for an empty or over-long name (or one
    holding a NUL character), a colour that is not `#rrggbb`, or a name the partner already uses
    (names compare case-insensitively)."""
    scope.require(Permission.EDIT_TAGS)
    name = _clean_tag_name(scope, name)
    tag = Tag.objects.create(partner_id=scope.partner_id, name=name, color=_clean_tag_color(color))
    audit.record(
        scope=scope, action="tag.create", obj_type="tag", obj_id=tag.pk, after={"name": name, "color": tag.color}
    )
    return tag


@transaction.atomic
def tag_customers(*, scope: Scope, tag: Tag, org_ids: Iterable[uuid.UUID]) -> int:
    """Put `tag` on the given customers (idempotent); returns how many were newly tagged.

    Raises NotAllowed without ASSIGN_TAGS, Tag.DoesNotExist for a tag of another partner, and
    InvalidInput naming any org id that is not a customer visible to the scope (nothing is tagged
    then)."""
    scope.require(Permission.ASSIGN_TAGS)
    tag = Tag.objects.visible_to(scope).get(pk=tag.pk)
    wanted = set(org_ids)
    visible = set(Customer.objects.visible_to(scope).filter(org_id__in=wanted).values_list("org_id", flat=True))
    unknown = wanted - visible
    if unknown:
        unknown_ids = ", ".join(sorted(str(org_id) for org_id in unknown))
        raise InvalidInput(_("Unknown customer(s): %(org_ids)s.") % {"org_ids": unknown_ids})
    already = set(Customer.objects.filter(tags=tag, org_id__in=wanted).values_list("org_id", flat=True))
    added = sorted(wanted - already, key=str)
    through: Any = Customer.tags.through  # Any: the auto-created M2M model has no static type
    through.objects.bulk_create([through(customer_id=org_id, tag_id=tag.pk) for org_id in added])
    for org_id in added:
        audit.record(
            scope=scope,
            action="customer.tag",
            obj_type="customer",
            obj_id=org_id,
            org_id=org_id,
            after={"tag": tag.name},
        )
    return len(added)


@transaction.atomic
def untag_customers(*, scope: Scope, tag: Tag, org_ids: Iterable[uuid.UUID]) -> int:
    """Take `tag` off the given customers visible to the scope; returns how many lost it.
    Raises NotAllowed without ASSIGN_TAGS and Tag.DoesNotExist for a tag of another partner."""
    scope.require(Permission.ASSIGN_TAGS)
    tag = Tag.objects.visible_to(scope).get(pk=tag.pk)
    visible = Customer.objects.visible_to(scope).filter(org_id__in=set(org_ids), tags=tag)
    removed = list(visible.values_list("org_id", flat=True))
    through: Any = Customer.tags.through  # Any: the auto-created M2M model has no static type
    through.objects.filter(tag_id=tag.pk, customer_id__in=removed).delete()
    for org_id in removed:
        audit.record(
            scope=scope,
            action="customer.untag",
            obj_type="customer",
            obj_id=org_id,
            org_id=org_id,
            before={"tag": tag.name},
        )
    return len(removed)


@transaction.atomic
def update_tag(*, scope: Scope, tag: Tag, name: str | None = None, color: str | None = None) -> Tag:
    """Rename and/or recolour a tag of the scope's partner, with the same rules as create_tag."""
    scope.require(Permission.EDIT_TAGS)
    tag = Tag.objects.visible_to(scope).select_for_update().get(pk=tag.pk)
    before = {"name": tag.name, "color": tag.color}
    if name is not None:
        tag.name = _clean_tag_name(scope, name, renaming=tag)
    if color is not None:
        tag.color = _clean_tag_color(color)
    tag.save(update_fields=["name", "color"])
    audit.record(
        scope=scope,
        action="tag.update",
        obj_type="tag",
        obj_id=tag.pk,
        before=before,
        after={"name": tag.name, "color": tag.color},
    )
    return tag


@transaction.atomic
def delete_tag(*, scope: Scope, tag: Tag) -> None:
    """Delete a tag of the scope's partner; customers simply lose it."""
    scope.require(Permission.EDIT_TAGS)
    tag = Tag.objects.visible_to(scope).get(pk=tag.pk)
    audit.record(
        scope=scope,
        action="tag.delete",
        obj_type="tag",
        obj_id=tag.pk,
        before={"name": tag.name, "color": tag.color, "customers": Customer.objects.filter(tags=tag).count()},
    )
    tag.delete()
