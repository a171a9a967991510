"""Counting a batch in Python: the figures the set-based SQL would add for a batch of new legs."""

from calling.batch_figures import count_batch, named_site
from calling.rules import CALL_FIGURES, LEG_FIGURES, ROLLUP_FIGURES

ORG = "a" * 32
NO_SITE = "0" * 32


def values(leg_id: str, call_id: str, started_at: str, **changes: object) -> tuple[object, ...]:
    """A leg's storage values after org_id and partner_id (calling.services.LEG_COLUMNS)."""
    leg = {
        "leg_id": leg_id,
        "call_id": call_id,
        "location_id": None,
        "user_id": "u1",
        "started_at": started_at,
        "duration_seconds": 60,
        "direction": "outbound",
        "media": "audio",
        "endpoint_type": "app",
        "jitter_ms": None,
        "latency_ms": None,
        "loss_pct": None,
        "feature": "",
        "transferred": False,
        "queue_outcome": "",
        "queue_wait_seconds": None,
    }
    return tuple((leg | changes).values())


def row(org: str, leg_id: str, call_id: str, started_at: str, **changes: object) -> tuple[object, ...]:
    """A leg row (calling.services.LEG_COLUMNS) of a customer of partner 1."""
    return (org, 1, *values(leg_id, call_id, started_at, **changes))


def by_bucket(legs: list[tuple[object, ...]]) -> dict[tuple[str, ...], dict[str, int]]:
    figures = count_batch(legs)
    assert figures is not None
    return {tuple(bucket[:5]): dict(zip(ROLLUP_FIGURES, bucket[5], strict=True)) for bucket in figures.buckets}


def test_a_call_counts_once_in_the_day_of_its_earliest_leg_wherever_that_leg_comes_in_the_batch():
    counted = by_bucket(
        [
            row(ORG, "b", "call-1", "2026-01-04 00:00:01", feature="call_queue", queue_outcome="answered"),
            row(ORG, "a", "call-1", "2026-01-03 23:59:59", transferred=True, queue_wait_seconds=5),
        ]
    )
    saturday, sunday = (ORG, NO_SITE, "2026-01-03", "app", "audio"), (ORG, NO_SITE, "2026-01-04", "app", "audio")
    assert (counted[saturday]["legs"], counted[sunday]["legs"]) == (1, 1)
    assert {figure: counted[saturday][figure] for figure in CALL_FIGURES} == {
        "calls": 1,
        "hunt_group_calls": 0,
        "auto_attendant_calls": 0,
        "call_queue_calls": 1,  # a feature of any of its legs
        "transfers": 1,
    }
    assert all(counted[sunday][figure] == 0 for figure in CALL_FIGURES)
    assert counted[sunday]["queue_answered"] == 1
    assert counted[sunday]["queue_answered_wait_seconds"] == 0  # its wait is unknown


def test_quality_counts_measured_legs_and_those_past_a_threshold():
    counted = by_bucket(
        [
            row(ORG, "a", "c1", "2026-01-05 10:00:00", jitter_ms=150.0),
            row(ORG, "b", "c2", "2026-01-05 10:00:00", jitter_ms=150.01),
            row(ORG, "c", "c3", "2026-01-05 10:00:00", loss_pct=5.01, latency_ms=None),
            row(ORG, "d", "c4", "2026-01-05 10:00:00"),
        ]
    )
    [figures] = counted.values()
    assert {figure: figures[figure] for figure in LEG_FIGURES[:4]} == {
        "legs": 4,
        "duration_seconds": 240,
        "measured_legs": 3,
        "poor_legs": 2,
    }


def test_a_batch_that_repeats_a_leg_id_is_left_to_the_database():
    leg = values("a", "c1", "2026-01-05 10:00:00")
    assert count_batch([(ORG, 1, *leg), ("b" * 32, 1, *leg)]) is None


def test_buckets_come_in_the_order_of_the_rollups_unique_index():
    site = "b" * 32
    legs = [
        row("b" * 32, "l1", "c1", "2026-01-05 09:00:00"),
        row(ORG, "l2", "c2", "2026-01-06 09:00:00"),
        row(ORG, "l3", "c3", "2026-01-05 09:00:00", location_id=site),
        row(ORG, "l4", "c4", "2026-01-05 09:00:00", media="video"),
        row(ORG, "l5", "c5", "2026-01-05 09:00:00"),
    ]
    figures = count_batch(legs)
    assert figures is not None
    # org_id, day, location_id, endpoint_type, media
    assert [(org, day, site_id, media) for org, site_id, day, _endpoint, media, _ in figures.buckets] == [
        (ORG, "2026-01-05", NO_SITE, "audio"),
        (ORG, "2026-01-05", NO_SITE, "video"),
        (ORG, "2026-01-05", site, "audio"),
        (ORG, "2026-01-06", NO_SITE, "audio"),
        ("b" * 32, "2026-01-05", NO_SITE, "audio"),
    ]


def test_user_weeks_are_each_user_once_per_week_starting_sunday_and_legs_without_a_user_have_none():
    figures = count_batch(
        [
            row(ORG, "a", "call-1", "2026-01-03 23:59:59", user_id="u1"),  # Saturday: week of Dec 28
            row(ORG, "b", "call-2", "2026-01-04 00:00:00", user_id="u1"),  # Sunday: a new week
            row(ORG, "c", "call-3", "2026-01-10 12:00:00", user_id="u1"),  # the next Saturday
            row(ORG, "d", "call-4", "2026-01-05 08:00:00", user_id=""),
            row("b" * 32, "e", "call-5", "2026-01-05 08:00:00", user_id="u1"),
        ]
    )
    assert figures is not None
    assert figures.user_weeks == [
        (ORG, "2025-12-28", "u1"),
        (ORG, "2026-01-04", "u1"),
        ("b" * 32, "2026-01-04", "u1"),
    ]
    assert figures.of_orgs({"b" * 32}).user_weeks == [("b" * 32, "2026-01-04", "u1")]


def test_sites_counted_by_name_take_their_ids_and_buckets_that_then_coincide_add_up():
    site = "c" * 32
    figures = count_batch(
        [
            row(ORG, "l1", "c1", "2026-01-05 09:00:00", location_id=named_site("berlin hq")),
            row(ORG, "l2", "c2", "2026-01-05 09:00:00", location_id=site),
            row(ORG, "l3", "c3", "2026-01-05 09:00:00", location_id=named_site("atlantis")),
            row(ORG, "l4", "c4", "2026-01-05 09:00:00"),
            row(ORG, "l5", "c5", "2026-01-04 09:00:00", location_id=named_site("berlin hq")),
        ]
    )
    assert figures is not None
    located = figures.with_sites({(ORG, "berlin hq"): site})
    # org_id, day, location_id; each bucket's legs and calls
    legs_and_calls = [
        (org, day, site_id, values[0], values[len(LEG_FIGURES)]) for org, site_id, day, *_, values in located.buckets
    ]
    assert legs_and_calls == [
        (ORG, "2026-01-04", site, 1, 1),
        (ORG, "2026-01-05", NO_SITE, 2, 2),
        (ORG, "2026-01-05", site, 2, 2),
    ]
