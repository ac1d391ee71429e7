"""CSV files people download: one writer for every export (DESIGN sections 7 and 9).

- UTF-8 with a byte-order mark, so spreadsheet programs read accents and the en dash right;
- dates in ISO 8601 and amounts as plain decimals ("123290.94", never "$123,290.94"), so a spreadsheet reads
  them as numbers and dates;
- a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised with a leading
  apostrophe, so a spreadsheet never runs it as a formula (CSV injection). Numbers and dates are written by
  this module and are never text a person typed, so a negative amount stays a number;
- streamed: `csv_response` writes the rows lazily as the client reads the body, one line at a time, and
  `stream_scalars` feeds it from the database in batches, so 100,000 rows never sit in memory at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from flask import Response, has_request_context, stream_with_context

from marketplace.extensions import db
from marketplace.tenancy import current_consortium_id, tenant

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One value as its CSV text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The file line by line, BOM first, CRLF line ends (RFC 4180); `rows` is read one row at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def line(values: Iterable) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow([cell(v) for v in values])
        return out.getvalue()

    yield BOM + line(header)
    for row in rows:
        yield line(row)


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """The whole file as one string (small files and tests)."""
    return "".join(csv_lines(header, rows))


BATCH = 500


def stream_scalars(stmt, batch: int = BATCH) -> Iterator:
    """The ORM objects of `stmt` fetched `batch` at a time (a server-side cursor on PostgreSQL), so a long
    export holds one batch in memory; eager loads (`selectinload`) run once per batch. Lazy: the query runs
    when the first row is read, that is while `csv_response` writes the body (see there)."""
    yield from db.session.scalars(stmt.execution_options(yield_per=batch))


def _safe_filename(name: str) -> str:
    kept = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    return kept.strip("-.") or "export"


def _in_tenant(consortium_id: int | None, lines: Iterator[str]) -> Iterator[bytes]:
    with tenant(consortium_id):
        for line in lines:
            yield line.encode("utf-8")


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A download of the rows as `filename` (ASCII letters, digits, `-`, `_` and `.` kept).

    The body is a generator: nothing of `rows` is read before the client reads the body. Flask runs the
    request's teardown (which closes the database session) when the view returns, and pushes the contexts
    again while the body is written; so `rows` must load what it reads then (`stream_scalars`, or a list of
    plain values), and is read with the request's consortium set again on the new session (tenancy holds).
    Anything that can fail on input (filters) must be checked before calling this, so the answer is a clean
    400 rather than a cut file."""
    if has_request_context():
        body = stream_with_context(_in_tenant(current_consortium_id(), csv_lines(header, rows)))
    else:
        body = (line.encode("utf-8") for line in csv_lines(header, rows))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    return response


class Columns:
    """The columns of one kind of row, each a header and how to read it from the object, declared once
    and used by both the page's `export.csv` and the API's CSV answer."""

    def __init__(self, *spec: tuple[str, Callable]):
        self.spec = spec

    @property
    def header(self) -> list[str]:
        return [name for name, _ in self.spec]

    def row(self, obj) -> list:
        return [read(obj) for _, read in self.spec]

    def rows(self, objects: Iterable) -> Iterator[list]:
        return (self.row(obj) for obj in objects)

    def response(self, filename: str, objects: Iterable) -> Response:
        """The download of `objects`: a list (or tuple) is read now, while the session that loaded its
        objects is open; an iterator (`stream_scalars`) is read as the body is written."""
        if isinstance(objects, list | tuple):
            return csv_response(filename, self.header, [self.row(obj) for obj in objects])
        return csv_response(filename, self.header, self.rows(objects))
