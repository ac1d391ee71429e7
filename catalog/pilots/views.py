"""Pilot pages: the pilot library, a pilot's evidence, recording, verification and linking."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog.listings.models import CATEGORIES
from catalog.listings.queries import published_listing_choices
from catalog.pilots import queries, services
from catalog.pilots.columns import PILOT_COLUMNS
from catalog.pilots.forms import NO_LISTING_CHOICE, LibraryFilterForm, LinkForm, PilotForm
from catalog.pilots.models import MetricResult, Pilot, metric_results
from catalog.pilots.permissions import can_link_pilot, can_record_pilot
from catalog.pilots.validation import clean_library_filters
from consortium.context import current_consortium, organizations_in
from consortium.permissions import is_admin_here
from marketplace.csvexport import stream_scalars
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formerrors import refuse_form
from marketplace.inputs import whole_number

bp = Blueprint("pilots", __name__, url_prefix="/c/<consortium_slug>/pilots", template_folder="../templates")

PER_PAGE = 20
FILTERS = ("q", "category", "outcome", "host", "kpi", "status")


@bp.app_template_global()
def pilot_metrics(pilot: Pilot) -> list[MetricResult]:
    """The metrics of a pilot with whether each met its target (for this page and the listing page)."""
    return metric_results(pilot)


@bp.app_template_global()
def pilot_category(code: str) -> str:
    return CATEGORIES.get(code, code)


def _listing_choices(first: tuple[str, str]) -> list[tuple[str, str]]:
    return [first] + [(str(i), label) for i, label in published_listing_choices(current_consortium().id)]


@bp.route("")
def library():
    queries.require_participant(current_user)
    consortium = current_consortium()
    form = LibraryFilterForm(request.args)
    form.host.choices = [("", "Any member")] + [(str(o.id), o.name) for o in organizations_in(consortium, "member")]
    page = request.args.get("page", "1")
    page = whole_number(page, low=1, high=99999) or 1
    try:
        filters = clean_library_filters(request.args)
    except ValidationFailed as err:
        form.attach_errors(err.fields)
        return render_template("catalog/pilots/library.html", form=form, results=[], total=0, page=1,
                               has_next=False, can_record=can_record_pilot(current_user, consortium)), 400
    results, total = queries.library(
        consortium.id, filters, see_all=is_admin_here(current_user), member_id=current_user.organization_id,
        page=page, per_page=PER_PAGE,
    )
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    return render_template(
        "catalog/pilots/library.html", form=form, results=results, total=total, page=page, args=args,
        has_next=page * PER_PAGE < total, can_record=can_record_pilot(current_user, consortium),
    )


@bp.route("/export.csv")
def library_csv():
    queries.require_participant(current_user)
    stmt = queries.library_stmt(current_consortium().id, clean_library_filters(request.args),
                                see_all=is_admin_here(current_user), member_id=current_user.organization_id)
    return PILOT_COLUMNS.response("pilots.csv", stream_scalars(stmt))


@bp.route("/new", methods=["GET", "POST"])
def new():
    queries.require_participant(current_user)
    consortium = current_consortium()
    if not can_record_pilot(current_user, consortium):
        raise PermissionDenied("Only buyers and approvers of member cities record pilots.")
    form = PilotForm()
    form.listing_id.choices = _listing_choices(NO_LISTING_CHOICE)
    if request.method == "GET" and request.args.get("listing_id"):
        form.listing_id.data = request.args["listing_id"]
    if form.validate_on_submit():
        try:
            pilot = services.record_pilot(consortium=consortium, data=form.to_data(), actor=current_user)
            db.session.commit()
            flash(f"Pilot “{pilot.title}” recorded. Your approver or the consortium office can now verify it.",
                  "success")
            return redirect(url_for("pilots.detail", pilot_id=pilot.id))
        except ValidationFailed as err:
            refuse_form(form, err)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/pilots/new.html", form=form), status


def _detail(pilot: Pilot, link_form: LinkForm | None = None, status: int = 200):
    may_link = can_link_pilot(current_user, pilot) and pilot.listing_id is None
    if may_link and link_form is None:
        link_form = LinkForm(formdata=None)
    if may_link:
        link_form.listing_id.choices = _listing_choices(("", "- Select -"))
    can_verify = services.PILOT_LIFECYCLE.may("verify", current_user, pilot)
    return render_template("catalog/pilots/detail.html", pilot=pilot, can_verify=can_verify,
                           link_form=link_form if may_link else None), status


@bp.route("/<int:pilot_id>")
def detail(pilot_id: int):
    return _detail(queries.get_pilot_or_404(pilot_id, current_user))


@bp.route("/<int:pilot_id>/verify", methods=["POST"])
def verify(pilot_id: int):
    pilot = services.verify_pilot(queries.get_pilot_or_404(pilot_id, current_user), actor=current_user)
    db.session.commit()
    flash(f"Pilot “{pilot.title}” verified. Its results now count as evidence for every member.", "success")
    return redirect(url_for("pilots.detail", pilot_id=pilot.id))


@bp.route("/<int:pilot_id>/link", methods=["POST"])
def link(pilot_id: int):
    pilot = queries.get_pilot_or_404(pilot_id, current_user)
    form = LinkForm()
    try:
        pilot = services.link_pilot(pilot, listing_id=form.listing_id.data, actor=current_user)
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        form.listing_id.errors = [err.fields.get("listing_id", err.message)]
        return _detail(pilot, link_form=form, status=400)
    flash(f"Pilot linked to “{pilot.listing.title}”.", "success")
    return redirect(url_for("pilots.detail", pilot_id=pilot.id))
