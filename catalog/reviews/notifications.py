"""Who is told about reviews (DESIGN section 7): a review published → the vendor's users. The listener runs in
the transaction of the audit event that caused it (`marketplace.notifications.events`)."""

from __future__ import annotations

from catalog.reviews.models import Review
from consortium import queries as people
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


@on("review.published")
def review_published(event, review: Review) -> None:
    listing = review.listing
    notify(people.users_of(listing.vendor_id), kind="review",
           subject=f"A review of “{listing.title}” by {review.member.name} is published",
           body=(f"The consortium office published {review.member.name}'s review of your listing “{listing.title}” "
                 f"({review.overall} of 5 overall). Everyone in the consortium can read it; you may answer it once."),
           consortium_id=event.consortium_id, obj=review, actor=people.person(event.actor_id),
           link=people.consortium_link(event.consortium_id, "reviews.review", review_id=review.id))
