"""Reviews: writing one (verified purchase only, once per order), moderation and the vendor's one answer.

The moderation lifecycle is the table below; `marketplace.transitions.run` executes its steps (locked re-read,
state check, predicate, audit event). Services take the acting user, validate (every problem at once), flush,
write an audit event and never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalog.listings.models import Listing
from catalog.reviews import permissions as can
from catalog.reviews.models import RATINGS, REVIEW_STATUSES, Review
from catalog.reviews.queries import REVIEW_ORDERS
from catalog.reviews.validation import clean_response, clean_review
from consortium.models import User
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day
from marketplace.transitions import Lifecycle, transition

NOT_A_BUYER = "Only buyers and approvers of member cities review listings."
NO_ORDER = ("Your city can review this listing only through an active or completed order that includes it; "
            "choose one of those orders.")


def _stamp_decided(review: Review, ctx) -> None:
    review.decided_by_id, review.decided_at = ctx.actor.id, utcnow()
    review.status_reason = ctx.reason


REVIEW_LIFECYCLE = Lifecycle(
    model=Review, noun="review", states=REVIEW_STATUSES, object_type="review",
    state_labels={"submitted": "waiting for moderation"},
    transitions=(
        transition("publish", {"submitted"}, "published", can.can_moderate_review, "review.published", "published",
                   reason="none", effects=(_stamp_decided,), denied="Only the consortium office publishes reviews."),
        transition("reject", {"submitted"}, "rejected", can.can_moderate_review, "review.rejected", "rejected",
                   reason="required", effects=(_stamp_decided,), denied="Only the consortium office rejects reviews.",
                   reason_message="Say why the review is rejected: its author reads it."),
    ),
)

CONTENT = ("listing_id", "member_id", "order_id", *RATINGS, "text", "status")


def _already_reviewed(order_id: int) -> str:
    existing = db.session.scalar(select(Review).where(Review.order_id == order_id))
    when = f" on {day(existing.created_at.date())}" if existing is not None else ""
    who = f" by {existing.author.name}" if existing is not None else ""
    return f"This order was already reviewed{who}{when}: a city reviews a listing once per order."


def submit_review(listing: Listing, data: dict, *, actor: User) -> Review:
    """A buyer or approver of a member city reviews a listing its city bought through an active or
    completed order (`REVIEW_ORDERS.eligible_orders`), once per order; the review waits for moderation."""
    if not can.can_write_reviews(actor):
        raise PermissionDenied(NOT_A_BUYER)
    clean = clean_review(data)
    eligible = {o.order_id for o in REVIEW_ORDERS.eligible_orders(actor, listing)}
    if not eligible:
        raise PermissionDenied("Your city has no active or completed order for this listing, so it cannot review it.")
    if clean["order_id"] not in eligible:
        raise ValidationFailed("The review cannot be submitted.", {"order_id": NO_ORDER})
    if db.session.scalar(select(Review.id).where(Review.order_id == clean["order_id"])) is not None:
        raise Conflict(_already_reviewed(clean["order_id"]))
    review = Review(consortium_id=listing.consortium_id, listing_id=listing.id, member_id=actor.organization_id,
                    author_id=actor.id, status="submitted", **clean)
    try:
        with db.session.begin_nested():  # two tabs submitting at once: the unique order id decides
            db.session.add(review)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_already_reviewed(clean["order_id"])) from None
    audit.record(consortium_id=review.consortium_id, actor=actor, action=audit.REVIEW_SUBMITTED, obj=review,
                 after=audit.snapshot(review, list(CONTENT)))
    return review


def publish_review(review: Review, *, actor: User) -> Review:
    """The office publishes a submitted review: everyone in the consortium sees it, its listing's averages
    count it and the vendor is told."""
    return transitions.run(REVIEW_LIFECYCLE, review, "publish", actor=actor)


def reject_review(review: Review, *, actor: User, reason: str | None) -> Review:
    """The office rejects a submitted review with a reason its author's city reads."""
    return transitions.run(REVIEW_LIFECYCLE, review, "reject", actor=actor, reason=reason)


def respond_review(review: Review, text, *, actor: User) -> Review:
    """The listing's vendor answers a published review, once (a second answer is a conflict)."""
    clean = clean_response(text)
    db.session.flush()
    fresh = transitions.lock(Review, review.id)
    if fresh.response is not None:
        who = fresh.responded_by.name if fresh.responded_by else "the vendor"
        raise Conflict(f"This review was already answered by {who} on {day(fresh.responded_at.date())}; "
                       "a vendor answers a review once.")
    if not can.can_respond_review(actor, fresh):
        if fresh.status != "published":
            raise Conflict(f"This review is {REVIEW_LIFECYCLE.label(fresh.status)}; only published reviews "
                           "can be answered.")
        raise PermissionDenied("Only the vendor of the reviewed listing answers a review.")
    fresh.response, fresh.responded_by_id, fresh.responded_at = clean, actor.id, utcnow()
    db.session.flush()
    audit.record(consortium_id=fresh.consortium_id, actor=actor, action=audit.REVIEW_RESPONDED, obj=fresh,
                 after={"response": clean})
    return fresh
