"""Converting a closed RFI from a chosen response (the effect of the `convert` step of the RFI lifecycle):

- into a **pilot**: a recorded pilot hosted by the issuing member (through `catalog.pilots.services.record_pilot`,
  so it meets every rule of a pilot), seeded from the RFI (title, category) and the response (the listing, or
  the vendor's name; the indicative price as its cost; the pricing models as its financing). The host adds what
  only it knows: the dates (default: today and six months on) and the metrics it will measure (at least one KPI
  with baseline and target; results are recorded later). Only the issuing city's approver converts into a pilot
  (a pilot is recorded by its host's staff). The linked needs move to `piloting`.
- into a **vehicle**: a draft vehicle led by the issuing member (for an office RFI, by the member named in
  `lead_agency_id`), drafted through `contracts.vehicles.services.create_vehicle` and therefore by the office,
  which drafts every vehicle: the response's vendor and listing, numbered after the RFI, running three years
  from today, its ceiling the pooled demand (interest budgets plus the linked needs' estimated costs, at least
  the indicative price); the price schedule is completed before activation. The linked needs stay in
  `sourcing` until an order is recorded for them.

Either way the interested members are the expected participants: stored on the `RfiConversion` row and, for a
vehicle, written into its notes.
"""

from __future__ import annotations

from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from catalog.listings.models import PRICING_MODELS
from catalog.pilots import services as pilots
from consortium.models import Consortium, Organization
from consortium.permissions import is_office_of
from consortium.planning import services as planning
from consortium.queries import local_date
from contracts.sourcing import models
from contracts.sourcing.models import CONVERSIONS, RfiConversion, RfiResponse
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Vehicle
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.inputs import parse_choice, parse_id, raise_if

PILOT_MONTHS = 6
VEHICLE_MONTHS = 36
CANNOT = "The RFI cannot be converted."


def expected_participants(rfi) -> list[dict]:
    """The members that registered interest, with their indicative demand."""
    return [{"member_id": i.member_id, "member": i.member.name, "indicative_quantity": i.indicative_quantity,
             "indicative_budget": format(i.indicative_budget, "f")} for i in rfi.interests]


def convert(rfi, ctx) -> None:
    data = ctx["data"] or {}
    fields: dict[str, str] = {}
    into = parse_choice(data.get("into"), "into", fields, CONVERSIONS, what="conversion (pilot or vehicle)")
    response_id = parse_id(data.get("response_id"))
    response = db.session.scalar(select(RfiResponse).where(RfiResponse.id == response_id,
                                                           RfiResponse.rfi_id == rfi.id)) if response_id else None
    if response is None:
        fields["response_id"] = "Choose one of this RFI's responses."
    raise_if(fields, CANNOT)
    participants = expected_participants(rfi)
    conversion = RfiConversion(rfi_id=rfi.id, response_id=response.id, converted_into=into,
                               expected_participants=participants, converted_by_id=ctx.actor.id)
    if into == "pilot":
        conversion.pilot_id = _into_pilot(rfi, response, data.get("pilot"), ctx.actor).id
    else:
        conversion.vehicle_id = _into_vehicle(rfi, response, data.get("lead_agency_id"), participants, ctx.actor).id
    db.session.add(conversion)
    rfi.conversion = conversion
    db.session.flush()


def _today(rfi):
    return local_date(db.session.get(Consortium, rfi.consortium_id), models.now())


def _prefixed(err: ValidationFailed, prefix: str) -> ValidationFailed:
    return ValidationFailed(err.message, {f"{prefix}.{key}": message for key, message in err.fields.items()})


def _into_pilot(rfi, response: RfiResponse, raw, actor):
    if rfi.issuer.kind != "member":
        raise Conflict("A pilot is hosted by a member city: an RFI of the office converts into a vehicle.")
    if not (actor.role == "approver" and actor.organization_id == rfi.issuer_id):
        raise PermissionDenied(f"A pilot is recorded by its host city: {rfi.issuer.name}'s approver converts "
                               f"{rfi.reference} into a pilot.")
    if raw is not None and not isinstance(raw, dict):
        raise ValidationFailed(CANNOT, {"pilot": "Must be an object with the pilot's dates and metrics."})
    given = raw or {}
    today = _today(rfi)
    listing = response.listing if response.listing is not None and response.listing.status == "published" else None
    data = {
        "title": given.get("title") or rfi.title,
        "start_date": given.get("start_date") or today.isoformat(),
        "end_date": given.get("end_date") or (today + relativedelta(months=PILOT_MONTHS)).isoformat(),
        "units": given.get("units") or "", "area": given.get("area") or "",
        "cost": format(response.indicative_price, "f"),
        "financing": ", ".join(PRICING_MODELS[m] for m in response.pricing_models)[:200],
        "metrics": given.get("metrics"), "lessons": "",
        "references": f"{rfi.reference} “{rfi.title}”: {response.vendor.name}'s response.",
    }
    if listing is not None:
        data["listing_id"] = listing.id
    else:
        data.update(vendor_name=response.vendor.name, category=rfi.category)
    try:
        pilot = pilots.record_pilot(consortium=db.session.get(Consortium, rfi.consortium_id), data=data, actor=actor)
    except ValidationFailed as err:
        raise _prefixed(err, "pilot") from None
    for need in rfi.needs:
        if need.status in ("selected", "sourcing"):
            planning.advance_need(need, "pilot", actor=actor, reason=f"{rfi.reference} became a pilot.")
    return pilot


def _vehicle_number(rfi) -> str:
    base, n = rfi.reference, 1
    number = base
    while db.session.scalar(select(Vehicle.id).where(Vehicle.consortium_id == rfi.consortium_id,
                                                     func.lower(Vehicle.number) == number.lower())) is not None:
        n += 1
        number = f"{base}-{n}"
    return number


def _lead_agency(rfi, raw) -> int:
    if rfi.issuer.kind == "member":
        return rfi.issuer_id
    lead = db.session.scalar(select(Organization).where(
        Organization.id == parse_id(raw), Organization.consortium_id == rfi.consortium_id,
        Organization.kind == "member")) if parse_id(raw) else None
    if lead is None:
        raise ValidationFailed(CANNOT, {"lead_agency_id": "Name the member city that leads the vehicle."})
    return lead.id


def _into_vehicle(rfi, response: RfiResponse, lead_raw, participants: list[dict], actor):
    if not is_office_of(actor, rfi.consortium_id):
        raise PermissionDenied("The consortium office drafts every vehicle: ask it to convert this RFI into one.")
    lead_id = _lead_agency(rfi, lead_raw)
    start = _today(rfi)
    pooled = sum((Decimal(p["indicative_budget"]) for p in participants), Decimal("0.00"))
    pooled += sum((n.estimated_cost for n in rfi.needs), Decimal("0.00"))
    listing = response.listing if response.listing is not None and response.listing.status == "published" else None
    expected = "; ".join(f"{p['member']} ({p['indicative_quantity']} units, {money(Decimal(p['indicative_budget']))})"
                         for p in participants) or "none registered"
    data = {
        "number": _vehicle_number(rfi), "title": rfi.title, "lead_agency_id": lead_id,
        "vendor_id": response.vendor_id, "listing_ids": [listing.id] if listing else [], "price_schedule": [],
        "start_date": start.isoformat(),
        "end_date": vehicles.add_months(start, VEHICLE_MONTHS).isoformat(),
        "ceiling": format(max(pooled, response.indicative_price), "f"),
        "notes": (f"Drafted from {rfi.reference} “{rfi.title}”, seeded from {response.vendor.name}'s response "
                  f"(indicative price {money(response.indicative_price)}). Expected participants: {expected}. "
                  "Complete the price schedule and the terms before activating."),
    }
    try:
        return vehicles.create_vehicle(consortium=db.session.get(Consortium, rfi.consortium_id), data=data,
                                       actor=actor)
    except ValidationFailed as err:
        raise ValidationFailed(f"The draft vehicle cannot be made: {err.in_full}", {}) from None
