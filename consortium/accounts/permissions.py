"""Who may invite whom, and who may revoke an invitation. Each answers for the consortium named (by
default the current one), so the services answer the same in a request, a command or a test."""

from __future__ import annotations

from consortium.context import belongs
from consortium.models import ROLES_BY_KIND, Consortium, Organization

# What a member's approver may make of the people they invite into their own city.
APPROVER_INVITES = ("buyer", "approver")


def can_invite(user, consortium: Consortium | None = None) -> bool:
    """The consortium's admins invite people of any of its organizations; a member's approver invites
    buyers and approvers of their own city."""
    return belongs(user, consortium) and user.role in ("admin", "approver")


def invitable_roles(user, organization: Organization, consortium: Consortium | None = None) -> tuple[str, ...]:
    """The roles `user` may give a person they invite into `organization` (none: not theirs to invite)."""
    if organization is None or not can_invite(user, consortium):
        return ()
    if user.role == "admin":
        return ROLES_BY_KIND[organization.kind]
    if organization.id == user.organization_id:
        return tuple(r for r in APPROVER_INVITES if r in ROLES_BY_KIND[organization.kind])
    return ()


def can_invite_as(user, organization: Organization, role: str, consortium: Consortium | None = None) -> bool:
    """`user` may invite someone into `organization` with `role`."""
    return role in invitable_roles(user, organization, consortium)


def can_revoke_invitation(user, invitation) -> bool:
    """An admin of the invitation's consortium revokes any of its invitations; an approver those into
    their own city."""
    if not can_invite(user, invitation.consortium):
        return False
    return user.role == "admin" or invitation.organization_id == user.organization_id
