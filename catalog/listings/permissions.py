"""Who may see and change listings and pilots (each answers for the current consortium)."""

from __future__ import annotations

from consortium.context import belongs
from consortium.permissions import is_admin_here

EDITABLE_DIRECTLY = ("draft", "changes_requested")
EDITABLE_BY_REVISION = ("published", "suspended")


def _own_vendor(user, listing) -> bool:
    return belongs(user) and user.role == "vendor" and user.organization_id == listing.vendor_id


def can_view_listing(user, listing) -> bool:
    """Published listings are public; every other state only for its vendor and the admins."""
    return listing.status == "published" or _own_vendor(user, listing) or is_admin_here(user)


def can_create_listing(user) -> bool:
    return belongs(user) and user.role == "vendor"


def can_edit_listing(user, listing) -> bool:
    return _own_vendor(user, listing) and listing.status in EDITABLE_DIRECTLY + EDITABLE_BY_REVISION


def can_submit_listing(user, listing) -> bool:
    return _own_vendor(user, listing)


def can_withdraw_listing(user, listing) -> bool:
    return _own_vendor(user, listing)


def can_see_history(user, listing) -> bool:
    return _own_vendor(user, listing) or is_admin_here(user)


def can_review_listings(user) -> bool:
    """Approve, request changes, suspend and reinstate: the consortium office."""
    return is_admin_here(user)


def can_record_pilot(user) -> bool:
    return belongs(user) and user.role in ("buyer", "approver")


def can_view_pilot(user, pilot) -> bool:
    """Verified pilots: everyone in the consortium. Recorded ones: the host member and the admins."""
    if not belongs(user):
        return False
    return pilot.status == "verified" or is_admin_here(user) or user.organization_id == pilot.host_member_id


def is_pilot_verifier(user, pilot) -> bool:
    """The host member's approver (champion) or a consortium admin — never the person who recorded
    the pilot: evidence is confirmed by a second pair of eyes."""
    if not belongs(user) or user.id == pilot.recorded_by_id:
        return False
    return is_admin_here(user) or (user.role == "approver" and user.organization_id == pilot.host_member_id)


def can_verify_pilot(user, pilot) -> bool:
    return pilot.status == "recorded" and is_pilot_verifier(user, pilot)


def can_link_pilot(user) -> bool:
    return is_admin_here(user)
