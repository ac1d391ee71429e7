"""Loading reviews for pages and the API alike: the reviews one may see, a listing's averages, the moderation
queue and the work-queue items. Every query is scoped to the current consortium by `marketplace.tenancy`.

It also holds the reviews' **contracts port** (`REVIEW_ORDERS`): which orders entitle a person to review a
listing, and the vendor performance record, both answered by the contracts domain (which the catalog may not
import). By default it answers "none"; the application factory plugs in `contracts.orders.reviewing` and
`contracts.observations.record` with `provide_review_orders(...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from flask import abort, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from catalog.listings.models import Listing
from catalog.reviews.models import RATINGS, Review
from catalog.reviews.permissions import can_moderate_review, can_respond_review, can_view_review
from consortium.context import current_consortium, organizations_in, require
from consortium.permissions import is_office_of
from marketplace.extensions import db
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404

# --- the contracts port ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewableOrder:
    """An order of the person's member city, active or completed, that bought the listing."""

    order_id: int
    label: str  # "TO-000042 (PO MSA-2026-0311), active"


def _no_orders(user, listing) -> list[ReviewableOrder]:
    return []


def _no_record(consortium_id: int, vendor_id: int):
    return None


@dataclass
class ReviewOrders:
    """What reviews ask the contracts domain.

    `eligible_orders(user, listing)` → [ReviewableOrder]: the active or completed orders of the user's member
    city that include the listing (one query). `performance_record(consortium_id, vendor_id)` → an object
    with the vendor's record (`contracts.observations.record.PerformanceRecord`: attributes and `to_json()`),
    computed in a bounded number of queries."""

    eligible_orders: Callable[..., list[ReviewableOrder]] = _no_orders
    performance_record: Callable[..., object] = _no_record


REVIEW_ORDERS = ReviewOrders()


def provide_review_orders(*, eligible_orders, performance_record) -> None:
    """Plug the contracts domain's answers into the port (called once, by the application factory)."""
    REVIEW_ORDERS.eligible_orders = eligible_orders
    REVIEW_ORDERS.performance_record = performance_record


def unreviewed_orders(user, listing) -> list[ReviewableOrder]:
    """The user's city's orders that entitle it to review the listing and carry no review yet."""
    orders = REVIEW_ORDERS.eligible_orders(user, listing)
    if not orders:
        return []
    taken = set(db.session.scalars(select(Review.order_id).where(Review.order_id.in_([o.order_id for o in orders]))))
    return [o for o in orders if o.order_id not in taken]


# --- loading -------------------------------------------------------------------------------------------


def get_review_or_404(review_id, user) -> Review:
    """A review of the current consortium the user may see; otherwise 404 (no enumeration)."""
    require(True)  # signed in (401) and of this consortium (404)
    review = get_or_404(Review, review_id)
    if not can_view_review(user, review):
        abort(404)
    return review


def _with_people(stmt):
    return stmt.options(joinedload(Review.member), joinedload(Review.author), joinedload(Review.responded_by),
                        joinedload(Review.listing).joinedload(Listing.vendor))


def visible_reviews(listing: Listing, user) -> list[Review]:
    """The listing's reviews the user may see, newest first: published ones, plus the submitted and rejected
    ones of the user's own city (every one for the office). One query."""
    stmt = select(Review).where(Review.listing_id == listing.id)
    if not is_office_of(user, listing.consortium_id):
        own = Review.member_id == user.organization_id
        stmt = stmt.where((Review.status == "published") | own)
    return list(db.session.scalars(_with_people(stmt).order_by(Review.created_at.desc(), Review.id.desc())))


@dataclass(frozen=True)
class Averages:
    """The published reviews' average per rating (unrounded Decimal; None without reviews) and their count."""

    count: int
    ratings: dict[str, Decimal | None]


def averages(listing_id: int) -> Averages:
    """Averages over the listing's published reviews, exact: sums and the count in SQL, the division in
    Decimal (SQL's AVG would be a float on SQLite). One query."""
    row = db.session.execute(
        select(func.count(Review.id), *[func.coalesce(func.sum(getattr(Review, name)), 0) for name in RATINGS])
        .where(Review.listing_id == listing_id, Review.status == "published")).one()
    count = row[0] or 0
    return Averages(count=count, ratings={name: (Decimal(int(total)) / count if count else None)
                                          for name, total in zip(RATINGS, row[1:], strict=True)})


def moderation_queue(consortium_id: int) -> tuple[list[Review], list[Review]]:
    """The office's queue: reviews waiting for a decision (oldest first) and the 20 latest decided."""
    base = _with_people(select(Review).where(Review.consortium_id == consortium_id))
    waiting = list(db.session.scalars(base.where(Review.status == "submitted").order_by(Review.created_at, Review.id)))
    decided = list(db.session.scalars(base.where(Review.status != "submitted")
                                      .order_by(Review.decided_at.desc(), Review.id.desc()).limit(20)))
    return waiting, decided


def all_reviews_stmt(consortium_id: int):
    """Every review of the consortium, newest first (the office's CSV)."""
    return _with_people(select(Review).where(Review.consortium_id == consortium_id)
                        .order_by(Review.created_at.desc(), Review.id.desc()))


def get_vendor_or_404(org_id: int, user):
    """A vendor supplying the current consortium (401 anonymous; 404 for members, the office, other tenants'
    organizations and strangers)."""
    require(True)  # signed in (401) and of this consortium (404)
    vendor = next((o for o in organizations_in(current_consortium(), "vendor") if o.id == org_id), None)
    if vendor is None:
        abort(404)
    return vendor


# --- the work queue (marketplace.queue) -------------------------------------------------------------------


@provider
def reviews_waiting(user, consortium) -> list[QueueItem]:
    """The office: submitted reviews to publish or reject. A vendor: published reviews of its listings it has
    not answered. One query each."""
    if user.role == "admin":
        rows = db.session.scalars(_with_people(select(Review).where(
            Review.consortium_id == consortium.id, Review.status == "submitted")))
        return [QueueItem("moderate_review", f"Review of “{r.listing.title}” by {r.member.name}",
                          "Publish or reject the review", "review", r.id,
                          url_for("reviews.review", consortium_slug=consortium.slug, review_id=r.id), r.created_at)
                for r in rows if can_moderate_review(user, r)]
    if user.role == "vendor":
        rows = db.session.scalars(_with_people(select(Review).join(Review.listing).where(
            Review.consortium_id == consortium.id, Review.status == "published", Review.response.is_(None),
            Listing.vendor_id == user.organization_id)))
        return [QueueItem("answer_review", f"Review of “{r.listing.title}” by {r.member.name}",
                          "Answer the review", "review", r.id,
                          url_for("reviews.review", consortium_slug=consortium.slug, review_id=r.id),
                          r.decided_at or r.created_at)
                for r in rows if can_respond_review(user, r)]
    return []
