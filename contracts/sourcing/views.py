"""RFI pages: the list, drafting and editing, the RFI page (pooled demand, the issuer's and the vendor's view of
responses), interest and response forms, publishing, closing and cancelling (confirmation pages), the
side-by-side comparison, converting; and the need page's section of RFIs and the order that fulfils it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from consortium.context import current_consortium, require
from consortium.planning.models import Need
from consortium.planning.queries import NEED_PANELS, get_need_or_404
from contracts.sourcing import permissions as can
from contracts.sourcing import queries, services
from contracts.sourcing.forms import ConvertForm, InterestForm, ResponseForm, RfiForm
from contracts.sourcing.models import MOU_POINTS, POSITIONS, RFI_STATUS_LABELS, Rfi
from marketplace.audit import AuditEvent
from marketplace.categories import CATEGORIES
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import csv_response
from marketplace.errors import DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.formerrors import refuse_form
from marketplace.templating import local_zone

bp = Blueprint("sourcing", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")
MAX_LISTED = 500


def _zone():
    return local_zone(current_consortium().time_zone)


# --- the list -------------------------------------------------------------------------------------------


def _listed():
    stmt = queries.visible_rfis_stmt(current_user).options(joinedload(Rfi.issuer))
    status, category = request.args.get("status", ""), request.args.get("category", "")
    if status in RFI_STATUS_LABELS:
        stmt = stmt.where(Rfi.status == status)
    if category in CATEGORIES:
        stmt = stmt.where(Rfi.category == category)
    return list(db.session.scalars(stmt.order_by(Rfi.id.desc()).limit(MAX_LISTED)))


@bp.route("/rfis")
def rfis():
    require(True)
    args = {k: request.args[k] for k in ("status", "category") if request.args.get(k)}
    return render_template("contracts/sourcing/rfis.html", rfis=_listed(), args=args, statuses=RFI_STATUS_LABELS,
                           categories=CATEGORIES, may_issue=can.can_issue_rfis(current_user, current_consortium()))


@bp.route("/rfis/export.csv")
def rfis_csv():
    require(True)
    rows = [(r.reference, r.issuer.name, r.title, r.category, r.status, r.responses_due, r.published_at,
             len(r.interests)) for r in _listed()]
    return csv_response("rfis.csv", ("reference", "issuer", "title", "category", "status", "responses_due",
                                     "published_at", "interested_members"), rows)


# --- drafting -------------------------------------------------------------------------------------------


def _rfi_form_page(form: RfiForm, rfi: Rfi | None, status: int = 200):
    form.need_ids.choices = [(str(n.id), f"{n.reference} {n.title} — {n.member.name}, {money(n.estimated_cost)}")
                             for n in queries.linkable_needs(current_user)]
    return render_template("contracts/sourcing/rfi_form.html", form=form, rfi=rfi, points=MOU_POINTS), status


@bp.route("/rfis/new", methods=["GET", "POST"])
def new_rfi():
    require(can.can_issue_rfis(current_user, current_consortium()))
    form = RfiForm()
    if request.method == "GET":
        if request.args.get("need"):
            form.need_ids.data = [request.args["need"][:12]]
        return _rfi_form_page(form, None)
    try:
        rfi = services.create_rfi(current_consortium(), form.to_data(), actor=current_user)
    except ValidationFailed as err:
        refuse_form(form, err)
        return _rfi_form_page(form, None, 400)
    db.session.commit()
    flash(f"{rfi.reference} drafted. Publish it to open it for responses.", "success")
    return redirect(url_for("sourcing.rfi", rfi_id=rfi.id))


@bp.route("/rfis/<int:rfi_id>/edit", methods=["GET", "POST"])
def edit_rfi(rfi_id: int):
    rfi = queries.get_rfi_or_404(rfi_id)
    require(can.runs_rfi(current_user, rfi))
    form = RfiForm()
    if request.method == "GET":
        form.fill(rfi, _zone())
        return _rfi_form_page(form, rfi)
    try:
        services.update_rfi(rfi, form.to_data(), actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        refuse_form(form, err)
        return _rfi_form_page(form, queries.get_rfi_or_404(rfi_id), err.status)
    db.session.commit()
    flash(f"{rfi.reference} saved.", "success")
    return redirect(url_for("sourcing.rfi", rfi_id=rfi_id))


# --- the RFI page and its steps -------------------------------------------------------------------------


def _rfi_page(rfi: Rfi, status: int = 200):
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.object_type == "rfi",
                                                            AuditEvent.object_id == rfi.id)
                                .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    may = {step: services.RFI_LIFECYCLE.may(step, current_user, rfi) for step in ("publish", "close", "cancel",
                                                                                   "convert")}
    may["edit"] = rfi.status == "draft" and can.runs_rfi(current_user, rfi)
    may["interest"] = rfi.status == "open" and can.can_register_interest(current_user, rfi)
    may["respond"] = rfi.status == "open" and not rfi.is_due() and can.can_respond(current_user, rfi)
    own_interest = next((i for i in rfi.interests if i.member_id == current_user.organization_id), None)
    return render_template(
        "contracts/sourcing/rfi.html", rfi=rfi, pooled=queries.pooled_demand(rfi), points=MOU_POINTS,
        positions=POSITIONS, responses=queries.visible_responses(rfi, current_user), may=may, events=events,
        sees_all=can.can_view_responses(current_user, rfi), own_interest=own_interest,
        due=services.due_text(rfi), is_due=rfi.is_due()), status


@bp.route("/rfis/<int:rfi_id>")
def rfi(rfi_id: int):
    return _rfi_page(queries.get_rfi_or_404(rfi_id))


def _refused(rfi_id: int, err: DomainError):
    db.session.rollback()
    flash(err.in_full, "error")
    return _rfi_page(queries.get_rfi_or_404(rfi_id), err.status)


@bp.route("/rfis/<int:rfi_id>/publish", methods=["POST"])
def publish(rfi_id: int):
    rfi = queries.get_rfi_or_404(rfi_id)
    try:
        services.publish_rfi(rfi, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        return _refused(rfi_id, err)
    db.session.commit()
    flash(f"{rfi.reference} is open: vendors with a published listing in {rfi.category_label} were told.", "success")
    return redirect(url_for("sourcing.rfi", rfi_id=rfi_id))


CONSEQUENCES = {
    "close": lambda rfi: ["No more responses or interest are taken.",
                          "You can then compare the responses side by side and convert the RFI."],
    "cancel": lambda rfi: ["No more responses or interest are taken, and the RFI cannot be converted.",
                           "Linked needs no other RFI sources go back to 'selected'.",
                           "Vendors that responded are told."],
}


def _step_page(rfi: Rfi, step: str):
    return confirmation(services.RFI_LIFECYCLE, step, rfi, name=rfi.reference,
                        action=url_for(f"sourcing.{step}", rfi_id=rfi.id), back=url_for("sourcing.rfi", rfi_id=rfi.id),
                        consequences=CONSEQUENCES[step](rfi),
                        seen_by=["Everyone in the consortium sees the RFI's new status."])


def _confirmed_step(rfi_id: int, step: str, action, message: str):
    rfi = queries.get_rfi_or_404(rfi_id)
    reason = request.form.get("reason")
    try:
        if request.method == "GET":
            check_step(services.RFI_LIFECYCLE, step, current_user, rfi)
            return render_confirmation(_step_page(rfi, step))
        action(rfi, reason)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        if reason_error(err):
            db.session.rollback()
            return render_confirmation(_step_page(queries.get_rfi_or_404(rfi_id), step), reason=reason, error=err)
        return _refused(rfi_id, err)
    db.session.commit()
    flash(message.format(ref=rfi.reference), "success")
    return redirect(url_for("sourcing.rfi", rfi_id=rfi_id))


@bp.route("/rfis/<int:rfi_id>/close", methods=["GET", "POST"])
def close(rfi_id: int):
    return _confirmed_step(rfi_id, "close", lambda rfi, _: services.close_rfi(rfi, actor=current_user),
                           "{ref} is closed: compare the responses and convert it.")


@bp.route("/rfis/<int:rfi_id>/cancel", methods=["GET", "POST"])
def cancel(rfi_id: int):
    return _confirmed_step(rfi_id, "cancel",
                           lambda rfi, reason: services.cancel_rfi(rfi, actor=current_user, reason=reason),
                           "{ref} was cancelled.")


# --- interest and responses -----------------------------------------------------------------------------


def _form_step(rfi_id: int, form, template: str, allowed, save, message: str, prepare=None):
    """A page with one form about the RFI (interest, a response): on GET, `prepare(form, rfi, fill=True)` puts
    what was saved before into it; a refused POST shows the messages at the fields with the input kept."""
    rfi = queries.get_rfi_or_404(rfi_id)
    require(allowed(current_user, rfi))
    status = 200
    if prepare is not None:
        prepare(form, rfi, fill=request.method == "GET")
    if request.method == "POST":
        try:
            save(rfi, form.to_data())
        except PermissionDenied:
            db.session.rollback()
            raise
        except DomainError as err:
            refuse_form(form, err)
            status, rfi = err.status, queries.get_rfi_or_404(rfi_id)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("sourcing.rfi", rfi_id=rfi_id))
    return render_template(template, rfi=rfi, form=form, points=MOU_POINTS, due=services.due_text(rfi),
                           own=queries.own_response(rfi, current_user)), status


def _prepare_interest(form, rfi, *, fill: bool):
    own = next((i for i in rfi.interests if i.member_id == current_user.organization_id), None)
    if fill and own is not None:
        form.indicative_quantity.data, form.note.data = str(own.indicative_quantity), own.note
        form.indicative_budget.data = format(own.indicative_budget, "f")


@bp.route("/rfis/<int:rfi_id>/interest", methods=["GET", "POST"])
def interest(rfi_id: int):
    return _form_step(rfi_id, InterestForm(), "contracts/sourcing/interest_form.html", can.can_register_interest,
                      lambda rfi, data: services.register_interest(rfi, data, actor=current_user),
                      "Your city's interest is registered: the RFI's pooled demand includes it.",
                      prepare=_prepare_interest)


def _prepare_response(form, rfi, *, fill: bool):
    form.listing_id.choices = [("", "- None -")] + [(str(x.id), x.title)
                                                    for x in queries.own_listings(current_user, rfi)]
    own = queries.own_response(rfi, current_user)
    if fill and own is not None:
        form.fill(own)


@bp.route("/rfis/<int:rfi_id>/response", methods=["GET", "POST"])
def respond(rfi_id: int):
    return _form_step(rfi_id, ResponseForm(), "contracts/sourcing/response_form.html", can.can_respond,
                      lambda rfi, data: services.submit_response(rfi, data, actor=current_user),
                      "Your response is in. You can replace it until responses are due.", prepare=_prepare_response)


# --- comparing and converting ---------------------------------------------------------------------------


@bp.route("/rfis/<int:rfi_id>/compare")
def compare(rfi_id: int):
    rfi = queries.get_rfi_or_404(rfi_id)
    require(can.can_view_responses(current_user, rfi))
    return render_template("contracts/sourcing/compare.html", rfi=rfi, points=MOU_POINTS, positions=POSITIONS,
                           responses=queries.visible_responses(rfi, current_user),
                           may_convert=services.RFI_LIFECYCLE.may("convert", current_user, rfi))


@bp.route("/rfis/<int:rfi_id>/convert", methods=["GET", "POST"])
def convert(rfi_id: int):
    rfi = queries.get_rfi_or_404(rfi_id)
    require(can.can_convert_rfi(current_user, rfi))
    form = ConvertForm()
    responses = queries.visible_responses(rfi, current_user)
    form.response_id.choices = [("", "- Select -")] + [(str(r.id), f"{r.vendor.name}: {money(r.indicative_price)}")
                                                       for r in responses]
    form.lead_agency_id.choices = [("", "- Select -")] + [(str(m.id), m.name) for m in queries.member_choices()]
    if request.method == "GET" and request.args.get("response"):
        form.response_id.data = request.args["response"][:12]
    status = 200
    if request.method == "POST":
        try:
            services.convert_rfi(rfi, form.to_data(), actor=current_user)
        except PermissionDenied:
            db.session.rollback()
            raise
        except DomainError as err:
            refuse_form(form, err)
            status, rfi = err.status, queries.get_rfi_or_404(rfi_id)
        else:
            db.session.commit()
            flash(f"{rfi.reference} was converted into a {rfi.conversion.converted_into}.", "success")
            return redirect(url_for("sourcing.rfi", rfi_id=rfi_id))
    return render_template("contracts/sourcing/convert.html", rfi=rfi, form=form,
                           pooled=queries.pooled_demand(rfi)), status


# --- the need page's section ----------------------------------------------------------------------------


def need_sourcing_panel(need: Need) -> Markup:
    """RFIs sourcing the need, what they became, the order that fulfils it, and the ways to move it on."""
    order = queries.need_order(need)
    may_link = order is None and need.status in ("selected", "sourcing", "piloting") and can.can_link_order(
        current_user, need)
    return Markup(render_template(
        "contracts/sourcing/_need_panel.html", need=need, rfis=queries.linked_rfis(need), order=order,
        outcomes=queries.need_outcomes([need]).get(need.id, []), may_link=may_link,
        orders=queries.orders_for_need(need) if may_link else [],
        may_issue=need.status in ("selected", "sourcing") and can.can_issue_rfis(current_user, current_consortium())
        and (current_user.role == "admin" or current_user.organization_id == need.member_id)))


NEED_PANELS.append(need_sourcing_panel)


@bp.route("/needs/<int:need_id>/order", methods=["POST"])
def link_order(need_id: int):
    need = get_need_or_404(need_id)
    try:
        link = services.link_order(need, {"order_id": request.form.get("order_id")}, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        flash(err.in_full, "error")
        return redirect(url_for("planning.need", need_id=need_id) + "#sourcing"), 303
    db.session.commit()
    flash(f"Need {need.reference} is ordered: order TO-{link.order_id:06d} fulfils it.", "success")
    return redirect(url_for("planning.need", need_id=need_id) + "#sourcing")
