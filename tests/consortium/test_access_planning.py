"""Access matrix for needs, priority rounds and the roadmap, pages and API. The needs and rounds are Mesa's (the
buyer and approver principals' member); ParkSense's vendor sees none of it (404 for objects, 403 for the planning
pages); Front Range's people are strangers (404)."""

import pytest
from sqlalchemy import select

from consortium.models import Organization
from consortium.planning import services as planning
from marketplace.extensions import db
from tests.access import case, expand, run_case
from tests.conftest import consortium, user

CRITERIA = [{"name": "Benefit", "weight": "0.6"}, {"name": "Cost", "weight": "0.4"}]
NEED = {"title": "Access need", "problem": "A problem.", "category": "parking", "estimated_cost": "1000.00",
        "fiscal_year": "2027"}
ROUND = {"title": "Access round", "fiscal_year": "2027", "budget": "5000.00", "criteria": CRITERIA}


def _need(submit: bool = True):
    buyer = user("buyer@mesa.example")
    need = planning.create_need(consortium("gpsr"), dict(NEED), actor=buyer)
    if submit:
        planning.submit_need(need, actor=buyer)
    return need


def draft_need():
    return {"need": _need(submit=False).id}


def submitted_need():
    return {"need": _need().id}


def open_round(*, rated: bool = False, with_need: bool = True):
    approver = user("approver@mesa.example")
    round_ = planning.start_round(consortium("gpsr"), dict(ROUND), actor=approver)
    need = _need()
    if with_need:
        planning.add_candidate(round_, {"need_id": need.id}, actor=approver)
        if rated:
            planning.rate_need(round_, {"need_id": need.id, "ratings": {"Benefit": 4, "Cost": 3}}, actor=approver)
        need = _need()  # another one, free to be added
    return {"round": round_.id, "need": need.id, "candidate": round_.candidates[0].need_id if with_need else None}


def rated_round():
    return open_round(rated=True)


def mesa():
    return {"mesa": db.session.scalar(select(Organization.id).where(Organization.name == "Mesa"))}


C = "/c/<consortium_slug>"
NEED_PAGE = "/c/gpsr/needs/{need}"
ROUND_PAGE = "/c/gpsr/rounds/{round}"
NEED_FORM = {**NEED, "funding_grant": "500.00"}
ROUND_FORM = {"title": "Round", "fiscal_year": "2027", "budget": "1000.00", "criteria-0-name": "Benefit",
              "criteria-0-weight": "1"}

CASES = [
    # pages
    case("GET", f"{C}/needs", "/c/gpsr/needs", anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("GET", f"{C}/needs/export.csv", "/c/gpsr/needs/export.csv", anon=302, buyer=200, vendor=403, admin=200,
         other=404),
    case("GET", f"{C}/needs/new", "/c/gpsr/needs/new", anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{C}/needs/new", "/c/gpsr/needs/new", data=NEED_FORM, anon=302, buyer=302, vendor=403, admin=403,
         other=404),
    case("GET", f"{C}/needs/<int:need_id>", NEED_PAGE, setup=draft_need, anon=302, buyer=200, vendor=404, admin=200,
         other=404),
    case("GET", f"{C}/needs/<int:need_id>/edit", NEED_PAGE + "/edit", setup=draft_need, anon=302, buyer=200,
         vendor=404, admin=403, other=404),
    case("POST", f"{C}/needs/<int:need_id>/edit", NEED_PAGE + "/edit", setup=draft_need, data=NEED_FORM, anon=302,
         buyer=302, vendor=404, admin=403, other=404),
    case("POST", f"{C}/needs/<int:need_id>/submit", NEED_PAGE + "/submit", setup=draft_need, anon=302, buyer=302,
         vendor=404, admin=403, other=404),
    case("GET", f"{C}/rounds/new", "/c/gpsr/rounds/new", anon=302, buyer=403, approver=200, vendor=403, admin=200,
         other=404),
    case("POST", f"{C}/rounds/new", "/c/gpsr/rounds/new", data=ROUND_FORM, anon=302, buyer=403, approver=302,
         vendor=403, admin=302, other=404),
    case("GET", f"{C}/rounds/<int:round_id>", ROUND_PAGE, setup=open_round, anon=302, buyer=200, vendor=404,
         admin=200, other=404),
    case("POST", f"{C}/rounds/<int:round_id>/needs", ROUND_PAGE + "/needs", setup=open_round,
         data=lambda ids: {"need_id": str(ids["need"])}, anon=302, buyer=403, approver=302, vendor=404, admin=403,
         other=404),
    case("POST", f"{C}/rounds/<int:round_id>/ratings", ROUND_PAGE + "/ratings", setup=open_round,
         data=lambda ids: {f"r-{ids['candidate']}-0": "4", f"r-{ids['candidate']}-1": "2"}, anon=302, buyer=403,
         approver=302, vendor=404, admin=403, other=404),
    case("GET", f"{C}/rounds/<int:round_id>/close", ROUND_PAGE + "/close", setup=rated_round, anon=302, buyer=403,
         approver=200, vendor=404, admin=403, other=404),
    case("POST", f"{C}/rounds/<int:round_id>/close", ROUND_PAGE + "/close", setup=rated_round, anon=302, buyer=403,
         approver=302, vendor=404, admin=403, other=404),
    case("GET", f"{C}/roadmap", "/c/gpsr/roadmap", anon=302, buyer=200, vendor=403, admin=200, other=404),
    case("GET", f"{C}/roadmap/export.csv", "/c/gpsr/roadmap/export.csv", anon=302, buyer=200, vendor=403, admin=200,
         other=404),
    # API
    case("GET", "/api/v1/needs", anon=401, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/api/v1/needs", json={**NEED, "fiscal_year": 2027}, anon=401, buyer=201, vendor=403, admin=403,
         other_buyer=201, other_admin=403),
    case("GET", "/api/v1/needs/<int:need_id>", "/api/v1/needs/{need}", setup=submitted_need, anon=401, buyer=200,
         vendor=404, admin=200, other=404),
    case("PATCH", "/api/v1/needs/<int:need_id>", "/api/v1/needs/{need}", setup=submitted_need,
         json={"title": "Renamed"}, anon=401, buyer=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/needs/<int:need_id>/submit", "/api/v1/needs/{need}/submit", setup=draft_need, anon=401,
         buyer=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/priority-rounds", json={**ROUND, "fiscal_year": 2027}, anon=401, buyer=403, approver=201,
         vendor=403, admin=201, other_buyer=403, other_admin=201),
    case("GET", "/api/v1/priority-rounds/<int:round_id>", "/api/v1/priority-rounds/{round}", setup=open_round,
         anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("POST", "/api/v1/priority-rounds/<int:round_id>/needs", "/api/v1/priority-rounds/{round}/needs",
         setup=open_round, json=lambda ids: {"need_id": ids["need"]}, anon=401, buyer=403, approver=201, vendor=404,
         admin=403, other=404),
    case("PUT", "/api/v1/priority-rounds/<int:round_id>/ratings", "/api/v1/priority-rounds/{round}/ratings",
         setup=open_round, json=lambda ids: {"need_id": ids["candidate"], "ratings": {"Benefit": 5}}, anon=401,
         buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("POST", "/api/v1/priority-rounds/<int:round_id>/close", "/api/v1/priority-rounds/{round}/close",
         setup=rated_round, anon=401, buyer=403, approver=200, vendor=404, admin=403, other=404),
    case("GET", "/api/v1/roadmap", "/api/v1/roadmap?member_id={mesa}", setup=mesa, anon=401, buyer=200, vendor=404,
         admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
