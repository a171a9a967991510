"""Customers, tags and trials: the directory as the token's admin may see it."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.roles import Permission
from accounts.scope import Scope
from customers import queries
from customers.filters import CustomerFilterSet

from .errors import ApiError
from .schemas import ErrorOut

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


class Paging(Schema):
    limit: int = Field(50, ge=1, le=1000)
    # SQL's OFFSET is a 64-bit integer: a larger one fails in the database instead of answering 422.
    offset: int = Field(0, ge=0, le=2**63 - 1)


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
    scope.require(permission)
    return scope


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


@router.get(
    "/customers",
    response={200: CustomerPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="List customers",
    description="Query parameters match the customer list page: q, status, product, tag (id), admin, "
    "subscription_type, region, sort; each of status, product and tag may repeat.",
)
def list_customers(request: HttpRequest, paging: Query[Paging]) -> CustomerPage:
    scope = scope_of(request)
    filters = CustomerFilterSet(request.GET, scope=scope)
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
