"""Verified reviews: who may write one (a member city with an active or completed order for the listing, once
per order), the ratings' rules, moderation, the vendor's one answer, the listing page's averages, and the
catalog's sort by rating."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from catalog import search as indexing
from catalog.reviews import queries, services
from catalog.reviews.models import Review
from consortium.models import User
from contracts.vehicles.models import Vehicle
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.tenancy import tenant
from tests.conftest import consortium, org, user
from tests.contracts.order_factories import make_order, make_vehicle

STARS = {"overall": 5, "service": 4, "value": 4, "quality": 5, "timeliness": 3}


def _body(order_id, **changes):
    return {"order_id": order_id, **STARS, "text": "Sensors work; support answers within a day.", **changes}


@pytest.fixture
def bought(ctx):
    """A published ParkSense listing under a vehicle, and two active orders of Tempe that include it."""
    vehicle = make_vehicle()
    with tenant(consortium("gpsr").id):
        orders = [make_order(vehicle, status="active"), make_order(vehicle, status="active")]
        listing = vehicle.awards[0].listings[0]
        yield listing, orders


def _submit(listing, order, email="buyer@tempe.example", **changes):
    return services.submit_review(listing, _body(order.id, **changes), actor=user(email))


def test_only_a_buyer_with_an_order_for_the_listing_may_review(bought):
    listing, orders = bought
    with pytest.raises(PermissionDenied, match="no active or completed order"):
        _submit(listing, orders[0], email="buyer@mesa.example")  # Mesa bought nothing under this vehicle
    for email in ("vendor@parksense.example", "admin@gpsr.example"):
        with pytest.raises(PermissionDenied, match="Only buyers and approvers"):
            _submit(listing, orders[0], email=email)
    review = _submit(listing, orders[0], email="approver@tempe.example")
    assert (review.status, review.member_id, review.overall) == ("submitted", org("Tempe").id, 5)


def test_a_draft_order_does_not_entitle_a_review(bought):
    listing, _ = bought
    draft = make_order(listing_vehicle(listing), status="draft")
    with pytest.raises(ValidationFailed) as err:
        _submit(listing, draft)
    assert "active or completed order" in err.value.fields["order_id"]


def listing_vehicle(listing):
    """The vehicle the fixture made (the newest)."""
    return db.session.scalars(select(Vehicle).order_by(Vehicle.id.desc())).first()


def test_one_review_per_order(bought):
    listing, orders = bought
    _submit(listing, orders[0])
    with pytest.raises(Conflict, match="already reviewed by Tempe Buyer"):
        _submit(listing, orders[0], email="approver@tempe.example")
    _submit(listing, orders[1])  # another order: another review
    assert [o.order_id for o in queries.unreviewed_orders(user("buyer@tempe.example"), listing)] == []


@pytest.mark.parametrize(("raw", "message"), [(0, "from 1 to 5"), (6, "from 1 to 5"), ("4.5", "whole number"),
                                              (True, "whole number"), ("", "Rate overall"), ("٤", "whole number")])
def test_ratings_are_whole_stars_from_one_to_five(bought, raw, message):
    listing, orders = bought
    with pytest.raises(ValidationFailed) as err:
        _submit(listing, orders[0], overall=raw, text="")
    assert message in err.value.fields["overall"] and "required" in err.value.fields["text"]
    assert db.session.scalar(select(Review.id)) is None or not db.session.scalars(
        select(Review).where(Review.order_id == orders[0].id)).all()


def test_publish_reject_and_the_vendors_one_answer(bought):
    listing, orders = bought
    admin, vendor = user("admin@gpsr.example"), user("vendor@parksense.example")
    first, second = _submit(listing, orders[0]), _submit(listing, orders[1], overall=2)
    with pytest.raises(PermissionDenied):
        services.publish_review(first, actor=user("approver@tempe.example"))
    with pytest.raises(ValidationFailed):
        services.reject_review(second, actor=admin, reason="  ")
    services.publish_review(first, actor=admin)
    services.reject_review(second, actor=admin, reason="Names a person.")
    assert (first.status, second.status, second.status_reason) == ("published", "rejected", "Names a person.")
    with pytest.raises(Conflict, match="rejected"):
        services.publish_review(second, actor=admin)
    told = db.session.scalars(select(Notification).where(Notification.kind == "review",
                                                         Notification.object_id == first.id)).all()
    parksense = {u.id for u in db.session.scalars(select(User).where(User.organization_id == vendor.organization_id))}
    assert vendor.id in {n.recipient_id for n in told} <= parksense and "published" in told[0].subject
    with pytest.raises(PermissionDenied):
        services.respond_review(first, "Thanks", actor=user("vendor@brightstreet.example"))
    services.respond_review(first, "Thank you, Tempe.", actor=vendor)
    with pytest.raises(Conflict, match="already answered by ParkSense"):
        services.respond_review(first, "Again", actor=vendor)
    with pytest.raises(Conflict, match="only published reviews"):
        services.respond_review(second, "Hm", actor=vendor)


def test_averages_over_published_reviews_to_the_decimal(bought):
    listing, orders = bought
    third = make_order(listing_vehicle(listing), status="active")
    admin = user("admin@gpsr.example")
    for order, overall, service in ((orders[0], 5, 4), (orders[1], 4, 4), (third, 4, 3)):
        services.publish_review(_submit(listing, order, overall=overall, service=service), actor=admin)
    _submit(listing, make_order(listing_vehicle(listing), status="active"), overall=1)  # submitted: not counted
    averages = queries.averages(listing.id)
    assert averages.count == 3
    assert averages.ratings["overall"] == Decimal(13) / 3 and averages.ratings["service"] == Decimal(11) / 3
    assert averages.ratings["value"] == Decimal(4)


def test_the_listing_page_shows_averages_reviews_and_the_forms(app, client, login, _transaction):
    with app.test_request_context():
        vehicle = make_vehicle()
        with tenant(consortium("gpsr").id):
            order = make_order(vehicle, status="active")
            other = make_order(vehicle, status="active")
            listing = vehicle.awards[0].listings[0]
            admin = user("admin@gpsr.example")
            services.publish_review(_submit(listing, order, overall=5), actor=admin)
            services.publish_review(_submit(listing, other, overall=4, text="Fine."), actor=admin)
            db.session.commit()
            listing_id, order_id = listing.id, order.id
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert 'data-testid="average-overall">4.5<' in page and "Average of 2 published reviews" in page
    assert "Sensors work" in page and "Write a review" not in page  # both of Tempe's orders are reviewed
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)
    assert "Publish your answer" in page and "How ParkSense performed" in page
    with app.test_request_context():
        review_id = db.session.scalar(select(Review.id).where(Review.order_id == order_id))
    assert client.post(f"/c/gpsr/reviews/{review_id}/respond", data={"text": ""}).status_code == 400
    assert client.post(f"/c/gpsr/reviews/{review_id}/respond", data={"text": "Thank you."}).status_code == 302
    assert "Answer from ParkSense" in client.get(f"/c/gpsr/listings/{listing_id}").get_data(as_text=True)


def test_the_review_form_and_the_api_refuse_bad_ratings(app, client, login, api_token, _transaction):
    with app.test_request_context():
        vehicle = make_vehicle()
        with tenant(consortium("gpsr").id):
            order = make_order(vehicle, status="active")
            listing_id, order_id = vehicle.awards[0].listings[0].id, order.id
    login("buyer@tempe.example")
    form = {"order_id": str(order_id), **{k: str(v) for k, v in STARS.items()}, "text": "Good.", "overall": "6"}
    response = client.post(f"/c/gpsr/listings/{listing_id}/reviews/new", data=form)
    assert response.status_code == 400
    assert "Give a whole number of stars from 1 to 5." in response.get_data(as_text=True)
    headers = api_token("buyer@tempe.example")
    url = f"/api/v1/listings/{listing_id}/reviews?consortium=gpsr"
    for bad in (0, 6, "4.5"):
        response = client.post(url, json=_body(order_id, overall=bad), headers=headers)
        assert response.status_code == 400 and "overall" in response.get_json()["error"]["fields"]
    assert client.post(url, json=_body(order_id), headers=headers).status_code == 201
    second = client.post(url, json=_body(order_id), headers=headers)
    assert second.status_code == 409 and "once per order" in second.get_json()["error"]["message"]
    listed = client.get(url, headers=api_token("buyer@mesa.example")).get_json()
    assert listed["count"] == 0 and listed["results"] == []  # submitted: Tempe's and the office's only


def test_the_catalog_sorts_by_rating(bought):
    listing, orders = bought
    gpsr = consortium("gpsr")
    unrated = make_vehicle(number="GPSR-T-002").awards[0].listings[0]
    services.publish_review(_submit(listing, orders[0], overall=2), actor=user("admin@gpsr.example"))
    db.session.commit()
    ids = indexing.search(gpsr.id, "", sort="rating", per_page=100).ids
    demo_rated = ids.index(listing.id)
    assert ids.index(unrated.id) > demo_rated  # unrated after every rated listing
    assert indexing.search(gpsr.id, "", sort="rating").sort == "rating"


def test_the_office_downloads_every_review_as_csv_with_formulas_neutralised(app, client, login, bought):
    listing, orders = bought
    review = _submit(listing, orders[0], text="=HYPERLINK(\"http://evil.example\") great kit")
    db.session.commit()
    login("admin@gpsr.example")
    assert 'href="/c/gpsr/reviews/export.csv"' in client.get("/c/gpsr/reviews").get_data(as_text=True)
    response = client.get("/c/gpsr/reviews/export.csv")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and text.startswith("\ufeff")
    rows = {row.split(",", 1)[0]: row for row in text[1:].splitlines()[1:]}
    assert str(review.id) in rows and "'=HYPERLINK" in rows[str(review.id)]
    assert len(rows) == db.session.scalar(select(func.count(Review.id)).where(
        Review.consortium_id == consortium("gpsr").id))  # every review of the consortium, whatever its status
