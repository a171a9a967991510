import pytest

from customers.export import Column, csv_lines, safe_csv_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@risk", "'@risk"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),
        ("+14155550100", "+14155550100"),
        ("+1 415", "'+1 415"),
        ("Acme", "Acme"),
        (42, "42"),
        (None, ""),
    ],
)
def test_cells_that_start_like_formulas_are_neutralised_except_numbers(value, expected):
    assert safe_csv_cell(value) == expected


def test_csv_lines_have_a_header_and_escaped_rows():
    columns = [Column("Name", lambda r: r[0]), Column("Seats", lambda r: r[1])]
    lines = list(csv_lines(columns, [("=evil()", 5), ("Ünïcode", -3)]))
    assert lines == ["Name,Seats\r\n", "'=evil(),5\r\n", "Ünïcode,-3\r\n"]
