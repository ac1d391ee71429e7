"""How the audit log names the contracts domain's objects (vehicles, participations, orders, measurements,
invoices, financing, funds, RFIs, RFQs and their answers): one query per type for a whole page, with the
figure worth quoting (marketplace.auditlabels). Imported by contracts.blueprints, which is what registers them.

Quotes are named without their amounts: they stay sealed until the RFQ closes, and the log is no way around that.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from contracts.finance.models import FinancingInstrument, Fund
from contracts.invoices.models import Invoice
from contracts.invoices.services import INVOICE_LIFECYCLE
from contracts.observations.models import Observation
from contracts.observations.services import OBSERVATION_LIFECYCLE
from contracts.orders.models import Order
from contracts.orders.services import ORDER_LIFECYCLE
from contracts.reporting.models import SalesReport
from contracts.reporting.services import REPORT_LIFECYCLE
from contracts.sourcing.models import Interest, Rfi, RfiResponse
from contracts.sourcing.rfqs.models import Quote, Rfq
from contracts.sourcing.rfqs.services import RFQ_LIFECYCLE
from contracts.sourcing.services import RFI_LIFECYCLE
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.services import PARTICIPATION_LIFECYCLE, VEHICLE_LIFECYCLE
from marketplace import audit
from marketplace.auditlabels import Label, link, register_fields, register_label, register_lifecycle, register_verb
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.templating import number


def _rows(model, ids: list[int], *options):
    return db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)).unique()


def vehicles_named(ids: list[int]) -> dict[int, Label]:
    return {v.id: Label(f"vehicle {v.number}", f"ceiling {money(v.ceiling)}", link("vehicles.detail", vehicle_id=v.id))
            for v in _rows(Vehicle, ids)}


def participations_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(Participation, ids, joinedload(Participation.vehicle), joinedload(Participation.member))
    limit = lambda p: None if p.member_not_to_exceed is None else f"not to exceed {money(p.member_not_to_exceed)}"  # noqa: E731
    return {p.id: Label(f"the participation of {p.member.name} in vehicle {p.vehicle.number}", limit(p),
                        link("vehicles.participation", participation_id=p.id)) for p in rows}


def orders_named(ids: list[int]) -> dict[int, Label]:
    return {o.id: Label(f"order {o.reference}", f"value {money(o.value)}", link("orders.order", order_id=o.id))
            for o in _rows(Order, ids)}


def observations_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(Observation, ids, joinedload(Observation.order))
    return {o.id: Label(f"the {o.kpi} measurement for period {o.period} of order {o.order.reference}",
                        f"reading {number(o.value)}", link("orders.order", order_id=o.order_id)) for o in rows}


def invoices_named(ids: list[int]) -> dict[int, Label]:
    return {i.id: Label(f"invoice {i.reference} ({i.number})", f"amount {money(i.amount)}",
                        link("invoices.invoice", invoice_id=i.id)) for i in _rows(Invoice, ids)}


def instruments_named(ids: list[int]) -> dict[int, Label]:
    return {f.id: Label(f"the {f.label.lower()} from {f.partner}",
                        f"amount {money(f.amount)}" if f.amount is not None else None,
                        link("finance.financing", instrument_id=f.id)) for f in _rows(FinancingInstrument, ids)}


def funds_named(ids: list[int]) -> dict[int, Label]:
    return {f.id: Label(f"fund “{f.name}”", None, link("finance.fund", fund_id=f.id)) for f in _rows(Fund, ids)}


def rfis_named(ids: list[int]) -> dict[int, Label]:
    return {r.id: Label(f"{r.reference} “{r.title}”", None, link("sourcing.rfi", rfi_id=r.id)) for r in _rows(Rfi, ids)}


def interests_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(Interest, ids, joinedload(Interest.rfi), joinedload(Interest.member))
    return {i.id: Label(f"the interest of {i.member.name} in {i.rfi.reference}",
                        f"indicative budget {money(i.indicative_budget)}", link("sourcing.rfi", rfi_id=i.rfi_id))
            for i in rows}


def responses_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(RfiResponse, ids, joinedload(RfiResponse.rfi), joinedload(RfiResponse.vendor))
    return {r.id: Label(f"the response of {r.vendor.name} to {r.rfi.reference}",
                        f"indicative price {money(r.indicative_price)}", link("sourcing.rfi", rfi_id=r.rfi_id))
            for r in rows}


def rfqs_named(ids: list[int]) -> dict[int, Label]:
    return {r.id: Label(f"{r.reference} “{r.title}”", None, link("rfqs.rfq", rfq_id=r.id)) for r in _rows(Rfq, ids)}


def quotes_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(Quote, ids, joinedload(Quote.rfq), joinedload(Quote.vendor))
    return {q.id: Label(f"the quote of {q.vendor.name} for {q.rfq.reference}", None, link("rfqs.rfq", rfq_id=q.rfq_id))
            for q in rows}

def sales_reports_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(SalesReport, ids, joinedload(SalesReport.vendor), joinedload(SalesReport.vehicle))
    return {r.id: Label(f"sales report {r.reference} ({r.vendor.name}, vehicle {r.vehicle.number}, {r.quarter})",
                        f"fee {money(r.fee)}", link("sales_reports.report", report_id=r.id)) for r in rows}


for lifecycle in (VEHICLE_LIFECYCLE, PARTICIPATION_LIFECYCLE, ORDER_LIFECYCLE, OBSERVATION_LIFECYCLE,
                  INVOICE_LIFECYCLE, RFI_LIFECYCLE, RFQ_LIFECYCLE):
    register_lifecycle(lifecycle)
register_lifecycle(REPORT_LIFECYCLE)
register_label("vehicle", vehicles_named)
register_label("participation", participations_named)
register_label("order", orders_named)
register_label("observation", observations_named, noun="measurement")
register_label("invoice", invoices_named)
register_label("financing_instrument", instruments_named, noun="financing")
register_label("fund", funds_named)
register_label("rfi", rfis_named, noun="RFI")
register_label("rfi_interest", interests_named, noun="RFI interest")
register_label("rfi_response", responses_named, noun="RFI response")
register_label("rfq", rfqs_named, noun="RFQ")
register_label("quote", quotes_named)
register_label("sales_report", sales_reports_named, noun="sales report")
register_fields("observation", plain_numbers=("value",))
register_verb("participation.requested", "requested")
register_verb(audit.FINANCING_ADDED, "recorded")
register_verb(audit.FUND_CONTRIBUTION_RECORDED, "recorded a contribution to")
register_verb(audit.FUND_DRAWN, "drew on")
register_verb(audit.RFI_INTEREST_REGISTERED, "registered")
register_verb(audit.VEHICLE_PRICE_SCHEDULE_AMENDED, "amended the price schedule of")
register_verb(audit.SALES_REPORT_OPENED, "opened")
register_verb(audit.SALES_REPORT_UPDATED, "changed the reported sales of")
register_verb(audit.FEE_PAYMENT_RECORDED, "recorded an admin-fee payment on")
register_verb(audit.PARTICIPATION_SIGNED, "signed")
register_verb(audit.PARTICIPATION_TERMS_EDITED, "changed the terms of")
register_verb(audit.PARTICIPATION_SIGNATURES_VOIDED, "voided the signatures on")
