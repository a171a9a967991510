"""Ingestion of one batch of rows of one kind: validate each row, resolve its customer through the
sender's scope, write through the domain's own services, and account for every row.

The REST API, the command line and tests all come through `ingest_batch`. Its promise: every row
submitted is accepted, a duplicate or rejected with its line number and a reason, and a bad row
never stops or loses the good ones (rows are validated first, then written with a savepoint per
row, or for call legs in bulk after every row was validated and resolved)."""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple

from django.db import DataError, IntegrityError, connections, transaction

from accounts import audit
from accounts.roles import Permission
from accounts.scope import NO_ADMIN, Scope
from calling.batch_figures import Counted
from calling.services import LEG_COLUMNS, LegRow, append_leg_rows
from calling.stored_weeks import StoredUserWeeks
from customers.models import Customer
from customers.services import CustomerConflict, record_admin_activity, refresh_statuses, upsert_customer
from inventory.models import Location
from inventory.services import InventoryConflict, upsert_devices, upsert_locations, upsert_numbers
from regions.context import region_atomic
from regions.registry import db_for
from subscriptions.services import (
    SubscriptionConflict,
    upsert_invoices,
    upsert_orders,
    upsert_snapshots,
    upsert_subscriptions,
)

from .activity import BATCH_ACTION
from .fast_legs import UNKNOWN_PARTNER, CheckedLeg, FastLegs, ReadyLegs
from .formats import BadLine, Item, Row
from .validation import KINDS, PARSERS, Parsed, RowInvalid, describe

# Rows validated and written together; bounds memory whatever the size of a batch.
CHUNK_ROWS = 10_000
# Rejected rows listed one by one per batch; beyond this they are only counted, so that a body of
# garbage cannot make the answer (and our memory) grow with it.
MAX_LISTED_REJECTIONS = 10_000
# Customers remembered per batch before the cache starts over (it is only a cache).
_DIRECTORY_CACHE = 50_000
# Ids per `IN (...)` query, below every engine's parameter limit.
_ID_CHUNK = 2_000
# Where a leg row holds its location id.
_LOCATION = LEG_COLUMNS.index("location_id")
# Exceptions a single row's write may raise because of that row; anything else is not the row's
# fault (the database is down, a bug) and propagates.
_ROW_ERRORS = (SubscriptionConflict, InventoryConflict, CustomerConflict, IntegrityError, DataError, ValueError)


class Rejection(NamedTuple):
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What became of a batch: accepted + duplicates + len(rejected) + rejected_unlisted == rows
    submitted (`rejected_unlisted` is 0 unless more than MAX_LISTED_REJECTIONS rows were bad).

    A duplicate is a call leg whose leg id was already stored (or came earlier in the batch), or
    for the other kinds a row identical to an earlier row of the same batch. `rejected` is in
    line order."""

    accepted: int
    duplicates: int
    rejected: list[Rejection]
    rejected_unlisted: int = 0

    @property
    def rows(self) -> int:
        return self.accepted + self.duplicates + len(self.rejected) + self.rejected_unlisted


@dataclass(slots=True)
class _Tally:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    unlisted: int = 0
    affected: set[uuid.UUID] = field(default_factory=set)
    seen: set[bytes] = field(default_factory=set)

    def reject(self, line: int, error: str) -> None:
        if len(self.rejected) < MAX_LISTED_REJECTIONS:
            self.rejected.append(Rejection(line, error))
        else:
            self.unlisted += 1

    def is_repeat(self, parsed: Parsed) -> bool:
        """True (and counted as a duplicate) when an identical row came earlier in the batch."""
        digest = hashlib.blake2b(repr((parsed.org_id, parsed.record)).encode(), digest_size=16).digest()
        if digest in self.seen:
            self.duplicates += 1
            return True
        self.seen.add(digest)
        return False


def _actor(scope: Scope) -> Scope | None:
    return None if scope.admin_id == NO_ADMIN else scope


class _Directory:
    """The customers a batch names, as the scope sees them, loaded in bulk and remembered."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.known: dict[uuid.UUID, Customer | None] = {}

    def load(self, org_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(org_ids)
        if len(self.known) + len(wanted) > _DIRECTORY_CACHE:
            self.known.clear()
        missing = [org_id for org_id in wanted if org_id not in self.known]
        visible = Customer.objects.visible_to(self.scope).only("org_id", "partner_id", "region")
        for start in range(0, len(missing), _ID_CHUNK):
            chunk = missing[start : start + _ID_CHUNK]
            found = {customer.org_id: customer for customer in visible.filter(org_id__in=chunk)}
            for org_id in chunk:
                self.known[org_id] = found.get(org_id)

    def get(self, org_id: uuid.UUID) -> Customer | None:
        return self.known.get(org_id)


def _not_yours(org_id: uuid.UUID, org_label: str = "org_id") -> str:
    # The same words for an unknown org id and another partner's: a refusal leaks nothing.
    return f"{org_label}: {org_id} is not a customer you may write for (unknown, or not assigned to you)"


def _validated(row: Row, parse: Callable[[Mapping[str, object]], Parsed]) -> Parsed | str:
    """The row parsed, or why it is rejected."""
    try:
        return parse(row.values)
    except RowInvalid as invalid:
        return describe(invalid.errors, row.labels)
    except (ValueError, OverflowError, TypeError) as error:
        # A value no validator foresaw must still reject one row, not the batch.
        return f"cannot be read: {error}"


def _parsed(
    chunk: Sequence[Item], parse: Callable[[Mapping[str, object]], Parsed], tally: _Tally
) -> Iterator[tuple[Row, Parsed]]:
    """The valid rows of a chunk; unreadable and invalid ones are rejected on the way."""
    for item in chunk:
        if isinstance(item, BadLine):
            tally.reject(item.line, item.error)
            continue
        if isinstance(item, CheckedLeg):
            raise TypeError(f"line {item.line}: a checked call leg needs no parsing")
        parsed = _validated(item, parse)
        if isinstance(parsed, str):
            tally.reject(item.line, parsed)
        else:
            yield item, parsed


def checked_call_legs(items: Iterable[Item], partner_id: int = UNKNOWN_PARTNER) -> Iterator[CheckedLeg | BadLine]:
    """Call-leg items with every readable row validated: a CheckedLeg, its row that of a leg of
    a customer of `partner_id`, or a BadLine carrying why it is rejected: through the fast path
    where it vouches for the row, else the full validator. Needs no database, so the command's
    reading process does it (ingest.read_ahead) and the validation of CSV and of the Webex
    layout overlaps the writing too."""
    fast = FastLegs(partner_id)
    for item in items:
        if isinstance(item, CheckedLeg):  # checked by the NDJSON reader's fast path
            item.of_partner(partner_id)
            yield item
            continue
        if not isinstance(item, Row):
            yield item
            continue
        leg = fast.check_fields(item.line, item.values, (item.labels or {}).get("org_id", "org_id"))
        if leg is not None:
            yield leg
            continue
        parsed = _validated(item, PARSERS["call-legs"])
        if isinstance(parsed, str):
            yield BadLine(item.line, parsed)
        else:
            yield CheckedLeg.of_record(item.line, parsed.record, item.values, item.labels, partner_id)


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_Write = Callable[[Customer, Any], object]  # Any: the record type of the kind

_REGION_WRITERS: dict[str, _Write] = {
    "subscriptions": lambda customer, record: upsert_subscriptions(customer=customer, records=[record], refresh=False),
    "license-snapshots": lambda customer, record: upsert_snapshots(customer=customer, records=[record]),
    "invoices": lambda customer, record: upsert_invoices(customer=customer, records=[record]),
    "orders": lambda customer, record: upsert_orders(customer=customer, records=[record]),
    "locations": lambda customer, record: upsert_locations(customer=customer, records=[record]),
    "devices": lambda customer, record: upsert_devices(customer=customer, records=[record]),
    "numbers": lambda customer, record: upsert_numbers(customer=customer, records=[record]),
}
# Kinds whose rows change what customer statuses are computed from (SPEC 5.1).
_STATUS_KINDS = frozenset({"subscriptions"})


def _ingest_region_rows(kind: str, chunk: Sequence[Item], directory: _Directory, tally: _Tally) -> None:
    """Upserts into the customers' region databases: one transaction per region and chunk, one
    savepoint per row (each service opens its own atomic block), so a row that conflicts with
    stored data is rejected alone."""
    write = _REGION_WRITERS[kind]
    parsed = [(item, row) for item, row in _parsed(chunk, PARSERS[kind], tally) if not tally.is_repeat(row)]
    directory.load(row.org_id for _, row in parsed)
    by_region: dict[str, list[tuple[int, Customer, object]]] = defaultdict(list)
    for item, row in parsed:
        customer = directory.get(row.org_id)
        if customer is None:
            tally.reject(item.line, _not_yours(row.org_id))
        else:
            by_region[customer.region].append((item.line, customer, row.record))
    for region, rows in by_region.items():
        with region_atomic(region):
            for line, customer, record in rows:
                try:
                    write(customer, record)
                except _ROW_ERRORS as error:
                    tally.reject(line, str(error))
                else:
                    tally.accepted += 1
                    tally.affected.add(customer.org_id)


def _ingest_customers(scope: Scope, chunk: Sequence[Item], directory: _Directory, tally: _Tally) -> None:
    """Directory entries. An admin who sees every customer of the partner may add customers; a
    partner or external admin may only update the customers assigned or granted to them."""
    parsed = [(item.line, row) for item, row in _parsed(chunk, PARSERS["customers"], tally) if not tally.is_repeat(row)]
    directory.load(row.org_id for _, row in parsed)
    hidden = {row.org_id for _, row in parsed if directory.get(row.org_id) is None}
    elsewhere: set[uuid.UUID] = set()
    ids = list(hidden)
    for start in range(0, len(ids), _ID_CHUNK):
        elsewhere.update(
            Customer.objects.filter(org_id__in=ids[start : start + _ID_CHUNK]).values_list("org_id", flat=True)
        )
    with transaction.atomic():
        for line, row in parsed:
            existing = directory.get(row.org_id)
            if existing is None and (row.org_id in elsewhere or not scope.sees_all_partner_customers):
                if scope.sees_all_partner_customers:
                    tally.reject(line, f"org_id: {row.org_id} is already registered to another partner")
                else:
                    tally.reject(
                        line,
                        f"org_id: {row.org_id} is not one of your assigned customers; "
                        "new customers are added by admins who see all of the partner's customers",
                    )
                continue
            partner_id = existing.partner_id if existing is not None else scope.partner_id
            try:
                customer = upsert_customer(partner_id=partner_id, record=row.record, scope=_actor(scope))
            except _ROW_ERRORS as error:
                tally.reject(line, str(error))
            else:
                directory.known[customer.org_id] = customer
                tally.accepted += 1


def _ingest_admin_activity(chunk: Sequence[Item], directory: _Directory, tally: _Tally) -> None:
    """Customer-admin activity: every valid row counts; only each customer's latest time is
    written (the service keeps the latest anyway, and refreshes that customer's statuses)."""
    latest: dict[uuid.UUID, datetime] = {}
    parsed = [
        item_row for item_row in _parsed(chunk, PARSERS["admin-activity"], tally) if not tally.is_repeat(item_row[1])
    ]
    directory.load(row.org_id for _, row in parsed)
    for item, row in parsed:
        if directory.get(row.org_id) is None:
            tally.reject(item.line, _not_yours(row.org_id))
            continue
        tally.accepted += 1
        if row.org_id not in latest or row.record > latest[row.org_id]:
            latest[row.org_id] = row.record
    for org_id, at in latest.items():
        record_admin_activity(org_id=org_id, at=at)


def _location_ids(region: str, wanted: set[tuple[uuid.UUID, str]]) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    """Location ids by (customer, site name, compared without case), for records that name their
    location instead of giving its id."""
    found: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
    orgs = list({org_id for org_id, _ in wanted})
    for start in range(0, len(orgs), _ID_CHUNK):
        rows = (
            Location.objects.using(db_for(region))
            .filter(org_id__in=orgs[start : start + _ID_CHUNK])
            .values_list("org_id", "name", "location_id")
        )
        for org_id, name, location_id in rows:
            found.setdefault((org_id, name.casefold()), location_id)
    return found


def _checked_legs(chunk: Sequence[Item], tally: _Tally, partner_id: int) -> list[CheckedLeg]:
    """The valid legs of a chunk, in its order (of two legs with one leg id, the earlier is the
    one stored), as legs of the partner's customers; the invalid and unreadable ones are
    rejected on the way."""
    legs: list[CheckedLeg] = []
    for item in checked_call_legs(chunk, partner_id):
        if isinstance(item, BadLine):
            tally.reject(item.line, item.error)
        else:
            legs.append(item)
    return legs


def _ingest_call_legs(
    chunk: Sequence[Item],
    directory: _Directory,
    tally: _Tally,
    counted: Counted | None = None,
    stored_weeks: StoredUserWeeks | None = None,
) -> None:
    """Call legs: every row validated and its customer resolved first, then one bulk append per
    region (calling.services.append_leg_rows: deduplicated on leg id, rollups in the same
    transaction), with the region's part of what the chunk's checked legs add to the rollups if
    all are new, where that was `counted` ahead, and the user weeks `stored_weeks` knows left out."""
    # Rows are checked as legs of the scope's partner's customers (the command's reading
    # process does that already), which most of all a scope sees are: only the rows of a customer
    # seen through a grant from another partner are made again.
    legs = _checked_legs(chunk, tally, directory.scope.partner_id)
    orgs = {org_hex: uuid.UUID(org_hex) for org_hex in {leg.row[0] for leg in legs}}
    directory.load(orgs.values())
    customers = {org_hex: directory.get(org_id) for org_hex, org_id in orgs.items()}
    by_region: dict[str, list[LegRow]] = defaultdict(list)
    named: dict[str, list[tuple[int, uuid.UUID, str]]] = defaultdict(list)
    for leg in legs:
        row = leg.row
        customer = customers[row[0]]
        if customer is None:
            tally.reject(leg.line, _not_yours(orgs[row[0]], leg.org_label))
            continue
        if row[1] != customer.partner_id:
            row = (row[0], customer.partner_id, *row[2:])
        region_rows = by_region[customer.region]
        region_rows.append(row)
        if leg.location_name:
            named[customer.region].append((len(region_rows) - 1, orgs[row[0]], leg.location_name))
    site_ids: dict[str, dict[tuple[str, str], str]] = {}
    for region, positions in named.items():
        region_rows = by_region[region]
        ids = _location_ids(region, {(org_id, name) for _, org_id, name in positions})
        site_ids[region] = {(org_id.hex, name): location_id.hex for (org_id, name), location_id in ids.items()}
        for index, org_id, name in positions:
            location_id = ids.get((org_id, name))
            if location_id is not None:
                row = region_rows[index]
                region_rows[index] = (*row[:_LOCATION], location_id.hex, *row[_LOCATION + 1 :])
    for region, rows in by_region.items():
        of_region = None if counted is None else _of_orgs(counted, {str(row[0]) for row in rows}, site_ids.get(region))
        result = append_leg_rows(region=region, rows=rows, counted=of_region, stored_weeks=stored_weeks)
        tally.accepted += result.accepted
        tally.duplicates += result.duplicates


def _store_ready_legs(
    legs: ReadyLegs, directory: _Directory, tally: _Tally, counted: Counted | None, stored_weeks: StoredUserWeeks | None
) -> bool:
    """Store call legs made ready for COPY as they are, with the figures `counted` for them, when
    every customer they name is one the scope sees, of the partner their rows were made for, and
    all are in one region; False, with nothing done, otherwise (the legs are then ingested as
    any others: their rejections need their lines, other regions and partners rows of their own)."""
    orgs = [uuid.UUID(org_hex) for org_hex in legs.org_hexes]
    directory.load(orgs)
    customers = [directory.get(org_id) for org_id in orgs]
    regions = {customer.region for customer in customers if customer is not None}
    if len(regions) != 1 or any(customer is None or customer.partner_id != legs.partner_id for customer in customers):
        return False
    result = append_leg_rows(region=regions.pop(), rows=legs.rows(), counted=counted, stored_weeks=stored_weeks)
    tally.accepted += result.accepted
    tally.duplicates += result.duplicates
    return True


def _of_orgs(counted: Counted, org_hexes: set[str], site_ids: Mapping[tuple[str, str], str] | None) -> Counted:
    """What `counted` counts for these customers alone, with the ids of the sites its legs name
    (by org hex and name) in place of their names."""
    if site_ids is None:
        return lambda: counted().of_orgs(org_hexes)
    return lambda: counted().of_orgs(org_hexes).with_sites(site_ids)


def ingest_batch(
    *,
    scope: Scope,
    kind: str,
    rows: Iterable[Item],
    source: str = "api",
    chunk_size: int = CHUNK_ROWS,
    counted: Counted | None = None,
    stored_weeks: StoredUserWeeks | None = None,
    ready_legs: ReadyLegs | None = None,
) -> BatchResult:
    """Ingest one batch of rows (from ingest.formats readers) of one kind for the scope.

    Rows name their customer by `org_id`; a customer the scope may not see (or that does not
    exist) is a rejected row, the same for both. Writes go through the domain services in chunks
    of `chunk_size` rows, each chunk its own transaction per database, so a large batch never
    holds more than one chunk in memory; re-sending a batch is harmless (upserts, and call legs
    are deduplicated on leg id). Statuses of the customers a batch changed are recomputed once at
    its end, and one audit event records the batch (kind, counts, who, from where).

    `counted`, for call legs read ahead (ingest.read_ahead), returns what the batch's checked
    legs add to the rollups if they are all new (calling.batch_figures); it applies when the
    batch is one chunk. `stored_weeks`, kept by a caller that ingests batch after batch, spares
    each batch the user weeks the earlier ones stored (calling.stored_weeks). `ready_legs`, call
    legs the command's reading process made ready for COPY, belong to the batch besides `rows`;
    `counted`, if given, counts them alone.

    Raises NotAllowed without the INGEST permission (for a token: its `ingest` scope), and
    ValueError for an unknown kind."""
    scope.require(Permission.INGEST)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    tally = _Tally()
    directory = _Directory(scope)
    if ready_legs is not None:
        if kind != "call-legs":
            raise ValueError(f"legs made ready for COPY are call legs, not {kind}")
        if _store_ready_legs(ready_legs, directory, tally, counted, stored_weeks):
            counted = None
        else:
            rows = [*rows, *ready_legs.checked()]
    if not (isinstance(rows, Sequence) and len(rows) <= chunk_size):
        counted = None  # counted for the whole batch, not for one of its chunks
    for chunk in _chunks(rows, chunk_size):
        if kind == "call-legs":
            _ingest_call_legs(chunk, directory, tally, counted, stored_weeks)
        elif kind == "customers":
            _ingest_customers(scope, chunk, directory, tally)
        elif kind == "admin-activity":
            _ingest_admin_activity(chunk, directory, tally)
        else:
            _ingest_region_rows(kind, chunk, directory, tally)
    if kind in _STATUS_KINDS and tally.affected:
        refresh_statuses(org_ids=tally.affected)
    result = BatchResult(
        accepted=tally.accepted,
        duplicates=tally.duplicates,
        rejected=sorted(tally.rejected, key=lambda r: r.line),
        rejected_unlisted=tally.unlisted,
    )
    audit.record(
        scope=_actor(scope),
        action=BATCH_ACTION,
        obj_type="ingest",
        obj_id=kind,
        partner_id=scope.partner_id,
        after={
            "kind": kind,
            "source": source,
            "rows": result.rows,
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rejected": len(result.rejected) + result.rejected_unlisted,
        },
    )
    return result


@contextmanager
def rolled_back() -> Iterator[None]:
    """A dry run: whatever the block writes, to any database, is undone when it ends, so a batch
    ingested inside it answers exactly as it would (duplicates, conflicts, rejections) and leaves
    nothing behind, its audit event included. Each database's transaction is held for the
    block: on SQLite, other writers wait until it ends."""
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(transaction.atomic(using=alias))
        yield
        for alias in connections:
            transaction.set_rollback(True, using=alias)
