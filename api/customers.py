"""Customers, tags and trials: the directory as the token's admin may see it."""

import uuid
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest, QueryDict
from ninja import Query, Router, Schema

from accounts.models import TokenScope
from accounts.roles import Permission
from accounts.scope import NotAllowed, Scope
from customers import queries
from customers.filters import CustomerFilterSet
from customers.models import Tag

from .errors import ApiError
from .schemas import ErrorOut, Paging

router = Router(tags=["customers"])


class TagOut(Schema):
    id: int
    name: str
    color: str


class CustomerOut(Schema):
    org_id: uuid.UUID
    name: str
    region: str
    statuses: list[str]
    products: list[str]
    tags: list[str]
    external_id: str
    managed_by: str
    managing_partner: str
    last_admin_activity_at: datetime | None
    created_at: datetime

    @staticmethod
    def of(row: queries.CustomerRow) -> "CustomerOut":
        return CustomerOut(
            org_id=row.org_id,
            name=row.name,
            region=row.region,
            statuses=list(row.statuses),
            products=list(row.products),
            tags=[t.name for t in row.tags],
            external_id=row.external_id,
            managed_by=row.managed_by,
            managing_partner=row.managing_partner,
            last_admin_activity_at=row.last_admin_activity_at,
            created_at=row.created_at,
        )


class CustomerPage(Schema):
    count: int
    items: list[CustomerOut]


class LicenseLineOut(Schema):
    product: str
    sku: str
    quantity: int
    assigned: int
    used: int
    available: int


class InvoiceOut(Schema):
    number: str
    issued_on: date
    due_on: date
    total_amount: Decimal
    currency: str
    status: str


class OrderOut(Schema):
    number: str
    ordered_on: date
    kind: str
    lines: list[dict[str, object]]


class SubscriptionOut(Schema):
    subscription_id: str
    kind: str
    state: str
    start_on: date
    end_on: date | None
    renewal_on: date | None
    auto_renew: bool
    license_lines: list[LicenseLineOut]
    invoices: list[InvoiceOut]
    orders: list[OrderOut]


class AdminOut(Schema):
    email: str
    display_name: str
    role: str
    access: str


class CustomerDetailOut(CustomerOut):
    subscriptions: list[SubscriptionOut]
    trials: list[SubscriptionOut]
    admins: list[AdminOut]


def scope_of(request: HttpRequest, permission: Permission = Permission.VIEW_CUSTOMERS) -> Scope:
    scope: Scope = request.auth  # type: ignore[attr-defined]
    require(scope, permission)
    return scope


def require(scope: Scope, permission: Permission) -> None:
    """`scope.require(permission)`, except that when the admin's role allows the action and only
    the token's scopes stand in the way, the refusal names the scope the token lacks: "your role
    does not allow" would send the admin looking at their role instead of their token."""
    if not scope.can(permission) and scope.token_scopes is not None:
        for missing in TokenScope.values:
            wanted = scope.token_scopes | {missing}
            if replace(scope, token_scopes=wanted).can(permission):
                listed = ", ".join(name for name in TokenScope.values if name in wanted)
                raise NotAllowed(f"this token lacks the {missing} scope; create one with the scopes {listed}")
    scope.require(permission)


def _subscription(view: queries.SubscriptionView) -> SubscriptionOut:
    return SubscriptionOut(
        subscription_id=view.subscription_id,
        kind=view.kind,
        state=view.state,
        start_on=view.start_on,
        end_on=view.end_on,
        renewal_on=view.renewal_on,
        auto_renew=view.auto_renew,
        license_lines=[LicenseLineOut.model_validate(line, from_attributes=True) for line in view.license_lines],
        invoices=[InvoiceOut.model_validate(i, from_attributes=True) for i in view.invoices],
        orders=[
            OrderOut(number=o.number, ordered_on=o.ordered_on, kind=o.kind, lines=list(o.lines)) for o in view.orders
        ],
    )


def tag_named(key: str, names: dict[int, str]) -> int | None:
    """The id of the tag (of `names`, by id) that a key names, else None: an id, else the name as
    stored, else the name in another case if only one tag has it. The service keeps names unique
    whatever their case, but the database only as stored, so an exact spelling wins."""
    # isdecimal, not isdigit: "²" is a digit that int() refuses; and int() refuses more than
    # 4,300 digits, while no id has more than 19.
    if key.isdecimal() and len(key) <= 19 and int(key) in names:
        return int(key)
    if exact := [pk for pk, name in names.items() if name == key]:
        return exact[0]
    folded = [pk for pk, name in names.items() if name.casefold() == key.casefold()]
    return folded[0] if len(folded) == 1 else None


def _tags_as_ids(scope: Scope, params: QueryDict) -> QueryDict:
    """The query with each `tag` as the FilterSet takes it, an id: list items show tags by name,
    so a tag may also be given by its name (`tag_named`). Raises a 422 naming every value that is
    not one of the scope's tags; another partner's tag is as unknown as a missing one."""
    keys = params.getlist("tag")
    if not keys:
        return params
    # A partner has a few dozen tags (the list page loads them all for its menu): matching them
    # here keeps odd values (40 digits, NUL) out of SQL.
    names = dict(Tag.objects.visible_to(scope).values_list("pk", "name"))
    resolved = {key: tag_named(key, names) for key in keys}
    unknown = [key for key, pk in resolved.items() if pk is None]
    if unknown:
        errors = [
            {"field": "tag", "message": f"unknown tag {key!r}; give one of your partner's tags by id or by name"}
            for key in unknown
        ]
        raise ApiError(422, "The request is not valid.", errors)
    params = params.copy()
    params.setlist("tag", [str(resolved[key]) for key in keys])
    return params


@router.get(
    "/customers",
    response={200: CustomerPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List customers",
    description="Query parameters match the customer list page: q, status, product, tag (id or name), admin, "
    "subscription_type, region, sort; each of status, product and tag may repeat.",
)
def list_customers(request: HttpRequest, paging: Query[Paging]) -> CustomerPage:
    scope = scope_of(request)
    filters = CustomerFilterSet(_tags_as_ids(scope, request.GET), scope=scope)
    if not filters.form.is_valid():
        errors = [{"field": name, "message": str(msg)} for name, msgs in filters.form.errors.items() for msg in msgs]
        raise ApiError(422, "The request is not valid.", errors)
    count, rows = queries.customer_slice(scope, filters.qs, offset=paging.offset, limit=paging.limit)
    return CustomerPage(count=count, items=[CustomerOut.of(r) for r in rows])


@router.get(
    "/customers/{org_id}", response={200: CustomerDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def get_customer(request: HttpRequest, org_id: uuid.UUID) -> CustomerDetailOut:
    scope = scope_of(request)
    detail = queries.customer_detail(scope, org_id)
    base = CustomerOut.of(detail.row)
    return CustomerDetailOut(
        **base.model_dump(),
        subscriptions=[_subscription(s) for s in detail.subscriptions],
        trials=[_subscription(s) for s in detail.trials],
        admins=[
            AdminOut(email=a.email, display_name=a.display_name, role=a.role, access=a.access) for a in detail.admins
        ],
    )
