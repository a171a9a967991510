"""License analytics of SPEC 6.1, read from one region database: the five KPIs, the 12-week trend
and the five sections. The page and the `analytics/licenses` API call `license_overview`; a
re-sorted table calls `license_section` and a CSV export `section_rows`, which share its
internals, so all of them agree.

Everything is scoped: region rows through `visible_to(scope)`, the directory through
`Customer.objects.visible_to(scope)`. The KPIs and the sections come from one read of the
region's subscriptions and lines as plain tuples (the "book"), classified in Python with the
rules of this module, which at 80k lines costs less than one SQL aggregate per figure; the trend
is summed by the database. A section may hold thousands of subscriptions, so its rows are first
built without the figures that need other tables (customer names from the control database,
weekly snapshots); those are loaded for the rows shown, or for every row only when the table is
sorted by them or exported.

What is worked out from the region's tables (the classification, the trend, a section's order by
region figures) is kept per process while the region's license data change token stands (see
memo.py): an admin paging, sorting and switching product reads only the token, the names and
the snapshots of the rows shown."""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db import connections
from django.db.models import (
    CharField,
    F,
    Func,
    IntegerField,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Greatest
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from customers.export import Column
from customers.models import Customer
from customers.queries import SeatSplit
from customers.rules import LIVE_STATES
from customers.statuses import Product
from regions.registry import Region, db_for
from subscriptions.models import (
    LicenseDataChange,
    LicenseLine,
    LicenseSnapshot,
    Subscription,
    SubscriptionKind,
    SubscriptionState,
)

from . import rules
from .memo import RegionMemo

PRODUCTS: tuple[str, ...] = (Product.MEETINGS.value, Product.CALLING.value)
SECTIONS: tuple[str, ...] = ("new", "expiring", "renewing", "low_assignment", "over_limit")
ACTIVE = SubscriptionState.ACTIVE.value
DEFAULT_LIMIT = 50
_MEMO = RegionMemo()
_T = TypeVar("_T")


class UnknownProduct(ValueError):
    """A product outside the Meetings / Calling toggle."""


@dataclass(frozen=True, slots=True)
class Kpis:
    """The five headline counts, over every product of the region (customers, not lines)."""

    total_customers: int
    expiring_soon: int
    renewing_soon: int
    low_assignment: int
    over_limit: int


@dataclass(frozen=True, slots=True)
class TrendWeek:
    """One week of the distribution trend, summed over the product's lines; a licence counts
    once: used, or assigned but not used, or available (not assigned)."""

    week_on: date
    used: int
    assigned_unused: int
    available: int

    @property
    def total(self) -> int:
        return self.used + self.assigned_unused + self.available


@dataclass(frozen=True, slots=True)
class LicenseRow(SeatSplit):
    """One subscription in a section, with the seats of its lines of the chosen product that
    the section is about (all of them, or the low or over-limit ones). Figures a section does not
    show are None, and so is a weekly change without both snapshots."""

    org_id: uuid.UUID
    customer: str
    subscription_id: str
    kind: str
    auto_renew: bool
    quantity: int
    assigned: int
    used: int
    days: int | None = None  # since added (new), to expiry (expiring), to renewal (renewing)
    months: int | None = None  # since added (low assignment), remaining (over limit)
    assignment_change: int | None = None
    usage_change: int | None = None
    monthly_usage: tuple[float | None, ...] = ()

    @property
    def assigned_share(self) -> float | None:
        return rules.ratio(self.assigned, self.quantity)

    @property
    def used_share(self) -> float | None:
        return rules.ratio(self.used, self.quantity)


@dataclass(frozen=True, slots=True)
class NewKpis:
    customers: int
    total_licenses: int


@dataclass(frozen=True, slots=True)
class WindowKpis:
    """Expiring and renewing: assignment and usage are shares of the section's total licences."""

    customers: int
    assignment: float | None
    usage: float | None


@dataclass(frozen=True, slots=True)
class LowKpis:
    customers: int
    assignment: float | None
    usage: float | None
    unassigned: int


@dataclass(frozen=True, slots=True)
class OverKpis:
    customers: int
    total_excess: int
    average_excess: float | None


SectionKpis = NewKpis | WindowKpis | LowKpis | OverKpis


@dataclass(frozen=True, slots=True)
class TableRequest:
    """Which rows of a section to return: `sort` is `column` or `-column` (see
    `section_columns`; anything else means the section's default order)."""

    sort: str | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    # A page asks for the last rows rather than none when the offset is past the end (a link
    # kept from a longer list); the API answers exactly what was asked.
    last_page_past_end: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A section's KPIs over all its rows, how many rows it has, and the requested slice of
    them in the order `sort`."""

    key: str
    kpis: SectionKpis
    count: int
    sort: str
    offset: int
    rows: tuple[LicenseRow, ...]


@dataclass(frozen=True, slots=True)
class LicenseOverview:
    region: str
    product: str
    today: date
    week_on: date  # this week's snapshot; weekly changes compare it with the week before
    usage_months: tuple[date, ...]  # first days of the months of `monthly_usage`, oldest first
    kpis: Kpis
    trend: tuple[TrendWeek, ...]
    new: Section
    expiring: Section
    renewing: Section
    low_assignment: Section
    over_limit: Section

    def section(self, key: str) -> Section:
        if key not in SECTIONS:
            raise KeyError(key)
        section: Section = getattr(self, key)
        return section


def regions_with_customers(scope: Scope) -> list[str]:
    """The region codes holding customers the scope may see, in the registry's order (the
    region selector lists these and hides itself when there is only one)."""
    present = set(Customer.objects.visible_to(scope).values_list("region", flat=True).distinct().order_by())
    return [code for code in Region.values if code in present]


# --- the book: every subscription and line of the scope, read once ---------------------------------

# A row of the book: a subscription and one of its lines: line id, partner id, product, quantity,
# assigned, used (Any: all None for a subscription without lines, else int and str). The org id
# and the dates (start, end, renewal) are text (see `_book`).
_Row = tuple[int, str, str, str, str, str, str | None, str | None, bool, Any, Any, Any, Any, Any, Any]
# (partner id, product, size band) of a peer group.
_PeerKey = tuple[int, str, int | None]


def _book(ctx: "_Context") -> list[_Row]:
    """The subscriptions the scope may see in the region, each with its lines, in one query and
    as plain tuples. The KPIs, the sections and a full admin's peer groups all classify these same
    rows, so an overview reads each line once whatever it shows."""
    query = (
        ctx.subscriptions.order_by()
        .annotate(
            org=Cast("org_id", CharField()),
            start=_IsoDate("start_on"),
            end=_IsoDate("end_on"),
            renewal=_IsoDate("renewal_on"),
        )
        .values_list(
            "pk",
            "org",
            "subscription_id",
            "kind",
            "state",
            "start",
            "end",
            "renewal",
            "auto_renew",
            "license_lines__id",
            "license_lines__partner_id",
            "license_lines__product",
            "license_lines__quantity",
            "license_lines__assigned",
            "license_lines__used",
        )
    )
    # At 80k lines Django's per-value converters cost several times the query itself, and so do
    # the driver's UUID objects, so the rows are read raw with the org id as text (hex on SQLite,
    # dashed on PostgreSQL): a key, which `_Context.org_id` turns into a UUID for the rows shown.
    # Dates come as ISO text, which compares as the dates do; `_day` converts those shown.
    sql, params = query.query.get_compiler(using=ctx.alias).as_sql()
    with connections[ctx.alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()  # type: ignore[no-any-return]


class _IsoDate(Func):
    """A date as `YYYY-MM-DD` text (NULL stays NULL), the same on both engines."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Stored as that text already; the cast only hides the column's declared type, which
        # would send every value through Django's Python date converter (~1 µs each).
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _thresholds(ctx: "_Context", book: Sequence[_Row]) -> dict[_PeerKey, float]:
    """The low-assignment threshold of every peer group of the scope's partners.

    Peers are a partner's active lines with quantity > 0 of one product and size band, whoever
    may see them: a partner admin's lines are judged against the whole partner, whose lines are
    read here (a full admin's book already holds them all)."""
    peers: Iterable[tuple[Any, ...]]
    if ctx.scope.customer_ids is None:
        # (partner id, product, quantity, assigned) of the lines with quantity > 0 of active
        # subscriptions (see `_Row`).
        peers = (row[10:14] for row in book if row[4] == ACTIVE and row[12])
    else:
        peers = (
            LicenseLine.objects.using(ctx.alias)
            .filter(partner_id__in=ctx.partner_ids, subscription__state=ACTIVE, quantity__gt=0)
            .order_by()
            .values_list("partner_id", "product", "quantity", "assigned")
        )
    ratios: dict[_PeerKey, list[float]] = defaultdict(list)
    bands = _Bands()
    for partner_id, product, quantity, assigned in peers:
        ratios[(partner_id, product, bands[quantity])].append(assigned / quantity)
    return {key: rules.low_threshold(values) for key, values in ratios.items()}


class _Bands(dict[int, int | None]):
    """rules.size_band by quantity, each quantity computed once (a region's lines share few)."""

    def __missing__(self, quantity: int) -> int | None:
        band = self[quantity] = rules.size_band(quantity)
        return band


@dataclass(frozen=True, slots=True)
class _Classified:
    """How many customers each headline KPI counts, over every product, and the rows of the
    requested sections: the chosen product's lines, summed per subscription."""

    expiring: int
    renewing: int
    low: int
    over: int
    seats: dict[str, list["_Seats"]]
    section_kpis: dict[str, "SectionKpis"]


def _classify(ctx: "_Context", book: Sequence[_Row], thresholds: Mapping[_PeerKey, float]) -> _Classified:
    """Sort the book into the KPIs and the five sections, as SPEC 6.1 and the statuses of
    SPEC 5.1 define them:

    - expiring: an active subscription ending within 90 days that does not renew by itself (a
      trial ends whatever its renewal flag says);
    - renewing: an active paid subscription renewing by itself within 90 days;
    - new: the started, not ended subscriptions of customers whose first subscription or trial
      started within the last 90 days;
    - low assignment: an active line with quantity > 0 of a subscription older than 30 days,
      whose assigned / quantity is below its peer group's threshold;
    - over limit: an active line with more seats assigned than purchased."""
    # ISO text, as the book's dates.
    today = ctx.today.isoformat()
    soon = (ctx.today + timedelta(days=rules.WINDOW_DAYS)).isoformat()
    since = (ctx.today - timedelta(days=rules.WINDOW_DAYS)).isoformat()
    cutoff = rules.low_age_cutoff(ctx.today).isoformat()
    # Subscriptions first. One with several lines comes once per line, which these tests (a
    # minimum, set additions) do not mind.
    first_start: dict[str, str] = {}
    expiring: set[int] = set()
    renewing: set[int] = set()
    expiring_customers: set[str] = set()
    renewing_customers: set[str] = set()
    for pk, org_id, _sid, kind, state, start_on, end_on, renewal_on, auto_renew, _l, _p, _pr, _q, _a, _u in book:
        if start_on < first_start.get(org_id, "9999-12-31"):
            first_start[org_id] = start_on
        if state != ACTIVE:
            continue
        if end_on is not None and today <= end_on <= soon and (not auto_renew or kind == SubscriptionKind.TRIAL):
            expiring.add(pk)
            expiring_customers.add(org_id)
        if kind == SubscriptionKind.PAID and auto_renew and renewal_on is not None and today <= renewal_on <= soon:
            renewing.add(pk)
            renewing_customers.add(org_id)
    new_customers = {org_id for org_id, start_on in first_start.items() if since <= start_on <= today}
    live = frozenset(LIVE_STATES)

    seats: dict[str, dict[int, _Seats]] = {key: {} for key in SECTIONS}
    new, expiring_seats, renewing_seats, low_seats, over_seats = (seats[key] for key in SECTIONS)
    low_customers: set[str] = set()
    over_customers: set[str] = set()
    bands = _Bands()
    for row in book:
        pk, org_id, _s, _k, state, start_on, _e, _r, _a, line_id, partner_id, product, quantity, assigned, used = row
        if line_id is None:
            continue
        low = over = False
        if state == ACTIVE:
            over = assigned > quantity
            if over:
                over_customers.add(org_id)
            if quantity > 0 and start_on < cutoff:
                threshold = thresholds.get((partner_id, product, bands[quantity]))
                low = threshold is not None and assigned / quantity < threshold
                if low:
                    low_customers.add(org_id)
        if product != ctx.product:
            continue
        for rows, member in (
            (new, org_id in new_customers and start_on <= today and state in live),
            (expiring_seats, pk in expiring),
            (renewing_seats, pk in renewing),
            (low_seats, low),
            (over_seats, over),
        ):
            if member:
                found = rows.get(pk)
                if found is None:
                    found = rows[pk] = _Seats(row[1:9])
                found.line_ids.append(line_id)
                found.quantity += quantity
                found.assigned += assigned
                found.used += used
    return _Classified(
        expiring=len(expiring_customers),
        renewing=len(renewing_customers),
        low=len(low_customers),
        over=len(over_customers),
        seats={key: list(rows.values()) for key, rows in seats.items()},
        section_kpis={key: _SECTION_KPIS[key](list(rows.values())) for key, rows in seats.items()},
    )


# --- the overview --------------------------------------------------------------------------------


# What a section row keeps of its subscription: org id, subscription id, kind, state, start, end,
# renewal (dates as text) and auto-renew (the book's row without ids and line figures: a kept
# classification is smaller to share).
_Facts = tuple[str, str, str, str, str, str | None, str | None, bool]


@dataclass(slots=True)
class _Seats:
    """A section row: its subscription's facts and the sums of its lines in the section."""

    facts: _Facts
    line_ids: list[int] = field(default_factory=list)
    quantity: int = 0
    assigned: int = 0
    used: int = 0

    @property
    def subscription_id(self) -> str:
        return self.facts[1]


@dataclass(frozen=True, slots=True)
class _Context:
    """What the reads of one overview share: the scope, the region's database and the dates."""

    scope: Scope
    alias: str
    region: str
    product: str
    today: date
    weeks: list[date]
    months: list[date]
    partner_ids: list[int]
    subscriptions: QuerySet[Subscription]
    lines: QuerySet[LicenseLine]
    # The region's license data change token when the request began (see memo.py).
    token: str | None
    scope_key: tuple[int, str | None]
    uuids: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)

    def remembered(self, what: Hashable, compute: Callable[[], _T], *, reads: bool = True) -> _T:
        """`compute()`, kept for this scope, day and product while the region's data stands;
        `reads` says whether it reads the database (see RegionMemo)."""
        key = (what, self.scope_key, self.today, self.product)
        return _MEMO.remember(self.alias, self.token, key, compute, reads=reads)

    def org_id(self, text: str) -> tuple[uuid.UUID, str]:
        """The UUID of an org id read as text (see `_book`), and its usual spelling; converted
        once per overview."""
        found = self.uuids.get(text)
        if found is None:
            value = uuid.UUID(text)
            found = self.uuids[text] = (value, str(value))
        return found


def _context(scope: Scope, region: str, product: str, today: date) -> _Context:
    alias = db_for(region)
    if product not in PRODUCTS:
        raise UnknownProduct(f"unknown product {product!r}; expected one of {', '.join(PRODUCTS)}")
    # Read first: whatever is kept under this token was read no earlier than now.
    token = LicenseDataChange.current(alias)
    lines = LicenseLine.objects.using(alias).visible_to(scope)
    if scope.customer_ids is None:
        partner_ids = [scope.partner_id]
    else:
        partner_ids = sorted(lines.order_by().values_list("partner_id", flat=True).distinct())
    return _Context(
        scope=scope,
        alias=alias,
        region=str(region).upper(),
        product=product,
        today=today,
        weeks=rules.trend_weeks(today),
        months=rules.usage_months(today),
        partner_ids=partner_ids,
        subscriptions=Subscription.objects.using(alias).visible_to(scope),
        lines=lines,
        token=token,
        scope_key=_scope_key(scope),
    )


def _scope_key(scope: Scope) -> tuple[int, str | None]:
    """Who sees what: the partner, and a digest of a partner admin's customers (the same in every
    process: part of a shared cache key)."""
    if scope.customer_ids is None:
        return (scope.partner_id, None)
    ids = b"".join(org_id.bytes for org_id in sorted(scope.customer_ids))
    return (scope.partner_id, hashlib.blake2b(ids, digest_size=20).hexdigest())


def _classified(ctx: _Context) -> _Classified:
    """The book read and sorted into the KPIs and every section: the overview, a section swap
    and an export of the same scope, day and product share one classification."""

    def classify() -> _Classified:
        book = _book(ctx)
        return _classify(ctx, book, _thresholds(ctx, book))

    return ctx.remembered("classified", classify)


def license_overview(
    scope: Scope,
    *,
    region: str,
    product: str,
    today: date,
    tables: Mapping[str, TableRequest] | None = None,
) -> LicenseOverview:
    """SPEC 6.1 for the customers `scope` may see in `region`, the sections restricted to
    `product` (meetings or calling). Windows are the 90 days from `today`, both ends included;
    "this week" is the latest Sunday on or before `today`. Shares are None ("n/a") when there is
    no licence to divide by. `tables` says which rows of each section to return (by default the
    first 50 in the section's default order). Raises UnknownRegion or UnknownProduct."""
    ctx = _context(scope, region, product, today)
    classified = _classified(ctx)
    sections = _sections(ctx, {key: (tables or {}).get(key, TableRequest()) for key in SECTIONS}, classified)
    return LicenseOverview(
        region=ctx.region,
        product=product,
        today=today,
        week_on=ctx.weeks[-1],
        usage_months=tuple(ctx.months),
        kpis=Kpis(
            total_customers=Customer.objects.visible_to(ctx.scope).in_region(ctx.region).count(),
            expiring_soon=classified.expiring,
            renewing_soon=classified.renewing,
            low_assignment=classified.low,
            over_limit=classified.over,
        ),
        trend=_trend(ctx),
        new=sections["new"],
        expiring=sections["expiring"],
        renewing=sections["renewing"],
        low_assignment=sections["low_assignment"],
        over_limit=sections["over_limit"],
    )


def license_section(
    scope: Scope, *, region: str, product: str, today: date, section: str, table: TableRequest
) -> Section:
    """One section of `license_overview`, alone (for a table that is sorted or paged again):
    the same figures, without reading the others' snapshots and names, the KPIs or the trend.
    Raises UnknownRegion, UnknownProduct, or KeyError for an unknown section."""
    if section not in SECTIONS:
        raise KeyError(section)
    ctx = _context(scope, region, product, today)
    return _sections(ctx, {section: table}, _classified(ctx))[section]


def section_rows(
    scope: Scope, *, region: str, product: str, today: date, section: str, sort: str | None = None
) -> Iterator[LicenseRow]:
    """Every row of one section in the order `sort`, complete, for a CSV export; the same rows
    `license_overview` pages through. Raises UnknownRegion, UnknownProduct, or KeyError for an
    unknown section."""
    if section not in SECTIONS:
        raise KeyError(section)
    ctx = _context(scope, region, product, today)
    order = sort_key(section, sort, section_columns(section, ctx.months))
    ordered = _ordered(ctx, section, _classified(ctx).seats[section], order)
    for start in range(0, len(ordered), _CHUNK):
        chunk = {section: ordered[start : start + _CHUNK]}
        yield from _rows(ctx, section, chunk[section], _extras(ctx, chunk, names=True, snapshots=True))


def _sections(ctx: _Context, requests: Mapping[str, TableRequest], classified: _Classified) -> dict[str, Section]:
    """The requested sections: KPIs over all their rows, then the slice asked for, whose names
    and snapshots are read once for all sections together."""
    seats = classified.seats
    sorts = {key: sort_key(key, request.sort, section_columns(key, ctx.months)) for key, request in requests.items()}
    offsets = {key: _offset(request, len(seats[key])) for key, request in requests.items()}
    shown = {
        key: _ordered(ctx, key, seats[key], sorts[key])[offsets[key] : offsets[key] + max(request.limit, 0)]
        for key, request in requests.items()
    }
    extras = _extras(ctx, shown, names=True, snapshots=True)
    return {
        key: Section(
            key=key,
            kpis=classified.section_kpis[key],
            count=len(seats[key]),
            sort=sorts[key],
            offset=offsets[key],
            rows=tuple(_rows(ctx, key, shown[key], extras)),
        )
        for key in requests
    }


def _offset(request: TableRequest, count: int) -> int:
    offset = max(request.offset, 0)
    if request.last_page_past_end and request.limit > 0 and offset >= count > 0:
        offset = (count - 1) // request.limit * request.limit
    return offset


# Which snapshot figures each section shows: weekly changes, or the monthly means of `used`.
_WEEKLY_SECTIONS = frozenset({"new", "low_assignment"})
_MONTHLY_SECTIONS = frozenset({"expiring", "renewing"})
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class _Extras:
    """What rows need from other tables: directory names, and (assigned, used) of snapshots by
    line and week (None when not loaded)."""

    names: Mapping[uuid.UUID, str]
    snapshots: Mapping[int, Mapping[date, tuple[int, int]]] | None


def _extras(ctx: _Context, seats: Mapping[str, Sequence[_Seats]], *, names: bool, snapshots: bool) -> _Extras:
    """Names and snapshots of the given rows of each section, in one query each."""
    directory = {}
    if names:
        directory = _customer_names(ctx.scope, {ctx.org_id(s.facts[0])[0] for rows in seats.values() for s in rows})
    weekly = None
    if snapshots:
        with_snapshots = [key for key, rows in seats.items() if rows and key in _WEEKLY_SECTIONS | _MONTHLY_SECTIONS]
        since = ctx.months[0] if _MONTHLY_SECTIONS & set(with_snapshots) else ctx.weeks[-2]
        line_ids = sorted({line for key in with_snapshots for s in seats[key] for line in s.line_ids})
        weekly = _snapshots(ctx, line_ids, min(since, ctx.weeks[-2])) if line_ids else {}
    return _Extras(names=directory, snapshots=weekly)


def _ordered(ctx: _Context, key: str, seats: Sequence[_Seats], sort: str) -> list[_Seats]:
    """The section's rows in the order `sort`, loading names or snapshots for all of them only
    when the sort column needs them. An order by region figures is kept like the figures (as
    positions in `seats`, small to share); an order by customer name is not (names live in the
    directory, which the token does not watch)."""
    columns = section_columns(key, ctx.months)
    column = next(c for c in columns if c.key == sort.lstrip("-"))

    def order() -> list[int]:
        extras = _extras(ctx, {key: seats}, names=column.source == "directory", snapshots=column.source == "snapshots")
        rows = _rows(ctx, key, seats, extras)
        position = {id(row): index for index, row in enumerate(rows)}
        return [position[id(row)] for row in sorted_rows(rows, sort, columns)]

    if column.source == "directory":
        positions = order()
    else:
        positions = ctx.remembered(("order", key, sort), order, reads=column.source != "lines")
    return [seats[index] for index in positions]


def _rows(ctx: _Context, key: str, seats: Sequence[_Seats], extras: _Extras) -> list[LicenseRow]:
    """A row for each of `seats`, in their order. Without names the org id stands in for the
    customer; without snapshots the weekly and monthly figures are left out."""
    today, this_week, last_week = ctx.today, ctx.weeks[-1], ctx.weeks[-2]
    result = []
    for s in seats:
        org_text, subscription_id, kind, start_text, end_text, renewal_text, auto_renew = s.facts[:3] + s.facts[4:]
        days = months = assignment_change = usage_change = None
        monthly_usage: tuple[float | None, ...] = ()
        if key == "new":
            days = (today - _day(start_text)).days
        elif key == "expiring":
            days = (_day(end_text) - today).days if end_text else None
        elif key == "renewing":
            days = (_day(renewal_text) - today).days if renewal_text else None
        elif key == "low_assignment":
            months = rules.months_between(_day(start_text), today)
        elif key == "over_limit":
            months = rules.months_between(today, _day(end_text)) if end_text else None
        if extras.snapshots is not None:
            totals = _weekly_totals(extras.snapshots, s.line_ids)
            if key in _WEEKLY_SECTIONS:
                this, last = totals.get(this_week), totals.get(last_week)
                assignment_change = rules.weekly_change(this and this[0], last and last[0])
                if key == "new":
                    usage_change = rules.weekly_change(this and this[1], last and last[1])
            if key in _MONTHLY_SECTIONS:
                used = [(week, pair[1]) for week, pair in sorted(totals.items())]
                monthly_usage = tuple(rules.monthly_means(used, today=today))
        org_id, spelled = ctx.org_id(org_text)
        result.append(
            LicenseRow(
                org_id=org_id,
                customer=extras.names.get(org_id, spelled),
                subscription_id=subscription_id,
                kind=kind,
                auto_renew=auto_renew,
                quantity=s.quantity,
                assigned=s.assigned,
                used=s.used,
                days=days,
                months=months,
                assignment_change=assignment_change,
                usage_change=usage_change,
                monthly_usage=monthly_usage,
            )
        )
    return result


def _weekly_totals(
    weekly: Mapping[int, Mapping[date, tuple[int, int]]], line_ids: Iterable[int]
) -> dict[date, tuple[int, int]]:
    """(assigned, used) per week summed over the lines that have a snapshot that week."""
    totals: dict[date, tuple[int, int]] = {}
    for line_id in line_ids:
        for week, (assigned, used) in weekly.get(line_id, {}).items():
            before = totals.get(week, (0, 0))
            totals[week] = (before[0] + assigned, before[1] + used)
    return totals


def _snapshots(ctx: _Context, line_ids: Sequence[int], since: date) -> dict[int, dict[date, tuple[int, int]]]:
    """(assigned, used) by line and week for the given lines, from `since` to today; the lines
    come from scoped queries, and the snapshots are read through the scope as well."""
    found: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    snapshots = LicenseSnapshot.objects.using(ctx.alias).visible_to(ctx.scope).filter(week_on__range=(since, ctx.today))
    for start in range(0, len(line_ids), _CHUNK):
        chunk = line_ids[start : start + _CHUNK]
        for line_id, week, assigned, used in snapshots.filter(line_id__in=chunk).values_list(
            "line_id", "week_on", "assigned", "used"
        ):
            found[line_id][week] = (assigned, used)
    return found


def _trend(ctx: _Context) -> tuple[TrendWeek, ...]:
    return ctx.remembered("trend", lambda: _summed_trend(ctx))


def _summed_trend(ctx: _Context) -> tuple[TrendWeek, ...]:
    """The distribution of each week's snapshots of the product's lines, summed by the database
    (each line's unused and available seats counted from zero up); a week without snapshots
    shows zeros."""
    zero = Value(0, output_field=IntegerField())
    # Snapshots carry their line's product, so one covering index answers this without the lines:
    # (partner, product, week) for a full admin, (customer, product, week) for a partner admin,
    # whose read must not name the partner (SQLite would then scan the whole partner's weeks).
    snapshots = LicenseSnapshot.objects.using(ctx.alias).visible_to(ctx.scope)
    sums = {
        row["week_on"]: row
        for row in snapshots.filter(week_on__in=ctx.weeks, product=ctx.product)
        .order_by()
        .values("week_on")
        .annotate(
            used_sum=Sum("used"),
            unused_sum=Sum(Greatest(F("assigned") - F("used"), zero, output_field=IntegerField())),
            available_sum=Sum(Greatest(F("quantity") - F("assigned"), zero, output_field=IntegerField())),
        )
    }
    return tuple(
        TrendWeek(
            week_on=week,
            used=sums[week]["used_sum"] if week in sums else 0,
            assigned_unused=sums[week]["unused_sum"] if week in sums else 0,
            available=sums[week]["available_sum"] if week in sums else 0,
        )
        for week in ctx.weeks
    )


_NAME_CHUNK = 2000


def _customer_names(scope: Scope, org_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Directory names of the rows' customers (the control database cannot be joined)."""
    ids = sorted(org_ids)
    names: dict[uuid.UUID, str] = {}
    for start in range(0, len(ids), _NAME_CHUNK):
        chunk = ids[start : start + _NAME_CHUNK]
        names.update(Customer.objects.visible_to(scope).filter(org_id__in=chunk).values_list("org_id", "name"))
    return names


def _customers(seats: Sequence[_Seats]) -> int:
    return len({s.facts[0] for s in seats})


def _new_kpis(seats: Sequence[_Seats]) -> NewKpis:
    return NewKpis(customers=_customers(seats), total_licenses=sum(s.quantity for s in seats))


def _window_kpis(seats: Sequence[_Seats]) -> WindowKpis:
    total = sum(s.quantity for s in seats)
    return WindowKpis(
        customers=_customers(seats),
        assignment=rules.ratio(sum(s.assigned for s in seats), total),
        usage=rules.ratio(sum(s.used for s in seats), total),
    )


def _low_kpis(seats: Sequence[_Seats]) -> LowKpis:
    total = sum(s.quantity for s in seats)
    return LowKpis(
        customers=_customers(seats),
        assignment=rules.ratio(sum(s.assigned for s in seats), total),
        usage=rules.ratio(sum(s.used for s in seats), total),
        unassigned=sum(s.quantity - s.assigned for s in seats),
    )


def _over_kpis(seats: Sequence[_Seats]) -> OverKpis:
    customers = _customers(seats)
    excess = sum(s.assigned - s.quantity for s in seats)
    return OverKpis(
        customers=customers, total_excess=excess, average_excess=rules.excess_per_customer(excess, customers)
    )


_SECTION_KPIS: dict[str, Callable[[Sequence[_Seats]], SectionKpis]] = {
    "new": _new_kpis,
    "expiring": _window_kpis,
    "renewing": _window_kpis,
    "low_assignment": _low_kpis,
    "over_limit": _over_kpis,
}


# --- tables: one column list per section feeds the page, its sorting and its CSV ---------------


def _share(value: float | None) -> str:
    """A share as a percentage with one decimal for CSV, "n/a" when there is nothing to divide."""
    return "n/a" if value is None else f"{value * 100:.1f}"


def _figure(value: float | None) -> object:
    return "n/a" if value is None else value


@dataclass(frozen=True, slots=True)
class TableColumn:
    """A column of a section table: `key` is its `?sort=` name and tells the template how to draw
    the cell; `csv` lists the cells it becomes in the export (a bar becomes its three numbers)."""

    key: str
    header: Any  # a lazy translation
    sort_value: Callable[[LicenseRow], Any]
    csv: tuple[Column[LicenseRow], ...]
    # What sorting by this column must load for every row: the "directory" (names), "snapshots",
    # or nothing beyond the lines.
    source: str = "lines"


def _customer() -> TableColumn:
    return TableColumn(
        "customer",
        _("Customer"),
        lambda r: r.customer.casefold(),
        (Column(_("Customer"), lambda r: r.customer),),
        source="directory",
    )


def _subscription() -> TableColumn:
    return TableColumn(
        "subscription",
        _("Subscription ID"),
        lambda r: r.subscription_id,
        (Column(_("Subscription ID"), lambda r: r.subscription_id),),
    )


def _number(key: str, header: Any, value: Callable[[LicenseRow], Any], source: str = "lines") -> TableColumn:
    return TableColumn(key, header, value, (Column(header, lambda r: _figure(value(r))),), source=source)


def _seats() -> TableColumn:
    return TableColumn(
        "seats",
        _("Used / assigned / available"),
        lambda r: r.used,
        (
            Column(_("Used"), lambda r: r.used),
            Column(_("Assigned, not used"), lambda r: r.assigned_unused),
            Column(_("Available"), lambda r: r.available),
        ),
    )


def _counted_share(
    key: str, header: Any, count: Callable[[LicenseRow], int], share: Callable[[LicenseRow], float | None]
) -> TableColumn:
    return TableColumn(
        key,
        header,
        share,
        (Column(header, count), Column(_("%(header)s %%") % {"header": header}, lambda r: _share(share(r)))),
    )


def _monthly_usage(months: Sequence[date]) -> TableColumn:
    def month(index: int) -> Column[LicenseRow]:
        label = _("Mean weekly used, %(month)s") % {"month": months[index].strftime("%Y-%m")}
        return Column(label, lambda r: _figure(r.monthly_usage[index] if r.monthly_usage else None))

    return TableColumn(
        "usage",
        _("Usage of the last 3 months"),
        lambda r: r.monthly_usage[-1] if r.monthly_usage else None,
        tuple(month(i) for i in range(len(months))),
        source="snapshots",
    )


def section_columns(key: str, months: Sequence[date]) -> tuple[TableColumn, ...]:
    """The columns of a section's table, in SPEC 6.1 order. Raises KeyError for an unknown section."""
    total = _number("total", _("Total licenses"), lambda r: r.quantity)
    assignment_change = _number(
        "assignment_change", _("Weekly assignment change"), lambda r: r.assignment_change, "snapshots"
    )
    assigned = _counted_share("assigned", _("Assigned"), lambda r: r.assigned, lambda r: r.assigned_share)
    columns: dict[str, tuple[TableColumn, ...]] = {
        "new": (
            _customer(),
            _subscription(),
            _number("days", _("Days since added"), lambda r: r.days),
            total,
            _seats(),
            assignment_change,
            _number("usage_change", _("Weekly usage change"), lambda r: r.usage_change, "snapshots"),
        ),
        "expiring": (
            _customer(),
            _subscription(),
            _number("days", _("Days to expiry"), lambda r: r.days),
            total,
            _seats(),
            _monthly_usage(months),
        ),
        "renewing": (
            _customer(),
            _subscription(),
            _number("days", _("Days to renewal"), lambda r: r.days),
            total,
            _seats(),
            _monthly_usage(months),
        ),
        "low_assignment": (
            _customer(),
            _subscription(),
            _number("months", _("Months since added"), lambda r: r.months),
            assigned,
            total,
            _seats(),
            assignment_change,
        ),
        "over_limit": (
            _customer(),
            _subscription(),
            _number("months", _("Months remaining"), lambda r: r.months),
            TableColumn(
                "auto_renew",
                _("Auto-renew"),
                lambda r: r.auto_renew,
                (Column(_("Auto-renew"), lambda r: r.auto_renew),),
            ),
            total,
            assigned,
            _counted_share("used", _("Used"), lambda r: r.used, lambda r: r.used_share),
        ),
    }
    return columns[key]


# The order a section opens in: what needs attention first.
DEFAULT_SORT: dict[str, str] = {
    "new": "days",
    "expiring": "days",
    "renewing": "days",
    "low_assignment": "assigned",
    "over_limit": "-assigned",
}


def sort_key(section: str, requested: str | None, columns: Sequence[TableColumn]) -> str:
    """The requested `column` or `-column` when the section has it, else the section's default."""
    names = {c.key for c in columns}
    if requested and requested.lstrip("-") in names:
        return requested
    return DEFAULT_SORT[section]


def sorted_rows(rows: Iterable[LicenseRow], sort: str, columns: Sequence[TableColumn]) -> list[LicenseRow]:
    """Rows ordered by a `sort_key`; rows without a value ("n/a") come last either way, and ties
    keep subscription id order so pages never overlap."""
    column = next(c for c in columns if c.key == sort.lstrip("-"))
    ordered = sorted(rows, key=lambda r: r.subscription_id)
    known = [r for r in ordered if column.sort_value(r) is not None]
    unknown = [r for r in ordered if column.sort_value(r) is None]
    known.sort(key=column.sort_value, reverse=sort.startswith("-"))
    return known + unknown


def csv_columns(columns: Sequence[TableColumn]) -> list[Column[LicenseRow]]:
    return [cell for column in columns for cell in column.csv]
