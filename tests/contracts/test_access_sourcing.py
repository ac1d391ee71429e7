"""Access matrix for RFIs (pages and API), the need page's order link and financing on needs. The RFIs are Mesa's
(the buyer and approver principals' member), except the one taking interest, which the office issued so that Mesa
may register interest; ParkSense (the vendor principal) responds; Front Range's people are strangers (404)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consortium.planning import services as planning
from contracts.orders.models import Order
from contracts.sourcing import services as sourcing
from marketplace.extensions import db
from tests.access import case, expand, run_case
from tests.conftest import consortium, org, user

MOU = {"roles": "R", "data_sharing": "D", "revenue_sharing": "S", "intellectual_property": "I", "term": "T"}
POSITIONS = {p: {"position": "accept"} for p in MOU}
METRICS = [{"kpi": "Uptime", "unit": "percent", "direction": "higher", "baseline": "0", "target": "95"}]


def _due() -> str:
    return (date.today() + timedelta(days=30)).isoformat()


def _rfi(issuer="approver@mesa.example", *, publish=True, respond=False, close=False):
    actor = user(issuer)
    rfi = sourcing.create_rfi(consortium("gpsr"), {
        "title": "Access RFI", "problem": "P", "outcomes": "O", "category": "parking", "responses_due": _due(),
        "mou_outline": dict(MOU)}, actor=actor)
    ids = {"rfi": rfi.id}
    if publish:
        sourcing.publish_rfi(rfi, actor=actor)
    if respond:
        saved = sourcing.submit_response(rfi, {"summary": "S", "pricing_models": ["purchase"],
                                               "indicative_price": "100.00", "mou": POSITIONS},
                                         actor=user("vendor@parksense.example"))
        ids["response"] = saved.obj.id
    if close:
        sourcing.close_rfi(rfi, actor=actor)
    return ids


def draft():
    return _rfi(publish=False)


def opened():
    return _rfi()


def office_rfi():
    return _rfi("admin@gpsr.example")


def answered():
    return _rfi(respond=True)


def closed():
    return _rfi(respond=True, close=True)


def need_and_order():
    buyer = user("buyer@mesa.example")
    need = planning.create_need(consortium("gpsr"), {"title": "N", "problem": "P", "category": "parking",
                                                      "estimated_cost": "1000.00", "fiscal_year": "2027"}, actor=buyer)
    planning.submit_need(need, actor=buyer)
    order = db.session.scalar(select(Order).where(Order.member_id == org("Mesa").id,
                                                  Order.status.not_in(("cancelled", "declined"))).limit(1))
    approver = user("approver@mesa.example")
    round_ = planning.start_round(consortium("gpsr"), {"title": "R", "fiscal_year": "2027", "budget": "5000.00",
                                                       "criteria": [{"name": "B", "weight": "1"}]}, actor=approver)
    planning.add_candidate(round_, {"need_id": need.id}, actor=approver)
    planning.rate_need(round_, {"need_id": need.id, "ratings": {"B": 5}}, actor=approver)
    planning.close_round(round_, actor=approver)
    return {"need": need.id, "order": order.id}


def need_only():
    buyer = user("buyer@mesa.example")
    need = planning.create_need(consortium("gpsr"), {"title": "N", "problem": "P", "category": "parking",
                                                      "estimated_cost": "1000.00", "fiscal_year": "2027"}, actor=buyer)
    return {"need": need.id}


C = "/c/<consortium_slug>"
RFI = "/c/gpsr/rfis/{rfi}"
API = "/api/v1/rfis/{rfi}"
RFI_FORM = {"title": "T", "problem": "P", "outcomes": "O", "category": "parking", "due_date": _due(),
            **{f"mou_{k}": v for k, v in MOU.items()}}
RFI_JSON = {"title": "T", "problem": "P", "outcomes": "O", "category": "parking", "responses_due": _due(),
            "mou_outline": MOU}
RESPONSE_FORM = {"summary": "S", "pricing_models": "purchase", "indicative_price": "100.00",
                 **{f"position_{p}": "accept" for p in MOU}}
RESPONSE_JSON = {"summary": "S", "pricing_models": ["purchase"], "indicative_price": "100.00", "mou": POSITIONS}
INTEREST = {"indicative_quantity": "5", "indicative_budget": "100.00"}
GRANT = {"kind": "grant", "partner": "State DOT", "principal": "500.00"}

CASES = [
    # pages
    case("GET", f"{C}/rfis", "/c/gpsr/rfis", anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/rfis/export.csv", "/c/gpsr/rfis/export.csv", anon=302, buyer=200, vendor=200, admin=200,
         other=404),
    case("GET", f"{C}/rfis/new", "/c/gpsr/rfis/new", anon=302, buyer=403, approver=200, vendor=403, admin=200,
         other=404),
    case("POST", f"{C}/rfis/new", "/c/gpsr/rfis/new", data=RFI_FORM, anon=302, buyer=403, approver=302, vendor=403,
         admin=302, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>", RFI, setup=opened, anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/edit", RFI + "/edit", setup=draft, anon=302, buyer=403, approver=200,
         vendor=404, admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/edit", RFI + "/edit", setup=draft, data=RFI_FORM, anon=302, buyer=403,
         approver=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/publish", RFI + "/publish", setup=draft, anon=302, buyer=403, approver=302,
         vendor=404, admin=403, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/close", RFI + "/close", setup=opened, anon=302, buyer=403, approver=200,
         vendor=403, admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/close", RFI + "/close", setup=opened, anon=302, buyer=403, approver=302,
         vendor=403, admin=403, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/cancel", RFI + "/cancel", setup=opened, anon=302, buyer=403, approver=200,
         vendor=403, admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/cancel", RFI + "/cancel", setup=opened, data={"reason": "No budget"},
         anon=302, buyer=403, approver=302, vendor=403, admin=403, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/interest", RFI + "/interest", setup=office_rfi, anon=302, buyer=200,
         vendor=403, admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/interest", RFI + "/interest", setup=office_rfi, data=INTEREST, anon=302,
         buyer=302, vendor=403, admin=403, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/response", RFI + "/response", setup=opened, anon=302, buyer=403, vendor=200,
         admin=403, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/response", RFI + "/response", setup=opened, data=RESPONSE_FORM, anon=302,
         buyer=403, vendor=302, admin=403, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/compare", RFI + "/compare", setup=answered, anon=302, buyer=200, vendor=403,
         admin=200, other=404),
    case("GET", f"{C}/rfis/<int:rfi_id>/convert", RFI + "/convert", setup=closed, anon=302, buyer=403, approver=200,
         vendor=403, admin=200, other=404),
    case("POST", f"{C}/rfis/<int:rfi_id>/convert", RFI + "/convert", setup=closed,
         data=lambda ids: {"response_id": str(ids["response"]), "into": "pilot", "metrics-0-kpi": "Uptime",
                           "metrics-0-direction": "higher", "metrics-0-baseline": "0", "metrics-0-target": "95"},
         anon=302, buyer=403, approver=302, vendor=403, admin=403, other=404),
    case("POST", f"{C}/needs/<int:need_id>/order", "/c/gpsr/needs/{need}/order", setup=need_and_order,
         data=lambda ids: {"order_id": str(ids["order"])}, anon=302, buyer=302, vendor=404, admin=302, other=404),
    case("GET", f"{C}/needs/<int:need_id>/financing/new", "/c/gpsr/needs/{need}/financing/new", setup=need_only,
         anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("POST", f"{C}/needs/<int:need_id>/financing/new", "/c/gpsr/needs/{need}/financing/new", setup=need_only,
         data=GRANT, anon=302, buyer=302, vendor=404, admin=302, other=404),
    # API
    case("POST", "/api/v1/rfis", json=RFI_JSON, anon=401, buyer=403, approver=201, vendor=403, admin=201,
         other_buyer=403, other_admin=201),
    case("GET", "/api/v1/rfis/<int:rfi_id>", API, setup=opened, anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/publish", API + "/publish", setup=draft, anon=401, buyer=403,
         approver=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/close", API + "/close", setup=opened, anon=401, buyer=403, approver=200,
         vendor=403, admin=403, other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/cancel", API + "/cancel", setup=opened, json={}, anon=401, buyer=403,
         approver=200, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/interest", API + "/interest", setup=office_rfi,
         json={"indicative_quantity": 5, "indicative_budget": "100.00"}, anon=401, buyer=201, vendor=403, admin=403,
         other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/responses", API + "/responses", setup=opened, json=RESPONSE_JSON,
         anon=401, buyer=403, vendor=201, admin=403, other=404),
    case("POST", "/api/v1/rfis/<int:rfi_id>/convert", API + "/convert", setup=closed,
         json=lambda ids: {"response_id": ids["response"], "into": "pilot", "pilot": {"metrics": METRICS}},
         anon=401, buyer=403, approver=200, vendor=403, admin=403, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
