"""The CSV writer: UTF-8 with a BOM, ISO dates, plain decimals, and formulas neutralised."""

from datetime import date
from decimal import Decimal

from marketplace.csvexport import cell, csv_text


def test_cells_are_plain_and_formulas_are_neutralised():
    assert cell(Decimal("-1234.50")) == "-1234.50"  # a number stays a number
    assert cell(date(2027, 1, 31)) == "2027-01-31"
    assert cell(None) == ""
    for dangerous in ("=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"):
        assert cell(dangerous) == "'" + dangerous
    assert cell("Mesa – Tempe") == "Mesa – Tempe"


def test_the_file_starts_with_a_bom_and_uses_crlf():
    text = csv_text(["a", "b"], [["=1", Decimal("2.00")]])
    assert text == "\ufeffa,b\r\n'=1,2.00\r\n"
