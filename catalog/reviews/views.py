"""Review pages: writing a review, a review with its moderation and answer, the office's moderation queue, the
reviews panel of the listing page, and a vendor's page with its performance record."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from catalog.listings.models import Listing
from catalog.listings.queries import get_listing_or_404
from catalog.reviews import queries, services
from catalog.reviews.columns import REVIEW_COLUMNS
from catalog.reviews.forms import ResponseForm, ReviewForm
from catalog.reviews.models import RATINGS, Review
from catalog.reviews.permissions import can_respond_review, can_write_reviews
from consortium.context import belongs, current_consortium, require
from consortium.permissions import is_admin_here
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.csvexport import stream_scalars
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formerrors import refuse_form

bp = Blueprint("reviews", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")


def _stars(value) -> str:
    return "—" if value is None else f"{value:.1f}"


bp.add_app_template_filter(_stars, "stars")


def _eligible_orders(listing: Listing) -> list[queries.ReviewableOrder]:
    if listing.status != "published" or not can_write_reviews(current_user):
        return []
    return queries.unreviewed_orders(current_user, listing)


def listing_reviews_panel(listing: Listing) -> Markup:
    """The listing page's reviews: averages and count, the reviews the viewer may see with their answers, the
    vendor's performance record, and a link to write a review for a city with an order to review."""
    if not belongs(current_user) or listing.status not in ("published", "suspended", "withdrawn"):
        return Markup("")
    return Markup(render_template(
        "catalog/reviews/_listing_panel.html", listing=listing, averages=queries.averages(listing.id),
        reviews=queries.visible_reviews(listing, current_user), ratings=RATINGS,
        can_write=bool(_eligible_orders(listing)), response_form=ResponseForm(formdata=None),
        may_respond=lambda review: can_respond_review(current_user, review),
        record=queries.REVIEW_ORDERS.performance_record(listing.consortium_id, listing.vendor_id),
    ))


def _register_listing_panel(state) -> None:
    state.app.extensions.setdefault("listing_panels", []).append(listing_reviews_panel)


bp.record_once(_register_listing_panel)


@bp.route("/listings/<int:listing_id>/reviews/new", methods=["GET", "POST"])
def new(listing_id: int):
    require(True)  # signed in (401) and of this consortium (404)
    listing = get_listing_or_404(listing_id, current_user)
    if not can_write_reviews(current_user):
        raise PermissionDenied(services.NOT_A_BUYER)
    orders = _eligible_orders(listing)
    form = ReviewForm()
    form.order_id.choices = [("", "- Select -")] + [(str(o.order_id), o.label) for o in orders]
    if request.method == "POST":
        try:
            services.submit_review(listing, form.to_data(), actor=current_user)
            db.session.commit()
            flash("Thank you: your review was sent to the consortium office, which publishes it for everyone "
                  "in the consortium.", "success")
            return redirect(url_for("catalog.listing", listing_id=listing.id, _anchor="reviews"))
        except ValidationFailed as err:
            refuse_form(form, err)
    status = 400 if request.method == "POST" else 200
    return render_template("catalog/reviews/new.html", form=form, listing=listing, orders=orders), status


def _detail(review: Review, form: ResponseForm | None = None, status: int = 200):
    return render_template(
        "catalog/reviews/review.html", review=review, ratings=RATINGS,
        may={step: services.REVIEW_LIFECYCLE.may(step, current_user, review) for step in ("publish", "reject")},
        response_form=form or ResponseForm(formdata=None), may_respond=can_respond_review(current_user, review),
    ), status


@bp.route("/reviews/<int:review_id>")
def review(review_id: int):
    return _detail(queries.get_review_or_404(review_id, current_user))


@bp.route("/reviews/<int:review_id>/publish", methods=["GET", "POST"])
def publish(review_id: int):
    item = queries.get_review_or_404(review_id, current_user)
    page = confirmation(
        services.REVIEW_LIFECYCLE, "publish", item, name=f"of “{item.listing.title}” by {item.member.name}",
        action=request.path, back=url_for("reviews.review", review_id=item.id),
        consequences=["Its ratings count in the listing's averages and in the catalog's sort by rating."],
        seen_by=["Everyone in the consortium sees the review on the listing page.",
                 f"{item.listing.vendor.name} is told and may answer it once."])
    if request.method == "GET":
        check_step(services.REVIEW_LIFECYCLE, "publish", current_user, item)
        return render_confirmation(page)
    services.publish_review(item, actor=current_user)
    db.session.commit()
    flash("Review published.", "success")
    return redirect(url_for("reviews.queue") if is_admin_here(current_user) else
                    url_for("reviews.review", review_id=item.id))


@bp.route("/reviews/<int:review_id>/reject", methods=["GET", "POST"])
def reject(review_id: int):
    item = queries.get_review_or_404(review_id, current_user)

    def page():
        return confirmation(
            services.REVIEW_LIFECYCLE, "reject", item, name=f"of “{item.listing.title}” by {item.member.name}",
            action=request.path, back=url_for("reviews.review", review_id=item.id),
            consequences=["The review is never shown on the listing page and does not count in its averages."],
            seen_by=[f"{item.member.name} sees the review as rejected, with your reason."])

    if request.method == "GET":
        check_step(services.REVIEW_LIFECYCLE, "reject", current_user, item)
        return render_confirmation(page())
    try:
        services.reject_review(item, actor=current_user, reason=request.form.get("reason"))
    except ValidationFailed as err:
        db.session.rollback()
        if reason_error(err):
            return render_confirmation(page(), reason=request.form.get("reason"), error=err)
        raise
    db.session.commit()
    flash("Review rejected.", "success")
    return redirect(url_for("reviews.queue"))


@bp.route("/reviews/<int:review_id>/respond", methods=["POST"])
def respond(review_id: int):
    item = queries.get_review_or_404(review_id, current_user)
    form = ResponseForm()
    try:
        services.respond_review(item, form.text.data, actor=current_user)
    except ValidationFailed as err:
        db.session.rollback()
        form.text.errors = [err.fields.get("text", err.message)]
        return _detail(item, form, 400)
    db.session.commit()
    flash("Your answer is published under the review.", "success")
    return redirect(url_for("catalog.listing", listing_id=item.listing_id, _anchor=f"review-{item.id}"))


@bp.route("/reviews")
def queue():
    require(is_admin_here(current_user))
    waiting, decided = queries.moderation_queue(current_consortium().id)
    return render_template("catalog/reviews/queue.html", waiting=waiting, decided=decided, ratings=RATINGS)


@bp.route("/reviews/export.csv")
def export():
    require(is_admin_here(current_user))
    return REVIEW_COLUMNS.response(f"reviews-{current_consortium().slug}.csv",
                                   stream_scalars(queries.all_reviews_stmt(current_consortium().id)))


@bp.route("/vendors/<int:org_id>")
def vendor(org_id: int):
    org = queries.get_vendor_or_404(org_id, current_user)
    record = queries.REVIEW_ORDERS.performance_record(current_consortium().id, org.id)
    return render_template("catalog/reviews/vendor.html", vendor=org, record=record)
