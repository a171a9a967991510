"""The fast path for NDJSON call legs vouches only for rows the full validator accepts, and for
those produces exactly the values the full validator would store."""

import datetime as dt
import io
import json
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.fast_legs import CheckedLeg, FastLegs
from ingest.formats import BadLine, NdjsonReader, Row
from ingest.validation import RowInvalid, describe, parse_call_leg_row

ORG = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")
GOOD = {
    "leg_id": "leg-1",
    "call_id": "call-1",
    "org_id": str(ORG),
    "user_id": "user-1",
    "started_at": "2026-01-04T09:30:00+00:00",
    "duration_seconds": 60,
    "direction": "outbound",
    "media": "video",
    "endpoint_type": "desk_phone",
    "jitter_ms": 10.5,
    "latency_ms": 50,
    "loss_pct": 0.25,
    "feature": "call_queue",
    "queue_outcome": "answered",
    "queue_wait_seconds": 12,
}

odd = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=8))


def spellings(*valid: str) -> st.SearchStrategy[object]:
    """Valid values, the same differently spelled (case, padding), and anything else."""
    values = st.sampled_from(valid)
    return st.one_of(values, values.map(str.upper), values.map(lambda v: f" {v} "), st.just(""), odd)


identifiers = st.one_of(st.text(max_size=70), st.text(max_size=3).map(lambda t: f" {t} "), odd)
uuids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.uuids().map(lambda u: f"{{{u}}}"),
    st.uuids().map(lambda u: f" {u} "),
    odd,
)
moments = st.one_of(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.timezones()).map(
        dt.datetime.isoformat
    ),
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2200, 1, 1)).map(dt.datetime.isoformat),
    st.sampled_from(["2026-01-04T09:30:00Z", "2026-01-04 09:30:00.5+01:00", " 2026-01-04T09:30:00Z", "20260104T0930Z"]),
    odd,
)
seconds = st.one_of(st.integers(-3, 2**31 + 3), st.floats(0, 100).map(round).map(float), odd)
measurements = st.one_of(st.floats(-1, 1e6, allow_nan=False), st.integers(-5, 10**30), st.just(1e308), odd)
values_of = {
    "leg_id": identifiers,
    "call_id": identifiers,
    "org_id": uuids,
    "location_id": uuids,
    "location_name": st.one_of(st.text(max_size=8), odd),
    "user_id": identifiers,
    "started_at": moments,
    "duration_seconds": seconds,
    "direction": spellings("inbound", "outbound"),
    "media": spellings("audio", "video"),
    "endpoint_type": spellings("desk_phone", "room_device", "app", "other_device"),
    "jitter_ms": measurements,
    "latency_ms": measurements,
    "loss_pct": measurements,
    "feature": spellings("hunt_group", "auto_attendant", "call_queue"),
    "transferred": st.one_of(st.booleans(), spellings("true", "false", "1", "0")),
    "queue_outcome": spellings("answered", "timed_out", "overflowed", "transferred", "abandoned"),
    "queue_wait_seconds": seconds,
    "partner_id": odd,
}
rows = st.fixed_dictionaries({}, optional=values_of)
# A clean leg with one field changed or left out: the rows closest to what the fast path takes.
near_misses = st.one_of(
    *(st.builds(lambda value, key=key: GOOD | {key: value}, strategy) for key, strategy in values_of.items()),
    st.sampled_from(sorted(GOOD)).map(lambda key: {name: value for name, value in GOOD.items() if name != key}),
)
any_rows = st.one_of(rows, rows.map(lambda row: GOOD | row), near_misses)


def full_validator(values: dict[str, object]) -> CheckedLeg | None:
    try:
        parsed = parse_call_leg_row(values)
    except (RowInvalid, ValueError, OverflowError, TypeError):
        return None
    return CheckedLeg.of_record(1, parsed.record, values, None)


@settings(max_examples=400, deadline=None)
@given(row=any_rows, ascii_only=st.booleans())
def test_the_fast_path_accepts_only_what_the_full_validator_accepts_and_stores_the_same(row, ascii_only):
    line = json.dumps(row, ensure_ascii=ascii_only).encode()
    fast = FastLegs().check(1, line)
    if fast is not None:
        assert fast == full_validator(json.loads(line))


def read(body: bytes, *, fast: bool) -> list[tuple[int, CheckedLeg | str]]:
    """Each line's outcome: the leg to store, or why it is rejected (as ingest.services words it)."""
    outcomes: list[tuple[int, CheckedLeg | str]] = []
    for item in NdjsonReader(io.BytesIO(body), FastLegs() if fast else None):
        if isinstance(item, CheckedLeg):
            outcomes.append((item.line, item))
        elif isinstance(item, BadLine):
            outcomes.append((item.line, item.error))
        else:
            try:
                parsed = parse_call_leg_row(item.values)
            except RowInvalid as invalid:
                outcomes.append((item.line, describe(invalid.errors)))
            except (ValueError, OverflowError, TypeError) as error:
                outcomes.append((item.line, f"cannot be read: {error}"))
            else:
                outcomes.append((item.line, CheckedLeg.of_record(item.line, parsed.record, item.values, None)))
    return outcomes


lines = st.one_of(
    st.tuples(any_rows, st.booleans()).map(lambda pair: json.dumps(pair[0], ensure_ascii=pair[1]).encode()),
    st.binary(max_size=30),
)


@settings(max_examples=200, deadline=None)
@given(body=st.lists(lines, max_size=6).map(b"\n".join))
def test_a_body_read_with_or_without_the_fast_path_gives_the_same_legs_and_rejections(body):
    assert read(body, fast=True) == read(body, fast=False)


def test_a_clean_leg_takes_the_fast_path_with_the_values_the_full_validator_stores():
    fast = FastLegs().check(1, json.dumps(GOOD).encode())
    assert fast is not None
    assert fast == full_validator(GOOD)


def test_a_leg_with_an_unknown_key_is_left_to_the_full_reader_which_notes_the_column():
    reader = NdjsonReader(io.BytesIO(json.dumps(GOOD | {"site": "HQ"}).encode() + b"\n"), FastLegs())
    items = list(reader)
    assert [type(item) for item in items] == [Row]
    assert reader.columns[-1] == "site"


def test_a_malformed_line_is_left_to_the_full_reader_and_validator():
    bad = json.dumps(GOOD | {"duration_seconds": "sixty"}).encode()
    assert FastLegs().check(1, bad) is None
    assert full_validator(json.loads(bad)) is None
