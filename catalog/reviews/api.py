"""JSON API for reviews (DESIGN section 7): write and read a listing's reviews, moderate, answer; and a
vendor's performance record."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from catalog.listings.queries import get_listing_or_404
from catalog.reviews import queries, services
from catalog.reviews.models import RATING_MAX, RATING_MIN, RATINGS, RESPONSE_MAX, REVIEW_STATUSES, TEXT_MAX, Review
from consortium.context import current_consortium, require
from marketplace.api import DATETIME, ID, created, operation
from marketplace.extensions import db

api = Blueprint("reviews_api", __name__, url_prefix="/api/v1")

RATING = {"type": "integer", "minimum": RATING_MIN, "maximum": RATING_MAX, "example": 4,
          "description": f"Whole stars from {RATING_MIN} to {RATING_MAX}."}
REVIEW_IN = {
    "type": "object", "additionalProperties": False, "required": ["order_id", *RATINGS, "text"],
    "properties": {"order_id": {**ID, "description": "An active or completed order of your city that includes the "
                                                     "listing, not reviewed yet."},
                   **{name: RATING for name in RATINGS},
                   "text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX}},
}
REJECT_IN = {"type": "object", "additionalProperties": False, "required": ["reason"],
             "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}
RESPOND_IN = {"type": "object", "additionalProperties": False, "required": ["text"],
              "properties": {"text": {"type": "string", "minLength": 1, "maxLength": RESPONSE_MAX}}}
_PERSON = {"type": "object", "properties": {"id": ID, "name": {"type": "string"}}}
_NULLABLE_TIME = {**DATETIME, "type": ["string", "null"]}
REVIEW_OUT = {
    "type": "object",
    "required": ["id", "status", "listing_id", "order_id", "member", *RATINGS, "text", "response"],
    "properties": {
        "id": ID, "status": {"type": "string", "enum": list(REVIEW_STATUSES)}, "listing_id": ID, "order_id": ID,
        "member": _PERSON, "author": _PERSON, **{name: RATING for name in RATINGS}, "text": {"type": "string"},
        "reason": {"type": ["string", "null"], "description": "Why the office rejected it."},
        "created_at": DATETIME, "decided_at": _NULLABLE_TIME,
        "response": {"type": ["string", "null"], "description": "The vendor's one answer."},
        "responded_at": _NULLABLE_TIME,
    },
}
_AVERAGE = {"type": ["string", "null"], "description": "Unrounded average of the published reviews; null without."}
REVIEWS_OUT = {
    "type": "object", "required": ["count", "averages", "results"],
    "properties": {"count": {"type": "integer", "description": "Published reviews."},
                   "averages": {"type": "object", "properties": {name: _AVERAGE for name in RATINGS}},
                   "results": {"type": "array", "items": REVIEW_OUT}},
}
_COUNT = {"type": "integer", "minimum": 0}
PERFORMANCE_OUT = {
    "type": "object",
    "required": ["vendor", "orders", "settled_periods", "average_performance_factor", "holdback_windows",
                 "observations", "disputed_observations", "reported_within_15_days_share"],
    "properties": {
        "vendor": _PERSON,
        "orders": {"type": "object", "properties": {"total": _COUNT, "by_status": {
            "type": "object", "additionalProperties": _COUNT}}},
        "settled_periods": _COUNT,
        "average_performance_factor": {"type": ["string", "null"], "description": "Unrounded; null before a "
                                                                                  "settled period."},
        "holdback_windows": {"type": "object", "properties": {"released": _COUNT, "forfeited": _COUNT,
                                                              "pending": _COUNT}},
        "observations": _COUNT, "disputed_observations": _COUNT, "reported_within_15_days": _COUNT,
        "reported_within_15_days_share": {"type": ["string", "null"], "description": "0 to 1, unrounded."},
    },
}


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def review_json(review: Review) -> dict:
    return {
        "id": review.id, "status": review.status, "listing_id": review.listing_id, "order_id": review.order_id,
        "member": {"id": review.member_id, "name": review.member.name},
        "author": {"id": review.author_id, "name": review.author.name},
        **review.ratings, "text": review.text, "reason": review.status_reason,
        "created_at": _when(review.created_at), "decided_at": _when(review.decided_at),
        "response": review.response, "responded_at": _when(review.responded_at),
    }


@operation(api, "/listings/<int:listing_id>/reviews", "POST", summary="Review a listing your city bought "
           "(once per active or completed order)", tag="reviews", body=REVIEW_IN, response=REVIEW_OUT, status=201)
def submit_review(listing_id: int, data: dict):
    require(True)  # signed in (401) and of this consortium (404)
    listing = get_listing_or_404(listing_id, current_user)
    review = services.submit_review(listing, data, actor=current_user)
    db.session.commit()
    return created(review_json(review))


@operation(api, "/listings/<int:listing_id>/reviews", "GET", summary="A listing's reviews you may see, with the "
           "averages of the published ones", tag="reviews", response=REVIEWS_OUT)
def list_reviews(listing_id: int):
    require(True)  # signed in (401) and of this consortium (404)
    listing = get_listing_or_404(listing_id, current_user)
    averages = queries.averages(listing.id)
    return jsonify({"count": averages.count,
                    "averages": {k: None if v is None else str(v) for k, v in averages.ratings.items()},
                    "results": [review_json(r) for r in queries.visible_reviews(listing, current_user)]})


@operation(api, "/reviews/<int:review_id>/publish", "POST", summary="Publish a submitted review (the office)",
           tag="reviews", response=REVIEW_OUT)
def publish_review(review_id: int, data: dict):
    review = services.publish_review(queries.get_review_or_404(review_id, current_user), actor=current_user)
    db.session.commit()
    return jsonify(review_json(review))


@operation(api, "/reviews/<int:review_id>/reject", "POST", summary="Reject a submitted review with a reason "
           "(the office)", tag="reviews", body=REJECT_IN, response=REVIEW_OUT)
def reject_review(review_id: int, data: dict):
    review = services.reject_review(queries.get_review_or_404(review_id, current_user), actor=current_user,
                                    reason=data["reason"])
    db.session.commit()
    return jsonify(review_json(review))


@operation(api, "/reviews/<int:review_id>/respond", "POST", summary="Answer a published review of your listing "
           "(once)", tag="reviews", body=RESPOND_IN, response=REVIEW_OUT)
def respond_review(review_id: int, data: dict):
    review = services.respond_review(queries.get_review_or_404(review_id, current_user), data["text"],
                                     actor=current_user)
    db.session.commit()
    return jsonify(review_json(review))


@operation(api, "/organizations/<int:org_id>/performance", "GET", summary="A vendor's performance record, "
           "computed from its orders, settlements and observations", tag="reviews", response=PERFORMANCE_OUT)
def performance(org_id: int):
    vendor = queries.get_vendor_or_404(org_id, current_user)
    return jsonify(queries.REVIEW_ORDERS.performance_record(current_consortium().id, vendor.id).to_json())
