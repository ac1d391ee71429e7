"""Listings as document owners (marketplace.documents): seen by whoever may see the listing; added by its
vendor's staff (specification sheets, certifications), who maintain the listing."""

from __future__ import annotations

from flask import url_for

from catalog.listings.permissions import can_view_listing, is_vendor_of
from catalog.listings.queries import get_listing_or_404
from marketplace.documents.registry import Owner, register


def can_add_listing_document(user, listing) -> bool:
    """The listing's vendor."""
    return is_vendor_of(user, listing)


OWNER = register(Owner(
    key="listings", object_type="listing", noun="listing",
    load=lambda listing_id, user: get_listing_or_404(listing_id, user),
    can_view=can_view_listing, can_add=can_add_listing_document,
    page_url=lambda listing: url_for("catalog.listing", listing_id=listing.id),
    name=lambda listing: f"“{listing.title}”"))
