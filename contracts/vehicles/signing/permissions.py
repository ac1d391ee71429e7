"""Who may sign, countersign, change the terms of and verify a participating addendum."""

from __future__ import annotations

from consortium.permissions import is_office_of
from contracts.vehicles.permissions import can_approve_participation, can_view_participation

MEMBER_SIGNS = "Only the member's approver (champion) signs its participating addendum."
TERMS_EDITORS = "Only the member's approver (champion) or the consortium office can change the addendum's terms."


def is_member_approver(user, participation) -> bool:
    """An approver (champion) of the participating member."""
    return (getattr(user, "is_authenticated", False) and user.role == "approver"
            and user.organization_id == participation.member_id)


def can_sign_participation(user, participation) -> bool:
    """Sign the addendum for the member: the member's approver (champion)."""
    return is_member_approver(user, participation)


def can_countersign_participation(user, participation) -> bool:
    """Countersign for the consortium, which executes the addendum: the office."""
    return can_approve_participation(user, participation)


def can_edit_participation_terms(user, participation) -> bool:
    """Change a requested addendum's member not-to-exceed and special terms: the member's approver or the
    office (either change voids the signatures)."""
    return is_member_approver(user, participation) or is_office_of(user, participation.consortium_id)


def can_verify_addendum(user, participation) -> bool:
    """Check a downloaded addendum's digest: whoever may see the participation."""
    return can_view_participation(user, participation)
