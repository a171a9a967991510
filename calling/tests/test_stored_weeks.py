"""A run of appends sends each user week once: those its earlier batches committed are left out."""

import pytest
from django.db import transaction

from calling.batch_figures import UserWeek, count_batch
from calling.models import CallingUserWeek
from calling.rules import CallLegRecord
from calling.services import append_leg_rows, leg_row
from calling.stored_weeks import StoredUserWeeks

from .factories import PARTNER_ID, CallLegRecordFactory

# Real commits: what a batch teaches is learnt once its transaction commits. Only PostgreSQL
# inserts a counted batch's user weeks from its figures (SQLite groups its stored legs).
pytestmark = [pytest.mark.django_db(databases="__all__", transaction=True), pytest.mark.postgresql]

EU = "region_eu"


def append_counted(legs: list[CallLegRecord], stored_weeks: StoredUserWeeks) -> list[UserWeek]:
    """Append the legs as the command does, with their figures counted ahead; returns their user weeks."""
    rows = [leg_row(leg, PARTNER_ID) for leg in legs]
    figures = count_batch(rows)
    assert figures is not None
    append_leg_rows(region="EU", rows=rows, counted=lambda: figures, stored_weeks=stored_weeks)
    return figures.user_weeks


def user_weeks() -> list[str]:
    return sorted(CallingUserWeek.objects.using(EU).values_list("user_id", flat=True))


def test_a_user_week_a_committed_batch_stored_is_not_sent_again():
    stored = StoredUserWeeks()
    append_counted(CallLegRecordFactory.build_batch(2, user_id="ann"), stored)
    assert len(stored) == 1
    # Were it sent again, the second batch would store it again.
    CallingUserWeek.objects.using(EU).all().delete()
    append_counted([*CallLegRecordFactory.build_batch(2, user_id="ann"), CallLegRecordFactory(user_id="bob")], stored)
    assert user_weeks() == ["bob"]


def test_a_batch_rolled_back_teaches_nothing():
    stored = StoredUserWeeks()
    with transaction.atomic(using=EU):
        append_counted([CallLegRecordFactory(user_id="ann")], stored)
        transaction.set_rollback(True, using=EU)
    assert len(stored) == 0
    append_counted([CallLegRecordFactory(user_id="ann")], stored)
    assert user_weeks() == ["ann"]


def test_a_full_record_starts_over():
    stored = StoredUserWeeks(limit=3)
    first = append_counted([CallLegRecordFactory(user_id=user) for user in ("ann", "bob")], stored)
    second = append_counted([CallLegRecordFactory(user_id=user) for user in ("cid", "dee")], stored)
    assert stored.unknown(first + second) == first
