"""Demo financing (DESIGN section 8), made through the real services after the demo orders: Mesa's
street-lighting energy-savings order (shared savings, two quarters verified) financed by a draw on the
consortium office's innovation fund, and the vendor-financing instrument of Tempe's luminaire order (drafted
`vendor_financed` by contracts.demo).

Idempotent: the order is looked up by its PO number, the fund by its owner and name, the draw by its order,
the instrument by order, kind and partner, so loading twice changes nothing.
"""

from __future__ import annotations

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from consortium.models import Consortium, Organization, User
from consortium.planning.models import Need
from contracts.finance import services
from contracts.finance.models import Draw, FinancingInstrument, Fund
from contracts.observations import services as observations
from contracts.orders import services as orders
from contracts.orders.models import Order
from contracts.vehicles import models as vehicle_models
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db

SAVINGS_PO = "MSA-2026-0342"
# Quarterly shared savings on the street lights' energy use (DESIGN section 5, example B's rule at a quarter's
# scale): a monitoring fee, and 70 % of the verified savings to BrightStreet up to 45,000.00 a quarter, with
# 50,000.00 of savings a quarter guaranteed.
SAVINGS_TERMS = {
    "period": "quarter", "periods": 8, "fixed_fee": "2500.00", "at_risk_fee": "0.00", "bonus_pool": "0.00",
    "holdback_pct": "0", "holdback_window": 1, "kpis": [],
    "shared_savings": {"kpi": "energy_use", "baseline_use": "1000000",
                       "adjustments": [{"amount": "25000", "reason": "Two arterial segments added to the network"}],
                       "unit_price": "0.11", "vendor_share_pct": "70", "vendor_cap": "45000.00",
                       "guaranteed_savings": "50000.00"},
}
# (period, kWh used, note): savings of 63,250.00 and 61,050.00, the city keeping 18,975.00 and 18,315.00.
SAVINGS_MEASURED = [(1, "450000", "Utility meter export, first quarter after the LED conversion"),
                    (2, "470000", "Utility meter export, second quarter")]
OFFICE_FUND = "Smart Region Innovation Fund"
CONTRIBUTIONS = [("500000.00", "FY2026 member dues set aside for innovation", 9),
                 ("250000.00", "Arizona smart-cities grant", 8)]
DRAW = {"amount": "150000.00", "repayment_pct": "100"}
VENDOR_FINANCED_PO = "TMP-2026-0057"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _months_ago(months: int):
    return vehicle_models.today().replace(day=1) - relativedelta(months=months)


def _savings_order() -> Order | None:
    """Mesa's energy-savings order under the street-lighting vehicle, active, two quarters verified."""
    order = db.session.scalar(select(Order).where(Order.po_number == SAVINGS_PO).execution_options(all_tenants=True))
    if order is not None:
        return order
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001")
                                .execution_options(all_tenants=True))
    if vehicle is None or not vehicle.is_in_force():
        return None
    buyer, vendor = _user("buyer@mesa.example"), _user("vendor@brightstreet.example")
    started = _months_ago(7)  # two quarters have ended whatever the hour the demo is loaded
    order = orders.create_order(vehicle=vehicle, actor=buyer, data={
        "po_number": SAVINGS_PO, "lines": [], "performance": {**SAVINGS_TERMS, "start_date": started.isoformat()},
        "delivery_start": started.isoformat(),
        "notes": "Energy savings of the LED conversion, shared with BrightStreet and financed by the office's "
                 "innovation fund, which the city's share of the savings repays."})
    orders.submit_order(order, actor=buyer)
    if order.status == "pending_approval":
        orders.approve_order(order, actor=_user("approver@mesa.example"), reason="Savings-financed; no budget impact.")
    orders.accept_order(order, actor=vendor)
    for period, used, note in SAVINGS_MEASURED:
        obs = observations.report_observation(order, {"period": period, "kpi": "energy_use", "value": used,
                                                      "note": note}, actor=vendor)
        observations.verify_observation(obs, actor=buyer)
    return order


def _office_fund(consortium: Consortium, admin: User) -> Fund:
    office = db.session.scalar(select(Organization).where(Organization.consortium_id == consortium.id,
                                                          Organization.kind == "office"))
    fund = db.session.scalar(select(Fund).where(Fund.owner_id == office.id, Fund.name == OFFICE_FUND)
                             .execution_options(all_tenants=True))
    if fund is not None:
        return fund
    fund = services.create_fund(consortium, {"name": OFFICE_FUND, "owner_id": office.id}, actor=admin)
    for amount, source, months in CONTRIBUTIONS:
        services.record_contribution(fund, {"amount": amount, "source": source,
                                            "received_on": _months_ago(months).isoformat()}, actor=admin)
    return fund


def _vendor_financing() -> None:
    order = db.session.scalar(select(Order).where(Order.po_number == VENDOR_FINANCED_PO)
                              .execution_options(all_tenants=True))
    if order is None:
        return
    partner = order.vendor.name
    found = db.session.scalar(select(FinancingInstrument.id).where(
        FinancingInstrument.order_id == order.id, FinancingInstrument.kind == "vendor_financing",
        FinancingInstrument.partner == partner).execution_options(all_tenants=True))
    if found is not None:
        return
    services.add_financing(order, {
        "kind": "vendor_financing", "partner": partner, "principal": str(order.lines_total), "annual_rate": "5.5",
        "years": 5, "payments_per_year": 4, "first_payment_on": (_months_ago(-3)).isoformat(),
        "notes": "BrightStreet finances the 250 luminaires over five years; Tempe repays quarterly from its "
                 "street-lighting operating budget."}, actor=_user("buyer@tempe.example"))


# Financing recorded on Mesa's selected needs (issue 16: "on an order or a need"): the capital roadmap totals it
# by funding source and fiscal year. (need title, kind, partner, terms)
NEED_FINANCING = [
    ("Adaptive street lighting on arterials", "grant", "Arizona smart-cities grant", {"principal": "150000.00"}),
    ("Leak detection on the east water mains", "loan", "Water Infrastructure Finance Authority of Arizona",
     {"principal": "300000.00", "annual_rate": "2.5", "years": 20, "payments_per_year": 2}),
]


def load_need_financing() -> None:
    """Financing instruments on Mesa's selected needs (after the planning demo)."""
    buyer = _user("approver@mesa.example")
    if buyer is None:
        return
    for title, kind, partner, terms in NEED_FINANCING:
        need = db.session.scalar(select(Need).where(Need.member_id == buyer.organization_id, Need.title == title)
                                 .execution_options(all_tenants=True))
        if need is None or db.session.scalar(select(FinancingInstrument.id).where(
                FinancingInstrument.need_id == need.id, FinancingInstrument.kind == kind,
                FinancingInstrument.partner == partner).execution_options(all_tenants=True)) is not None:
            continue
        data = {"kind": kind, "partner": partner, **terms}
        if kind == "loan":
            data["first_payment_on"] = _months_ago(-9).isoformat()
        services.add_need_financing(need, data, actor=buyer)


def load_finance() -> None:
    """The office's fund financing the shared-savings order, and Tempe's vendor-financed luminaire order."""
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    admin = _user("admin@gpsr.example")
    if consortium is None or admin is None:
        return
    order = _savings_order()
    fund = _office_fund(consortium, admin)
    if order is not None and db.session.scalar(select(Draw.id).where(Draw.order_id == order.id)) is None:
        services.draw_on_fund(fund, {"order_id": order.id, **DRAW}, actor=admin, on=_months_ago(7))
    _vendor_financing()
    db.session.flush()
