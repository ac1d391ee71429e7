"""The CSV writer: UTF-8 with a BOM, ISO dates, plain decimals, and formulas neutralised."""

from datetime import date
from decimal import Decimal

from marketplace.csvexport import Columns, cell, csv_response, csv_text


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


def test_accents_survive_behind_the_bom():
    data = csv_text(["city"], [["Mesa – Tempé"]]).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "city\r\nMesa – Tempé\r\n"


def test_a_hundred_thousand_rows_are_written_as_the_body_is_read(app):
    read = []

    def rows():
        for n in range(100_000):
            read.append(n)
            yield (n, f"=cmd{n}", Decimal("1.50"))

    with app.test_request_context():
        response = csv_response("big.csv", ("n", "text", "amount"), rows())
        assert read == []  # nothing is read before the body is
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == 'attachment; filename="big.csv"'
        body = iter(response.response)
        assert next(body) == "\ufeffn,text,amount\r\n".encode()
        assert next(body) == b"0,'=cmd0,1.50\r\n"
        assert len(read) == 1  # one row at a time
        lines = 2 + sum(1 for _ in body)
    assert lines == 100_001 and len(read) == 100_000


def test_columns_name_and_read_each_field():
    columns = Columns(("name", lambda x: x["name"]), ("amount", lambda x: x["amount"]))
    assert columns.header == ["name", "amount"]
    assert list(columns.rows([{"name": "@SUM(1)", "amount": Decimal("2.00")}])) == [["@SUM(1)", Decimal("2.00")]]
    assert csv_text(columns.header, columns.rows([{"name": "+1", "amount": None}])) == "\ufeffname,amount\r\n'+1,\r\n"
