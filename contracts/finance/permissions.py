"""Who may see and add financing, and who runs a fund: one pure predicate per action.

Financing instruments follow their order or need (DESIGN section 3): whoever may see the order (the need)
sees them; its member (buyers and approvers) and the consortium office add them. A fund is seen by its owner's
people and the consortium's admins; the owner member's approver contributes to it and draws on it, and the
office's admins run the office's fund.
"""

from __future__ import annotations

from consortium.permissions import is_office_of, signed_in
from consortium.planning.permissions import can_view_need, is_member_staff
from contracts.orders.permissions import can_view_order, is_member_staff_of


def can_view_financing(user, instrument) -> bool:
    """Whoever may see the order (or the need) sees its financing."""
    if instrument.need_id is not None:
        return can_view_need(user, instrument.need)
    return can_view_order(user, instrument.order)


def can_add_financing(user, order) -> bool:
    """The order's member (buyers and approvers) and the consortium office."""
    return is_member_staff_of(user, order) or is_office_of(user, order.consortium_id)


def can_add_need_financing(user, need) -> bool:
    """The need's member (buyers and approvers) and the consortium office."""
    return is_member_staff(user, need.member_id) or is_office_of(user, need.consortium_id)


def can_view_fund(user, fund) -> bool:
    """The owner's people and the consortium's admins."""
    if not signed_in(user):
        return False
    return user.organization_id == fund.owner_id or is_office_of(user, fund.consortium_id)


def runs_fund(user, fund) -> bool:
    """A member's fund is run by the member's approver; the office's fund by the office's admins."""
    if not signed_in(user) or user.organization_id != fund.owner_id:
        return False
    if fund.owner.kind == "office":
        return is_office_of(user, fund.consortium_id)
    return fund.owner.kind == "member" and user.role == "approver"


def can_contribute_to_fund(user, fund) -> bool:
    """Whoever runs the fund records the money put into it."""
    return runs_fund(user, fund)


def can_draw_on_fund(user, fund) -> bool:
    """Whoever runs the fund draws on it: the member's approver, or the office's admins."""
    return runs_fund(user, fund)


def can_create_fund(user, owner) -> bool:
    """A member's approver opens a fund for the member; an admin, for the office or any member of its
    consortium."""
    if not signed_in(user) or owner is None or owner.kind not in ("member", "office"):
        return False
    if is_office_of(user, owner.consortium_id):
        return True
    return user.role == "approver" and user.organization_id == owner.id


def can_create_funds(user, consortium) -> bool:
    """For pages and menus: the people who may open some fund here (a member's approvers, the admins)."""
    if not signed_in(user) or consortium is None:
        return False
    org = user.organization
    return (org is not None and org.consortium_id == consortium.id
            and ((org.kind == "member" and user.role == "approver") or is_office_of(user, consortium.id)))
