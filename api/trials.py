"""Trials: start one (existing or new customer), extend, end or convert it."""

import uuid
from datetime import date
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field, field_validator, model_validator

from accounts.roles import Permission
from customers.models import Customer
from customers.statuses import Product
from regions.registry import Region
from subscriptions import services
from subscriptions.models import Subscription

from .customers import require, scope_of
from .errors import ApiError
from .schemas import ErrorOut

router = Router(tags=["trials"])

ProductName = Literal["meetings", "calling", "messaging", "translation", "contact_center"]
assert set(ProductName.__args__) == set(Product.values)  # type: ignore[attr-defined]


class NewCustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")  # PostgreSQL cannot store NUL
    admin_email: str = Field(max_length=254)
    region: Literal["US", "CA", "EU", "UAE"]

    @field_validator("admin_email")
    @classmethod
    def email(cls, value: str) -> str:
        try:
            validate_email(value)
        except ValidationError as error:
            raise ValueError("enter a valid e-mail address") from error
        return value.strip().lower()


class TrialIn(Schema):
    org_id: uuid.UUID | None = Field(None, description="an existing customer; or give new_customer")
    new_customer: NewCustomerIn | None = None
    products: list[ProductName] = Field(min_length=1)
    licenses: int = Field(ge=1, le=100_000)
    days: Literal[30, 60, 90]

    @model_validator(mode="after")
    def one_customer(self) -> "TrialIn":
        if (self.org_id is None) == (self.new_customer is None):
            raise ValueError("give either org_id or new_customer")
        return self


class TrialOut(Schema):
    subscription_id: str
    org_id: uuid.UUID
    kind: str
    state: str
    start_on: date
    end_on: date | None


def _out(sub: Subscription) -> TrialOut:
    return TrialOut(
        subscription_id=sub.subscription_id,
        org_id=sub.org_id,
        kind=sub.kind,
        state=sub.state,
        start_on=sub.start_on,
        end_on=sub.end_on,
    )


@router.post(
    "/trials",
    response={201: TrialOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def start_trial(request: HttpRequest, payload: TrialIn) -> Status[TrialOut]:
    scope = scope_of(request)
    customer = None
    if payload.org_id is not None:
        customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=payload.org_id)
    require(scope, Permission.MANAGE_TRIALS)
    new = None
    if payload.new_customer is not None:
        n = payload.new_customer
        new = services.NewCustomer(name=n.name, admin_email=n.admin_email, region=Region(n.region).value)
    try:
        trial = services.start_trial(
            scope=scope,
            customer=customer,
            new_customer=new,
            products=list(payload.products),
            licenses=payload.licenses,
            days=payload.days,
            today=timezone.now().date(),
        )
    except services.TrialRefused as error:
        raise ApiError(409, str(error)) from error
    return Status(201, _out(trial))


@router.post(
    "/customers/{org_id}/trials/{subscription_id}/{action}",
    response={200: TrialOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    description="action: extend (30 days added to the trial's end), end, or convert (answers the new paid "
    "subscription)",
)
def change_trial(
    request: HttpRequest, org_id: uuid.UUID, subscription_id: str, action: Literal["extend", "end", "convert"]
) -> TrialOut:
    scope = scope_of(request)
    customer = get_object_or_404(Customer.objects.visible_to(scope), org_id=org_id)
    require(scope, Permission.MANAGE_TRIALS)
    try:
        result = services.change_trial(
            scope=scope, customer=customer, subscription_id=subscription_id, action=action, today=timezone.now().date()
        )
    except Subscription.DoesNotExist as missing:
        raise ApiError(404, "Not found.") from missing
    except services.TrialRefused as error:
        raise ApiError(409, str(error)) from error
    return _out(result)
