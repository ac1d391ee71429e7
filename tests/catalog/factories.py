"""Build catalog objects through the real services, committed inside the test's transaction."""

from __future__ import annotations

from catalog.listings import services as services
from catalog.listings.models import Listing
from marketplace.extensions import db
from tests.conftest import _APP as _unused  # noqa: F401 - the app fixture sets it
from tests.conftest import consortium, org, user

VENDOR_OF = {
    "vendor@parksense.example": "ParkSense",
    "vendor@brightstreet.example": "BrightStreet Lighting",
    "vendor@flowmobility.example": "FlowMobility",
}


def listing_data(**overrides) -> dict:
    data = {
        "title": "Adaptive LED street lighting",
        "summary": "Networked LED luminaires that dim when streets are empty.",
        "description": "Retrofit of cobra-head fixtures with adaptive controls.",
        "category": "lighting",
        "tags": ["LED", "adaptive"],
        "pricing_models": ["purchase", "as_a_service"],
        "standards": ["TALQ"],
        "price_items": [{"name": "LED luminaire", "unit": "each", "list_price": "450.00"},
                        {"name": "Controller node", "unit": "each", "list_price": "120.00"}],
    }
    data.update(overrides)
    return data


def make_listing(status: str = "published", vendor_email: str = "vendor@parksense.example", slug: str = "gpsr",
                 **overrides) -> Listing:
    """A listing in the given state, made the way people make it, and committed (in the test's
    transaction). Must run in an app context."""
    listing = _make_listing(status, vendor_email, slug, **overrides)
    db.session.commit()
    return listing


def _make_listing(status, vendor_email, slug, **overrides) -> Listing:
    vendor = user(vendor_email)
    vendor = db.session.merge(vendor)
    admin = db.session.merge(user(f"admin@{slug}.example"))
    company = db.session.merge(org(VENDOR_OF[vendor_email]))
    listing = services.create_listing(consortium=consortium(slug), vendor=company, data=listing_data(**overrides),
                                      actor=vendor)
    if status == "draft":
        return listing
    services.submit_listing(listing, actor=vendor)
    if status == "submitted":
        return listing
    if status == "changes_requested":
        return services.request_changes(listing, actor=admin, reason="Add prices per month.")
    services.approve_listing(listing, actor=admin)
    if status == "suspended":
        services.suspend_listing(listing, actor=admin, reason="Safety recall under review.")
    elif status == "withdrawn":
        services.withdraw_listing(listing, actor=vendor)
    return listing
