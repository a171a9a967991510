"""The license overview page (SPEC 6.1) and the CSV export of its sections. Both call the
queries the API calls; this module only parses parameters and lays the results out."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.decorators import scoped_view
from accounts.middleware import PortalRequest
from customers.export import csv_response
from regions.registry import Region

from . import rules
from .forms import PRODUCT_CHOICES, OverviewForm
from .queries import (
    SECTIONS,
    LicenseRow,
    Section,
    TableColumn,
    TableRequest,
    csv_columns,
    license_overview,
    license_section,
    regions_with_customers,
    section_columns,
    section_rows,
)

PAGE_SIZE = 10

TITLES = {
    "new": _("New in the last 90 days"),
    "expiring": _("Expiring in 90 days"),
    "renewing": _("Renewing in 90 days"),
    "low_assignment": _("Low license assignment"),
    "over_limit": _("Over license limit"),
}

# Each section's KPIs: (label, attribute of its kpis, how the template shows the value).
KPI_FIELDS: dict[str, tuple[tuple[Any, str, str], ...]] = {
    "new": ((_("New customers"), "customers", "count"), (_("Total licenses"), "total_licenses", "count")),
    "expiring": (
        (_("Customers"), "customers", "count"),
        (_("License assignment"), "assignment", "share"),
        (_("License usage"), "usage", "share"),
    ),
    "renewing": (
        (_("Customers"), "customers", "count"),
        (_("License assignment"), "assignment", "share"),
        (_("License usage"), "usage", "share"),
    ),
    "low_assignment": (
        (_("Customers"), "customers", "count"),
        (_("License assignment"), "assignment", "share"),
        (_("License usage"), "usage", "share"),
        (_("Unassigned licenses"), "unassigned", "count"),
    ),
    "over_limit": (
        (_("Customers"), "customers", "count"),
        (_("Total excess"), "total_excess", "count"),
        (_("Average excess per customer"), "average_excess", "figure"),
    ),
}


def _query(params: QueryDict, **changes: object) -> str:
    """`?…` with `changes` applied to the current parameters (None removes one)."""
    query = params.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    return f"?{query.urlencode()}"


# Columns whose cells are numbers, aligned to the right.
NUMERIC_COLUMNS = frozenset({"days", "months", "total", "assignment_change", "usage_change", "assigned", "used"})


@dataclass(frozen=True, slots=True)
class HeaderCell:
    column: TableColumn
    url: str
    order: str  # "ascending", "descending" or "none", for aria-sort
    numeric: bool


@dataclass(frozen=True, slots=True)
class KpiCell:
    label: Any
    value: object
    style: str


@dataclass(frozen=True, slots=True)
class SectionTable:
    """One section as the template draws it: KPIs, sortable headers, a page of rows."""

    key: str
    title: Any
    section: Section
    kpis: tuple[KpiCell, ...]
    columns: tuple[TableColumn, ...]
    headers: tuple[HeaderCell, ...]
    rows: tuple[LicenseRow, ...]
    page: Page[Any]
    previous_url: str | None
    next_url: str | None
    export_url: str
    usage_months: tuple[date, ...]


def _page_number(params: QueryDict, key: str) -> int:
    try:
        return max(int(params.get(f"{key}_page", "1")), 1)
    except ValueError:
        return 1


def _table(request: PortalRequest, section: Section, *, region: str, product: str, today: date) -> SectionTable:
    key = section.key
    months = tuple(rules.usage_months(today))
    columns = section_columns(key, months)
    params = request.GET
    headers = []
    for column in columns:
        current = section.sort.lstrip("-") == column.key
        descending = section.sort.startswith("-")
        following = f"-{column.key}" if current and not descending else column.key
        order = ("descending" if descending else "ascending") if current else "none"
        url = _query(params, **{f"{key}_sort": following, f"{key}_page": None})
        headers.append(HeaderCell(column, url, order, numeric=column.key in NUMERIC_COLUMNS))
    page = Paginator(range(section.count), PAGE_SIZE).get_page(section.offset // PAGE_SIZE + 1)
    export = QueryDict(mutable=True)
    export.update({"region": region, "product": product, "sort": section.sort})
    return SectionTable(
        key=key,
        title=TITLES[key],
        section=section,
        kpis=tuple(KpiCell(label, getattr(section.kpis, name), style) for label, name, style in KPI_FIELDS[key]),
        columns=columns,
        headers=tuple(headers),
        rows=section.rows,
        page=page,
        previous_url=_query(params, **{f"{key}_page": page.number - 1}) if page.has_previous() else None,
        next_url=_query(params, **{f"{key}_page": page.number + 1}) if page.has_next() else None,
        export_url=f"{reverse('analytics:license_export', args=[key])}?{export.urlencode()}",
        usage_months=months,
    )


def _choices(request: PortalRequest, regions: list[str]) -> tuple[str, str]:
    default = regions[0] if regions else Region.US.value
    return OverviewForm(request.GET).chosen(default_region=default)


@require_safe
@scoped_view
def licenses(request: PortalRequest) -> HttpResponse:
    scope = request.scope
    assert scope is not None
    regions = regions_with_customers(scope)
    region, product = _choices(request, regions)
    today = timezone.now().date()
    tables = {
        key: TableRequest(
            sort=request.GET.get(f"{key}_sort"),
            offset=(_page_number(request.GET, key) - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            last_page_past_end=True,
        )
        for key in SECTIONS
    }
    target = request.htmx.target if request.htmx and not request.htmx.boosted else None
    swapped = next((key for key in SECTIONS if target == f"section-{key}"), None)
    if swapped is not None:
        # A table sorted or paged again: only its section is read and drawn.
        section = license_section(
            scope, region=region, product=product, today=today, section=swapped, table=tables[swapped]
        )
        table = _table(request, section, region=region, product=product, today=today)
        return render(request, "analytics/licenses.html#section", {"table": table})
    overview = license_overview(scope, region=region, product=product, today=today, tables=tables)
    sections = [_table(request, overview.section(key), region=region, product=product, today=today) for key in SECTIONS]
    customers = reverse("customers:list")
    context = {
        "overview": overview,
        "regions": regions,
        "region": region,
        "product": product,
        # Another product has other rows: its tables start on their first page.
        "products": [
            (value, label, _query(request.GET, product=value, **{f"{key}_page": None for key in SECTIONS}))
            for value, label in PRODUCT_CHOICES
        ],
        "kpi_links": {
            "total_customers": f"{customers}?region={region}",
            "expiring_soon": "#section-expiring",
            "renewing_soon": "#section-renewing",
            "low_assignment": "#section-low_assignment",
            "over_limit": f"{customers}?region={region}&status=license_overage",
        },
        "trend_data": {
            "weeks": [w.week_on.isoformat() for w in overview.trend],
            "series": [
                {"key": "used", "name": str(_("Used")), "values": [w.used for w in overview.trend]},
                {
                    "key": "assigned_unused",
                    "name": str(_("Assigned, not used")),
                    "values": [w.assigned_unused for w in overview.trend],
                },
                {"key": "available", "name": str(_("Available")), "values": [w.available for w in overview.trend]},
            ],
        },
        "tables": sections,
    }
    return render(request, "analytics/licenses.html", context)


@require_safe
@scoped_view
def license_export(request: PortalRequest, section: str) -> HttpResponseBase:
    """A section's rows as CSV: every row (not one page), the table's columns, the table's order."""
    scope = request.scope
    assert scope is not None
    if section not in SECTIONS:
        raise Http404("no such section")
    region, product = _choices(request, regions_with_customers(scope))
    today = timezone.now().date()
    rows = section_rows(
        scope, region=region, product=product, today=today, section=section, sort=request.GET.get("sort")
    )
    columns = csv_columns(section_columns(section, rules.usage_months(today)))
    return csv_response(f"licenses_{section}_{region}_{product}_{today:%Y-%m-%d}.csv", columns, rows)
