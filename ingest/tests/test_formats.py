import io
import tracemalloc

import pytest

from ingest.formats import (
    MAX_FIELD_CHARS,
    MAX_LINE_BYTES,
    BadLine,
    CsvReader,
    FormatRefused,
    NdjsonReader,
    Row,
    text_encoding,
)


def ndjson(body: bytes) -> list[Row | BadLine]:
    return list(NdjsonReader(io.BytesIO(body)))


def csv_rows(body: bytes) -> list[Row | BadLine]:
    return list(CsvReader(io.BytesIO(body)))


def test_ndjson_rows_carry_their_physical_line_numbers_and_blank_lines_are_not_rows():
    items = ndjson(b'{"a": 1}\n\n  \n{"a": 2}\r\n{"a": 3}')
    assert items == [Row(1, {"a": 1}), Row(4, {"a": 2}), Row(5, {"a": 3})]


def test_ndjson_bad_lines_are_reported_and_reading_goes_on():
    items = ndjson(b'{"a": 1\n[1, 2]\n"text"\nnull\n{"a": NaN}\n{"a": 2}\n')
    assert [type(item).__name__ for item in items] == ["BadLine"] * 5 + ["Row"]
    assert items[0] == BadLine(1, "is not valid JSON: Expecting ',' delimiter (column 8)")
    assert items[1].error == "is an array, not a JSON object with one row's fields"
    assert items[3].error == "is null, not a JSON object with one row's fields"
    assert items[4].error == "is not valid JSON: NaN is not a number in JSON"


def test_ndjson_invalid_utf8_names_the_byte_and_position():
    assert ndjson(b'{"a": "caf\xe9"}\n') == [BadLine(1, "is not valid UTF-8 (byte 0xe9 at position 11)")]


def test_ndjson_text_that_cannot_be_stored_is_refused():
    items = ndjson(b'{"a": "x\\u0000y"}\n{"b": ["\\ud800"]}\n{"c": "\\u00e9t\\u00e9"}\n')
    assert items[0] == BadLine(1, "contains a NUL character (\\u0000)")
    assert "unpaired UTF-16 surrogate" in items[1].error
    assert items[2] == Row(3, {"c": "été"})


def test_ndjson_deep_nesting_is_one_bad_line():
    assert ndjson(b"[" * 100_000 + b"\n" + b'{"ok": true}\n') == [
        BadLine(1, "is JSON nested too deeply to read"),
        Row(2, {"ok": True}),
    ]


def test_an_over_long_line_is_skipped_without_being_kept():
    body = b'{"a": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n{"a": 1}\n'
    assert ndjson(body) == [
        BadLine(1, f"is longer than {MAX_LINE_BYTES:,} bytes; the line was skipped"),
        Row(2, {"a": 1}),
    ]


def test_ndjson_columns_are_every_key_seen_in_order():
    reader = NdjsonReader(io.BytesIO(b'{"b": 1, "a": 2}\n{"c": 3, "a": 4}\n'))
    list(reader)
    assert reader.columns == ["b", "a", "c"]


def test_csv_rows_are_numbered_from_the_header_and_a_bom_is_dropped():
    items = csv_rows(b"\xef\xbb\xbforg_id,name\r\n1,Acme\r\n\r\n2,Blue\r\n")
    assert items == [Row(2, {"org_id": "1", "name": "Acme"}), Row(4, {"org_id": "2", "name": "Blue"})]


@pytest.mark.parametrize("separator", [b";", b"\t"])
def test_csv_separated_by_semicolons_or_tabs_is_read_when_the_header_has_no_comma(separator):
    body = separator.join([b"org_id", b"name", b"jitter_ms"]) + b"\r\n"
    body += separator.join([b"x", b'"Caf\xc3\xa9; Bar"', b"12,5"]) + b"\r\n"
    assert csv_rows(body) == [Row(2, {"org_id": "x", "name": "Café; Bar", "jitter_ms": "12,5"})]


def test_csv_a_header_with_commas_keeps_commas_whatever_else_it_holds():
    assert csv_rows(b"org_id,note;x\ny,a;b\n") == [Row(2, {"org_id": "y", "note;x": "a;b"})]


def test_csv_in_another_encoding_is_read_in_it_and_its_bad_bytes_are_named():
    body = "org_id,name\n1,Café\n".encode("cp1252") + b"2,x\x81y\n"
    assert list(CsvReader(io.BytesIO(body), "cp1252")) == [
        Row(2, {"org_id": "1", "name": "Café"}),
        BadLine(3, "is not valid cp1252 (byte 0x81 at position 4)"),
    ]


def test_utf16_text_is_refused_with_what_to_do():
    with pytest.raises(FormatRefused, match=r"UTF-16 text, which is not read \(save the file as UTF-8\)"):
        CsvReader(io.BytesIO("org_id,name\n1,x\n".encode("utf-16")))


@pytest.mark.parametrize(
    ("name", "codec"),
    [("UTF8", "utf-8"), ("Windows-1252", "cp1252"), ("latin1", "iso8859-1"), ("cp949", "cp949"), ("sjis", "shift_jis")],
)
def test_encodings_that_write_ascii_as_ascii_are_read(name, codec):
    assert text_encoding(name) == codec


@pytest.mark.parametrize("name", ["utf-16", "utf-32-le", "cp500", "no-such-thing"])
def test_other_encodings_are_refused(name):
    with pytest.raises(ValueError, match=r"not a known text encoding|encoding is not read"):
        text_encoding(name)


def test_csv_quoted_fields_may_hold_commas_quotes_and_line_breaks():
    items = csv_rows(b'a,b\n"x, y","say ""hi""\nand bye"\n3,4\n')
    assert items == [Row(2, {"a": "x, y", "b": 'say "hi"\nand bye'}), Row(4, {"a": "3", "b": "4"})]


def test_csv_an_unclosed_quote_rejects_its_line_only():
    items = csv_rows(b'a,b\n1,"broken\n2,ok\n3,"fine"\n4,also ok\n')
    assert items == [
        BadLine(2, 'has a quoted field whose closing quote (") is missing'),
        Row(3, {"a": "2", "b": "ok"}),
        Row(4, {"a": "3", "b": "fine"}),
        Row(5, {"a": "4", "b": "also ok"}),
    ]


def test_csv_an_unclosed_quote_on_the_last_line_is_reported():
    assert csv_rows(b'a,b\n1,2\n3,"open') == [
        Row(2, {"a": "1", "b": "2"}),
        BadLine(3, 'has a quoted field whose closing quote (") is missing'),
    ]


def test_csv_text_after_a_closing_quote_is_a_bad_line():
    items = csv_rows(b'a,b\n"x"y,1\n2,3\n')
    assert items[0].line == 2 and items[0].error.startswith("cannot be read as CSV")
    assert items[1] == Row(3, {"a": "2", "b": "3"})


def test_csv_rows_must_have_as_many_fields_as_the_header():
    assert csv_rows(b"a,b\n1,2,3\n1\n") == [
        BadLine(2, "has 3 fields but the header has 2"),
        BadLine(3, "has 1 fields but the header has 2"),
    ]


def test_csv_rows_can_keep_only_some_columns_under_the_names_given_and_are_still_checked_whole():
    body = b'a,b,c\n1,"2,5",3\n1,2\n'
    reader = CsvReader(io.BytesIO(body), keep={"a": "A", "c": "c", "z": "z"}.get)
    assert list(reader) == [Row(2, {"A": "1", "c": "3"}), BadLine(3, "has 2 fields but the header has 3")]
    assert reader.columns == ["a", "b", "c"]


def test_csv_an_over_long_field_is_named():
    body = b"a,b\n1," + b"x" * (MAX_FIELD_CHARS + 1) + b"\n"
    assert csv_rows(body) == [
        BadLine(2, f"field 'b' is {MAX_FIELD_CHARS + 1:,} characters long; at most {MAX_FIELD_CHARS:,} are allowed")
    ]


def test_csv_invalid_utf8_and_nul_are_bad_lines():
    assert csv_rows(b"a\n\xff\nx\x00y\nok\n") == [
        BadLine(2, "is not valid UTF-8 (byte 0xff at position 1)"),
        BadLine(3, "contains a NUL character"),
        Row(4, {"a": "ok"}),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (b"a,b,a\n", "names the column 'a' twice"),
        (b"\xff\n", "is not valid UTF-8"),
        (b'a,"b\n', "cannot be read"),
    ],
)
def test_an_unreadable_csv_header_refuses_the_whole_file(header, message):
    with pytest.raises(FormatRefused, match=message):
        CsvReader(io.BytesIO(header + b"1,2\n"))


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
def test_csv_blank_lines_before_the_header_are_skipped_and_still_counted(bom):
    reader = CsvReader(io.BytesIO(bom + b"\r\n \r\norg_id,name\r\n1,Acme\r\n2,Blue\r\n"))
    assert reader.columns == ["org_id", "name"]
    assert list(reader) == [Row(4, {"org_id": "1", "name": "Acme"}), Row(5, {"org_id": "2", "name": "Blue"})]


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
def test_a_csv_of_blank_lines_only_has_no_header_and_no_rows(bom):
    reader = CsvReader(io.BytesIO(bom + b"\r\n\r\n  \n"))
    assert (reader.columns, list(reader)) == ([], [])


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["bom", "no-bom"])
def test_a_header_only_csv_has_its_columns_and_no_rows(bom):
    reader = CsvReader(io.BytesIO(bom + b"\r\norg_id,name\r\n"))
    assert (reader.columns, list(reader)) == (["org_id", "name"], [])


def test_ndjson_a_first_line_of_only_a_bom_is_blank():
    assert ndjson(b'\xef\xbb\xbf\r\n{"a": 1}\n') == [Row(2, {"a": 1})]


def test_an_empty_csv_has_no_rows():
    reader = CsvReader(io.BytesIO(b""))
    assert (reader.columns, list(reader)) == ([], [])


def generated_stream(header: bytes, line: bytes, lines: int) -> io.BufferedReader:
    """A body of `lines` copies of `line` after `header`, made as it is read (never held whole)."""

    class Generated(io.RawIOBase):
        def __init__(self):
            self.left = lines
            self.pending = header

        def readable(self):
            return True

        def readinto(self, target):
            while len(self.pending) < len(target) and self.left:
                batch = min(self.left, 1000)
                self.pending += line * batch
                self.left -= batch
            size = min(len(target), len(self.pending))
            target[:size] = self.pending[:size]
            self.pending = self.pending[size:]
            return size

    return io.BufferedReader(Generated())


@pytest.mark.parametrize(
    ("reader", "header", "line"),
    [(NdjsonReader, b"", b'{"org_id": "x", "n": 1}\n'), (CsvReader, b"org_id,n\n", b'x,"1"\n')],
)
def test_reading_keeps_memory_flat_however_long_the_body(reader, header, line):
    def peak(lines: int) -> int:
        tracemalloc.start()
        count = sum(1 for _ in reader(generated_stream(header, line, lines)))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count == lines
        return top

    assert peak(100_000) < peak(10_000) + 256 * 1024
