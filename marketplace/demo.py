"""`flask --app marketplace demo load`: the demo data of DESIGN section 8, idempotent.

Every object is looked up by its natural key first, so running the loader twice changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import func, select, update

from catalog.listings import services as catalog
from catalog.listings.models import Listing
from catalog.pilots import services as evidence
from catalog.pilots.models import Pilot
from catalog.reviews.demo import load_reviews
from consortium import services as people
from consortium.models import Consortium, Organization, Supplier, User
from consortium.planning.demo import load_planning
from contracts.demo import load_orders, load_vehicles
from contracts.finance.demo import load_finance, load_need_financing
from contracts.reporting.demo import load_sales_reports
from contracts.sourcing.demo import load_sourcing
from contracts.sourcing.rfqs.demo import load_rfqs
from marketplace.documents.demo import load_documents
from marketplace.extensions import db
from marketplace.notifications.models import Notification

DEMO_PASSWORD = "demo-password"

CONSORTIA = [
    {
        "slug": "gpsr",
        "name": "Greater Phoenix Smart Region",
        "legal_basis": "Cooperative purchasing under A.R.S. §41-2632 and the Greater Phoenix Smart Region "
        "intergovernmental agreement.",
        "admin_fee_pct": Decimal("1.5"),
        "time_zone": "America/Phoenix",
        "office": ("Greater Phoenix Smart Region Office", "admin@gpsr.example"),
        "members": [
            ("Mesa", "mesa", 504258, Decimal("250000.00")),
            ("Tempe", "tempe", 180587, Decimal("100000.00")),
            ("Chandler", "chandler", 275987, Decimal("150000.00")),
            ("Scottsdale", "scottsdale", 241361, Decimal("150000.00")),
        ],
        "vendors": [
            ("BrightStreet Lighting", "brightstreet"),
            ("ParkSense", "parksense"),
            ("FlowMobility", "flowmobility"),
            ("CurbIQ", "curbiq"),
        ],
    },
    {
        "slug": "frca",
        "name": "Front Range Cities Alliance",
        "legal_basis": "Cooperative purchasing under C.R.S. §24-110-201 and the Front Range Cities Alliance "
        "intergovernmental agreement.",
        "admin_fee_pct": Decimal("1.0"),
        "time_zone": "America/Denver",
        "office": ("Front Range Cities Alliance Office", "admin@frca.example"),
        "members": [
            ("Boulder", "boulder", 105485, Decimal("120000.00")),
            ("Fort Collins", "fortcollins", 170376, Decimal("120000.00")),
        ],
        "vendors": [("BrightStreet Lighting", "brightstreet")],
    },
]


# Postal addresses printed on purchase orders (city halls as published by the cities; the vendors' and the
# offices' are made up).
ADDRESSES = {
    "Greater Phoenix Smart Region Office": "200 West Washington Street, Suite 1100\nPhoenix, AZ 85003",
    "Mesa": "Mesa City Plaza\n20 East Main Street\nMesa, AZ 85201",
    "Tempe": "Tempe City Hall\n31 East Fifth Street\nTempe, AZ 85281",
    "Chandler": "Chandler City Hall\n175 South Arizona Avenue\nChandler, AZ 85225",
    "Scottsdale": "Scottsdale City Hall\n3939 North Drinkwater Boulevard\nScottsdale, AZ 85251",
    "Front Range Cities Alliance Office": "1600 Broadway, Suite 1200\nDenver, CO 80202",
    "Boulder": "Boulder Municipal Building\n1777 Broadway\nBoulder, CO 80302",
    "Fort Collins": "Fort Collins City Hall\n300 LaPorte Avenue\nFort Collins, CO 80521",
    "BrightStreet Lighting": "2150 West Broadway Road, Suite 200\nTempe, AZ 85282",
    "ParkSense": "410 North 44th Street, Suite 300\nPhoenix, AZ 85008",
    "FlowMobility": "1550 Wynkoop Street, Suite 400\nDenver, CO 80202",
    "CurbIQ": "100 North Mill Avenue, Suite 250\nTempe, AZ 85281",
}


def _consortium(spec: dict) -> Consortium:
    found = db.session.scalar(select(Consortium).where(Consortium.slug == spec["slug"]))
    return found or people.create_consortium(
        name=spec["name"], slug=spec["slug"], legal_basis=spec["legal_basis"], admin_fee_pct=spec["admin_fee_pct"],
        time_zone=spec["time_zone"],
    )


def _organization(kind: str, name: str, consortium: Consortium, **fields) -> Organization:
    stmt = select(Organization).where(Organization.kind == kind, Organization.name == name)
    if kind != "vendor":
        stmt = stmt.where(Organization.consortium_id == consortium.id)
    found = db.session.scalar(stmt)
    if found is not None:
        if kind == "vendor":
            people.add_supplier(consortium, found)
        if not found.address:  # organizations loaded before addresses existed get theirs
            found.address = ADDRESSES.get(name, "")
        return found
    return people.create_organization(kind=kind, name=name, consortium=consortium, address=ADDRESSES.get(name, ""),
                                      **fields)


def _user(email: str, name: str, org: Organization, role: str, consortium: Consortium, accounts: list) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    if found is None:
        found = people.create_user(
            email=email, name=name, password=DEMO_PASSWORD, organization=org, role=role, consortium=consortium
        )
    if (email, role) not in [(a[0], a[1]) for a in accounts]:
        accounts.append((email, role, org.name, consortium.slug))
    return found


def load_people() -> list[tuple[str, str, str, str]]:
    """Consortia, organizations and users; returns the demo accounts (email, role, org, consortium)."""
    accounts: list[tuple[str, str, str, str]] = []
    for spec in CONSORTIA:
        consortium = _consortium(spec)
        office_name, office_email = spec["office"]
        office = _organization("office", office_name, consortium)
        _user(office_email, f"{spec['slug'].upper()} Program Office", office, "admin", consortium, accounts)
        for name, key, population, limit in spec["members"]:
            member = _organization(
                "member", name, consortium, entity_type="city", population=population, approval_limit=limit
            )
            _user(f"buyer@{key}.example", f"{name} Buyer", member, "buyer", consortium, accounts)
            _user(f"approver@{key}.example", f"{name} Champion", member, "approver", consortium, accounts)
        for name, key in spec["vendors"]:
            vendor = _organization("vendor", name, consortium)
            _user(f"vendor@{key}.example", f"{name} Sales", vendor, "vendor", consortium, accounts)
    db.session.flush()
    return accounts


def _item(name: str, unit: str, price: str) -> dict:
    return {"name": name, "unit": unit, "list_price": price}


# (vendor key, title, category, pricing models, tags, standards, summary, description, price items, state)
LISTINGS = {
    "gpsr": [
        ("brightstreet", "Adaptive LED street lighting", "lighting", ["purchase", "as_a_service", "vendor_financed"],
         ["LED", "adaptive", "dimming", "street lights"], ["TALQ 2.0", "DALI-2", "Zhaga Book 18"],
         "Networked LED luminaires that dim on empty streets and report faults before residents do.",
         "Cobra-head retrofit with per-pole controllers and a central management system. Lights dim to 30% "
         "when streets are empty and brighten on motion. Outages are reported automatically, so crews fix "
         "them before residents call.\n\nDelivered as a purchase, as a service with a monthly fee per pole, "
         "or vendor financed against the guaranteed energy savings.",
         [_item("LED luminaire with node", "each", "450.00"),
          _item("Central management system", "per month", "2500.00"),
          _item("Lighting as a service", "per pole per month", "9.50")], "published"),
        ("brightstreet", "Smart pole with public Wi-Fi", "connectivity", ["purchase", "revenue_share"],
         ["Wi-Fi", "small cell", "pole"], ["IEEE 802.11ax", "OpenRoaming"],
         "Street-light poles with integrated Wi-Fi access points and room for 5G small cells.",
         "Replaces existing poles with multi-purpose smart poles. Revenue from carrier small-cell leases is "
         "shared with the city.", [_item("Smart pole", "each", "6800.00"), _item("Wi-Fi service", "per pole per month",
                                                                               "35.00")], "published"),
        ("brightstreet", "Solar-powered pathway lights", "lighting", ["purchase"], ["solar", "parks", "off-grid"],
         [], "Off-grid LED lights for trails and parks, no trenching required.",
         "Solar panel and battery in each fixture, five nights of autonomy.",
         [_item("Solar pathway light", "each", "1250.00")], "published"),
        ("parksense", "In-ground parking occupancy sensors", "parking", ["as_a_service"],
         ["parking", "sensors", "occupancy"], ["REST API", "GBFS"],
         "Magnetometer sensors show free curb spaces in real time to drivers and enforcement.",
         "Each sensor reports arrivals and departures within seconds. A dashboard and open API feed "
         "navigation apps and dynamic pricing.", [_item("Sensor service", "per space per month", "4.50"),
                                                  _item("Installation", "per space", "65.00")], "published"),
        ("parksense", "Parking guidance signs", "parking", ["purchase", "as_a_service"], ["signage", "garages"],
         ["NTCIP 1203"], "Dynamic signs that guide drivers to garages with free spaces.",
         "Full-matrix LED signs fed by garage counts and curb sensors.",
         [_item("Guidance sign", "each", "14500.00")], "published"),
        ("parksense", "Curb management analytics", "data_platforms", ["as_a_service"], ["curb", "loading zones"],
         ["CDS (Curb Data Specification)"], "Analytics for loading zones, delivery dwell time and curb pricing.",
         "Combines sensor, permit and payment data into curb utilisation reports.",
         [_item("Analytics platform", "per month", "3200.00")], "published_with_revision"),
        ("flowmobility", "Mobility-as-a-service trip planner", "mobility", ["as_a_service", "revenue_share"],
         ["MaaS", "transit", "micromobility"], ["GTFS", "GBFS", "MDS"],
         "One app to plan and pay for bus, light rail, bike share and scooters.",
         "White-label app with account-based fare payment and fare capping.",
         [_item("Platform licence", "per month", "8000.00"), _item("Transaction fee", "per trip", "0.12")],
         "published"),
        ("flowmobility", "Adaptive traffic signal control", "mobility", ["purchase", "as_a_service"],
         ["traffic signals", "congestion"], ["NTCIP 1202"], "Signals that adapt to traffic in real time.",
         "Camera and radar detection with corridor optimisation.",
         [_item("Intersection kit", "per intersection", "28000.00")], "published"),
        ("flowmobility", "EV fleet charging management", "ev_charging", ["purchase", "vendor_financed"],
         ["EV", "fleet", "charging"], ["OCPP 2.0.1", "ISO 15118"],
         "Smart charging for municipal fleets that keeps demand charges down.",
         "Schedules charging of city vehicles around tariffs and duty cycles.",
         [_item("Level 2 charger", "each", "5200.00"), _item("Charging software", "per port per month", "22.00")],
         "published"),
        ("brightstreet", "Building energy retrofit with savings guarantee", "energy", ["vendor_financed"],
         ["energy", "ESCO", "HVAC"], ["IPMVP Option C", "BACnet"],
         "Lighting, HVAC and controls retrofits paid from guaranteed, measured savings.",
         "Energy-savings performance contract with IPMVP measurement and a savings guarantee.",
         [_item("Investment-grade audit", "per building", "18000.00")], "published"),
        ("parksense", "Smart waste bin fill sensors", "waste", ["as_a_service"], ["waste", "route optimisation"],
         ["LoRaWAN"], "Fill-level sensors so crews empty bins only when needed.",
         "Ultrasonic sensors and route optimisation for collection crews.",
         [_item("Sensor service", "per bin per month", "3.20")], "submitted"),
        ("flowmobility", "Curbside e-scooter corrals", "mobility", ["purchase"], ["scooters", "parking"], [],
         "Painted and sensor-equipped corrals that keep sidewalks clear.",
         "Draft: corral design and geofencing integration.",
         [_item("Corral", "each", "900.00")], "draft"),
    ],
    "frca": [
        ("brightstreet", "Adaptive LED street lighting", "lighting", ["purchase", "as_a_service"],
         ["LED", "adaptive", "dimming"], ["TALQ 2.0", "DALI-2"],
         "Networked LED luminaires that dim on empty streets (Front Range pricing).",
         "Cobra-head retrofit with per-pole controllers.",
         [_item("LED luminaire with node", "each", "470.00"), _item("Lighting as a service", "per pole per month",
                                                                     "9.90")], "published"),
        ("brightstreet", "Snow-route lighting controls", "lighting", ["purchase"], ["snow", "winter"], ["TALQ 2.0"],
         "Brighten snow routes automatically during storms.", "Integrates with weather feeds and plow AVL.",
         [_item("Controls package", "per corridor", "12000.00")], "published"),
    ],
}


def _listing(consortium: Consortium, spec: tuple) -> Listing:
    key, title, category, models, tags, standards, summary, description, items, state = spec
    found = db.session.scalar(
        select(Listing).where(Listing.consortium_id == consortium.id, Listing.title == title)
        .execution_options(all_tenants=True)
    )
    if found is not None:
        return found
    vendor_user = db.session.scalar(select(User).where(User.email == f"vendor@{key}.example"))
    admin = db.session.scalar(select(User).where(User.email == f"admin@{consortium.slug}.example"))
    data = {"title": title, "summary": summary, "description": description, "category": category, "tags": tags,
            "pricing_models": models, "standards": standards, "price_items": items}
    listing = catalog.create_listing(consortium=consortium, vendor=vendor_user.organization, data=data,
                                     actor=vendor_user)
    if state == "draft":
        return listing
    catalog.submit_listing(listing, actor=vendor_user)
    if state == "submitted":
        return listing
    catalog.approve_listing(listing, actor=admin, reason="Meets the consortium's listing criteria.")
    if state == "published_with_revision":
        revised = {**data, "summary": summary + " Now with loading-zone reservations.",
                   "price_items": [{**items[0], "id": listing.price_items[0].id, "list_price": "3400.00"}]}
        catalog.update_listing(listing, revised, actor=vendor_user)
    return listing


def load_catalog() -> None:
    for slug, specs in LISTINGS.items():
        consortium = db.session.scalar(select(Consortium).where(Consortium.slug == slug))
        for spec in specs:
            _listing(consortium, spec)
    db.session.flush()


def _metric(kpi, unit, direction, baseline, target, result) -> dict:
    return {"kpi": kpi, "unit": unit, "direction": direction, "baseline": baseline, "target": target,
            "result": result}


# (consortium, recorder, listing title or None, vendor name, category, title, dates, scope, cost, financing,
#  metrics, stated outcome (`record_pilot` derives the outcome from the metrics; one that differs needs a
#  justification in PILOT_JUSTIFICATIONS), lessons, verifier or None)
PILOTS = [
    ("gpsr", "buyer@mesa.example", "Adaptive LED street lighting", None, None,
     "Adaptive LED street lighting in Dobson Ranch", ("2025-01-06", "2025-12-19"), ("1,150 poles", "Dobson Ranch"),
     "612000.00", "Capital budget, energy rebate from SRP",
     [_metric("Energy use", "MWh/yr", "lower", "1200", "700", "610"),
      _metric("Outage repair time", "hours", "lower", "72", "24", "18"),
      _metric("Resident satisfaction", "%", "higher", "61", "75", "82")],
     "met", "Dimming schedules needed a neighbourhood meeting; the fault alerts cut repair times most.",
     "approver@mesa.example"),
    ("gpsr", "buyer@scottsdale.example", "In-ground parking occupancy sensors", None, None,
     "Old Town curb occupancy sensors", ("2025-03-01", "2025-09-30"), ("420 spaces", "Old Town"), "48000.00",
     "As a service (pilot price)",
     [_metric("Time to find parking", "minutes", "lower", "11", "7", "6.5"),
      _metric("Sensor accuracy", "%", "higher", "0", "97", "98.4")],
     "met", "Calibrate sensors after street sweeping; share the feed with the navigation apps early.",
     "approver@scottsdale.example"),
    ("gpsr", "buyer@tempe.example", "Mobility-as-a-service trip planner", None, None,
     "Tempe MaaS app pilot", ("2025-05-01", "2025-10-31"), ("3,000 riders", "City-wide"), "95000.00",
     "Federal mobility grant",
     [_metric("Monthly active users", "users", "higher", "0", "5000", "3100"),
      _metric("Trips with two or more modes", "%", "higher", "4", "10", "8.5")],
     "partially_met", "Fare capping drove adoption; scooter operators joined late.", None),
    ("gpsr", "buyer@chandler.example", None, "AquaSense Leak Detection", "water",
     "Acoustic leak detection on the west-side mains", ("2024-10-01", "2025-06-30"), ("85 miles of main", "West"),
     "210000.00", "Water enterprise fund",
     [_metric("Non-revenue water", "%", "lower", "14", "10", "8.9"),
      _metric("Leaks found before surfacing", "leaks", "higher", "3", "20", "31")],
     "met", "The vendor is not on the marketplace yet; Chandler would buy again.", "approver@chandler.example"),
    ("frca", "buyer@boulder.example", "Adaptive LED street lighting", None, None,
     "Boulder adaptive lighting on the multi-use paths", ("2025-02-01", "2025-11-30"), ("300 poles", "Paths"),
     "165000.00", "Climate tax fund",
     [_metric("Energy use", "MWh/yr", "lower", "310", "190", "175")],
     "met", "Dark-sky settings were popular with residents.", "approver@boulder.example"),
]


# Where a demo pilot states another outcome than its metrics give, the recorder's written reason (the
# outcome of every demo pilot is otherwise derived from its metrics by `record_pilot`).
PILOT_JUSTIFICATIONS = {
    "Tempe MaaS app pilot": (
        "Both targets were set for a 12-month pilot that the grant cut to six months. Monthly users grew every "
        "month, to 3,100 (62% of the target), and trips with two or more modes doubled from 4% to 8.5%; "
        "Tempe counts the pilot as a partial success and is extending it."),
}


def load_pilots() -> None:
    for (slug, recorder, listing_title, vendor_name, category, title, dates, scope, cost, financing, metrics,
         outcome, lessons, verifier) in PILOTS:
        consortium = db.session.scalar(select(Consortium).where(Consortium.slug == slug))
        if db.session.scalar(select(Pilot.id).where(Pilot.consortium_id == consortium.id, Pilot.title == title)
                             .execution_options(all_tenants=True)):
            continue
        data = {"title": title, "start_date": dates[0], "end_date": dates[1], "units": scope[0], "area": scope[1],
                "cost": cost, "financing": financing, "metrics": metrics, "outcome": outcome, "lessons": lessons,
                "references": "", "justification": PILOT_JUSTIFICATIONS.get(title)}
        if listing_title:
            data["listing_id"] = db.session.scalar(
                select(Listing.id).where(Listing.consortium_id == consortium.id, Listing.title == listing_title)
                .execution_options(all_tenants=True))
        else:
            data.update(vendor_name=vendor_name, category=category)
        actor = db.session.scalar(select(User).where(User.email == recorder))
        pilot = evidence.record_pilot(consortium=consortium, data=data, actor=actor)
        if verifier:
            evidence.verify_pilot(pilot, actor=db.session.scalar(select(User).where(User.email == verifier)))
    db.session.flush()


def load_demo() -> list[tuple[str, str, str, str]]:
    """Load every domain's demo data in order; each step is idempotent. The notifications its events write
    fill the demo inboxes but are not e-mailed (the demo addresses are made up)."""
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    accounts = load_people()
    load_catalog()
    load_pilots()
    load_vehicles()
    load_orders()
    load_finance()
    load_planning()
    load_sourcing()
    load_rfqs()
    load_need_financing()
    load_reviews()  # after the orders: a review needs an active or completed order
    load_sales_reports()
    load_documents()  # last: documents attach to the pilots, measurements and vehicles above
    db.session.execute(update(Notification).where(Notification.id > before, Notification.email_status == "pending")
                       .values(email_status="skipped", last_error="Demo data: in the inbox, not e-mailed."))
    return accounts


def print_accounts(accounts) -> None:
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for email, role, org, slug in accounts:
        click.echo(f"  {email:<32} {role:<9} {org:<38} {slug}")


demo_cli = AppGroup("demo", help="Demo data.")


def demo_accounts() -> list[tuple[str, str, str, str]]:
    """Every demo account as (e-mail, role, organization, consortia): a member or the office belongs to one
    consortium; a vendor lists every consortium it supplies."""
    users = db.session.scalars(select(User).where(User.email.like("%.example")).order_by(User.id)).all()
    supplied: dict[int, list[str]] = {}
    for org_id, slug in db.session.execute(
            select(Supplier.organization_id, Consortium.slug).join(Consortium, Consortium.id == Supplier.consortium_id)
            .order_by(Consortium.id).execution_options(all_tenants=True)):
        supplied.setdefault(org_id, []).append(slug)
    rows = []
    for u in users:
        org = u.organization
        slugs = org.consortium.slug if org.consortium else ", ".join(supplied.get(org.id, [])) or "—"
        rows.append((u.email, u.role, org.name, slugs))
    return rows


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo consortia, organizations, users and their data (safe to run again)."""
    load_demo()
    db.session.commit()
    print_accounts(demo_accounts())


@demo_cli.command("accounts")
def accounts_command() -> None:
    """Print the demo accounts without changing anything."""
    print_accounts(demo_accounts())
