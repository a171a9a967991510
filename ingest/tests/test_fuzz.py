"""Fuzz: bodies mixing good call legs with every kind of malformed row, sent through the API as
NDJSON and as CSV. Never a 500; every good row kept; every bad row reported with its line."""

import csv
import io
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.scope import scope_for
from accounts.services import create_token
from calling.models import CallLeg
from customers.tests.factories import CustomerFactory
from ingest.formats import Row
from ingest.services import ingest_batch
from ingest.validation import FIELDS, KINDS

pytestmark = pytest.mark.django_db(databases="__all__")

COLUMNS = [
    "leg_id",
    "call_id",
    "org_id",
    "started_at",
    "duration_seconds",
    "direction",
    "endpoint_type",
    "jitter_ms",
    "user_id",
]

# How a good row is spoiled, and what each spoiling does to it.
WRONG_TYPES = [("duration_seconds", "ninety"), ("duration_seconds", -4), ("jitter_ms", "loud"), ("direction", 7)]
BAD_TIMES = ["2026-13-45T00:00:00Z", "yesterday", "2026-01-06T09:30:00", "0001-01-01T00:00:00+05:00", ""]
SPOILERS = [
    "wrong_type",
    "missing",
    "unknown_customer",
    "other_partner",
    "bad_time",
    "long_id",
    "huge_field",
    "invalid_utf8",
    "broken_syntax",
    "repeat",
]


@pytest.fixture
def world(partner, full_admin):
    mine = CustomerFactory(partner=partner, region="EU")
    theirs = CustomerFactory(region="EU")
    _token, raw = create_token(admin=full_admin, scopes=["ingest"])
    return {"mine": mine, "theirs": theirs, "headers": {"HTTP_AUTHORIZATION": f"Bearer {raw}"}}


def good_row(prefix: str, index: int, org_id: object) -> dict[str, object]:
    return {
        "leg_id": f"{prefix}-{index}",
        "call_id": f"{prefix}-call-{index // 2}",
        "org_id": str(org_id),
        "started_at": f"2026-01-{6 + index % 20:02d}T09:{index % 60:02d}:00Z",
        "duration_seconds": 30 + index,
        "direction": "inbound" if index % 2 else "outbound",
        "endpoint_type": "desk_phone",
        "jitter_ms": 12.5,
        "user_id": f"user-{index % 3}",
    }


def csv_line(row: dict[str, object]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode()


def spoil(row: dict[str, object], how: str, syntax: str, draw: st.DrawFn, world: dict) -> bytes:
    row = dict(row)
    if how == "wrong_type":
        column, value = draw(st.sampled_from(WRONG_TYPES))
        row[column] = value
    elif how == "missing":
        row[draw(st.sampled_from(["leg_id", "call_id", "org_id", "started_at", "duration_seconds"]))] = ""
    elif how == "unknown_customer":
        row["org_id"] = str(uuid.uuid4())
    elif how == "other_partner":
        row["org_id"] = str(world["theirs"].org_id)
    elif how == "bad_time":
        row["started_at"] = draw(st.sampled_from(BAD_TIMES))
    elif how == "long_id":
        row["call_id"] = "c" * 65
    elif how == "huge_field":
        row["user_id"] = "u" * draw(st.sampled_from([70_000, 1_100_000]))
    line = csv_line(row) if syntax == "csv" else (json.dumps(row) + "\n").encode()
    if how == "invalid_utf8":
        cut = draw(st.integers(1, len(line) - 2))
        line = line[:cut] + b"\xff\xfe" + line[cut:]
    elif how == "broken_syntax":
        line = line[: len(line) // 2] + b"\n" if syntax == "ndjson" else line.replace(b",", b',"', 1)
    return line


@st.composite
def bodies(draw: st.DrawFn, world: dict) -> tuple[str, bytes, set[str], set[int], int]:
    """(syntax, body, leg ids that must be stored, line numbers that must be rejected, repeats).
    A JSON document's rows are the same as NDJSON's, in an array, and numbered by position; it is
    not spoiled in its syntax or encoding, since a document cannot be read on after those."""
    syntax = draw(st.sampled_from(["ndjson", "csv", "json"]))
    prefix = uuid.uuid4().hex[:12]
    spoilers = [how for how in SPOILERS if syntax != "json" or how not in ("invalid_utf8", "broken_syntax")]
    plan = draw(st.lists(st.one_of(st.just("good"), st.sampled_from(spoilers)), min_size=1, max_size=25))
    lines = [b",".join(column.encode() for column in COLUMNS) + b"\n"] if syntax == "csv" else []
    good, bad, repeats, previous = set(), set(), 0, None
    for index, how in enumerate(plan):
        row = good_row(prefix, index, world["mine"].org_id)
        number = len(lines) + 1
        if how == "good":
            lines.append(csv_line(row) if syntax == "csv" else (json.dumps(row) + "\n").encode())
            good.add(str(row["leg_id"]))
            previous = lines[-1]
        elif how == "repeat":
            if previous is None:
                continue
            lines.append(previous)
            repeats += 1
        else:
            lines.append(spoil(row, how, syntax, draw, world))
            bad.add(number)
    if syntax == "json":
        return syntax, b"[" + b",".join(line.rstrip(b"\n") for line in lines) + b"]", good, bad, repeats
    # (An empty body would reach the view without a content type: the test client drops it.)
    return syntax, b"".join(lines) or b"\n", good, bad, repeats


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_malformed_rows_never_cost_a_good_row_and_each_is_reported_with_its_line(client, world, data):
    syntax, body, good, bad, repeats = data.draw(bodies(world))
    content_type = {"ndjson": "application/x-ndjson", "csv": "text/csv", "json": "application/json"}[syntax]
    response = client.post("/api/v1/ingest/call-legs", body, content_type=content_type, **world["headers"])

    assert response.status_code == 200, response.content[:500]
    answer = response.json()
    assert {rejected["line"] for rejected in answer["rejected"]} == bad
    assert all(rejected["error"] for rejected in answer["rejected"])
    assert (answer["accepted"], answer["duplicates"]) == (len(good), repeats)
    stored = set(CallLeg.objects.using("region_eu").filter(leg_id__in=good).values_list("leg_id", flat=True))
    assert stored == good
    assert not CallLeg.objects.using("region_eu").filter(org_id=world["theirs"].org_id).exists()


PLAUSIBLE = st.sampled_from(
    [
        "2026-01-04",
        "2026-01-04T10:00:00Z",
        "2026-02-30",
        "paid",
        "trial",
        "active",
        "calling",
        "meetings",
        "EU",
        "DE",
        "EUR",
        "+493012345678",
        "6C710D8ABC10",
        "12",
        "-1",
        "1e400",
        "true",
        "Sub-1",
        str(uuid.UUID(int=1)),
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@st.composite
def rows_of_any_kind(draw: st.DrawFn, world: dict) -> tuple[str, list[Row]]:
    kind = draw(st.sampled_from(KINDS))
    org_ids = [str(world["mine"].org_id), str(world["theirs"].org_id), str(uuid.uuid4()), "x"]
    rows = []
    for line in range(1, draw(st.integers(1, 8)) + 1):
        values = {field: draw(st.one_of(PLAUSIBLE, JSON)) for field in sorted(FIELDS[kind]) if draw(st.booleans())}
        values["org_id"] = draw(st.sampled_from(org_ids))
        rows.append(Row(line, values))
    return kind, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_values_in_any_kind_are_accepted_or_rejected_never_an_error(world, full_admin, data):
    kind, rows = data.draw(rows_of_any_kind(world))
    result = ingest_batch(scope=scope_for(full_admin), kind=kind, rows=rows)
    assert result.rows == len(rows)
    assert all(rejected.error for rejected in result.rejected)
