"""Access matrix for invoices, pages and API. The order is Mesa's (the buyer principals' member), active,
from ParkSense (the vendor principal); the invoice asks for its lines. Only the vendor submits; only the
member's staff decide and pay; the office reads; strangers get 404. The other way round, only the member's
staff bill the vendor for a revenue share."""

from datetime import date, timedelta

import pytest

from contracts.invoices import services as invoices
from tests.access import case, expand, run_case
from tests.conftest import user
from tests.contracts.order_factories import make_order, make_vehicle


def _active():
    vehicle = make_vehicle(participants=())
    return make_order(vehicle, buyer="buyer@mesa.example", status="active")


def _order():
    order = _active()
    return {"order": order.id, "line": order.lines[0].id}


REVENUE_TERMS = {"period": "quarter", "periods": 4, "start_date": "2024-01-01", "fixed_fee": "0", "at_risk_fee": "0",
                 "revenue_share": {"kpi": "ad_revenue", "city_share_pct": "50", "minimum_guarantee": "1000.00",
                                   "guarantee_periods": 4}}


def _revenue_order():
    """Mesa's active order with a revenue share: its staff bill ParkSense (a bad form re-renders: 400)."""
    vehicle = make_vehicle(participants=())
    order = make_order(vehicle, buyer="buyer@mesa.example", status="active", performance=REVENUE_TERMS)
    return {"order": order.id}


def _invoice(status="submitted"):
    def setup():
        order = _active()
        invoice = invoices.submit_invoice(
            order, {"number": "PS-1", "issued_on": (date.today() - timedelta(days=3)).isoformat(),
                    "amount": str(order.lines[0].total), "lines": [order.lines[0].id]},
            actor=user("vendor@parksense.example"))
        if status == "approved":
            invoices.approve_invoice(invoice, actor=user("buyer@mesa.example"))
        return {"order": order.id, "invoice": invoice.id}

    return setup


SUBMITTED, APPROVED = _invoice(), _invoice("approved")
C = "/c/<consortium_slug>"
INVOICE_URL = "/c/gpsr/invoices/{invoice}"
API_INVOICE = "/api/v1/invoices/{invoice}"
TODAY = date.today().isoformat()

CASES = [
    # pages: the submit form lives on the order page; a bad form re-renders it (400), a good one redirects
    case("POST", f"{C}/orders/<int:order_id>/invoices", "/c/gpsr/orders/{order}/invoices", setup=_order,
         data={"number": "", "issued_on": TODAY, "amount": "1.00"},
         anon=302, buyer=403, vendor=400, admin=403, other=404),
    case("POST", f"{C}/orders/<int:order_id>/revenue-invoices", "/c/gpsr/orders/{order}/revenue-invoices",
         setup=_revenue_order, data={"number": "", "issued_on": TODAY, "period": "period-1", "amount": "1.00"},
         anon=302, buyer=400, vendor=403, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>/invoices/export.csv", "/c/gpsr/orders/{order}/invoices/export.csv",
         setup=SUBMITTED, anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/invoices/<int:invoice_id>", INVOICE_URL, setup=SUBMITTED,
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("POST", f"{C}/invoices/<int:invoice_id>/approve", INVOICE_URL + "/approve", setup=SUBMITTED,
         anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("POST", f"{C}/invoices/<int:invoice_id>/reject", INVOICE_URL + "/reject", setup=SUBMITTED,
         data={"reason": "Wrong PO number"}, anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("POST", f"{C}/invoices/<int:invoice_id>/pay", INVOICE_URL + "/pay", setup=APPROVED,
         data={"paid_on": TODAY}, anon=302, buyer=302, vendor=403, admin=403, other=404),
    # API
    case("GET", "/api/v1/orders/<int:order_id>/invoices", "/api/v1/orders/{order}/invoices", setup=SUBMITTED,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/invoices", "/api/v1/orders/{order}/invoices", setup=_order,
         json={"number": "PS-9", "issued_on": TODAY, "amount": "1.00", "lines": []},
         anon=401, buyer=403, vendor=400, admin=403, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/revenue-invoices", "/api/v1/orders/{order}/revenue-invoices",
         setup=_revenue_order, json={"number": "MESA-9", "issued_on": TODAY, "amount": "1.00"},
         anon=401, buyer=400, vendor=403, admin=403, other=404),
    case("GET", "/api/v1/invoices/<int:invoice_id>", API_INVOICE, setup=SUBMITTED,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/invoices/<int:invoice_id>/approve", API_INVOICE + "/approve", setup=SUBMITTED,
         json={}, anon=401, buyer=200, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/invoices/<int:invoice_id>/reject", API_INVOICE + "/reject", setup=SUBMITTED,
         json={"reason": "Wrong PO number"}, anon=401, buyer=200, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/invoices/<int:invoice_id>/pay", API_INVOICE + "/pay", setup=APPROVED,
         json={"paid_on": TODAY}, anon=401, buyer=200, vendor=403, admin=403, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
