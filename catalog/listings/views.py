"""Catalog pages: search, listing pages, vendors' listings and forms, the admins' approval queue."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog import search as indexing
from catalog.listings import permissions as can
from catalog.listings import queries, services
from catalog.listings.columns import LISTING_COLUMNS, every_match
from catalog.listings.diff import diff_content
from catalog.listings.forms import ListingForm, ReasonForm
from catalog.listings.models import (
    CATEGORIES,
    EDITABLE_BY_REVISION,
    PRICING_MODELS,
    STATUS_LABELS,
    Listing,
    listing_content,
)
from catalog.pilots.permissions import can_record_pilot
from catalog.pilots.queries import proven_listing_ids, verified_pilots_for
from consortium.context import belongs, current_consortium, require
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import csv_response
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.formerrors import refuse_form
from marketplace.inputs import parse_id, whole_number

bp = Blueprint("catalog", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

PER_PAGE = 20


@bp.app_template_global()
def listing_status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@bp.app_template_global()
def category_label(code: str) -> str:
    return CATEGORIES.get(code, code)


@bp.app_template_global()
def listing_may(step: str, listing: Listing) -> bool:
    """Whether the current user may take lifecycle `step` on `listing` now (to show or hide its button).
    Withdrawing also needs no active vehicle covering the listing (the step's own refusal)."""
    if not services.LISTING_LIFECYCLE.may(step, current_user, listing):
        return False
    return step != "withdraw" or services.withdraw_blocker(listing) is None


@bp.app_template_global()
def listing_withdraw_blocker(listing: Listing) -> str | None:
    """Why the vendor cannot withdraw this published listing (active vehicles cover it), or None."""
    return services.withdraw_blocker(listing) if listing.status == "published" else None


def _search_args() -> dict:
    args = request.args
    return {
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "pricing_model": args.get("pricing_model") if args.get("pricing_model") in PRICING_MODELS else None,
        "proven": True if args.get("proven") in ("1", "true", "yes", "on") else None,
        "vendor_id": parse_id(args.get("vendor")),
        "page": whole_number(args.get("page", "1"), low=1, high=99999) or 1,
        "per_page": PER_PAGE,
        # Anything but a known order is the default one (relevance with a query, newest without).
        "sort": args.get("sort"),
    }


# The orders the page offers, in this order; "relevance" only with a query.
SORT_LABELS = {"relevance": "Relevance", "price": "Lowest price", "newest": "Newest", "rating": "Highest rated"}


@bp.route("/catalog")
def search():
    consortium = current_consortium()
    q = (request.args.get("q") or "")[:500]
    filters = _search_args()
    result = indexing.search(consortium.id, q, **filters)
    listings = indexing.load_published(result.ids)
    vendor_names = {int(k): v for k, v in result.vendor_names.items()}
    pages = max(1, -(-result.total // PER_PAGE))
    sorts = {name: SORT_LABELS[name] for name in indexing.SORTS if name != "relevance" or indexing.clean_query(q)}
    return render_template(
        "catalog/listings/search.html", q=q, filters=filters, result=result, pages=pages,
        categories=CATEGORIES, pricing_models=PRICING_MODELS, vendor_names=vendor_names, sorts=sorts,
        cards=queries.result_cards(listings, current_user),
    )


@bp.route("/catalog/export.csv")
def search_csv():
    consortium = current_consortium()
    q = (request.args.get("q") or "")[:500]
    return LISTING_COLUMNS.response("catalog.csv", every_match(consortium.id, q, **_search_args()))


@bp.route("/listings/<int:listing_id>")
def listing(listing_id: int):
    item = queries.get_listing_or_404(listing_id, current_user)
    # The proven badge is public; the evidence itself is for the people of the consortium (DESIGN 3).
    pilots = verified_pilots_for([item.id]).get(item.id, []) if belongs(current_user) else []
    return render_template(
        "catalog/listings/listing.html", listing=item, content=listing_content(item), pilots=pilots,
        proven=item.id in proven_listing_ids([item.id]), preview=False, member_view=belongs(current_user),
        can_edit=can.can_edit_listing(current_user, item),
        can_review=can.can_review_listings(current_user),
        can_history=can.can_see_listing_history(current_user, item),
        can_record_pilot=item.status == "published" and can_record_pilot(current_user, current_consortium()),
        extra_panels=_listing_panels(item),
    )


def _listing_panels(item: Listing) -> list:
    """Panels other domains add to the listing page (vehicles that cover it, once they exist)."""
    return [panel(item) for panel in current_app.extensions.get("listing_panels", [])]


@bp.route("/listings/<int:listing_id>/preview")
def preview(listing_id: int):
    item = queries.get_listing_or_404(listing_id, current_user)
    require(can.can_see_listing_history(current_user, item))
    revision = item.pending_revision
    content = revision.proposed if revision else listing_content(item)
    return render_template(
        "catalog/listings/listing.html", listing=item, content=content, pilots=[], proven=False, preview=True,
        revision=revision, can_edit=False, can_review=False, can_history=False, can_record_pilot=False,
        extra_panels=[],
    )


@bp.route("/listings/<int:listing_id>/history")
def history(listing_id: int):
    item = queries.get_listing_or_404(listing_id, current_user)
    require(can.can_see_listing_history(current_user, item))
    events, actors = queries.listing_history(item)
    return render_template("catalog/listings/history.html", listing=item, events=events, actors=actors)


@bp.route("/vendor/listings")
def my_listings():
    require(can.can_create_listing(current_user))
    listings = queries.vendor_listings(current_user.organization_id)
    return render_template("catalog/listings/my_listings.html", listings=listings, can=can)


@bp.route("/vendor/listings/export.csv")
def my_listings_csv():
    require(can.can_create_listing(current_user))
    return LISTING_COLUMNS.response("my-listings.csv", queries.vendor_listings(current_user.organization_id))


def _render_form(form: ListingForm, item: Listing | None, status: int = 200):
    form.add_blank_rows()
    return render_template("catalog/listings/listing_form.html", form=form, listing=item), status


@bp.route("/listings/new", methods=["GET", "POST"])
def new_listing():
    require(can.can_create_listing(current_user))
    form = ListingForm()
    if request.method == "POST" and form.validate():
        try:
            item = services.create_listing(consortium=current_consortium(), vendor=current_user.organization,
                                           data=form.to_data(), actor=current_user)
        except ValidationFailed as err:
            refuse_form(form, err)
            return _render_form(form, None, 400)
        db.session.commit()
        flash(f"Draft “{item.title}” saved. Submit it for approval when it is ready.", "success")
        return redirect(url_for("catalog.my_listings"))
    return _render_form(form, None, 400 if request.method == "POST" else 200)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
def edit_listing(listing_id: int):
    item = queries.get_listing_or_404(listing_id, current_user)
    require(can.can_edit_listing(current_user, item))
    form = ListingForm()
    if request.method == "GET":
        revision = item.pending_revision
        form.fill(revision.proposed if revision else listing_content(item))
        return _render_form(form, item)
    if not form.validate():
        return _render_form(form, item, 400)
    was_live = item.status in EDITABLE_BY_REVISION
    try:
        services.update_listing(item, form.to_data(), actor=current_user)
    except ValidationFailed as err:
        refuse_form(form, err)
        return _render_form(form, item, 400)
    db.session.commit()
    if was_live:
        flash("Your changes are awaiting approval. The approved version stays live until then.", "success")
    else:
        flash("Changes saved.", "success")
    return redirect(url_for("catalog.my_listings"))


def _act(listing_id: int, allowed, action, message: str, *, reason_form: bool = False, back: str = "listing",
         confirm: str | None = None):
    """One lifecycle step from a button. Input problems (a missing reason, an incomplete listing) come back
    as a message on the page (on the confirmation page of a `confirm` step, at its reason field); a step
    the listing's state no longer allows is a 409 page with what happened and who did it (the domain
    error handler renders it)."""
    item = queries.get_listing_or_404(listing_id, current_user)
    require(allowed(current_user, item))
    reason = ReasonForm().reason.data if reason_form else None
    try:
        item = action(item, actor=current_user, **({"reason": reason} if reason_form else {}))
    except ValidationFailed as err:
        db.session.rollback()
        if confirm is not None and reason_error(err):
            item = queries.get_listing_or_404(listing_id, current_user)
            return render_confirmation(_confirmation(item, confirm), reason=reason, error=err)
        flash(err.in_full, "error")
        target = "catalog.review" if back == "review" else "catalog.listing"
        return redirect(url_for(target, listing_id=listing_id)), 303
    db.session.commit()
    flash(message.format(title=item.title), "success")
    if back == "queue":
        return redirect(url_for("catalog.queue"))
    return redirect(url_for("catalog.listing", listing_id=item.id) if can.can_view_listing(current_user, item)
                    else url_for("catalog.my_listings"))


def _confirmation(item: Listing, step: str):
    """The confirmation page of `withdraw` (the vendor) or `request_changes` (the office, on a submission or
    on the pending revision of a live listing). Raises 409 as the POST would when the step is not open."""
    if step == "withdraw":
        check_step(services.LISTING_LIFECYCLE, step, current_user, item)
        blocker = services.withdraw_blocker(item)
        if blocker:
            raise Conflict(blocker)
        return confirmation(services.LISTING_LIFECYCLE, step, item, name=f"“{item.title}”",
                            action=url_for("catalog.withdraw", listing_id=item.id),
                            back=url_for("catalog.my_listings"), consequences=queries.withdraw_consequences(item),
                            seen_by=["Buyers, the consortium office and the public no longer see it in the catalog; "
                                     "the office sees your reason in its history."],
                            undo="This cannot be undone: to offer it again, create a new listing.")
    revision = queries.latest_revision(item) if item.status in EDITABLE_BY_REVISION else None
    lifecycle, target = ((services.REVISION_LIFECYCLE, revision) if revision is not None
                         else (services.LISTING_LIFECYCLE, item))
    check_step(lifecycle, step, current_user, target)
    state_change = (f"The proposed change to “{item.title}” will be sent back for changes." if revision is not None
                    else None)
    return confirmation(lifecycle, step, target, name=f"“{item.title}”", state_change=state_change,
                        title=f"Send “{item.title}” back for changes?", button="Request changes",
                        action=url_for("catalog.request_changes", listing_id=item.id),
                        back=url_for("catalog.review", listing_id=item.id),
                        consequences=queries.request_changes_consequences(item, revision),
                        seen_by=[f"{item.vendor.name} sees your reason on its listings page and in the listing's "
                                 "history."],
                        undo=f"{item.vendor.name} can edit it and submit it again.")


def _ask(listing_id: int, allowed, step: str):
    """GET on a confirmed step's URL: its confirmation page (403 / 409 as the POST would answer)."""
    item = queries.get_listing_or_404(listing_id, current_user)
    require(allowed(current_user, item))
    return render_confirmation(_confirmation(item, step))


@bp.route("/listings/<int:listing_id>/submit", methods=["POST"])
def submit(listing_id: int):
    return _act(listing_id, can.can_submit_listing, services.submit_listing,
                "“{title}” is submitted. The consortium office will review it.")


@bp.route("/listings/<int:listing_id>/withdraw", methods=["GET", "POST"])
def withdraw(listing_id: int):
    if request.method == "GET":
        return _ask(listing_id, can.can_withdraw_listing, "withdraw")
    return _act(listing_id, can.can_withdraw_listing, services.withdraw_listing,
                "“{title}” is withdrawn from the marketplace.", reason_form=True, confirm="withdraw")


@bp.route("/listings/<int:listing_id>/approve", methods=["POST"])
def approve(listing_id: int):
    response = _act(listing_id, can.can_approve_listing, services.approve_listing,
                    "“{title}” is approved and live.", reason_form=True, back="queue")
    return _offer_amendment(listing_id, response)


def _offer_amendment(listing_id: int, response):
    """After an approval that left list prices below contract prices of active vehicles, the admin lands
    on the vehicle's price-schedule amendment (the contracts domain's page, by endpoint name), or on the
    review page, which links each vehicle's when there are several."""
    if getattr(response, "status_code", None) != 302:
        return response
    conflicts = services.live_price_conflicts(queries.get_listing_or_404(listing_id, current_user))
    if not conflicts:
        return response
    numbers = sorted({c.vehicle_number for c in conflicts})
    flash(f"Some list prices are now below contract prices on {', '.join(numbers)}: amend the price "
          f"schedule{'s' if len(numbers) > 1 else ''} to at most the new list prices.", "info")
    if len(numbers) == 1:
        return redirect(url_for("vehicles.amend_schedule", vehicle_id=conflicts[0].vehicle_id))
    return redirect(url_for("catalog.review", listing_id=listing_id))


@bp.route("/listings/<int:listing_id>/request-changes", methods=["GET", "POST"])
def request_changes(listing_id: int):
    if request.method == "GET":
        return _ask(listing_id, can.can_request_listing_changes, "request_changes")
    return _act(listing_id, can.can_request_listing_changes, services.request_changes,
                "Changes requested on “{title}”.", reason_form=True, back="review", confirm="request_changes")


@bp.route("/listings/<int:listing_id>/suspend", methods=["POST"])
def suspend(listing_id: int):
    return _act(listing_id, can.can_suspend_listing, services.suspend_listing, "“{title}” is suspended.",
                reason_form=True)


@bp.route("/listings/<int:listing_id>/reinstate", methods=["POST"])
def reinstate(listing_id: int):
    return _act(listing_id, can.can_reinstate_listing, services.reinstate_listing, "“{title}” is reinstated.",
                reason_form=True)


@bp.route("/review")
def queue():
    require(can.can_review_listings(current_user))
    return render_template("catalog/listings/queue.html", entries=queries.approval_queue())


@bp.route("/review/export.csv")
def queue_csv():
    require(can.can_review_listings(current_user))
    entries = queries.approval_queue()
    return csv_response("review-queue.csv", ["kind", "waiting_since", *LISTING_COLUMNS.header],
                        [[kind, since, *LISTING_COLUMNS.row(item)] for kind, since, item in entries])


@bp.route("/review/<int:listing_id>")
def review(listing_id: int):
    item = queries.get_listing_or_404(listing_id, current_user)
    require(can.can_review_listings(current_user))
    revision = item.pending_revision
    if item.status == "submitted":
        rows = diff_content(None, listing_content(item))
        kind = "resubmission" if item.published_at is not None else "submission"
    elif revision is not None:
        rows = diff_content(listing_content(item), revision.proposed)
        kind = "revision"
    else:
        rows, kind = [], None
    return render_template("catalog/listings/review.html", listing=item, rows=rows, kind=kind, revision=revision,
                           form=ReasonForm(),
                           conflicts=services.pending_price_conflicts(item) if kind == "revision" else [],
                           live_conflicts=services.live_price_conflicts(item)
                           if item.status in EDITABLE_BY_REVISION else [])
