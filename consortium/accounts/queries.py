"""Finding invitations and reset links: by the token in a link, and the open ones a person manages.

Invitations and resets are looked up outside any consortium (the person following a link is not signed
in yet), so the consortium is named explicitly here rather than by the tenancy hook."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from consortium.accounts.models import Invitation, PasswordReset
from consortium.context import hash_token, organizations_in
from consortium.models import Consortium, Organization, Supplier
from marketplace.db import utcnow
from marketplace.extensions import db

# `secrets.token_urlsafe(32)` gives 43 characters; anything else in a link names nothing.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def shared_vendor_ids(consortium: Consortium) -> set[int]:
    """Vendor companies that also supply another consortium: their people are managed by the company,
    not by one consortium's office."""
    stmt = (
        select(Supplier.organization_id)
        .group_by(Supplier.organization_id)
        .having(func.count(Supplier.consortium_id) > 1)
        .execution_options(all_tenants=True)
    )
    return set(db.session.scalars(stmt))


def invitable_organizations(user, consortium: Consortium) -> list[Organization]:
    """The organizations `user` may invite people into: for an admin every member, vendor (not a shared
    one) and the office of the consortium; for a member's approver their own city."""
    if user is not None and getattr(user, "role", None) == "approver":
        return [o for o in organizations_in(consortium, "member") if o.id == user.organization_id]
    shared = shared_vendor_ids(consortium)
    return [o for o in organizations_in(consortium) if o.id not in shared]


def _open(stmt):
    return stmt.where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                      Invitation.expires_at > utcnow())


def open_invitations(consortium: Consortium, user) -> list[Invitation]:
    """The invitations of the consortium still waiting to be accepted that `user` manages (an approver:
    those into their own city), newest first."""
    stmt = _open(select(Invitation).where(Invitation.consortium_id == consortium.id))
    if getattr(user, "role", None) != "admin":
        stmt = stmt.where(Invitation.organization_id == user.organization_id)
    return list(db.session.scalars(stmt.order_by(Invitation.created_at.desc(), Invitation.id.desc())))


def open_invitations_for(email: str, consortium_id: int) -> list[Invitation]:
    """The open invitations of one address in one consortium (a new one replaces them)."""
    stmt = _open(select(Invitation).where(Invitation.consortium_id == consortium_id,
                                          func.lower(Invitation.email) == email.lower()))
    return list(db.session.scalars(stmt))


def get_invitation(consortium: Consortium, invitation_id: int) -> Invitation | None:
    """An invitation of this consortium by id (None for another consortium's)."""
    invitation = db.session.get(Invitation, invitation_id)
    return invitation if invitation is not None and invitation.consortium_id == consortium.id else None


def invitation_by_token(raw: str) -> Invitation | None:
    """The invitation a link names, in whatever state (None: the link names nothing)."""
    if not isinstance(raw, str) or not _TOKEN.fullmatch(raw):
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(raw)))


def reset_by_token(raw: str) -> PasswordReset | None:
    """The password reset a link names, in whatever state (None: the link names nothing)."""
    if not isinstance(raw, str) or not _TOKEN.fullmatch(raw):
        return None
    return db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(raw)))


def open_resets_of(user_id: int) -> list[PasswordReset]:
    """Every reset link of a person not used yet (expired ones included: they are closed together)."""
    return list(db.session.scalars(select(PasswordReset).where(
        PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))))
