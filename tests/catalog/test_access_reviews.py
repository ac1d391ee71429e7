"""Access matrix for review pages, the vendor page and their API.

The setups use the demo's reviews of BrightStreet's street-lighting listing: a submitted one is written by
Tempe on a fresh order (the matrix's buyer is Mesa's, so it sees only published reviews); the matrix's vendor
is ParkSense (not the reviewed vendor, so it may not answer). Front Range people are strangers (404).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.reviews import services
from catalog.reviews.models import Review
from marketplace.extensions import db
from marketplace.tenancy import tenant
from tests.access import case, expand, run_case
from tests.conftest import consortium, org, user
from tests.contracts.order_factories import make_order, make_vehicle


def _published_ids():
    review = db.session.scalar(select(Review).where(Review.status == "published", Review.response.is_(None))
                               .execution_options(all_tenants=True))
    return {"id": review.id, "listing": review.listing_id}


def _submitted_ids():
    vehicle = make_vehicle()
    with tenant(consortium("gpsr").id):
        order = make_order(vehicle, status="active")
        listing = vehicle.awards[0].listings[0]
        review = services.submit_review(listing, {"order_id": order.id, "overall": 4, "service": 4, "value": 4,
                                                  "quality": 4, "timeliness": 4, "text": "Good."},
                                        actor=user("buyer@tempe.example"))
    return {"id": review.id, "listing": listing.id}


def _vendor_ids():
    return {"vendor": org("BrightStreet Lighting").id, "member": org("Mesa").id}


C = "/c/<consortium_slug>"
R = f"{C}/reviews/<int:review_id>"
A = "/api/v1/reviews/<int:review_id>"
REVIEW = {"order_id": 999999, "overall": 4, "service": 4, "value": 4, "quality": 4, "timeliness": 4, "text": "x"}

CASES = [
    case("GET", f"{C}/listings/<int:listing_id>/reviews/new", "/c/gpsr/listings/{listing}/reviews/new",
         setup=_published_ids, anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/reviews/new", "/c/gpsr/listings/{listing}/reviews/new",
         setup=_published_ids, data={"overall": "9"}, anon=302, buyer=400, vendor=403, admin=403, other=404),
    case("GET", R, "/c/gpsr/reviews/{id}", setup=_published_ids, anon=302, buyer=200, vendor=200, admin=200,
         other=404),
    case("GET", R, "/c/gpsr/reviews/{id}", setup=_submitted_ids, anon=302, buyer=404, vendor=404, admin=200,
         other=404),
    case("GET", f"{R}/publish", "/c/gpsr/reviews/{id}/publish", setup=_submitted_ids,
         anon=302, buyer=404, vendor=404, admin=200, other=404),
    case("POST", f"{R}/publish", "/c/gpsr/reviews/{id}/publish", setup=_submitted_ids,
         anon=302, buyer=404, vendor=404, admin=302, other=404),
    case("GET", f"{R}/reject", "/c/gpsr/reviews/{id}/reject", setup=_published_ids,
         anon=302, buyer=409, vendor=409, admin=409, other=404),
    case("POST", f"{R}/reject", "/c/gpsr/reviews/{id}/reject", setup=_submitted_ids, data={"reason": ""},
         anon=302, buyer=404, vendor=404, admin=400, other=404),
    case("POST", f"{R}/respond", "/c/gpsr/reviews/{id}/respond", setup=_published_ids, data={"text": "Thanks"},
         anon=302, buyer=403, vendor=403, admin=403, other=404),
    case("GET", f"{C}/reviews", "/c/gpsr/reviews", anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("GET", f"{C}/reviews/export.csv", "/c/gpsr/reviews/export.csv", anon=302, buyer=403, vendor=403, admin=200,
         other=404),
    case("GET", f"{C}/vendors/<int:org_id>", "/c/gpsr/vendors/{vendor}", setup=_vendor_ids,
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/vendors/<int:org_id>", "/c/gpsr/vendors/{member}", setup=_vendor_ids,
         anon=302, buyer=404, vendor=404, admin=404, other=404),
    # API
    case("POST", "/api/v1/listings/<int:listing_id>/reviews", "/api/v1/listings/{listing}/reviews?consortium=gpsr",
         setup=_published_ids, json=REVIEW, anon=401, buyer=400, vendor=403, admin=403, other=404),
    case("GET", "/api/v1/listings/<int:listing_id>/reviews", "/api/v1/listings/{listing}/reviews?consortium=gpsr",
         setup=_published_ids, anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", f"{A}/publish", "/api/v1/reviews/{id}/publish?consortium=gpsr", setup=_submitted_ids,
         anon=401, buyer=404, vendor=404, admin=200, other=404),
    case("POST", f"{A}/reject", "/api/v1/reviews/{id}/reject?consortium=gpsr", setup=_submitted_ids,
         json={"reason": "Off topic."}, anon=401, buyer=404, vendor=404, admin=200, other=404),
    case("POST", f"{A}/respond", "/api/v1/reviews/{id}/respond?consortium=gpsr", setup=_published_ids,
         json={"text": "Thanks"}, anon=401, buyer=403, vendor=403, admin=403, other=404),
    case("GET", "/api/v1/organizations/<int:org_id>/performance", "/api/v1/organizations/{vendor}/performance"
         "?consortium=gpsr", setup=_vendor_ids, anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/api/v1/organizations/<int:org_id>/performance", "/api/v1/organizations/{member}/performance"
         "?consortium=gpsr", setup=_vendor_ids, anon=401, buyer=404, vendor=404, admin=404, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
