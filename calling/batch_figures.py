"""What a batch of new call legs adds to the rollups, counted in Python.

For a batch whose every leg is new, the rollup changes follow from the batch alone, but for the
calls that already had legs: each leg adds its figures to its bucket, and each call counts once,
in the bucket of its earliest leg. The command line counts them in its reading process, on the
core the writing does not use, so the writer is left with one upsert per bucket instead of
grouping the legs again in SQL; the calls that already had legs (few) are taken out of the
figures and placed in SQL (calling.services). A batch with a leg id seen twice or already stored
goes through the set-based SQL, which handles every case; the property tests hold the two to the
same rollups.

Legs are read as leg rows (calling.services.LegRow): UUIDs as 32 hex digits, started_at as
naive UTC text, which orders like the times it holds."""

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import msgspec

from partnerhub.collector import collector_paused

from .models import NO_LOCATION
from .rules import CALL_FIGURES, LEG_FIGURES, POOR_JITTER_MS, POOR_LATENCY_MS, POOR_LOSS_PCT, week_start

# Positions in a bucket's figures (rules.ROLLUP_FIGURES).
_QUEUE_COUNT = {
    outcome: LEG_FIGURES.index(f"queue_{outcome}")
    for outcome in ("answered", "timed_out", "overflowed", "transferred", "abandoned")
}
_WAIT_SUM = {
    "answered": LEG_FIGURES.index("queue_answered_wait_seconds"),
    "abandoned": LEG_FIGURES.index("queue_abandoned_wait_seconds"),
}
_CALLS = len(LEG_FIGURES)
_FEATURE_CALLS = {
    "hunt_group": _CALLS + CALL_FIGURES.index("hunt_group_calls"),
    "auto_attendant": _CALLS + CALL_FIGURES.index("auto_attendant_calls"),
    "call_queue": _CALLS + CALL_FIGURES.index("call_queue_calls"),
}
_TRANSFERS = _CALLS + CALL_FIGURES.index("transfers")
# A call's features as bits, so that its legs' features fold with `|`.
_FEATURE_BIT = {"": 0, "hunt_group": 1, "auto_attendant": 2, "call_queue": 4}
_TRANSFERRED_BIT = 8
_CALL_FLAG_FIGURES = (
    *((_FEATURE_BIT[feature], position) for feature, position in _FEATURE_CALLS.items()),
    (_TRANSFERRED_BIT, _TRANSFERS),
)
_FIGURES = len(LEG_FIGURES) + len(CALL_FIGURES)
_NO_LOCATION = NO_LOCATION.hex
# What stands for a leg's location while only the name of its site is known (the reading process
# cannot look sites up): `BatchFigures.with_sites` puts the site's id in its place. Not hex, so
# never a location id.
_SITE_NAMED = "site:"

# (org hex, location hex, day 'YYYY-MM-DD', endpoint type, media)
BucketKey = tuple[str, str, str, str, str]
# (org hex, week 'YYYY-MM-DD' (its Sunday), user id): a CallingUserWeek.
UserWeek = tuple[str, str, str]


class BatchFigures(msgspec.Struct, array_like=True, gc=False):
    """Per bucket, what the batch adds (figures in rules.ROLLUP_FIGURES order), and the batch's
    user weeks, each once."""

    buckets: list[tuple[str, str, str, str, str, list[int]]]
    user_weeks: list[UserWeek]

    def without_calls(self, legs: Iterable[tuple[Any, ...]]) -> "BatchFigures":
        """These figures less the call figures of `legs` (leg rows of whole calls of this batch):
        what the batch adds when those calls are counted otherwise."""
        taken = count_batch(legs)
        assert taken is not None, "legs of a batch counted before have distinct leg ids"
        taken_from = {bucket[:5]: bucket[5] for bucket in taken.buckets}
        buckets = []
        for bucket in self.buckets:
            if (minus := taken_from.get(bucket[:5])) is not None:
                values = bucket[5]
                calls = [value - less for value, less in zip(values[_CALLS:], minus[_CALLS:], strict=True)]
                bucket = (*bucket[:5], values[:_CALLS] + calls)
            buckets.append(bucket)
        return BatchFigures(buckets=buckets, user_weeks=self.user_weeks)

    def with_sites(self, site_ids: Mapping[tuple[str, str], str]) -> "BatchFigures":
        """These figures with the location of each site counted by its name (`named_site`) put
        in: its id in `site_ids` by (org hex, name), else NO_LOCATION, as the legs are stored.
        Buckets that then coincide (two spellings of a site, an unknown one beside legs without
        a location) add up."""
        merged: dict[BucketKey, list[int]] = {}
        for org, location, day, endpoint, media, values in self.buckets:
            if location.startswith(_SITE_NAMED):
                location = site_ids.get((org, location[len(_SITE_NAMED) :]), _NO_LOCATION)
            key = (org, location, day, endpoint, media)
            if (earlier := merged.get(key)) is None:
                merged[key] = values
            else:
                merged[key] = [a + b for a, b in zip(earlier, values, strict=True)]
        return BatchFigures(
            buckets=[(*key, merged[key]) for key in sorted(merged, key=_in_index_order)],
            user_weeks=self.user_weeks,
        )

    def of_orgs(self, org_hexes: set[str]) -> "BatchFigures":
        """Only the figures of these customers' legs."""
        return BatchFigures(
            buckets=[bucket for bucket in self.buckets if bucket[0] in org_hexes],
            user_weeks=[week for week in self.user_weeks if week[0] in org_hexes],
        )


def named_site(name: str) -> str:
    """The location a leg that names its site (casefolded) is counted under, until
    `BatchFigures.with_sites` knows the site's id."""
    return _SITE_NAMED + name


# A batch's figures once counted (the reading process may still be counting them).
Counted = Callable[[], BatchFigures]


def count_batch(legs: Iterable[tuple[Any, ...]]) -> BatchFigures | None:
    """The figures of a batch of leg rows counted as if every leg and every call were new; None
    when a leg id occurs twice (which of the two is stored is for the database to say)."""
    with collector_paused():
        legs = list(legs)
        if len({row[2] for row in legs}) < len(legs):
            return None
        return _count(legs)


def count_new_legs(legs: Iterable[tuple[Any, ...]]) -> BatchFigures:
    """count_batch for legs whose leg ids the caller found distinct."""
    with collector_paused():
        return _count(legs)


def _count(legs: Iterable[tuple[Any, ...]]) -> BatchFigures:
    # One pass, values unpacked at once and figures at fixed positions: about 3 µs per leg.
    buckets: dict[BucketKey, list[int]] = {}
    # Per call: its earliest leg's (started_at, leg_id) and bucket, and its features (bits).
    calls: dict[tuple[str, str], list[Any]] = {}
    user_weeks: set[UserWeek] = set()
    week_of: dict[str, str] = {}
    for (
        org,
        _,
        leg_id,
        call_id,
        location,
        user,
        started,
        duration,
        _,
        media,
        endpoint,
        jitter,
        latency,
        loss,
        feature,
        transferred,
        outcome,
        wait,
    ) in legs:
        day = started[:10]
        key = (org, location or _NO_LOCATION, day, endpoint, media)
        if user:
            week = week_of.get(day)
            if week is None:
                week = week_of[day] = week_start(date.fromisoformat(day)).isoformat()
            user_weeks.add((org, week, user))
        figures = buckets.get(key)
        if figures is None:
            figures = buckets[key] = [0] * _FIGURES
        # The first four of rules.LEG_FIGURES: legs, duration_seconds, measured_legs, poor_legs.
        figures[0] += 1
        figures[1] += duration
        if jitter is not None or latency is not None or loss is not None:
            figures[2] += 1
            if (
                (jitter is not None and jitter > POOR_JITTER_MS)
                or (latency is not None and latency > POOR_LATENCY_MS)
                or (loss is not None and loss > POOR_LOSS_PCT)
            ):
                figures[3] += 1
        if outcome:
            figures[_QUEUE_COUNT[outcome]] += 1
            if wait is not None and outcome in _WAIT_SUM:
                figures[_WAIT_SUM[outcome]] += wait
        flags = _FEATURE_BIT[feature] | (_TRANSFERRED_BIT if transferred else 0)
        call = calls.get((org, call_id))
        if call is None:
            calls[(org, call_id)] = [started, leg_id, figures, flags]
        else:
            if started < call[0] or (started == call[0] and leg_id < call[1]):
                call[0], call[1], call[2] = started, leg_id, figures
            call[3] |= flags
    for _started, _leg_id, figures, flags in calls.values():
        figures[_CALLS] += 1
        if flags:
            for bit, position in _CALL_FLAG_FIGURES:
                if flags & bit:
                    figures[position] += 1
    # In the order of the tables' unique indexes: the writer's upserts then walk them page by
    # page instead of jumping about them (SQLite, four weeks, 200,000 legs: 1.33-1.59 s -> 0.84 s).
    return BatchFigures(
        buckets=[(*key, buckets[key]) for key in sorted(buckets, key=_in_index_order)],
        user_weeks=sorted(user_weeks),
    )


def _in_index_order(key: BucketKey) -> tuple[str, str, str, str, str]:
    org, location, day, endpoint, media = key
    return org, day, location, endpoint, media
