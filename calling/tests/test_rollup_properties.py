"""Property: however legs arrive (duplicates, out of order, late, split into any batches), the
incrementally kept rollups equal a recomputation from the raw legs, whether a batch's rollup
changes are derived in SQL or counted ahead in Python (as the command's reading process does),
whether or not a run's earlier batches spare the later ones their stored user weeks, and whether
the rows arrive as such or made ready for COPY (calling.copy_rows)."""

import datetime as dt
import itertools
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calling.batch_figures import count_batch
from calling.copy_rows import CopyReadyRows, copy_text
from calling.models import CallDailyRollup, CallingUserWeek, CallLeg
from calling.rules import CallLegRecord
from calling.services import AppendResult, append_call_legs, append_leg_rows, leg_row, recompute_rollups
from calling.stored_weeks import StoredUserWeeks

pytestmark = pytest.mark.django_db(databases="__all__")

EU = "region_eu"
ORGS = {uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001"): 1, uuid.UUID("bbbbbbbb-0000-4000-8000-000000000002"): 2}
LOCATIONS = [None, uuid.UUID("cccccccc-0000-4000-8000-000000000003"), uuid.UUID("dddddddd-0000-4000-8000-000000000004")]
# Ids whose order differs between code points and the usual linguistic collations.
LEG_IDS = ["a", "B", "a-1", "a_1", "a1", "Z", "z", "é", "e", "10", "9", "a-10"]
SATURDAY_NIGHT = dt.datetime(2026, 1, 10, 23, 59, 59, tzinfo=dt.UTC)

measurement = st.one_of(st.none(), st.sampled_from([0.0, 5.0, 5.01, 150.0, 150.01, 400.0, 401.0]))


@st.composite
def call_legs(draw: st.DrawFn) -> CallLegRecord:
    org_id = draw(st.sampled_from(sorted(ORGS)))
    feature = draw(st.sampled_from(["", "hunt_group", "auto_attendant", "call_queue"]))
    outcome = draw(st.sampled_from(["", "answered", "timed_out", "overflowed", "transferred", "abandoned"]))
    outcome = outcome if feature == "call_queue" else ""
    return CallLegRecord(
        leg_id=draw(st.sampled_from(LEG_IDS)),
        call_id=draw(st.sampled_from(["c1", "c2", "c3"])),
        org_id=org_id,
        partner_id=ORGS[org_id],
        location_id=draw(st.sampled_from(LOCATIONS)),
        user_id=draw(st.sampled_from(["", "u1", "u2"])),
        # Seconds around a Saturday/Sunday midnight, and days to weeks earlier (late legs); few
        # distinct values so that legs of one call often start at the same instant.
        started_at=SATURDAY_NIGHT
        + dt.timedelta(seconds=draw(st.sampled_from([0, 1, 2])), days=draw(st.sampled_from([0, -1, -8, -20]))),
        duration_seconds=draw(st.integers(0, 3600)),
        direction=draw(st.sampled_from(["inbound", "outbound"])),
        media=draw(st.sampled_from(["audio", "video"])),
        endpoint_type=draw(st.sampled_from(["desk_phone", "room_device", "app", "other_device"])),
        jitter_ms=draw(measurement),
        latency_ms=draw(measurement),
        loss_pct=draw(measurement),
        feature=feature,
        transferred=draw(st.booleans()),
        queue_outcome=outcome,
        queue_wait_seconds=draw(st.one_of(st.none(), st.integers(0, 600))) if outcome else None,
    )


@st.composite
def batches(draw: st.DrawFn) -> list[list[CallLegRecord]]:
    legs = draw(st.lists(call_legs(), max_size=30))
    cuts = sorted(draw(st.lists(st.integers(0, len(legs)), max_size=5)))
    edges = [0, *cuts, len(legs)]
    split = [legs[start:end] for start, end in itertools.pairwise(edges)]
    resent = draw(st.lists(st.sampled_from(split), max_size=2)) if legs else []
    return split + resent


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    tables = {"rollups": CallDailyRollup, "user_weeks": CallingUserWeek}
    result = {}
    for name, model in tables.items():
        columns = [f.name for f in model._meta.concrete_fields if f.name != "id"]
        result[name] = sorted(model.objects.using(EU).values_list(*columns), key=repr)
    return result


def append(
    batch: list[CallLegRecord], counted_ahead: bool, stored_weeks: StoredUserWeeks | None, copy_ready: bool = False
) -> AppendResult:
    if not counted_ahead:
        return append_call_legs(region="EU", legs=batch)
    rows = [leg_row(leg, ORGS[leg.org_id]) for leg in batch]
    figures = count_batch(rows)  # None if a leg id repeats
    counted = None if figures is None else lambda: figures
    if copy_ready and figures is not None and rows:
        # As the command's reading process sends distinct legs: in leg-id order.
        text = copy_text(sorted(rows, key=lambda row: str(row[2])))
        ready = CopyReadyRows(text, {str(row[0]): int(str(row[1])) for row in rows}, len(rows), lambda: rows)
        return append_leg_rows(region="EU", rows=ready, counted=counted, stored_weeks=stored_weeks)
    return append_leg_rows(region="EU", rows=rows, counted=counted, stored_weeks=stored_weeks)


@pytest.mark.parametrize(
    ("counted_ahead", "weeks_remembered", "copy_ready"),
    [(False, False, False), (True, False, False), (True, True, False), (True, True, True)],
    ids=[
        "derived in SQL",
        "counted ahead",
        "counted ahead, stored user weeks remembered",
        "counted ahead, stored user weeks remembered, rows ready for COPY",
    ],
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=batches())
def test_incremental_rollups_equal_a_recomputation_from_the_raw_legs(
    counted_ahead: bool,
    weeks_remembered: bool,
    copy_ready: bool,
    batches: list[list[CallLegRecord]],
    django_capture_on_commit_callbacks,
):
    for model in (CallLeg, CallDailyRollup, CallingUserWeek):
        model.objects.using(EU).all().delete()

    stored_weeks = StoredUserWeeks() if weeks_remembered else None
    accepted = duplicates = 0
    for batch in batches:
        # The test's transaction never commits: each batch's commit callbacks run as a commit's would.
        with django_capture_on_commit_callbacks(using=EU, execute=True):
            result = append(batch, counted_ahead, stored_weeks, copy_ready)
        accepted += result.accepted
        duplicates += result.duplicates
    incremental = snapshot()
    recompute_rollups(region="EU")

    sent = [leg for batch in batches for leg in batch]
    assert accepted == len({leg.leg_id for leg in sent}) == CallLeg.objects.using(EU).count()
    assert duplicates == len(sent) - accepted
    assert incremental == snapshot()
