"""Who may see and act on RFIs, interest and responses: one pure predicate per action.

DESIGN section 3: an open RFI is visible to the whole consortium (a draft to its issuer and the office); a
response only to its vendor, the issuer and the office; interest to everyone in the consortium. The issuer of
a member's RFI is that member (its approvers run it, its buyers see it as theirs); of an office RFI, the office.
"""

from __future__ import annotations

from consortium.context import consortium_ids_of
from consortium.permissions import is_office_of, signed_in


def _org_kind(user) -> str | None:
    return user.organization.kind if signed_in(user) and user.organization is not None else None


def is_issuer_staff(user, rfi) -> bool:
    """People of the issuing member (buyers and approvers), or the office's admins for an office RFI."""
    if rfi.issuer.kind == "office":
        return is_office_of(user, rfi.consortium_id)
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == rfi.issuer_id


def runs_rfi(user, rfi) -> bool:
    """Publishing, editing the draft, closing, cancelling: the issuing member's approvers, or the office."""
    if rfi.issuer.kind == "office":
        return is_office_of(user, rfi.consortium_id)
    return signed_in(user) and user.role == "approver" and user.organization_id == rfi.issuer_id


def can_issue_rfis(user, consortium) -> bool:
    """A member city's approver (for the city) or the office's admins draft RFIs."""
    if consortium is None or not signed_in(user):
        return False
    if is_office_of(user, consortium.id):
        return True
    return user.role == "approver" and _org_kind(user) == "member" and user.organization.consortium_id == consortium.id


def works_in(user, consortium_id: int) -> bool:
    """Anyone of the consortium: its members, its office and the vendors that supply it."""
    return signed_in(user) and consortium_id in consortium_ids_of(user)


def can_view_rfi(user, rfi) -> bool:
    """Once published, everyone in the consortium; a draft, its issuer and the office."""
    if is_issuer_staff(user, rfi) or is_office_of(user, rfi.consortium_id):
        return True
    return rfi.published_at is not None and works_in(user, rfi.consortium_id)


def can_register_interest(user, rfi) -> bool:
    """Buyers and approvers of another member city of the consortium (the issuer's own demand is the RFI)."""
    return (signed_in(user) and user.role in ("buyer", "approver") and _org_kind(user) == "member"
            and user.organization.consortium_id == rfi.consortium_id and user.organization_id != rfi.issuer_id)


def can_respond(user, rfi) -> bool:
    """A vendor that supplies the consortium."""
    return signed_in(user) and user.role == "vendor" and works_in(user, rfi.consortium_id)


def can_view_responses(user, rfi) -> bool:
    """Every response: the issuer and the office. (A vendor sees only its own: `can_view_response`.)"""
    return is_issuer_staff(user, rfi) or is_office_of(user, rfi.consortium_id)


def can_view_response(user, response) -> bool:
    """Its vendor, the issuer and the office; never another vendor or another member."""
    if signed_in(user) and user.role == "vendor" and user.organization_id == response.vendor_id:
        return True
    return can_view_responses(user, response.rfi)


def can_convert_rfi(user, rfi) -> bool:
    """The issuer (into a pilot it hosts, or a vehicle) or the office (which drafts every vehicle)."""
    return runs_rfi(user, rfi) or is_office_of(user, rfi.consortium_id)


def can_link_order(user, need) -> bool:
    """The need's city (buyers and approvers) or the office records the order that fulfils it."""
    if is_office_of(user, need.consortium_id):
        return True
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == need.member_id
