"""Demo reviews (DESIGN section 8), after the orders exist: in Greater Phoenix, two published reviews (one
answered by the vendor) and one rejected, each on an order that entitles its city to review. Idempotent: a
review is written only for a city that has not reviewed yet."""

from __future__ import annotations

from sqlalchemy import select

from catalog.listings.models import Listing
from catalog.reviews import services
from catalog.reviews.models import Review
from catalog.reviews.queries import unreviewed_orders
from consortium.models import Consortium, User
from marketplace.extensions import db
from marketplace.tenancy import tenant

# (author, ratings overall/service/value/quality/timeliness, text, decision, reason or the vendor's answer)
REVIEWS = [
    ("buyer@tempe.example", (5, 5, 4, 5, 4),
     "The three-month Mill Avenue pilot ran as promised: availability stayed above the floor every month and "
     "BrightStreet's crew fixed the controller faults of month two within a week.",
     "publish", "Thank you, Tempe. The month-two controller faults came from one firmware batch, now replaced "
                "across every node we operate in the region."),
    ("buyer@mesa.example", (4, 4, 4, 4, 3),
     "Good lighting service in Dobson Ranch and Fiesta. Measurements arrive on time; the storm outages of month "
     "three took longer to restore than we hoped.", "publish", None),
    ("approver@tempe.example", (1, 1, 1, 1, 1),
     "Call me at 480-555-0142 before you sign anything with them.",
     "reject", "Reviews describe the service bought; personal contact details and calls to action are not "
               "published."),
]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def load_reviews() -> None:
    consortium = db.session.scalar(select(Consortium).where(Consortium.slug == "gpsr"))
    if consortium is None:
        return
    admin, vendor = _user("admin@gpsr.example"), _user("vendor@brightstreet.example")
    with tenant(consortium.id):
        listings = list(db.session.scalars(select(Listing).where(Listing.status == "published",
                                                                 Listing.vendor_id == vendor.organization_id)
                                           .order_by(Listing.id)))
        for email, stars, text, decision, extra in REVIEWS:
            author = _user(email)
            if db.session.scalar(select(Review.id).where(Review.author_id == author.id)):
                continue
            found = next(((listing, orders[0]) for listing in listings
                          if (orders := unreviewed_orders(author, listing))), None)
            if found is None:
                continue
            listing, order = found
            data = {"order_id": order.order_id, "text": text,
                    **dict(zip(("overall", "service", "value", "quality", "timeliness"), stars, strict=True))}
            review = services.submit_review(listing, data, actor=author)
            if decision == "publish":
                review = services.publish_review(review, actor=admin)
                if extra:
                    services.respond_review(review, extra, actor=vendor)
            else:
                services.reject_review(review, actor=admin, reason=extra)
    db.session.flush()
