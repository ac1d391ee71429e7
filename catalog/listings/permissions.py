"""Who may see and act on listings and their revisions: one pure predicate per action.

The object-level rules name the listing's own vendor and consortium, so they answer the same in a
request, a CLI command or the demo loader. The page-level ones (`can_create_listing`,
`can_review_listings`) answer for the current consortium. The lifecycle tables in
`catalog.listings.services` pair each step with its predicate; views and templates use the same
predicates, or `LISTING_LIFECYCLE.may(step, user, listing)`, to show or hide an action.
"""

from __future__ import annotations

from catalog.listings.models import EDITABLE_BY_REVISION, EDITABLE_DIRECTLY
from consortium.context import belongs
from consortium.permissions import is_admin_here, is_office_of, signed_in


def is_vendor_of(user, listing) -> bool:
    """Staff of the listing's vendor."""
    return signed_in(user) and user.role == "vendor" and user.organization_id == listing.vendor_id



# --- seeing --------------------------------------------------------------------------------------


def can_view_listing(user, listing) -> bool:
    """Published listings are public; every other state only for its vendor and the office."""
    return listing.status == "published" or is_vendor_of(user, listing) or is_office_of(user, listing.consortium_id)


def can_see_listing_history(user, listing) -> bool:
    """The listing's vendor and the office see its history, its status reason and its pending revision."""
    return is_vendor_of(user, listing) or is_office_of(user, listing.consortium_id)


def can_review_listings(user) -> bool:
    """The approval queue: the consortium office."""
    return is_admin_here(user)


# --- the vendor's actions ------------------------------------------------------------------------


def can_create_listing(user) -> bool:
    """Vendor staff supplying the current consortium draft listings."""
    return belongs(user) and user.role == "vendor"


def can_edit_listing(user, listing) -> bool:
    """The vendor edits a draft in place, and a live listing through a pending revision."""
    return is_vendor_of(user, listing) and listing.status in EDITABLE_DIRECTLY + EDITABLE_BY_REVISION


def can_submit_listing(user, listing) -> bool:
    """The vendor sends its listing to the office for approval."""
    return is_vendor_of(user, listing)


def can_withdraw_listing(user, listing) -> bool:
    """The vendor takes its listing off the marketplace."""
    return is_vendor_of(user, listing)


def can_supersede_revision(user, revision) -> bool:
    """The vendor replaces its pending revision (by editing again, or by withdrawing the listing)."""
    return is_vendor_of(user, revision.listing)


# --- the office's decisions ----------------------------------------------------------------------


def can_approve_listing(user, listing) -> bool:
    """The office publishes a submitted listing."""
    return is_office_of(user, listing.consortium_id)


def can_request_listing_changes(user, listing) -> bool:
    """The office sends a submission back to the vendor."""
    return is_office_of(user, listing.consortium_id)


def can_suspend_listing(user, listing) -> bool:
    """The office takes a published listing off the marketplace for a while."""
    return is_office_of(user, listing.consortium_id)


def can_reinstate_listing(user, listing) -> bool:
    """The office puts a suspended listing back."""
    return is_office_of(user, listing.consortium_id)


def can_approve_revision(user, revision) -> bool:
    """The office makes a pending revision live."""
    return is_office_of(user, revision.consortium_id)


def can_request_revision_changes(user, revision) -> bool:
    """The office sends a pending revision back to the vendor."""
    return is_office_of(user, revision.consortium_id)
