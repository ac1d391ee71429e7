"""Invoice pages: the order page's invoices panel (what is due, invoiced, approved, paid and outstanding,
and the vendor's invoice form; for a revenue share, what the city may bill the vendor and its form), the
invoice page with the decisions, and the actions."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from contracts.invoices import permissions as can
from contracts.invoices import services
from contracts.invoices.columns import INVOICE_COLUMNS
from contracts.invoices.forms import InvoiceForm, PayForm, RejectForm, RevenueInvoiceForm
from contracts.invoices.models import Invoice
from contracts.invoices.queries import (
    get_invoice_or_404,
    order_invoices,
    order_invoices_stmt,
    revenue_label,
    revenue_summary,
)
from contracts.orders.models import Order
from contracts.orders.queries import ORDER_PANELS, get_order_or_404, order_page_context
from marketplace.audit import AuditEvent
from marketplace.csvexport import stream_scalars
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.formerrors import fail_wtform

bp = Blueprint("invoices", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")


def _invoice_form(order: Order, periods: list) -> InvoiceForm:
    form = g.get("invoice_form") or InvoiceForm(formdata=None)
    form.period.choices = [("", "— lines, not a period —" if order.lines else "Choose a period")] + [
        (str(row.period), f"{row.label}: {services.money(row.due)} due")
        for row in periods if row.payable is not None and row.due > 0]
    invoiced = services.invoiced_by_line(order)
    form.lines.choices = [
        (str(line.id), f"{line.description}: {services.money(services.line_remaining(line, invoiced))} left")
        for line in order.lines if services.line_remaining(line, invoiced) > 0]
    return form


def _revenue_form(rows: list) -> RevenueInvoiceForm:
    form = g.get("revenue_invoice_form") or RevenueInvoiceForm(formdata=None)
    form.period.choices = [("", "Choose a share or a true-up")] + [
        (row.key, f"{row.label}: {services.money(row.due)} due")
        for row in rows if row.amount is not None and row.due > 0]
    return form


def invoices_panel(order: Order) -> Markup:
    """The order page's invoices section, once the vendor has accepted the order."""
    if order.accepted_at is None:
        return Markup("")
    periods = services.periods_due(order)
    revenue_rows = services.revenue_due(order)
    return Markup(render_template(
        "contracts/invoices/_panel.html", order=order, invoices=order_invoices(order), periods=periods,
        summary=services.money_summary(order), may_submit=can.can_submit_invoice(current_user, order),
        form=_invoice_form(order, periods), revenue_rows=revenue_rows,
        revenue_summary=revenue_summary(order) if revenue_rows else None,
        may_bill=can.can_issue_revenue_invoice(current_user, order), revenue_form=_revenue_form(revenue_rows),
    ))


ORDER_PANELS.append(invoices_panel)


@bp.route("/orders/<int:order_id>/invoices/export.csv")
def invoices_csv(order_id: int):
    order = get_order_or_404(order_id)
    return INVOICE_COLUMNS.response(f"{order.reference}-invoices.csv", stream_scalars(order_invoices_stmt(order)))


@bp.route("/orders/<int:order_id>/invoices", methods=["POST"])
def submit(order_id: int):
    order = get_order_or_404(order_id)
    form = InvoiceForm()
    data = {"number": form.number.data, "issued_on": form.issued_on.data, "amount": form.amount.data,
            "period": form.period.data or None, "lines": request.form.getlist("lines")}
    try:
        invoice = services.submit_invoice(order, data, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        fail_wtform("invoice", form, err, anchor="invoice-form")
        g.invoice_form = form
        page = render_template("contracts/orders/order.html", **order_page_context(get_order_or_404(order.id)))
        return page, err.status
    db.session.commit()
    flash(f"Invoice {invoice.number} for {services.money(invoice.amount)} was submitted: the city will review it.",
          "success")
    return redirect(url_for("orders.order", order_id=order.id) + "#invoices")


@bp.route("/orders/<int:order_id>/revenue-invoices", methods=["POST"])
def issue_revenue(order_id: int):
    """The buying city bills the vendor for its revenue share (a period's share or a block's true-up)."""
    order = get_order_or_404(order_id)
    form = RevenueInvoiceForm()
    try:
        invoice = services.issue_revenue_invoice(order, form.to_data(), actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        if "block" in err.fields:  # the form's one select names the period's share or the block's true-up
            err.fields = {("period" if key == "block" else key): text for key, text in err.fields.items()}
        fail_wtform("revenue_invoice", form, err, anchor="revenue-invoice-form")
        g.revenue_invoice_form = form
        page = render_template("contracts/orders/order.html", **order_page_context(get_order_or_404(order.id)))
        return page, err.status
    db.session.commit()
    flash(f"{invoice.direction_text}: invoice {invoice.number} for {services.money(invoice.amount)} was issued. "
          f"{order.vendor.name} records its payment.", "success")
    return redirect(url_for("orders.order", order_id=order.id) + "#revenue-invoices")


def _invoice_page(invoice: Invoice, status: int = 200, reject_form=None, pay_form=None):
    events = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.object_type == "invoice", AuditEvent.object_id == invoice.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    may = {step: services.INVOICE_LIFECYCLE.may(step, current_user, invoice) for step in ("approve", "reject")}
    may["pay"] = services.INVOICE_LIFECYCLE.may(services.payment_step(invoice), current_user, invoice)
    return render_template("contracts/invoices/invoice.html", invoice=invoice, order=invoice.order, may=may,
                           billed_for=revenue_label(invoice) if invoice.is_revenue_share else None,
                           events=events, reject_form=reject_form or RejectForm(), pay_form=pay_form or PayForm(),
                           period_label=services.period_label, terms=services.order_terms(invoice.order),
                           today=services.vehicle_models.today()), status


@bp.route("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    return _invoice_page(get_invoice_or_404(invoice_id))


def _decide(invoice_id: int, action, message: str, **forms):
    invoice = get_invoice_or_404(invoice_id)
    try:
        action(invoice)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        for key, form in forms.items():  # the form that was sent shows its problems where they are
            fail_wtform(key, form, err, anchor=key.replace("_", "-"))
        if not forms:
            flash(err.in_full, "error")
        return _invoice_page(get_invoice_or_404(invoice_id), err.status, **forms)
    db.session.commit()
    flash(message.format(number=invoice.number), "success")
    return redirect(url_for("invoices.invoice", invoice_id=invoice_id))


@bp.route("/invoices/<int:invoice_id>/approve", methods=["POST"])
def approve(invoice_id: int):
    return _decide(invoice_id, lambda inv: services.approve_invoice(inv, actor=current_user),
                   "Invoice {number} was approved. Record the payment once it is made.")


@bp.route("/invoices/<int:invoice_id>/reject", methods=["POST"])
def reject(invoice_id: int):
    form = RejectForm()
    return _decide(invoice_id, lambda inv: services.reject_invoice(inv, actor=current_user, reason=form.reason.data),
                   "Invoice {number} was rejected; the amount can be invoiced again.", reject_form=form)


@bp.route("/invoices/<int:invoice_id>/pay", methods=["POST"])
def pay(invoice_id: int):
    form = PayForm()
    return _decide(invoice_id,
                   lambda inv: services.pay_invoice(inv, actor=current_user, paid_on=request.form.get("paid_on")),
                   "Invoice {number} was marked paid.", pay_form=form)
