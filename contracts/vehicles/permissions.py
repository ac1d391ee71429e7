"""Who may see and do what with vehicles and participation: one pure predicate per action.

The lifecycle tables in `contracts.vehicles.services` call the action predicates (through
`marketplace.transitions`); views and templates call the same ones (or `LIFECYCLE.may`) to show or
hide an action. The action predicates take the object, so they need no request (CLI, demo, tests);
the visibility predicates answer for the current consortium.
"""

from __future__ import annotations

from consortium.context import belongs, current_consortium
from consortium.permissions import is_office_of


def is_member_staff_here(user) -> bool:
    """A buyer or approver of a member city of the current consortium."""
    return belongs(user) and user.role in ("buyer", "approver")


def can_manage_vehicles(user) -> bool:
    """Create vehicles and see the office's queue: the office of the current consortium."""
    consortium = current_consortium()
    return consortium is not None and is_office_of(user, consortium.id)


def can_create_vehicle(user, consortium) -> bool:
    """Draft a new vehicle in `consortium`: its office."""
    return is_office_of(user, consortium.id)


def can_edit_vehicle(user, vehicle) -> bool:
    """Edit a draft's terms and schedule: the office."""
    return is_office_of(user, vehicle.consortium_id)


def can_activate_vehicle(user, vehicle) -> bool:
    """Put a draft in force: the office."""
    return is_office_of(user, vehicle.consortium_id)


def can_renew_vehicle(user, vehicle) -> bool:
    """Exercise a renewal option: the office."""
    return is_office_of(user, vehicle.consortium_id)


def can_terminate_vehicle(user, vehicle) -> bool:
    """End a vehicle early (with a reason): the office."""
    return is_office_of(user, vehicle.consortium_id)


def can_amend_price_schedule(user, vehicle) -> bool:
    """Lower an active vehicle's contract prices to lowered list prices: the office."""
    return is_office_of(user, vehicle.consortium_id)


def can_view_vehicle(user, vehicle) -> bool:
    """Drafts: the consortium office only. Active vehicles: everyone, the public included (they are
    public cooperative contracts). Expired and terminated ones: the consortium's people."""
    status = vehicle.effective_status()
    if status == "draft":
        return is_office_of(user, vehicle.consortium_id)
    if status == "active":
        return True
    return belongs(user)


def can_see_commitments(user, vehicle, participant: bool | None = None) -> bool:
    """Ceiling, committed and remaining amounts: the office, and the staff of the lead agency and of
    members with an executed participation. `participant` may be precomputed for lists."""
    if is_office_of(user, vehicle.consortium_id):
        return True
    if not is_member_staff_here(user):
        return False
    if participant is None:
        participant = vehicle.has_participant(user.organization_id)
    return participant


def can_request_participation(user, vehicle) -> bool:
    """A member city's approver (champion) of the vehicle's consortium asks to join it for their city."""
    if not getattr(user, "is_authenticated", False) or user.role != "approver":
        return False
    org = user.organization
    return org is not None and org.kind == "member" and org.consortium_id == vehicle.consortium_id


def can_list_participations(user) -> bool:
    """The office sees every request; member staff see their own city's."""
    return can_manage_vehicles(user) or is_member_staff_here(user)


def can_view_participation(user, participation) -> bool:
    """The member concerned and the consortium office; nobody else (404 for them)."""
    if is_office_of(user, participation.consortium_id):
        return True
    return is_member_staff_here(user) and user.organization_id == participation.member_id


def can_approve_participation(user, participation) -> bool:
    """Execute a participating addendum (countersign for the consortium): the office."""
    return is_office_of(user, participation.consortium_id)


def can_decline_participation(user, participation) -> bool:
    """Decline a request to join, with the reason the member sees: the office."""
    return is_office_of(user, participation.consortium_id)


def can_download_addendum(user, participation) -> bool:
    """The addendum PDF: whoever may see the participation."""
    return can_view_participation(user, participation)
