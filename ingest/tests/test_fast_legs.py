"""The fast path for call legs (NDJSON lines, and rows of named fields such as CSV) vouches only
for rows the full validator accepts, and for those produces exactly the values the full
validator would store."""

import csv
import datetime as dt
import io
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calling.services import stored_moment
from ingest import webex
from ingest.fast_legs import CheckedLeg, FastLegs
from ingest.formats import BadLine, CsvReader, NdjsonReader, Row
from ingest.services import checked_call_legs
from ingest.sources import open_rows
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


def utc_spellings(moment: dt.datetime) -> list[str]:
    """A UTC time in ISO 8601 spellings: "T" or a space, "+00:00" or "Z", with every precision."""
    spelled = [moment.isoformat(sep, timespec) for sep in "T " for timespec in ("auto", "seconds", "milliseconds")]
    return spelled + [text.replace("+00:00", "Z") for text in spelled]


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
    # UTC in the spellings the fast path cuts the stored form from, and near them.
    st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2026, 1, 1), timezones=st.just(dt.UTC)
    ).flatmap(lambda moment: st.sampled_from(utc_spellings(moment))),
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


def outcome(item: CheckedLeg | BadLine | Row) -> tuple[int, CheckedLeg | str]:
    """A read item's outcome: the leg to store, or why it is rejected (as ingest.services words
    it); a Row is judged by the full validator alone."""
    if isinstance(item, CheckedLeg):
        return item.line, item
    if isinstance(item, BadLine):
        return item.line, item.error
    try:
        parsed = parse_call_leg_row(item.values)
    except RowInvalid as invalid:
        return item.line, describe(invalid.errors)
    except (ValueError, OverflowError, TypeError) as error:
        return item.line, f"cannot be read: {error}"
    return item.line, CheckedLeg.of_record(item.line, parsed.record, item.values, None)


def read(body: bytes, *, fast: bool) -> list[tuple[int, CheckedLeg | str]]:
    """Each line's outcome, with or without the fast path."""
    return [outcome(item) for item in NdjsonReader(io.BytesIO(body), FastLegs() if fast else None)]


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


def test_legs_read_for_a_partner_are_that_partners_on_the_fast_path_and_off_it():
    body = json.dumps(GOOD).encode() + b"\n" + json.dumps(GOOD | {"leg_id": "other", "site": "HQ"}).encode() + b"\n"
    source = open_rows(io.BytesIO(body), kind="call-legs", syntax="ndjson", partner_id=42)
    items = list(source)
    assert isinstance(items[0], CheckedLeg) and isinstance(items[1], Row)
    assert items[0].row[1] == 42  # made so as it was read, not restamped row by row afterwards
    assert [leg.row[1] for leg in checked_call_legs(items, 42)] == [42, 42]


def test_a_leg_with_an_unknown_key_is_left_to_the_full_reader_which_notes_the_column():
    reader = NdjsonReader(io.BytesIO(json.dumps(GOOD | {"site": "HQ"}).encode() + b"\n"), FastLegs())
    items = list(reader)
    assert [type(item) for item in items] == [Row]
    assert reader.columns[-1] == "site"


def test_a_malformed_line_is_left_to_the_full_reader_and_validator():
    bad = json.dumps(GOOD | {"duration_seconds": "sixty"}).encode()
    assert FastLegs().check(1, bad) is None
    assert full_validator(json.loads(bad)) is None


# Rows of named fields: CSV cells (text only, numbers and flags in every spelling a sender might
# use) and values of any type (what the Webex layout's mapping hands over).
cells = st.one_of(
    st.text(max_size=10),
    st.floats().map(repr),
    st.floats(0, 2000).map(str),
    st.integers(-5, 2**32).map(str),
    st.sampled_from(
        [
            *("null", "NULL", "Null", " null", "None", "1e3", "1E3", "12.0", "12.50", "0.0e1", "-0", "-0.0", "+1"),
            *("1_0", "TRUE", "False", "t", "yes", "n", " 1", "1e-400", "1e400", "Infinity", "nan", "0x1", "٣"),
        ]
    ),
)


def as_cell(value: object) -> str:
    """A value as a CSV writer would put it in a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else str(value)


GOOD_CELLS = {name: as_cell(value) for name, value in GOOD.items()}
csv_rows = st.one_of(
    any_rows.map(lambda row: {name: as_cell(value) for name, value in row.items()}),
    st.fixed_dictionaries({}, optional=dict.fromkeys(values_of, cells)).map(lambda row: GOOD_CELLS | row),
    # A clean row with one cell changed: the rows closest to what the fast path takes.
    *(st.builds(lambda cell, name=name: GOOD_CELLS | {name: cell}, cells) for name in values_of),
)


@settings(max_examples=1500, deadline=None)
@given(row=st.one_of(csv_rows, any_rows))
def test_the_fields_fast_path_accepts_only_what_the_full_validator_accepts_and_stores_the_same(row):
    fast = FastLegs().check_fields(1, row)
    if fast is not None:
        assert fast == full_validator(row)


@pytest.mark.parametrize(
    "started_at",
    [
        *utc_spellings(dt.datetime(2026, 1, 4, 9, 30, tzinfo=dt.UTC)),
        *utc_spellings(dt.datetime(2026, 1, 4, 9, 30, 5, 120000, tzinfo=dt.UTC)),
        "2026-01-04T09:30:05.000000+00:00",
        "2026-01-04T09:30:05.1Z",
        "2026-01-04T09:30:05,5+00:00",
        "2026-01-04T09:30:05.1234567+00:00",
        "20260104T093005.123+00:00",
        "2026-01-04T09:30+00:00",
        "2026-01-04T09:30:05-00:00",
        "2026-01-04T10:30:05+01:00",
    ],
)
def test_a_time_is_stored_as_its_naive_utc_text_however_it_is_spelled(started_at):
    fast = FastLegs().check(1, json.dumps(GOOD | {"started_at": started_at}).encode())
    assert fast is not None
    assert fast.row[6] == stored_moment(dt.datetime.fromisoformat(started_at))


def test_a_clean_csv_row_takes_the_fields_fast_path_with_the_values_the_full_validator_stores():
    fast = FastLegs().check_fields(1, GOOD_CELLS)
    assert fast is not None
    assert fast == full_validator(GOOD_CELLS)


@pytest.mark.parametrize("spelling", ["-0", "+1", "yes", "T", "1.0"])
def test_a_flag_spelled_otherwise_is_left_to_the_full_validator(spelling):
    row = GOOD_CELLS | {"transferred": spelling}
    assert FastLegs().check_fields(1, row) is None


@pytest.mark.parametrize("spelling", ["TRUE", "False", "1", "0"])
def test_a_flag_in_a_usual_spelling_takes_the_fields_fast_path(spelling):
    row = GOOD_CELLS | {"transferred": spelling}
    fast = FastLegs().check_fields(1, row)
    assert fast is not None
    assert fast == full_validator(row)


@pytest.mark.parametrize("field", ["jitter_ms", "location_id", "queue_wait_seconds"])
def test_the_text_null_is_left_to_the_full_validator_which_refuses_it(field):
    row = GOOD_CELLS | {field: "null"}
    assert FastLegs().check_fields(1, row) is None
    assert full_validator(row) is None


def test_a_webex_record_takes_the_fields_fast_path_naming_its_org_column():
    record = {
        "Report ID": "r-1",
        "Correlation ID": "c-1",
        "Org UUID": str(ORG),
        "Start time": "2026-01-04T09:30:00Z",
        "Duration": "61.4",
        "Direction": "ORIGINATING",
        "Client type": "WXC_CLIENT",
    }
    values = webex.to_call_leg(record)
    fast = FastLegs().check_fields(1, values, webex.LABELS["org_id"])
    assert fast is not None
    assert fast.org_label == "Org UUID"
    assert fast.row == full_validator(values).row


csv_bodies = st.lists(
    st.one_of(csv_rows.map(lambda row: [row.get(name, "") for name in COLUMNS]), st.lists(st.text(max_size=5))),
    max_size=6,
)
COLUMNS = sorted(values_of)


def csv_body(records: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(records)
    return out.getvalue().encode("utf-8", "surrogatepass")


@settings(max_examples=200, deadline=None)
@given(records=csv_bodies)
def test_a_csv_body_checked_with_the_fast_path_gives_the_same_legs_and_rejections_as_the_full_validator(records):
    body = csv_body(records)
    expected = [outcome(item) for item in CsvReader(io.BytesIO(body))]
    assert [outcome(item) for item in checked_call_legs(CsvReader(io.BytesIO(body)))] == expected
