from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.rules import (
    LineFacts,
    excess_per_customer,
    interpolate,
    low_age_cutoff,
    low_lines,
    low_threshold,
    low_threshold_of,
    monthly_means,
    months_between,
    percentile,
    percentile_ranks,
    ratio,
    size_band,
    snapshot_week,
    trend_weeks,
    usage_months,
    weekly_change,
    within_window,
)

TODAY = date(2026, 11, 25)
OLD = TODAY - timedelta(days=200)


@pytest.mark.parametrize(
    ("quantity", "band"),
    [(0, None), (1, 0), (10, 0), (11, 1), (50, 1), (51, 2), (250, 2), (251, 3), (1000, 3), (1001, 4)],
)
def test_size_bands(quantity, band):
    assert size_band(quantity) == band


def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 25) == 1.75
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([7], 25) == 7


@given(
    st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=30),
    st.floats(min_value=0, max_value=100),
)
def test_percentile_lies_between_min_and_max(values, q):
    assert min(values) <= percentile(values, q) <= max(values)


def test_threshold_is_30_percent_below_five_peers():
    assert low_threshold([0.9, 0.9, 0.9, 0.9]) == 0.30


def test_threshold_is_capped_at_50_percent():
    assert low_threshold([0.9, 0.95, 1.0, 1.0, 1.0]) == 0.50


def test_threshold_is_the_25th_percentile_when_lower():
    assert low_threshold([0.1, 0.2, 0.3, 0.8, 0.9]) == pytest.approx(0.2)


def line(key, assigned, quantity=10, product="meetings", active=True, start_on=OLD):
    return LineFacts(key=key, product=product, quantity=quantity, assigned=assigned, active=active, start_on=start_on)


def test_line_below_the_peer_percentile_is_low():
    lines = [line("a", 1), line("b", 2), line("c", 3), line("d", 8), line("e", 9)]
    assert low_lines(lines, today=TODAY) == {"a"}


def test_young_subscription_is_never_low():
    lines = [line("a", 0, start_on=TODAY - timedelta(days=30)), line("b", 0, start_on=TODAY - timedelta(days=31))]
    assert low_lines(lines, today=TODAY) == {"b"}


def test_zero_quantity_lines_are_neither_low_nor_peers():
    lines = [line("z", 0, quantity=0), line("a", 2), line("b", 9), line("c", 9), line("d", 9)]
    # four real peers: the 30 % fallback applies, so only "a" (20 %) is low
    assert low_lines(lines, today=TODAY) == {"a"}


def test_peers_are_grouped_by_product_and_size_band():
    lines = [
        line("m", 2, product="meetings"),
        *[line(f"c{i}", 1, product="calling") for i in range(5)],
        line("big", 40, quantity=100),
    ]
    # calling lines are each other's peers (all at 10 %, none below the 10 % percentile)
    assert low_lines(lines, today=TODAY) == {"m"}


def test_inactive_lines_are_not_low():
    assert low_lines([line("a", 0, active=False)], today=TODAY) == set()


def test_empty_ratio_is_none():
    assert ratio(3, 0) is None
    assert ratio(1, 4) == 0.25


@pytest.mark.parametrize(("days", "inside"), [(0, True), (90, True), (91, False), (-1, False)])
def test_window_includes_both_ends(days, inside):
    assert within_window(TODAY + timedelta(days=days), TODAY) is inside


def test_months_between_counts_whole_months():
    assert months_between(date(2026, 1, 31), date(2026, 3, 1)) == 1
    assert months_between(date(2026, 1, 15), date(2026, 4, 15)) == 3


def test_monthly_means_average_weekly_values_of_each_month():
    weekly = [(date(2026, 9, 6), 10), (date(2026, 9, 13), 20), (date(2026, 11, 1), 5)]
    assert monthly_means(weekly, today=TODAY) == [15.0, None, 5.0]


# --- the rules the overview's queries use ---------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "ranks"),
    [(1, (0, 0, 0.0)), (4, (0, 1, 0.75)), (5, (1, 2, 0.0)), (6, (1, 2, 0.25)), (7, (1, 2, 0.5))],
)
def test_percentile_ranks_name_the_two_closest_ranks_and_the_weight(count, ranks):
    assert percentile_ranks(count, 25) == ranks


def test_percentile_ranks_of_nothing_is_refused():
    with pytest.raises(ValueError, match="percentile of no values"):
        percentile_ranks(0, 25)


@given(st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=1, max_size=30))
def test_percentile_from_ranks_is_the_percentile(values):
    ordered = sorted(values)
    lower, upper, weight = percentile_ranks(len(ordered), 25)
    assert interpolate(ordered[lower], ordered[upper], weight) == percentile(values, 25)


def test_threshold_of_a_group_known_by_size_and_percentile():
    assert low_threshold_of(4, 0.1) == 0.30
    assert low_threshold_of(5, None) == 0.30
    assert low_threshold_of(5, 0.2) == 0.2
    assert low_threshold_of(5, 0.8) == 0.5


def test_low_age_cutoff_is_thirty_days_back():
    assert low_age_cutoff(TODAY) == date(2026, 10, 26)


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (date(2026, 11, 22), date(2026, 11, 22)),  # a Sunday is its own week
        (date(2026, 11, 25), date(2026, 11, 22)),
        (date(2026, 11, 28), date(2026, 11, 22)),  # Saturday
        (date(2026, 11, 29), date(2026, 11, 29)),
    ],
)
def test_snapshot_week_is_the_latest_sunday(today, week):
    assert snapshot_week(today) == week


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_trend_weeks_are_twelve_consecutive_sundays_ending_this_week(today):
    weeks = trend_weeks(today)
    assert len(weeks) == 12
    assert all(w.weekday() == 6 for w in weeks)
    assert [b - a for a, b in pairwise(weeks)] == [timedelta(days=7)] * 11
    assert 0 <= (today - weeks[-1]).days <= 6


def test_usage_months_cross_the_year():
    assert usage_months(date(2027, 1, 10)) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]


def test_weekly_change_needs_both_weeks():
    assert weekly_change(10, 12) == -2
    assert weekly_change(None, 3) is None
    assert weekly_change(3, None) is None


def test_average_excess_of_no_customer_is_not_applicable():
    assert excess_per_customer(0, 0) is None
    assert excess_per_customer(17, 3) == 17 / 3
