"""Vehicle and participation pages: the vehicle list and page, the office's drafting and lifecycle
steps, requests to join, the participation queue, and the participating addendum PDF.

Also what this domain adds to other pages: the vehicles covering a listing (listing page panel) and
the vehicles a member can buy under (home page)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from catalog.listings.models import Listing
from catalog.pilots.queries import verified_pilots_for
from consortium.context import current_consortium, organizations_in, require
from contracts.vehicles import documents, queries
from contracts.vehicles import permissions as permissions
from contracts.vehicles import services as vehicles
from contracts.vehicles.forms import AmendmentForm, AwardForm, JoinForm, ReasonForm, VehicleForm
from contracts.vehicles.models import PARTICIPATION_LABELS, STATUS_LABELS, Participation, Vehicle
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day
from marketplace.formerrors import refuse_form
from marketplace.inputs import whole_number

bp = Blueprint("vehicles", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

PER_PAGE = 50


@bp.app_template_global()
def vehicle_status(vehicle: Vehicle) -> str:
    """draft, active, expired or terminated — expired as soon as the end date has passed."""
    return vehicle.effective_status()


@bp.app_template_global()
def vehicle_status_label(vehicle: Vehicle) -> str:
    return queries.status_label(vehicle)


@bp.app_template_global()
def participation_status_label(status: str) -> str:
    return PARTICIPATION_LABELS.get(status, status)


@bp.app_template_global()
def vehicles_you_can_buy_under() -> list[Vehicle]:
    """For the home page of member staff: the vehicles in force their city may order under."""
    if not permissions.is_member_staff_here(current_user):
        return []
    return queries.vehicles_member_can_buy_under(current_user.organization_id)


def _visible_vehicle(vehicle_id: int, *, detail: bool = False) -> Vehicle:
    return queries.visible_vehicle_or_404(vehicle_id, current_user, detail=detail)


def _visible_participation(participation_id: int) -> Participation:
    """Never public: sign in first (401); anyone but the member concerned and the office gets 404."""
    require(True)
    return queries.visible_participation_or_404(participation_id, current_user)


def _member_id() -> int | None:
    return queries.viewer_member_id(current_user)


def _flash_error(err: DomainError) -> None:
    details = [m for m in err.fields.values() if m not in err.message]
    flash(" ".join([err.message, *details]), "error")


def _refused(err: DomainError, page, back: str):
    """A step that was refused. A conflict with the object's current state (a request that lost a race,
    a draft not ready) answers 409 on the object's own page, with the sentence saying what happened;
    other refusals (a missing reason) are flashed on the page the user came from."""
    db.session.rollback()
    _flash_error(err)
    if isinstance(err, Conflict):
        return page(), 409
    return redirect(back), 303


# --- the vehicle list and page ------------------------------------------------------------------


@bp.route("/vehicles")
def index():
    admin = permissions.can_manage_vehicles(current_user)
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    page = request.args.get("page", "1")
    page = whole_number(page, low=1, high=99999) or 1
    stmt = (queries.vehicles_listed_for(current_user, status=status).options(*queries.SUMMARY_OPTIONS)
            .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    items = list(db.session.scalars(stmt))
    ids = [v.id for v in items[:PER_PAGE]]
    member_id = _member_id()
    return render_template(
        "contracts/vehicles/vehicles.html", vehicles=items[:PER_PAGE], status=status, page=page,
        has_next=len(items) > PER_PAGE, can_manage=admin, member_id=member_id,
        buyable=queries.buyer_vehicle_ids(member_id, ids), mine=queries.latest_participations(member_id, ids),
        statuses=STATUS_LABELS if admin else {k: v for k, v in STATUS_LABELS.items() if k != "draft"},
    )


@bp.route("/vehicles/<int:vehicle_id>")
def detail(vehicle_id: int):
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    member_id = _member_id()
    admin = permissions.can_manage_vehicles(current_user)
    status = vehicle.effective_status()
    actions = vehicles.vehicle_actions(current_user, vehicle)
    return render_template(
        "contracts/vehicles/vehicle.html", vehicle=vehicle, status=status,
        awards=[(award, queries.award_rows(award)) for award in vehicle.awards],
        admin=admin, member_id=member_id, actions=actions,
        participants=[p for p in vehicle.participations if p.status == "executed"],
        pending=[p for p in vehicle.participations if p.status == "requested"] if admin else [],
        mine=queries.latest_participation_of(vehicle, member_id),
        is_lead=member_id is not None and member_id == vehicle.lead_agency_id,
        can_buy=queries.is_buyer_of(member_id, vehicle) if member_id else False,
        in_force=vehicle.is_in_force(),
        see_money=permissions.can_see_commitments(current_user, vehicle),
        can_join=permissions.can_request_participation(current_user, vehicle),
        problems=vehicles.activation_problems(vehicle) if "activate" in actions else {},
        reason_form=ReasonForm(formdata=None),
        panels=[panel(vehicle) for panel in queries.VEHICLE_PANELS],
    )


# --- drafting -----------------------------------------------------------------------------------


def _form_listings(vehicle: Vehicle | None) -> list[Listing]:
    listings = queries.published_listings_by_vendor()
    # A covered listing no longer published stays visible on the form, so it can be unchecked.
    if vehicle is not None:
        listings += [x for x in vehicle.listings if x not in listings]
    return listings


def _vehicle_form(vehicle: Vehicle | None = None) -> tuple[VehicleForm, list[Listing]]:
    consortium = current_consortium()
    form = VehicleForm()
    listings = _form_listings(vehicle)
    form.set_choices(organizations_in(consortium, "member"), organizations_in(consortium, "vendor"), listings,
                     vehicle.awards if vehicle is not None else ())
    return form, listings


def _render_form(form: VehicleForm, listings: list[Listing], vehicle: Vehicle | None, status: int = 200):
    groups: dict[str, list[Listing]] = {}
    awarded = {vendor_id for vendor_id, _ in form.award_vendors}
    for listing in listings:
        # Several awards: each award's box lists only its own vendor's listings.
        if not awarded or listing.vendor_id in awarded:
            groups.setdefault(listing.vendor.name, []).append(listing)
    candidates = _schedule_candidates(vehicle) if vehicle is not None else []
    return render_template("contracts/vehicles/vehicle_form.html", form=form, vehicle=vehicle, groups=groups,
                           checked={str(i) for i in form.checked_listing_ids()}, candidates=candidates), status


def _schedule_candidates(vehicle: Vehicle) -> list[tuple[Listing, list]]:
    """Per covered listing, the price items a schedule row is shown for: the offered ones, plus any
    retired item still on the schedule (so it can be taken off)."""
    scheduled = {line.price_item_id for line in vehicle.schedule}
    return [(listing, [i for i in listing.price_items if not i.is_retired or i.id in scheduled])
            for listing in vehicle.listings]


@bp.route("/vehicles/new", methods=["GET", "POST"])
def new():
    consortium = current_consortium()
    require(permissions.can_create_vehicle(current_user, consortium))
    form, listings = _vehicle_form()
    if request.method == "GET":
        form.admin_fee_pct.data = str(consortium.admin_fee_pct)
        form.renewal_count.data = "0"
        return _render_form(form, listings, None)
    if not form.validate():
        return _render_form(form, listings, None, 400)
    try:
        vehicle = vehicles.create_vehicle(consortium=consortium, data=form.to_data(), actor=current_user)
    except ValidationFailed as err:
        refuse_form(form, err)
        return _render_form(form, _form_listings(None), None, 400)
    db.session.commit()
    flash(f"Draft vehicle {vehicle.number} saved. Now set the contract prices of its price schedule.", "success")
    return redirect(url_for("vehicles.edit", vehicle_id=vehicle.id))


@bp.route("/vehicles/<int:vehicle_id>/edit", methods=["GET", "POST"])
def edit(vehicle_id: int):
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    require(permissions.can_edit_vehicle(current_user, vehicle))
    blocker = vehicles.edit_blocker(vehicle)
    if blocker:
        flash(blocker, "error")
        return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id)), 303
    form, listings = _vehicle_form(vehicle)
    if request.method == "GET":
        form.fill(vehicles.vehicle_content(vehicle))
        return _render_form(form, listings, vehicle)
    form.read_schedule(request.form)
    if not form.validate():
        return _render_form(form, listings, vehicle, 400)
    covered_before = {x.id for x in vehicle.listings}
    listing_of_item = {item.id: listing.id for listing, items in _schedule_candidates(vehicle) for item in items}
    try:
        vehicles.update_vehicle(vehicle, form.to_data(listing_of_item), actor=current_user)
    except ValidationFailed as err:
        refuse_form(form, err)
        vehicle = _visible_vehicle(vehicle_id, detail=True)
        return _render_form(form, _form_listings(vehicle), vehicle, 400)
    db.session.commit()
    if {x.id for x in vehicle.listings} - covered_before:
        flash("Saved. Set the contract prices of the newly covered listings' items below.", "success")
        return redirect(url_for("vehicles.edit", vehicle_id=vehicle.id))
    flash(f"Draft {vehicle.number} saved.", "success")
    return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id))


@bp.route("/vehicles/<int:vehicle_id>/awards/new", methods=["GET", "POST"])
def add_award(vehicle_id: int):
    """Award one more vendor on a draft (a multi-award vehicle): the vendor and its covered listings; the
    contract prices follow on the edit page."""
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    require(permissions.can_edit_vehicle(current_user, vehicle))
    blocker = vehicles.edit_blocker(vehicle)
    if blocker:
        flash(blocker, "error")
        return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id)), 303
    awarded = {award.vendor_id for award in vehicle.awards}
    vendors = [o for o in organizations_in(current_consortium(), "vendor") if o.id not in awarded]
    listings = [x for x in queries.published_listings_by_vendor() if x.vendor_id not in awarded]
    form, status = AwardForm(), 200
    form.set_choices(vendors, listings)
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                vehicles.add_award(vehicle, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                vehicle = _visible_vehicle(vehicle_id, detail=True)
            else:
                db.session.commit()
                flash("Award added. Set the contract prices of its listings' items below.", "success")
                return redirect(url_for("vehicles.edit", vehicle_id=vehicle.id))
    groups: dict[str, list[Listing]] = {}
    for listing in listings:
        groups.setdefault(listing.vendor.name, []).append(listing)
    return render_template("contracts/vehicles/award_form.html", vehicle=vehicle, form=form, groups=groups,
                           checked={str(i) for i in form.checked_listing_ids()}), status


# --- lifecycle steps (the office) ---------------------------------------------------------------


def _lifecycle(vehicle_id: int, step: str, action, message: str, *, with_reason: bool = False, confirm=None):
    """One office step. A `confirm` step (a function vehicle -> its confirmation page) answers a reason
    problem on that page, at the field, with what was typed."""
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    require(vehicles.VEHICLE_LIFECYCLE[step].allowed(current_user, vehicle))
    kwargs = {"reason": ReasonForm().reason.data} if with_reason else {}
    try:
        action(vehicle, actor=current_user, **kwargs)
    except DomainError as err:
        if confirm is not None and reason_error(err):
            db.session.rollback()
            return render_confirmation(confirm(_visible_vehicle(vehicle_id, detail=True)), reason=kwargs.get("reason"),
                                       error=err)
        return _refused(err, lambda: detail(vehicle_id), url_for("vehicles.detail", vehicle_id=vehicle_id))
    db.session.commit()
    flash(message.format(number=vehicle.number, end=day(vehicle.end_date)), "success")
    return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id))


@bp.route("/vehicles/<int:vehicle_id>/activate", methods=["POST"])
def activate(vehicle_id: int):
    return _lifecycle(vehicle_id, "activate", vehicles.activate_vehicle,
                      "{number} is active. Members can now request to join it.")


@bp.route("/vehicles/<int:vehicle_id>/renew", methods=["POST"])
def renew(vehicle_id: int):
    return _lifecycle(vehicle_id, "renew", vehicles.renew_vehicle,
                      "Renewal option exercised: {number} now ends on {end}.")


def _terminate_page(vehicle: Vehicle):
    return confirmation(
        vehicles.VEHICLE_LIFECYCLE, "terminate", vehicle, name=vehicle.number,
        action=url_for("vehicles.terminate", vehicle_id=vehicle.id),
        back=url_for("vehicles.detail", vehicle_id=vehicle.id),
        consequences=queries.terminate_vehicle_consequences(vehicle),
        seen_by=["Everyone who can see the vehicle sees it as terminated, with your reason, on its page: the lead "
                 "agency, the participating members, the vendor and the public."])


@bp.route("/vehicles/<int:vehicle_id>/terminate", methods=["GET", "POST"])
def terminate(vehicle_id: int):
    """GET: the confirmation page (403, or 409 on the vehicle page, as the POST would answer)."""
    if request.method == "GET":
        vehicle = _visible_vehicle(vehicle_id, detail=True)
        require(vehicles.VEHICLE_LIFECYCLE["terminate"].allowed(current_user, vehicle))
        try:
            check_step(vehicles.VEHICLE_LIFECYCLE, "terminate", current_user, vehicle)
            blocker = vehicles.termination_blocker(vehicle)
            if blocker:
                raise Conflict(blocker)
        except Conflict as err:
            return _refused(err, lambda: detail(vehicle_id), url_for("vehicles.detail", vehicle_id=vehicle_id))
        return render_confirmation(_terminate_page(vehicle))
    return _lifecycle(vehicle_id, "terminate", vehicles.terminate_vehicle,
                      "{number} is terminated. No new orders can be placed under it.", with_reason=True,
                      confirm=_terminate_page)


@bp.route("/vehicles/<int:vehicle_id>/price-schedule", methods=["GET", "POST"])
def amend_schedule(vehicle_id: int):
    """The office lowers contract prices that a listing revision left above their new list prices (one
    form, one input per such line, prefilled with the list price)."""
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    require(permissions.can_amend_price_schedule(current_user, vehicle))
    rows, form, status = queries.price_conflict_rows(vehicle), AmendmentForm(), 200
    if request.method == "GET":
        form.fill(rows)
    else:
        form.read_prices(request.form, rows)
        status = 400
        if form.validate():
            try:
                vehicles.amend_price_schedule(vehicle, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
                vehicle = _visible_vehicle(vehicle_id, detail=True)
            except DomainError as err:
                return _refused(err, lambda: detail(vehicle_id), url_for("vehicles.detail", vehicle_id=vehicle_id))
            else:
                db.session.commit()
                flash(f"The price schedule of {vehicle.number} is amended.", "success")
                return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id))
    return render_template("contracts/vehicles/price_schedule.html", vehicle=vehicle, rows=rows, form=form,
                           status=vehicle.effective_status()), status


# --- participation ------------------------------------------------------------------------------


@bp.route("/vehicles/<int:vehicle_id>/join", methods=["GET", "POST"])
def join(vehicle_id: int):
    vehicle = _visible_vehicle(vehicle_id, detail=True)
    require(permissions.can_request_participation(current_user, vehicle))
    blocker = vehicles.participation_blocker(vehicle, current_user.organization)
    if blocker:
        flash(blocker, "info")
        return redirect(url_for("vehicles.detail", vehicle_id=vehicle.id)), 303
    form = JoinForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                participation = vehicles.request_participation(vehicle, form.to_data(), actor=current_user)
            except ValidationFailed as err:
                refuse_form(form, err)
            else:
                db.session.commit()
                flash(f"Request to join {vehicle.number} sent. Sign the participating addendum now; once the "
                      "consortium office countersigns it, you can download it.", "success")
                return redirect(url_for("vehicles.participation", participation_id=participation.id))
    return render_template("contracts/vehicles/join.html", vehicle=vehicle, form=form,
                           rows=queries.schedule_rows(vehicle)), status


@bp.route("/participations")
def participations():
    require(permissions.can_list_participations(current_user))
    if permissions.can_manage_vehicles(current_user):
        return render_template("contracts/vehicles/participations.html", admin=True,
                               pending=queries.pending_requests(), decided=queries.recent_decisions())
    member_id = current_user.organization_id
    return render_template("contracts/vehicles/participations.html", admin=False,
                           mine=queries.participations_of_member(member_id), led=queries.vehicles_led_by(member_id))


@bp.route("/participations/<int:participation_id>")
def participation(participation_id: int):
    item = _visible_participation(participation_id)
    return render_template(
        "contracts/vehicles/participation.html", participation=item, vehicle=item.vehicle,
        actions=vehicles.PARTICIPATION_LIFECYCLE.available(current_user, item), form=ReasonForm(formdata=None),
    )


def _decision(participation_id: int, step: str, action, message: str, *, confirm=None):
    item = _visible_participation(participation_id)
    require(vehicles.PARTICIPATION_LIFECYCLE[step].allowed(current_user, item))
    reason = ReasonForm().reason.data
    try:
        action(item, actor=current_user, reason=reason)
    except DomainError as err:
        if confirm is not None and reason_error(err):
            db.session.rollback()
            return render_confirmation(confirm(_visible_participation(participation_id)), reason=reason, error=err)
        return _refused(err, lambda: participation(participation_id),
                        url_for("vehicles.participation", participation_id=participation_id))
    db.session.commit()
    flash(message.format(member=item.member.name, number=item.vehicle.number), "success")
    return redirect(url_for("vehicles.participations"))


def _decline_page(item: Participation):
    return confirmation(
        vehicles.PARTICIPATION_LIFECYCLE, "decline", item, name=f"{item.member.name}'s request to join",
        title=f"Decline {item.member.name}'s request to join {item.vehicle.number}?", button="Decline the request",
        state_change=f"{item.member.name}'s request to join {item.vehicle.number} will be declined.",
        action=url_for("vehicles.decline", participation_id=item.id),
        back=url_for("vehicles.participation", participation_id=item.id),
        consequences=queries.decline_participation_consequences(item),
        seen_by=[f"{item.member.name}'s approvers see the request as declined, with your reason, on the vehicle's "
                 "page and in their participation list."],
        undo=f"{item.member.name}'s approver can request to join again.")


@bp.route("/participations/<int:participation_id>/decline", methods=["GET", "POST"])
def decline(participation_id: int):
    """GET: the confirmation page (403, or 409 on the participation page, as the POST would answer)."""
    if request.method == "GET":
        item = _visible_participation(participation_id)
        require(vehicles.PARTICIPATION_LIFECYCLE["decline"].allowed(current_user, item))
        try:
            check_step(vehicles.PARTICIPATION_LIFECYCLE, "decline", current_user, item)
        except Conflict as err:
            return _refused(err, lambda: participation(participation_id),
                            url_for("vehicles.participation", participation_id=participation_id))
        return render_confirmation(_decline_page(item))
    return _decision(participation_id, "decline", vehicles.decline_participation,
                     "{member}'s request to join {number} is declined.", confirm=_decline_page)


@bp.route("/participations/<int:participation_id>/addendum.pdf")
def addendum(participation_id: int):
    item = _visible_participation(participation_id)
    if not permissions.can_download_addendum(current_user, item):
        abort(404)
    pdf = documents.render_addendum(item)  # 409 until the addendum is executed
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{documents.addendum_filename(item)}"'})


# --- what this domain adds to other pages -------------------------------------------------------


def listing_vehicles_panel(listing: Listing) -> Markup:
    """On a listing page: the active vehicles covering the listing, its contract prices under each,
    and whether the viewer's member can buy under them (with the way to join for approvers)."""
    if listing.status != "published":
        return Markup("")
    covering = queries.vehicles_covering(listing.id)
    if not covering:
        return Markup("")
    ids = [v.id for v in covering]
    member_id = _member_id()
    buyable = queries.buyer_vehicle_ids(member_id, ids)
    return Markup(render_template(
        "contracts/vehicles/_listing_panel.html", listing=listing, vehicles=covering, member_id=member_id,
        buyable=buyable, mine=queries.latest_participations(member_id, ids),
        can_join=permissions.can_request_participation(current_user, covering[0]),  # all of this consortium
        pilot=_pilot_to_scale(listing) if buyable else None,
    ))


def _pilot_to_scale(listing: Listing):
    """The newest verified pilot of the listing that met its targets: an order started from the listing
    page proposes its KPIs (the proven evidence becomes the performance terms)."""
    return next((p for p in verified_pilots_for([listing.id])[listing.id] if p.proves_listing), None)


def _register_listing_panel(state) -> None:
    state.app.extensions.setdefault("listing_panels", []).append(listing_vehicles_panel)


bp.record_once(_register_listing_panel)
