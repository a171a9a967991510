"""Raw call legs past their retention are deleted; what they were folded into stays."""

import datetime as dt

import pytest

from calling.models import CallDailyRollup, CallingUserWeek, CallLeg
from calling.retention import prune_call_legs, retention_cutoff
from calling.services import append_call_legs

from .factories import CallLegRecordFactory

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"
CUTOFF = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
OLD = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
NEW = CUTOFF


def append(*starts: dt.datetime) -> None:
    """One batch per leg, so that row ids follow the order given."""
    for started_at in starts:
        append_call_legs(region="EU", legs=[CallLegRecordFactory(started_at=started_at)])


def started() -> list[dt.datetime]:
    return list(CallLeg.objects.using(EU).order_by("id").values_list("started_at", flat=True))


def test_legs_that_started_before_the_cutoff_go_and_their_rollups_and_user_weeks_stay():
    append(OLD, OLD, NEW)
    rollups = sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls"))
    weeks = sorted(CallingUserWeek.objects.using(EU).values_list("week_on", "user_id"))
    assert prune_call_legs(region="EU", before=CUTOFF) == 2
    assert started() == [NEW]
    assert sorted(CallDailyRollup.objects.using(EU).values_list("day", "legs", "calls")) == rollups
    assert sorted(CallingUserWeek.objects.using(EU).values_list("week_on", "user_id")) == weeks


def test_old_legs_are_pruned_chunk_after_chunk():
    append(OLD, OLD, OLD, OLD, OLD, NEW, NEW)
    assert prune_call_legs(region="EU", before=CUTOFF, chunk=2) == 5
    assert started() == [NEW, NEW]


def test_pruning_stops_at_the_first_chunk_without_an_old_leg_and_a_late_leg_waits_for_its_neighbours():
    late = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    append(OLD, OLD, NEW, NEW, late)
    assert prune_call_legs(region="EU", before=CUTOFF, chunk=2) == 2
    assert started() == [NEW, NEW, late]


def test_nothing_to_prune_deletes_nothing():
    append(NEW)
    assert prune_call_legs(region="EU", before=CUTOFF) == 0
    assert prune_call_legs(region="US", before=CUTOFF) == 0
    assert started() == [NEW]


def test_the_cutoff_is_the_start_of_the_utc_day_the_retention_reaches_back_to():
    # 01:30 on 1 March in UTC+02:00 is still 28 February in UTC.
    now = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert retention_cutoff(now, 396) == dt.datetime(2025, 1, 28, tzinfo=dt.UTC)
