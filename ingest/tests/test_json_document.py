"""One JSON document of rows (an array, or an object whose `items` array holds them, as a page of
Webex Calling's Detailed Call History API) read record by record."""

import io
import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.formats import MAX_LINE_BYTES, BadLine, FormatRefused, NdjsonReader, Row
from ingest.json_document import JsonDocumentReader, is_document
from ingest.sources import open_rows, sniff_syntax

from .test_formats import generated_stream
from .test_webex import call_records


def read(body: bytes, chunk: int = 64 * 1024) -> list[Row | BadLine]:
    return list(JsonDocumentReader(io.BytesIO(body), chunk))  # type: ignore[arg-type]


def test_records_of_an_array_are_rows_numbered_by_their_position():
    assert read(b'[{"a": 1},\n\n {"a": 2}, {"a": 3}]') == [Row(1, {"a": 1}), Row(2, {"a": 2}), Row(3, {"a": 3})]


def test_a_page_object_gives_the_records_of_its_items_whatever_comes_around_them():
    body = b'{"count": 2, "links": {"next": null, "items": 0}, "items": [{"a": 1}, {"a": 2}], "more": true}'
    assert read(body) == [Row(1, {"a": 1}), Row(2, {"a": 2})]


def test_a_record_that_is_not_an_object_is_rejected_and_reading_goes_on():
    items = read(b'[{"a": 1}, [1, 2], null, {"b": "x\\u0000y"}, {"a": 2}]')
    assert items == [
        Row(1, {"a": 1}),
        BadLine(2, "is an array, not a JSON object with one row's fields"),
        BadLine(3, "is null, not a JSON object with one row's fields"),
        BadLine(4, "contains a NUL character (\\u0000)"),
        Row(5, {"a": 2}),
    ]


def test_broken_json_keeps_the_records_before_it_and_says_the_rest_was_not_read():
    items = read(b'[{"a": 1},\n{"a": 2 "b": 3},\n{"a": 4}]')
    assert items == [
        Row(1, {"a": 1}),
        BadLine(
            2, "is not valid JSON: Expecting ',' delimiter (line 2 of the document); the records after it were not read"
        ),
    ]


def test_a_missing_comma_between_records_is_named():
    assert read(b'[{"a": 1} {"a": 2}]')[1] == BadLine(
        2, "is not valid JSON: expected ',' or ']' after record 1; the records after it were not read"
    )


def test_a_document_cut_short_ends_with_one_rejection():
    assert read(b'[{"a": 1}, {"a": ')[1].error.startswith("is not valid JSON: Expecting value")


def test_invalid_utf8_names_the_byte_and_its_position_in_the_document():
    items = read('[{"a": "café"}, {"a": "caf'.encode() + b'\xe9"}]', chunk=5)
    assert items[0] == Row(1, {"a": "café"})
    assert items[1] == BadLine(
        2, "is not valid UTF-8 (byte 0xe9 at byte 28 of the document); the records after it were not read"
    )


def test_nan_is_not_json():
    assert read(b'[{"a": NaN}]') == [
        BadLine(1, "is not valid JSON: NaN is not a number in JSON; the records after it were not read")
    ]


def test_an_over_long_record_is_rejected_and_reading_goes_on():
    body = b'[{"a": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}, {"a": 1}]'
    assert read(body) == [BadLine(1, f"is longer than {MAX_LINE_BYTES:,} characters"), Row(2, {"a": 1})]


def test_a_record_too_long_to_hold_ends_the_reading_without_being_kept():
    body = b'[{"a": "' + b"x" * (3 * MAX_LINE_BYTES) + b'"}, {"a": 1}]'
    assert read(body) == [
        BadLine(1, f"is longer than {MAX_LINE_BYTES:,} characters; the records after it were not read")
    ]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"7", "a JSON document of rows is an array of objects, or an object with an `items` array"),
        (b'{"org_id": "x"}', "the JSON document has no `items` array of records"),
        (b'{"items": {"a": 1}}', "the JSON document's `items` is not an array of records"),
        (b'\xff[{"a": 1}]', "the JSON document is not valid UTF-8 (byte 0xff at byte 1 of the document)"),
    ],
)
def test_a_document_of_another_shape_is_refused_before_any_row(body, why):
    with pytest.raises(FormatRefused) as refused:
        JsonDocumentReader(io.BytesIO(body))
    assert str(refused.value) == why


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]", b'{"items": []}', b"\xef\xbb\xbf[ ]"])
def test_an_empty_document_has_no_rows(body):
    assert read(body) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
# Mostly objects (rows), and other values, which are rejected as records.
records = st.lists(st.dictionaries(st.text(max_size=6), json_values, max_size=4) | json_values, max_size=6)


@settings(max_examples=200, deadline=None)
@given(rows=records, indent=st.sampled_from([None, 0, 2]), page=st.booleans(), chunk=st.integers(1, 40))
def test_a_document_gives_the_rows_the_same_records_give_as_ndjson(rows, indent, page, chunk):
    """Wherever the chunks of the stream break the text, however the document is laid out."""
    document = json.dumps({"items": rows} if page else rows, indent=indent).encode()
    as_ndjson = b"\n".join(json.dumps(row).encode() for row in rows)
    assert read(document, chunk) == list(NdjsonReader(io.BytesIO(as_ndjson)))


def test_reading_keeps_memory_flat_however_long_the_document():
    def peak(records: int) -> int:
        stream = generated_stream(b'{"items": [{"n": 0}', b',\n{"org_id": "x", "n": 1}', records)
        tracemalloc.start()
        count = sum(isinstance(item, Row) for item in JsonDocumentReader(stream))  # type: ignore[arg-type]
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == records + 1
        return top

    assert peak(100_000) < peak(10_000) + 256 * 1024


@pytest.mark.parametrize(
    ("head", "document"),
    [
        (b'{"a": 1}\n{"a": 2}\n', False),
        (b'{"a": 1}', False),
        (b'{"items": [{"a": 1}]}', True),
        (b'{\n  "items": [\n', True),
        (b'\xef\xbb\xbf  [{"a": 1}]', True),
        (b"", False),
    ],
)
def test_a_json_file_is_told_apart_from_ndjson_by_its_first_line(head, document):
    assert is_document(head) is document


def test_a_page_of_the_detailed_call_history_api_reads_as_webex_records():
    page = json.dumps({"items": call_records("org")}).encode()
    source = open_rows(io.BytesIO(page), kind="call-legs", syntax="json", layout="webex-cdr")
    rows = list(source)
    assert [row.values["leg_id"] for row in rows] == [f"r-{n}" for n in range(1, 8)]  # type: ignore[union-attr]
    assert source.ignored_columns == ["Call type", "Call outcome", "Hold Duration", "Report time"]


@pytest.mark.parametrize(
    ("body", "syntax"),
    [
        (b'{"a": 1}\n{"a": 2}\n', "ndjson"),
        (b'\n\n  {"items": [\n{"a": 1}]}', "json"),
        (b'[{"a": 1}]', "json"),
        (b"org_id,name\nx,y\n", "csv"),
        (b"", "csv"),
    ],
)
def test_a_stream_of_unknown_syntax_is_told_by_its_first_line_and_read_from_its_start(body, syntax):
    told, stream = sniff_syntax(io.BytesIO(body), otherwise="csv")
    assert told == syntax
    assert stream.read() == body


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=60),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from([b"[", b'{"items": [', b'{"a": 1, "items": ']),
            st.binary(max_size=40),
        ),
    ),
    chunk=st.integers(1, 16),
)
def test_any_bytes_are_refused_whole_or_read_into_rows_and_rejections_never_an_error(body, chunk):
    try:
        reader = JsonDocumentReader(io.BytesIO(body), chunk)  # type: ignore[arg-type]
    except FormatRefused:
        return
    items = list(reader)
    assert all(isinstance(item, Row | BadLine) for item in items)
    assert [item.line for item in items] == list(range(1, len(items) + 1))
