"""The demo data set: two partner orgs with admins of every role, and a book of customers in every
region with subscriptions, license history, invoices, orders, sites, devices, phone numbers and
call legs.

Everything derives from one seed and one `today`, so two loads with the same pair hold the same
customers, ids and figures. The plan is built in memory first (no I/O), then written through the
same services that real ingestion uses, so the demo exercises the code paths partners rely on."""

import hashlib
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.db.models import Count, QuerySet

from accounts import audit
from accounts.models import Admin, PartnerOrg
from accounts.roles import Role
from accounts.scope import Scope, scope_for
from accounts.services import accept_terms, create_admin, create_partner
from calling.models import CallDailyRollup, CallingUserWeek, CallingWeek, CallLeg
from calling.rules import CallLegRecord, week_start
from calling.services import append_call_legs, freeze_calling_week
from customers.models import Customer
from customers.services import (
    CustomerRecord,
    assign_admin,
    create_tag,
    grant_external,
    record_admin_activity,
    refresh_statuses,
    tag_customers,
    upsert_customer,
)
from customers.statuses import Product
from inventory.models import Device, Location, PhoneNumber
from inventory.services import (
    DeviceRecord,
    LocationRecord,
    NumberRecord,
    upsert_devices,
    upsert_locations,
    upsert_numbers,
)
from regions.context import region_atomic
from regions.registry import Region, db_for
from subscriptions.models import Invoice, LicenseLine, LicenseSnapshot, Order, Subscription
from subscriptions.services import (
    InvoiceRecord,
    LicenseLineRecord,
    OrderRecord,
    SnapshotRecord,
    SubscriptionRecord,
    upsert_invoices,
    upsert_orders,
    upsert_snapshots,
    upsert_subscriptions,
)

from .activity import BATCH_ACTION
from .validation import KINDS

# One documented password for every demo admin; the demo is for trying the product, not for
# production (the command says so when it prints the sign-ins).
DEMO_PASSWORD = "demo-password-2026"
MAX_CUSTOMERS = 50_000
MAX_CALL_WEEKS = 26
SNAPSHOT_WEEKS = 12
CALL_LEG_BATCH = 20_000


class DemoError(ValueError):
    """The demo cannot be loaded as asked (bad arguments, or already loaded without reset)."""


class DemoAlreadyLoaded(DemoError):
    """The demo partners exist already and no reset was asked for."""


# --- partners and admins -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoAdmin:
    email: str
    role: str
    display_name: str


@dataclass(frozen=True, slots=True)
class DemoPartner:
    key: str
    name: str
    plan: str
    admins: tuple[DemoAdmin, ...]  # the first is the full admin who sets the org up
    tags: tuple[tuple[str, str], ...]  # (name, colour)
    external_id_prefix: str
    external_id_share: float


NORTHWIND = DemoPartner(
    key="northwind",
    name="Northwind Collaboration",
    plan="enterprise",
    admins=(
        DemoAdmin("admin@northwind.example", Role.FULL_ADMIN, "Alex Morgan"),
        DemoAdmin("pam@northwind.example", Role.PARTNER_ADMIN, "Pam Ortiz"),
        DemoAdmin("reader@northwind.example", Role.READ_ONLY, "Riley Chen"),
    ),
    tags=(
        ("Strategic", "#6f42c1"),
        ("Renewal risk", "#dc3545"),
        ("Healthcare", "#198754"),
        ("Public sector", "#0dcaf0"),
        ("Wholesale", "#fd7e14"),
    ),
    external_id_prefix="NW",
    external_id_share=0.25,
)
BLUE_HARBOR = DemoPartner(
    key="blueharbor",
    name="Blue Harbor Networks",
    plan="standard",
    admins=(
        DemoAdmin("admin@blueharbor.example", Role.FULL_ADMIN, "Jordan Blake"),
        DemoAdmin("ext@blueharbor.example", Role.EXTERNAL_ADMIN, "Sam Ellis"),
    ),
    tags=(("Managed service", "#0d6efd"), ("Education", "#20c997")),
    external_id_prefix="BHW",
    external_id_share=0.6,
)
PARTNERS = (NORTHWIND, BLUE_HARBOR)
SECOND_PARTNER_SHARE = 0.15
PARTNER_ADMIN_CUSTOMERS = 20
EXTERNAL_GRANTS = 5

# --- customers: regions, places, names -------------------------------------------------------

REGION_SHARES = ((Region.US, 45), (Region.EU, 30), (Region.CA, 15), (Region.UAE, 10))
CURRENCIES = {
    Region.US: ("USD", "1"),
    Region.CA: ("CAD", "1.37"),
    Region.EU: ("EUR", "0.92"),
    Region.UAE: ("AED", "3.67"),
}
# UTC hour at which the working day starts, and its length in hours.
WORKING_HOURS = {Region.US: (12, 11), Region.CA: (12, 10), Region.EU: (7, 10), Region.UAE: (4, 10)}


@dataclass(frozen=True, slots=True)
class City:
    name: str
    country: str
    dial_prefix: str  # E.164 up to the subscriber number: country code + area code
    subscriber_digits: int
    streets: tuple[str, ...]
    suffix: str  # company-name suffix of the country


CITIES: dict[str, tuple[City, ...]] = {
    Region.US: (
        City("New York", "US", "+1212", 7, ("Madison Ave", "Hudson St", "Park Ave S"), "Inc."),
        City("Chicago", "US", "+1312", 7, ("W Monroe St", "N Wacker Dr", "S LaSalle St"), "LLC"),
        City("Austin", "US", "+1512", 7, ("Congress Ave", "W 6th St", "Barton Springs Rd"), "Inc."),
        City("Seattle", "US", "+1206", 7, ("Pike St", "1st Ave", "Westlake Ave N"), "Inc."),
        City("Denver", "US", "+1303", 7, ("Larimer St", "17th St", "Blake St"), "LLC"),
        City("Atlanta", "US", "+1404", 7, ("Peachtree St NE", "Spring St NW", "Marietta St"), "Inc."),
        City("Boston", "US", "+1617", 7, ("Boylston St", "Atlantic Ave", "Summer St"), "Co."),
        City("San Jose", "US", "+1408", 7, ("N 1st St", "Almaden Blvd", "Park Ave"), "Inc."),
        City("Minneapolis", "US", "+1612", 7, ("Nicollet Mall", "Hennepin Ave", "S 7th St"), "LLC"),
        City("Phoenix", "US", "+1602", 7, ("N Central Ave", "E Washington St", "N 3rd St"), "LLC"),
    ),
    Region.CA: (
        City("Toronto", "CA", "+1416", 7, ("King St W", "Bay St", "Queen St E"), "Ltd."),
        City("Vancouver", "CA", "+1604", 7, ("W Georgia St", "Burrard St", "Granville St"), "Ltd."),
        City("Montreal", "CA", "+1514", 7, ("Rue Sainte-Catherine O", "Boulevard René-Lévesque", "Rue Peel"), "Inc."),
        City("Calgary", "CA", "+1403", 7, ("8 Ave SW", "Centre St S", "4 Ave SW"), "Ltd."),
        City("Ottawa", "CA", "+1613", 7, ("Sparks St", "Elgin St", "Bank St"), "Inc."),
        City("Halifax", "CA", "+1902", 7, ("Barrington St", "Hollis St", "Spring Garden Rd"), "Ltd."),
    ),
    Region.EU: (
        City("Berlin", "DE", "+4930", 8, ("Friedrichstraße", "Torstraße", "Invalidenstraße"), "GmbH"),
        City("Munich", "DE", "+4989", 8, ("Leopoldstraße", "Sendlinger Straße", "Maximilianstraße"), "GmbH"),
        City("Paris", "FR", "+331", 8, ("Rue de Rivoli", "Boulevard Haussmann", "Rue du Faubourg"), "SAS"),
        City("Amsterdam", "NL", "+3120", 7, ("Herengracht", "Keizersgracht", "Damrak"), "B.V."),
        City("Madrid", "ES", "+3491", 7, ("Calle de Alcalá", "Gran Vía", "Paseo de la Castellana"), "S.L."),
        City("Dublin", "IE", "+3531", 7, ("Grafton Street", "Baggot Street", "Sir John Rogerson's Quay"), "Ltd"),
        City("Milan", "IT", "+3902", 8, ("Via Torino", "Corso Buenos Aires", "Via Montenapoleone"), "S.r.l."),
        City("Stockholm", "SE", "+468", 7, ("Drottninggatan", "Sveavägen", "Birger Jarlsgatan"), "AB"),
        City("Warsaw", "PL", "+4822", 7, ("Marszałkowska", "Nowy Świat", "Prosta"), "Sp. z o.o."),
        City("Vienna", "AT", "+431", 7, ("Mariahilfer Straße", "Kärntner Straße", "Praterstraße"), "GmbH"),
    ),
    Region.UAE: (
        City("Dubai", "AE", "+9714", 7, ("Sheikh Zayed Road", "Al Wasl Road", "Jumeirah Beach Road"), "LLC"),
        City("Abu Dhabi", "AE", "+9712", 7, ("Corniche Road", "Hamdan Street", "Al Falah Street"), "LLC"),
        City("Sharjah", "AE", "+9716", 7, ("Al Wahda Street", "King Faisal Street", "Al Qasba"), "FZE"),
    ),
}
NAME_WORDS = (
    "Alder", "Atlas", "Beacon", "Birch", "Bluewater", "Cedar", "Cobalt", "Crescent", "Delta", "Ember",
    "Evergreen", "Falcon", "Fjord", "Glacier", "Granite", "Harbor", "Highland", "Horizon", "Indigo",
    "Ironwood", "Jasper", "Juniper", "Kestrel", "Keystone", "Lakeside", "Lumen", "Maple", "Meridian",
    "Mosaic", "Nimbus", "Northstar", "Nova", "Oakridge", "Onyx", "Orchard", "Pinnacle", "Pioneer",
    "Prairie", "Quarry", "Quill", "Redwood", "Ridgeline", "Riverbend", "Sapphire", "Silverline",
    "Sterling", "Summit", "Tidewater", "Timber", "Union", "Upland", "Vantage", "Vertex", "Westbrook",
    "Willow", "Yarrow", "Zenith",
)  # fmt: skip
INDUSTRIES = (
    "Analytics", "Architects", "Biotech", "Capital", "Clinics", "Construction", "Consulting",
    "Credit Union", "Dental Group", "Education", "Energy", "Engineering", "Foods", "Freight",
    "Health", "Hospitality", "Insurance", "Labs", "Legal", "Logistics", "Manufacturing", "Marine",
    "Media", "Motors", "Outfitters", "Pharma", "Realty", "Retail", "Robotics", "Software", "Studios",
    "Telecom", "Textiles", "Travel", "Ventures", "Veterinary", "Wealth", "Wholesale",
)  # fmt: skip
HEALTH_INDUSTRIES = frozenset({"Biotech", "Clinics", "Dental Group", "Health", "Pharma", "Veterinary"})
FIRST_NAMES = (
    "Aiden", "Amara", "Ana", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Emre", "Fatima",
    "Felix", "Grace", "Hana", "Ivan", "Jonas", "Kai", "Lara", "Leila", "Liam", "Lucas", "Maya",
    "Mei", "Mila", "Nadia", "Noah", "Omar", "Priya", "Rafael", "Sara", "Sofia", "Tariq", "Theo",
    "Uma", "Victor", "Wen", "Yara", "Yusuf", "Zoe", "Marco",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Ali", "Bauer", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad",
    "Hansen", "Ibrahim", "Jensen", "Kim", "Kowalski", "Larsen", "Lopez", "Martin", "Meyer", "Mori",
    "Nguyen", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Tanaka", "Walsh", "Weber", "Wong", "Young", "Zhang",
)  # fmt: skip

# --- products ----------------------------------------------------------------------------------

# Monthly list price per seat in USD; invoices convert with CURRENCIES.
SKU_PRICES = {
    "MTG-STD": Decimal("12.00"),
    "MTG-ENT": Decimal("18.50"),
    "CALL-BASIC": Decimal("9.00"),
    "CALL-PRO": Decimal("15.00"),
    "MSG-ADV": Decimal("4.00"),
    "RTT-ADDON": Decimal("6.50"),
    "CC-AGENT-STD": Decimal("65.00"),
    "CC-AGENT-PREM": Decimal("95.00"),
}
DESK_PHONES = (
    ("Desk Phone 8845", "sip88xx.14-2-1"),
    ("Desk Phone 8865", "sip88xx.14-2-1"),
    ("Desk Phone 9861", "PhoneOS 3.1.1"),
    ("Desk Phone 9871", "PhoneOS 3.1.1"),
    ("Conference Phone 8832", "sip8832.14-1-1"),
)
ROOM_DEVICES = (
    ("Room Kit", "RoomOS 11.20.1"),
    ("Room Bar", "RoomOS 11.20.1"),
    ("Room Bar Pro", "RoomOS 11.21.2"),
    ("Board Pro 55", "RoomOS 11.21.2"),
    ("Desk Pro", "RoomOS 11.20.1"),
    ("Room Kit EQ", "RoomOS 11.21.2"),
)
DEVICE_OUIS = {"desk": "7C2EB9", "room": "5CA62D"}
PSTN_PROVIDERS = ("Cloud Connected PSTN", "Premises Gateway", "Partner Trunk")

# --- profiles: what a customer's subscriptions look like ----------------------------------------

# The first customers of each partner take these profiles in this order, so every status of
# SPEC 5.1 appears for each partner whatever the seed (given enough customers); the rest are
# drawn with PROFILE_WEIGHTS.
FORCED_PROFILES = (
    "healthy",  # subscription
    "trial",  # trial
    "expiring",  # expiring_soon
    "overage",  # license_overage
    "inactive",  # no_recent_activity
    "provisioning",  # ready_for_order_setup
    "suspended",  # suspended
    "expired",  # expired
)
PROFILE_WEIGHTS = (
    ("healthy", 30),
    ("renewing", 12),
    ("new", 9),
    ("low_assignment", 9),
    ("expiring", 6),
    ("overage", 6),
    ("paid_plus_trial", 6),
    ("trial", 5),
    ("trial_ending", 3),
    ("inactive", 4),
    ("provisioning", 2),
    ("suspended", 3),
    ("expired", 5),
)
ACTIVE_PAID_PROFILES = frozenset(
    {"healthy", "renewing", "new", "low_assignment", "expiring", "overage", "inactive", "paid_plus_trial"}
)


@dataclass(frozen=True, slots=True)
class CallingUser:
    user_id: str
    location_id: uuid.UUID
    endpoint: str  # the endpoint the user mostly calls from


@dataclass(frozen=True, slots=True)
class CallingPlan:
    """How a Calling customer's phones are used, from which its call legs are drawn."""

    users: tuple[CallingUser, ...]
    room_locations: tuple[uuid.UUID, ...]
    main_location_id: uuid.UUID
    active_share: float  # share of the users who call in a given week, today
    calls_per_user_day: float  # working-day calls per active user
    weekly_trend: float  # relative change of active users per week (negative: falling usage)
    poor_rate: float
    unmeasured_rate: float
    latency_base_ms: float
    has_auto_attendant: bool
    has_hunt_group: bool
    has_call_queue: bool
    start_hour: int
    working_hours: int


@dataclass(frozen=True, slots=True)
class CustomerPlan:
    """Everything the demo writes about one customer."""

    partner_key: str
    profile: str
    industry: str
    seats: int
    record: CustomerRecord
    subscriptions: tuple[SubscriptionRecord, ...]
    snapshots: tuple[SnapshotRecord, ...]
    invoices: tuple[InvoiceRecord, ...]
    orders: tuple[OrderRecord, ...]
    locations: tuple[LocationRecord, ...]
    devices: tuple[DeviceRecord, ...]
    numbers: tuple[NumberRecord, ...]
    last_admin_activity_at: datetime | None
    calling: CallingPlan | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """The whole demo data set, before anything is written."""

    seed: int
    today: date
    customers: tuple[CustomerPlan, ...]
    assigned: tuple[uuid.UUID, ...]  # Northwind customers assigned to its partner admin
    granted: tuple[uuid.UUID, ...]  # Northwind customers granted to Blue Harbor's external admin

    def fingerprint(self) -> str:
        """A short digest of the plan's customers and subscriptions (equal plans, equal digests)."""
        digest = hashlib.sha256()
        for customer in self.customers:
            digest.update(repr((customer.record, customer.subscriptions, customer.profile)).encode())
        digest.update(repr((self.assigned, self.granted)).encode())
        return digest.hexdigest()[:16]


# --- small pure helpers ---------------------------------------------------------------------


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def quota_list(total: int, shares: Sequence[tuple[str, int]]) -> list[str]:
    """`total` labels split by `shares` with the largest-remainder method (exact, deterministic)."""
    weight = sum(share for _, share in shares)
    exact = [total * share / weight for _, share in shares]
    counts = [int(value) for value in exact]
    by_remainder = sorted(range(len(shares)), key=lambda index: (-(exact[index] - counts[index]), index))
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return [label for (label, _), count in zip(shares, counts, strict=True) for _ in range(count)]


def at_time(day: date, rng: random.Random, start_hour: int = 7, hours: int = 11) -> datetime:
    seconds = rng.randrange(start_hour * 3600, (start_hour + hours) * 3600)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


def partner_counts(customers: int) -> tuple[int, int]:
    """How many customers each partner gets: Blue Harbor ~15 %, Northwind the rest."""
    second = round(customers * SECOND_PARTNER_SHARE) if customers > 1 else 0
    return customers - second, second


# --- building the plan -------------------------------------------------------------------------


class _Sequences:
    """Document numbers and MAC addresses, unique across the whole demo."""

    def __init__(self, rng: random.Random) -> None:
        self.subscription = 104_000 + rng.randrange(1_000)
        self.trial = 500_000 + rng.randrange(1_000)
        self.invoice = 10_000 + rng.randrange(1_000)
        self.order = 2_000_000 + rng.randrange(10_000)
        self.device = rng.randrange(0x1000)
        self.names: set[str] = set()
        self.name_clashes = 0

    def subscription_id(self, rng: random.Random) -> str:
        self.subscription += rng.randint(1, 9)
        return f"Sub-{self.subscription}"

    def trial_id(self, rng: random.Random) -> str:
        self.trial += rng.randint(1, 9)
        return f"Trial-{self.trial}"

    def invoice_number(self, issued_on: date) -> str:
        self.invoice += 1
        return f"INV-{issued_on:%Y%m}-{self.invoice:06d}"

    def order_number(self) -> str:
        self.order += 1
        return f"ORD-{self.order}"

    def mac(self, family: str) -> str:
        self.device += 1
        return f"{DEVICE_OUIS[family]}{self.device:06X}"


@dataclass(slots=True)
class _Line:
    product: str
    sku: str
    quantity: int
    assigned: int
    used: int
    start_ratio: float  # assignment at the start of the 12-week window, relative to `assigned`
    usage_drift: float  # change of used/assigned over the window (negative: falling usage)
    ordered: int  # seats on the first order (lower when a change order added seats)


@dataclass(slots=True)
class _Sub:
    subscription_id: str
    kind: str
    state: str
    first_start_on: date
    end_on: date
    auto_renew: bool
    term_months: int
    trial_days: int | None
    lines: list[_Line] = field(default_factory=list)
    change_on: date | None = None
    ordered_on: date | None = None  # provisioning: when the order was placed

    def record(self) -> SubscriptionRecord:
        return SubscriptionRecord(
            subscription_id=self.subscription_id,
            kind=self.kind,
            state=self.state,
            start_on=self.first_start_on,
            end_on=self.end_on,
            auto_renew=self.auto_renew,
            renewal_on=self.end_on if self.auto_renew and self.kind == "paid" else None,
            trial_days=self.trial_days,
            lines=tuple(
                LicenseLineRecord(
                    product=line.product, sku=line.sku, quantity=line.quantity, assigned=line.assigned, used=line.used
                )
                for line in self.lines
            ),
        )


def _products(rng: random.Random) -> list[str]:
    chosen = [
        product.value
        for product, share in (
            (Product.MEETINGS, 0.9),
            (Product.CALLING, 0.55),
            (Product.MESSAGING, 0.35),
            (Product.TRANSLATION, 0.1),
            (Product.CONTACT_CENTER, 0.1),
        )
        if rng.random() < share
    ]
    return chosen or [Product.MEETINGS.value]


def _line(rng: random.Random, product: str, seats: int, ratio: float) -> _Line:
    if product == Product.MEETINGS:
        sku, quantity = ("MTG-ENT" if seats > 100 or rng.random() < 0.4 else "MTG-STD"), seats
    elif product == Product.CALLING:
        sku, quantity = ("CALL-PRO" if rng.random() < 0.7 else "CALL-BASIC"), round(seats * rng.uniform(0.5, 1.0))
    elif product == Product.MESSAGING:
        sku, quantity = "MSG-ADV", round(seats * rng.uniform(0.4, 1.0))
    elif product == Product.TRANSLATION:
        sku, quantity = "RTT-ADDON", round(seats * rng.uniform(0.05, 0.2))
    else:
        sku, quantity = (
            ("CC-AGENT-PREM" if rng.random() < 0.3 else "CC-AGENT-STD"),
            round(seats * rng.uniform(0.03, 0.15)),
        )
    quantity = max(quantity, 3)
    assigned = min(round(quantity * ratio), quantity)
    used = round(assigned * rng.uniform(0.5, 0.92))
    return _Line(
        product=product,
        sku=sku,
        quantity=quantity,
        assigned=assigned,
        used=used,
        start_ratio=rng.uniform(0.72, 0.96),
        usage_drift=rng.choice((0.0, 0.0, 0.04, -0.05, -0.12)),
        ordered=quantity,
    )


def _paid(rng: random.Random, seq: _Sequences, profile: str, products: Sequence[str], seats: int, today: date) -> _Sub:
    term = rng.choice((12, 12, 12, 24, 36))
    renewals = rng.choice((0, 0, 1, 1, 2))
    auto_renew = rng.random() < 0.7
    state = "active"
    if profile == "expiring":
        end_on, auto_renew = today + timedelta(days=rng.randint(0, 30)), False
    elif profile == "renewing":
        end_on, auto_renew = today + timedelta(days=rng.randint(3, 90)), True
    elif profile == "new":
        term, renewals = 12, 0
        end_on = add_months(today - timedelta(days=rng.randint(5, 85)), 12)
    elif profile == "suspended":
        end_on, auto_renew, state = today + timedelta(days=rng.randint(30, 300)), True, "suspended"
        renewals = max(renewals, 1)
    elif profile == "expired":
        end_on, auto_renew = today - timedelta(days=rng.randint(10, 400)), False
        state = "cancelled" if rng.random() < 0.25 else "expired"
    elif profile == "provisioning":
        term, renewals, auto_renew, state = 12, 0, True, "provisioning"
        end_on = add_months(today + timedelta(days=rng.randint(0, 14)), 12)
    else:
        # Long enough into its term to be neither new nor (without auto-renew) expiring.
        term_days = (add_months(today, term) - today).days
        end_on = today + timedelta(days=rng.randint(31, term_days - 60))
    first_start_on = add_months(end_on, -term * (renewals + 1))
    if state == "provisioning":
        first_start_on = add_months(end_on, -term)
    if state == "provisioning":
        ratio = 0.0  # nothing is assigned before the order is set up
    elif profile == "new":
        ratio = rng.uniform(0.3, 0.75)
    else:
        ratio = rng.uniform(0.62, 0.97)
    sub = _Sub(
        subscription_id=seq.subscription_id(rng),
        kind="paid",
        state=state,
        first_start_on=first_start_on,
        end_on=end_on,
        auto_renew=auto_renew,
        term_months=term,
        trial_days=None,
        lines=[_line(rng, product, seats, ratio) for product in products],
    )
    if state == "provisioning":
        sub.ordered_on = today - timedelta(days=rng.randint(1, 6))
        for line in sub.lines:
            line.used = 0
    if profile == "overage":
        line = next((li for li in sub.lines if li.product in (Product.MEETINGS, Product.CALLING)), sub.lines[0])
        line.assigned = line.quantity + rng.randint(1, max(2, line.quantity // 10))
        line.used = min(line.used, line.assigned)
        line.start_ratio = rng.uniform(0.88, 0.97)
    if profile == "low_assignment":
        line = max(sub.lines, key=lambda li: li.quantity)
        line.quantity = max(line.quantity, 12)
        line.assigned = round(line.quantity * rng.uniform(0.08, 0.3))
        line.used = round(line.assigned * rng.uniform(0.4, 0.9))
        line.start_ratio = rng.uniform(0.85, 1.0)
    if profile == "new":
        for line in sub.lines:
            line.start_ratio = rng.uniform(0.1, 0.4)
    change_from = first_start_on + timedelta(days=30)
    change_to = min(today, end_on) - timedelta(days=7)
    if state not in ("provisioning",) and change_from < change_to and rng.random() < 0.35:
        sub.change_on = change_from + timedelta(days=rng.randrange((change_to - change_from).days))
        line = rng.choice(sub.lines)
        line.ordered = max(1, line.quantity - max(1, round(line.quantity * rng.uniform(0.05, 0.25))))
    return sub


def _trial(rng: random.Random, seq: _Sequences, products: Sequence[str], today: date, *, ending: bool) -> _Sub:
    if ending:
        trial_days = rng.choice((30, 60, 90))
        end_on = today + timedelta(days=rng.randint(0, 30))
    else:
        trial_days = rng.choice((60, 90))
        end_on = today + timedelta(days=rng.randint(31, trial_days - 1))
    licenses = rng.choice((10, 25, 50, 100))
    lines = [_line(rng, product, licenses, rng.uniform(0.15, 0.7)) for product in products]
    for line in lines:
        line.start_ratio = rng.uniform(0.05, 0.4)
    return _Sub(
        subscription_id=seq.trial_id(rng),
        kind="trial",
        state="active",
        first_start_on=end_on - timedelta(days=trial_days),
        end_on=end_on,
        auto_renew=False,
        term_months=0,
        trial_days=trial_days,
        lines=lines,
    )


def _subscriptions(
    rng: random.Random, seq: _Sequences, profile: str, products: list[str], seats: int, today: date
) -> list[_Sub]:
    if profile in ("trial", "trial_ending"):
        trial_products: list[str] = [p for p in products if p in (Product.MEETINGS, Product.CALLING)]
        trial_products = trial_products or [Product.MEETINGS.value]
        return [_trial(rng, seq, trial_products, today, ending=profile == "trial_ending")]
    subs = [_paid(rng, seq, profile, products, seats, today)]
    if profile == "paid_plus_trial" or (profile == "provisioning" and rng.random() < 0.5):
        extra = [p.value for p in (Product.CONTACT_CENTER, Product.CALLING, Product.TRANSLATION) if p not in products]
        trial_products = extra[:1] or [Product.CONTACT_CENTER.value]
        subs.append(_trial(rng, seq, trial_products, today, ending=rng.random() < 0.3))
    if profile == "expired" and rng.random() < 0.3:
        # An old trial that ended before the customer bought.
        old = _trial(rng, seq, [Product.MEETINGS.value], subs[0].first_start_on - timedelta(days=31), ending=True)
        old.state = "expired"
        subs.append(old)
    if profile in ACTIVE_PAID_PROFILES and Product.CONTACT_CENTER not in products and rng.random() < 0.12:
        cc = _paid(rng, seq, "healthy", [Product.CONTACT_CENTER.value], seats, today)
        cc.auto_renew = True
        subs.append(cc)
    return subs


def _snapshots(rng: random.Random, subs: Sequence[_Sub], today: date) -> list[SnapshotRecord]:
    """Weekly counts per line for the last 12 weeks the line existed: assignment grows towards
    today's figure, usage stays below assignment, and the latest week equals today's counts."""
    this_week = week_start(today)
    weeks = [this_week - timedelta(weeks=back) for back in range(SNAPSHOT_WEEKS - 1, -1, -1)]
    rows: list[SnapshotRecord] = []
    for sub in subs:
        if sub.state == "provisioning":
            continue
        first = week_start(sub.first_start_on)
        last = week_start(sub.end_on) if sub.state in ("expired", "cancelled") else this_week
        span = [week for week in weeks if first <= week <= last]
        for line in sub.lines:
            final_usage = line.used / line.assigned if line.assigned else 0.0
            previous = 0
            for position, week in enumerate(span):
                progress = (position + 1) / len(span)
                if week == span[-1]:
                    assigned, used = line.assigned, line.used
                else:
                    share = line.start_ratio + (1 - line.start_ratio) * progress
                    assigned = max(previous, round(line.assigned * share * rng.uniform(0.98, 1.02)))
                    assigned = min(assigned, line.assigned) if line.assigned <= line.quantity else assigned
                    usage = final_usage - line.usage_drift * (1 - progress) + rng.uniform(-0.04, 0.04)
                    used = min(assigned, max(0, round(assigned * usage)))
                previous = assigned
                rows.append(SnapshotRecord(sub.subscription_id, line.sku, week, line.quantity, assigned, used))
    return rows


def _invoices(
    rng: random.Random, seq: _Sequences, subs: Sequence[_Sub], region: str, today: date
) -> list[InvoiceRecord]:
    currency, rate = CURRENCIES[Region(region)]
    rows: list[InvoiceRecord] = []
    for sub in subs:
        if sub.kind != "paid" or sub.state == "provisioning":
            continue
        monthly = sum((SKU_PRICES[line.sku] * line.quantity for line in sub.lines), Decimal(0)) * Decimal(rate)
        until = min(today, sub.end_on)
        billed = 0
        while add_months(sub.first_start_on, billed + 1) <= until:
            billed += 1
        # Billed monthly in advance on the subscription's start day; the last six bills are kept.
        for issued_on in [add_months(sub.first_start_on, month) for month in range(max(0, billed - 5), billed + 1)]:
            due_on = issued_on + timedelta(days=30)
            if due_on >= today:
                status = "open"
            elif sub.state == "suspended" and (today - issued_on).days < 100:
                status = "overdue"
            else:
                status = "overdue" if rng.random() < 0.03 else "paid"
            rows.append(
                InvoiceRecord(
                    subscription_id=sub.subscription_id,
                    number=seq.invoice_number(issued_on),
                    issued_on=issued_on,
                    due_on=due_on,
                    total_amount=monthly.quantize(Decimal("0.01")),
                    currency=currency,
                    status=status,
                )
            )
    return rows


def _order_lines(sub: _Sub, quantity: Callable[[_Line], int]) -> tuple[dict[str, object], ...]:
    return tuple(
        {"product": line.product, "sku": line.sku, "quantity": quantity(line)} for line in sub.lines if quantity(line)
    )


def _orders(seq: _Sequences, subs: Sequence[_Sub], today: date) -> list[OrderRecord]:
    """The new order of each paid subscription, a change order where seats were added, and one
    renewal order two weeks before each renewal that has passed."""
    rows: list[OrderRecord] = []
    for sub in subs:
        if sub.kind != "paid":
            continue
        ordered_on = sub.ordered_on or sub.first_start_on - timedelta(days=7)
        rows.append(
            OrderRecord(
                sub.subscription_id, seq.order_number(), ordered_on, "new", _order_lines(sub, lambda li: li.ordered)
            )
        )
        if sub.change_on is not None:
            added = _order_lines(sub, lambda li: li.quantity - li.ordered)
            rows.append(OrderRecord(sub.subscription_id, seq.order_number(), sub.change_on, "change", added))
        renewal = add_months(sub.first_start_on, sub.term_months)
        while renewal < sub.end_on and renewal <= today:
            renewed = _order_lines(sub, lambda li: li.quantity)
            ordered_on = renewal - timedelta(days=14)
            rows.append(OrderRecord(sub.subscription_id, seq.order_number(), ordered_on, "renewal", renewed))
            renewal = add_months(renewal, sub.term_months)
    return rows


def _company_name(rng: random.Random, seq: _Sequences, city: City) -> tuple[str, str, str]:
    """(name, industry, e-mail domain), unique within the demo: a word and an industry, then
    with the city, then numbered once a large demo has used up the combinations."""
    for attempt in range(40):
        word, industry = rng.choice(NAME_WORDS), rng.choice(INDUSTRIES)
        base = f"{word} {industry}" if attempt < 20 else f"{word} {industry} {city.name}"
        if base not in seq.names:
            break
    while base in seq.names:
        seq.name_clashes += 1
        base = f"{word} {industry} {seq.name_clashes}"
    seq.names.add(base)
    slug = base.split()[0].lower() + "-" + "-".join(base.split()[1:]).lower().replace(" ", "-")
    domain = f"{slug[:30].rstrip('-')}.example"  # keeps user ids within the 64 characters of a call leg
    return f"{base} {city.suffix}", industry, domain


def _address(rng: random.Random, city: City) -> str:
    street, number = rng.choice(city.streets), rng.randint(1, 480)
    return f"{number} {street}, {city.name}" if city.country in ("US", "CA") else f"{street} {number}, {city.name}"


def _number_block(rng: random.Random, city: City) -> Iterator[str]:
    """Consecutive E.164 numbers of one site, as a carrier assigns a block of direct dial-ins."""
    digits = city.subscriber_digits
    if city.dial_prefix.startswith("+1"):
        first = rng.randint(200, 989) * 10_000 + rng.randint(100, 8_000)  # exchange + line
    else:
        first = rng.randint(2 * 10 ** (digits - 1), 9 * 10 ** (digits - 1))
    for offset in range(10_000):
        yield f"{city.dial_prefix}{first + offset:0{digits}d}"


@dataclass(slots=True)
class _Site:
    location_id: uuid.UUID
    city: City
    numbers: Iterator[str]
    next_extension: int


def _inventory(
    rng: random.Random,
    seq: _Sequences,
    *,
    region: str,
    home: City,
    seats: int,
    domain: str,
    calling_seats: int,
    meetings: bool,
) -> tuple[list[LocationRecord], list[DeviceRecord], list[NumberRecord], CallingPlan | None]:
    count = 1 if seats <= 25 else rng.randint(1, 2) if seats <= 150 else rng.randint(2, 4)
    others = [city for city in CITIES[Region(region)] if city is not home]
    cities = [home, *rng.sample(others, min(count - 1, len(others)))]
    locations: list[LocationRecord] = []
    sites: list[_Site] = []
    for index, city in enumerate(cities):
        kind = "HQ" if index == 0 else rng.choice(("Office", "Branch", "Campus", "Studio", "Warehouse"))
        location_id = new_uuid(rng)
        locations.append(LocationRecord(location_id, f"{city.name} {kind}", city.country, _address(rng, city)))
        sites.append(_Site(location_id, city, _number_block(rng, city), (index + 1) * 1000 + 100))
    devices: list[DeviceRecord] = []
    numbers: list[NumberRecord] = []
    room_locations: list[uuid.UUID] = []
    if meetings:
        for site in sites:
            for _ in range(min(6, 1 + seats // rng.randint(30, 60))):
                product, firmware = rng.choice(ROOM_DEVICES)
                devices.append(DeviceRecord(seq.mac("room"), product, site.location_id, firmware))
                room_locations.append(site.location_id)
    if not calling_seats:
        return locations, devices, numbers, None

    def next_extension(site: _Site) -> str:
        site.next_extension += 1
        return str(site.next_extension)

    provider = rng.choice(PSTN_PROVIDERS)

    def add_number(
        site: _Site,
        number: str,
        extension: str,
        *,
        owner_type: str = "",
        number_type: str = "",
        user_id: str = "",
        user_uuid: uuid.UUID | None = None,
        active: bool = True,
    ) -> None:
        numbers.append(
            NumberRecord(
                country=site.city.country,
                number=number,
                extension=extension,
                location_id=site.location_id,
                pstn_provider=provider if number else "",
                active=active,
                owner_type=owner_type,
                number_type=number_type,
                user_id=user_id,
                user_uuid=user_uuid,
            )
        )

    users: list[CallingUser] = []
    taken: set[str] = set()
    for _ in range(max(3, min(calling_seats, 60))):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = f"{first.lower()}.{last.lower()}@{domain}"
        while user_id in taken:
            user_id = f"{first.lower()}.{last.lower()}{rng.randint(2, 99)}@{domain}"
        taken.add(user_id)
        user_uuid = new_uuid(rng)
        site = sites[0] if rng.random() < 0.6 else rng.choice(sites)
        ext = next_extension(site)
        number = next(site.numbers) if rng.random() < 0.8 else ""
        add_number(site, number, ext, owner_type="person", number_type="primary", user_id=user_id, user_uuid=user_uuid)
        if number and rng.random() < 0.08:
            secondary = next(site.numbers)
            add_number(
                site, secondary, "", owner_type="person", number_type="secondary", user_id=user_id, user_uuid=user_uuid
            )
        endpoint = "app"
        if rng.random() < 0.55:
            endpoint = "desk_phone"
            product, firmware = rng.choice(DESK_PHONES)
            devices.append(
                DeviceRecord(seq.mac("desk"), product, site.location_id, firmware, number, ext, user_id, user_uuid)
            )
        elif rng.random() < 0.06:
            endpoint = "other_device"
        users.append(CallingUser(user_id, site.location_id, endpoint))
    features = {
        "auto_attendant": rng.random() < 0.65,
        "hunt_group": rng.random() < 0.45,
        "call_queue": rng.random() < 0.4 or calling_seats > 150,
    }
    main = sites[0]
    for owner_type, present in features.items():
        if present:
            add_number(main, next(main.numbers), next_extension(main), owner_type=owner_type, number_type="primary")
    for site in sites:
        if rng.random() < 0.35:
            ext = next_extension(site)
            add_number(
                site, next(site.numbers), ext, owner_type="virtual_line", number_type="primary", user_id=f"line-{ext}"
            )
        for _ in range(rng.randint(1, 2) if room_locations else 0):
            add_number(site, "", next_extension(site), owner_type="place", number_type="primary")
        for _ in range(rng.randint(2, 6)):  # spare numbers of the block, not yet given to anyone
            add_number(site, next(site.numbers), "", active=rng.random() < 0.6)
    start_hour, hours = WORKING_HOURS[Region(region)]
    band = rng.random()
    poor_rate = (
        rng.uniform(0.02, 0.06) if band < 0.7 else rng.uniform(0.06, 0.1) if band < 0.92 else rng.uniform(0.1, 0.18)
    )
    calling = CallingPlan(
        users=tuple(users),
        room_locations=tuple(room_locations),
        main_location_id=main.location_id,
        active_share=rng.uniform(0.6, 0.9),
        calls_per_user_day=rng.uniform(1.0, 2.1),
        weekly_trend=rng.choice((0.0, 0.01, 0.02, 0.03, 0.03, -0.02, -0.06)),
        poor_rate=poor_rate,
        unmeasured_rate=rng.uniform(0.01, 0.06),
        latency_base_ms=rng.uniform(40, 120),
        has_auto_attendant=features["auto_attendant"],
        has_hunt_group=features["hunt_group"],
        has_call_queue=features["call_queue"],
        start_hour=start_hour,
        working_hours=hours,
    )
    return locations, devices, numbers, calling


def _seats(rng: random.Random) -> int:
    """Company size in seats: mostly small and mid-sized customers, a few large ones."""
    band = rng.random()
    if band < 0.45:
        return rng.randint(5, 25)
    if band < 0.8:
        return rng.randint(26, 150)
    if band < 0.97:
        return rng.randint(151, 900)
    return rng.randint(1000, 2500)


def _admin_activity(rng: random.Random, profile: str, today: date) -> datetime | None:
    """When the customer's own admins were last active: recent for most, older than the 30-day
    window for inactive and most expired customers, never for a few."""
    roll = rng.random()
    if profile == "inactive":
        return None if roll < 0.4 else at_time(today - timedelta(days=rng.randint(31, 200)), rng)
    if profile == "expired":
        return None if roll < 0.3 else at_time(today - timedelta(days=rng.randint(40, 400)), rng)
    if roll < 0.08:
        return at_time(today - timedelta(days=rng.randint(31, 120)), rng)
    if profile == "provisioning":
        return at_time(today - timedelta(days=rng.randint(1, 6)), rng)
    return at_time(today - timedelta(days=rng.randint(1, 25)), rng)


def _customer(
    rng: random.Random,
    seq: _Sequences,
    *,
    partner: DemoPartner,
    number: int,
    profile: str,
    region: str,
    today: date,
) -> CustomerPlan:
    home = rng.choice(CITIES[Region(region)])
    name, industry, domain = _company_name(rng, seq, home)
    org_id = new_uuid(rng)
    seats = _seats(rng)
    products = _products(rng)
    subs = _subscriptions(rng, seq, profile, products, seats, today)
    calling_seats = sum(
        line.assigned for sub in subs if sub.state == "active" for line in sub.lines if line.product == Product.CALLING
    )
    meetings = any(line.product == Product.MEETINGS for sub in subs for line in sub.lines)
    locations, devices, numbers, calling = _inventory(
        rng, seq, region=region, home=home, seats=seats, domain=domain, calling_seats=calling_seats, meetings=meetings
    )
    first_start = min(sub.first_start_on for sub in subs)
    created_on = min(first_start, today) - timedelta(days=rng.randint(1, 20))
    external_id = ""
    if rng.random() < partner.external_id_share:
        external_id = f"{partner.external_id_prefix}-{100_000 + number * 10 + rng.randrange(10)}"
    tags: list[str] = []
    if partner is NORTHWIND:
        if seats > 150:
            tags.append("Strategic")
        if profile in ("expiring", "suspended", "trial_ending"):
            tags.append("Renewal risk")
        if industry in HEALTH_INDUSTRIES:
            tags.append("Healthcare")
        if industry == "Education" or rng.random() < 0.06:
            tags.append("Public sector")
        if external_id:
            tags.append("Wholesale")
    else:
        if rng.random() < 0.5:
            tags.append("Managed service")
        if industry == "Education" or rng.random() < 0.1:
            tags.append("Education")
    return CustomerPlan(
        partner_key=partner.key,
        profile=profile,
        industry=industry,
        seats=seats,
        record=CustomerRecord(org_id, name, region, external_id, at_time(created_on, rng)),
        subscriptions=tuple(sub.record() for sub in subs),
        snapshots=tuple(_snapshots(rng, subs, today)),
        invoices=tuple(_invoices(rng, seq, subs, region, today)),
        orders=tuple(_orders(seq, subs, today)),
        locations=tuple(locations),
        devices=tuple(devices),
        numbers=tuple(numbers),
        last_admin_activity_at=_admin_activity(rng, profile, today),
        calling=calling,
        tags=tuple(tags),
    )


def build_plan(*, customers: int, seed: int, today: date) -> DemoPlan:
    """The demo data set for `customers` customers, as pure data: equal arguments give an equal
    plan. Raises DemoError for a customer count outside 1..MAX_CUSTOMERS."""
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise DemoError(f"the demo holds 1 to {MAX_CUSTOMERS} customers, not {customers}")
    rng = random.Random(seed)
    seq = _Sequences(rng)
    plans: list[CustomerPlan] = []
    for partner, count in zip(PARTNERS, partner_counts(customers), strict=True):
        forced = list(FORCED_PROFILES[:count])
        drawn = rng.choices([p for p, _ in PROFILE_WEIGHTS], [w for _, w in PROFILE_WEIGHTS], k=count - len(forced))
        profiles = forced + drawn
        regions = quota_list(count, REGION_SHARES)
        rng.shuffle(profiles)
        rng.shuffle(regions)
        for number, (profile, region) in enumerate(zip(profiles, regions, strict=True)):
            plans.append(
                _customer(
                    rng, seq, partner=partner, number=number, profile=profile, region=Region(region).value, today=today
                )
            )
    northwind = [plan.record.org_id for plan in plans if plan.partner_key == NORTHWIND.key]
    assigned = rng.sample(northwind, min(PARTNER_ADMIN_CUSTOMERS, len(northwind)))
    rest = [org_id for org_id in northwind if org_id not in set(assigned)]
    granted = rng.sample(rest, min(EXTERNAL_GRANTS, len(rest)))
    return DemoPlan(seed=seed, today=today, customers=tuple(plans), assigned=tuple(assigned), granted=tuple(granted))


# --- call legs ---------------------------------------------------------------------------------

_QUEUE_OUTCOMES = (("answered", 76), ("abandoned", 11), ("timed_out", 4), ("overflowed", 5), ("transferred", 4))
_VIDEO_SHARE = {"app": 0.25, "room_device": 0.7, "desk_phone": 0.04, "other_device": 0.0}
_POOR_FACTOR = {"app": 1.4, "room_device": 0.8, "desk_phone": 0.7, "other_device": 1.2}


def _quality(
    rng: random.Random, calling: CallingPlan, endpoint: str
) -> tuple[float | None, float | None, float | None]:
    """(jitter ms, latency ms, loss %) of one leg: some legs carry no measurement, a few percent
    are poor (one measurement over its SPEC 6.2 threshold), the rest are plausible good values."""
    unmeasured = calling.unmeasured_rate * (4 if endpoint == "other_device" else 1)
    if rng.random() < unmeasured:
        return None, None, None
    jitter = min(140.0, rng.expovariate(1 / 9) + 0.5)
    latency = min(390.0, max(8.0, rng.gauss(calling.latency_base_ms, 25)))
    loss = min(4.9, rng.expovariate(1 / 0.3))
    if rng.random() < calling.poor_rate * _POOR_FACTOR[endpoint]:
        which = rng.random()
        if which < 0.4:
            jitter = rng.uniform(155, 320)
        elif which < 0.7:
            latency = rng.uniform(410, 850)
        else:
            loss = rng.uniform(5.5, 18)
    return round(jitter, 1), round(latency, 1), round(loss, 2)


def iter_call_legs(
    customer: CustomerPlan, *, partner_id: int, seed: int, today: date, weeks: int
) -> Iterator[CallLegRecord]:
    """The call legs of one Calling customer from the Sunday `weeks` weeks before this week's up
    to the end of yesterday (UTC), day by day. Deterministic for (seed, customer)."""
    calling = customer.calling
    if calling is None:
        return
    org_id = customer.record.org_id
    rng = random.Random(f"{seed}:calls:{org_id}")
    first_day = week_start(today) - timedelta(weeks=weeks)
    users = calling.users
    features = [
        name
        for name, present in (
            ("auto_attendant", calling.has_auto_attendant),
            ("hunt_group", calling.has_hunt_group),
            ("call_queue", calling.has_call_queue),
        )
        if present
    ]
    outcomes = [name for name, _ in _QUEUE_OUTCOMES]
    outcome_weights = [weight for _, weight in _QUEUE_OUTCOMES]

    def leg(
        call_id: str,
        number: int,
        started_at: datetime,
        seconds: int,
        direction: str,
        endpoint: str,
        media: str,
        *,
        user: CallingUser | None,
        location_id: uuid.UUID | None = None,
        feature: str = "",
        transferred: bool = False,
        outcome: str = "",
        wait: int | None = None,
        measured: bool = True,
    ) -> CallLegRecord:
        jitter, latency, loss = _quality(rng, calling, endpoint) if measured else (None, None, None)
        return CallLegRecord(
            leg_id=f"{call_id}-{number}",
            call_id=call_id,
            org_id=org_id,
            partner_id=partner_id,
            location_id=user.location_id if user else location_id,
            user_id=user.user_id if user else "",
            started_at=started_at,
            duration_seconds=seconds,
            direction=direction,
            media=media,
            endpoint_type=endpoint,
            jitter_ms=jitter,
            latency_ms=latency,
            loss_pct=loss,
            feature=feature,
            transferred=transferred,
            queue_outcome=outcome,
            queue_wait_seconds=wait,
        )

    def endpoint_of(user: CallingUser) -> str:
        return user.endpoint if rng.random() < 0.75 else "app"

    def media_of(endpoint: str) -> str:
        return "video" if rng.random() < _VIDEO_SHARE[endpoint] else "audio"

    def talk() -> int:
        return max(5, min(7200, int(rng.lognormvariate(4.7, 0.9))))

    active: list[CallingUser] = []
    day = first_day
    while day < today:
        if day.weekday() == 6 or not active:
            # A new calling week: who calls this week follows the customer's trend.
            weeks_back = (week_start(today) - day).days // 7
            share = min(1.0, calling.active_share * max(0.2, 1 - calling.weekly_trend * weeks_back))
            active = rng.sample(users, max(1, round(len(users) * share)))
        weekend = day.weekday() >= 5
        volume = len(active) * calling.calls_per_user_day * (0.07 if weekend else 1.0) * rng.uniform(0.85, 1.15)
        calls = int(volume) + (rng.random() < volume - int(volume))
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        for _ in range(calls):
            call_id = new_uuid(rng).hex
            span = calling.working_hours * 3600
            start = midnight + timedelta(seconds=calling.start_hour * 3600 + int(rng.triangular(0, span, span * 0.35)))
            user = rng.choice(active)
            kind = rng.random()
            if features and kind < 0.2:
                feature = rng.choice(features)
                if feature != "call_queue":
                    yield leg(
                        call_id, 1, start, talk(), "inbound", endpoint_of(user), "audio", user=user, feature=feature
                    )
                    continue
                outcome = rng.choices(outcomes, outcome_weights)[0]
                if outcome == "answered":
                    wait = min(600, int(rng.expovariate(1 / 35)) + 3)
                    yield leg(
                        call_id,
                        1,
                        start,
                        wait + talk(),
                        "inbound",
                        endpoint_of(user),
                        "audio",
                        user=user,
                        feature=feature,
                        outcome=outcome,
                        wait=wait,
                    )
                    continue
                wait = 300 if outcome == "timed_out" else rng.randint(15, 240)
                yield leg(
                    call_id,
                    1,
                    start,
                    wait,
                    "inbound",
                    "other_device",
                    "audio",
                    user=None,
                    location_id=calling.main_location_id,
                    feature=feature,
                    outcome=outcome,
                    wait=wait,
                    measured=False,
                )
                if outcome in ("overflowed", "transferred"):
                    target = rng.choice(active)
                    yield leg(
                        call_id,
                        2,
                        start + timedelta(seconds=wait),
                        talk(),
                        "inbound",
                        endpoint_of(target),
                        "audio",
                        user=target,
                    )
            elif kind < 0.45 and len(active) > 1:
                callee = rng.choice([u for u in active if u is not user] if len(active) < 8 else active)
                endpoint = endpoint_of(user)
                media = media_of(endpoint)
                seconds = talk()
                yield leg(call_id, 1, start, seconds, "outbound", endpoint, media, user=user)
                answer = rng.randint(2, 12)
                callee_endpoint = endpoint_of(callee) if media == "audio" else "app"
                yield leg(
                    call_id,
                    2,
                    start + timedelta(seconds=answer),
                    max(1, seconds - answer),
                    "inbound",
                    callee_endpoint,
                    media,
                    user=callee,
                )
            elif kind < 0.5 and calling.room_locations:
                location = rng.choice(calling.room_locations)
                yield leg(
                    call_id,
                    1,
                    start,
                    talk(),
                    "outbound",
                    "room_device",
                    media_of("room_device"),
                    user=None,
                    location_id=location,
                )
            elif kind < 0.78:
                endpoint = endpoint_of(user)
                yield leg(call_id, 1, start, talk(), "outbound", endpoint, media_of(endpoint), user=user)
            else:
                endpoint = endpoint_of(user)
                if rng.random() < 0.07:
                    first = rng.randint(20, 150)
                    target = rng.choice(active)
                    yield leg(call_id, 1, start, first, "inbound", endpoint, "audio", user=user, transferred=True)
                    yield leg(
                        call_id,
                        2,
                        start + timedelta(seconds=first),
                        talk(),
                        "inbound",
                        endpoint_of(target),
                        "audio",
                        user=target,
                    )
                else:
                    yield leg(call_id, 1, start, talk(), "inbound", endpoint, "audio", user=user)
        day += timedelta(days=1)


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignIn:
    email: str
    role: str
    partner: str
    display_name: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What was loaded: the sign-ins (Northwind's full admin first), row counts and timings."""

    seed: int
    today: date
    password: str
    sign_ins: tuple[SignIn, ...]
    customers_by_partner: tuple[tuple[str, int], ...]
    customers_by_region: tuple[tuple[str, int], ...]
    statuses: tuple[tuple[str, int], ...]  # customers carrying each status, over both partners
    rows: tuple[tuple[str, int], ...]
    call_legs_accepted: int
    call_legs_duplicates: int
    fingerprint: str
    seconds: float
    phases: tuple[tuple[str, float], ...]


def reset_databases() -> None:
    """Empty the control database and every region database (tables stay, rows go)."""
    for alias in settings.DATABASES:
        if connections[alias].in_atomic_block:
            # Inside a transaction (tests), PostgreSQL refuses to TRUNCATE a table whose deferred
            # foreign-key checks are still pending: run them now.
            connections[alias].check_constraints()
        call_command("flush", database=alias, interactive=False, verbosity=0)


def _already_loaded() -> bool:
    return PartnerOrg.objects.filter(name__in=[partner.name for partner in PARTNERS]).exists()


def _write_partner(partner: DemoPartner) -> tuple[PartnerOrg, dict[str, Admin], Scope]:
    org = create_partner(name=partner.name, plan=partner.plan, require_mfa=False)
    admins = {
        spec.email: create_admin(
            partner=org, email=spec.email, role=spec.role, password=DEMO_PASSWORD, display_name=spec.display_name
        )
        for spec in partner.admins
    }
    scope = scope_for(admins[partner.admins[0].email])
    accept_terms(scope=scope, plan=partner.plan)
    return org, admins, scope


def _write_customer(plan: CustomerPlan, partner_id: int) -> Customer:
    customer = upsert_customer(partner_id=partner_id, record=plan.record)
    # One region transaction around the services' own (nested) ones: one commit per customer.
    with region_atomic(customer.region):
        upsert_subscriptions(customer=customer, records=plan.subscriptions, refresh=False)
        if plan.snapshots:
            upsert_snapshots(customer=customer, records=plan.snapshots)
        if plan.invoices:
            upsert_invoices(customer=customer, records=plan.invoices)
        if plan.orders:
            upsert_orders(customer=customer, records=plan.orders)
        upsert_locations(customer=customer, records=plan.locations)
        if plan.devices:
            upsert_devices(customer=customer, records=plan.devices)
        if plan.numbers:
            upsert_numbers(customer=customer, records=plan.numbers)
    if plan.last_admin_activity_at is not None:
        record_admin_activity(org_id=customer.org_id, at=plan.last_admin_activity_at)
    return customer


def _write_call_legs(
    plan: DemoPlan, partner_ids: dict[str, int], weeks: int, report: Callable[[str], None]
) -> tuple[int, int]:
    accepted = duplicates = 0
    for region in Region.values:
        batch: list[CallLegRecord] = []
        for customer in plan.customers:
            if customer.record.region != region or customer.calling is None:
                continue
            partner_id = partner_ids[customer.partner_key]
            batch.extend(iter_call_legs(customer, partner_id=partner_id, seed=plan.seed, today=plan.today, weeks=weeks))
            if len(batch) >= CALL_LEG_BATCH:
                result = append_call_legs(region=region, legs=batch)
                accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
                batch = []
        if batch:
            result = append_call_legs(region=region, legs=batch)
            accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
        report(f"call legs: {region} done ({accepted} so far)")
    return accepted, duplicates


ROW_MODELS = (
    ("subscriptions", Subscription),
    ("license lines", LicenseLine),
    ("license snapshots", LicenseSnapshot),
    ("invoices", Invoice),
    ("orders", Order),
    ("locations", Location),
    ("devices", Device),
    ("phone numbers", PhoneNumber),
    ("call legs", CallLeg),
    ("daily call rollups", CallDailyRollup),
    ("calling user-weeks", CallingUserWeek),
    ("frozen calling weeks", CallingWeek),
)


# The kinds of ingestion the demo's rows stand for, and the region table that holds each.
_FEED_MODELS = (
    ("subscriptions", Subscription),
    ("license-snapshots", LicenseSnapshot),
    ("invoices", Invoice),
    ("orders", Order),
    ("locations", Location),
    ("devices", Device),
    ("numbers", PhoneNumber),
    ("call-legs", CallLeg),
)


def _record_feeds(partner_ids: Sequence[int]) -> None:
    """One ingest batch per partner and kind, as the data feeds page lists them: the rows the
    demo loaded for that partner, sent as demo data."""
    customers = Customer.objects.filter(partner_id__in=partner_ids)
    loaded: Counter[tuple[int, str]] = Counter(
        {(partner_id, "customers"): count for partner_id, count in _partner_counts(customers)}
    )
    for kind, model in _FEED_MODELS:
        for region in Region.values:
            rows = model._default_manager.using(db_for(region)).filter(partner_id__in=partner_ids)
            for partner_id, count in _partner_counts(rows):
                loaded[(partner_id, kind)] += count
    # Written last kind first: the page lists the newest first, so they read in the kinds' order.
    for (partner_id, kind), count in sorted(loaded.items(), key=lambda item: -KINDS.index(item[0][1])):
        audit.record(
            scope=None,
            action=BATCH_ACTION,
            obj_type="ingest",
            obj_id=kind,
            partner_id=partner_id,
            after={"kind": kind, "source": "demo", "rows": count, "accepted": count, "duplicates": 0, "rejected": 0},
        )


def _partner_counts(rows: QuerySet[Any]) -> list[tuple[int, int]]:
    return list(rows.order_by().values_list("partner_id").annotate(count=Count("pk")))


def _count_rows() -> tuple[tuple[str, int], ...]:
    return tuple(
        (label, sum(model._default_manager.using(db_for(region)).count() for region in Region.values))
        for label, model in ROW_MODELS
    )


def load_demo(
    *,
    customers: int,
    seed: int,
    today: date,
    call_weeks: int = 8,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Load the demo data set through the ingestion services and return what was loaded.

    `call_weeks` complete weeks of call legs are loaded before the current week, plus the
    current week up to yesterday. With `reset`, every database is emptied first; without it,
    DemoAlreadyLoaded is raised when the demo partners already exist. Raises DemoError for arguments
    outside their ranges."""
    if not 0 <= call_weeks <= MAX_CALL_WEEKS:
        raise DemoError(f"call weeks must be between 0 and {MAX_CALL_WEEKS}, not {call_weeks}")
    report = progress or (lambda message: None)
    started = time.perf_counter()
    phases: list[tuple[str, float]] = []
    mark = started

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases.append((name, now - mark))
        mark = now
        report(f"{name}: {now - started:.1f} s")

    plan = build_plan(customers=customers, seed=seed, today=today)
    phase("plan")
    if reset:
        reset_databases()
        phase("reset")
    elif _already_loaded():
        raise DemoAlreadyLoaded("the demo partners already exist")
    written = {partner.key: _write_partner(partner) for partner in PARTNERS}
    partner_ids = {key: org.pk for key, (org, _, _) in written.items()}
    for customer_plan in plan.customers:
        _write_customer(customer_plan, partner_ids[customer_plan.partner_key])
    phase("customers")
    _, northwind_admins, northwind_scope = written[NORTHWIND.key]
    pam = northwind_admins["pam@northwind.example"]
    for org_id in plan.assigned:
        assign_admin(scope=northwind_scope, org_id=org_id, admin=pam)
    external = written[BLUE_HARBOR.key][1]["ext@blueharbor.example"]
    for org_id in plan.granted:
        grant_external(scope=northwind_scope, org_id=org_id, admin=external)
    for partner in PARTNERS:
        scope = written[partner.key][2]
        for name, color in partner.tags:
            tag = create_tag(scope=scope, name=name, color=color)
            tagged = [c.record.org_id for c in plan.customers if c.partner_key == partner.key and name in c.tags]
            if tagged:
                tag_customers(scope=scope, tag=tag, org_ids=tagged)
    phase("access and tags")
    accepted, duplicates = _write_call_legs(plan, partner_ids, call_weeks, report)
    # What the Sunday job would have frozen for each complete week of the history.
    this_week = week_start(today)
    for region in Region.values:
        for back in range(call_weeks, 0, -1):
            freeze_calling_week(region=region, week_on=this_week - timedelta(weeks=back))
    phase("call legs")
    all_ids = [c.record.org_id for c in plan.customers]
    refresh_statuses(org_ids=all_ids, today=today)
    phase("statuses")
    _record_feeds(list(partner_ids.values()))
    status_counts: Counter[str] = Counter()
    for stored in Customer.objects.filter(org_id__in=all_ids).values_list("statuses", flat=True).iterator():
        status_counts.update(name for name in stored.split(",") if name)
    sign_ins = tuple(
        SignIn(spec.email, spec.role, partner.name, spec.display_name)
        for partner in PARTNERS
        for spec in partner.admins
    )
    by_partner = Counter(c.partner_key for c in plan.customers)
    by_region = Counter(c.record.region for c in plan.customers)
    rows = _count_rows()
    return DemoSummary(
        seed=seed,
        today=today,
        password=DEMO_PASSWORD,
        sign_ins=sign_ins,
        customers_by_partner=tuple((partner.name, by_partner[partner.key]) for partner in PARTNERS),
        customers_by_region=tuple((region, by_region[region]) for region in Region.values),
        statuses=tuple(sorted(status_counts.items())),
        rows=rows,
        call_legs_accepted=accepted,
        call_legs_duplicates=duplicates,
        fingerprint=plan.fingerprint(),
        seconds=time.perf_counter() - started,
        phases=tuple(phases),
    )
