"""Who may see and act on RFQs and quotes: one pure predicate per action.

DESIGN section 3: an RFQ is visible to its member, the vehicle's awarded vendors and the consortium office,
with quotes sealed until the close. Sealed means: before the close nobody but a quote's own vendor sees it
(the member and the office see how many arrived); after it, the member and the office see every quote; a
vendor only ever sees its own. The RFQ lifecycle (`services.RFQ_LIFECYCLE`) calls the action predicates;
pages, the API and the queue ask the same ones.
"""

from __future__ import annotations

from consortium.permissions import is_office_of, signed_in


def is_member_staff_of(user, rfq) -> bool:
    """A buyer or approver of the issuing member."""
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == rfq.member_id


def is_invited_vendor(user, rfq) -> bool:
    """Staff of a vendor awarded on the RFQ's vehicle: the ones invited to quote."""
    return (signed_in(user) and user.role == "vendor"
            and any(award.vendor_id == user.organization_id for award in rfq.vehicle.awards))


def can_view_rfq(user, rfq) -> bool:
    """The issuing member's staff, the vehicle's awarded vendors, and the consortium office."""
    return is_member_staff_of(user, rfq) or is_invited_vendor(user, rfq) or is_office_of(user, rfq.consortium_id)


def can_issue_rfq(user, vehicle) -> bool:
    """Buyers and approvers of a member city of the vehicle's consortium (whether their city may buy under
    this vehicle, and whether it awards several vendors, is the business rule `services.issue_blocker`)."""
    return (signed_in(user) and user.role in ("buyer", "approver") and user.organization is not None
            and user.organization.kind == "member" and user.organization.consortium_id == vehicle.consortium_id)


def can_quote(user, rfq) -> bool:
    """An awarded vendor of the vehicle quotes (and replaces its quote) while the RFQ is open."""
    return is_invited_vendor(user, rfq)


def can_close_rfq(user, rfq) -> bool:
    """The issuing member's buyers and approvers open the quotes once the closing time has passed."""
    return is_member_staff_of(user, rfq)


def can_award_rfq(user, rfq) -> bool:
    """The person who issued the RFQ, or an approver of the issuing member."""
    return is_member_staff_of(user, rfq) and (user.id == rfq.created_by_id or user.role == "approver")


def can_cancel_rfq(user, rfq) -> bool:
    """The issuing member's buyers and approvers (with the reason the vendors see)."""
    return is_member_staff_of(user, rfq)


def can_see_quotes(user, rfq) -> bool:
    """Every quote with its prices: the member and the office, once the RFQ was closed; never a vendor."""
    return rfq.was_closed and (is_member_staff_of(user, rfq) or is_office_of(user, rfq.consortium_id))


def can_see_quote_count(user, rfq) -> bool:
    """How many quotes arrived: the member and the office (before the close that is all they see)."""
    return is_member_staff_of(user, rfq) or is_office_of(user, rfq.consortium_id)


def can_see_quote(user, quote) -> bool:
    """One quote: its own vendor at any time, the member and the office after the close."""
    own = signed_in(user) and user.role == "vendor" and user.organization_id == quote.vendor_id
    return own or can_see_quotes(user, quote.rfq)
