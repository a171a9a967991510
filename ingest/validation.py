"""One raw row (CSV text or decoded NDJSON values) of each ingestion kind turned into the record
its write service takes, with messages a person understands: each names the field and the value.

Pure: no database. Whether the org id names a customer the sender may write for is decided by
ingest.services, which resolves it through the sender's scope."""

import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from calling.rules import CallLegRecord, InvalidRow, parse_call_leg, week_start
from customers.services import CustomerRecord
from customers.statuses import Product
from inventory.models import NumberType, OwnerType
from inventory.services import DeviceRecord, LocationRecord, NumberRecord
from regions.registry import Region
from subscriptions.models import InvoiceStatus, OrderKind, SubscriptionKind, SubscriptionState
from subscriptions.services import InvoiceRecord, LicenseLineRecord, OrderRecord, SnapshotRecord, SubscriptionRecord

KINDS = (
    "customers",
    "subscriptions",
    "license-snapshots",
    "invoices",
    "orders",
    "admin-activity",
    "locations",
    "devices",
    "numbers",
    "call-legs",
)

# Dates outside this range are typing mistakes, and some would overflow date arithmetic later.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
# Call legs from before 2000 or more than a day ahead of the clock are not real calls.
EARLIEST_CALL = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
MAX_COUNT = 2_147_483_647  # PositiveIntegerField
MAX_SMALL = 32_767  # PositiveSmallIntegerField
MAX_LINES = 1_000  # license lines of one subscription row, or lines of one order
_E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")
_MAC = re.compile(r"^[0-9A-F]{12}$")
_TRUE = frozenset({"1", "true", "t", "yes", "y"})
_FALSE = frozenset({"0", "false", "f", "no", "n"})


class RowInvalid(ValueError):
    """A row that cannot be accepted; `errors` maps each bad field to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(describe(self.errors))


def describe(errors: Mapping[str, str], labels: Mapping[str, str] | None = None) -> str:
    """`field: why; other: why`, naming fields as the sender knows them when `labels` say so."""
    names = labels or {}
    return "; ".join(f"{names.get(field, field)}: {why}" for field, why in errors.items())


@dataclass(frozen=True, slots=True)
class Parsed:
    """A valid row: the customer it is about, and the record for that kind's write service."""

    org_id: uuid.UUID
    record: Any  # Any: one of the service record dataclasses, chosen by the kind


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


class Fields:
    """Reads the fields of one raw row, collecting every problem instead of stopping at the first.
    An absent field, JSON null and an empty or blank CSV cell all mean "not given"."""

    def __init__(self, raw: Mapping[str, object], prefix: str = "") -> None:
        self.raw = raw
        self.prefix = prefix
        self.errors: dict[str, str] = {}

    def fail(self, name: str, why: str) -> None:
        self.errors.setdefault(self.prefix + name, why)

    def given(self, name: str) -> object:
        value = self.raw.get(name)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _required(self, name: str, required: bool) -> None:
        if required:
            self.fail(name, "is required")

    def text(self, name: str, *, max_length: int, required: bool = False) -> str:
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(name, f"expected text, got {_type_name(value)}")
            return ""
        text = " ".join(str(value).split())
        if len(text) > max_length:
            self.fail(name, f"is {len(text):,} characters long; at most {max_length} are allowed")
            return ""
        return text

    def uuid(self, name: str, *, required: bool = False) -> uuid.UUID | None:
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return None
        if not isinstance(value, str):
            self.fail(name, f"expected a UUID, got {_type_name(value)}")
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.fail(name, f"{_shown(value)} is not a UUID (e.g. 4f6b1c1e-8f1a-4c1e-9f6b-1c1e8f1a4c1e)")
            return None

    def day(self, name: str, *, required: bool = False) -> date | None:
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return None
        if not isinstance(value, str):
            self.fail(name, f"expected a date, got {_type_name(value)}")
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{_shown(value)} is not a date of the form YYYY-MM-DD")
            return None
        if not EARLIEST_DAY <= parsed <= LATEST_DAY:
            self.fail(name, f"{value} is out of range ({EARLIEST_DAY} to {LATEST_DAY})")
            return None
        return parsed

    def moment(self, name: str, *, required: bool = False) -> datetime | None:
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return None
        if not isinstance(value, str):
            self.fail(name, f"expected a date-time, got {_type_name(value)}")
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(name, f"{_shown(value)} is not an ISO 8601 date-time (e.g. 2026-01-04T09:30:00Z)")
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(
                name, f"{_shown(value)} needs a UTC offset (e.g. 2026-01-04T09:30:00Z); without one it is ambiguous"
            )
            return None
        if not EARLIEST_DAY <= parsed.date() <= LATEST_DAY:
            self.fail(name, f"{value} is out of range ({EARLIEST_DAY} to {LATEST_DAY})")
            return None
        return parsed.astimezone(UTC)

    def count(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = 0,
        minimum: int = 0,
        maximum: int = MAX_COUNT,
    ) -> int | None:
        """A whole number from `minimum` to `maximum`."""
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return default
        number: int | None = None
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,15}(\.0*)?", value):
            number = int(float(value))
        if number is None:
            self.fail(name, f"{_shown(value)} is not a whole number")
            return default
        if not minimum <= number <= maximum:
            self.fail(name, f"{number} is out of range ({minimum:,} to {maximum:,})")
            return default
        return number

    def amount(self, name: str, *, required: bool = False) -> Decimal | None:
        """A money amount with at most 2 decimals and 12 digits before the point."""
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(name, f"expected an amount, got {_type_name(value)}")
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            self.fail(name, f"{_shown(value)} is not an amount (e.g. 1250.00)")
            return None
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
            self.fail(name, f"{_shown(value)} is out of range (less than 1,000,000,000,000 either way)")
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.fail(name, f"{_shown(value)} has more than 2 decimal places")
            return None
        return amount.quantize(Decimal("0.01"))

    def flag(self, name: str, *, default: bool) -> bool:
        value = self.given(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower() if isinstance(value, str | int) else ""
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        self.fail(name, f"{_shown(value)} is not true or false")
        return default

    def choice(self, name: str, allowed: Iterable[str], *, required: bool = False) -> str:
        """One of `allowed` (compared without case), returned as spelled in `allowed`."""
        options = {option.lower(): option for option in allowed if option}
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return ""
        chosen = options.get(value.lower()) if isinstance(value, str) else None
        if chosen is None:
            self.fail(name, f"{_shown(value)} is not one of {', '.join(options.values())}")
            return ""
        return chosen

    def code(self, name: str, *, length: int, required: bool = False) -> str:
        """A country (2 letters) or currency (3 letters) code, stored upper-case."""
        value = self.given(name)
        if value is None:
            self._required(name, required)
            return ""
        if not isinstance(value, str) or not re.fullmatch(f"[A-Za-z]{{{length}}}", value):
            what = "country code (e.g. DE)" if length == 2 else "currency code (e.g. EUR)"
            self.fail(name, f"{_shown(value)} is not a {length}-letter {what}")
            return ""
        return value.upper()

    def items(self, name: str) -> list[Mapping[str, object]]:
        """A list of objects: a JSON array in NDJSON, or JSON text in a CSV cell."""
        value = self.given(name)
        if value is None:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                self.fail(name, "is not a JSON array of objects")
                return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.fail(name, f"expected a list of objects, got {_type_name(value)}")
            return []
        if len(value) > MAX_LINES:
            self.fail(name, f"has {len(value):,} entries; at most {MAX_LINES:,} are allowed")
            return []
        return value

    def done(self) -> None:
        if self.errors:
            raise RowInvalid(self.errors)


def _org(fields: Fields) -> uuid.UUID:
    return fields.uuid("org_id", required=True) or uuid.UUID(int=0)


def _not_before(fields: Fields, name: str, later: date | None, earlier: date | None, earlier_name: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        fields.fail(name, f"{later} is before {earlier_name} {earlier}")


def parse_customer(raw: Mapping[str, object]) -> Parsed:
    fields = Fields(raw)
    org_id = _org(fields)
    name = fields.text("name", max_length=200, required=True)
    region = fields.choice("region", Region.values, required=True)
    external_id = fields.text("external_id", max_length=100)
    created_at = fields.moment("created_at")
    fields.done()
    return Parsed(org_id, CustomerRecord(org_id, name, region, external_id, created_at))


def _license_line(fields: Fields) -> LicenseLineRecord:
    return LicenseLineRecord(
        product=fields.choice("product", Product.values, required=True),
        sku=fields.text("sku", max_length=60, required=True),
        quantity=fields.count("quantity", required=True) or 0,
        assigned=fields.count("assigned") or 0,
        used=fields.count("used") or 0,
    )


_Line = TypeVar("_Line")


def _lines(fields: Fields, parse_line: Callable[[Fields], _Line]) -> list[_Line]:
    """A row's lines: each object of its `lines` (errors named `lines[i].field`), then one more
    from its flat `product`, `sku` and `quantity` columns when any of them is given."""
    lines = []
    for index, item in enumerate(fields.items("lines")):
        line_fields = Fields(item, prefix=f"lines[{index}].")
        lines.append(parse_line(line_fields))
        fields.errors.update(line_fields.errors)
    if any(fields.given(name) is not None for name in ("sku", "product", "quantity")):
        lines.append(parse_line(fields))
    return lines


def _repeated_skus(fields: Fields, skus: Iterable[str]) -> None:
    """License lines are stored one per SKU, so a repeated SKU would silently keep only its last
    line: the row is refused instead."""
    times = Counter(sku for sku in skus if sku)
    repeated = [
        f"sku {_shown(sku)} appears {'twice' if n == 2 else f'{n:,} times'}" for sku, n in times.items() if n > 1
    ]
    if repeated:
        fields.fail("lines", ", ".join(repeated))


def parse_subscription(raw: Mapping[str, object]) -> Parsed:
    """A subscription with its license lines: `lines` (a list of objects with product, sku,
    quantity, assigned, used) and/or one line in flat columns of the same names (handy in CSV,
    one row per line: lines not named are kept)."""
    fields = Fields(raw)
    org_id = _org(fields)
    start_on = fields.day("start_on", required=True)
    end_on = fields.day("end_on")
    renewal_on = fields.day("renewal_on")
    _not_before(fields, "end_on", end_on, start_on, "start_on")
    lines = _lines(fields, _license_line)
    _repeated_skus(fields, (line.sku for line in lines))
    record = SubscriptionRecord(
        subscription_id=fields.text("subscription_id", max_length=40, required=True),
        kind=fields.choice("kind", SubscriptionKind.values, required=True),
        state=fields.choice("state", SubscriptionState.values, required=True),
        start_on=start_on or EARLIEST_DAY,
        end_on=end_on,
        auto_renew=fields.flag("auto_renew", default=False),
        renewal_on=renewal_on,
        trial_days=fields.count("trial_days", default=None, maximum=MAX_SMALL),
        lines=tuple(lines),
    )
    fields.done()
    return Parsed(org_id, record)


def parse_snapshot(raw: Mapping[str, object]) -> Parsed:
    fields = Fields(raw)
    org_id = _org(fields)
    week_on = fields.day("week_on", required=True)
    if week_on is not None and week_start(week_on) != week_on:
        fields.fail("week_on", f"{week_on} is a {week_on:%A}; license weeks start on Sunday")
    record = SnapshotRecord(
        subscription_id=fields.text("subscription_id", max_length=40, required=True),
        sku=fields.text("sku", max_length=60, required=True),
        week_on=week_on or EARLIEST_DAY,
        quantity=fields.count("quantity", required=True) or 0,
        assigned=fields.count("assigned", required=True) or 0,
        used=fields.count("used", required=True) or 0,
    )
    fields.done()
    return Parsed(org_id, record)


def parse_invoice(raw: Mapping[str, object]) -> Parsed:
    fields = Fields(raw)
    org_id = _org(fields)
    issued_on = fields.day("issued_on", required=True)
    due_on = fields.day("due_on", required=True)
    _not_before(fields, "due_on", due_on, issued_on, "issued_on")
    record = InvoiceRecord(
        subscription_id=fields.text("subscription_id", max_length=40, required=True),
        number=fields.text("number", max_length=40, required=True),
        issued_on=issued_on or EARLIEST_DAY,
        due_on=due_on or EARLIEST_DAY,
        total_amount=fields.amount("total_amount", required=True) or Decimal(0),
        currency=fields.code("currency", length=3, required=True),
        status=fields.choice("status", InvoiceStatus.values, required=True),
    )
    fields.done()
    return Parsed(org_id, record)


def _order_line(fields: Fields) -> dict[str, object]:
    """One line of an order, as the customer page shows it ("sku x quantity"): the same product
    and SKU rules as a license line, and at least one seat. Only these keys are stored."""
    return {
        "product": fields.choice("product", Product.values, required=True),
        "sku": fields.text("sku", max_length=60, required=True),
        "quantity": fields.count("quantity", required=True, minimum=1),
    }


def parse_order(raw: Mapping[str, object]) -> Parsed:
    """An order with `lines` (a list of objects with product, sku and quantity, or JSON text in
    CSV) and/or one line in flat columns of the same names; at least one line. A SKU may appear
    on more than one line: order lines are kept as sent, so none is lost."""
    fields = Fields(raw)
    org_id = _org(fields)
    lines = _lines(fields, _order_line)
    if not lines and "lines" not in fields.errors:
        fields.fail("lines", "an order needs at least one line (lines, or product, sku and quantity)")
    record = OrderRecord(
        subscription_id=fields.text("subscription_id", max_length=40, required=True),
        number=fields.text("number", max_length=40, required=True),
        ordered_on=fields.day("ordered_on", required=True) or EARLIEST_DAY,
        kind=fields.choice("kind", OrderKind.values, required=True),
        lines=tuple(lines),
    )
    fields.done()
    return Parsed(org_id, record)


def parse_admin_activity(raw: Mapping[str, object], *, now: datetime | None = None) -> Parsed:
    """When the customer's own admins were last seen active (`at`, with a UTC offset)."""
    fields = Fields(raw)
    org_id = _org(fields)
    at = fields.moment("at", required=True)
    now = now or datetime.now(UTC)
    if at is not None and at > now + CLOCK_SKEW:
        fields.fail("at", f"{at.isoformat()} is in the future")
    fields.done()
    assert at is not None
    return Parsed(org_id, at)


def parse_location(raw: Mapping[str, object]) -> Parsed:
    fields = Fields(raw)
    org_id = _org(fields)
    record = LocationRecord(
        location_id=fields.uuid("location_id", required=True) or uuid.UUID(int=0),
        name=fields.text("name", max_length=200, required=True),
        country=fields.code("country", length=2, required=True),
        address=fields.text("address", max_length=300),
    )
    fields.done()
    return Parsed(org_id, record)


def parse_device(raw: Mapping[str, object]) -> Parsed:
    fields = Fields(raw)
    org_id = _org(fields)
    mac = fields.text("mac", max_length=17, required=True).replace(":", "").replace("-", "").upper()
    if mac and not _MAC.match(mac):
        fields.fail("mac", f"{_shown(fields.given('mac'))} is not a MAC address of 12 hex digits")
    record = DeviceRecord(
        mac=mac,
        product=fields.text("product", max_length=80, required=True),
        location_id=fields.uuid("location_id"),
        firmware=fields.text("firmware", max_length=80),
        primary_number=fields.text("primary_number", max_length=20),
        extension=fields.text("extension", max_length=10),
        user_id=fields.text("user_id", max_length=200),
        user_uuid=fields.uuid("user_uuid"),
    )
    fields.done()
    return Parsed(org_id, record)


def parse_number(raw: Mapping[str, object]) -> Parsed:
    """A PSTN number (E.164) and/or an extension; at least one of the two."""
    fields = Fields(raw)
    org_id = _org(fields)
    number = fields.text("number", max_length=16)
    if number and not _E164.match(number):
        fields.fail("number", f"{number!r} is not an E.164 number (+ and 6 to 15 digits)")
    extension = fields.text("extension", max_length=10)
    if not number and not extension and "number" not in fields.errors and "extension" not in fields.errors:
        fields.fail("number", "a number or an extension is required")
    record = NumberRecord(
        country=fields.code("country", length=2, required=True),
        number=number,
        extension=extension,
        location_id=fields.uuid("location_id"),
        pstn_provider=fields.text("pstn_provider", max_length=80),
        active=fields.flag("active", default=True),
        owner_type=fields.choice("owner_type", OwnerType.values),
        number_type=fields.choice("number_type", NumberType.values),
        user_id=fields.text("user_id", max_length=200),
        user_uuid=fields.uuid("user_uuid"),
    )
    fields.done()
    return Parsed(org_id, record)


def parse_call_leg_row(raw: Mapping[str, object], *, now: datetime | None = None) -> Parsed:
    """A call leg as calling.rules.parse_call_leg reads it, started between 2000 and a day ahead
    of the clock. The record's partner is still unset (the caller resolves the customer)."""
    try:
        leg = parse_call_leg(raw)
    except InvalidRow as invalid:
        raise RowInvalid(invalid.errors) from None
    now = now or datetime.now(UTC)
    if not EARLIEST_CALL <= leg.started_at <= now + CLOCK_SKEW:
        raise RowInvalid(
            {"started_at": f"{leg.started_at.isoformat()} is out of range (from 2000 to no later than tomorrow)"}
        )
    return Parsed(leg.org_id, leg)


_CALL_LEG_FIELDS = frozenset(field.name for field in dataclass_fields(CallLegRecord)) - {"partner_id"} | {
    "location_name"
}

PARSERS: dict[str, Callable[[Mapping[str, object]], Parsed]] = {
    "customers": parse_customer,
    "subscriptions": parse_subscription,
    "license-snapshots": parse_snapshot,
    "invoices": parse_invoice,
    "orders": parse_order,
    "admin-activity": parse_admin_activity,
    "locations": parse_location,
    "devices": parse_device,
    "numbers": parse_number,
    "call-legs": parse_call_leg_row,
}

# The fields each kind reads; any other column of a body is reported as ignored.
FIELDS: dict[str, frozenset[str]] = {
    "customers": frozenset({"org_id", "name", "region", "external_id", "created_at"}),
    "subscriptions": frozenset(
        {
            "org_id",
            "subscription_id",
            "kind",
            "state",
            "start_on",
            "end_on",
            "auto_renew",
            "renewal_on",
            "trial_days",
            "lines",
            "product",
            "sku",
            "quantity",
            "assigned",
            "used",
        }
    ),
    "license-snapshots": frozenset({"org_id", "subscription_id", "sku", "week_on", "quantity", "assigned", "used"}),
    "invoices": frozenset(
        {"org_id", "subscription_id", "number", "issued_on", "due_on", "total_amount", "currency", "status"}
    ),
    "orders": frozenset(
        {"org_id", "subscription_id", "number", "ordered_on", "kind", "lines", "product", "sku", "quantity"}
    ),
    "admin-activity": frozenset({"org_id", "at"}),
    "locations": frozenset({"org_id", "location_id", "name", "country", "address"}),
    "devices": frozenset(
        {
            "org_id",
            "mac",
            "product",
            "location_id",
            "firmware",
            "primary_number",
            "extension",
            "user_id",
            "user_uuid",
        }
    ),
    "numbers": frozenset(
        {
            "org_id",
            "country",
            "number",
            "extension",
            "location_id",
            "pstn_provider",
            "active",
            "owner_type",
            "number_type",
            "user_id",
            "user_uuid",
        }
    ),
    "call-legs": _CALL_LEG_FIELDS,
}
assert set(PARSERS) == set(FIELDS) == set(KINDS)
