"""Reading ahead in a child process hands the command exactly the items an in-process reading
would, batch by batch, and whatever stops the child stops the command."""

import io
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid

import pytest

from calling.batch_figures import count_batch
from calling.copy_rows import copy_text
from ingest import read_ahead
from ingest.fast_legs import CheckedLeg
from ingest.formats import BadLine, Row
from ingest.read_ahead import ReadAhead, ReadBatch
from ingest.services import checked_call_legs
from ingest.sources import open_rows

ORG = uuid.UUID("aaaaaaaa-0000-4000-8000-000000000001")


def leg(number: int, **changes: object) -> bytes:
    values: dict[str, object] = {
        "leg_id": f"leg-{number}",
        "call_id": f"call-{number // 2}",
        "org_id": str(ORG),
        "started_at": "2026-01-04T09:30:00+00:00",
        "duration_seconds": number,
        "direction": "outbound",
        "endpoint_type": "app",
        "jitter_ms": 1.5,
    }
    return json.dumps(values | changes).encode()


def body() -> bytes:
    lines = [leg(number) for number in range(1, 8)]
    lines[2] = leg(3, direction="OUTBOUND")  # an unusual spelling: the full validator's to read
    lines[4] = b"{not json"
    lines[5] = leg(6, pager="extra column")
    return b"\n".join(lines) + b"\n"


def read_all(source: object, batch_size: int) -> list[list[object]]:
    with ReadAhead(source, batch_size) as reader:  # type: ignore[arg-type]
        return [batch.items for batch in reader]


def read_batches(data: bytes, batch_size: int) -> list[ReadBatch]:
    with ReadAhead(ndjson_source(data), batch_size) as reader:  # type: ignore[arg-type]
        return list(reader)


def ndjson_source(data: bytes, kind: str = "call-legs") -> object:
    return open_rows(io.BytesIO(data), kind=kind, syntax="ndjson")


def by_line(item: object) -> int:
    assert isinstance(item, (Row, BadLine, CheckedLeg))
    return item.line


def test_batches_hold_the_call_legs_an_in_process_check_gives():
    read = list(open_rows(io.BytesIO(body()), kind="call-legs", syntax="ndjson"))
    assert {type(item) for item in read} == {CheckedLeg, Row, BadLine}
    in_process = list(checked_call_legs(read))
    batches = read_all(ndjson_source(body()), batch_size=3)
    assert [sorted(batch, key=by_line) for batch in batches] == [in_process[0:3], in_process[3:6], in_process[6:7]]


def test_each_batch_comes_with_what_its_checked_legs_add_to_the_rollups():
    with ReadAhead(ndjson_source(b"".join(leg(n) + b"\n" for n in range(1, 8))), batch_size=4) as reader:  # type: ignore[arg-type]
        batches = [(batch.items, batch.counted and batch.counted()) for batch in reader]
    assert [len(items) for items, _ in batches] == [4, 3]
    for items, figures in batches:
        legs = [item for item in items if isinstance(item, CheckedLeg)]
        assert figures == count_batch(checked.row for checked in legs)
    first = batches[0][1]
    assert first
    [(org, location, day, endpoint, media, figures)] = first.buckets
    assert (org, location, day, endpoint, media) == (ORG.hex, "0" * 32, "2026-01-04", "app", "audio")
    assert (figures[0], figures[1]) == (4, 1 + 2 + 3 + 4)  # legs, duration_seconds


def test_batches_may_start_small_and_double_up_to_the_batch_size():
    with ReadAhead(ndjson_source(b"".join(leg(n) + b"\n" for n in range(1, 21))), 8, first_batch=2) as reader:  # type: ignore[arg-type]
        assert [len(batch.items) for batch in reader] == [2, 4, 8, 6]


def test_a_batch_is_decoded_only_once_the_caller_took_the_one_before(monkeypatch):
    decoded = []

    def decode(message: bytes) -> list[CheckedLeg]:
        decoded.append(message)
        return decode_legs(message)

    decode_legs = read_ahead._decode_legs
    monkeypatch.setattr(read_ahead, "_decode_legs", decode)
    with ReadAhead(ndjson_source(b"".join(leg(n) + b"\n" for n in range(1, 11))), 1) as reader:  # type: ignore[arg-type]
        batches = iter(reader)
        next(batches)
        time.sleep(0.5)  # all ten batches are read and sent by now; the pipe holds them
        assert len(decoded) == 2  # the one taken and the next, waiting
        assert len(list(batches)) == 9


def test_a_batch_repeating_a_leg_id_is_not_counted_ahead():
    [batch] = read_batches(leg(1) + b"\n" + leg(1, duration_seconds=7) + b"\n", batch_size=10)
    assert len(batch.items) == 2
    assert batch.counted is None


def test_a_failure_while_counting_is_raised_where_the_figures_are_awaited(monkeypatch):
    def fails(legs: object) -> None:
        raise ArithmeticError("cannot count these")

    monkeypatch.setattr(read_ahead, "count_new_legs", fails)  # the forked reading process has it too
    with pytest.raises(ArithmeticError, match="cannot count these"), ReadAhead(ndjson_source(leg(1)), 10) as reader:  # type: ignore[arg-type]
        batch = next(iter(reader))
        assert batch.counted is not None
        batch.counted()


def test_rows_the_fast_path_declined_arrive_validated():
    lines = [leg(1, direction="OUTBOUND"), leg(2, duration_seconds=-5), b"{not json"]
    body = b"\n".join(lines) + b"\n"
    [batch] = read_all(ndjson_source(body), batch_size=10)
    first, negative, broken = sorted(batch, key=by_line)
    assert isinstance(first, CheckedLeg)  # read by the full validator
    assert first.row[8] == "outbound"
    assert isinstance(negative, BadLine)
    assert "duration_seconds" in negative.error
    assert isinstance(broken, BadLine)


def test_checked_legs_come_back_with_their_values():
    [batch] = read_all(ndjson_source(leg(9) + b"\n"), batch_size=10)
    [checked] = batch
    assert isinstance(checked, CheckedLeg)
    assert (checked.line, checked.org_hex, checked.row[2:4], checked.row[6:8]) == (
        1,
        ORG.hex,
        ("leg-9", "call-4"),
        ("2026-01-04 09:30:00", 9),
    )
    assert checked.row[11] == 1.5  # jitter_ms, still a float


def test_checked_legs_come_back_as_rows_of_the_partner_the_reader_was_told():
    lines = [leg(1), leg(2, direction="OUTBOUND")]  # the fast path's, then the full validator's
    with ReadAhead(ndjson_source(b"\n".join(lines) + b"\n"), 10, partner_id=7) as reader:  # type: ignore[arg-type]
        [batch] = list(reader)
    assert [(item.row[0], item.row[1]) for item in batch.items] == [(ORG.hex, 7)] * 2  # type: ignore[union-attr]


def test_the_columns_nothing_reads_are_known_once_the_batches_are_read():
    with ReadAhead(ndjson_source(body()), batch_size=2) as reader:  # type: ignore[arg-type]
        assert reader.ignored_columns == []
        list(reader)
    assert reader.ignored_columns == ["pager"]


def test_rows_of_other_kinds_keep_their_order():
    rows = b"".join(json.dumps({"org_id": str(ORG), "name": f"Site {n}"}).encode() + b"\n" for n in range(5))
    [batch] = read_all(ndjson_source(rows, kind="locations"), batch_size=10)
    assert [item.line for item in batch] == [1, 2, 3, 4, 5]
    assert all(isinstance(item, Row) for item in batch)


class BrokenStream(io.BytesIO):
    """A stream whose device fails after the first line."""

    def readline(self, size: int | None = -1) -> bytes:
        if self.tell():
            raise OSError(5, "Input/output error")
        return super().readline(size)


def test_a_failure_while_reading_is_raised_in_the_caller():
    with pytest.raises(OSError, match="Input/output error"):
        read_all(open_rows(BrokenStream(body()), kind="call-legs", syntax="ndjson"), batch_size=1)


def test_leaving_the_block_early_stops_the_reading_process():
    many = b"".join(leg(number) + b"\n" for number in range(1, 2001))
    with pytest.raises(LookupError), ReadAhead(ndjson_source(many), batch_size=10) as reader:  # type: ignore[arg-type]
        next(iter(reader))
        assert multiprocessing.active_children()  # still reading, blocked on the pipe
        raise LookupError("the caller failed while writing the first batch")
    assert multiprocessing.active_children() == []


class DyingSource:
    """A source whose reading process is killed outright (as by the out-of-memory killer)."""

    kind = "call-legs"
    ignored_columns: list[str] = []

    def __iter__(self):
        os._exit(3)
        yield


def test_a_reading_process_that_dies_stops_the_caller_with_its_exit_code():
    with pytest.raises(RuntimeError, match=r"stopped unexpectedly \(exit code 3\)"):
        read_all(DyingSource(), batch_size=10)


# A process of its own: glibc's state in this one depends on what ran before.
_LARGE_BLOCKS = """
import ctypes, ctypes.util, django
django.setup()
from ingest.read_ahead import map_large_blocks

class MallInfo2(ctypes.Structure):
    names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(name, ctypes.c_size_t) for name in names.split()]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = MallInfo2
fixed = map_large_blocks() if FIX else False
# Freeing a large mapped block raises glibc's own threshold to its size, unless it is fixed
gone = bytearray(24 * 1024 * 1024)  # below the 32 MB up to which glibc raises it
del gone
before = libc.mallinfo2().hblks
block = bytearray(8 * 1024 * 1024)
print(fixed, libc.mallinfo2().hblks - before)
"""


@pytest.mark.parametrize(("fix", "expected"), [(True, "True 1"), (False, "False 0")], ids=["fixed", "glibc's own"])
def test_a_large_block_gets_a_mapping_of_its_own_even_after_a_larger_one_was_freed(fix: bool, expected: str):
    done = subprocess.run(
        [sys.executable, "-c", f"FIX = {fix}\n{_LARGE_BLOCKS}"], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == expected.split()


def read_ready(data: bytes, batch_size: int = 10) -> list[ReadBatch]:
    with ReadAhead(ndjson_source(data), batch_size, partner_id=5, copy_ready=True) as reader:  # type: ignore[arg-type]
        return list(reader)


def test_legs_made_ready_for_copy_arrive_as_text_in_leg_id_order_and_undecoded(monkeypatch):
    decoded = []
    decode_legs = read_ahead._decode_legs
    monkeypatch.setattr(read_ahead, "_decode_legs", lambda message: decoded.append(message) or decode_legs(message))
    body = leg(3) + b"\n" + b"{not json\n" + leg(12) + b"\n"
    [batch] = read_ready(body)
    assert batch.ready is not None and batch.counted is not None
    assert [type(item) for item in batch.items] == [BadLine]  # the legs are not among the items
    assert decoded == []
    in_process = checked_call_legs(open_rows(io.BytesIO(body), kind="call-legs", syntax="ndjson"), 5)
    legs = [item for item in in_process if isinstance(item, CheckedLeg)]
    assert [leg.row[2] for leg in legs] == ["leg-3", "leg-12"]
    assert batch.ready.text == copy_text([legs[1].row, legs[0].row])  # "leg-12" sorts first
    assert (batch.ready.org_hexes, batch.ready.partner_id, batch.ready.count) == ([ORG.hex], 5, 2)
    assert batch.ready.checked() == legs
    assert len(decoded) == 1


def test_a_batch_repeating_a_leg_id_or_naming_a_site_is_not_made_ready():
    repeated, named = (
        read_ready(leg(1) + b"\n" + leg(1, duration_seconds=7) + b"\n"),
        read_ready(leg(1, location_name="Berlin HQ") + b"\n"),
    )
    for [batch] in (repeated, named):
        assert batch.ready is None
        assert all(isinstance(item, CheckedLeg) for item in batch.items)
