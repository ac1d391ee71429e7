"""Invoices and what an order still owes; the closeout rules that need the settlement.

An invoice never asks for more than is due (DESIGN section 4): for a period of a performance order, the
settlement's payable for it (paid now + the holdback released at it + net to vendor) less what was already
invoiced for it; for lines, what the lines have left. Revenue-share invoices go the other way (the city bills
the vendor, below); every other sum here is of the vendor's invoices only. Invoices of one
order are written with the order row locked, so two concurrent invoices can never together ask for more than
is due.

The lifecycle (every step through `marketplace.transitions.run`: locked re-read, state, predicate, effects,
audit):

    step            from        to         who (permissions)                       reason     audit action
    approve         submitted   approved   the member's buyers and approvers       optional   invoice.approved
    reject          submitted   rejected   who receives it: the member's staff     required   invoice.rejected
                                           (vendor's invoice), the vendor (city's)
    pay             approved    paid       the member's buyers and approvers       none       invoice.paid
    record_payment  submitted   paid       the vendor, for the city's invoice      none       invoice.payment_recorded

Closeout: this module registers with `contracts.orders.services` what keeps an order open (pending holdback
windows, unsettled periods, undecided invoices) and what its terms made payable, so completing and
terminating an order can trim its commitment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from consortium.models import User
from contracts.invoices import permissions as can
from contracts.invoices.models import (
    CITY_TO_VENDOR,
    COUNTED_STATUSES,
    INVOICE_STATUSES,
    STATUS_LABELS,
    VENDOR_TO_CITY,
    Invoice,
    InvoiceLine,
)
from contracts.invoices.validation import clean_invoice_data, clean_revenue_invoice_data
from contracts.observations.documents import INVOICE_REFERENCES
from contracts.observations.services import order_terms, period_label, settlement_for
from contracts.orders import services as orders
from contracts.orders.models import Order, OrderLine
from contracts.orders.permissions import is_member_staff_of, is_vendor_of
from contracts.performance import Settlement, Terms
from contracts.vehicles import models as vehicle_models
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.inputs import parse_date, raise_if
from marketplace.numbers import to_cents
from marketplace.transitions import Lifecycle, transition

ZERO = Decimal("0.00")
CITY_ONLY = "Only the buying city approves, rejects and pays invoices."
VENDOR_PAYS = "Only the order's vendor pays or rejects the city's revenue-share invoices."
# The vendor's own invoices (the city's revenue-share invoices are summed apart).
VENDORS = Invoice.direction == VENDOR_TO_CITY


# --- what is due -----------------------------------------------------------------------------------


def period_payable(settlement: Settlement, period: int) -> Decimal | None:
    """What the settlement makes payable for one period, or None while the period is not settled: paid now,
    plus the window's holdback when it is released at this period (the window's last), plus net to vendor."""
    result = settlement.period(period)
    if result.status != "settled":
        return None
    amount = result.paid_now
    window = settlement.window_of(period)
    if window.status == "released" and period == max(window.periods):
        amount += window.holdback
    savings = settlement.savings_for(period)
    if savings is not None:
        amount += savings.net_to_vendor
    return amount


def invoiced_for_period(order: Order, period: int) -> Decimal:
    """What was already invoiced for a period (every invoice but rejected ones)."""
    total = db.session.scalar(select(func.coalesce(func.sum(Invoice.amount), 0)).where(
        Invoice.order_id == order.id, Invoice.period == period, Invoice.status.in_(COUNTED_STATUSES), VENDORS))
    return to_cents(Decimal(total))


def invoiced_by_line(order: Order) -> dict[int, Decimal]:
    """What was already invoiced per order line (every invoice but rejected ones)."""
    rows = db.session.execute(
        select(InvoiceLine.order_line_id, func.sum(InvoiceLine.amount))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.order_id == order.id, Invoice.status.in_(COUNTED_STATUSES), VENDORS)
        .group_by(InvoiceLine.order_line_id)).all()
    return {line_id: to_cents(Decimal(amount)) for line_id, amount in rows}


def line_remaining(line: OrderLine, invoiced: dict[int, Decimal]) -> Decimal:
    return max(line.total - invoiced.get(line.id, ZERO), ZERO)


@dataclass(frozen=True)
class PeriodDue:
    period: int
    label: str
    payable: Decimal | None  # None: not settled yet
    invoiced: Decimal

    @property
    def due(self) -> Decimal:
        return max((self.payable or ZERO) - self.invoiced, ZERO)


def periods_due(order: Order) -> list[PeriodDue]:
    """Every period of the order's terms (through its last): payable, invoiced, still due."""
    terms = order_terms(order)
    if terms is None:
        return []
    settlement = settlement_for(order)
    rows = db.session.execute(
        select(Invoice.period, func.sum(Invoice.amount)).where(
            Invoice.order_id == order.id, Invoice.period.is_not(None), Invoice.status.in_(COUNTED_STATUSES), VENDORS)
        .group_by(Invoice.period)).all()
    invoiced = {period: to_cents(Decimal(amount)) for period, amount in rows}
    return [PeriodDue(n, period_label(terms, n), period_payable(settlement, n), invoiced.get(n, ZERO))
            for n in range(1, terms.periods + 1)]


# --- submitting -------------------------------------------------------------------------------------


def _snapshot(invoice: Invoice) -> dict:
    return {"order_id": invoice.order_id, "number": invoice.number, "issued_on": invoice.issued_on,
            "period": invoice.period, "amount": str(invoice.amount), "status": invoice.status,
            "lines": [{"order_line_id": ln.order_line_id, "amount": str(ln.amount)} for ln in invoice.lines]}


def submit_invoice(order: Order, data: dict, *, actor: User) -> Invoice:
    """The vendor invoices one period of a performance order, or lines of the order, for at most what is due."""
    order = transitions.lock(Order, order.id)
    if not can.can_submit_invoice(actor, order):
        if order.status not in can.INVOICING_ORDER_STATES and is_vendor_of(actor, order):
            raise Conflict(f"Invoices are submitted once the order is accepted (this one is "
                           f"{orders.STATUS_LABELS[order.status].lower()}).")
        raise PermissionDenied("Only the order's vendor submits invoices for it.")
    terms = order_terms(order)
    clean = clean_invoice_data(data, order, today=vehicle_models.today(), periods=terms.periods if terms else 0)
    check_number_free(order, clean["number"], by_vendor=True)
    invoice = Invoice(consortium_id=order.consortium_id, order_id=order.id, vendor_id=order.vendor_id,
                      number=clean["number"], issued_on=clean["issued_on"], period=clean["period"],
                      amount=clean["amount"], status="submitted", submitted_by_id=actor.id)
    if clean["period"] is not None:
        _check_period_due(order, terms, clean["period"], clean["amount"])
    else:
        invoice.lines = _allocate(order, clean["line_ids"], clean["amount"])
    db.session.add(invoice)
    db.session.flush()
    audit.record(consortium_id=invoice.consortium_id, actor=actor, action="invoice.submitted", obj=invoice,
                 object_type="invoice", after=_snapshot(invoice))
    return invoice


def check_number_free(order: Order, number: str, *, by_vendor: bool) -> None:
    """Invoice numbers are unique between a vendor and the cities it bills or is billed by (whichever side
    wrote the invoice): a number already used is refused with a message for the field."""
    taken = db.session.scalar(select(Invoice).where(Invoice.vendor_id == order.vendor_id, Invoice.number == number))
    if taken is None:
        return
    message = (f"You already used invoice number {number}." if by_vendor and not taken.is_revenue_share else
               f"Invoice number {number} is already used on an invoice between {taken.billed_by.name} and "
               f"{taken.billed_to.name}; choose another.")
    raise ValidationFailed("The invoice has problems to correct.", {"number": message})


def _check_period_due(order: Order, terms: Terms, period: int, amount: Decimal) -> None:
    label = period_label(terms, period)
    payable = period_payable(settlement_for(order), period)
    if payable is None:
        raise Conflict(f"{label} is not settled yet: it needs verified measurements for every KPI "
                       "before it can be invoiced.", {"period": "Not settled yet."})
    invoiced = invoiced_for_period(order, period)
    due = max(payable - invoiced, ZERO)
    if amount > due:
        raise Conflict(
            f"This invoice ({money(amount)}) asks for more than is due for {label}: the settlement makes "
            f"{money(payable)} payable and {money(invoiced)} was already invoiced, so at most {money(due)}.",
            {"amount": f"At most {money(due)}."})


def _allocate(order: Order, line_ids: list[int], amount: Decimal) -> list[InvoiceLine]:
    """Spread the amount over the chosen lines in order, never more than a line has left."""
    invoiced = invoiced_by_line(order)
    chosen = [line for line in order.lines if line.id in line_ids]
    remaining = sum((line_remaining(line, invoiced) for line in chosen), ZERO)
    if amount > remaining:
        names = ", ".join(line.description for line in chosen)
        raise Conflict(
            f"This invoice ({money(amount)}) asks for more than the chosen lines have left: {names} total "
            f"{money(sum((ln.total for ln in chosen), ZERO))}, of which {money(remaining)} is not yet invoiced.",
            {"amount": f"At most {money(remaining)}."})
    parts, left = [], amount
    for line in chosen:
        share = min(line_remaining(line, invoiced), left)
        if share > 0:
            parts.append(InvoiceLine(order_line_id=line.id, amount=share))
            left -= share
    return parts


# --- deciding and paying ----------------------------------------------------------------------------


def _decided(invoice: Invoice, ctx) -> None:
    invoice.decided_by_id, invoice.decided_at = ctx.actor.id, utcnow()
    invoice.reason = ctx.reason


def _paid(invoice: Invoice, ctx) -> None:
    """The payment date (validated here, after the state and permission checks)."""
    fields: dict[str, str] = {}
    paid_on = parse_date(ctx.get("paid_on"), "paid_on", fields)
    if paid_on is not None and paid_on > vehicle_models.today():
        fields["paid_on"] = "A payment cannot be dated in the future."
    elif paid_on is not None and paid_on < invoice.issued_on:
        fields["paid_on"] = f"The invoice was issued on {day(invoice.issued_on)}; it cannot be paid before."
    raise_if(fields, "The payment has problems to correct.")
    invoice.paid_on, invoice.paid_by_id = paid_on, ctx.actor.id


def _after(invoice: Invoice) -> dict:
    return {"status": invoice.status, "amount": str(invoice.amount), "paid_on": invoice.paid_on}


def _receiver_only(user, invoice: Invoice) -> str:
    return VENDOR_PAYS if invoice.is_revenue_share else CITY_ONLY


INVOICE_LIFECYCLE = Lifecycle(
    model=Invoice, noun="invoice", object_type="invoice", states=INVOICE_STATUSES, state_labels=STATUS_LABELS,
    transitions=(
        transition("approve", {"submitted"}, "approved", can.can_decide_invoice, "invoice.approved", "approved",
                   reason="optional", effects=(_decided,), denied=CITY_ONLY, audit_after=_after),
        transition("reject", {"submitted"}, "rejected", can.can_reject_invoice, "invoice.rejected", "rejected",
                   reason="required", reason_message="Say why the invoice is rejected.", effects=(_decided,),
                   denied=_receiver_only, audit_after=_after),
        transition("pay", {"approved"}, "paid", can.can_pay_invoice, "invoice.paid", "marked paid",
                   reason="none", effects=(_paid,), denied=CITY_ONLY, audit_after=_after),
        transition("record_payment", {"submitted"}, "paid", can.can_record_revenue_payment,
                   "invoice.payment_recorded", "marked paid", reason="none", effects=(_paid,), denied=VENDOR_PAYS,
                   audit_after=_after),
    ),
)


def approve_invoice(invoice: Invoice, *, actor: User, reason: str | None = None) -> Invoice:
    return transitions.run(INVOICE_LIFECYCLE, invoice, "approve", actor=actor, reason=reason)


def reject_invoice(invoice: Invoice, *, actor: User, reason: str | None) -> Invoice:
    """Rejecting frees what the invoice asked for: whoever issued it (the vendor, or the city for its revenue
    share) can invoice it again."""
    return transitions.run(INVOICE_LIFECYCLE, invoice, "reject", actor=actor, reason=reason)


def payment_step(invoice: Invoice) -> str:
    """The step that records an invoice's payment: the city pays the vendor's approved invoice; the vendor pays
    the city's revenue-share invoice as issued."""
    return "record_payment" if invoice.is_revenue_share else "pay"


def pay_invoice(invoice: Invoice, *, actor: User, paid_on) -> Invoice:
    return transitions.run(INVOICE_LIFECYCLE, invoice, payment_step(invoice), actor=actor, paid_on=paid_on)


# --- the city's revenue share: the city bills the vendor ---------------------------------------------
# What the city may bill, never more (DESIGN section 4: "revenue-share amounts flow the other way"): for a
# period, the settlement's city share of its verified revenue; for a guarantee block, its true-up once the
# block is settled; each less what the city already invoiced for it (rejected invoices do not count). The
# buying member's staff issue the invoice to the order's vendor with the order row locked, so two concurrent
# invoices never together bill more than is due; the vendor pays it (`record_payment`) or rejects it.

SHARE, TRUE_UP = "share", "true_up"
CITY_BILLS = Invoice.direction == CITY_TO_VENDOR


@dataclass(frozen=True)
class RevenueDue:
    """One thing the city may bill the vendor for: a period's share or a guarantee block's true-up."""

    kind: str  # "share" | "true_up"
    number: int  # the period, or the guarantee block
    label: str
    amount: Decimal | None  # None: the period's revenue is not verified, or the block is not settled
    invoiced: Decimal

    @property
    def due(self) -> Decimal:
        return max((self.amount or ZERO) - self.invoiced, ZERO)

    @property
    def key(self) -> str:
        """How a form names it: "period-2", "block-1"."""
        return f"{'period' if self.kind == SHARE else 'block'}-{self.number}"


def _invoiced(order: Order) -> dict[tuple[str, int], Decimal]:
    rows = db.session.execute(
        select(Invoice.period, Invoice.block, func.sum(Invoice.amount))
        .where(Invoice.order_id == order.id, CITY_BILLS, Invoice.status.in_(COUNTED_STATUSES))
        .group_by(Invoice.period, Invoice.block)).all()
    return {(SHARE, period) if period is not None else (TRUE_UP, block): to_cents(Decimal(amount))
            for period, block, amount in rows}


def revenue_due(order: Order) -> list[RevenueDue]:
    """Every period's share and every guarantee block's true-up of the order's revenue share, with what was
    invoiced for it and what is still due (empty for an order without a revenue share)."""
    terms = order_terms(order)
    if terms is None or terms.revenue_share is None:
        return []
    settlement = settlement_for(order)
    invoiced = _invoiced(order)
    rows = []
    for block in settlement.guarantees:
        for n in block.periods:
            row = settlement.revenue_for(n)
            rows.append(RevenueDue(SHARE, n, f"City share of {period_label(terms, n)}",
                                   row.city_share if row else None, invoiced.get((SHARE, n), ZERO)))
        span = f"period {block.periods[0]}" if len(block.periods) == 1 else \
            f"periods {block.periods[0]}–{block.periods[-1]}"
        rows.append(RevenueDue(TRUE_UP, block.block, f"True-up of guarantee block {block.block} ({span})",
                               block.true_up if block.status == "settled" else None,
                               invoiced.get((TRUE_UP, block.block), ZERO)))
    return rows


def _revenue_snapshot(invoice: Invoice) -> dict:
    return {"order_id": invoice.order_id, "direction": invoice.direction, "number": invoice.number,
            "issued_on": invoice.issued_on, "period": invoice.period, "block": invoice.block,
            "amount": str(invoice.amount), "status": invoice.status}


def _check_may_bill(order: Order, actor: User) -> None:
    if can.can_issue_revenue_invoice(actor, order):
        return
    if not is_member_staff_of(actor, order):
        raise PermissionDenied("Only the buying city bills the vendor for its revenue share.")
    if not (order.performance or {}).get("revenue_share"):
        raise Conflict("This order has no revenue share to bill.")
    raise Conflict(f"The revenue share is billed once the vendor has accepted the order (this one is "
                   f"{orders.STATUS_LABELS[order.status].lower()}).")


def issue_revenue_invoice(order: Order, data: dict, *, actor: User) -> Invoice:
    """The buying city bills the order's vendor for its share of a period, or for a guarantee block's
    true-up, for at most what is due."""
    order = transitions.lock(Order, order.id)
    _check_may_bill(order, actor)
    terms = order_terms(order)
    settlement = settlement_for(order)
    clean = clean_revenue_invoice_data(data, today=vehicle_models.today(), periods=terms.periods,
                                       blocks=len(settlement.guarantees))
    check_number_free(order, clean["number"], by_vendor=False)
    kind, number = (SHARE, clean["period"]) if clean["period"] is not None else (TRUE_UP, clean["block"])
    row = next(r for r in revenue_due(order) if (r.kind, r.number) == (kind, number))
    field = "period" if kind == SHARE else "block"
    if row.amount is None:
        waiting = ("its revenue is not verified yet" if kind == SHARE else
                   "the block is not settled yet: every one of its periods needs a verified revenue")
        raise Conflict(f"{row.label} cannot be billed: {waiting}.", {field: "Nothing to bill yet."})
    if clean["amount"] > row.due:
        raise Conflict(
            f"This invoice ({money(clean['amount'])}) bills more than is due for the {row.label[0].lower()}"
            f"{row.label[1:]}: the "
            f"settlement makes {money(row.amount)} due and {money(row.invoiced)} was already invoiced, so at most "
            f"{money(row.due)}.", {"amount": f"At most {money(row.due)}."})
    invoice = Invoice(consortium_id=order.consortium_id, order_id=order.id, vendor_id=order.vendor_id,
                      direction=CITY_TO_VENDOR, number=clean["number"], issued_on=clean["issued_on"],
                      period=clean["period"], block=clean["block"], amount=clean["amount"], status="submitted",
                      submitted_by_id=actor.id)
    db.session.add(invoice)
    db.session.flush()
    audit.record(consortium_id=invoice.consortium_id, actor=actor, action="invoice.issued", obj=invoice,
                 object_type="invoice", after=_revenue_snapshot(invoice))
    return invoice


# --- closeout ---------------------------------------------------------------------------------------


def _kpi_names(terms: Terms) -> dict[str, str]:
    names = {kpi.code: kpi.name for kpi in terms.kpis}
    if terms.shared_savings is not None:
        names.setdefault(terms.shared_savings.kpi, terms.shared_savings.kpi.replace("_", " "))
    if terms.service_credits is not None:
        names.setdefault(terms.service_credits.kpi, terms.service_credits.kpi.replace("_", " "))
    if terms.revenue_share is not None:
        names.setdefault(terms.revenue_share.kpi, terms.revenue_share.kpi.replace("_", " "))
    return names


def _missing(settlement: Settlement, terms: Terms, period: int) -> list[str]:
    names = _kpi_names(terms)
    missing = [names.get(code, code) for code in settlement.period(period).missing]
    ss = terms.shared_savings
    if ss is not None and settlement.savings_for(period) is None:
        missing.append(names[ss.kpi])
    rs = terms.revenue_share
    if rs is not None and settlement.revenue_for(period) is None and names[rs.kpi] not in missing:
        missing.append(names[rs.kpi])
    return missing


def settlement_open_items(order: Order) -> list[str]:
    """Undecided holdback windows, and periods without every verified value."""
    terms = order_terms(order)
    if terms is None:
        return []
    settlement = settlement_for(order)
    items = []
    for window in settlement.windows:
        gaps = [f"period {n} has no verified {', '.join(_missing(settlement, terms, n))}"
                for n in window.periods if _missing(settlement, terms, n)]
        if window.status == "pending":
            detail = "; ".join(gaps) if gaps else "its periods have not all ended"
            items.append(f"Window {window.window} is pending: {detail}.")
        elif gaps:
            items.append(f"Window {window.window}: " + "; ".join(gaps) + ".")
    return items


def invoice_open_items(order: Order) -> list[str]:
    waiting = db.session.scalars(select(Invoice).where(Invoice.order_id == order.id, Invoice.status == "submitted",
                                                       VENDORS).order_by(Invoice.id)).all()
    return [f"Invoice {inv.number} ({money(inv.amount)}) is waiting for a decision." for inv in waiting]


def performance_payable(order: Order) -> Decimal:
    """What the terms made payable (settled periods, holdback not forfeited, net to vendor), plus, for a
    period not settled yet, the most it can still pay."""
    terms = order_terms(order)
    settlement = settlement_for(order)
    most = terms.fixed_fee + terms.at_risk_fee + terms.bonus_pool
    cap = terms.shared_savings.vendor_cap if terms.shared_savings is not None else ZERO
    total = sum((w.holdback for w in settlement.windows if w.status != "forfeited"), ZERO)
    for result in settlement.periods:
        total += result.paid_now if result.status == "settled" else most
        if terms.shared_savings is not None:
            savings = settlement.savings_for(result.period)
            total += savings.net_to_vendor if savings is not None else cap
    return total


def statement_invoices(order: Order, period: int) -> str | None:
    """The invoices a period's statement supports: "BS-24-0191 ($28,800.00, paid 23 Nov 2026)"; rejected
    invoices are left out (None when the period has none)."""
    found = db.session.scalars(select(Invoice).where(
        Invoice.order_id == order.id, Invoice.period == period, Invoice.status.in_(COUNTED_STATUSES), VENDORS)
        .order_by(Invoice.id)).all()
    if not found:
        return None
    return "; ".join(f"{i.number} ({money(i.amount)}, "
                     f"{f'paid {day(i.paid_on)}' if i.paid_on else STATUS_LABELS[i.status].lower()})" for i in found)


orders.CLOSEOUT_OPEN_ITEMS.extend([settlement_open_items, invoice_open_items])
INVOICE_REFERENCES.append(statement_invoices)
orders.PERFORMANCE_PAYABLE.append(performance_payable)


def money_summary(order: Order) -> dict[str, Decimal]:
    """Invoiced, approved, paid and outstanding (approved, not yet paid) for the order page."""
    rows = dict(db.session.execute(select(Invoice.status, func.sum(Invoice.amount))
                                   .where(Invoice.order_id == order.id, VENDORS).group_by(Invoice.status)).all())
    amount = {status: to_cents(Decimal(rows.get(status) or 0)) for status in INVOICE_STATUSES}
    return {"invoiced": amount["submitted"] + amount["approved"] + amount["paid"],
            "approved": amount["approved"] + amount["paid"], "paid": amount["paid"],
            "outstanding": amount["approved"], "waiting": amount["submitted"]}
