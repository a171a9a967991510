"""The Calling write path: append call legs in bulk and keep the rollups that pages read.

Legs go in through the region connection's cursor (one multi-row INSERT per chunk on SQLite,
COPY into a temporary stage on PostgreSQL): `bulk_create` is several times slower and cannot say
which rows were duplicates (DESIGN 8). Rows written this way must match Django's own storage
formats, which `_Sql` takes care of; a round-trip test reads them back through the ORM."""

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Case, Count, F, IntegerField, Max, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, Collate, RowNumber, TruncDate
from django.utils import timezone

from regions.context import region_atomic

from .models import NO_LOCATION, CallDailyRollup, CallingUserWeek, CallingWeek, CallLeg, CallSeen, Feature
from .rules import (
    CALL_FIGURES,
    LEG_FIGURES,
    POOR_JITTER_MS,
    POOR_LATENCY_MS,
    POOR_LOSS_PCT,
    ROLLUP_FIGURES,
    Bucket,
    CallFeatures,
    CallKey,
    CallLegRecord,
    CallPlacement,
    rollup_change,
    user_weeks,
    week_start,
)


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
BUCKET_COLUMNS = ("org_id", "location_id", "day", "endpoint_type", "media")
SEEN_COLUMNS = (
    "org_id",
    "partner_id",
    "call_id",
    "first_started_at",
    "first_leg_id",
    "location_id",
    "day",
    "endpoint_type",
    "media",
    "hunt_group",
    "auto_attendant",
    "call_queue",
    "transferred",
)

# A value as the database driver takes it (datetime is a date).
DbValue = bool | int | float | str | date | uuid.UUID | None

# Namespace of the PostgreSQL advisory locks that serialise appends per customer: two batches of
# one customer must not both read a call's placement before either has written it.
_APPEND_LOCK_NAMESPACE = 0x43414C4C


class _Sql:
    """Raw bulk statements on one region connection, in the formats Django itself stores:
    on SQLite a UUID is 32 hex characters and a datetime a naive UTC `YYYY-MM-DD HH:MM:SS[.ffffff]`
    string; PostgreSQL takes the Python values as they are."""

    def __init__(self, connection: BaseDatabaseWrapper, cursor: CursorWrapper) -> None:
        self.connection = connection
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        if connection.vendor not in {"postgresql", "sqlite"}:
            raise NotImplementedError(f"bulk call-leg writes support SQLite and PostgreSQL, not {connection.vendor}")

    def db_uuid(self, value: uuid.UUID) -> DbValue:
        return value if self.postgres else value.hex

    def db_moment(self, value: datetime) -> DbValue:
        return value if self.postgres else str(value.astimezone(UTC).replace(tzinfo=None))

    def db_day(self, value: date) -> DbValue:
        return value if self.postgres else value.isoformat()

    def quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def _names(self, columns: Sequence[str]) -> str:
        return ", ".join(self.quote(column) for column in columns)

    def lock_customers(self, org_ids: Iterable[uuid.UUID]) -> None:
        """Serialise appends per customer. SQLite needs nothing: its write transaction (BEGIN
        IMMEDIATE) already holds the database's one write lock."""
        if not self.postgres:
            return
        for org_id in sorted(set(org_ids)):
            key = int.from_bytes(org_id.bytes[:4], "big", signed=True)
            self.cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_APPEND_LOCK_NAMESPACE, key])

    def py_uuid(self, value: object) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=str(value))

    def py_moment(self, value: object) -> datetime:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    def py_day(self, value: object) -> date:
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def _stage(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[DbValue]], *, joined: bool = False
    ) -> str:
        """Load rows into a temporary table shaped like `table`'s columns (COPY on PostgreSQL);
        returns its name. The caller drops it; on PostgreSQL it also goes at commit."""
        stage = self.quote(f"stage_{table}")
        names = self._names(columns)
        if self.postgres:
            self.cursor.execute(
                f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {self.quote(table)} WITH NO DATA"
            )
            with self.cursor.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if joined:
                # Temporary tables are never auto-analysed; without statistics the planner may
                # join a small stage to a large table by scanning the whole table.
                self.cursor.execute(f"ANALYZE {stage}")
        else:
            self.cursor.execute(f"CREATE TEMPORARY TABLE {stage} AS SELECT {names} FROM {self.quote(table)} WHERE 0")
            self.cursor.executemany(f"INSERT INTO {stage} VALUES ({', '.join(['%s'] * len(columns))})", rows)
        return stage

    def select_matching(
        self, table: str, key: Sequence[str], keys: Sequence[Sequence[DbValue]], columns: Sequence[str]
    ) -> list[tuple[object, ...]]:
        """`columns` of the rows of `table` whose `key` columns equal one of `keys`, in one query."""
        stage = self._stage(table, key, keys, joined=True)
        target = self.quote(table)
        self.cursor.execute(
            f"SELECT {', '.join(f'{target}.{self.quote(column)}' for column in columns)} "
            f"FROM {stage} JOIN {target} ON "
            + " AND ".join(f"{target}.{self.quote(column)} = {stage}.{self.quote(column)}" for column in key)
        )
        found = [tuple(row) for row in self.cursor.fetchall()]
        self.cursor.execute(f"DROP TABLE {stage}")
        return found

    def _sqlite_chunk_rows(self, width: int) -> int:
        raw = self.connection.connection
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if raw is not None else 999
        return max(1, limit // width)

    def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[DbValue]], key: str) -> set[str]:
        """Insert rows (unique on `key` among themselves), skipping those whose key is already
        stored; returns the keys of the rows actually inserted."""
        conflict = f"ON CONFLICT ({self.quote(key)}) DO NOTHING RETURNING {self.quote(key)}"
        if self.postgres:
            stage = self._stage(table, columns, rows)
            names = self._names(columns)
            self.cursor.execute(f"INSERT INTO {self.quote(table)} ({names}) SELECT {names} FROM {stage} {conflict}")
            inserted = {row[0] for row in self.cursor.fetchall()}
            self.cursor.execute(f"DROP TABLE {stage}")
            return inserted
        # executemany cannot return rows (it drops RETURNING), so send multi-row VALUES chunks
        # as large as SQLite's variable limit allows: measured as fast as a plain executemany.
        inserted = set()
        per_chunk = self._sqlite_chunk_rows(len(columns))
        row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            self.cursor.execute(
                f"INSERT INTO {self.quote(table)} ({self._names(columns)}) VALUES "
                + ", ".join([row_sql] * len(chunk))
                + f" {conflict}",
                [value for row in chunk for value in row],
            )
            inserted.update(row[0] for row in self.cursor.fetchall())
        return inserted

    def upsert(
        self,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[DbValue]],
        conflict: Sequence[str],
        action: str,
    ) -> None:
        """INSERT rows (unique on `conflict` among themselves) ... ON CONFLICT (conflict) `action`."""
        if not rows:
            return
        names = self._names(columns)
        on_conflict = f"ON CONFLICT ({self._names(conflict)}) {action}"
        if self.postgres:
            stage = self._stage(table, columns, rows)
            self.cursor.execute(f"INSERT INTO {self.quote(table)} ({names}) SELECT {names} FROM {stage} {on_conflict}")
            self.cursor.execute(f"DROP TABLE {stage}")
        else:
            values = ", ".join(["%s"] * len(columns))
            self.cursor.executemany(f"INSERT INTO {self.quote(table)} ({names}) VALUES ({values}) {on_conflict}", rows)

    def increment_sets(self, table: str, figures: Sequence[str]) -> str:
        qualified = self.quote(table)
        return ", ".join(f"{self.quote(f)} = {qualified}.{self.quote(f)} + excluded.{self.quote(f)}" for f in figures)

    def replace_sets(self, columns: Sequence[str]) -> str:
        return ", ".join(f"{self.quote(column)} = excluded.{self.quote(column)}" for column in columns)

    def subtract(
        self, table: str, figures: Sequence[str], key: Sequence[str], rows: Sequence[Sequence[DbValue]]
    ) -> None:
        """Subtract figures from existing rows: each row of `rows` is the figures, then the key."""
        if not rows:
            return
        target = self.quote(table)
        if self.postgres:
            stage = self._stage(table, (*figures, *key), rows, joined=True)
            sets = ", ".join(f"{self.quote(f)} = {target}.{self.quote(f)} - {stage}.{self.quote(f)}" for f in figures)
            where = " AND ".join(f"{target}.{self.quote(column)} = {stage}.{self.quote(column)}" for column in key)
            self.cursor.execute(f"UPDATE {target} SET {sets} FROM {stage} WHERE {where}")
            self.cursor.execute(f"DROP TABLE {stage}")
        else:
            sets = ", ".join(f"{self.quote(f)} = {self.quote(f)} - %s" for f in figures)
            where = " AND ".join(f"{self.quote(column)} = %s" for column in key)
            self.cursor.executemany(f"UPDATE {target} SET {sets} WHERE {where}", rows)


def _leg_row(sql: _Sql, leg: CallLegRecord) -> tuple[DbValue, ...]:
    return (
        sql.db_uuid(leg.org_id),
        leg.partner_id,
        leg.leg_id,
        leg.call_id,
        None if leg.location_id is None else sql.db_uuid(leg.location_id),
        leg.user_id,
        sql.db_moment(leg.started_at),
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


def _bucket_params(sql: _Sql, bucket: Bucket) -> list[DbValue]:
    return [
        sql.db_uuid(bucket.org_id),
        sql.db_uuid(bucket.location_id),
        sql.db_day(bucket.day),
        bucket.endpoint_type,
        bucket.media,
    ]


def _placed_calls(sql: _Sql, keys: Iterable[CallKey]) -> dict[CallKey, CallPlacement]:
    """The stored placement of each of these calls that has one."""
    found = sql.select_matching(
        CallSeen._meta.db_table,
        ("org_id", "call_id"),
        [(sql.db_uuid(org_id), call_id) for org_id, call_id in keys],
        SEEN_COLUMNS,
    )
    placed: dict[CallKey, CallPlacement] = {}
    for row in found:
        org_id, _partner, call_id, started_at, leg_id, location_id, day, endpoint, media, *flags = row
        hunt_group, auto_attendant, call_queue, transferred = (bool(flag) for flag in flags)
        org = sql.py_uuid(org_id)
        placed[(org, str(call_id))] = CallPlacement(
            first_started_at=sql.py_moment(started_at),
            first_leg_id=str(leg_id),
            bucket=Bucket(org, sql.py_uuid(location_id), sql.py_day(day), str(endpoint), str(media)),
            features=CallFeatures(hunt_group, auto_attendant, call_queue, transferred),
        )
    return placed


def _roll_up(sql: _Sql, legs: Sequence[CallLegRecord]) -> None:
    """Apply newly accepted legs to CallDailyRollup, CallSeen and CallingUserWeek."""
    change = rollup_change(legs, _placed_calls(sql, {(leg.org_id, leg.call_id) for leg in legs}))
    rollups = CallDailyRollup._meta.db_table
    sql.upsert(
        rollups,
        ("partner_id", *BUCKET_COLUMNS, *ROLLUP_FIGURES),
        [
            [change.partners[bucket.org_id], *_bucket_params(sql, bucket), *figures]
            for bucket, figures in change.increments.items()
        ],
        BUCKET_COLUMNS,
        "DO UPDATE SET " + sql.increment_sets(rollups, ROLLUP_FIGURES),
    )
    # Only call figures ever go down (a call moving to an earlier leg's bucket), and only in a
    # row that already counts that call, so a plain UPDATE finds its row and stays >= 0.
    sql.subtract(
        rollups,
        CALL_FIGURES,
        BUCKET_COLUMNS,
        [[*figures[len(LEG_FIGURES) :], *_bucket_params(sql, bucket)] for bucket, figures in change.decrements.items()],
    )
    sql.upsert(
        CallSeen._meta.db_table,
        SEEN_COLUMNS,
        [
            [
                sql.db_uuid(org_id),
                change.partners[org_id],
                call_id,
                sql.db_moment(placement.first_started_at),
                placement.first_leg_id,
                sql.db_uuid(placement.bucket.location_id),
                sql.db_day(placement.bucket.day),
                placement.bucket.endpoint_type,
                placement.bucket.media,
                placement.features.hunt_group,
                placement.features.auto_attendant,
                placement.features.call_queue,
                placement.features.transferred,
            ]
            for (org_id, call_id), placement in change.placements.items()
        ],
        ("org_id", "call_id"),
        "DO UPDATE SET " + sql.replace_sets(SEEN_COLUMNS[3:]),
    )
    sql.upsert(
        CallingUserWeek._meta.db_table,
        ("org_id", "partner_id", "week_on", "user_id"),
        [
            [sql.db_uuid(org_id), change.partners[org_id], sql.db_day(week_on), user_id]
            for org_id, week_on, user_id in user_weeks(legs)
        ],
        ("org_id", "week_on", "user_id"),
        "DO NOTHING",
    )


def append_call_legs(*, region: str, legs: Sequence[CallLegRecord]) -> AppendResult:
    """Store the legs not stored before and fold exactly those into the rollups, in one
    transaction on the region's database.

    Idempotent on leg id: a leg id already stored, or seen earlier in the same batch, counts as
    a duplicate and changes nothing (the first occurrence in a batch wins). Every leg must carry
    its partner (`CallLegRecord.for_partner`); otherwise ValueError, and nothing is written.
    Legs may arrive late and in any order: each lands in its own UTC day and calling week, and
    a call counts once, in the bucket of its earliest leg by (started_at, leg_id)."""
    first_of_id: dict[str, CallLegRecord] = {}
    for leg in legs:
        if leg.partner_id is None:
            raise ValueError(f"leg {leg.leg_id!r} has no partner; resolve its customer first")
        first_of_id.setdefault(leg.leg_id, leg)
    if not first_of_id:
        return AppendResult(accepted=0, duplicates=0)
    # In leg-id order: two batches sharing leg ids then lock them in the same order, and the
    # unique index is filled front to back.
    unique = dict(sorted(first_of_id.items()))
    with region_atomic(region) as alias:
        connection = connections[alias]
        with connection.cursor() as cursor:
            sql = _Sql(connection, cursor)
            sql.lock_customers(leg.org_id for leg in unique.values())
            inserted = sql.insert_new(
                CallLeg._meta.db_table, LEG_COLUMNS, [_leg_row(sql, leg) for leg in unique.values()], "leg_id"
            )
            accepted = [leg for leg in unique.values() if leg.leg_id in inserted]
            if accepted:
                _roll_up(sql, accepted)
    return AppendResult(accepted=len(accepted), duplicates=len(legs) - len(accepted))


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
    """Rebuild CallDailyRollup, CallSeen and CallingUserWeek from the raw legs of one customer
    (or of the whole region), replacing what was there. Idempotent; used by repair and tests.
    Calls and users are streamed; the daily rollups of the scope are built in memory."""
    scope = Q() if org_id is None else Q(org_id=org_id)
    with region_atomic(region) as alias:
        CallDailyRollup.objects.using(alias).filter(scope).delete()
        CallSeen.objects.using(alias).filter(scope).delete()
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
                "partner_id",
                "call_id",
                "started_at",
                "leg_id",
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
        seen: list[CallSeen] = []
        for org, partner, call_id, started_at, leg_id, location, day, endpoint, media, *flags in first_legs.iterator(
            chunk_size=_CHUNK
        ):
            hunt_group, auto_attendant, call_queue, transferred = (bool(flag) for flag in flags)
            seen.append(
                CallSeen(
                    org_id=org,
                    partner_id=partner,
                    call_id=call_id,
                    first_started_at=started_at,
                    first_leg_id=leg_id,
                    location_id=location,
                    day=day,
                    endpoint_type=endpoint,
                    media=media,
                    hunt_group=hunt_group,
                    auto_attendant=auto_attendant,
                    call_queue=call_queue,
                    transferred=transferred,
                )
            )
            if len(seen) == _CHUNK:
                CallSeen.objects.using(alias).bulk_create(seen)
                seen.clear()
            rollup = rollups[Bucket(org, location, day, endpoint, media)]
            rollup.calls += 1
            rollup.hunt_group_calls += hunt_group
            rollup.auto_attendant_calls += auto_attendant
            rollup.call_queue_calls += call_queue
            rollup.transfers += transferred
        CallSeen.objects.using(alias).bulk_create(seen)
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
