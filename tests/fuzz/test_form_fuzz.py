"""Random and hostile values on every HTML form, posted by the person the form is for.

Each form starts from values that would be accepted; hypothesis replaces one to three fields with very
long strings, control characters, HTML and script, SQL fragments, negative, huge and non-numbers, other
scripts' digits, lists where one value is expected, or leaves them out. Whatever is sent:

- the answer is never a 5xx;
- a refused form (400 with its error summary, a 303 back with an error message, 403/404/409/429, or the
  sign-in page again) stores nothing: the row counts of every table are unchanged;
- an accepted form (302) stores text that renders escaped, on the page it leads to and on the pages that
  show it; no page ever echoes markup unescaped;
- after every accepted form the database passes `tests.fuzz.integrity`.

Each post runs in a savepoint rolled back afterwards, so every one meets the same starting state (a
draft to edit, a request to decide) instead of "already done". Besides the random sweep, every field of
every form gets each of the `WORST` values once.

`FORM_FUZZ_EXAMPLES` (default 25) sets the number of examples per form.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from catalog.listings.models import Listing, ListingRevision, PriceItem
from catalog.pilots.models import Pilot
from consortium.models import ApiToken, User
from contracts.observations.models import Observation
from contracts.orders.models import Order, OrderLine
from contracts.sourcing.rfqs.models import Quote, QuoteLine, Rfq, RfqLine
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Award, Participation, ScheduleItem, Vehicle
from marketplace.audit import AuditEvent
from marketplace.extensions import db, limiter
from tests.conftest import org, user
from tests.fuzz.integrity import assert_integrity
from tests.fuzz.values import HOSTILE_NUMBERS, HOSTILE_TEXT, WRONG_TYPES
from tests.fuzz.world import World, build_world

MAX_EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "25"))
TABLES = [Listing, PriceItem, ListingRevision, Pilot, Vehicle, ScheduleItem, Participation, Order, OrderLine,
          Observation, AuditEvent, User, ApiToken, Award, Rfq, RfqLine, Quote, QuoteLine]
# Markup that must never reach a page unescaped (it is among the hostile values).
RAW_MARKUP = ["<script>alert(1)", "<img src=x onerror", "<iframe"]
OMIT = object()
G = "/c/gpsr"


@dataclass
class Form:
    role: str | None
    url: str
    data: dict
    show: list[str] = field(default_factory=list)  # pages that display what the form stores
    ok: int = 302  # the status of an accepted form


def _listing_fields(title: str, item_id: int | None = None) -> dict:
    data = {"title": title, "summary": "Sensors that report free parking bays.", "description": "Details.",
            "category": "parking", "pricing_models": ["purchase"], "tags": "sensors, parking",
            "standards": "REST API", "price_items-0-name": "Sensor", "price_items-0-unit": "each",
            "price_items-0-list_price": "120.00"}
    if item_id is not None:
        data["price_items-0-id"] = str(item_id)
    return data


PERFORMANCE = {
    "performance-enabled": "y", "performance-period": "month", "performance-periods": "6",
    "performance-start_date": "2026-01-01",
    "performance-fixed_fee": "1000.00", "performance-at_risk_fee": "500.00", "performance-bonus_pool": "0",
    "performance-holdback_pct": "10", "performance-holdback_window": "3", "performance-kpis-0-code": "availability",
    "performance-kpis-0-name": "Availability", "performance-kpis-0-unit": "percent",
    "performance-kpis-0-direction": "higher",
    "performance-kpis-0-weight": "1", "performance-kpis-0-baseline": "96", "performance-kpis-0-floor": "95",
    "performance-kpis-0-target": "99", "performance-kpis-0-stretch": "",
    "performance-credits_kpi": "", "performance-savings_kpi": "",
}


def _forms(w: World, ids: dict) -> dict[str, Form]:
    lines = {f"lines-{i}-{k}": v for i, item in enumerate(ids["schedule"][:2])
             for k, v in (("price_item_id", str(item)), ("quantity", "3"), ("unit_price", ""))}
    reason = {"reason": "Because the documents are incomplete."}
    return {
        "login": Form(None, "/login", {"email": "buyer@mesa.example", "password": "not-the-password"}),
        "account token": Form("buyer@mesa.example", "/account/tokens", {"name": "ERP integration"}, ["/account"],
                              ok=200),
        "invite user": Form("admin@gpsr.example", f"{G}/users/new", {
            "email": "new.buyer@mesa.example", "organization_id": str(ids["mesa"]), "role": "buyer"},
            [f"{G}/users", f"{G}/audit"]),
        "new listing": Form("vendor@parksense.example", f"{G}/listings/new", _listing_fields("Fuzzed listing"),
                            [f"{G}/vendor/listings"]),
        "edit draft listing": Form("vendor@parksense.example", f"{G}/listings/{w.draft_listing}/edit",
                                   _listing_fields("Edited draft", ids["draft_item"]),
                                   [f"{G}/listings/{w.draft_listing}", f"{G}/listings/{w.draft_listing}/history"]),
        "revise published listing": Form("vendor@parksense.example", f"{G}/listings/{w.published_listing}/edit",
                                         _listing_fields("Revised", ids["published_item"]),
                                         [f"{G}/listings/{w.published_listing}/preview"]),
        "request changes": Form("admin@gpsr.example", f"{G}/listings/{ids['submitted_listing']}/request-changes",
                                reason, [f"{G}/listings/{ids['submitted_listing']}"]),
        "approve revision": Form("admin@gpsr.example", f"{G}/listings/{w.published_listing}/approve", reason,
                                 [f"{G}/listings/{w.published_listing}",
                                  f"{G}/listings/{w.published_listing}/history"]),
        "suspend listing": Form("admin@gpsr.example", f"{G}/listings/{ids['listing']}/suspend", reason,
                                [f"{G}/listings/{ids['listing']}", f"{G}/listings/{ids['listing']}/history"]),
        "withdraw listing": Form("vendor@parksense.example", f"{G}/listings/{w.published_listing}/withdraw", reason,
                                 [f"{G}/vendor/listings"]),
        "record pilot": Form("buyer@mesa.example", f"{G}/pilots/new", {
            "title": "Leak sensors in zone 3", "listing_id": "", "vendor_name": "AquaSense", "category": "water",
            "start_date": "2025-01-01", "end_date": "2025-06-30", "units": "40 sensors", "area": "Zone 3",
            "cost": "48000.00", "financing": "grant", "metrics-0-kpi": "Leaks found", "metrics-0-unit": "count",
            "metrics-0-direction": "higher", "metrics-0-baseline": "2", "metrics-0-target": "10",
            "metrics-0-result": "12", "outcome": "met", "lessons": "Calibrate first.", "references": "Report 7"},
            [f"{G}/pilots"]),
        "link pilot": Form("admin@gpsr.example", f"{G}/pilots/{ids['unlinked_pilot']}/link",
                           {"listing_id": str(ids["listing"])}, [f"{G}/pilots/{ids['unlinked_pilot']}"]),
        "new vehicle": Form("admin@gpsr.example", f"{G}/vehicles/new", {
            "number": "GPSR-FUZZ-1", "title": "Parking sensors", "lead_agency_id": str(ids["mesa"]),
            "vendor_id": str(ids["parksense"]), "listing_ids": [str(ids["parksense_listing"])],
            "start_date": "2026-01-01", "end_date": "2028-12-31", "renewal_count": "1", "renewal_months": "12",
            "ceiling": "500000.00", "admin_fee_pct": "1.5", "notes": "Award letter on file."}, [f"{G}/vehicles"]),
        "edit draft vehicle": Form("admin@gpsr.example", f"{G}/vehicles/{ids['draft_vehicle']}/edit",
                                   ids["draft_vehicle_form"], [f"{G}/vehicles/{ids['draft_vehicle']}"]),
        "terminate vehicle": Form("admin@gpsr.example", f"{G}/vehicles/{ids['vehicle']}/terminate", reason,
                                  [f"{G}/vehicles/{ids['vehicle']}"]),
        "join vehicle": Form("approver@scottsdale.example", f"{G}/vehicles/{ids['vehicle']}/join",
                             {"member_not_to_exceed": "250000.00", "special_terms": "Local insurance."},
                             [f"{G}/participations"]),
        "approve participation": Form("admin@gpsr.example", f"{G}/participations/{ids['requested']}/approve",
                                      reason, [f"{G}/participations/{ids['requested']}", f"{G}/participations"]),
        "decline participation": Form("admin@gpsr.example", f"{G}/participations/{ids['requested']}/decline",
                                      reason, [f"{G}/participations/{ids['requested']}", f"{G}/participations"]),
        "new order": Form("buyer@mesa.example", f"{G}/vehicles/{ids['vehicle']}/orders/new", {
            "po_number": "MSA-9", "notes": "Deliver to the yard.", "delivery_start": "2026-02-01",
            "delivery_end": "2026-12-31", **lines, **PERFORMANCE}, [f"{G}/orders"]),
        "edit order": Form("buyer@mesa.example", f"{G}/orders/{w.mesa_draft_order}/edit", {
            "po_number": "MSA-10", "notes": "Edited.", **lines, **PERFORMANCE}, [f"{G}/orders/{w.mesa_draft_order}"]),
        "cancel order": Form("buyer@mesa.example", f"{G}/orders/{w.mesa_draft_order}/cancel", reason,
                             [f"{G}/orders/{w.mesa_draft_order}"]),
        "decline order": Form("approver@tempe.example", f"{G}/orders/{ids['pending_order']}/decline", reason,
                              [f"{G}/orders/{ids['pending_order']}"]),
        "report observation": Form("vendor@brightstreet.example", f"{G}/orders/{ids['active_order']}/observations",
                                   {"period": "6", "kpi": "availability", "value": "98.5", "note": "Export."},
                                   [f"{G}/orders/{ids['active_order']}"]),
        "dispute observation": Form("buyer@mesa.example", f"{G}/observations/{w.reported_observation}/dispute",
                                    {"reason": "The export shows otherwise."}, [f"{G}/orders/{ids['active_order']}"]),
        "correct observation": Form("vendor@brightstreet.example",
                                    f"{G}/observations/{w.disputed_observation}/correct",
                                    {"value": "96.5", "note": "Corrected export."},
                                    [f"{G}/orders/{ids['active_order']}"]),
        "deactivate user": Form("admin@gpsr.example", f"{G}/users/{ids['chandler_buyer']}/deactivate", reason,
                                [f"{G}/users", f"{G}/audit"]),
        "add award": Form("admin@gpsr.example", f"{G}/vehicles/{ids['draft_vehicle']}/awards/new", {
            "vendor_id": str(ids["flowmobility"]), "listing_ids": [str(ids["flowmobility_listing"])]},
            [f"{G}/vehicles/{ids['draft_vehicle']}"]),
        "issue rfq": Form("buyer@tempe.example", f"{G}/vehicles/{ids['multi_award']}/rfqs/new", {
            "title": "Fuzzed RFQ", "description": "Two blocks.", "closes_at": ids["closes_at"],
            "evaluation": "lowest_price", "lines-0-name": "Sensor service", "lines-0-unit": "per space per month",
            "lines-0-quantity": "120", "lines-1-name": "Installation", "lines-1-unit": "per space",
            "lines-1-quantity": "10"}, [f"{G}/rfqs"]),
        "quote rfq": Form("vendor@parksense.example", f"{G}/rfqs/{ids['open_rfq']}/quote", {
            **ids["parksense_quote"], "note": "Fuzzed note."}, [f"{G}/rfqs/{ids['open_rfq']}"]),
        "cancel rfq": Form("buyer@mesa.example", f"{G}/rfqs/{ids['open_rfq']}/cancel", reason,
                           [f"{G}/rfqs/{ids['open_rfq']}"]),
    }


class _Placeholders(dict):
    def __missing__(self, key):
        return {"schedule": [], "draft_vehicle_form": {}, "parksense_quote": {}}.get(key, 0)


FORM_NAMES = list(_forms(World(0, 0, 0, 0, 0, 0), _Placeholders()))


def _ids(w: World) -> dict:
    scalar = db.session.scalar
    draft_vehicle = scalar(select(Vehicle).where(Vehicle.status == "draft", Vehicle.number == "GPSR-2026-002"))
    content = vehicles.vehicle_content(draft_vehicle)
    award = content["awards"][0]  # the demo's draft awards one vendor: the form's single-vendor fields
    vehicle_form = {k: str(v) for k, v in content.items() if k in (
        "number", "title", "lead_agency_id", "start_date", "end_date", "ceiling", "admin_fee_pct", "notes")}
    vehicle_form |= {"vendor_id": str(award["vendor_id"]), "listing_ids": [str(i) for i in award["listing_ids"]],
                     "renewal_count": str(content["renewal_options"]["count"]),
                     "renewal_months": str(content["renewal_options"]["months"] or "")}
    vehicle_form |= {f"contract_price-{row['price_item_id']}": row["contract_price"]
                     for row in award["price_schedule"]}
    street = scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001"))
    return {
        "schedule": [s.price_item_id for s in street.schedule],
        "mesa": org("Mesa").id,
        "parksense": org("ParkSense").id,
        "parksense_listing": scalar(select(Listing.id).where(Listing.vendor_id == org("ParkSense").id,
                                                             Listing.status == "published").order_by(Listing.id)),
        "draft_item": scalar(select(PriceItem.id).where(PriceItem.listing_id == w.draft_listing)),
        "published_item": scalar(select(PriceItem.id).where(PriceItem.listing_id == w.published_listing)),
        "submitted_listing": scalar(select(Listing.id).where(Listing.status == "submitted").order_by(Listing.id)),
        "listing": scalar(select(Listing.id).where(Listing.status == "published").order_by(Listing.id)),
        "unlinked_pilot": scalar(select(Pilot.id).where(Pilot.listing_id.is_(None))),
        "draft_vehicle": draft_vehicle.id,
        "draft_vehicle_form": vehicle_form,
        "vehicle": street.id,
        "requested": scalar(select(Participation.id).where(Participation.status == "requested")),
        "pending_order": scalar(select(Order.id).where(Order.status == "pending_approval")),
        "active_order": scalar(select(Order.id).where(Order.status == "active")),
        "chandler_buyer": user("buyer@chandler.example").id,
        **_rfq_ids(scalar),
    }


def _rfq_ids(scalar) -> dict:
    """The demo's multi-award vehicle and Mesa's open RFQ under it, with ParkSense's schedule as a quote."""
    multi = scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-004"))
    open_rfq = scalar(select(Rfq).where(Rfq.status == "open").order_by(Rfq.id))
    award = multi.award_of(org("ParkSense").id)
    lines = sorted(award.schedule, key=lambda line: line.price_item.position)
    flow = org("FlowMobility").id
    return {
        "multi_award": multi.id, "open_rfq": open_rfq.id,
        "closes_at": (date.today() + timedelta(days=20)).isoformat() + "T17:00",
        "parksense_quote": {k: v for i, line in enumerate(lines) for k, v in (
            (f"lines-{i}-price_item_id", str(line.price_item_id)), (f"lines-{i}-unit_price", "4.00"))},
        "flowmobility": flow,
        "flowmobility_listing": scalar(select(Listing.id).where(Listing.vendor_id == flow,
                                                                Listing.status == "published").order_by(Listing.id)),
    }


def _as_form_value(value):
    """A JSON-ish hostile value as what a browser could send: text, or several values for one name."""
    if value is None:
        return OMIT
    if isinstance(value, list):
        return [str(v) for v in value] or OMIT
    return str(value)


form_values = st.one_of(
    st.sampled_from(HOSTILE_TEXT + HOSTILE_NUMBERS),
    st.sampled_from(WRONG_TYPES).map(_as_form_value),
    st.lists(st.sampled_from(["1", "<b>x</b>", "-1", "", "9" * 30]), min_size=2, max_size=3),
    st.text(max_size=60),
)


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def _assert_escaped(body: str, where: str) -> None:
    for marker in RAW_MARKUP:
        assert marker not in body, f"unescaped {marker!r} on {where}"


@pytest.fixture
def form_world(app, _transaction):
    with app.test_request_context():
        world = build_world()
        return world, _ids(world)


def _post_and_check(app, client, form: Form, name: str, payload: dict) -> int:
    """Post one payload; check the answer, what it stored (or did not) and the pages that show it."""
    limiter.reset()  # the sign-in throttle has its own test
    before = _counts(app)
    response = client.post(form.url, data=payload)
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, f"{name}: {status} for {payload!r}\n{body[:2000]}"
    _assert_escaped(body, f"the answer to {name}")
    if status == form.ok:
        for page in [response.location, *form.show] if status == 302 else form.show:
            shown = client.get(page)
            assert shown.status_code < 500, f"{page} after {name}: {shown.status_code}"
            _assert_escaped(shown.get_data(as_text=True), page)
        with app.app_context():
            assert_integrity()
        return status
    assert _counts(app) == before, f"{name} was refused ({status}) but rows changed, for {payload!r}"
    if status == 400:
        assert "Please correct" in body or "usa-alert--error" in body or "usa-error-message" in body, (
            f"{name}: 400 without a form error for {payload!r}\n{body[:2000]}")
    elif status == 303:
        followed = client.get(response.location)
        # sent back with the reason (an error, or why the step is not open, such as "already requested")
        assert followed.status_code < 500 and "usa-alert" in followed.get_data(as_text=True)
    else:
        assert status in (200, 403, 404, 409, 429), f"{name}: unexpected {status}"
    return status


@contextmanager
def _undone(connection):
    """Whatever the request stores is rolled back afterwards: every post meets the same starting state."""
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("name", FORM_NAMES)
def test_form_refuses_hostile_input_cleanly(app, client, login, form_world, _transaction, name):
    world, ids = form_world
    form = _forms(world, ids)[name]
    login(form.role)
    fields = sorted(form.data)
    seen: dict[int, int] = {}

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(data=st.data())
    def sweep(data):
        payload = dict(form.data)
        for key in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True), label="fields"):
            value = data.draw(form_values, label=key)
            if value is OMIT:
                payload.pop(key, None)
            else:
                payload[key] = value
        with _undone(_transaction):
            status = _post_and_check(app, client, form, name, payload)
        seen[status] = seen.get(status, 0) + 1

    sweep()
    assert seen, "nothing was posted"


# The values that break code paths one at a time (a NUL byte PostgreSQL cannot store, a digit int()
# refuses, a huge number, text far past any limit, several values for one field): every field gets each.
WORST = ["\x00", "\u00b2", "99999999999999999999", "x" * 10_000, ["1", "2"]]


@pytest.mark.parametrize("name", FORM_NAMES)
def test_every_field_survives_the_worst_values(app, client, login, form_world, _transaction, name):
    world, ids = form_world
    form = _forms(world, ids)[name]
    login(form.role)
    for key in sorted(form.data):
        for value in WORST:
            with _undone(_transaction):
                _post_and_check(app, client, form, name, {**form.data, key: value})
