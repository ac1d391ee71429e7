"""Objects in every lifecycle state the demo data lacks, built through the real services (inside the
test's transaction), so a sweep of random input reaches each step instead of stopping at "409"."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from sqlalchemy import select

from catalog.listings import services as listings
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.orders.models import Order
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from tests.catalog.factories import listing_data, make_listing
from tests.conftest import user
from tests.fuzz.values import TERMS


@dataclass
class World:
    draft_listing: int  # ParkSense's draft
    published_listing: int  # ParkSense's, with a pending revision
    mesa_draft_order: int  # lead agency's draft (submit commits against the ceiling only)
    tempe_draft_order: int  # participant's draft with terms (submit commits against the participation too)
    reported_observation: int
    disputed_observation: int


def _demo_active_order() -> Order:
    return db.session.scalar(select(Order).where(Order.po_number == "MSA-2026-0311"))


def build_world() -> World:
    """Must run in an app context; commits (into the test's transaction)."""
    draft = make_listing("draft", title="Fuzz draft listing")
    published = make_listing("published", title="Fuzz published listing")
    vendor = db.session.merge(user("vendor@parksense.example"))
    published = db.session.merge(published)
    listings.update_listing(published, listing_data(title="Fuzz published listing, revised"), actor=vendor)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001"))
    lines = [{"price_item_id": s.price_item_id, "quantity": "2"} for s in vehicle.schedule[:2]]
    mesa = orders.create_order(vehicle=vehicle, data={"lines": lines, "po_number": "FUZZ-1"},
                               actor=db.session.merge(user("buyer@mesa.example")))
    terms = {**copy.deepcopy(TERMS[0]), "periods": 3}  # within Tempe's participation limit, above its approval limit
    tempe = orders.create_order(vehicle=vehicle, data={"lines": lines[:1], "performance": terms},
                                actor=db.session.merge(user("approver@tempe.example")))
    active = _demo_active_order()
    brightstreet = db.session.merge(user("vendor@brightstreet.example"))
    reported = observations.report_observation(active, {"period": 5, "kpi": "availability", "value": "98.1",
                                                        "note": "month 5"}, actor=brightstreet)
    disputed = observations.report_observation(active, {"period": 4, "kpi": "availability", "value": "90",
                                                        "note": "month 4"}, actor=brightstreet)
    observations.dispute_observation(disputed, actor=db.session.merge(user("buyer@mesa.example")),
                                     reason="The export shows 96.")
    db.session.commit()
    return World(draft.id, published.id, mesa.id, tempe.id, reported.id, disputed.id)

