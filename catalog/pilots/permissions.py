"""Who may see and act on pilot evidence: one pure predicate per action.

The action rules name the pilot's own host member, recorder and consortium (or the consortium given),
so they answer the same in a request, a CLI command or the demo loader. The pilot lifecycle in
`catalog.pilots.services` pairs `verify` with its predicate; views use `PILOT_LIFECYCLE.may`.
"""

from __future__ import annotations

from consortium.context import belongs
from consortium.permissions import is_office_of, signed_in


def can_record_pilot(user, consortium) -> bool:
    """Buyers and approvers of the consortium's member cities record the pilots their city hosted."""
    if not signed_in(user) or user.role not in ("buyer", "approver"):
        return False
    org = user.organization
    return org.kind == "member" and org.consortium_id == consortium.id


def can_view_pilot(user, pilot) -> bool:
    """Verified pilots: everyone in the consortium. Recorded ones: the host member and the office."""
    if not belongs(user):
        return False
    return (pilot.status == "verified" or is_office_of(user, pilot.consortium_id)
            or user.organization_id == pilot.host_member_id)


def can_verify_pilot(user, pilot) -> bool:
    """The host member's approver (champion) or the consortium office, never the person who recorded
    the pilot: evidence is confirmed by a second pair of eyes."""
    if not signed_in(user) or user.id == pilot.recorded_by_id:
        return False
    host_approver = user.role == "approver" and user.organization_id == pilot.host_member_id
    return host_approver or is_office_of(user, pilot.consortium_id)


def can_link_pilot(user, pilot) -> bool:
    """The consortium office links a pilot naming a vendor in text to that vendor's listing."""
    return is_office_of(user, pilot.consortium_id)
