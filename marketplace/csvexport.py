"""CSV files people download: one writer for every export (DESIGN sections 7 and 9).

- UTF-8 with a byte-order mark, so spreadsheet programs read accents and the en dash right;
- dates in ISO 8601 and amounts as plain decimals ("123290.94", never "$123,290.94"), so a spreadsheet reads
  them as numbers and dates;
- a text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is neutralised with a leading
  apostrophe, so a spreadsheet never runs it as a formula (CSV injection). Numbers and dates are written by
  this module and are never text a person typed, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from flask import Response

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


def csv_text(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """The whole file, BOM first, CRLF line ends (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return BOM + out.getvalue()


def _safe_filename(name: str) -> str:
    kept = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in name)
    return kept.strip("-.") or "export"


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable]) -> Response:
    """A download of the rows as `filename` (ASCII letters, digits, `-`, `_` and `.` kept)."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe_filename(filename)}"'
    return response
