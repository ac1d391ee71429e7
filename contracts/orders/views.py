"""Order pages: lists per role, drafting from a vehicle's price schedule, the order page with its
timeline and the actions allowed to the viewer, and the purchase-order PDF."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.listings.models import PRICING_MODELS
from catalog.pilots.models import Pilot
from catalog.pilots.permissions import can_view_pilot
from consortium.context import belongs, require
from contracts.orders import permissions as can
from contracts.orders import queries
from contracts.orders import services as services
from contracts.orders.columns import ORDER_COLUMNS
from contracts.orders.documents import render_purchase_order
from contracts.orders.forms import ORDER_FORM_SECTIONS, ReasonForm, attach_section_errors, order_form_class
from contracts.orders.models import ORDER_STATUSES, STATUS_LABELS, Order, implied_pricing_model
from contracts.orders.queries import get_order_or_404, order_page_context, visible_orders_stmt
from contracts.orders.validation import offered_pricing_models
from contracts.performance import TermsError, parse_terms, payout_preview
from contracts.vehicles.models import ScheduleItem, Vehicle
from contracts.vehicles.permissions import can_see_commitments
from contracts.vehicles.queries import VEHICLE_PANELS
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import stream_scalars
from marketplace.errors import DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import parse_id
from marketplace.tenancy import get_or_404

bp = Blueprint("orders", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

PER_PAGE = 50


@bp.app_template_global()
def order_status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


# The order page's pay-for-performance section shows what a period pays at the targets and floors.
bp.add_app_template_global(payout_preview, "payout_preview")


def _preview(terms_data: dict | None):
    """The payout preview of terms in the API's shape (the form's or a saved order's); None when there are
    none or they do not parse yet (their errors are shown by saving, or by asking for the preview)."""
    try:
        return payout_preview(parse_terms(terms_data)) if terms_data else None
    except TermsError:
        return None


PREVIEW_ACTION = "preview"  # the value of the form's "Preview what a period pays" button






def _filtered_orders():
    """The orders the page lists, with its filters (status, vehicle), newest change first."""
    stmt = visible_orders_stmt(current_user).options(
        selectinload(Order.vehicle), selectinload(Order.member), selectinload(Order.vendor),
        selectinload(Order.created_by))
    status = request.args.get("status")
    if status in ORDER_STATUSES:
        stmt = stmt.where(Order.status == status)
    vehicle_id = request.args.get("vehicle", "")
    if parse_id(vehicle_id) is not None:
        stmt = stmt.where(Order.vehicle_id == parse_id(vehicle_id))
    return stmt.order_by(Order.updated_at.desc(), Order.id.desc())


@bp.route("/orders")
def order_list():
    require(True)
    status = request.args.get("status")
    vehicle_id = request.args.get("vehicle", "")
    orders = db.session.scalars(_filtered_orders().limit(PER_PAGE)).all()
    inbox = []
    if current_user.role == "approver":
        inbox = [o for o in db.session.scalars(visible_orders_stmt(current_user).where(
            Order.status == "pending_approval", Order.created_by_id != current_user.id)
            .options(selectinload(Order.vehicle)))]
    elif current_user.role == "vendor":
        inbox = list(db.session.scalars(visible_orders_stmt(current_user).where(Order.status == "approved")
                                        .options(selectinload(Order.vehicle), selectinload(Order.member))))
    vehicles = db.session.execute(
        select(Vehicle.id, Vehicle.number).where(Vehicle.id.in_(
            visible_orders_stmt(current_user).with_only_columns(Order.vehicle_id).distinct()))
        .order_by(Vehicle.number)).all()
    return render_template("contracts/orders/list.html", orders=orders, inbox=inbox, statuses=STATUS_LABELS,
                           status=status, vehicle_id=vehicle_id, vehicles=vehicles)


@bp.route("/orders/export.csv")
def order_list_csv():
    require(True)
    return ORDER_COLUMNS.response("orders.csv", stream_scalars(_filtered_orders()))


def _vehicle_for_ordering(vehicle_id: int) -> Vehicle:
    vehicle = get_or_404(Vehicle, vehicle_id)
    if vehicle.status == "draft" and not (belongs(current_user) and current_user.role == "admin"):
        abort(404)
    require(can.can_create_orders(current_user))
    return vehicle


def _schedule(vehicle_id: int) -> list[ScheduleItem]:
    return list(db.session.scalars(select(ScheduleItem).where(ScheduleItem.vehicle_id == vehicle_id)
                                   .options(selectinload(ScheduleItem.price_item))))


def _render_order_form(form, vehicle, order=None, status=200, pilot=None, preview=None):
    terms = form.performance.form
    while len(terms.kpis) < 4:
        terms.kpis.append_entry()
    while len(terms.tiers) < 3:
        terms.tiers.append_entry()
    award = vehicle.award_of(order.vendor_id if order is not None else parse_id(form.vendor_id.data))
    schedule = {s.price_item_id: s for s in award.schedule} if award is not None else {}
    offered = _offer_pricing_models(form, award, order)
    sections = [(section, form[section.key].form, section.existing(order) if order is not None else None)
                for section in ORDER_FORM_SECTIONS if section.pricing_model in offered]
    return render_template("contracts/orders/form.html", form=form, vehicle=vehicle, order=order, pilot=pilot,
                           award=award, schedule=schedule, preview=preview, sections=sections), status


def _offer_pricing_models(form, award, order) -> list[str]:
    """The radio buttons: the models the vendor's listings offer (and the order's own, should its listings no
    longer offer it); one is always chosen: the order's, or the one the terms imply, or the first offered."""
    offered = offered_pricing_models(award)
    if order is not None and order.pricing_model not in offered:
        offered = [m for m in PRICING_MODELS if m in offered or m == order.pricing_model]
    form.pricing_model.choices = [(m, PRICING_MODELS[m]) for m in offered]
    if form.pricing_model.data not in offered and offered:
        implied = order.pricing_model if order is not None else implied_pricing_model(
            form.performance.form.to_terms())
        form.pricing_model.data = implied if implied in offered else offered[0]
    return offered


def _fill_sections(form, award, order=None) -> None:
    for section in ORDER_FORM_SECTIONS:
        section.prefill(form[section.key].form, award, order)


def _open_section(form, order_model: str | None, order=None):
    """The registered block the chosen pricing model fills in (None: none, or the order already has it)."""
    for section in ORDER_FORM_SECTIONS:
        if section.pricing_model == order_model and (order is None or section.existing(order) is None):
            return section
    return None


def _save_draft(form, save, order=None):
    """Save the order (`save(data)` creates or updates it) and the block its pricing model fills in, in one
    transaction: a refused block leaves no order, a refused order no block. Returns the order, or None with the
    errors on the form (rolled back)."""
    data = form.to_data()
    chosen = data.get("pricing_model") or (order.pricing_model if order is not None else None)
    try:
        saved = save(data)
    except ValidationFailed as err:
        db.session.rollback()
        form.attach_errors(err.fields, [line["price_item_id"] for line in data["lines"]])
        section = _open_section(form, chosen, order)
        if section is not None:
            sub = form[section.key].form
            form.form_errors.extend(attach_section_errors(sub, section.problems(sub)))
        return None
    section = _open_section(form, saved.pricing_model, saved)
    if section is not None:
        sub = form[section.key].form
        try:
            section.save(saved, sub, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            form.form_errors.extend(attach_section_errors(sub, err.fields))
            if not err.fields:
                form.form_errors.append(err.message)
            return None
    return saved


def _chosen_award(vehicle: Vehicle):
    """The award a new order buys from: the only one, or the vendor named by `vendor_id` (in the query
    string, then in the form's hidden field). None when a multi-award vehicle's vendor is still to choose."""
    if len(vehicle.awards) == 1:
        return vehicle.awards[0]
    return vehicle.award_of(parse_id(request.values.get("vendor_id")))


def _render_preview(form, vehicle, order=None):
    """The form again, unsaved, with what a period of its terms pays, or with what is wrong with them."""
    if not form.validate():
        return _render_order_form(form, vehicle, order, 400)
    terms_data = form.performance.form.to_terms()
    if terms_data is None:
        form.form_errors.append("To see what a period pays, tick “This order has pay-for-performance terms” and "
                                "fill them in.")
        return _render_order_form(form, vehicle, order, 400)
    try:
        preview = payout_preview(parse_terms(terms_data))
    except TermsError as err:
        form.attach_errors({f"performance.{k}": v for k, v in err.fields.items()}, [])
        return _render_order_form(form, vehicle, order, 400)
    return _render_order_form(form, vehicle, order, 200, preview=preview)


def pilot_for_prefill(pilot_id: int):
    """A verified pilot of this consortium whose measured results can seed an order's KPIs."""
    pilot = db.session.scalar(select(Pilot).where(Pilot.id == pilot_id, Pilot.status == "verified"))
    return pilot if pilot is not None and can_view_pilot(current_user, pilot) else None


def _kpi_code(name: str, taken: set[str]) -> str:
    code = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:36] or "kpi"
    if not code[0].isalpha():
        code = "k_" + code
    base, n = code, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    taken.add(code)
    return code


def terms_from_pilot(pilot) -> dict:
    """Propose KPIs from a verified pilot: its result becomes the baseline, its pre-pilot baseline the
    floor and its target the target — all editable before the order is saved. Weights split evenly."""
    metrics = pilot.metrics[:MAX_PREFILL_KPIS]
    count = len(metrics)
    weights = [Decimal(1) / count] * count if count else []
    weights = [w.quantize(Decimal("0.01"), rounding=ROUND_DOWN) for w in weights]
    if weights:
        weights[0] += Decimal(1) - sum(weights)
    taken: set[str] = set()
    kpis = []
    for metric, weight in zip(metrics, weights, strict=True):
        kpis.append({"code": _kpi_code(metric["kpi"], taken), "name": metric["kpi"], "unit": metric["unit"],
                     "direction": metric["direction"], "weight": str(weight.normalize()),
                     "baseline": metric["result"], "floor": metric["baseline"], "target": metric["target"]})
    return {"period": "month", "periods": 12, "holdback_pct": "10", "holdback_window": 3, "kpis": kpis}


MAX_PREFILL_KPIS = 4


@bp.route("/vehicles/<int:vehicle_id>/orders/new", methods=["GET", "POST"])
def new_order(vehicle_id: int):
    vehicle = _vehicle_for_ordering(vehicle_id)
    try:
        services.check_can_buy(vehicle, current_user.organization)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id)), 303
    award = _chosen_award(vehicle)
    if award is None:  # several vendors are awarded: the buyer picks one first (a page of links, no script)
        return render_template("contracts/orders/choose_vendor.html", vehicle=vehicle,
                               pilot_id=parse_id(request.values.get("pilot"))), 400 if request.method == "POST" else 200
    form = order_form_class()()
    form.vendor_id.data = str(award.vendor_id)
    form.fill_schedule(award.schedule)
    pilot = None
    if request.method == "GET":
        _fill_sections(form, award)
    if request.method == "GET" and parse_id(request.args.get("pilot")) is not None:
        pilot = pilot_for_prefill(parse_id(request.args["pilot"]))
        if pilot is not None:
            form.performance.form.fill(terms_from_pilot(pilot))
    if request.method == "POST" and request.form.get("action") == PREVIEW_ACTION:
        return _render_preview(form, vehicle)
    if request.method == "POST" and form.validate():
        order = _save_draft(form, lambda data: services.create_order(vehicle=vehicle, data=data, actor=current_user))
        if order is None:
            return _render_order_form(form, vehicle, status=400, preview=_preview(form.to_data()["performance"]))
        db.session.commit()
        flash(f"Draft order {order.reference} saved. Check it and submit it.", "success")
        return redirect(url_for("orders.order", order_id=order.id))
    return _render_order_form(form, vehicle, status=400 if request.method == "POST" else 200, pilot=pilot)


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id: int):
    order = get_order_or_404(order_id)
    require(can.can_edit_order(current_user, order))
    form = order_form_class()()
    award = order.vehicle.award_of(order.vendor_id)
    if request.method == "GET":
        form.po_number.data, form.notes.data = order.po_number, order.notes
        form.delivery_start.data, form.delivery_end.data = order.delivery_start, order.delivery_end
        form.pricing_model.data = order.pricing_model
        form.performance.form.fill(order.performance)
        _fill_sections(form, award, order)
    form.fill_schedule(award.schedule if award is not None else [],
                       {ln.price_item_id: (str(ln.quantity), str(ln.unit_price)) for ln in order.lines})
    if request.method == "POST" and request.form.get("action") == PREVIEW_ACTION:
        return _render_preview(form, order.vehicle, order)
    if request.method == "POST" and form.validate():
        if _save_draft(form, lambda data: services.update_order(order, data, actor=current_user), order) is None:
            order = get_order_or_404(order_id)
            return _render_order_form(form, order.vehicle, order, 400, preview=_preview(form.to_data()["performance"]))
        db.session.commit()
        flash("Order saved.", "success")
        return redirect(url_for("orders.order", order_id=order.id))
    preview = _preview(order.performance) if request.method == "GET" else None
    return _render_order_form(form, order.vehicle, order, 400 if request.method == "POST" else 200, preview=preview)


@bp.route("/orders/<int:order_id>")
def order(order_id: int):
    return render_template("contracts/orders/order.html", **order_page_context(get_order_or_404(order_id)))


ACTIONS = {  # a wrong actor gets 403; a step the order's state no longer allows, 409 on the order page
    "submit": (services.submit_order, "Order {ref} submitted."),
    "approve": (services.approve_order, "Order {ref} approved."),
    "decline": (services.decline_order, "Order {ref} declined."),
    "accept": (services.accept_order, "Order {ref} accepted: it is now active."),
    "cancel": (services.cancel_order, "Order {ref} cancelled."),
    "complete": (services.complete_order, "Order {ref} completed."),
    "terminate": (services.terminate_order, "Order {ref} terminated."),
}


# Irreversible steps: GET on the step's URL asks (a confirmation page saying what happens to the money),
# POST takes the step. Each maps to the sentences of what happens besides the state change.
CONFIRMED = {
    "decline": queries.decline_consequences,
    "cancel": queries.cancel_consequences,
    "complete": queries.complete_consequences,
    "terminate": queries.terminate_consequences,
}


def _confirmation(order: Order, name: str):
    return confirmation(
        services.ORDER_LIFECYCLE, name, order, name=order.reference,
        action=url_for(f"orders.{name}_order", order_id=order.id), back=url_for("orders.order", order_id=order.id),
        title=f"Mark order {order.reference} completed?" if name == "complete" else None,
        button="Mark completed" if name == "complete" else None,
        consequences=CONFIRMED[name](order), seen_by=queries.seen_by(order))


def _refused(order_id: int, err: DomainError, name: str):
    """Show the order as it is now, with what went wrong (for a lost race: who did what, and when)."""
    db.session.rollback()
    flash(err.message if name == "submit" else err.in_full, "error")
    return render_template("contracts/orders/order.html",
                           **order_page_context(get_order_or_404(order_id))), err.status


def _ask(order_id: int, name: str):
    """The confirmation page; a step this person may not take, or that the order's state no longer
    allows, answers as the POST would (403, or 409 on the order page)."""
    order = get_order_or_404(order_id)
    try:
        check_step(services.ORDER_LIFECYCLE, name, current_user, order)
        page = _confirmation(order, name)
    except PermissionDenied:
        raise
    except DomainError as err:
        return _refused(order_id, err, name)
    return render_confirmation(page)


def _act(order_id: int, name: str):
    action, message = ACTIONS[name]
    order = get_order_or_404(order_id)
    reason = ReasonForm().reason.data
    try:
        if name == "submit":
            order = action(order, actor=current_user)
        else:
            order = action(order, actor=current_user, reason=reason)
    except PermissionDenied:
        raise
    except DomainError as err:
        if name in CONFIRMED and reason_error(err):
            db.session.rollback()
            return render_confirmation(_confirmation(get_order_or_404(order_id), name), reason=reason, error=err)
        return _refused(order_id, err, name)
    db.session.commit()
    text = message.format(ref=order.reference)
    if name == "submit":
        text += (" It is approved: the vendor can accept it." if order.status == "approved"
                 else " It is above your city's approval limit and waits for your approver.")
    flash(text, "success")
    return redirect(url_for("orders.order", order_id=order.id))


def _register_action(name: str):
    def view(order_id: int):
        if request.method == "GET":
            return _ask(order_id, name)
        return _act(order_id, name)

    view.__name__ = f"{name}_order"
    methods = ["GET", "POST"] if name in CONFIRMED else ["POST"]
    bp.add_url_rule(f"/orders/<int:order_id>/{name}", view_func=view, methods=methods)


for _name in ACTIONS:
    _register_action(_name)


@bp.route("/orders/<int:order_id>/po.pdf")
def purchase_order_pdf(order_id: int):
    order = get_order_or_404(order_id)
    if order.approved_at is None:
        abort(409, description="A purchase order exists once the order is approved.")
    response = make_response(render_purchase_order(order))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{order.reference}.pdf"'
    return response


@bp.app_template_global()
def order_summary() -> dict:
    """For the home page: the viewer's orders by status (one query; what waits for them is in the queue)."""
    counts = dict(db.session.execute(
        visible_orders_stmt(current_user).with_only_columns(Order.status, func.count(Order.id))
        .group_by(Order.status).order_by(None)).all())
    return {"counts": counts, "labels": STATUS_LABELS}


# Orders that committed money under a vehicle, and what their closeout gave back to its ceiling.
COMMITTING = ("approved", "active", "completed", "terminated")


def vehicle_orders_panel(vehicle: Vehicle) -> Markup:
    """The vehicle page's "Orders under this vehicle": the viewer's visible orders (all of them for the
    office, the member's own for member staff), for those who may see commitments."""
    if not can_see_commitments(current_user, vehicle):
        return Markup("")
    rows = db.session.scalars(visible_orders_stmt(current_user).where(
        Order.vehicle_id == vehicle.id, Order.status.in_(COMMITTING)).order_by(Order.id)).all()
    if not rows:
        return Markup("")
    return Markup(render_template("contracts/orders/_vehicle_orders.html", orders=rows, vehicle=vehicle))


VEHICLE_PANELS.append(vehicle_orders_panel)
