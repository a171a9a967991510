import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calling.rules import (
    CALL_FIGURES,
    LEG_FIGURES,
    ROLLUP_FIGURES,
    InvalidRow,
    is_poor_quality,
    last_complete_week,
    parse_call_leg,
    week_start,
)

from .factories import ORG, PARTNER_ID

UTC = dt.UTC
SATURDAY_LAST_SECOND = dt.datetime(2026, 1, 10, 23, 59, 59, tzinfo=UTC)
SUNDAY_MIDNIGHT = dt.datetime(2026, 1, 11, 0, 0, tzinfo=UTC)


def raw_leg(**fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "leg_id": "L1",
        "call_id": "C1",
        "org_id": str(ORG),
        "location_id": "",
        "user_id": "u-1",
        "started_at": "2026-01-06T09:30:00Z",
        "duration_seconds": "75",
        "direction": "inbound",
        "media": "video",
        "endpoint_type": "room_device",
        "jitter_ms": "12.5",
        "latency_ms": "",
        "loss_pct": "0.5",
        "feature": "",
        "transferred": "false",
        "queue_outcome": "",
        "queue_wait_seconds": "",
    }
    return row | fields


# is_poor_quality


def test_jitter_of_exactly_150_ms_is_not_poor():
    assert is_poor_quality(150.0, None, None) is False


def test_jitter_just_over_150_ms_is_poor():
    assert is_poor_quality(150.01, None, None) is True


def test_latency_of_exactly_400_ms_is_not_poor():
    assert is_poor_quality(None, 400.0, None) is False


def test_latency_just_over_400_ms_is_poor():
    assert is_poor_quality(None, 400.01, None) is True


def test_loss_of_exactly_5_percent_is_not_poor():
    assert is_poor_quality(None, None, 5.0) is False


def test_loss_just_over_5_percent_is_poor():
    assert is_poor_quality(None, None, 5.01) is True


def test_one_bad_measurement_among_good_ones_makes_the_leg_poor():
    assert is_poor_quality(10.0, 401.0, 0.0) is True


def test_leg_without_any_measurement_is_neither_poor_nor_good():
    assert is_poor_quality(None, None, None) is None


def test_zero_measurements_are_measured_and_good():
    assert is_poor_quality(0.0, 0.0, 0.0) is False


# week_start / last_complete_week


def test_saturday_last_second_belongs_to_the_week_started_the_sunday_before():
    assert week_start(SATURDAY_LAST_SECOND) == dt.date(2026, 1, 4)


def test_sunday_midnight_starts_a_new_week():
    assert week_start(SUNDAY_MIDNIGHT) == dt.date(2026, 1, 11)


def test_week_start_of_a_date_is_the_sunday_on_or_before_it():
    assert [week_start(dt.date(2026, 1, d)) for d in (4, 5, 10, 11)] == [
        dt.date(2026, 1, 4),
        dt.date(2026, 1, 4),
        dt.date(2026, 1, 4),
        dt.date(2026, 1, 11),
    ]


def test_week_start_reads_an_offset_datetime_in_utc():
    sunday_01_00_in_seoul = dt.datetime(2026, 1, 11, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert week_start(sunday_01_00_in_seoul) == dt.date(2026, 1, 4)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_week_start_is_the_sunday_of_the_last_seven_utc_days(moment: dt.datetime):
    start = week_start(moment)
    assert start.isoweekday() == 7
    assert 0 <= (moment.date() - start).days < 7
    assert last_complete_week(moment) == start - dt.timedelta(days=7)


def test_week_start_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        week_start(dt.datetime(2026, 1, 11))


def test_last_complete_week_at_saturday_night_is_the_week_before_the_current_one():
    assert last_complete_week(SATURDAY_LAST_SECOND) == dt.date(2025, 12, 28)


def test_last_complete_week_at_sunday_midnight_is_the_week_that_just_ended():
    assert last_complete_week(SUNDAY_MIDNIGHT) == dt.date(2026, 1, 4)


# parse_call_leg


def test_parse_reads_a_csv_row_of_strings():
    leg = parse_call_leg(raw_leg())
    assert (leg.leg_id, leg.org_id, leg.location_id, leg.duration_seconds, leg.media) == (
        "L1",
        ORG,
        None,
        75,
        "video",
    )
    assert (leg.jitter_ms, leg.latency_ms, leg.loss_pct, leg.transferred) == (12.5, None, 0.5, False)


def test_parse_converts_started_at_to_utc():
    leg = parse_call_leg(raw_leg(started_at="2026-01-06T18:30:00+09:00"))
    assert leg.started_at == dt.datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
    assert leg.started_at.utcoffset() == dt.timedelta(0)


def test_parse_reads_decoded_ndjson_values():
    leg = parse_call_leg(
        raw_leg(duration_seconds=30, jitter_ms=160, transferred=True, feature="call_queue", queue_outcome="answered")
        | {"queue_wait_seconds": 12}
    )
    assert (leg.duration_seconds, leg.jitter_ms, leg.transferred, leg.queue_wait_seconds) == (30, 160.0, True, 12)


def test_parse_leaves_the_partner_to_the_caller_even_if_the_row_names_one():
    leg = parse_call_leg(raw_leg(partner_id="99"))
    assert leg.partner_id is None
    assert leg.for_partner(PARTNER_ID).partner_id == PARTNER_ID


def test_parse_defaults_media_to_audio_and_transferred_to_false():
    leg = parse_call_leg({k: v for k, v in raw_leg().items() if k not in {"media", "transferred"}})
    assert (leg.media, leg.transferred) == ("audio", False)


def test_parse_refuses_a_time_without_utc_offset():
    with pytest.raises(InvalidRow, match="started_at: needs a UTC offset"):
        parse_call_leg(raw_leg(started_at="2026-01-06T09:30:00"))


def test_parse_refuses_a_time_that_is_not_iso_8601():
    with pytest.raises(InvalidRow, match="started_at: '06/01/2026' is not an ISO 8601 date-time"):
        parse_call_leg(raw_leg(started_at="06/01/2026"))


def test_parse_refuses_a_missing_leg_id():
    with pytest.raises(InvalidRow, match="leg_id: is required"):
        parse_call_leg(raw_leg(leg_id=" "))


def test_parse_refuses_an_org_id_that_is_not_a_uuid():
    with pytest.raises(InvalidRow, match="org_id: 'acme' is not a UUID"):
        parse_call_leg(raw_leg(org_id="acme"))


def test_parse_refuses_an_unknown_endpoint_type_and_lists_the_allowed_ones():
    with pytest.raises(InvalidRow, match="endpoint_type: 'fax' is not one of 'desk_phone', 'room_device'"):
        parse_call_leg(raw_leg(endpoint_type="fax"))


def test_parse_refuses_a_negative_duration():
    with pytest.raises(InvalidRow, match=r"duration_seconds: -5 is out of range"):
        parse_call_leg(raw_leg(duration_seconds="-5"))


def test_parse_refuses_a_fractional_duration():
    with pytest.raises(InvalidRow, match=r"duration_seconds: '7\.5' is not a whole number of seconds"):
        parse_call_leg(raw_leg(duration_seconds="7.5"))


def test_parse_refuses_packet_loss_over_100_percent():
    with pytest.raises(InvalidRow, match=r"loss_pct: 120 is out of range \(0 to 100\)"):
        parse_call_leg(raw_leg(loss_pct="120"))


def test_parse_refuses_a_leg_id_longer_than_the_column():
    with pytest.raises(InvalidRow, match="leg_id: is 65 characters long; at most 64"):
        parse_call_leg(raw_leg(leg_id="x" * 65))


def test_parse_refuses_a_queue_outcome_on_a_leg_that_did_not_go_through_a_queue():
    with pytest.raises(InvalidRow, match="queue_outcome: 'abandoned' needs feature 'call_queue'"):
        parse_call_leg(raw_leg(queue_outcome="abandoned"))


def test_parse_refuses_an_unreadable_transferred_flag():
    with pytest.raises(InvalidRow, match="transferred: 'maybe' is not true or false"):
        parse_call_leg(raw_leg(transferred="maybe"))


def test_parse_names_every_bad_field_of_a_row():
    with pytest.raises(InvalidRow) as refused:
        parse_call_leg(raw_leg(call_id="", direction="sideways", jitter_ms="loud"))
    assert set(refused.value.errors) == {"call_id", "direction", "jitter_ms"}


# figures and rollup changes


def test_rollup_figures_name_every_counter_of_the_daily_rollup():
    from calling.models import CallDailyRollup

    counters = {
        f.name
        for f in CallDailyRollup._meta.get_fields()
        if f.get_internal_type() in {"PositiveIntegerField", "PositiveBigIntegerField"}
    }
    assert set(ROLLUP_FIGURES) == counters
    assert len(ROLLUP_FIGURES) == len(LEG_FIGURES) + len(CALL_FIGURES)
