"""License analytics (SPEC 6.1) as the token's admin may see it: the figures of the Analytics page."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from analytics import queries
from regions.registry import Region

from .customers import scope_of
from .errors import ApiError
from .schemas import ErrorOut

router = Router(tags=["analytics"])


class LicenseParams(Schema):
    region: str | None = Field(
        None, description="US, CA, EU or UAE; by default the first region holding customers you can see."
    )
    product: str = Field("meetings", description="meetings or calling: the product of the trend and the sections.")
    limit: int = Field(50, ge=1, le=1000, description="Rows returned per section.")
    offset: int = Field(0, ge=0, description="Rows skipped per section.")


class LicenseKpisOut(Schema):
    total_customers: int
    expiring_soon: int
    renewing_soon: int
    low_assignment: int
    over_limit: int


class TrendWeekOut(Schema):
    week_on: date
    used: int
    assigned_unused: int
    available: int


class MonthlyUsageOut(Schema):
    month: str = Field(description="YYYY-MM")
    mean_weekly_used: float | None


class NewRowOut(Schema):
    org_id: uuid.UUID
    customer: str
    subscription_id: str
    days_since_added: int | None
    total_licenses: int
    used: int
    assigned: int
    available: int
    weekly_assignment_change: int | None
    weekly_usage_change: int | None


class ExpiringRowOut(Schema):
    org_id: uuid.UUID
    customer: str
    subscription_id: str
    days_to_expiry: int | None
    total_licenses: int
    used: int
    assigned: int
    available: int
    usage_last_3_months: list[MonthlyUsageOut]


class RenewingRowOut(Schema):
    org_id: uuid.UUID
    customer: str
    subscription_id: str
    days_to_renewal: int | None
    total_licenses: int
    used: int
    assigned: int
    available: int
    usage_last_3_months: list[MonthlyUsageOut]


class LowRowOut(Schema):
    org_id: uuid.UUID
    customer: str
    subscription_id: str
    months_since_added: int | None
    assigned: int
    assigned_share: float | None
    total_licenses: int
    used: int
    available: int
    weekly_assignment_change: int | None


class OverRowOut(Schema):
    org_id: uuid.UUID
    customer: str
    subscription_id: str
    months_remaining: int | None
    auto_renew: bool
    total_licenses: int
    assigned: int
    assigned_share: float | None
    used: int
    used_share: float | None


class NewKpisOut(Schema):
    customers: int
    total_licenses: int


class WindowKpisOut(Schema):
    customers: int
    assignment: float | None = Field(description="assigned / total licenses; null when there are none")
    usage: float | None = Field(description="used / total licenses; null when there are none")


class LowKpisOut(Schema):
    customers: int
    assignment: float | None
    usage: float | None
    unassigned: int


class OverKpisOut(Schema):
    customers: int
    total_excess: int
    average_excess: float | None


class NewSectionOut(Schema):
    kpis: NewKpisOut
    count: int = Field(description="Rows in the whole section; `rows` holds limit rows from offset.")
    rows: list[NewRowOut]


class ExpiringSectionOut(Schema):
    kpis: WindowKpisOut
    count: int
    rows: list[ExpiringRowOut]


class RenewingSectionOut(Schema):
    kpis: WindowKpisOut
    count: int
    rows: list[RenewingRowOut]


class LowSectionOut(Schema):
    kpis: LowKpisOut
    count: int
    rows: list[LowRowOut]


class OverSectionOut(Schema):
    kpis: OverKpisOut
    count: int
    rows: list[OverRowOut]


class LicenseOverviewOut(Schema):
    region: str
    product: str
    today: date
    week_on: date = Field(
        description="This week's snapshot (a Sunday); weekly changes compare it with the week before."
    )
    kpis: LicenseKpisOut
    trend: list[TrendWeekOut]
    new: NewSectionOut
    expiring: ExpiringSectionOut
    renewing: RenewingSectionOut
    low_assignment_section: LowSectionOut
    over_limit_section: OverSectionOut


def _months(row: queries.LicenseRow, months: tuple[date, ...]) -> list[MonthlyUsageOut]:
    values = row.monthly_usage or (None,) * len(months)
    return [
        MonthlyUsageOut(month=month.strftime("%Y-%m"), mean_weekly_used=value)
        for month, value in zip(months, values, strict=True)
    ]


def _seats(row: queries.LicenseRow) -> dict[str, Any]:  # Any: the fields every row schema shares differ in type
    return {
        "org_id": row.org_id,
        "customer": row.customer,
        "subscription_id": row.subscription_id,
        "total_licenses": row.quantity,
        "used": row.used,
        "assigned": row.assigned,
    }


_SectionOut = TypeVar("_SectionOut", bound=Schema)


def _section(
    out: type[_SectionOut],
    kpis: type[Schema],
    section: queries.Section,
    row: Callable[[queries.LicenseRow], Schema],
) -> _SectionOut:
    """A section as the API shows it: its KPIs, its row count and its rows, each made by `row`."""
    fields: dict[str, Any] = {
        "kpis": kpis.model_validate(section.kpis, from_attributes=True),
        "count": section.count,
        "rows": [row(r) for r in section.rows],
    }
    return out(**fields)


def _overview_out(result: queries.LicenseOverview) -> LicenseOverviewOut:
    months = result.usage_months
    return LicenseOverviewOut(
        region=result.region,
        product=result.product,
        today=result.today,
        week_on=result.week_on,
        kpis=LicenseKpisOut.model_validate(result.kpis, from_attributes=True),
        trend=[TrendWeekOut.model_validate(week, from_attributes=True) for week in result.trend],
        new=_section(
            NewSectionOut,
            NewKpisOut,
            result.new,
            lambda r: NewRowOut(
                **_seats(r),
                days_since_added=r.days,
                available=r.available,
                weekly_assignment_change=r.assignment_change,
                weekly_usage_change=r.usage_change,
            ),
        ),
        expiring=_section(
            ExpiringSectionOut,
            WindowKpisOut,
            result.expiring,
            lambda r: ExpiringRowOut(
                **_seats(r), days_to_expiry=r.days, available=r.available, usage_last_3_months=_months(r, months)
            ),
        ),
        renewing=_section(
            RenewingSectionOut,
            WindowKpisOut,
            result.renewing,
            lambda r: RenewingRowOut(
                **_seats(r), days_to_renewal=r.days, available=r.available, usage_last_3_months=_months(r, months)
            ),
        ),
        low_assignment_section=_section(
            LowSectionOut,
            LowKpisOut,
            result.low_assignment,
            lambda r: LowRowOut(
                **_seats(r),
                months_since_added=r.months,
                assigned_share=r.assigned_share,
                available=r.available,
                weekly_assignment_change=r.assignment_change,
            ),
        ),
        over_limit_section=_section(
            OverSectionOut,
            OverKpisOut,
            result.over_limit,
            lambda r: OverRowOut(
                **_seats(r),
                months_remaining=r.months,
                auto_renew=r.auto_renew,
                assigned_share=r.assigned_share,
                used_share=r.used_share,
            ),
        ),
    )


@router.get(
    "/analytics/licenses",
    response={200: LicenseOverviewOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="License analytics",
    description="SPEC 6.1 for one region: five KPIs over every product, then for the chosen product the "
    "12-week trend and the sections new, expiring, renewing, low assignment and over limit, each with its "
    "KPIs, its row count and `limit` rows from `offset` in the section's default order. Shares are "
    "fractions (0.5 is 50 %) and null when there is nothing to divide by.",
)
def license_analytics(request: HttpRequest, params: Query[LicenseParams]) -> LicenseOverviewOut:
    scope = scope_of(request)
    region = params.region
    if region is None:
        regions = queries.regions_with_customers(scope)
        region = regions[0] if regions else Region.US.value
    if region not in Region.values:
        message = f"unknown region {region!r}; expected one of {', '.join(Region.values)}"
        raise ApiError(422, "The request is not valid.", [{"field": "region", "message": message}])
    if params.product not in queries.PRODUCTS:
        message = f"unknown product {params.product!r}; expected one of {', '.join(queries.PRODUCTS)}"
        raise ApiError(422, "The request is not valid.", [{"field": "product", "message": message}])
    page = queries.TableRequest(offset=params.offset, limit=params.limit)
    result = queries.license_overview(
        scope,
        region=region,
        product=params.product,
        today=timezone.now().date(),
        tables={key: page for key in queries.SECTIONS},
    )
    return _overview_out(result)
