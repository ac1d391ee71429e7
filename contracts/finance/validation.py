"""Reading financing instruments, funds, contributions and draws from a form or JSON: plain data, or field
messages (every problem at once). What the money allows (a draw within the balance) is the services' rule,
checked after this under the fund's lock."""

from __future__ import annotations

from datetime import date

from contracts.finance.models import (
    BOND_KINDS,
    KIND_LABELS,
    KINDS,
    MAX_UNITS,
    MAX_YEARS,
    NAME_MAX,
    NOTES_MAX,
    PARTNER_MAX,
    RATE_PLACES,
    RECORDED_KINDS,
    SCHEDULE_KINDS,
    SOURCE_MAX,
)
from contracts.finance.schedules import PAYMENTS_PER_YEAR
from marketplace.errors import ValidationFailed
from marketplace.formats import money
from marketplace.inputs import (
    MAX_MONEY,
    clean_text,
    parse_choice,
    parse_date,
    parse_id,
    parse_int,
    parse_money,
    parse_percent,
    raise_if,
    whole_number,
)

# The fields each group of kinds uses; anything else given for that kind is refused, not silently dropped.
SCHEDULE_FIELDS = ("principal", "annual_rate", "years", "payments_per_year", "first_payment_on")
BOND_FIELDS = ("issue_price", "maturity_value", "years", "units")
RECORDED_FIELDS = ("principal", "years")
ALL_FIELDS = ("principal", "annual_rate", "years", "payments_per_year", "first_payment_on", "issue_price",
              "maturity_value", "units")
PAYMENTS_MESSAGE = "Choose 1, 2, 4 or 12 payments a year (yearly, half-yearly, quarterly or monthly)."
FIELD_NAMES = {"principal": "principal", "annual_rate": "annual rate", "years": "term",
               "payments_per_year": "payments per year", "first_payment_on": "first payment date",
               "issue_price": "issue price", "maturity_value": "maturity value", "units": "units"}


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _years(raw, fields: dict, *, required: bool) -> int | None:
    return parse_int(raw, "years", fields, what="term in years", low=1, high=MAX_YEARS, required=required)


def _payments_per_year(raw, fields: dict) -> int | None:
    if _blank(raw):
        fields["payments_per_year"] = PAYMENTS_MESSAGE
        return None
    value = whole_number(raw, low=1, high=12)
    if value not in PAYMENTS_PER_YEAR:
        fields["payments_per_year"] = PAYMENTS_MESSAGE
        return None
    return value


def clean_financing_data(data: dict) -> dict:
    """{kind, partner, notes, and the fields of the kind}: a loan, vendor financing or lease with its schedule's
    terms; a mini-bond's price, maturity value, term and units; or a recorded instrument's amount and term."""
    fields: dict[str, str] = {}
    kind = parse_choice(data.get("kind"), "kind", fields, KINDS, what="kind of financing")
    partner = clean_text(data.get("partner"), "partner", fields, limit=PARTNER_MAX, required=True)
    notes = clean_text(data.get("notes"), "notes", fields, limit=NOTES_MAX)
    clean: dict = {"kind": kind, "partner": partner, "notes": notes, **dict.fromkeys(ALL_FIELDS)}
    if kind in SCHEDULE_KINDS:
        used = SCHEDULE_FIELDS
        clean["principal"] = parse_money(data.get("principal"), "principal", fields, what="principal")
        clean["annual_rate"] = parse_percent(data.get("annual_rate"), "annual_rate", fields, what="annual rate",
                                             places=RATE_PLACES)
        clean["years"] = _years(data.get("years"), fields, required=True)
        clean["payments_per_year"] = _payments_per_year(data.get("payments_per_year"), fields)
        clean["first_payment_on"] = parse_date(data.get("first_payment_on"), "first_payment_on", fields)
    elif kind in BOND_KINDS:
        used = BOND_FIELDS
        clean.update(_bond(data, fields))
    elif kind in RECORDED_KINDS:
        used = RECORDED_FIELDS
        clean["principal"] = parse_money(data.get("principal"), "principal", fields, what="amount")
        clean["years"] = _years(data.get("years"), fields, required=False)
    else:
        used = ALL_FIELDS
    for name in ALL_FIELDS:
        if name not in used and not _blank(data.get(name)):
            fields[name] = f"A {KIND_LABELS[kind].lower()} has no {FIELD_NAMES[name]}; leave it out."
    raise_if(fields, "The financing has problems to correct.")
    return clean


# What the vendor-financing block of the order form checks before the order exists: a principal left empty
# becomes the order's value, so it is checked as given.
PLACEHOLDER_PRINCIPAL = "1.00"


def vendor_financing_data(data: dict, order_value) -> dict:
    """The order form's vendor-financing block as a `vendor_financing` instrument: the principal, left empty,
    is the order's value (None: not known yet)."""
    clean = {name: data.get(name) for name in ("partner", *SCHEDULE_FIELDS)}
    if _blank(clean["principal"]) and order_value is not None and order_value > 0:
        clean["principal"] = str(order_value)
    return {"kind": "vendor_financing", **clean}


def vendor_financing_problems(data: dict, order_value) -> dict[str, str]:
    """The block's problems (none: {}), every one at once, as `clean_financing_data` words them; with the
    order's value unknown, an empty principal is no problem (it will be the value)."""
    data = vendor_financing_data(data, order_value)
    if order_value is None and _blank(data["principal"]):
        data["principal"] = PLACEHOLDER_PRINCIPAL
    elif _blank(data["principal"]):
        return {**_problems(data), "principal": "Enter the principal: the order has no value yet to finance."}
    return _problems(data)


def _problems(data: dict) -> dict[str, str]:
    try:
        clean_financing_data(data)
    except ValidationFailed as err:
        return dict(err.fields)
    return {}


def _bond(data: dict, fields: dict) -> dict:
    issue_price = parse_money(data.get("issue_price"), "issue_price", fields, what="issue price")
    maturity_value = parse_money(data.get("maturity_value"), "maturity_value", fields, what="maturity value")
    years = _years(data.get("years"), fields, required=True)
    units = parse_int(data.get("units"), "units", fields, what="number of units", low=1, high=MAX_UNITS)
    if issue_price is not None and maturity_value is not None and maturity_value < issue_price:
        fields["maturity_value"] = (f"The maturity value ({money(maturity_value)}) is below the issue price "
                                    f"({money(issue_price)}): a zero-coupon bond repays at least its price.")
    elif maturity_value is not None and units is not None and maturity_value * units > MAX_MONEY:
        fields["units"] = "The liability (maturity value × units) is too large."
    return {"issue_price": issue_price, "maturity_value": maturity_value, "years": years, "units": units}


def clean_fund_data(data: dict) -> dict:
    """{name, owner_id}: owner_id None means the person's own organization."""
    fields: dict[str, str] = {}
    name = clean_text(data.get("name"), "name", fields, limit=NAME_MAX, required=True)
    owner_id = None
    if not _blank(data.get("owner_id")):
        owner_id = parse_id(data.get("owner_id"))
        if owner_id is None:
            fields["owner_id"] = "Choose the member or the office that owns the fund."
    raise_if(fields, "The fund has problems to correct.")
    return {"name": name, "owner_id": owner_id}


def clean_contribution_data(data: dict, *, today: date) -> dict:
    """{amount, source, received_on}: money already received (never dated in the future)."""
    fields: dict[str, str] = {}
    amount = parse_money(data.get("amount"), "amount", fields)
    source = clean_text(data.get("source"), "source", fields, limit=SOURCE_MAX, required=True)
    received_on = parse_date(data.get("received_on"), "received_on", fields)
    if received_on is not None and received_on > today:
        fields["received_on"] = "A contribution is recorded once received: it cannot be dated in the future."
    raise_if(fields, "The contribution has problems to correct.")
    return {"amount": amount, "source": source, "received_on": received_on}


def parse_order_reference(raw) -> int | None:
    """An order id from JSON, or a reference a person types: "TO-000042", "to-42" or "42"."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:3].upper() == "TO-":
            text = text[3:]
        return parse_id(text)
    return parse_id(raw)


def clean_draw_data(data: dict) -> dict:
    """{order_id, amount, repayment_pct}: the repayment % is from 0 to 100."""
    fields: dict[str, str] = {}
    order_id = None
    if _blank(data.get("order_id")):
        fields["order_id"] = "Name the order the draw finances (its reference, such as TO-000042)."
    else:
        order_id = parse_order_reference(data.get("order_id"))
        if order_id is None:
            fields["order_id"] = "Give the order's reference, such as TO-000042."
    amount = parse_money(data.get("amount"), "amount", fields)
    pct = parse_percent(data.get("repayment_pct"), "repayment_pct", fields, what="repayment percentage")
    raise_if(fields, "The draw has problems to correct.")
    return {"order_id": order_id, "amount": amount, "repayment_pct": pct}
