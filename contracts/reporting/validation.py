"""Clean input for sales reports into plain data, or field errors (`ValidationFailed`).

The vendor's reported lines (`{lines: [{member_id? | customer_name, gross, tax, freight, returns}]}`, the same
shape from the form and the API): each names a customer (a member of the consortium, or a public entity
outside the marketplace by name), a gross of zero or more, and tax, freight and returns of zero or more
(default 0). Returns above the gross are allowed (a negative net: goods sold in an earlier quarter came
back); the fee never goes below zero (`fees.admin_fee`). Lines the platform prefills (`source: platform`)
may be sent back as they were read and are ignored: the server recomputes them.
"""

from __future__ import annotations

from decimal import Decimal

from contracts.reporting.fees import parse_quarter
from contracts.reporting.models import AMOUNT_MAX, CUSTOMER_NAME_MAX, PAYMENT_MAX, PLATFORM, REPORTED_LINES_MAX
from marketplace.inputs import clean_text, parse_date, parse_id, parse_money, raise_if

AMOUNTS = ("gross", "tax", "freight", "returns")
AMOUNT_WORDS = {"gross": "gross sales", "tax": "tax", "freight": "freight", "returns": "returns"}
QUARTER_HINT = "Write the quarter as a year, Q and its number, such as 2026Q3."


def clean_quarter(raw, path: str = "quarter", fields: dict | None = None, *, required: bool = True) -> str | None:
    """A calendar quarter such as `2026Q3`; records a field error otherwise."""
    fields = {} if fields is None else fields
    text = raw.strip() if isinstance(raw, str) else raw
    if text is None or text == "":
        if required:
            fields[path] = QUARTER_HINT
        return None
    if not isinstance(text, str) or parse_quarter(text.upper()) is None:
        fields[path] = QUARTER_HINT
        return None
    return text.upper()


def _is_blank(row: dict) -> bool:
    return all(row.get(key) in (None, "") for key in ("member_id", "customer_name", *AMOUNTS))


def clean_line(row, path: str, fields: dict, member_ids: set[int]) -> dict | None:
    if not isinstance(row, dict):
        fields[path] = "Each line must be an object."
        return None
    line: dict = {"member_id": None, "customer_name": None}
    raw_member = row.get("member_id")
    if raw_member not in (None, ""):
        member_id = parse_id(raw_member)
        if member_id is None or member_id not in member_ids:
            fields[f"{path}.member_id"] = "Choose a member of this consortium, or name the customer instead."
        line["member_id"] = member_id
    name = clean_text(row.get("customer_name"), f"{path}.customer_name", fields, limit=CUSTOMER_NAME_MAX)
    if line["member_id"] is None and not name and f"{path}.member_id" not in fields:
        fields.setdefault(f"{path}.customer_name", "Name the public entity that bought (or choose a member).")
    line["customer_name"] = name or None
    line["gross"] = parse_money(row.get("gross"), f"{path}.gross", fields, what="gross sales", positive=False,
                                high=AMOUNT_MAX)
    for key in ("tax", "freight", "returns"):
        line[key] = parse_money(row.get(key), f"{path}.{key}", fields, what=AMOUNT_WORDS[key], positive=False,
                                required=False, default=Decimal("0.00"), high=AMOUNT_MAX)
    return line


def clean_lines(data, member_ids: set[int], *, prefix: str = "lines") -> list[dict]:
    """The vendor's reported lines; blank rows (a form's spare rows) and platform lines are skipped."""
    fields: dict[str, str] = {}
    rows = data.get("lines") if isinstance(data, dict) else None
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise_if({prefix: "Give the lines as a list."}, "The lines are not valid.")
    lines = []
    for i, row in enumerate(rows):
        if isinstance(row, dict) and (row.get("source") == PLATFORM or _is_blank(row)):
            continue
        line = clean_line(row, f"{prefix}.{i}", fields, member_ids)
        if line is not None:
            lines.append(line)
    if len(lines) > REPORTED_LINES_MAX:
        fields[prefix] = f"Report at most {REPORTED_LINES_MAX} lines."
    raise_if(fields, "Some lines are not valid: nothing was saved.")
    return lines


def clean_payment(data) -> dict:
    """{amount, paid_on}: an amount more than zero and a date (the balance and the calendar are checked by
    the service)."""
    fields: dict[str, str] = {}
    data = data if isinstance(data, dict) else {}
    amount = parse_money(data.get("amount"), "amount", fields, what="amount paid", high=PAYMENT_MAX)
    paid_on = parse_date(data.get("paid_on"), "paid_on", fields)
    raise_if(fields, "The payment is not valid: nothing was recorded.")
    return {"amount": amount, "paid_on": paid_on}
