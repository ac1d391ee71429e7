"""Property-based fuzzing of every `/api/v1` operation described by the OpenAPI document.

Schemathesis generates requests from the document served at `/api/v1/openapi.json` (valid ones and,
for operations that take input, invalid ones); hypothesis drives it with a fixed seed. Each request
is sent as one of several people (bearer tokens of a buyer, an approver, two vendors, the office, a
stranger from another consortium, or nobody), mostly in the `gpsr` consortium, and its path ids and
body references are often replaced by ids of real objects so the sweep reaches past "404" into the
services. Every answer must be no 5xx, a documented status and content type, and a body that matches
the documented schema. Each example runs in a savepoint of the test's rolled-back transaction (the app's
commits are savepoints inside it) that is rolled back afterwards, so every example meets the same
objects in every lifecycle state; after each accepted change, and after the sweep, the database must
pass `tests.fuzz.integrity`.

`FUZZ_EXAMPLES` (default 30) sets the number of examples per operation.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

import marketplace.app  # noqa: F401 - importing the factory registers every domain's operations
from catalog.listings.models import Listing, PriceItem
from catalog.pilots.models import Pilot
from catalog.reviews.models import Review
from consortium.models import Organization
from consortium.planning.models import Need, PriorityRound
from contracts.finance.models import FinancingInstrument, Fund
from contracts.invoices.models import Invoice
from contracts.observations.models import Observation
from contracts.orders.models import Order
from contracts.reporting.models import SalesReport
from contracts.sourcing.models import Rfi, RfiResponse
from contracts.sourcing.rfqs.models import Rfq
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle
from marketplace.api import build_openapi
from marketplace.documents.models import Document
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify
from tests.conftest import user
from tests.fuzz.integrity import assert_integrity
from tests.fuzz.values import hostile_values, performance_terms
from tests.fuzz.world import build_world

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = sorted((path, method.upper()) for path, ops in build_openapi()["paths"].items() for method in ops)

MODES = [0, 0, 1]  # two valid requests for each invalid one (of operations that take input)
PRINCIPALS = {
    "anonymous": None,
    "buyer": "buyer@mesa.example",  # Mesa: lead agency of the street-lighting vehicle, an active order
    "approver": "approver@tempe.example",  # Tempe: participates; an order pending its approval
    "vendor": "vendor@brightstreet.example",  # the vendor on the demo vehicle and orders (two consortia)
    "other_vendor": "vendor@parksense.example",  # Greater Phoenix only; a submitted listing, a draft vehicle
    "admin": "admin@gpsr.example",
    "other_approver": "approver@scottsdale.example",  # Scottsdale: has not joined the street-lighting vehicle
    "stranger": "buyer@boulder.example",  # Front Range: must never see Greater Phoenix's objects
}
# Weighted towards the people who may act, so the sweep gets past 401/403 into the services. Hypothesis
# draws the first entries of a list more often than the last.
ROLES = ["admin", "buyer", "vendor", "approver", "admin", "buyer", "vendor", "approver", "other_vendor", "stranger",
         "anonymous"]
CONSORTIA = ["gpsr", "gpsr", "gpsr", None, "frca"]
# Who may take a step that changes something (by the path after /api/v1, else by its last segment): drawn
# three times as often as the others.
ACTORS = {
    "/listings": ["other_vendor"], "/listings/{listing_id}": ["other_vendor"], "submit": ["other_vendor"],
    "withdraw": ["other_vendor", "vendor"], "/orders": ["buyer", "approver"], "/orders/{order_id}": ["buyer"],
    "/orders/{order_id}/submit": ["buyer", "approver"], "/orders/{order_id}/approve": ["approver"],
    "decline": ["approver", "vendor"], "accept": ["vendor"], "cancel": ["buyer", "approver"], "complete": ["buyer"],
    "observations": ["vendor"], "correct": ["vendor"], "/observations/{observation_id}/verify": ["buyer"],
    "dispute": ["buyer"], "pilots": ["buyer", "approver"], "participations": ["other_approver"],
    "invoices": ["vendor"], "/invoices/{invoice_id}/approve": ["buyer"], "reject": ["buyer", "approver"],
    "pay": ["buyer"], "terminate": ["approver", "admin"], "price-schedule": ["admin"],
    "/needs": ["buyer"], "/needs/{need_id}": ["buyer"], "/priority-rounds": ["approver"], "/rfis": ["approver"],
    "interest": ["approver"], "responses": ["vendor"],
}

# Which pool of real ids a path parameter or body field draws from.
PATH_POOLS = {"listing_id": "listing", "pilot_id": "pilot", "order_id": "order", "observation_id": "observation",
              "vehicle_id": "vehicle", "participation_id": "participation", "invoice_id": "invoice",
              "notification_id": "notification", "fund_id": "fund", "instrument_id": "instrument",
              "need_id": "need", "round_id": "round", "rfi_id": "rfi", "rfq_id": "rfq",
              "report_id": "sales_report", "review_id": "review", "document_id": "document", "org_id": "vendor"}
# A document's owner is named by the path's first word: /api/v1/<owner>/{owner_id}/documents.
OWNER_POOLS = {"listings": "listing", "pilots": "pilot", "vehicles": "vehicle", "participations": "participation",
               "orders": "order", "observations": "observation", "rfis": "rfi", "needs": "need"}


def _path_pools(path: str) -> dict[str, str]:
    """Which pool each of the path's parameters draws from."""
    owner = path.removeprefix("/api/v1/").split("/", 1)[0]
    return {**PATH_POOLS, **({"owner_id": OWNER_POOLS[owner]} if owner in OWNER_POOLS else {})}
BODY_POOLS = {"listing_id": "published_listing", "vehicle_id": "vehicle", "price_item_id": "price_item",
              "lead_agency_id": "member", "vendor_id": "vendor", "need_id": "need", "response_id": "rfi_response"}
ORDER_BODIES = ("/api/v1/orders", "/api/v1/orders/{order_id}")
# Values that fit the demo's active order with terms (periods 1-5 are already reported).
PLAUSIBLE = {"kpi": ["availability", "uptime", "energy_use"], "period": [6, 7, 12, 5, 13],
             "value": ["98.5", "94", "99.9", "-1", "1e3"]}


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _pools() -> dict[str, list[int]]:
    """Ids of real objects; hypothesis draws the first ones most, so those that let the sweep go furthest
    come first: the newest objects (made for the sweep, in every state) and Greater Phoenix's."""
    def ids(stmt) -> list[int]:
        return list(db.session.scalars(stmt.execution_options(all_tenants=True)))

    gpsr_first = Vehicle.consortium_id
    return {
        "listing": ids(select(Listing.id).order_by(Listing.id.desc())),
        "published_listing": ids(select(Listing.id).where(Listing.status == "published")
                                 .order_by(Listing.consortium_id, Listing.id)),
        "pilot": ids(select(Pilot.id).order_by(Pilot.id.desc())),
        "order": ids(select(Order.id).order_by(Order.id.desc())),
        "observation": ids(select(Observation.id).order_by(Observation.id.desc())),
        "vehicle": ids(select(Vehicle.id).order_by(Vehicle.status != "active", gpsr_first, Vehicle.id)),
        "participation": ids(select(Participation.id).order_by(Participation.id.desc())),
        "invoice": ids(select(Invoice.id).order_by(Invoice.id.desc())),
        "notification": ids(select(Notification.id).order_by(Notification.id.desc())),
        "price_item": ids(select(ScheduleItem.price_item_id).order_by(ScheduleItem.vehicle_id, ScheduleItem.id))
        + ids(select(PriceItem.id).order_by(PriceItem.id.desc()).limit(3)),
        "member": ids(select(Organization.id).where(Organization.kind == "member").order_by(Organization.id)),
        "vendor": ids(select(Organization.id).where(Organization.kind == "vendor").order_by(Organization.id)),
        "active_order": ids(select(Order.id).where(Order.status == "active")),
        "fund": ids(select(Fund.id).order_by(Fund.id.desc())),
        "instrument": ids(select(FinancingInstrument.id).order_by(FinancingInstrument.id.desc())),
        "need": ids(select(Need.id).order_by(Need.id.desc())),
        "round": ids(select(PriorityRound.id).order_by(PriorityRound.id.desc())),
        "rfi": ids(select(Rfi.id).order_by(Rfi.status != "open", Rfi.id)),
        "rfi_response": ids(select(RfiResponse.id).order_by(RfiResponse.id)),
        "rfq": ids(select(Rfq.id).order_by(Rfq.status != "open", Rfq.id)),
        "sales_report": ids(select(SalesReport.id).order_by(SalesReport.id)),
        "review": ids(select(Review.id).order_by(Review.id)),
        "document": ids(select(Document.id).order_by(Document.id)),
    }


@pytest.fixture
def fuzz_world(app, api_token):
    """Tokens for every principal and the ids of real objects, inside the test's transaction."""
    tokens = {name: api_token(email) if email else {} for name, email in PRINCIPALS.items()}
    with app.test_request_context():
        build_world()
        admin = user("admin@gpsr.example")  # the default actor reads its own notification
        notify([admin], kind="listing_review", subject="A listing is waiting", body="Review it.",
               consortium_id=admin.organization.consortium_id, link="/c/gpsr/listings")
        pools = _pools()
    return tokens, pools


def _realistic(value, draw, pools):
    """Replace id fields of a generated body with ids of real objects (recursively)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in BODY_POOLS and not draw(st.booleans()):
                out[key] = draw(st.sampled_from(pools[BODY_POOLS[key]]))
            elif key == "listing_ids" and isinstance(item, list) and not draw(st.booleans()):
                out[key] = draw(st.lists(st.sampled_from(pools["published_listing"]), max_size=3))
            elif key == "performance" and not draw(st.booleans()):
                out[key] = draw(performance_terms())
            elif key in PLAUSIBLE and draw(st.integers(0, 3)) < 3:
                out[key] = draw(st.sampled_from(PLAUSIBLE[key]))
            else:
                out[key] = _realistic(item, draw, pools)
        return out
    if isinstance(value, list):
        return [_realistic(item, draw, pools) for item in value]
    return value


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_operation_withstands_fuzzing(app, api_schema, fuzz_world, _transaction, path, method):
    tokens, pools = fuzz_world
    step = path.removeprefix("/api/v1")
    actors = ACTORS.get(step, ACTORS.get(step.rsplit("/", 1)[-1], [])) if method != "GET" else []
    roles = 3 * actors + ROLES
    path_pools = _path_pools(path)
    operation = api_schema[path][method]
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if operation.body or operation.path_parameters or operation.query or method != "GET":
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(data=st.data())
    def sweep(data):
        # Each example starts from the same state: whatever it changes is undone before the next.
        savepoint = _transaction.begin_nested()
        try:
            send(data)
        finally:
            savepoint.rollback()

    def send(data):
        case = data.draw(strategies[data.draw(st.sampled_from(MODES[:len(strategies) + 1]), label="mode")])
        role = data.draw(st.sampled_from(roles), label="role")
        for name in list(case.path_parameters or {}):
            if name in path_pools and data.draw(st.integers(0, 4), label=f"generated {name}") < 4:
                case.path_parameters[name] = data.draw(st.sampled_from(pools[path_pools[name]]), label=name)
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        consortium = data.draw(st.sampled_from(CONSORTIA), label="consortium")
        if consortium is not None:
            headers["X-Consortium"] = consortium
        case.headers = {**headers, **tokens[role]}
        if isinstance(case.body, dict) and not data.draw(st.booleans(), label="generated references"):
            case.body = _realistic(case.body, data.draw, pools)
        if path in ORDER_BODIES and isinstance(case.body, dict) and not data.draw(st.booleans(), label="no lines"):
            line = st.fixed_dictionaries({"price_item_id": st.sampled_from(pools["price_item"]),
                                          "quantity": st.sampled_from(["2", "1", "0.5", "250", "10000000"])})
            case.body = {**case.body, "lines": data.draw(st.lists(line, min_size=1, max_size=3), label="lines")}
        if isinstance(case.body, dict) and case.body and data.draw(st.integers(0, 4), label="hostile") == 4:
            key = data.draw(st.sampled_from(sorted(case.body)), label="hostile field")
            case.body = {**case.body, key: data.draw(hostile_values, label="hostile value")}
        response = case.call()
        case.validate_response(response, checks=CHECKS)
        if method != "GET" and response.status_code < 300:
            with app.app_context():
                assert_integrity()

    sweep()
    with app.app_context():
        assert_integrity()


# The values that break code paths one at a time (a NUL byte PostgreSQL cannot store, a digit int()
# refuses, numbers past any integer column, text far past any limit, the wrong JSON types).
WORST = ["\x00", "nul\x00", "\u00b2", "x" * 10_000, 10**30, -1, None, True, ["x"], {"a": "\x00"}]
_LISTING = {"title": "Sensors", "summary": "Parking sensors.", "category": "parking", "pricing_models": ["purchase"],
            "price_items": [{"name": "Sensor", "unit": "each", "list_price": "120.00"}]}
_PILOT = {"title": "Pilot", "start_date": "2025-01-01", "end_date": "2025-03-01", "outcome": "met",
          "metrics": [{"kpi": "Leaks", "direction": "higher", "baseline": "1", "target": "2", "result": "3"}]}
# A valid body for each operation that needs more than optional fields; one field at a time is replaced.
VALID_BODIES = {
    ("POST", "/api/v1/listings"): _LISTING,
    ("PATCH", "/api/v1/listings/{listing_id}"): {"title": "Revised"},
    ("POST", "/api/v1/pilots"): {**_PILOT, "vendor_name": "AquaSense", "category": "water"},
    ("POST", "/api/v1/listings/{listing_id}/pilots"): _PILOT,
    ("POST", "/api/v1/vehicles"): {"number": "GPSR-W-1", "title": "Worst", "lead_agency_id": "member",
                                   "vendor_id": "vendor", "start_date": "2026-01-01", "end_date": "2027-01-01",
                                   "ceiling": "1000.00"},
    ("PATCH", "/api/v1/vehicles/{vehicle_id}"): {"title": "Revised"},
    ("POST", "/api/v1/orders"): {"vehicle_id": "vehicle", "lines": [{"price_item_id": "price_item", "quantity": "2"}]},
    ("PATCH", "/api/v1/orders/{order_id}"): {"notes": "Revised"},
    ("POST", "/api/v1/orders/{order_id}/observations"): {"period": 6, "kpi": "availability", "value": "98.1"},
    ("POST", "/api/v1/observations/{observation_id}/correct"): {"value": "97"},
    ("POST", "/api/v1/pilots/{pilot_id}/link"): {"listing_id": "published_listing"},
    ("POST", "/api/v1/orders/{order_id}/invoices"): {"number": "W-1", "issued_on": "2026-11-02", "period": 2,
                                                     "amount": "10.00"},
    ("POST", "/api/v1/invoices/{invoice_id}/reject"): {"reason": "Wrong PO number."},
    ("POST", "/api/v1/invoices/{invoice_id}/pay"): {"paid_on": "2026-11-30"},
    ("POST", "/api/v1/orders/{order_id}/terminate"): {"reason": "Budget cut."},
    ("POST", "/api/v1/financing"): {"order_id": "order", "kind": "grant", "partner": "State DOT",
                                    "principal": "1000.00"},
    ("POST", "/api/v1/funds"): {"name": "Worst fund"},
    ("POST", "/api/v1/funds/{fund_id}/contributions"): {"amount": "10.00", "source": "Budget",
                                                        "received_on": "2026-01-02"},
    ("POST", "/api/v1/funds/{fund_id}/draws"): {"order_id": "active_order", "amount": "1.00", "repayment_pct": "10"},
    ("POST", "/api/v1/needs"): {"title": "Worst need", "problem": "P", "category": "water", "estimated_cost": "10.00",
                                "fiscal_year": 2027},
    ("POST", "/api/v1/priority-rounds"): {"title": "Worst round", "fiscal_year": 2027, "budget": "10.00",
                                          "criteria": [{"name": "Benefit", "weight": "1"}]},
    ("POST", "/api/v1/rfis"): {"title": "Worst RFI", "problem": "P", "outcomes": "O", "category": "water",
                               "responses_due": "2026-12-31T17:00", "mou_outline": {
                                   "roles": "R", "data_sharing": "D", "revenue_sharing": "S",
                                   "intellectual_property": "I", "term": "T"}},
    ("POST", "/api/v1/rfis/{rfi_id}/interest"): {"indicative_quantity": 3, "indicative_budget": "10.00"},
}
BODY_OPERATIONS = [(path, method) for path, method in OPERATIONS if method in ("POST", "PATCH")]


def _with_ids(body: dict, pools) -> dict:
    return {k: pools[v][0] if isinstance(v, str) and v in pools else
            [_with_ids(i, pools) for i in v] if isinstance(v, list) and v and isinstance(v[0], dict) else v
            for k, v in body.items()}


@pytest.mark.parametrize(("path", "method"), BODY_OPERATIONS, ids=[f"{m} {p}" for p, m in BODY_OPERATIONS])
def test_every_body_field_survives_the_worst_values(app, api_schema, fuzz_world, _transaction, path, method):
    tokens, pools = fuzz_world
    operation = api_schema[path][method]
    step = path.removeprefix("/api/v1")
    role = (ACTORS.get(step) or ACTORS.get(step.rsplit("/", 1)[-1]) or ["admin"])[0]
    if path == "/api/v1/orders/{order_id}/observations":
        pools = {**pools, "order": pools["active_order"]}
    path_parameters = {name: pools[pool][0] for name, pool in _path_pools(path).items() if "{" + name + "}" in path}
    valid = _with_ids(VALID_BODIES.get((method, path), {}), pools)
    schema = (operation.definition.raw.get("requestBody") or {}).get("content", {}).get("application/json", {})
    names = sorted(set(schema.get("schema", {}).get("properties", {})) | set(valid)) or ["reason"]
    for name in names:
        for value in WORST:
            savepoint = _transaction.begin_nested()
            try:
                case = operation.Case(path_parameters=path_parameters, body={**valid, name: value},
                                      headers={"X-Consortium": "gpsr", **tokens[role]}, media_type="application/json")
                response = case.call()
                case.validate_response(response, checks=CHECKS)
                if response.status_code < 300:
                    with app.app_context():
                        assert_integrity()
            finally:
                savepoint.rollback()
