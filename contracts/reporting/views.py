"""Sales-report pages: the list (filters, balances per vendor, CSV), one report (its lines, the fee arithmetic,
the vendor's lines form, submit / accept / return, fee payments, the audit trail). No JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from consortium import queries as people
from consortium.context import current_consortium, require
from consortium.models import User
from contracts.reporting import permissions as can
from contracts.reporting import queries, services
from contracts.reporting.forms import MORE_ROWS, LinesForm, PaymentForm, ReasonForm
from contracts.reporting.models import STATUS_LABELS, SalesReport
from marketplace.audit import AuditEvent
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import csv_response, stream_scalars
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.formerrors import refuse_form

bp = Blueprint("sales_reports", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")
MAX_LISTED = 500
CSV_HEADER = ("report", "quarter", "vehicle", "vendor", "status", "due_on", "late", "net_total", "admin_fee_pct",
              "fee", "fee_paid", "fee_balance", "fee_due_on")


def _today():
    return people.local_date(current_consortium())


def _visible(report_id: int) -> SalesReport:
    require(True)
    return queries.visible_report_or_404(report_id, current_user)


# --- the list ---------------------------------------------------------------------------------------------


def _filters_or_400():
    try:
        return queries.parse_filters(request.args), None
    except ValidationFailed as err:
        return queries.ReportFilters(), err


@bp.route("/sales-reports")
def index():
    consortium = current_consortium()
    require(can.can_list_sales_reports(current_user, consortium))
    filters, error = _filters_or_400()
    today = _today()
    stmt = queries.filtered_stmt(current_user, consortium, filters, today)
    reports = list(db.session.scalars(stmt.limit(MAX_LISTED)))
    if error is not None:
        flash(error.in_full, "error")
    body = render_template(
        "contracts/reporting/list.html", reports=reports, filters=filters, statuses=STATUS_LABELS, today=today,
        vehicles=queries.vehicles_with_reports(current_user, consortium), quarter_text=request.args.get("quarter", ""),
        balances=queries.balances_by_vendor(current_user, consortium), export_args=filters.args())
    return body, 400 if error is not None else 200


@bp.route("/sales-reports/export.csv")
def export():
    consortium = current_consortium()
    require(can.can_list_sales_reports(current_user, consortium))
    filters, error = _filters_or_400()
    if error is not None:
        flash(error.in_full, "error")
        return redirect(url_for("sales_reports.index")), 303
    today = _today()
    stmt = queries.filtered_stmt(current_user, consortium, filters, today)
    rows = ((r.reference, r.quarter, r.vehicle.number, r.vendor.name, r.status, r.due_on, r.is_late(today),
             r.net_total, r.admin_fee_pct, r.fee, r.fee_paid, r.fee_balance, r.fee_due_on)
            for r in stream_scalars(stmt))
    return csv_response("sales-reports.csv", CSV_HEADER, rows)


# --- one report -------------------------------------------------------------------------------------------


def _trail(report: SalesReport) -> list[tuple[AuditEvent, str]]:
    rows = db.session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == SalesReport.object_type, AuditEvent.object_id == report.id)
        .order_by(AuditEvent.id)).all()
    return [(event, name or "The daily job") for event, name in rows]


def _report_page(report_id: int, status: int = 200, payment_form: PaymentForm | None = None):
    report = _visible(report_id)
    return render_template(
        "contracts/reporting/report.html", report=report, today=_today(),
        actions=set(services.REPORT_LIFECYCLE.available(current_user, report)),
        may_edit=can.can_edit_sales_report(current_user, report),
        may_pay=can.can_record_fee_payment(current_user, report) and report.status == "accepted"
        and report.fee_balance > 0,
        payment_form=payment_form or PaymentForm(formdata=None), trail=_trail(report)), status


def _refused(err: DomainError, report_id: int):
    db.session.rollback()
    flash(err.message, "error")
    return _report_page(report_id, err.status)


@bp.route("/sales-reports/<int:report_id>")
def report(report_id: int):
    return _report_page(report_id)


@bp.route("/sales-reports/<int:report_id>/lines", methods=["GET", "POST"])
def lines(report_id: int):
    """The vendor's sales outside the platform: replace them while the report is due or returned."""
    report = _visible(report_id)
    require(can.is_vendor_of(current_user, report))
    if not can.can_edit_sales_report(current_user, report):
        return _refused(Conflict(f"This report is {report.status_label.lower()}: its lines can no longer be "
                                 "changed."), report_id)
    form, status = LinesForm(), 200
    if request.method == "GET":
        form = LinesForm(formdata=None)
        form.fill(report)
    elif "more" in request.form:
        form.add_rows(MORE_ROWS)  # nothing saved: the same form with more blank rows
    else:
        status = 400
        if form.validate():
            try:
                services.replace_reported_lines(report, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                report = _visible(report_id)
            except DomainError as err:
                return _refused(err, report_id)
            else:
                db.session.commit()
                flash("Lines saved. Submit the report when it is complete.", "success")
                return redirect(url_for("sales_reports.report", report_id=report_id))
    return render_template("contracts/reporting/lines_form.html", report=report, form=form), status


@bp.route("/sales-reports/<int:report_id>/submit", methods=["POST"])
def submit(report_id: int):
    report = _visible(report_id)
    require(can.can_submit_sales_report(current_user, report))
    try:
        report = services.submit_report(report, actor=current_user)
    except DomainError as err:
        return _refused(err, report_id)
    db.session.commit()
    flash(f"{report.quarter} report submitted: net sales {money(report.net_total)}, admin fee {money(report.fee)}.",
          "success")
    return redirect(url_for("sales_reports.report", report_id=report_id))


@bp.route("/sales-reports/<int:report_id>/accept", methods=["POST"])
def accept(report_id: int):
    report = _visible(report_id)
    require(can.can_decide_sales_report(current_user, report))
    try:
        report = services.accept_report(report, actor=current_user)
    except DomainError as err:
        return _refused(err, report_id)
    db.session.commit()
    flash(f"Report accepted: an admin fee of {money(report.fee)} is due by {report.fee_due_on:%d %b %Y}.", "success")
    return redirect(url_for("sales_reports.report", report_id=report_id))


def _return_page(report: SalesReport):
    return confirmation(
        services.REPORT_LIFECYCLE, "return", report, name=report.reference,
        action=url_for("sales_reports.return_", report_id=report.id),
        back=url_for("sales_reports.report", report_id=report.id), undo="The vendor corrects it and submits again.",
        consequences=["No fee is billed until the report is accepted; the due date stays "
                      f"{report.due_on:%d %b %Y}."],
        seen_by=[f"{report.vendor.name} is told, with your reason."])


@bp.route("/sales-reports/<int:report_id>/return", methods=["GET", "POST"])
def return_(report_id: int):
    report = _visible(report_id)
    require(can.can_decide_sales_report(current_user, report))
    if request.method == "GET":
        try:
            check_step(services.REPORT_LIFECYCLE, "return", current_user, report)
        except Conflict as err:
            return _refused(err, report_id)
        return render_confirmation(_return_page(report))
    reason = ReasonForm().reason.data
    try:
        services.return_report(report, actor=current_user, reason=reason)
    except DomainError as err:
        if reason_error(err):
            db.session.rollback()
            return render_confirmation(_return_page(_visible(report_id)), reason=reason, error=err)
        return _refused(err, report_id)
    db.session.commit()
    flash("Report returned to the vendor.", "success")
    return redirect(url_for("sales_reports.report", report_id=report_id))


@bp.route("/sales-reports/<int:report_id>/payments", methods=["POST"])
def payments(report_id: int):
    report = _visible(report_id)
    require(can.can_record_fee_payment(current_user, report))
    form = PaymentForm()
    if not form.validate():
        return _report_page(report_id, 400, form)
    try:
        payment = services.record_payment(report, form.to_data(), actor=current_user, today=_today())
    except ValidationFailed as err:
        refuse_form(form, err)
        return _report_page(report_id, 400, form)
    except DomainError as err:
        return _refused(err, report_id)
    db.session.commit()
    flash(f"Payment of {money(payment.amount)} recorded.", "success")
    return redirect(url_for("sales_reports.report", report_id=report_id))
