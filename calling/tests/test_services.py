import dataclasses
import datetime as dt
import threading
import uuid

import pytest

from calling.models import NO_LOCATION, CallDailyRollup, CallingUserWeek, CallingWeek, CallLeg
from calling.rules import CallLegRecord
from calling.services import AppendResult, append_call_legs, freeze_calling_week, recompute_rollups
from regions.registry import REGION_ALIASES

from .factories import ORG, PARTNER_ID, CallLegRecordFactory

pytestmark = pytest.mark.django_db(databases="__all__")

UTC = dt.UTC
EU = "region_eu"


def rollup(day: dt.date, **key: object) -> CallDailyRollup:
    return CallDailyRollup.objects.using(EU).get(day=day, **key)


def test_new_legs_are_accepted():
    result = append_call_legs(region="EU", legs=CallLegRecordFactory.build_batch(3))
    assert result == AppendResult(accepted=3, duplicates=0)
    assert CallLeg.objects.using(EU).count() == 3


def test_a_resent_batch_is_all_duplicates_and_changes_nothing():
    legs = CallLegRecordFactory.build_batch(3)
    append_call_legs(region="EU", legs=legs)
    before = list(CallDailyRollup.objects.using(EU).values())
    assert append_call_legs(region="EU", legs=legs) == AppendResult(accepted=0, duplicates=3)
    assert list(CallDailyRollup.objects.using(EU).values()) == before


def test_a_leg_id_repeated_within_a_batch_counts_as_a_duplicate_and_the_first_wins():
    first = CallLegRecordFactory(leg_id="dup", duration_seconds=10)
    again = CallLegRecordFactory(leg_id="dup", duration_seconds=999)
    result = append_call_legs(region="EU", legs=[first, again, CallLegRecordFactory()])
    assert result == AppendResult(accepted=2, duplicates=1)
    assert CallLeg.objects.using(EU).get(leg_id="dup").duration_seconds == 10


def test_a_batch_mixing_known_and_new_legs_counts_each():
    known = CallLegRecordFactory.build_batch(2)
    append_call_legs(region="EU", legs=known)
    result = append_call_legs(region="EU", legs=[*known, CallLegRecordFactory(), known[0]])
    assert result == AppendResult(accepted=1, duplicates=3)


def test_an_empty_batch_accepts_nothing():
    assert append_call_legs(region="EU", legs=[]) == AppendResult(accepted=0, duplicates=0)


def test_a_leg_without_partner_is_refused_and_nothing_is_written():
    legs = [CallLegRecordFactory(), CallLegRecordFactory(leg_id="orphan", partner_id=None)]
    with pytest.raises(ValueError, match="'orphan' has no partner"):
        append_call_legs(region="EU", legs=legs)
    assert not CallLeg.objects.using(EU).exists()


def test_eu_legs_and_rollups_are_written_to_the_eu_database_only():
    append_call_legs(region="EU", legs=CallLegRecordFactory.build_batch(2))
    other_aliases = [alias for alias in REGION_ALIASES.values() if alias != EU]
    assert CallLeg.objects.using(EU).count() == 2
    assert CallDailyRollup.objects.using(EU).count() == 1
    for model in (CallLeg, CallDailyRollup, CallingUserWeek):
        assert [model.objects.using(alias).count() for alias in other_aliases] == [0, 0, 0]


def test_raw_rows_read_back_through_the_orm_as_the_record_that_was_sent():
    sent = CallLegRecordFactory(
        location_id=uuid.UUID("22222222-2222-4222-8222-222222222222"),
        started_at=dt.datetime(2026, 1, 6, 9, 30, 15, 250000, tzinfo=UTC),
        jitter_ms=None,
        feature="call_queue",
        transferred=True,
        queue_outcome="abandoned",
        queue_wait_seconds=33,
    )
    append_call_legs(region="EU", legs=[sent])
    stored = CallLeg.objects.using(EU).get(leg_id=sent.leg_id)
    assert CallLegRecord(**{f.name: getattr(stored, f.name) for f in dataclasses.fields(CallLegRecord)}) == sent
    assert CallLeg.objects.using(EU).filter(org_id=ORG, started_at__date=dt.date(2026, 1, 6)).count() == 1


def test_rollup_sums_legs_minutes_quality_and_queue_figures():
    day = dt.datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
    append_call_legs(
        region="EU",
        legs=[
            CallLegRecordFactory(call_id="c1", started_at=day, duration_seconds=60, jitter_ms=200.0),
            CallLegRecordFactory(
                call_id="c1",
                started_at=day,
                duration_seconds=30,
                jitter_ms=None,
                latency_ms=None,
                loss_pct=None,
                feature="call_queue",
                queue_outcome="answered",
                queue_wait_seconds=20,
            ),
            CallLegRecordFactory(call_id="c2", started_at=day, duration_seconds=10, feature="hunt_group"),
        ],
    )
    row = rollup(dt.date(2026, 1, 6))
    assert (row.legs, row.calls, row.duration_seconds, row.measured_legs, row.poor_legs) == (3, 2, 100, 2, 1)
    assert (row.call_queue_calls, row.hunt_group_calls, row.queue_answered, row.queue_answered_wait_seconds) == (
        1,
        1,
        1,
        20,
    )
    assert row.partner_id == PARTNER_ID
    assert row.location_id == NO_LOCATION


def test_a_late_leg_lands_in_its_own_day_and_week():
    append_call_legs(region="EU", legs=[CallLegRecordFactory(started_at=dt.datetime(2026, 1, 20, tzinfo=UTC))])
    late = CallLegRecordFactory(user_id="late-user", started_at=dt.datetime(2026, 1, 3, 23, 59, 59, tzinfo=UTC))
    append_call_legs(region="EU", legs=[late])
    assert rollup(dt.date(2026, 1, 3)).legs == 1
    assert CallingUserWeek.objects.using(EU).get(user_id="late-user").week_on == dt.date(2025, 12, 28)


def test_an_earlier_leg_arriving_later_moves_the_call_count_to_its_day():
    second = CallLegRecordFactory(call_id="c", started_at=dt.datetime(2026, 1, 7, 0, 1, tzinfo=UTC))
    first = CallLegRecordFactory(call_id="c", started_at=dt.datetime(2026, 1, 6, 23, 59, tzinfo=UTC))
    append_call_legs(region="EU", legs=[second])
    append_call_legs(region="EU", legs=[first])
    assert (rollup(dt.date(2026, 1, 6)).calls, rollup(dt.date(2026, 1, 7)).calls) == (1, 0)


def test_recompute_reproduces_the_incremental_rollups():
    legs = [
        CallLegRecordFactory(call_id=f"c{n % 3}", started_at=dt.datetime(2026, 1, 6 + n % 4, n, tzinfo=UTC))
        for n in range(12)
    ]
    append_call_legs(region="EU", legs=legs[6:])
    append_call_legs(region="EU", legs=legs[:6])
    incremental = sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls", "duration_seconds"))
    recompute_rollups(region="EU")
    assert sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls", "duration_seconds")) == (
        incremental
    )


def test_recompute_of_one_customer_leaves_the_others_alone():
    other = uuid.uuid4()
    append_call_legs(region="EU", legs=[CallLegRecordFactory(), CallLegRecordFactory(org_id=other)])
    CallDailyRollup.objects.using(EU).filter(org_id=other).update(legs=42)
    recompute_rollups(region="EU", org_id=ORG)
    assert CallDailyRollup.objects.using(EU).get(org_id=other).legs == 42


def test_recompute_rebuilds_deleted_rollups():
    append_call_legs(region="EU", legs=CallLegRecordFactory.build_batch(2))
    CallDailyRollup.objects.using(EU).all().delete()
    recompute_rollups(region="EU")
    assert CallDailyRollup.objects.using(EU).get().calls == 2


def test_freeze_writes_each_customers_week_from_rollups_and_distinct_users():
    sunday = dt.datetime(2026, 1, 4, tzinfo=UTC)
    append_call_legs(
        region="EU",
        legs=[
            CallLegRecordFactory(user_id="a", started_at=sunday, jitter_ms=300.0),
            CallLegRecordFactory(user_id="a", started_at=sunday + dt.timedelta(days=6, hours=23)),
            CallLegRecordFactory(
                user_id="b", started_at=sunday + dt.timedelta(days=3), loss_pct=None, jitter_ms=None, latency_ms=None
            ),
            CallLegRecordFactory(user_id="c", started_at=sunday + dt.timedelta(days=7)),
        ],
    )
    assert freeze_calling_week(region="EU", week_on=dt.date(2026, 1, 4)) == 1
    week = CallingWeek.objects.using(EU).get(org_id=ORG, week_on=dt.date(2026, 1, 4))
    assert (week.calls, week.legs, week.duration_seconds, week.active_users) == (3, 3, 180, 2)
    assert (week.measured_legs, week.poor_legs, week.partner_id) == (2, 1, PARTNER_ID)


def test_freezing_a_week_twice_keeps_one_row_per_customer():
    append_call_legs(region="EU", legs=[CallLegRecordFactory()])
    freeze_calling_week(region="EU", week_on=dt.date(2026, 1, 4))
    freeze_calling_week(region="EU", week_on=dt.date(2026, 1, 4))
    assert CallingWeek.objects.using(EU).filter(week_on=dt.date(2026, 1, 4)).count() == 1


def test_freeze_refuses_a_week_that_does_not_start_on_sunday():
    with pytest.raises(ValueError, match="2026-01-05 is not a Sunday"):
        freeze_calling_week(region="EU", week_on=dt.date(2026, 1, 5))


# SQLite already serialises writers with BEGIN IMMEDIATE; the lock under test is PostgreSQL's.
@pytest.mark.postgresql
@pytest.mark.django_db(databases="__all__", transaction=True)
def test_concurrent_batches_of_one_call_count_it_once():
    from django.db import connections

    start = threading.Barrier(2)
    errors: list[BaseException] = []
    started_at = dt.datetime(2026, 1, 6, 8, 0, tzinfo=UTC)

    def append(legs: list[CallLegRecord]) -> None:
        try:
            start.wait()
            append_call_legs(region="EU", legs=legs)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    first = [CallLegRecordFactory(call_id=f"c{n}", started_at=started_at) for n in range(200)]
    second = [CallLegRecordFactory(call_id=f"c{n}", started_at=started_at - dt.timedelta(days=1)) for n in range(200)]
    threads = [threading.Thread(target=append, args=(legs,)) for legs in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls")) == [
        (dt.date(2026, 1, 5), 200, 200),
        (dt.date(2026, 1, 6), 200, 0),
    ]


# Only PostgreSQL's appends leave out the stored legs and insert the rest again.
@pytest.mark.postgresql
def test_a_leg_id_stored_by_another_batch_meanwhile_counts_as_a_duplicate(monkeypatch):
    from calling import services

    legs = [CallLegRecordFactory(leg_id=f"late-{n}", call_id="c1", duration_seconds=10) for n in range(3)]
    append_call_legs(region="EU", legs=legs[:1])
    leave_out_stored = services._PostgresLegStore._leave_out_stored

    def then_another_batch_stores_one(store: services._PostgresLegStore) -> int:
        left_out = leave_out_stored(store)
        if not CallLeg.objects.using(EU).filter(leg_id="late-1").exists():
            other = dataclasses.replace(legs[1], org_id=uuid.uuid4(), duration_seconds=99)
            columns = ", ".join(services.LEG_COLUMNS)
            store.cursor.execute(
                f'INSERT INTO "{store.legs}" ({columns}) VALUES ({", ".join(["%s"] * len(services.LEG_COLUMNS))})',
                services.leg_row(other, PARTNER_ID),
            )
        return left_out

    monkeypatch.setattr(services._PostgresLegStore, "_leave_out_stored", then_another_batch_stores_one)
    assert append_call_legs(region="EU", legs=legs) == AppendResult(accepted=1, duplicates=2)
    assert CallLeg.objects.using(EU).get(leg_id="late-1").duration_seconds == 99
    mine = CallDailyRollup.objects.using(EU).get(org_id=ORG)
    assert (mine.legs, mine.calls, mine.duration_seconds) == (2, 1, 20)


# Only PostgreSQL copies a batch of new legs straight into the table and tells them by row id.
@pytest.mark.postgresql
def test_legs_another_customer_stored_meanwhile_are_not_taken_for_the_batchs(monkeypatch):
    from calling import services
    from calling.batch_figures import count_batch

    other_org = uuid.uuid4()
    stage = services._PostgresLegStore._stage

    def another_customers_leg_lands_first(store: services._PostgresLegStore, name: str, *args: object) -> None:
        if name == "batch_orgs":
            other = CallLegRecordFactory(org_id=other_org, user_id="someone-else")
            columns = ", ".join(services.LEG_COLUMNS)
            store.cursor.execute(
                f'INSERT INTO "{store.legs}" ({columns}) VALUES ({", ".join(["%s"] * len(services.LEG_COLUMNS))})',
                services.leg_row(other, PARTNER_ID),
            )
        stage(store, name, *args)

    monkeypatch.setattr(services._PostgresLegStore, "_stage", another_customers_leg_lands_first)
    rows = [services.leg_row(leg, PARTNER_ID) for leg in CallLegRecordFactory.build_batch(3, user_id="me")]
    figures = count_batch(rows)
    assert services.append_leg_rows(region="EU", rows=rows, counted=lambda: figures) == AppendResult(3, 0)
    assert list(CallingUserWeek.objects.using(EU).values_list("org_id", "user_id")) == [(ORG, "me")]
    assert CallDailyRollup.objects.using(EU).get().legs == 3


@pytest.mark.postgresql
def test_a_conflict_no_stored_leg_explains_is_raised(monkeypatch):
    from django.db import IntegrityError

    from calling import services

    def fails(store: services._PostgresLegStore) -> None:
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(services, "_place_calls", fails)
    with pytest.raises(IntegrityError, match="some other constraint"):
        append_call_legs(region="EU", legs=[CallLegRecordFactory()])
    assert not CallLeg.objects.using(EU).exists()


# A storage setting of PostgreSQL's (migration calling/0005); SQLite updates rows in place.
@pytest.mark.postgresql
def test_rollup_pages_leave_room_for_a_buckets_next_update():
    from django.db import connections

    with connections[EU].cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [CallDailyRollup._meta.db_table])
        [options] = cursor.fetchone()
    assert options == ["fillfactor=70"]


# Django gives a unique CharField a second, LIKE-ready index on PostgreSQL (migration calling/0006).
@pytest.mark.postgresql
def test_the_leg_id_has_its_unique_index_alone():
    from django.db import connections

    with connections[EU].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [CallLeg._meta.db_table, "%(leg_id%"],
        )
        definitions = [definition for (definition,) in cursor.fetchall()]
    assert len(definitions) == 1
    assert definitions[0].startswith("CREATE UNIQUE INDEX one_leg_per_leg_id")
