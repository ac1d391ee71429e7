"""Demo contract vehicles and participation (DESIGN section 8), made through the real services.

Idempotent: each vehicle is looked up by its number first, each participation by vehicle and member,
so loading twice changes nothing. Needs the demo people and catalog loaded first.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from catalog.listings.models import Listing
from consortium.models import Consortium, Organization, User
from contracts.invoices import services as invoice_services
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.orders.models import Order
from contracts.vehicles import models as vehicle_models
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.signing import services as signing
from contracts.vehicles.signing.demo import execute_signed
from marketplace.extensions import db

# Each vehicle: its terms, the covered listings with the contract price of each scheduled item (by listing
# title and item name), the state to leave it in, and the participation to request (and execute).
VEHICLES = [
    {
        "slug": "gpsr",
        "number": "GPSR-2026-001",
        "title": "Adaptive LED street lighting as a service",
        "lead": "Mesa",
        "vendor": "BrightStreet Lighting",
        "listings": {
            "Adaptive LED street lighting": {"LED luminaire with node": "405.00",
                                             "Central management system": "2250.00",
                                             "Lighting as a service": "8.55"},
            "Solar-powered pathway lights": {"Solar pathway light": "1125.00"},
        },
        "start_date": "2026-01-01", "end_date": "2028-12-31", "renewal_options": {"count": 2, "months": 12},
        "ceiling": "2000000.00", "admin_fee_pct": "1.5",
        "notes": "Awarded by the City of Mesa under RFP 2025-114 (adaptive street lighting), evaluated by a panel "
                 "of Mesa, Tempe and Chandler staff.\n\nThe master agreement, the vendor's proposal and the "
                 "evaluation report are available from the consortium office.",
        "state": "active",
        "participations": [
            ("approver@tempe.example", "executed",
             {"member_not_to_exceed": "400000.00",
              "special_terms": "Tempe's standard certificate of insurance requirements apply. Invoices go to "
                               "Tempe Public Works, Street Lighting Division."}),
            ("approver@chandler.example", "signed",
             {"member_not_to_exceed": "250000.00",
              "special_terms": "Installation limited to arterial streets in the first year."}),
        ],
    },
    {
        "slug": "gpsr",
        "number": "GPSR-2026-002",
        "title": "Smart parking sensors and guidance",
        "lead": "Scottsdale",
        "vendor": "ParkSense",
        "listings": {
            "In-ground parking occupancy sensors": {"Sensor service": "4.05", "Installation": "58.50"},
            "Parking guidance signs": {},
        },
        "start_date": "2027-01-01", "end_date": "2029-12-31", "renewal_options": {"count": 1, "months": 24},
        "ceiling": "750000.00", "admin_fee_pct": "1.5",
        "notes": "Scottsdale RFP 2026-031 under evaluation; guidance-sign prices to follow the best and final offer.",
        "state": "draft",
        "participations": [],
    },
    {
        "slug": "frca",
        "number": "FRCA-2026-001",
        "title": "Adaptive LED street lighting",
        "lead": "Boulder",
        "vendor": "BrightStreet Lighting",
        "listings": {
            "Adaptive LED street lighting": {"LED luminaire with node": "423.00", "Lighting as a service": "8.91"},
            "Snow-route lighting controls": {"Controls package": "10800.00"},
        },
        "start_date": "2026-03-01", "end_date": "2029-02-28", "renewal_options": {"count": 1, "months": 24},
        "ceiling": "1200000.00", "admin_fee_pct": "1.0",
        "notes": "Awarded by the City of Boulder under solicitation 2025-LED-07.",
        "state": "active",
        "participations": [],
    },
    {
        "slug": "gpsr",
        "number": "GPSR-2025-007",
        "title": "Smart poles with public Wi-Fi (advertising concession)",
        "lead": "Tempe",
        "vendor": "BrightStreet Lighting",
        "listings": {"Smart pole with public Wi-Fi": {"Smart pole": "6460.00", "Wi-Fi service": "33.25"}},
        "start_date": "2025-07-01", "end_date": "2030-06-30", "renewal_options": {"count": 1, "months": 24},
        "ceiling": "500000.00", "admin_fee_pct": "1.5",
        "notes": "Awarded by the City of Tempe under RFP 2025-062 (public Wi-Fi concession): the vendor installs "
                 "and runs the network at its own cost and shares its advertising revenue with the city.",
        "state": "active",
        "participations": [],
    },
]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _vehicle_data(consortium: Consortium, spec: dict) -> dict:
    listings = {
        x.title: x for x in db.session.scalars(
            select(Listing).where(Listing.consortium_id == consortium.id, Listing.title.in_(spec["listings"]))
            .execution_options(all_tenants=True)
        )
    }
    lead = db.session.scalar(select(Organization).where(Organization.consortium_id == consortium.id,
                                                        Organization.name == spec["lead"]))
    vendor = db.session.scalar(select(Organization).where(Organization.kind == "vendor",
                                                          Organization.name == spec["vendor"]))
    schedule = []
    for title, prices in spec["listings"].items():
        items = {p.name: p for p in listings[title].active_price_items}
        schedule += [{"price_item_id": items[name].id, "contract_price": price} for name, price in prices.items()]
    return {
        "number": spec["number"], "title": spec["title"], "lead_agency_id": lead.id, "vendor_id": vendor.id,
        "listing_ids": [listings[title].id for title in spec["listings"]], "price_schedule": schedule,
        "start_date": spec["start_date"], "end_date": spec["end_date"], "renewal_options": spec["renewal_options"],
        "ceiling": spec["ceiling"], "admin_fee_pct": spec["admin_fee_pct"], "notes": spec["notes"],
    }


SIGNING_AUTHORITY = "Council resolution 2026-31, delegated authority up to $150,000"


def _participation(vehicle: Vehicle, admin: User, email: str, state: str, data: dict) -> None:
    approver = _user(email)
    found = db.session.scalar(
        select(Participation).where(Participation.vehicle_id == vehicle.id,
                                    Participation.member_id == approver.organization_id)
        .execution_options(all_tenants=True)
    )
    if found is not None:
        return
    participation = vehicles.request_participation(vehicle, data, actor=approver)
    if state == "executed":
        execute_signed(participation, approver=approver, admin=admin)
    elif state == "signed":  # signed for the member, waiting for the office's countersignature
        signing.sign_participation(participation, {"title": "City Manager", "authority": SIGNING_AUTHORITY},
                                   actor=approver)


def load_vehicles() -> None:
    """The demo vehicles: an active street-lighting vehicle led by Mesa with Tempe participating and
    Chandler's request signed for Chandler and waiting for the office's countersignature, a parking vehicle
    in draft, and an active vehicle in Front Range."""
    for spec in VEHICLES:
        consortium = db.session.scalar(select(Consortium).where(Consortium.slug == spec["slug"]))
        admin = _user(f"admin@{spec['slug']}.example")
        vehicle = db.session.scalar(
            select(Vehicle).where(Vehicle.consortium_id == consortium.id, Vehicle.number == spec["number"])
            .execution_options(all_tenants=True)
        )
        if vehicle is None:
            vehicle = vehicles.create_vehicle(consortium=consortium, data=_vehicle_data(consortium, spec), actor=admin)
            if spec["state"] == "active":
                vehicles.activate_vehicle(vehicle, actor=admin)
        for email, state, data in spec["participations"]:
            _participation(vehicle, admin, email, state, data)
    db.session.flush()


# --- orders and performance -----------------------------------------------------------------------

STREET_LIGHTING_TERMS = {
    "period": "month", "periods": 12, "fixed_fee": "10000.00", "at_risk_fee": "40000.00", "bonus_pool": "2000.00",
    "holdback_pct": "10", "holdback_window": 2,
    "kpis": [{"code": "availability", "name": "Lighting availability", "unit": "percent", "direction": "higher",
              "weight": "1", "baseline": "97.0", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
}

# A smaller lighting pilot the city ended early (its vehicle page shows what the termination gave back).
PILOT_LIGHTING_TERMS = {**STREET_LIGHTING_TERMS, "fixed_fee": "1500.00", "at_risk_fee": "3500.00",
                        "bonus_pool": "0.00"}

# Tempe's three-month pilot, measured, invoiced, paid and completed: closeout gives back the at-risk fee it
# did not earn.
TEMPE_PILOT_TERMS = {**PILOT_LIGHTING_TERMS, "periods": 3, "holdback_window": 3}

NOTES = {"TMP-2026-0031": "Three-month lighting-as-a-service pilot on Mill Avenue.",
         "MSA-2026-0288": "Lighting-as-a-service pilot for the Fiesta district.",
         "MSA-2026-0311": "Lighting as a service for the Dobson Ranch and Fiesta districts."}

# (PO number, buyer, items {name: quantity}, performance terms, final state, observations)
ORDERS = [
    ("TMP-2026-0031", "buyer@tempe.example", {}, TEMPE_PILOT_TERMS, "completed",
     [(1, "99.2", "verified", "Mill Avenue pilot availability export, month 1"),
      (2, "96.1", "verified", "Mill Avenue pilot availability export, month 2 (controller faults)"),
      (3, "98.4", "verified", "Mill Avenue pilot availability export, month 3")]),
    ("MSA-2026-0288", "buyer@mesa.example", {}, PILOT_LIGHTING_TERMS, "terminated",
     [(1, "99.1", "verified", "Pilot district availability export, month 1")]),
    ("TMP-2026-0042", "buyer@tempe.example", {"LED luminaire with node": "20"}, None, "approved", []),
    ("TMP-2026-0057", "buyer@tempe.example", {"LED luminaire with node": "250"}, None, "pending_approval", []),
    ("MSA-2026-0311", "buyer@mesa.example", {}, STREET_LIGHTING_TERMS, "active",
     [(1, "97.2", "verified", "Central management system availability export, month 1"),
      (2, "99.3", "verified", "Central management system availability export, month 2"),
      (3, "94.6", "reported", "Central management system availability export, month 3 (storm outages)")]),
]


# Orders bought under another pricing model than their terms imply: Tempe's 250 luminaires are vendor financed
# (contracts.finance.demo records the financing and its schedule).
PRICING_MODELS = {"TMP-2026-0057": "vendor_financed"}


def _months_ago(months: int):
    first = vehicle_models.today().replace(day=1)
    return first - relativedelta(months=months)


def load_orders() -> None:
    """Orders in every state under the Mesa street-lighting vehicle: one with performance terms and
    three months of measurements (two verified, one reported) so a window is settled and one pending, its
    invoices in every state; one completed through closeout; one terminated. Then Tempe's Wi-Fi concession."""
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001")
                                .execution_options(all_tenants=True))
    if vehicle is not None and vehicle.is_in_force():
        _load_lighting_orders(vehicle)
    load_concession()
    db.session.flush()


def _load_lighting_orders(vehicle: Vehicle) -> None:
    items = {s.price_item.name: s.price_item_id for s in vehicle.schedule}
    for po, buyer_email, quantities, terms, state, measured in ORDERS:
        if db.session.scalar(select(Order.id).where(Order.po_number == po).execution_options(all_tenants=True)):
            continue
        buyer = _user(buyer_email)
        data = {"po_number": po, "lines": [{"price_item_id": items[name], "quantity": q}
                                           for name, q in quantities.items()]}
        if po in PRICING_MODELS:
            data["pricing_model"] = PRICING_MODELS[po]
        if terms:
            # Periods run from the terms' start date and are reported once over (in the consortium's time
            # zone): seven months back, the three measured months and the next few have ended whatever the
            # hour the demo is loaded, so they can still be reported.
            started = _months_ago(2 if state == "terminated" else 7)
            data.update(performance={**terms, "start_date": started.isoformat()},
                        delivery_start=started.isoformat(),
                        notes=NOTES[po])
        order = orders.create_order(vehicle=vehicle, data=data, actor=buyer)
        orders.submit_order(order, actor=buyer)
        member_key = buyer_email.split("@")[1]
        if order.status == "pending_approval" and state != "pending_approval":
            orders.approve_order(order, actor=_user(f"approver@{member_key}"), reason="Budgeted in FY2026-27.")
        if state in ("active", "completed", "terminated"):
            orders.accept_order(order, actor=_user("vendor@brightstreet.example"))
            for period, value, status, note in measured:
                obs = observations.report_observation(order, {"period": period, "kpi": "availability",
                                                              "value": value, "note": note},
                                                      actor=_user("vendor@brightstreet.example"))
                if status == "verified":
                    observations.verify_observation(obs, actor=buyer)
            _invoice_and_close(order, state, buyer)
    db.session.flush()


# Tempe's public Wi-Fi concession (DESIGN section 5, example D): BrightStreet pays the city half of its verified
# advertising revenue, and at least 120,000.00 a year; the city pays nothing.
WIFI_PO = "TMP-2025-0093"
WIFI_TERMS = {
    "period": "quarter", "periods": 8, "fixed_fee": "0.00", "at_risk_fee": "0.00",
    "revenue_share": {"kpi": "ad_revenue", "city_share_pct": "50", "minimum_guarantee": "120000.00",
                      "guarantee_periods": 4},
}
WIFI_REVENUE = ["40000.00", "50000.00", "60000.00", "70000.00"]


def load_concession() -> None:
    """Tempe's Wi-Fi revenue share under its own concession vehicle: the first year's four quarters of
    advertising revenue reported by BrightStreet and verified by Tempe (example D: shares of 110,000.00, so
    BrightStreet owes a true-up of 10,000.00 and the city 120,000.00 in all); the second year is under way.
    Tempe has billed the four quarterly shares (BrightStreet paid them) and the true-up, awaiting payment."""
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2025-007")
                                .execution_options(all_tenants=True))
    if vehicle is None or not vehicle.is_in_force() or db.session.scalar(
            select(Order.id).where(Order.po_number == WIFI_PO).execution_options(all_tenants=True)):
        return
    buyer, vendor = _user("buyer@tempe.example"), _user("vendor@brightstreet.example")
    # Thirteen months back: the first year's four quarters have ended whatever the day the demo is loaded.
    started = _months_ago(13)
    order = orders.create_order(vehicle=vehicle, actor=buyer, data={
        "po_number": WIFI_PO, "lines": [], "delivery_start": started.isoformat(),
        "performance": {**WIFI_TERMS, "start_date": started.isoformat()},
        "notes": "Public Wi-Fi on 40 smart poles along Mill Avenue and Tempe Town Lake, paid for by advertising "
                 "on the sign-in page."})
    orders.submit_order(order, actor=buyer)
    if order.status == "pending_approval":
        orders.approve_order(order, actor=_user("approver@tempe.example"), reason="A concession: no cost to Tempe.")
    orders.accept_order(order, actor=vendor)
    for period, revenue in enumerate(WIFI_REVENUE, start=1):
        obs = observations.report_observation(
            order, {"period": period, "kpi": "ad_revenue", "value": revenue,
                    "note": f"Advertising revenue statement, quarter {period} (ad server export)"}, actor=vendor)
        observations.verify_observation(obs, actor=buyer)
    _bill_concession(order, buyer, vendor)


def _bill_concession(order: Order, buyer: User, vendor: User) -> None:
    """Tempe bills each verified quarter's share (BrightStreet paid them) and the first year's true-up, which
    waits for BrightStreet's payment; the second year's shares are not verified yet, so not billed."""
    terms = observations.order_terms(order)
    today = vehicle_models.today()
    for row in invoice_services.revenue_due(order):
        if row.amount is None or row.due <= 0:
            continue
        last = row.number if row.kind == "share" else row.number * terms.revenue_share.guarantee_periods
        issued = min(observations.order_period_dates(order, terms, last)[1] + relativedelta(days=12), today)
        invoice = invoice_services.issue_revenue_invoice(
            order, {"number": f"TMP-RS-{issued.year}-{row.key.upper()}", "issued_on": issued.isoformat(),
                    "period" if row.kind == "share" else "block": row.number, "amount": str(row.due)}, actor=buyer)
        if row.kind == "share":
            invoice_services.pay_invoice(invoice, actor=vendor,
                                         paid_on=min(issued + relativedelta(days=9), today).isoformat())


def _invoice_and_close(order: Order, state: str, buyer: User) -> None:
    """Invoices in every state, and the two ways an order ends (DESIGN section 8): the Mesa performance
    order has period 1 rejected then paid, period 2's fee approved and its released holdback submitted;
    Tempe's three-month pilot is invoiced, paid and completed; Mesa's smaller pilot is terminated two months in,
    giving back the periods that never ran, with its first period's invoice waiting for Mesa."""
    vendor = _user("vendor@brightstreet.example")
    issued = vehicle_models.today() - relativedelta(days=20)
    if order.po_number == "MSA-2026-0311":
        due = {row.period: row.due for row in invoice_services.periods_due(order)}
        wrong = invoice_services.submit_invoice(
            order, {"number": "BS-24-0187", "issued_on": issued.isoformat(), "period": 1,
                    "amount": str(due[1])}, actor=vendor)
        invoice_services.reject_invoice(wrong, actor=buyer, reason="The invoice quotes PO TMP-2026-0042, not "
                                        "MSA-2026-0311; please reissue it against this order.")
        right = invoice_services.submit_invoice(
            order, {"number": "BS-24-0191", "issued_on": (issued + relativedelta(days=2)).isoformat(), "period": 1,
                    "amount": str(due[1])}, actor=vendor)
        invoice_services.approve_invoice(right, actor=buyer, reason="Matches the settlement for period 1.")
        invoice_services.pay_invoice(right, actor=buyer, paid_on=(issued + relativedelta(days=12)).isoformat())
        # Period 2 closes window 1: the vendor bills the month's fee and, separately, the holdback released.
        holdback = observations.settlement_for(order).window_of(2).holdback
        approved = invoice_services.submit_invoice(
            order, {"number": "BS-24-0203", "issued_on": (issued + relativedelta(days=15)).isoformat(),
                    "period": 2, "amount": str(due[2] - holdback)}, actor=vendor)
        invoice_services.approve_invoice(approved, actor=buyer)
        invoice_services.submit_invoice(
            order, {"number": "BS-24-0205", "issued_on": (issued + relativedelta(days=16)).isoformat(),
                    "period": 2, "amount": str(holdback)}, actor=vendor)
    elif state == "completed":
        for row in invoice_services.periods_due(order):
            invoice = invoice_services.submit_invoice(
                order, {"number": f"BS-24-01{39 + row.period}", "issued_on": issued.isoformat(),
                        "period": row.period, "amount": str(row.due)}, actor=vendor)
            invoice_services.approve_invoice(invoice, actor=buyer)
            invoice_services.pay_invoice(invoice, actor=buyer, paid_on=(issued + relativedelta(days=10)).isoformat())
        orders.complete_order(order, actor=buyer, reason="Pilot over: all three months verified and paid.")
    elif state == "terminated":
        approver = _user(f"approver@{order.member.name.lower()}.example")
        orders.terminate_order(order, actor=approver, reason="The district's lighting moves to the FY2028 "
                                                             "capital plan.")
        due = invoice_services.periods_due(order)[0].due
        invoice_services.submit_invoice(order, {"number": "BS-24-0210", "issued_on": issued.isoformat(),
                                                "period": 1, "amount": str(due)}, actor=vendor)
