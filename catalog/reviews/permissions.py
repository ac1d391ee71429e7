"""Who may see and act on reviews: one pure predicate per action.

Visibility (DESIGN section 3): a published review is for everyone in the consortium; a submitted or rejected
one only for the author's member city and the consortium office (the vendor sees a review once published).
"""

from __future__ import annotations

from consortium.context import belongs
from consortium.permissions import is_office_of, signed_in


def can_write_reviews(user) -> bool:
    """Buyers and approvers of member cities write reviews (of listings their city bought: see the service)."""
    if not signed_in(user) or user.role not in ("buyer", "approver"):
        return False
    org = user.organization
    return org is not None and org.kind == "member"


def can_view_review(user, review) -> bool:
    """Published: everyone in the consortium. Submitted or rejected: the author's member and the office."""
    if not belongs(user):
        return False
    return (review.status == "published" or user.organization_id == review.member_id
            or is_office_of(user, review.consortium_id))


def can_moderate_review(user, review) -> bool:
    """The consortium office publishes or rejects reviews."""
    return is_office_of(user, review.consortium_id)


def can_respond_review(user, review) -> bool:
    """The vendor of the reviewed listing answers a published review, once."""
    if not signed_in(user) or user.role != "vendor":
        return False
    return (review.status == "published" and review.response is None
            and user.organization_id == review.listing.vendor_id)
