"""Tags of the partner, and tagging one customer."""

import uuid

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from accounts.roles import Permission
from accounts.services import InvalidInput
from customers import services
from customers.models import Customer, Tag

from .customers import require, scope_of, tag_named
from .errors import ApiError
from .schemas import ErrorOut, Paging

router = Router(tags=["tags"])


class TagOut(Schema):
    id: int
    name: str
    color: str
    customers: int = 0


class TagIn(Schema):
    name: str = Field(min_length=1, max_length=50)
    color: str = Field("#0d6efd", pattern=r"^#[0-9a-fA-F]{6}$")


class TagPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class TagList(Schema):
    count: int
    items: list[TagOut]


class CustomerTagIn(Schema):
    tag: str = Field(description="the tag's id or its name")


def _out(tag: Tag) -> TagOut:
    return TagOut(id=tag.pk, name=tag.name, color=tag.color, customers=getattr(tag, "customer_count", 0))


def _tag(request: HttpRequest, key: str) -> Tag:
    """A tag of the admin's partner by id or by name (`tag_named`; 404 otherwise)."""
    tags = Tag.objects.visible_to(scope_of(request))
    pk = tag_named(key, dict(tags.values_list("pk", "name")))
    if pk is None:
        raise Http404("no such tag")
    return tags.get(pk=pk)


def _invalid(error: InvalidInput) -> ApiError:
    status = 409 if "already exists" in str(error) else 422
    return ApiError(status, str(error))


@router.get("/tags", response={200: TagList, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def list_tags(request: HttpRequest, paging: Query[Paging]) -> TagList:
    scope = scope_of(request)
    tags = Tag.objects.visible_to(scope)
    page = tags.with_customer_counts(scope)[paging.offset : paging.offset + paging.limit]
    return TagList(count=tags.count(), items=[_out(t) for t in page])


@router.post("/tags", response={201: TagOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def create_tag(request: HttpRequest, payload: TagIn) -> Status[TagOut]:
    scope = scope_of(request, Permission.EDIT_TAGS)
    try:
        tag = services.create_tag(scope=scope, name=payload.name, color=payload.color)
    except InvalidInput as error:
        raise _invalid(error) from error
    return Status(201, _out(tag))


@router.patch(
    "/tags/{key}",
    response={200: TagOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def update_tag(request: HttpRequest, key: str, payload: TagPatch) -> TagOut:
    scope = scope_of(request, Permission.EDIT_TAGS)
    try:
        tag = services.update_tag(scope=scope, tag=_tag(request, key), name=payload.name, color=payload.color)
    except InvalidInput as error:
        raise _invalid(error) from error
    return _out(tag)


@router.delete("/tags/{key}", response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def delete_tag(request: HttpRequest, key: str) -> Status[None]:
    scope = scope_of(request, Permission.EDIT_TAGS)
    services.delete_tag(scope=scope, tag=_tag(request, key))
    return Status(204, None)


@router.post(
    "/customers/{org_id}/tags",
    response={200: TagList, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def tag_customer(request: HttpRequest, org_id: uuid.UUID, payload: CustomerTagIn) -> TagList:
    scope = scope_of(request)
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    require(scope, Permission.ASSIGN_TAGS)
    services.tag_customers(scope=scope, tag=_tag(request, payload.tag), org_ids=[customer.org_id])
    tags = list(customer.tags.filter(partner_id=scope.partner_id))
    return TagList(count=len(tags), items=[_out(t) for t in tags])


@router.delete(
    "/customers/{org_id}/tags/{key}", response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def untag_customer(request: HttpRequest, org_id: uuid.UUID, key: str) -> Status[None]:
    scope = scope_of(request)
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    require(scope, Permission.ASSIGN_TAGS)
    services.untag_customers(scope=scope, tag=_tag(request, key), org_ids=[customer.org_id])
    return Status(204, None)
