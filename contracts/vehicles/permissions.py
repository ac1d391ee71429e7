"""Who may see and do what with vehicles and participation (each answers for the current consortium)."""

from __future__ import annotations

from consortium.context import belongs
from consortium.permissions import is_admin_here
from contracts.vehicles import services as vehicles


def is_member_staff_here(user) -> bool:
    """A buyer or approver of a member city of the current consortium."""
    return belongs(user) and user.role in ("buyer", "approver")


def can_manage_vehicles(user) -> bool:
    """Create, edit, activate, renew and terminate vehicles; decide on participation: the office."""
    return is_admin_here(user)


def can_view_vehicle(user, vehicle) -> bool:
    """Drafts: the consortium office only. Active vehicles: everyone, the public included (they are
    public cooperative contracts). Expired and terminated ones: the consortium's people."""
    status = vehicles.effective_status(vehicle)
    if status == "draft":
        return is_admin_here(user)
    if status == "active":
        return True
    return belongs(user)


def can_see_commitments(user, vehicle, participant: bool | None = None) -> bool:
    """Ceiling, committed and remaining amounts: the office, and the staff of the lead agency and of
    members with an executed participation. `participant` may be precomputed for lists."""
    if is_admin_here(user):
        return True
    if not is_member_staff_here(user):
        return False
    if participant is None:
        participant = vehicles.is_participant(user.organization_id, vehicle)
    return participant


def can_request_participation(user) -> bool:
    """A member's approver (champion) asks to join vehicles for their city."""
    return belongs(user) and user.role == "approver" and user.organization.kind == "member"


def can_list_participations(user) -> bool:
    """The office sees every request; member staff see their own city's."""
    return is_admin_here(user) or is_member_staff_here(user)


def can_view_participation(user, participation) -> bool:
    """The member concerned and the consortium office; nobody else (404 for them)."""
    if is_admin_here(user):
        return True
    return is_member_staff_here(user) and user.organization_id == participation.member_id


def can_decide_participation(user, participation) -> bool:
    """Approve (execute) or decline a request to join: the consortium office."""
    return is_admin_here(user)


def can_download_addendum(user, participation) -> bool:
    return can_view_participation(user, participation)
