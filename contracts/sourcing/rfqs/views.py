"""RFQ pages: the list (and its CSV), issuing one under a vehicle, the RFQ page (sealed before the close, the
comparison after it), the vendor's quote form, closing, awarding and cancelling; and the vehicle page's panel
of its RFQs. Every page works without JavaScript."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from consortium.context import current_consortium, require
from contracts.sourcing.rfqs import permissions as can
from contracts.sourcing.rfqs import queries, services
from contracts.sourcing.rfqs.forms import AwardForm, QuoteForm, ReasonForm, RfqForm
from contracts.sourcing.rfqs.models import STATUS_LABELS, Rfq
from contracts.vehicles.models import Vehicle
from contracts.vehicles.queries import VEHICLE_PANELS, visible_vehicle_or_404
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import csv_response
from marketplace.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.formerrors import refuse_form

bp = Blueprint("rfqs", __name__, url_prefix="/c/<consortium_slug>", template_folder="../../templates")
MAX_LISTED = 500


def _visible(rfq_id: int) -> Rfq:
    require(True)
    return queries.visible_rfq_or_404(rfq_id, current_user)


def _rfq_page(rfq_id: int, status: int = 200, **extra):
    rfq = _visible(rfq_id)
    view = queries.sealed_view(rfq, current_user)
    actions = set(services.RFQ_LIFECYCLE.available(current_user, rfq))
    if "close" in actions and not services.is_past_closing(rfq):
        actions.discard("close")
    if not rfq.quotes:
        actions.discard("award")  # nothing to award: cancel it instead
    if can.can_quote(current_user, rfq) and services.quote_blocker(rfq) is None:
        actions.add("quote")
    return render_template(
        "contracts/sourcing/rfqs/rfq.html", rfq=rfq, view=view, actions=actions,
        closes=services.closes_text(rfq), past_closing=services.is_past_closing(rfq),
        comparison=queries.comparison(rfq, view.quotes) if view.can_compare else None, **extra), status


def _refused(err: DomainError, rfq_id: int):
    """A step the RFQ's state no longer allows (a lost race, too early, too late): 409 on the RFQ page with the
    sentence saying what happened; other refusals are flashed there too."""
    db.session.rollback()
    flash(err.message, "error")
    return _rfq_page(rfq_id, err.status)


# --- the list -------------------------------------------------------------------------------------------


def _listed() -> list[Rfq]:
    stmt = queries.visible_rfqs_stmt(current_user, current_consortium()).options(*queries.RFQ_OPTIONS)
    status = request.args.get("status", "")
    if status in STATUS_LABELS:
        stmt = stmt.where(Rfq.status == status)
    return list(db.session.scalars(stmt.order_by(Rfq.id.desc()).limit(MAX_LISTED)))


@bp.route("/rfqs")
def rfqs():
    require(True)
    rows = [(rfq, queries.sealed_view(rfq, current_user)) for rfq in _listed()]
    return render_template("contracts/sourcing/rfqs/rfqs.html", rows=rows, statuses=STATUS_LABELS,
                           status=request.args.get("status", ""))


@bp.route("/rfqs/export.csv")
def rfqs_csv():
    """The list as CSV: never a quote's amount (the member and the office get the count; a vendor whether it
    quoted)."""
    require(True)
    rows = []
    for rfq in _listed():
        view = queries.sealed_view(rfq, current_user)
        rows.append((rfq.reference, rfq.title, rfq.vehicle.number, rfq.member.name, rfq.status, rfq.evaluation,
                     rfq.closes_at, view.count, "yes" if view.own else ("no" if current_user.role == "vendor" else ""),
                     rfq.awarded_vendor.name if rfq.awarded_vendor else ""))
    return csv_response("rfqs.csv", ("reference", "title", "vehicle", "member", "status", "evaluation", "closes_at",
                                     "quotes", "quoted_by_you", "awarded_to"), rows)


# --- issuing --------------------------------------------------------------------------------------------


def _schedule_names(vehicle: Vehicle) -> list[str]:
    return sorted({line.price_item.name for line in vehicle.schedule})


@bp.route("/vehicles/<int:vehicle_id>/rfqs/new", methods=["GET", "POST"])
def new_rfq(vehicle_id: int):
    require(True)
    vehicle = visible_vehicle_or_404(vehicle_id, current_user, detail=True)
    require(can.can_issue_rfq(current_user, vehicle))
    blocker = services.issue_blocker(vehicle, current_user.organization)
    if blocker:
        flash(blocker, "error")
        return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id)), 303
    form, status = RfqForm(), 200
    form.closes_at.description = (f"A date and time in {current_consortium().time_zone} time, such as "
                                  f"{(date.today() + timedelta(days=14)).isoformat()}T17:00 (a date alone closes at "
                                  f"the end of that day), before {day(vehicle.end_date)}, when the vehicle ends.")
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                rfq = services.issue_rfq(vehicle, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                vehicle = visible_vehicle_or_404(vehicle_id, current_user, detail=True)
            else:
                db.session.commit()
                flash(f"{rfq.reference} issued: {vehicle.vendor_names} are asked to quote before "
                      f"{services.closes_text(rfq)}.", "success")
                return redirect(url_for("rfqs.rfq", rfq_id=rfq.id))
    return render_template("contracts/sourcing/rfqs/rfq_form.html", form=form, vehicle=vehicle,
                           names=_schedule_names(vehicle)), status


# --- one RFQ --------------------------------------------------------------------------------------------


@bp.route("/rfqs/<int:rfq_id>")
def rfq(rfq_id: int):
    return _rfq_page(rfq_id)


@bp.route("/rfqs/<int:rfq_id>/quote", methods=["GET", "POST"])
def quote(rfq_id: int):
    """The vendor's quote: one row per RFQ line (its own price item, a unit price at most its contract price);
    replaces its earlier quote until the close."""
    rfq = _visible(rfq_id)
    require(can.can_quote(current_user, rfq))
    blocker = services.quote_blocker(rfq)
    if blocker:
        return _refused(Conflict(blocker), rfq_id)
    award = rfq.vehicle.award_of(current_user.organization_id)
    own = rfq.quote_of(current_user.organization_id)
    form, status = QuoteForm(), 200
    form.fill(rfq, award, own)
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                _, is_new = services.submit_quote(rfq, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                rfq = _visible(rfq_id)
                award = rfq.vehicle.award_of(current_user.organization_id)
                own = rfq.quote_of(current_user.organization_id)
            except Conflict as err:
                return _refused(err, rfq_id)
            else:
                db.session.commit()
                flash("Quote submitted." if is_new else "Quote replaced: only this version counts.", "success")
                return redirect(url_for("rfqs.rfq", rfq_id=rfq_id))
    return render_template("contracts/sourcing/rfqs/quote_form.html", rfq=rfq, form=form, award=award, own=own,
                           closes=services.closes_text(rfq)), status


@bp.route("/rfqs/<int:rfq_id>/close", methods=["POST"])
def close(rfq_id: int):
    rfq = _visible(rfq_id)
    require(services.RFQ_LIFECYCLE["close"].allowed(current_user, rfq))
    try:
        services.close_rfq(rfq, actor=current_user)
    except DomainError as err:
        return _refused(err, rfq_id)
    db.session.commit()
    flash(f"{rfq.reference} is closed: the quotes are open below.", "success")
    return redirect(url_for("rfqs.rfq", rfq_id=rfq_id))


@bp.route("/rfqs/<int:rfq_id>/award", methods=["GET", "POST"])
def award(rfq_id: int):
    """Choose the quote and (when needed) justify it; the award drafts the order at the quoted prices."""
    rfq = _visible(rfq_id)
    require(services.RFQ_LIFECYCLE["award"].allowed(current_user, rfq))
    try:
        check_step(services.RFQ_LIFECYCLE, "award", current_user, rfq)
    except Conflict as err:
        return _refused(err, rfq_id)
    view = queries.sealed_view(rfq, current_user)
    form, status = AwardForm(), 200
    form.quote_id.choices = [(str(q.id), f"{q.vendor.name}: {money(q.total)}") for q in view.quotes]
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                rfq = services.award_rfq(rfq, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                rfq = _visible(rfq_id)
                view = queries.sealed_view(rfq, current_user)
            except DomainError as err:
                return _refused(err, rfq_id)
            else:
                db.session.commit()
                flash(f"{rfq.reference} awarded to {rfq.awarded_vendor.name}: check the draft order and submit it.",
                      "success")
                return redirect(url_for("orders.order", order_id=rfq.order_id))
    return render_template("contracts/sourcing/rfqs/award.html", rfq=rfq, form=form, view=view,
                           comparison=queries.comparison(rfq, view.quotes)), status


def _cancel_page(rfq: Rfq):
    quoted = len(rfq.quotes)
    return confirmation(
        services.RFQ_LIFECYCLE, "cancel", rfq, name=rfq.reference, action=url_for("rfqs.cancel", rfq_id=rfq.id),
        back=url_for("rfqs.rfq", rfq_id=rfq.id),
        consequences=[f"No order is made; the {quoted} quote{'s' if quoted != 1 else ''} received "
                      f"{'stay' if quoted != 1 else 'stays'} sealed unless the RFQ was already closed."],
        seen_by=[f"{rfq.vehicle.vendor_names} are told it was cancelled, with your reason."])


@bp.route("/rfqs/<int:rfq_id>/cancel", methods=["GET", "POST"])
def cancel(rfq_id: int):
    rfq = _visible(rfq_id)
    require(services.RFQ_LIFECYCLE["cancel"].allowed(current_user, rfq))
    if request.method == "GET":
        try:
            check_step(services.RFQ_LIFECYCLE, "cancel", current_user, rfq)
        except Conflict as err:
            return _refused(err, rfq_id)
        return render_confirmation(_cancel_page(rfq))
    reason = ReasonForm().reason.data
    try:
        services.cancel_rfq(rfq, actor=current_user, reason=reason)
    except PermissionDenied:
        raise
    except DomainError as err:
        if reason_error(err):
            db.session.rollback()
            return render_confirmation(_cancel_page(_visible(rfq_id)), reason=reason, error=err)
        return _refused(err, rfq_id)
    db.session.commit()
    flash(f"{rfq.reference} is cancelled.", "success")
    return redirect(url_for("rfqs.rfq", rfq_id=rfq_id))


# --- on the vehicle page ------------------------------------------------------------------------------


def vehicle_rfqs_panel(vehicle: Vehicle) -> Markup:
    """A multi-award vehicle's page: its RFQs the viewer may see, and the way to issue one for those who may."""
    consortium = current_consortium()
    if not vehicle.is_multi_award or consortium is None or not current_user.is_authenticated:
        return Markup("")
    may_issue = (can.can_issue_rfq(current_user, vehicle)
                 and services.issue_blocker(vehicle, current_user.organization) is None)
    rows = queries.rfqs_of_vehicle(vehicle, current_user, consortium)
    if not rows and not may_issue:
        return Markup("")
    return Markup(render_template("contracts/sourcing/rfqs/_vehicle_panel.html", vehicle=vehicle, rows=rows,
                                  may_issue=may_issue))


VEHICLE_PANELS.append(vehicle_rfqs_panel)
