"""Demo RFIs (DESIGN section 8), made through the real services after the planning demo: Mesa's RFI on EV charging
at its civic buildings (a selected need), with Tempe's and Chandler's interest and responses from FlowMobility
and BrightStreet, closed and converted into a pilot Mesa hosts; and Mesa's open RFI on adaptive street lighting
(another selected need) with Tempe's and Scottsdale's interest and BrightStreet's response.

Idempotent: each RFI is looked up by its issuer and title, so loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from catalog.listings.models import Listing
from consortium.models import Consortium, User
from consortium.planning.models import Need
from consortium.queries import local_date
from contracts.sourcing import models, services
from contracts.sourcing.models import Rfi
from marketplace.extensions import db

MOU = {
    "roles": "The city provides sites, power and permits; the vendor designs, installs, operates and maintains.",
    "data_sharing": "Usage and performance data belong to the city and are shared with the vendor monthly, "
                    "anonymised; open APIs for the city's dashboards.",
    "revenue_sharing": "Charging fees from the public (if any) are shared 70/30 city/vendor after energy costs.",
    "intellectual_property": "The vendor keeps its software; the city gets a perpetual licence to the data and "
                             "the reports.",
    "term": "A six-month pilot, then an option for five years under a cooperative vehicle.",
}


def _mou(accept: set[str], comments: dict[str, str]) -> dict:
    return {p: {"position": "accept", "comment": ""} if p in accept else {"position": "comment", "comment": comments[p]}
            for p in models.MOU_POINTS}


RFIS = [
    {
        "title": "EV charging at civic buildings", "category": "ev_charging", "need": "EV charging at civic buildings",
        "problem": "Mesa's electric fleet charges from wall outlets at three civic buildings; staff queue for them "
                   "and charging runs at peak tariffs.",
        "outcomes": "Twelve managed chargers; 95% of fleet charging off-peak; charger availability of 97% or more.",
        "interest": [("buyer@tempe.example", 8, "80000.00", "Two depots, FY2028."),
                     ("approver@chandler.example", 12, "110000.00", "")],
        "responses": [
            ("vendor@flowmobility.example", "EV fleet charging management", ["purchase", "vendor_financed"],
             "96000.00", "Twelve 19 kW chargers with our fleet charging scheduler, financed over five years.",
             _mou({"roles", "data_sharing", "term"},
                  {"revenue_sharing": "We ask 60/40 in the first two years while the chargers pay back.",
                   "intellectual_property": "The reports, yes; the raw charger logs stay ours."})),
            ("vendor@brightstreet.example", None, ["as_a_service"], "120000.00",
             "Chargers on our smart poles at the civic center lots, as a service with a monthly fee per port.",
             _mou({"roles", "data_sharing", "revenue_sharing", "intellectual_property"},
                  {"term": "A twelve-month pilot: six months is short for a seasonal fleet."})),
        ],
        "convert": {"vendor": "vendor@flowmobility.example", "metrics": [
            {"kpi": "Charger availability", "unit": "percent", "direction": "higher", "baseline": "0",
             "target": "97"},
            {"kpi": "Fleet charging off-peak", "unit": "percent", "direction": "higher", "baseline": "20",
             "target": "95"}], "units": "12 chargers at 3 civic buildings"},
    },
    {
        "title": "Adaptive street lighting on arterials", "category": "lighting",
        "need": "Adaptive street lighting on arterials",
        "problem": "40 miles of arterials are lit by high-pressure sodium lights at full power all night; failures go "
                   "unnoticed for days.",
        "outcomes": "60% less energy on the arterials, outages reported within an hour, dimming on empty streets.",
        "interest": [("buyer@tempe.example", 1200, "420000.00", "Our own arterials, if the vehicle's prices hold."),
                     ("approver@scottsdale.example", 800, "300000.00", "")],
        "responses": [
            ("vendor@brightstreet.example", "Adaptive LED street lighting", ["purchase", "as_a_service"],
             "580000.00", "Retrofit of 2,400 luminaires with nodes and our central management system.",
             _mou(set(models.MOU_POINTS) - {"term"}, {"term": "Five years with two renewals."})),
        ],
    },
]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _listing(consortium: Consortium, vendor: User, title: str | None) -> int | None:
    if title is None:
        return None
    return db.session.scalar(select(Listing.id).where(Listing.consortium_id == consortium.id,
                                                      Listing.vendor_id == vendor.organization_id,
                                                      Listing.title == title, Listing.status == "published")
                             .execution_options(all_tenants=True))


def _rfi(consortium: Consortium, spec: dict, approver: User) -> Rfi | None:
    found = db.session.scalar(select(Rfi).where(Rfi.issuer_id == approver.organization_id, Rfi.title == spec["title"])
                              .execution_options(all_tenants=True))
    if found is not None:
        return None
    need = db.session.scalar(select(Need).where(Need.member_id == approver.organization_id, Need.title == spec["need"],
                                                Need.status == "selected").execution_options(all_tenants=True))
    due = local_date(consortium, models.now()) + timedelta(days=21)
    rfi = services.create_rfi(consortium, {
        "title": spec["title"], "problem": spec["problem"], "outcomes": spec["outcomes"],
        "category": spec["category"], "responses_due": due.isoformat(), "mou_outline": MOU,
        "need_ids": [need.id] if need is not None else []}, actor=approver)
    services.publish_rfi(rfi, actor=approver)
    for email, quantity, budget, note in spec["interest"]:
        services.register_interest(rfi, {"indicative_quantity": quantity, "indicative_budget": budget, "note": note},
                                   actor=_user(email))
    responses = {}
    for email, listing, pricing, price, summary, mou in spec["responses"]:
        vendor = _user(email)
        if vendor is None:
            continue
        responses[email] = services.submit_response(rfi, {
            "summary": summary, "listing_id": _listing(consortium, vendor, listing), "pricing_models": pricing,
            "indicative_price": price, "mou": mou}, actor=vendor).obj
    return rfi if responses else None


def load_sourcing() -> None:
    """Mesa's converted RFI and its open one (the loader skips RFIs that exist)."""
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    approver = _user("approver@mesa.example")
    if consortium is None or approver is None:
        return
    for spec in RFIS:
        rfi = _rfi(consortium, spec, approver)
        if rfi is None or "convert" not in spec:
            continue
        services.close_rfi(rfi, actor=approver)
        plan = spec["convert"]
        response = next(r for r in rfi_responses(rfi) if r.vendor_id == _user(plan["vendor"]).organization_id)
        services.convert_rfi(rfi, {"response_id": response.id, "into": "pilot",
                                   "pilot": {"metrics": plan["metrics"], "units": plan["units"]}}, actor=approver)
    db.session.flush()


def rfi_responses(rfi: Rfi):
    return db.session.scalars(select(models.RfiResponse).where(models.RfiResponse.rfi_id == rfi.id))
