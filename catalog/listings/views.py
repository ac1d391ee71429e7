"""Catalog pages: search, listing pages, vendors' listings and forms, the admins' approval queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.listings import permissions as permissions
from catalog.listings import services as services
from catalog.listings.diff import diff_content
from catalog.listings.forms import ListingForm, ReasonForm
from catalog.listings.models import CATEGORIES, PRICING_MODELS, Listing, ListingRevision
from catalog.pilots.services import proven_listing_ids, verified_pilots_for
from catalog.search import services as indexing
from consortium.context import belongs, current_consortium, require
from consortium.models import User
from marketplace.audit import AuditEvent
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import parse_id, whole_number
from marketplace.tenancy import get_or_404

bp = Blueprint("catalog", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

PER_PAGE = 20
STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Awaiting approval",
    "changes_requested": "Changes requested",
    "published": "Published",
    "suspended": "Suspended",
    "withdrawn": "Withdrawn",
}


@bp.app_template_global()
def listing_status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@bp.app_template_global()
def category_label(code: str) -> str:
    return CATEGORIES.get(code, code)




def _listing_or_404(listing_id: int) -> Listing:
    listing = get_or_404(Listing, listing_id)
    if not permissions.can_view_listing(current_user, listing):
        abort(404)
    return listing


def _search_args() -> dict:
    args = request.args
    page = args.get("page", "1")
    filters = {
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "pricing_model": args.get("pricing_model") if args.get("pricing_model") in PRICING_MODELS else None,
        "proven": True if args.get("proven") in ("1", "true", "yes", "on") else None,
        "vendor_id": parse_id(args.get("vendor")),
        "page": whole_number(page, low=1, high=99999) or 1,
        "per_page": PER_PAGE,
    }
    return filters


@bp.route("/catalog")
def search():
    consortium = current_consortium()
    q = (request.args.get("q") or "")[:500]
    filters = _search_args()
    result = indexing.search(consortium.id, q, **filters)
    listings = indexing.load_published(result.ids)
    vendor_names = {int(k): v for k, v in result.vendor_names.items()}
    pages = max(1, -(-result.total // PER_PAGE))
    return render_template(
        "catalog/listings/search.html", q=q, filters=filters, result=result, listings=listings, pages=pages,
        categories=CATEGORIES, pricing_models=PRICING_MODELS, vendor_names=vendor_names,
        proven_ids=proven_listing_ids([listing.id for listing in listings]),
    )


@bp.route("/listings/<int:listing_id>")
def listing(listing_id: int):
    item = _listing_or_404(listing_id)
    # The proven badge is public; the evidence itself is for the people of the consortium (DESIGN 3).
    pilots = verified_pilots_for([item.id]).get(item.id, []) if belongs(current_user) else []
    return render_template(
        "catalog/listings/listing.html", listing=item, content=services.listing_content(item), pilots=pilots,
        proven=item.id in proven_listing_ids([item.id]), preview=False, member_view=belongs(current_user),
        can_edit=permissions.can_edit_listing(current_user, item),
        can_review=permissions.can_review_listings(current_user),
        can_history=permissions.can_see_history(current_user, item),
        can_record_pilot=permissions.can_record_pilot(current_user) and item.status == "published",
        extra_panels=_listing_panels(item),
    )


def _listing_panels(item: Listing) -> list:
    """Panels other domains add to the listing page (vehicles that cover it, once they exist)."""
    return [panel(item) for panel in current_app.extensions.get("listing_panels", [])]


@bp.route("/listings/<int:listing_id>/preview")
def preview(listing_id: int):
    item = _listing_or_404(listing_id)
    require(permissions.can_see_history(current_user, item))
    revision = item.pending_revision
    content = revision.proposed if revision else services.listing_content(item)
    return render_template(
        "catalog/listings/listing.html", listing=item, content=content, pilots=[], proven=False, preview=True,
        revision=revision, can_edit=False, can_review=False, can_history=False, can_record_pilot=False,
        extra_panels=[],
    )


@bp.route("/listings/<int:listing_id>/history")
def history(listing_id: int):
    item = _listing_or_404(listing_id)
    require(permissions.can_see_history(current_user, item))
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "listing", AuditEvent.object_id == item.id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in events})))}
    return render_template("catalog/listings/history.html", listing=item, events=events, actors=actors)


@bp.route("/vendor/listings")
def my_listings():
    require(permissions.can_create_listing(current_user))
    listings = db.session.scalars(
        select(Listing)
        .where(Listing.vendor_id == current_user.organization_id)
        .options(selectinload(Listing.revisions), selectinload(Listing.price_items))
        .order_by(Listing.updated_at.desc(), Listing.id.desc())
    ).all()
    return render_template("catalog/listings/my_listings.html", listings=listings)


def _render_form(form: ListingForm, item: Listing | None, status: int = 200):
    form.add_blank_rows()
    return render_template("catalog/listings/listing_form.html", form=form, listing=item), status


@bp.route("/listings/new", methods=["GET", "POST"])
def new_listing():
    require(permissions.can_create_listing(current_user))
    form = ListingForm()
    if request.method == "POST" and form.validate():
        try:
            item = services.create_listing(consortium=current_consortium(), vendor=current_user.organization,
                                           data=form.to_data(), actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            form.attach_errors(err.fields)
            return _render_form(form, None, 400)
        db.session.commit()
        flash(f"Draft “{item.title}” saved. Submit it for approval when it is ready.", "success")
        return redirect(url_for("catalog.my_listings"))
    return _render_form(form, None, 400 if request.method == "POST" else 200)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
def edit_listing(listing_id: int):
    item = _listing_or_404(listing_id)
    require(permissions.can_edit_listing(current_user, item))
    form = ListingForm()
    if request.method == "GET":
        revision = item.pending_revision
        form.fill(revision.proposed if revision else services.listing_content(item))
        return _render_form(form, item)
    if not form.validate():
        return _render_form(form, item, 400)
    was_live = item.status in ("published", "suspended")
    try:
        services.update_listing(item, form.to_data(), actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        form.attach_errors(err.fields)
        return _render_form(form, item, 400)
    db.session.commit()
    if was_live:
        flash("Your changes are awaiting approval. The approved version stays live until then.", "success")
    else:
        flash("Changes saved.", "success")
    return redirect(url_for("catalog.my_listings"))


def _act(listing_id: int, allowed, action, message: str, *, reason_form: bool = False, back: str = "listing"):
    item = _listing_or_404(listing_id)
    require(allowed(current_user, item))
    reason = ReasonForm().reason.data if reason_form else None
    try:
        action(item, actor=current_user, **({"reason": reason} if reason_form else {}))
    except DomainError as err:
        db.session.rollback()
        flash(err.message + (" " + " ".join(err.fields.values()) if err.fields else ""), "error")
        target = "catalog.review" if back == "review" else "catalog.listing"
        return redirect(url_for(target, listing_id=listing_id)), 303
    db.session.commit()
    flash(message.format(title=item.title), "success")
    if back == "queue":
        return redirect(url_for("catalog.queue"))
    return redirect(url_for("catalog.listing", listing_id=item.id) if item.status == "published"
                    or permissions.can_view_listing(current_user, item) else url_for("catalog.my_listings"))


@bp.route("/listings/<int:listing_id>/submit", methods=["POST"])
def submit(listing_id: int):
    return _act(listing_id, permissions.can_submit_listing, services.submit_listing,
                "“{title}” is submitted. The consortium office will review it.")


@bp.route("/listings/<int:listing_id>/withdraw", methods=["POST"])
def withdraw(listing_id: int):
    return _act(listing_id, permissions.can_withdraw_listing, services.withdraw_listing,
                "“{title}” is withdrawn from the marketplace.", reason_form=True)


def _admin(user, item) -> bool:
    return permissions.can_review_listings(user)


@bp.route("/listings/<int:listing_id>/approve", methods=["POST"])
def approve(listing_id: int):
    return _act(listing_id, _admin, services.approve_listing, "“{title}” is approved and live.",
                reason_form=True, back="queue")


@bp.route("/listings/<int:listing_id>/request-changes", methods=["POST"])
def request_changes(listing_id: int):
    return _act(listing_id, _admin, services.request_changes, "Changes requested on “{title}”.",
                reason_form=True, back="review")


@bp.route("/listings/<int:listing_id>/suspend", methods=["POST"])
def suspend(listing_id: int):
    return _act(listing_id, _admin, services.suspend_listing, "“{title}” is suspended.", reason_form=True)


@bp.route("/listings/<int:listing_id>/reinstate", methods=["POST"])
def reinstate(listing_id: int):
    return _act(listing_id, _admin, services.reinstate_listing, "“{title}” is reinstated.", reason_form=True)


@bp.route("/review")
def queue():
    require(permissions.can_review_listings(current_user))
    submitted = db.session.scalars(
        select(Listing).where(Listing.status == "submitted").options(selectinload(Listing.vendor))
        .order_by(Listing.submitted_at, Listing.id)
    ).all()
    revisions = db.session.scalars(
        select(ListingRevision).where(ListingRevision.status == "pending")
        .options(selectinload(ListingRevision.listing).selectinload(Listing.vendor))
        .order_by(ListingRevision.created_at, ListingRevision.id)
    ).all()
    entries = [("submission", x.submitted_at, x) for x in submitted]
    entries += [("revision", r.created_at, r.listing) for r in revisions]
    entries.sort(key=lambda e: (e[1], e[2].id))
    return render_template("catalog/listings/queue.html", entries=entries)


@bp.route("/review/<int:listing_id>")
def review(listing_id: int):
    item = _listing_or_404(listing_id)
    require(permissions.can_review_listings(current_user))
    revision = item.pending_revision
    if item.status == "submitted":
        was_published = item.published_at is not None
        rows = diff_content(None, services.listing_content(item))
        kind = "resubmission" if was_published else "submission"
    elif revision is not None:
        rows = diff_content(services.listing_content(item), revision.proposed)
        kind = "revision"
    else:
        rows, kind = [], None
    return render_template("catalog/listings/review.html", listing=item, rows=rows, kind=kind, revision=revision,
                           form=ReasonForm())
