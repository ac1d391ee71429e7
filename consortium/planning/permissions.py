"""Who may see and act on needs, priority rounds and roadmaps: one pure predicate per action.

DESIGN section 3: needs, priority rounds and the roadmap are visible to their member and the admins; needs
past the draft also to the other members, so demand can be pooled. Vendors see none of it. The action rules
name the object's own member and consortium, so they answer the same in a request, the CLI or the demo
loader; the lifecycle tables in `consortium.planning.services` call them.
"""

from __future__ import annotations

from consortium.permissions import is_office_of, signed_in
from consortium.planning.models import SHARED_STATUSES


def is_member_staff(user, member_id: int | None) -> bool:
    """A buyer or approver of member city `member_id`."""
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == member_id


def is_member_approver(user, member_id: int | None) -> bool:
    return signed_in(user) and user.role == "approver" and user.organization_id == member_id


def is_planner_of(user, consortium_id: int) -> bool:
    """Member staff of the consortium or its office: the people who plan (not vendors)."""
    if not signed_in(user) or user.role not in ("buyer", "approver", "admin"):
        return False
    org = user.organization
    return org is not None and org.consortium_id == consortium_id and org.kind in ("member", "office")


# --- needs ----------------------------------------------------------------------------------------------


def can_record_need(user, consortium) -> bool:
    """Buyers and approvers of the consortium's member cities record their city's needs."""
    return (signed_in(user) and user.role in ("buyer", "approver") and user.organization.kind == "member"
            and user.organization.consortium_id == consortium.id)


def can_view_need(user, need) -> bool:
    """Its member and the office; once submitted, every member of the consortium too."""
    if is_member_staff(user, need.member_id) or is_office_of(user, need.consortium_id):
        return True
    return need.status in SHARED_STATUSES and is_planner_of(user, need.consortium_id)


def can_edit_need(user, need) -> bool:
    """The member's buyers and approvers, while the need is a draft or submitted (not yet decided)."""
    return is_member_staff(user, need.member_id) and need.status in ("draft", "submitted")


def can_submit_need(user, need) -> bool:
    """The member's buyers and approvers put the need forward."""
    return is_member_staff(user, need.member_id)


def can_decide_need(user, need) -> bool:
    """Who runs a round the need can be in: the member's approver, or the office (regional rounds)."""
    return is_member_approver(user, need.member_id) or is_office_of(user, need.consortium_id)


def can_advance_need(user, need) -> bool:
    """Work linked to a selected need moves it on (an RFI, a pilot, an order): the member's staff or the
    office, who issue and convert the RFIs and place the orders."""
    return is_member_staff(user, need.member_id) or is_office_of(user, need.consortium_id)


# --- priority rounds -------------------------------------------------------------------------------------


def can_start_round(user, consortium) -> bool:
    """A member's approver starts the member's round; the office's admins a regional one."""
    if not signed_in(user) or consortium is None:
        return False
    org = user.organization
    if is_office_of(user, consortium.id):
        return True
    return user.role == "approver" and org.kind == "member" and org.consortium_id == consortium.id


def can_run_round(user, round_) -> bool:
    """Adding needs, rating and closing: the owner member's approver, or the office for a regional round."""
    if round_.owner.kind == "office":
        return is_office_of(user, round_.consortium_id)
    return is_member_approver(user, round_.owner_id)


def can_view_round(user, round_) -> bool:
    """A member's round: its member and the office. A regional round: every member and the office."""
    if is_office_of(user, round_.consortium_id) or is_member_staff(user, round_.owner_id):
        return True
    return round_.owner.kind == "office" and is_planner_of(user, round_.consortium_id)


# --- the roadmap ----------------------------------------------------------------------------------------


def can_view_roadmap(user, member) -> bool:
    """A member's capital roadmap: the member and the office."""
    return is_member_staff(user, member.id) or is_office_of(user, member.consortium_id)
