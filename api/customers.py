"""Customers: the directory as the signed-in admin may see it."""

import uuid
from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.roles import Permission
from accounts.scope import Scope
from customers.models import Customer

from .schemas import ErrorOut

router = Router(tags=["customers"])


class CustomerOut(Schema):
    org_id: uuid.UUID
    name: str
    region: str
    statuses: list[str]
    products: list[str]
    tags: list[str]
    external_id: str
    managed_by: str
    last_admin_activity_at: datetime | None

    @staticmethod
    def from_customer(customer: Customer, scope: Scope) -> "CustomerOut":
        return CustomerOut(
            org_id=customer.org_id,
            name=customer.name,
            region=customer.region,
            statuses=customer.status_list,
            products=customer.product_list,
            tags=[tag.name for tag in customer.tags.all()],
            external_id=customer.external_id,
            managed_by="partner" if customer.partner_id == scope.partner_id else "external",
            last_admin_activity_at=customer.last_admin_activity_at,
        )


class CustomerPage(Schema):
    count: int
    items: list[CustomerOut]


class CustomerQuery(Schema):
    q: str = ""
    region: str | None = None
    status: list[str] = Field(default_factory=list)
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0)


def _scope(request: HttpRequest) -> Scope:
    scope: Scope = request.auth  # type: ignore[attr-defined]
    scope.require(Permission.VIEW_CUSTOMERS)
    return scope


@router.get("/customers", response={200: CustomerPage, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def list_customers(request: HttpRequest, query: Query[CustomerQuery]) -> CustomerPage:
    scope = _scope(request)
    customers = Customer.objects.visible_to(scope)
    if query.q:
        customers = customers.filter(
            Q(name__icontains=query.q) | Q(org_id__istartswith=query.q) | Q(external_id=query.q)
        )
    if query.region:
        customers = customers.in_region(query.region.upper())
    if query.status:
        customers = customers.with_status(*query.status)
    page = customers.prefetch_related("tags").order_by("name", "org_id")[query.offset : query.offset + query.limit]
    return CustomerPage(count=customers.count(), items=[CustomerOut.from_customer(c, scope) for c in page])


@router.get("/customers/{org_id}", response={200: CustomerOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_customer(request: HttpRequest, org_id: uuid.UUID) -> CustomerOut:
    scope = _scope(request)
    customer = get_object_or_404(Customer.objects.visible_to(scope).prefetch_related("tags"), org_id=org_id)
    return CustomerOut.from_customer(customer, scope)
