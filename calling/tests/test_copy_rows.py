"""Leg rows made ready for COPY (calling.copy_rows) are stored as the rows themselves would be,
without being made unless the staged insert needs them."""

import dataclasses
import datetime as dt
import uuid

import pytest

from calling.batch_figures import count_batch
from calling.copy_rows import CopyReadyRows, copy_text
from calling.models import CallDailyRollup, CallLeg
from calling.rules import CallLegRecord
from calling.services import AppendResult, LegRow, append_call_legs, append_leg_rows, leg_row, recompute_rollups

from .factories import PARTNER_ID, CallLegRecordFactory

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"


class Made:
    """The rows, and how often they were made."""

    def __init__(self, rows: list[LegRow]) -> None:
        self.rows = rows
        self.times = 0

    def __call__(self) -> list[LegRow]:
        self.times += 1
        return self.rows


def ready(legs: list[CallLegRecord]) -> tuple[CopyReadyRows, Made]:
    rows = [leg_row(leg, PARTNER_ID) for leg in legs]
    made = Made(rows)
    text = copy_text(sorted(rows, key=lambda row: str(row[2])))
    return CopyReadyRows(text, {str(row[0]): PARTNER_ID for row in rows}, len(rows), made), made


def append_ready(legs: list[CallLegRecord]) -> tuple[AppendResult, Made]:
    rows, made = ready(legs)
    figures = count_batch(made.rows)
    assert figures is not None
    return append_leg_rows(region="EU", rows=rows, counted=lambda: figures), made


def rollups() -> list[tuple[object, ...]]:
    columns = [f.name for f in CallDailyRollup._meta.concrete_fields if f.name != "id"]
    return sorted(CallDailyRollup.objects.using(EU).values_list(*columns), key=repr)


def assert_rollups_recomputed_alike() -> None:
    stored = rollups()
    recompute_rollups(region="EU")
    assert stored == rollups()


@pytest.mark.postgresql
def test_rows_copied_as_text_read_back_through_the_orm_as_the_records_sent():
    sent = [
        CallLegRecordFactory(
            leg_id="tab\tand\\backslash",
            user_id="Jürgen\nNewline",
            location_id=uuid.UUID("22222222-2222-4222-8222-222222222222"),
            started_at=dt.datetime(2026, 1, 6, 9, 30, 15, 250000, tzinfo=dt.UTC),
            jitter_ms=None,
            latency_ms=0.1 + 0.2,
            feature="call_queue",
            transferred=True,
            queue_outcome="abandoned",
            queue_wait_seconds=33,
        ),
        CallLegRecordFactory(user_id="", loss_pct=None, queue_wait_seconds=None),
    ]
    result, made = append_ready(sent)
    assert result == AppendResult(accepted=2, duplicates=0)
    assert made.times == 0
    for leg in sent:
        stored = CallLeg.objects.using(EU).get(leg_id=leg.leg_id)
        assert CallLegRecord(**{f.name: getattr(stored, f.name) for f in dataclasses.fields(CallLegRecord)}) == leg
    assert_rollups_recomputed_alike()


@pytest.mark.postgresql
def test_a_call_with_an_earlier_stored_leg_is_placed_without_making_the_rows():
    first = CallLegRecordFactory(call_id="call-a", started_at=dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC))
    append_call_legs(region="EU", legs=[first])
    # An earlier leg of the same call, arriving later, on the day before: the call moves to it.
    earlier = CallLegRecordFactory(call_id="call-a", started_at=dt.datetime(2026, 1, 5, 23, 59, tzinfo=dt.UTC))
    result, made = append_ready([earlier, CallLegRecordFactory()])
    assert result.accepted == 2
    assert made.times == 0
    calls = dict(CallDailyRollup.objects.using(EU).values_list("day", "calls"))
    assert calls == {dt.date(2026, 1, 5): 1, dt.date(2026, 1, 6): 1}
    assert_rollups_recomputed_alike()


def test_a_stored_leg_id_among_them_has_the_rows_made_and_counts_as_a_duplicate():
    known = CallLegRecordFactory()
    append_call_legs(region="EU", legs=[known])
    result, made = append_ready([known, CallLegRecordFactory()])
    assert result == AppendResult(accepted=1, duplicates=1)
    assert made.times == 1
    assert CallLeg.objects.using(EU).count() == 2
    assert_rollups_recomputed_alike()


def test_the_rows_are_made_once_and_must_be_as_many_as_announced():
    legs = CallLegRecordFactory.build_batch(2)
    rows, made = ready(legs)
    assert (len(rows), rows[1], list(rows)) == (2, made.rows[1], made.rows)
    assert made.times == 1
    short = CopyReadyRows(rows.text, rows.partners, 3, Made(made.rows))
    assert len(short) == 3
    with pytest.raises(ValueError, match="2 rows made for 3"):
        list(short)
