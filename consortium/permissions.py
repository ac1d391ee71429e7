"""Who may do what with people and organizations. Each function answers for the current consortium."""

from __future__ import annotations

from consortium.context import belongs
from consortium.models import User


def signed_in(user) -> bool:
    """Someone is signed in (anonymous users and missing users are not)."""
    return bool(getattr(user, "is_authenticated", False))


def is_office_of(user, consortium_id: int | None) -> bool:
    """An admin of the office of consortium `consortium_id`. It names the object's own consortium, so it
    answers the same in a request, a CLI command or the demo loader."""
    if not signed_in(user) or user.role != "admin" or consortium_id is None:
        return False
    org = user.organization
    return org is not None and org.kind == "office" and org.consortium_id == consortium_id


def is_admin_here(user) -> bool:
    """A consortium admin of the current consortium."""
    return belongs(user) and user.role == "admin"


def can_view_directory(user) -> bool:
    """Members, vendors and admins of the consortium see who else is in it."""
    return belongs(user)


def can_manage_users(user) -> bool:
    """Deactivate and reactivate people of the consortium."""
    return is_admin_here(user)


def can_view_people(user) -> bool:
    """The people page: admins see everyone of the consortium, a member's approver the people of their
    city (and the invitations they may withdraw)."""
    return belongs(user) and user.role in ("admin", "approver")


def can_read_audit_log(user) -> bool:
    return is_admin_here(user)


def can_manage_user(user, target: User, shared_vendor: bool) -> bool:
    """An admin manages the people of their own consortium. A vendor company shared with another
    consortium is not theirs alone to deactivate, so its people are read-only here."""
    return is_admin_here(user) and target.id != user.id and not shared_vendor
