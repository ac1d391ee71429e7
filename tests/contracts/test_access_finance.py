"""Access matrix for financing and funds, pages and API. The order is Mesa's (the buyer principals' member),
active, from ParkSense (the vendor principal); the fund is Mesa's, run by its approver. Financing follows the
order (the vendor reads it, only the city and the office add it); a fund is seen by its owner and the office
and run by the owner's approver; strangers get 404."""

import pytest

from contracts.finance import services as finance
from tests.access import case, expand, run_case
from tests.conftest import consortium, user
from tests.contracts.order_factories import make_order, make_vehicle

GRANT = {"kind": "grant", "partner": "State DOT", "principal": "50000.00"}
LOAN = {"kind": "loan", "partner": "State bank", "principal": "120000.00", "annual_rate": "4", "years": 5,
        "payments_per_year": 4, "first_payment_on": "2027-03-31"}


def _active():
    vehicle = make_vehicle(participants=())
    return make_order(vehicle, buyer="buyer@mesa.example", status="active")


def _order():
    return {"order": _active().id}


def _instrument(data):
    def setup():
        order = _active()
        instrument = finance.add_financing(order, data, actor=user("buyer@mesa.example"))
        return {"order": order.id, "instrument": instrument.id}
    return setup


def _fund():
    order = _active()
    approver = user("approver@mesa.example")
    fund = finance.create_fund(consortium("gpsr"), {"name": "Mesa innovation fund"}, actor=approver)
    finance.record_contribution(fund, {"amount": "100000.00", "source": "FY2027 budget",
                                       "received_on": "2026-01-15"}, actor=approver)
    return {"fund": fund.id, "order": order.id}


C = "/c/<consortium_slug>"
FUND = "/c/gpsr/funds/{fund}"
API_FUND = "/api/v1/funds/{fund}"
CONTRIBUTION = {"amount": "10.00", "source": "Grant", "received_on": "2026-02-01"}


def _draw(ids):
    return {"order_id": ids["order"], "amount": "10.00", "repayment_pct": "50"}


CASES = [
    # pages
    case("GET", f"{C}/orders/<int:order_id>/financing/new", "/c/gpsr/orders/{order}/financing/new", setup=_order,
         anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("POST", f"{C}/orders/<int:order_id>/financing/new", "/c/gpsr/orders/{order}/financing/new", setup=_order,
         data=GRANT, anon=302, buyer=302, vendor=403, admin=302, other=404),
    case("GET", f"{C}/financing/<int:instrument_id>", "/c/gpsr/financing/{instrument}", setup=_instrument(LOAN),
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/financing/<int:instrument_id>/schedule.csv", "/c/gpsr/financing/{instrument}/schedule.csv",
         setup=_instrument(LOAN), anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/funds", "/c/gpsr/funds", anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("GET", f"{C}/funds/export.csv", "/c/gpsr/funds/export.csv", anon=302, buyer=200, vendor=403, admin=200,
         other=404),
    case("POST", f"{C}/funds", "/c/gpsr/funds", data={"name": "A new fund"},
         anon=302, buyer=403, approver=302, vendor=403, admin=302, other=404),
    case("GET", f"{C}/funds/<int:fund_id>", FUND, setup=_fund, anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", f"{C}/funds/<int:fund_id>/ledger.csv", FUND + "/ledger.csv", setup=_fund,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("POST", f"{C}/funds/<int:fund_id>/contributions", FUND + "/contributions", setup=_fund, data=CONTRIBUTION,
         anon=302, buyer=403, approver=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/funds/<int:fund_id>/draws", FUND + "/draws", setup=_fund,
         data=lambda ids: {**_draw(ids), "order_id": f"TO-{ids['order']:06d}"},
         anon=302, buyer=403, approver=302, vendor=404, admin=403, other=404),
    # API
    case("POST", "/api/v1/financing", setup=_order, json=lambda ids: {"order_id": ids["order"], **GRANT},
         anon=401, buyer=201, vendor=403, admin=201, other=404),
    case("GET", "/api/v1/financing/<int:instrument_id>", "/api/v1/financing/{instrument}", setup=_instrument(GRANT),
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/funds", json={"name": "A new fund"},
         anon=401, buyer=403, approver=201, vendor=403, admin=201, other_buyer=403, other_admin=201),
    case("GET", "/api/v1/funds/<int:fund_id>", API_FUND, setup=_fund,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/funds/<int:fund_id>/contributions", API_FUND + "/contributions", setup=_fund,
         json=CONTRIBUTION, anon=401, buyer=403, approver=201, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/funds/<int:fund_id>/draws", API_FUND + "/draws", setup=_fund, json=_draw,
         anon=401, buyer=403, approver=201, vendor=404, admin=403, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
