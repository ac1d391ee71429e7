"""Demo planning (DESIGN section 8), made through the real services: needs of Mesa and Tempe, and Mesa's closed
priority round in the shape of DESIGN section 5b's example I (envelope 1,000,000.00; scores 4.6, 4.2, 3.9 and
3.1 for needs of 600,000, 500,000, 300,000 and 100,000 → the first, third and fourth selected, the second
deferred as it does not fit the remaining 400,000.00).

Idempotent: needs are looked up by member and title, the round by owner and title.
"""

from __future__ import annotations

from sqlalchemy import select

from consortium.models import Consortium, Organization, User
from consortium.planning import services
from consortium.planning.models import Need, PriorityRound
from marketplace.extensions import db

FISCAL_YEAR = 2027
# (member, recorder, title, category, cost, problem, benefits, funding, submit)
NEEDS = [
    ("Mesa", "buyer@mesa.example", "Adaptive street lighting on arterials", "lighting", "600000.00",
     "The high-pressure sodium lights on 40 miles of arterials burn at full power all night, fail unnoticed for days "
     "and cost $410,000 a year in energy.",
     "About 60% less energy, outages reported automatically, dimming on empty streets.",
     [("budget", "200000.00"), ("grant", "150000.00"), ("vendor_financing", "250000.00")], True),
    ("Mesa", "buyer@mesa.example", "Smart parking downtown", "parking", "500000.00",
     "Drivers circle downtown blocks looking for parking; merchants lose customers at lunch time.",
     "Less cruising traffic, occupancy data for pricing, guidance to free spaces.",
     [("budget", "300000.00"), ("revenue_share", "200000.00")], True),
    ("Mesa", "approver@mesa.example", "Leak detection on the east water mains", "water", "300000.00",
     "The east side's cast-iron mains lose an estimated 11% of treated water to leaks found only when they surface.",
     "Leaks found weeks earlier; less water lost and fewer emergency repairs.",
     [("bond", "300000.00")], True),
    ("Mesa", "buyer@mesa.example", "EV charging at civic buildings", "ev_charging", "100000.00",
     "The city's growing electric fleet charges from wall outlets at three civic buildings; staff queue for them.",
     "Twelve managed chargers, fleet charging scheduled off-peak.",
     [("grant", "100000.00")], True),
    ("Mesa", "buyer@mesa.example", "Public Wi-Fi in neighborhood parks", "connectivity", "180000.00",
     "Families in four neighborhoods have no reliable broadband; parks are where they gather.",
     "Free Wi-Fi in four parks, sponsored by advertising on the poles.",
     [("revenue_share", "90000.00")], False),
    ("Tempe", "buyer@tempe.example", "Curbside parking availability", "parking", "250000.00",
     "Mill Avenue's curbs are full at night and delivery vans double-park in the mornings.",
     "Live availability for drivers, curb-use data for loading-zone hours.",
     [("budget", "150000.00")], True),
    ("Tempe", "buyer@tempe.example", "Real-time signs at bus stops", "mobility", "180000.00",
     "Riders at 60 stops have no idea when the next bus comes.",
     "Arrival times at the stop; fewer missed connections.",
     [("grant", "144000.00"), ("budget", "36000.00")], True),
]
ROUND_TITLE = "Mesa capital priorities FY2027"
CRITERIA = [{"name": "Resident benefit", "weight": "0.4"}, {"name": "Savings", "weight": "0.3"},
            {"name": "Readiness", "weight": "0.3"}]
# Each need's ratings (resident benefit, savings, readiness) → scores 4.6, 4.2, 3.9, 3.1 (example I).
RATINGS = {
    "Adaptive street lighting on arterials": (4, 5, 5),
    "Smart parking downtown": (3, 5, 5),
    "Leak detection on the east water mains": (3, 5, 4),
    "EV charging at civic buildings": (4, 3, 2),
}


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _need(consortium: Consortium, spec) -> Need:
    member_name, recorder, title, category, cost, problem, benefits, funding, submit = spec
    member = db.session.scalar(select(Organization).where(Organization.consortium_id == consortium.id,
                                                          Organization.name == member_name))
    need = db.session.scalar(select(Need).where(Need.member_id == member.id, Need.title == title)
                             .execution_options(all_tenants=True))
    if need is not None:
        return need
    need = services.create_need(consortium, {
        "title": title, "problem": problem, "category": category, "estimated_cost": cost, "benefits": benefits,
        "fiscal_year": FISCAL_YEAR, "funding": [{"source": s, "amount": a} for s, a in funding]},
        actor=_user(recorder))
    if submit:
        services.submit_need(need, actor=_user(recorder))
    return need


def load_planning() -> None:
    """The needs, and Mesa's closed round (the loader skips what exists)."""
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    if consortium is None:
        return
    needs = {spec[2]: _need(consortium, spec) for spec in NEEDS}
    approver = _user("approver@mesa.example")
    if db.session.scalar(select(PriorityRound.id).where(PriorityRound.owner_id == approver.organization_id,
                                                        PriorityRound.title == ROUND_TITLE)
                         .execution_options(all_tenants=True)) is not None:
        return
    round_ = services.start_round(consortium, {"title": ROUND_TITLE, "fiscal_year": FISCAL_YEAR,
                                               "budget": "1000000.00", "criteria": CRITERIA}, actor=approver)
    for title, ratings in RATINGS.items():
        services.add_candidate(round_, {"need_id": needs[title].id}, actor=approver)
        services.rate_need(round_, {"need_id": needs[title].id,
                                    "ratings": {c["name"]: r for c, r in zip(CRITERIA, ratings, strict=True)}},
                           actor=approver)
    services.close_round(round_, actor=approver)
    db.session.flush()
