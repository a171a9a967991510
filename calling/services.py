"""The Calling write path: append call legs in bulk and keep the rollups that pages read.

Legs go in through the region connection's cursor (executemany on SQLite, COPY into a temporary
stage on PostgreSQL): `bulk_create` is several times slower and cannot say which rows were
duplicates (DESIGN 8). The rollups are then derived from the legs just accepted in a handful of
set-based statements (INSERT ... SELECT ... GROUP BY ... ON CONFLICT), run by the engine: done row
by row in Python in the writing process, that arithmetic and its upserts cost several times more
than storing the legs. The command line counts a batch's figures in its reading process instead,
on the other core (calling.batch_figures): a batch of new legs then adds those, and only the calls
that already had legs are placed in SQL.
Rows written this way must match Django's own storage formats; a round-trip test reads them back
through the ORM."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg
from django.db import IntegrityError, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, Count, F, IntegerField, Max, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Collate, RowNumber, TruncDate
from django.utils import timezone

from regions.context import region_atomic

from .batch_figures import BatchFigures, Counted, UserWeek
from .copy_rows import CopyReadyRows
from .models import NO_LOCATION, CallDailyRollup, CallingUserWeek, CallingWeek, CallLeg, Feature
from .rules import (
    CALL_FIGURES,
    LEG_FIGURES,
    POOR_JITTER_MS,
    POOR_LATENCY_MS,
    POOR_LOSS_PCT,
    ROLLUP_FIGURES,
    Bucket,
    CallLegRecord,
    week_start,
)
from .stored_weeks import StoredUserWeeks


@dataclass(frozen=True, slots=True)
class AppendResult:
    """How many legs of a batch were stored, and how many were already known (earlier batches
    or earlier in the same batch)."""

    accepted: int
    duplicates: int


LEG_COLUMNS = (
    "org_id",
    "partner_id",
    "leg_id",
    "call_id",
    "location_id",
    "user_id",
    "started_at",
    "duration_seconds",
    "direction",
    "media",
    "endpoint_type",
    "jitter_ms",
    "latency_ms",
    "loss_pct",
    "feature",
    "transferred",
    "queue_outcome",
    "queue_wait_seconds",
)
# The PostgreSQL stage's column types, those of the call-leg table.
_STAGE_TYPES = (
    "uuid",
    "integer",
    "text",
    "text",
    "uuid",
    "text",
    "timestamp with time zone",
    "integer",
    "text",
    "text",
    "text",
    "double precision",
    "double precision",
    "double precision",
    "text",
    "boolean",
    "text",
    "integer",
)
_BUCKET = ("org_id", "location_id", "day", "endpoint_type", "media")
_QUEUE_OUTCOMES = ("answered", "timed_out", "overflowed", "transferred", "abandoned")
_CALL_FLAGS = ("hunt_group", "auto_attendant", "call_queue", "transferred")
_FLAG_OF_LEG = (
    ("hunt_group", "feature = 'hunt_group'"),
    ("auto_attendant", "feature = 'auto_attendant'"),
    ("call_queue", "feature = 'call_queue'"),
    ("transferred", "transferred"),
)
_PLACEMENT = _BUCKET[1:]

# A value as the database driver takes it.
DbValue = bool | int | float | str | None
# One call leg as `append_leg_rows` takes it, in LEG_COLUMNS order and the same on both engines:
# UUIDs as 32 hex digits, started_at as naive UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]` (Django's
# SQLite storage format; PostgreSQL reads it as UTC).
LegRow = tuple[DbValue, ...]

# Namespace of the PostgreSQL advisory locks that serialise appends per customer: two batches of
# one customer must not both read a call's placement before either has written it.
_APPEND_LOCK_NAMESPACE = 0x43414C4C


def stored_moment(moment: datetime) -> str:
    """An aware datetime as a leg row holds it: naive UTC text."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def leg_row(leg: CallLegRecord, partner_id: int) -> LegRow:
    """The storage row of a validated leg of a customer of `partner_id`."""
    return (leg.org_id.hex, partner_id, *leg_values(leg))


def leg_values(leg: CallLegRecord) -> tuple[DbValue, ...]:
    """A validated leg's storage values after org_id and partner_id (see LEG_COLUMNS)."""
    return (
        leg.leg_id,
        leg.call_id,
        None if leg.location_id is None else leg.location_id.hex,
        leg.user_id,
        stored_moment(leg.started_at),
        leg.duration_seconds,
        leg.direction,
        leg.media,
        leg.endpoint_type,
        leg.jitter_ms,
        leg.latency_ms,
        leg.loss_pct,
        leg.feature,
        leg.transferred,
        leg.queue_outcome,
        leg.queue_wait_seconds,
    )


_IN_LATER_CALLS = "(org_id, call_id) IN (SELECT org_id, call_id FROM later_calls)"
# Where a leg row holds what an engine reads back in types of its own (ids as UUIDs, times as
# datetimes, SQLite's booleans as integers).
_UUIDS = (LEG_COLUMNS.index("org_id"), LEG_COLUMNS.index("location_id"))
_STARTED_AT = LEG_COLUMNS.index("started_at")
_TRANSFERRED = LEG_COLUMNS.index("transferred")


def _leg_id(row: LegRow) -> str:
    return str(row[2])


def _lock_key(org_hex: str) -> int:
    """The advisory lock of a customer: the first 32 bits of its org id, as a signed integer."""
    key = int(org_hex[:8], 16)
    return key - (1 << 32) if key >= 1 << 31 else key


class _LegStore:
    """Stores a batch's new legs, names them (`accepted`, a table or subquery) for the rollup
    statements and places their calls (`_place_calls`), with the few SQL spellings that differ
    between the engines."""

    accepted = ""
    no_location = ""
    code_point = ""
    # Whether the legs' and the calls' changes of a bucket are summed before one upsert: on
    # PostgreSQL every update writes a new row version, so one write per bucket is much cheaper;
    # SQLite updates in place, and its sorter costs more than the second write.
    merge_changes = False
    # Whether the calls that move are counted with the legs of the bucket they move to, so that
    # one upsert of those buckets does instead of two: on SQLite that spares an update of most
    # buckets a batch touches (four weeks, 200,000 legs: 1.41 -> 1.12 s); where the changes are
    # merged before their one upsert (PostgreSQL) the join costs more than it saves.
    moved_calls_with_legs = False
    # Whether a batch's user weeks are made distinct and the stored ones left out before the
    # insert: most are stored already, and on PostgreSQL an insert that conflicts costs several
    # lookups; on SQLite the conflict check is the lookup, and the sorter costs more.
    skip_known_weeks = False
    # Whether a counted batch inserts the user weeks its figures list (less those the run knows
    # stored) rather than those of its stored legs: on PostgreSQL that spares grouping the legs
    # again (one day: 0.40-0.48 s -> 0.12-0.24 s per 200,000 legs). On SQLite the time was the
    # same either way, and a 10 M-leg run's peak memory grew by 59-64 MB over a 1 M-leg run's
    # with it, against 14-22 MB without.
    weeks_from_figures = False

    def __init__(self, cursor: CursorWrapper) -> None:
        self.cursor = cursor
        self.legs = CallLeg._meta.db_table
        # Whether the batch's rollup changes come from its counted figures (BatchFigures), and
        # whether some of its calls were placed in SQL all the same (`place_later_calls`).
        self.counted = False
        self.placed_later = False
        self.batch_legs = ""
        # The highest leg row id before this batch's, where its legs were stored by row id.
        self._before = 0
        # Where the figures were counted: the batch's user weeks, and its customers' partners.
        self.user_weeks: list[UserWeek] = []
        self.partners: dict[str, int] = {}

    def store(self, rows: Sequence[LegRow], counted: Counted | None) -> int:
        """Insert the rows whose leg id is not stored yet (the first of a leg id wins) and stage
        what `_roll_up` needs, or with `counted` (what the rows add to the rollups if all are
        new) and every row new, add those figures; returns how many rows were inserted."""
        raise NotImplementedError

    def place_later_calls(self, rows: Sequence[LegRow]) -> list[LegRow]:
        """For a batch of new legs whose rollup changes were counted: place in SQL the calls
        that have earlier legs (few: those a batch boundary or a late leg split), narrowing
        `accepted` to their legs, and return those legs. Call with `accepted` and
        `earlier_legs()` naming the whole batch."""
        self.batch_legs = self.accepted
        self.counted = True
        self.temporary("later_calls", f"SELECT DISTINCT org_id, call_id FROM {self.earlier_legs()} AS earlier")
        self.cursor.execute("SELECT org_id, call_id FROM later_calls")
        later = {(getattr(org, "hex", org), call) for org, call in self.cursor.fetchall()}
        if not later:
            return []
        self.placed_later = True
        self.narrow_to_later_calls()
        _place_calls(self)
        # Read back rather than picked out of `rows`: rows made ready for COPY are never made.
        self.cursor.execute(f"SELECT {', '.join(LEG_COLUMNS)} FROM {self.accepted} AS legs")
        return [_as_leg_row(values) for values in self.cursor.fetchall()]

    def narrow_to_later_calls(self) -> None:
        """Make `accepted` and `earlier_legs()` name only the legs of the calls in `later_calls`
        (the batch's legs are those above row id `_before`)."""
        self.accepted = f'(SELECT * FROM "{self.legs}" WHERE id > {self._before} AND {_IN_LATER_CALLS})'

    def add_counted(self, counted: Counted, rows: Sequence[LegRow], later: Sequence[LegRow]) -> None:
        """Add the counted figures of the batch `rows` to the rollups, less the calls of `later`
        (placed in SQL)."""
        figures = counted()
        if later:
            figures = figures.without_calls(later)
        self.partners = _partners(rows)
        self.user_weeks = figures.user_weeks
        self.upsert_figures(figures)

    def upsert_figures(self, figures: BatchFigures) -> None:
        """Add figures to the rollups."""
        raise NotImplementedError

    def add_user_weeks(self, weeks: list[UserWeek]) -> None:
        """Insert those of `weeks` (of the counted batch's customers) not stored yet."""
        raise NotImplementedError

    def earlier_legs(self) -> str:
        """The legs stored before this batch of the calls the batch's legs belong to."""
        raise NotImplementedError

    def day(self, moment: str) -> str:
        raise NotImplementedError

    def week(self, moment: str) -> str:
        raise NotImplementedError

    def temporary(self, name: str, select: str) -> None:
        self.cursor.execute(f"CREATE TEMPORARY TABLE {name} AS {select}")

    def first_legs(self, legs: str) -> str:
        """One row per call of `legs` (a table or subquery): its earliest leg there by
        (started_at, leg_id), leg ids compared by code point, with that leg's bucket, and whether
        any of those legs used each feature."""
        raise NotImplementedError

    def _first_leg_columns(self) -> str:
        return (
            "org_id, partner_id, call_id, started_at AS first_started_at, leg_id AS first_leg_id, "
            f"coalesce(location_id, {self.no_location}) AS location_id, {self.day('started_at')} AS day, "
            "endpoint_type, media"
        )

    def done(self) -> None:
        """Drop what `store` staged."""
        self.cursor.execute("DROP TABLE IF EXISTS placed_calls")
        self.cursor.execute("DROP TABLE IF EXISTS later_calls")


class _SqliteLegStore(_LegStore):
    no_location = f"'{NO_LOCATION.hex}'"
    code_point = "BINARY"
    moved_calls_with_legs = True

    def store(self, rows: Sequence[LegRow], counted: Counted | None) -> int:
        # The batch's legs are those above the highest id before it: ids only grow (AUTOINCREMENT)
        # and the write transaction (BEGIN IMMEDIATE) holds the database's one write lock.
        self.cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{self.legs}"')
        before = int(self.cursor.fetchone()[0])
        self.cursor.executemany(
            f'INSERT INTO "{self.legs}" ({", ".join(LEG_COLUMNS)}) VALUES ({", ".join(["%s"] * len(LEG_COLUMNS))}) '
            "ON CONFLICT (leg_id) DO NOTHING",
            rows,
        )
        accepted = self.cursor.rowcount
        # By row id, never an index: the planner would otherwise walk a whole index of the
        # table to have a batch's legs in the order of a GROUP BY.
        self.accepted = f'(SELECT * FROM "{self.legs}" NOT INDEXED WHERE id > {before})'
        # Index entries carry the row id, so the legs' (org_id, call_id) index alone tells the
        # earlier legs of a call from this batch's.
        self._earlier = (
            f'(SELECT * FROM "{self.legs}" WHERE id <= {before} '
            f"AND (org_id, call_id) IN (SELECT org_id, call_id FROM {self.accepted}))"
        )
        self._before = before
        if counted is not None and accepted == len(rows):
            self.add_counted(counted, rows, self.place_later_calls(rows))
        elif accepted:
            _place_calls(self)
        return accepted

    def narrow_to_later_calls(self) -> None:
        super().narrow_to_later_calls()
        self._earlier = f'(SELECT * FROM "{self.legs}" WHERE id <= {self._before} AND {_IN_LATER_CALLS})'

    def upsert_figures(self, figures: BatchFigures) -> None:
        partners = self.partners
        self.cursor.executemany(
            _upsert_rollups("VALUES (" + ", ".join(["%s"] * (len(_BUCKET) + 1 + len(ROLLUP_FIGURES))) + ")"),
            [(org, partners[org], *bucket, *values) for org, *bucket, values in figures.buckets],
        )

    def earlier_legs(self) -> str:
        return self._earlier

    def day(self, moment: str) -> str:
        return f"substr({moment}, 1, 10)"

    def week(self, moment: str) -> str:
        # Six days back, then forward to the next Sunday (or that day, if a Sunday).
        return f"date({moment}, '-6 days', 'weekday 0')"

    def first_legs(self, legs: str) -> str:
        # One pass instead of a window per flag: in a query whose only min() or max() is `first`,
        # SQLite takes the other columns from the row holding that minimum. Times are stored as
        # text that sorts in time order, the shorter whole-second form first, and char(1) sorts
        # below the '.' of a fraction, so `first` orders legs by (started_at, leg_id). Grouped
        # by call id first: call ids differ early, a customer's org ids only in full (twice as fast).
        flags = ", ".join(f"sum({condition}) > 0 AS {flag}" for flag, condition in _FLAG_OF_LEG)
        return (
            f"SELECT {self._first_leg_columns()}, {flags}, min(started_at || char(1) || leg_id) AS first "
            f"FROM {legs} AS legs GROUP BY call_id, org_id"
        )


class _PostgresLegStore(_LegStore):
    no_location = f"'{NO_LOCATION}'::uuid"
    code_point = '"C"'
    merge_changes = True
    skip_known_weeks = True
    weeks_from_figures = True

    def __init__(self, cursor: CursorWrapper) -> None:
        super().__init__(cursor)
        # Staged legs are placed before they are inserted, so every stored leg is an earlier
        # one; legs copied in directly are told from the earlier ones by row id.
        self._earlier_than = ""

    def store(self, rows: Sequence[LegRow], counted: Counted | None) -> int:
        # Rows made ready for COPY have distinct leg ids and name their customers: they are
        # only gone through (and so made) if the staged insert must sort them out.
        ready = isinstance(rows, CopyReadyRows)
        if isinstance(rows, CopyReadyRows):
            first_of_id, org_hexes = {}, set(rows.partners)
        else:
            first_of_id = _first_of_each_id(rows)
            org_hexes = {str(row[0]) for row in first_of_id.values()}
        self._lock_customers(org_hexes)
        # COPY reads the rows' naive UTC times in the session's time zone, made UTC for this
        # transaction.
        self.cursor.execute("SET LOCAL TimeZone = 'UTC'")
        distinct = ready or len(first_of_id) == len(rows)
        if counted is not None and distinct and self._copy_new(rows, org_hexes):
            self.add_counted(counted, rows, self.place_later_calls(rows))
            return len(rows)
        if ready:
            first_of_id = _first_of_each_id(rows)
        # The stage has the legs' own column types.
        stage = ", ".join(f"{column} {kind}" for column, kind in zip(LEG_COLUMNS, _STAGE_TYPES, strict=True))
        self.cursor.execute(f"CREATE TEMPORARY TABLE stage_legs ({stage}) ON COMMIT DROP")
        with self.cursor.cursor.copy("COPY stage_legs FROM STDIN") as copy:
            for row in first_of_id.values():
                copy.write_row(row)
        columns = ", ".join(LEG_COLUMNS)
        # In leg-id order: two batches sharing leg ids then wait for each other in the same order.
        insert = f'INSERT INTO "{self.legs}" ({columns}) SELECT {columns} FROM stage_legs ORDER BY leg_id COLLATE "C"'
        # New legs are the rule: the insert's own unique check finds a stored leg id, and only
        # then are the stored ones left out and the rest inserted again (a stored leg id late
        # in leg-id order wastes part of an insert; checking every leg first would cost a
        # probe per leg in every batch).
        self.accepted = "stage_legs"
        while True:
            try:
                with transaction.atomic(using=self.cursor.db.alias):
                    # Placed before the insert, so that every stored leg of these calls is an
                    # earlier one: this customer's other batches wait for its lock.
                    _place_calls(self)
                    self.cursor.execute(insert)
                    return self.cursor.rowcount
            except IntegrityError:
                # Stored leg ids, or after a first leaving out, one that a batch of another
                # customer stored meanwhile (one customer's batches take turns). A conflict
                # that no stored leg id explains is not ours to hide.
                if not self._leave_out_stored():
                    raise

    def _copy_new(self, rows: Sequence[LegRow], org_hexes: set[str]) -> bool:
        """COPY rows of distinct leg ids straight into the legs table, as the engine's own bulk
        load does, and name them `accepted` (by row id, as on SQLite); False, with nothing
        stored, if a leg id is stored already (the staged path then sorts the batch out)."""
        self.cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{self.legs}"')
        before = int(self.cursor.fetchone()[0])
        try:
            # In leg-id order, like the staged insert: two batches sharing leg ids wait for
            # each other rather than deadlock.
            copy_in = f'COPY "{self.legs}" ({", ".join(LEG_COLUMNS)}) FROM STDIN'
            with transaction.atomic(using=self.cursor.db.alias), self.cursor.cursor.copy(copy_in) as copy:
                if isinstance(rows, CopyReadyRows):
                    copy.write(rows.text)
                else:
                    for row in sorted(rows, key=_leg_id):
                        copy.write_row(row)
        except psycopg.IntegrityError:
            return False
        # Row ids only grow, and this batch's customers are locked. Other customers' legs
        # committed meanwhile may hold ids above `before` too: the filter keeps this batch off
        # their user weeks, which their own batch writes (two batches would wait on each other).
        self._stage("batch_orgs", ("org_id uuid",), ((org_hex,) for org_hex in org_hexes))
        self._before = before
        self._earlier_than = f" AND legs.id <= {before}"
        self.accepted = (
            f'(SELECT * FROM "{self.legs}" WHERE id > {before} AND org_id IN (SELECT org_id FROM batch_orgs))'
        )
        return True

    def upsert_figures(self, figures: BatchFigures) -> None:
        partners = self.partners
        bucket = ("org_id uuid", "partner_id integer", "location_id uuid", "day date", "endpoint_type text")
        self._stage(
            "counted_buckets",
            (*bucket, "media text", *(f"{figure} bigint" for figure in ROLLUP_FIGURES)),
            ((org, partners[org], *rest, *values) for org, *rest, values in figures.buckets),
        )
        self.cursor.execute(_upsert_rollups("SELECT * FROM counted_buckets"))

    def add_user_weeks(self, weeks: list[UserWeek]) -> None:
        partners = self.partners
        self._stage(
            "batch_weeks",
            ("org_id uuid", "partner_id integer", "week_on date", "user_id text"),
            ((org, partners[org], week, user) for org, week, user in weeks),
        )
        self.cursor.execute(_insert_user_weeks(f"SELECT * FROM batch_weeks AS active WHERE NOT {_known_week()}"))

    def _stage(self, name: str, columns: Sequence[str], rows: Iterable[tuple[DbValue, ...]]) -> None:
        """A temporary table of these columns holding `rows`, copied in."""
        self.cursor.execute(f"CREATE TEMPORARY TABLE {name} ({', '.join(columns)}) ON COMMIT DROP")
        with self.cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _leave_out_stored(self) -> int:
        """Delete from the stage the legs whose leg id is stored already; returns how many."""
        # One probe of the leg-id index per staged leg. Left to itself, the planner (without
        # statistics of the stage) joins by scanning every stored leg: about a second per batch
        # once the table holds 3 million legs, and growing with it.
        self.cursor.execute(
            "DELETE FROM stage_legs WHERE leg_id IN (SELECT stored.leg_id FROM stage_legs AS staged CROSS JOIN LATERAL "
            f'(SELECT leg_id FROM "{self.legs}" AS legs WHERE legs.leg_id = staged.leg_id OFFSET 0) AS stored)'
        )
        return self.cursor.rowcount

    def _lock_customers(self, org_hexes: set[str]) -> None:
        """Serialise appends per customer, every batch taking its locks in the same order."""
        keys = sorted({_lock_key(org_hex) for org_hex in org_hexes})
        self.cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, key) FROM unnest(%s::integer[]) AS key", [_APPEND_LOCK_NAMESPACE, keys]
        )

    def day(self, moment: str) -> str:
        return f"({moment} AT TIME ZONE 'UTC')::date"

    def week(self, moment: str) -> str:
        # The UTC day minus its day of the week (Sunday 0).
        return f"({self.day(moment)} - extract(dow FROM {moment} AT TIME ZONE 'UTC')::integer)"

    def first_legs(self, legs: str) -> str:
        by_call = "PARTITION BY org_id, call_id"
        flags = ", ".join(f"bool_or({condition}) OVER ({by_call}) AS {flag}" for flag, condition in _FLAG_OF_LEG)
        return (
            f"SELECT * FROM (SELECT {self._first_leg_columns()}, {flags}, "
            f"row_number() OVER ({by_call} ORDER BY started_at, leg_id COLLATE {self.code_point}) AS position "
            f"FROM {legs} AS legs) AS ranked WHERE position = 1"
        )

    def earlier_legs(self) -> str:
        # One index probe per call (OFFSET 0 keeps the planner from turning the probes into a
        # scan of every stored leg, which a temporary table's missing statistics can invite).
        return (
            f"(SELECT stored.* FROM (SELECT DISTINCT org_id, call_id FROM {self.accepted} AS batch) AS calls "
            "CROSS JOIN LATERAL "
            f'(SELECT * FROM "{self.legs}" AS legs WHERE legs.org_id = calls.org_id AND legs.call_id = calls.call_id '
            f"{self._earlier_than} OFFSET 0) AS stored)"
        )

    def temporary(self, name: str, select: str) -> None:
        self.cursor.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS {select}")

    def done(self) -> None:
        staged = ("stage_legs", "batch_orgs", "placed_calls", "later_calls", "counted_buckets", "batch_weeks")
        self.cursor.execute(f"DROP TABLE IF EXISTS {', '.join(staged)}")


def _place_calls(store: _LegStore) -> None:
    """Stage `placed_calls`: each call of the batch whose placement is new or changes, with its
    new placement and (when it had one) its old one. A call is placed at its earliest leg by
    (started_at, leg_id), leg ids compared by code point, and uses a feature when any leg does;
    its old placement is that of its earlier legs."""
    moves = (
        "(s.call_id IS NULL OR b.first_started_at < s.first_started_at OR (b.first_started_at = s.first_started_at "
        f"AND b.first_leg_id < s.first_leg_id COLLATE {store.code_point}))"
    )
    old = ", ".join(f"s.{column} AS old_{column}" for column in _PLACEMENT)
    old_flags = ", ".join(f"coalesce(s.{flag}, false) AS old_{flag}" for flag in _CALL_FLAGS)
    joined = (
        f"SELECT b.*, s.call_id IS NOT NULL AS was_placed, {old}, {old_flags}, {moves} AS moves "
        f"FROM ({store.first_legs(store.accepted)}) AS b "
        f"LEFT JOIN ({store.first_legs(store.earlier_legs())}) AS s ON s.org_id = b.org_id AND s.call_id = b.call_id"
    )
    placement = ", ".join(f"CASE WHEN moves THEN {column} ELSE old_{column} END AS {column}" for column in _PLACEMENT)
    new_flags = ", ".join(f"({flag} OR old_{flag}) AS {flag}" for flag in _CALL_FLAGS)
    gained = " OR ".join(f"({flag} AND NOT old_{flag})" for flag in _CALL_FLAGS)
    old_place = ", ".join(f"old_{column}" for column in (*_PLACEMENT, *_CALL_FLAGS))
    store.temporary(
        "placed_calls",
        f"SELECT org_id, partner_id, call_id, first_leg_id, moves, was_placed, {placement}, {new_flags}, {old_place} "
        f"FROM ({joined}) AS j WHERE moves OR {gained}",
    )


def _count_legs(store: _LegStore) -> str:
    """Per bucket: what the batch's legs add (LEG_FIGURES), and with `moved_calls_with_legs` the
    calls that move to one of these legs (CALL_FIGURES: a call that moves is placed at its first
    leg, one of the batch's)."""
    poor = f"jitter_ms > {POOR_JITTER_MS} OR latency_ms > {POOR_LATENCY_MS} OR loss_pct > {POOR_LOSS_PCT}"
    measured = "jitter_ms IS NOT NULL OR latency_ms IS NOT NULL OR loss_pct IS NOT NULL"
    figures = [
        "count(*)",
        "sum(duration_seconds)",
        f"count(*) FILTER (WHERE {measured})",
        f"count(*) FILTER (WHERE {poor})",
        *(f"count(*) FILTER (WHERE queue_outcome = '{outcome}')" for outcome in _QUEUE_OUTCOMES),
        "coalesce(sum(queue_wait_seconds) FILTER (WHERE queue_outcome = 'answered'), 0)",
        "coalesce(sum(queue_wait_seconds) FILTER (WHERE queue_outcome = 'abandoned'), 0)",
    ]
    moved = ""
    if store.moved_calls_with_legs:
        figures += _call_figures("placed.", counted="placed.call_id")
        moved = "LEFT JOIN placed_calls AS placed ON placed.first_leg_id = legs.leg_id AND placed.moves "
    else:
        figures += ["0"] * len(CALL_FIGURES)
    return (
        f"SELECT legs.org_id, legs.partner_id, coalesce(legs.location_id, {store.no_location}) AS location_id, "
        f"{store.day('legs.started_at')} AS day, legs.endpoint_type, legs.media, "
        + ", ".join(f"{figure} AS {name}" for figure, name in zip(figures, ROLLUP_FIGURES, strict=True))
        + f" FROM {store.accepted} AS legs {moved}GROUP BY 1, 2, 3, 4, 5, 6"
    )


def _call_figures(prefix: str, counted: str = "*") -> list[str]:
    """CALL_FIGURES of a group of placed calls, from their new flags or (`old_`) their old ones;
    `counted` is what a call's presence is counted by."""
    return [f"count({counted})", *(f"count(*) FILTER (WHERE {prefix}{flag})" for flag in _CALL_FLAGS)]


def _count_calls(store: _LegStore, *, every: bool = False) -> str:
    """Per bucket: the placed calls `_count_legs` does not count (CALL_FIGURES, no leg figures),
    or with `every` all of them. A call that stays where it is placed and gains a feature is
    among them; `_left_behind` takes its old figures off the same bucket."""
    figures = ["0"] * len(LEG_FIGURES) + _call_figures("")
    named = ", ".join(f"{value} AS {name}" for value, name in zip(figures, ROLLUP_FIGURES, strict=True))
    counted = "NOT moves" if store.moved_calls_with_legs and not every else "true"
    return (
        f"SELECT org_id, max(partner_id) AS partner_id, {', '.join(_BUCKET[1:])}, {named} "
        f"FROM placed_calls WHERE {counted} GROUP BY {', '.join(_BUCKET)}"
    )


def _left_behind() -> str:
    """Per old bucket of the calls that moved: the call figures (CALL_FIGURES) they leave."""
    bucket = ", ".join(f"old_{column}" for column in _BUCKET[1:])
    figures = ", ".join(_call_figures("old_"))
    return f"SELECT org_id, {bucket}, {figures} FROM placed_calls WHERE was_placed GROUP BY org_id, {bucket}"


def _upsert_rollups(source: str) -> str:
    """The statement adding `source` (rows of org_id, partner_id, the rest of the bucket and
    ROLLUP_FIGURES) to CallDailyRollup. An INSERT ... SELECT needs its `WHERE true`: without
    one, SQLite would read ON CONFLICT as part of a join."""
    rollups = CallDailyRollup._meta.db_table
    return (
        f'INSERT INTO "{rollups}" (org_id, partner_id, {", ".join(_BUCKET[1:])}, {", ".join(ROLLUP_FIGURES)}) '
        f"{source} ON CONFLICT ({', '.join(_BUCKET)}) DO UPDATE SET "
        + ", ".join(f'{f} = "{rollups}".{f} + excluded.{f}' for f in ROLLUP_FIGURES)
    )


def _known_week() -> str:
    """Whether the user week of the row `active` is stored. OFFSET 0 keeps it a probe of the
    unique index per user week: as an anti-join the planner may scan every stored user week, a
    table that grows with users x weeks."""
    weeks = CallingUserWeek._meta.db_table
    return (
        f'EXISTS (SELECT 1 FROM "{weeks}" AS known WHERE known.org_id = active.org_id '
        "AND known.week_on = active.week_on AND known.user_id = active.user_id OFFSET 0)"
    )


def _partners(rows: Sequence[LegRow]) -> dict[str, int]:
    """The partner id of each customer (org id hex) of a batch's rows."""
    if isinstance(rows, CopyReadyRows):
        return rows.partners
    return {row[0]: row[1] for row in rows}  # type: ignore[misc]


def _first_of_each_id(rows: Iterable[LegRow]) -> dict[DbValue, LegRow]:
    """The first row of each leg id, by leg id."""
    first_of_id: dict[DbValue, LegRow] = {}
    for row in rows:
        first_of_id.setdefault(row[2], row)
    return first_of_id


def _as_leg_row(values: Sequence[object]) -> LegRow:
    """A stored leg's LEG_COLUMNS values, as read back from either engine, as its leg row."""
    row = list(values)
    for position in _UUIDS:
        if isinstance(value := row[position], uuid.UUID):
            row[position] = value.hex
    if isinstance(started_at := row[_STARTED_AT], datetime):
        row[_STARTED_AT] = stored_moment(started_at)
    row[_TRANSFERRED] = bool(row[_TRANSFERRED])  # SQLite reads back 0 or 1
    return tuple(row)  # type: ignore[arg-type]


def _roll_up(store: _LegStore) -> None:
    """Fold the accepted legs and their placed calls into CallDailyRollup and CallingUserWeek."""
    figures = ROLLUP_FIGURES
    # Leg figures and newly placed calls first, then what moved calls leave behind: figures only
    # go down in a row that already counts the call, so no intermediate value is negative.
    changes = [_count_legs(store), _count_calls(store)]
    if store.merge_changes:
        # A bucket is at most one row of each: joined, not summed (a sum of bigints is numeric).
        legs, calls = changes
        either = ", ".join(f"coalesce(l.{column}, c.{column}) AS {column}" for column in ("partner_id", *_BUCKET))
        both = ", ".join(f"coalesce(l.{f}, 0) + coalesce(c.{f}, 0) AS {f}" for f in figures)
        changes = [
            f"SELECT org_id, partner_id, {', '.join(_BUCKET[1:])}, {', '.join(figures)} FROM ("
            f"SELECT {either}, {both} FROM ({legs}) AS l FULL JOIN ({calls}) AS c ON "
            + " AND ".join(f"l.{column} = c.{column}" for column in _BUCKET)
            + ") AS merged"
        ]
    for change in changes:
        store.cursor.execute(_upsert_rollups(f"SELECT * FROM ({change}) AS change WHERE true"))
    _take_left_behind(store)
    _add_user_weeks(store, store.accepted)


def _roll_up_calls(store: _LegStore) -> None:
    """Fold the placed calls alone into CallDailyRollup (their legs' figures were counted)."""
    store.cursor.execute(_upsert_rollups(f"SELECT * FROM ({_count_calls(store, every=True)}) AS change WHERE true"))
    _take_left_behind(store)


def _take_left_behind(store: _LegStore) -> None:
    """Take the calls that moved off their old buckets."""
    # They are few (a late leg earlier than the call's first): their old buckets are read out
    # and each updated through the bucket's unique index, a plan no estimate can spoil.
    store.cursor.execute(_left_behind())
    if left := store.cursor.fetchall():
        store.cursor.executemany(
            f'UPDATE "{CallDailyRollup._meta.db_table}" SET '
            + ", ".join(f"{f} = {f} - %s" for f in CALL_FIGURES)
            + " WHERE "
            + " AND ".join(f"{column} = %s" for column in _BUCKET),
            [(*row[len(_BUCKET) :], *row[: len(_BUCKET)]) for row in left],
        )


def _add_user_weeks(store: _LegStore, legs: str) -> None:
    """Insert the user weeks of `legs` (new legs, a table or subquery) that are not stored yet."""
    active = (
        f"SELECT org_id, partner_id, {store.week('started_at')} AS week_on, user_id "
        f"FROM {legs} AS legs WHERE user_id <> ''"
    )
    if store.skip_known_weeks:
        active = f"SELECT * FROM (SELECT DISTINCT * FROM ({active}) AS legs) AS active WHERE NOT {_known_week()}"
    store.cursor.execute(_insert_user_weeks(active))


def _insert_user_weeks(source: str) -> str:
    """The statement inserting `source` (rows of org_id, partner_id, week_on, user_id) into
    CallingUserWeek, leaving out the stored ones."""
    return (
        f'INSERT INTO "{CallingUserWeek._meta.db_table}" (org_id, partner_id, week_on, user_id) {source} '
        "ON CONFLICT (org_id, week_on, user_id) DO NOTHING"
    )


def append_leg_rows(
    *,
    region: str,
    rows: Sequence[LegRow],
    counted: Counted | None = None,
    stored_weeks: StoredUserWeeks | None = None,
) -> AppendResult:
    """Store the legs not stored before and fold exactly those into the rollups, in one
    transaction on the region's database. Each row must be a validated leg in the LegRow format,
    its partner taken from its customer (`leg_row`).

    Idempotent on leg id: a leg id already stored, or seen earlier in the same batch, counts as
    a duplicate and changes nothing (the first occurrence in a batch wins). Legs may arrive late
    and in any order: each lands in its own UTC day and calling week, and a call counts once, in
    the bucket of its earliest leg by (started_at, leg_id).

    `counted`, when given, returns what the rows add to the rollups if every one is new
    (calling.batch_figures.count_batch, counted beside the writing): a batch of new legs then
    adds those figures instead of grouping its legs in SQL, and on PostgreSQL inserts the user
    weeks they list but those `stored_weeks` knows (which learns this batch's once it commits)."""
    if not rows:
        return AppendResult(accepted=0, duplicates=0)
    with region_atomic(region) as alias:
        connection = connections[alias]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                store: _LegStore = _PostgresLegStore(cursor)
            elif connection.vendor == "sqlite":
                store = _SqliteLegStore(cursor)
            else:
                raise NotImplementedError(f"call-leg appends support SQLite and PostgreSQL, not {connection.vendor}")
            accepted = store.store(rows, counted)
            if store.counted:
                if store.placed_later:
                    _roll_up_calls(store)
                if not store.weeks_from_figures:
                    _add_user_weeks(store, store.batch_legs)
                elif weeks := store.user_weeks if stored_weeks is None else stored_weeks.unknown(store.user_weeks):
                    store.add_user_weeks(weeks)
                    if stored_weeks is not None:
                        stored_weeks.add_once_committed(weeks, using=alias)
            elif accepted:
                _roll_up(store)
            store.done()
    return AppendResult(accepted=accepted, duplicates=len(rows) - accepted)


def append_call_legs(*, region: str, legs: Sequence[CallLegRecord]) -> AppendResult:
    """`append_leg_rows` for validated records. Every leg must carry its partner
    (`CallLegRecord.for_partner`); otherwise ValueError, and nothing is written."""
    rows = []
    for leg in legs:
        if leg.partner_id is None:
            raise ValueError(f"leg {leg.leg_id!r} has no partner; resolve its customer first")
        rows.append(leg_row(leg, leg.partner_id))
    return append_leg_rows(region=region, rows=rows)


_CHUNK = 2000

# Recomputation reads the raw legs through the ORM, independently of the incremental path above:
# the property tests compare the two.
_POOR = Q(jitter_ms__gt=POOR_JITTER_MS) | Q(latency_ms__gt=POOR_LATENCY_MS) | Q(loss_pct__gt=POOR_LOSS_PCT)
_MEASURED = Q(jitter_ms__isnull=False) | Q(latency_ms__isnull=False) | Q(loss_pct__isnull=False)


def _any_leg(condition: Q, partition: list[F]) -> Window:
    return Window(Max(Case(When(condition, then=1), default=0, output_field=IntegerField())), partition_by=partition)


def _wait_sum(outcome: str) -> Coalesce:
    return Coalesce(Sum("queue_wait_seconds", filter=Q(queue_outcome=outcome)), 0)


def recompute_rollups(*, region: str, org_id: uuid.UUID | None = None) -> None:
    """Rebuild CallDailyRollup and CallingUserWeek from the raw legs of one customer
    (or of the whole region), replacing what was there. Idempotent; used by repair and tests.
    Calls and users are streamed; the daily rollups of the scope are built in memory. The days
    whose legs are past their retention (calling.retention) have no legs left to rebuild from:
    their rollups would go too."""
    scope = Q() if org_id is None else Q(org_id=org_id)
    with region_atomic(region) as alias:
        CallDailyRollup.objects.using(alias).filter(scope).delete()
        CallingUserWeek.objects.using(alias).filter(scope).delete()
        legs = CallLeg.objects.using(alias).filter(scope)
        bucket_location = Coalesce("location_id", Value(NO_LOCATION))
        bucket_day = TruncDate("started_at", tzinfo=UTC)

        rollups: dict[Bucket, CallDailyRollup] = {}
        per_bucket = (
            legs.annotate(bucket_location=bucket_location, bucket_day=bucket_day)
            .values("org_id", "partner_id", "bucket_location", "bucket_day", "endpoint_type", "media")
            .annotate(
                legs=Count("id"),
                duration_seconds=Sum("duration_seconds"),
                measured_legs=Count("id", filter=_MEASURED),
                poor_legs=Count("id", filter=_POOR),
                queue_answered=Count("id", filter=Q(queue_outcome="answered")),
                queue_timed_out=Count("id", filter=Q(queue_outcome="timed_out")),
                queue_overflowed=Count("id", filter=Q(queue_outcome="overflowed")),
                queue_transferred=Count("id", filter=Q(queue_outcome="transferred")),
                queue_abandoned=Count("id", filter=Q(queue_outcome="abandoned")),
                queue_answered_wait_seconds=_wait_sum("answered"),
                queue_abandoned_wait_seconds=_wait_sum("abandoned"),
            )
        )
        for row in per_bucket:
            key = Bucket(row["org_id"], row["bucket_location"], row["bucket_day"], row["endpoint_type"], row["media"])
            rollups[key] = CallDailyRollup(
                org_id=key.org_id,
                partner_id=row["partner_id"],
                location_id=key.location_id,
                day=key.day,
                endpoint_type=key.endpoint_type,
                media=key.media,
                **{figure: row[figure] for figure in LEG_FIGURES},
            )

        # Each call's earliest leg by (started_at, leg_id), leg ids compared by code point as in
        # Python: the database's own collation may order them differently.
        call = [F("org_id"), F("call_id")]
        code_point = "C" if connections[alias].vendor == "postgresql" else "BINARY"
        first_legs = (
            legs.annotate(
                bucket_location=bucket_location,
                bucket_day=bucket_day,
                rank=Window(
                    RowNumber(),
                    partition_by=call,
                    order_by=[F("started_at").asc(), Collate("leg_id", code_point).asc()],
                ),
                any_hunt_group=_any_leg(Q(feature=Feature.HUNT_GROUP), call),
                any_auto_attendant=_any_leg(Q(feature=Feature.AUTO_ATTENDANT), call),
                any_call_queue=_any_leg(Q(feature=Feature.CALL_QUEUE), call),
                any_transferred=_any_leg(Q(transferred=True), call),
            )
            .filter(rank=1)
            .values_list(
                "org_id",
                "bucket_location",
                "bucket_day",
                "endpoint_type",
                "media",
                "any_hunt_group",
                "any_auto_attendant",
                "any_call_queue",
                "any_transferred",
            )
        )
        for org, location, day, endpoint, media, *flags in first_legs.iterator(chunk_size=_CHUNK):
            rollup = rollups[Bucket(org, location, day, endpoint, media)]
            rollup.calls += 1
            hunt_group, auto_attendant, call_queue, transferred = (bool(flag) for flag in flags)
            rollup.hunt_group_calls += hunt_group
            rollup.auto_attendant_calls += auto_attendant
            rollup.call_queue_calls += call_queue
            rollup.transfers += transferred
        CallDailyRollup.objects.using(alias).bulk_create(rollups.values(), batch_size=_CHUNK)

        # Distinct users per UTC day, in (customer, user, day) order, so that the days of one
        # user's week are consecutive and fold into one row.
        user_days = (
            legs.exclude(user_id="")
            .annotate(bucket_day=bucket_day)
            .values_list("org_id", "partner_id", "user_id", "bucket_day")
            .distinct()
            .order_by("org_id", "user_id", "bucket_day")
        )
        weeks: list[CallingUserWeek] = []
        last: tuple[uuid.UUID, str, date] | None = None
        for org, partner, user, day in user_days.iterator(chunk_size=_CHUNK):
            if last != (org, user, week_on := week_start(day)):
                last = (org, user, week_on)
                weeks.append(CallingUserWeek(org_id=org, partner_id=partner, week_on=week_on, user_id=user))
            if len(weeks) == _CHUNK:
                CallingUserWeek.objects.using(alias).bulk_create(weeks)
                weeks.clear()
        CallingUserWeek.objects.using(alias).bulk_create(weeks)


def freeze_calling_week(*, region: str, week_on: date) -> int:
    """Write each customer's CallingWeek for the week starting Sunday `week_on` from the daily
    rollups and the distinct users of that week, replacing earlier figures of that week
    (idempotent). Customers without a leg that week get no row. Returns the rows written.
    Raises ValueError when `week_on` is not a Sunday."""
    if week_start(week_on) != week_on:
        raise ValueError(f"{week_on.isoformat()} is not a Sunday; calling weeks start on Sunday")
    frozen_at = timezone.now()
    with region_atomic(region) as alias:
        totals = (
            CallDailyRollup.objects.using(alias)
            .filter(day__gte=week_on, day__lt=week_on + timedelta(days=7))
            .values("org_id")
            .annotate(
                partner=Max("partner_id"),
                calls_sum=Sum("calls"),
                legs_sum=Sum("legs"),
                duration_sum=Sum("duration_seconds"),
                measured_sum=Sum("measured_legs"),
                poor_sum=Sum("poor_legs"),
            )
        )
        users = dict(
            CallingUserWeek.objects.using(alias)
            .filter(week_on=week_on)
            .values("org_id")
            .annotate(n=Count("id"))
            .values_list("org_id", "n")
        )
        weeks = [
            CallingWeek(
                org_id=row["org_id"],
                partner_id=row["partner"],
                week_on=week_on,
                calls=row["calls_sum"],
                legs=row["legs_sum"],
                duration_seconds=row["duration_sum"],
                active_users=users.get(row["org_id"], 0),
                measured_legs=row["measured_sum"],
                poor_legs=row["poor_sum"],
                frozen_at=frozen_at,
            )
            for row in totals
        ]
        CallingWeek.objects.using(alias).filter(week_on=week_on).delete()
        CallingWeek.objects.using(alias).bulk_create(weeks)
    return len(weeks)
