"""Invitations and password resets. They take the acting user explicitly, flush, raise domain errors,
write audit events and the e-mail (an outbox row in the same transaction), and never commit.

A link carries a random token; only its SHA-256 is stored, and the e-mail's body is cleared once sent,
so the token exists in the recipient's mailbox alone. An invitation works once, for 7 days; a reset
link once, for 1 hour. Using a reset link closes every other reset link of that person and ends every
session they had open.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from consortium import services as people
from consortium.accounts import permissions as can
from consortium.accounts import queries
from consortium.accounts.models import ACCEPTED, EXPIRED, OPEN, REVOKED, Invitation, PasswordReset
from consortium.context import ROLE_LABELS, consortium_ids_of, hash_token, organizations_in
from consortium.models import ROLES_BY_KIND, Consortium, Organization, User
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.delivery import absolute
from marketplace.notifications.services import link_for, send_account_mail
from marketplace.templating import when

INVITATION_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=1)

INVITATION_SENT = "invitation.sent"
INVITATION_ACCEPTED = "invitation.accepted"
INVITATION_REVOKED = "invitation.revoked"
PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
PASSWORD_RESET = "user.password_reset"


class LinkUnusable(DomainError):
    """The link was used, revoked or has expired: it no longer does anything (410 Gone)."""

    status = 410
    code = "gone"


INVITATION_GONE = {
    ACCEPTED: "This invitation was already used to create an account. Sign in with it, or reset its password.",
    REVOKED: "This invitation was withdrawn. Ask whoever invited you to send a new one.",
    EXPIRED: "This invitation has expired (invitations work for 7 days). Ask whoever invited you to send a "
             "new one.",
}
RESET_GONE = ("This password reset link no longer works: it was already used, a newer one was used, or it "
              "expired (links work for one hour). Ask for a new one.")


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


# --- invitations -----------------------------------------------------------------------------------


def _check_invitable(actor, organization: Organization | None, role: str, consortium: Consortium) -> None:
    """Field messages for an organization or role `actor` may not invite into (None: the command line,
    whose operator may invite into any organization of the consortium with a role that fits it)."""
    if actor is not None and not can.can_invite(actor, consortium):
        raise PermissionDenied("Only the consortium office, or a city's approver for their own city, can invite "
                               "people.")
    allowed = queries.invitable_organizations(actor, consortium) if actor else organizations_in(consortium)
    if organization is None or organization not in allowed:
        names = ", ".join(o.name for o in allowed) if actor is not None and actor.role != "admin" else ""
        raise ValidationFailed("Choose an organization you may invite people into.",
                               {"organization_id": f"You can invite people into {names} only." if names
                                else "Choose one of the organizations of this consortium."})
    roles = (can.invitable_roles(actor, organization, consortium) if actor is not None
             else ROLES_BY_KIND[organization.kind])
    if role not in roles:
        allowed_roles = " or ".join(ROLE_LABELS[r].lower() for r in roles)
        raise ValidationFailed("Choose a role you may give.",
                               {"role": f"People you invite into {organization.name} can be {allowed_roles}."})


def invite(*, email: str, organization: Organization | None, role: str, actor: User | None,
           consortium: Consortium) -> tuple[Invitation, str]:
    """Invite `email` into `organization` with `role` and e-mail them a link (7 days, single use).

    Returns the invitation and the link's path (shown once, for an operator without mail). A new
    invitation replaces the open one of the same address in this consortium. An address that already has
    an account is answered exactly like a new one (no enumeration, DESIGN section 9): the invitation is
    recorded, but the e-mail tells that person to sign in instead of carrying a link that makes an
    account."""
    email = people.normalize_email(email)
    _check_invitable(actor, organization, role, consortium)
    now = utcnow()
    for older in queries.open_invitations_for(email, consortium.id):
        if actor is not None and not can.can_revoke_invitation(actor, older):
            raise Conflict("An invitation for this address is already open.",
                           {"email": f"{older.organization.name} already invited this address; the consortium "
                                     "office can replace that invitation."})
        _revoke(older, actor=actor, now=now, reason="Replaced by a new invitation.")
    raw, token_hash = _new_token()
    invitation = Invitation(consortium_id=consortium.id, email=email, organization=organization, role=role,
                            token_hash=token_hash, invited_by_id=getattr(actor, "id", None),
                            created_at=now, expires_at=now + INVITATION_VALID)
    db.session.add(invitation)
    db.session.flush()
    audit.record(consortium_id=consortium.id, actor=actor, action=INVITATION_SENT, obj=invitation,
                 after={"email": email, "organization": organization.name, "role": role,
                        "expires_at": invitation.expires_at})
    path = link_for("accounts.accept_invitation", token=raw)
    if people.account_exists(email):
        _mail_existing_account(invitation, consortium, actor)
    else:
        _mail_invitation(invitation, consortium, actor, path)
    return invitation, path


def _inviter(consortium: Consortium, actor) -> str:
    return f"{actor.name} ({actor.organization.name})" if actor is not None else f"The {consortium.name} office"


def _mail_existing_account(invitation: Invitation, consortium: Consortium, actor) -> None:
    """The invited address already has an account: say so to its owner, and only to them."""
    role = ROLE_LABELS[invitation.role].lower()
    sign_in = link_for("auth.login")
    body = (f"{_inviter(consortium, actor)} invited you to {consortium.name} on Alliance Marketplace as {role} "
            f"of {invitation.organization.name}.\n\n"
            "You already have an account with this e-mail address, so there is nothing to accept: sign in at "
            f"{absolute(sign_in)} (if you forgot your password, reset it from the sign-in page). If your "
            f"organization or role should change, tell {_inviter(consortium, actor)}.")
    send_account_mail(address=invitation.email, consortium_id=consortium.id,
                      subject=f"You are invited: {role} of {invitation.organization.name}", body=body, link=sign_in)


def _mail_invitation(invitation: Invitation, consortium: Consortium, actor, path: str) -> None:
    role = ROLE_LABELS[invitation.role].lower()
    body = (f"{_inviter(consortium, actor)} invited you to {consortium.name} on Alliance Marketplace as {role} of "
            f"{invitation.organization.name}.\n\n"
            f"To accept, choose your name and a password at this address:\n{absolute(path)}\n\n"
            f"The link works once, until {when(invitation.expires_at, consortium.time_zone)}. If you did not "
            "expect this invitation, ignore this e-mail: no account is made without you.")
    send_account_mail(address=invitation.email, consortium_id=consortium.id,
                      subject=f"You are invited: {role} of {invitation.organization.name}", body=body, link=path)


def _revoke(invitation: Invitation, *, actor, now, reason: str | None = None) -> None:
    invitation.revoked_at = now
    db.session.flush()
    audit.record(consortium_id=invitation.consortium_id, actor=actor, action=INVITATION_REVOKED, obj=invitation,
                 before={"state": OPEN}, after={"state": REVOKED, "email": invitation.email}, reason=reason)


def _locked(model, row):
    """Re-read the link's row under a write lock (two uses of one link: the second waits, then sees the
    first). Its relationships load afterwards: PostgreSQL cannot lock the outer joins of eager loading."""
    stmt = (select(model).where(model.id == row.id).options(lazyload("*")).with_for_update(of=model)
            .execution_options(populate_existing=True))
    fresh = db.session.scalar(stmt)
    if fresh is None:
        raise Conflict("This link no longer exists.")
    return fresh


def revoke_invitation(invitation: Invitation, *, actor: User) -> Invitation:
    """Withdraw an open invitation: its link stops working at once."""
    if not can.can_revoke_invitation(actor, invitation):
        raise PermissionDenied("Only the consortium office, or the city's approver for their own city, can "
                               "withdraw this invitation.")
    invitation = _locked(Invitation, invitation)
    state = invitation.state()
    if state != OPEN:
        raise Conflict({ACCEPTED: f"{invitation.email} already accepted this invitation.",
                        REVOKED: "This invitation was already withdrawn.",
                        EXPIRED: "This invitation has already expired."}[state])
    _revoke(invitation, actor=actor, now=utcnow())
    return invitation


def usable_invitation(invitation: Invitation) -> Invitation:
    """The invitation if its link still works, else LinkUnusable saying why."""
    state = invitation.state()
    if state != OPEN:
        raise LinkUnusable(INVITATION_GONE[state])
    return invitation


def accept_invitation(invitation: Invitation, *, name: str, password: str) -> User:
    """Create the invited person's account with the name and password they chose (`create_user`: the
    same rules and audit as any account) and close the invitation. Only an open invitation works."""
    invitation = usable_invitation(_locked(Invitation, invitation))
    if people.account_exists(invitation.email):
        raise LinkUnusable("An account with this address already exists. Sign in, or reset its password from "
                           "the sign-in page.")
    user = people.create_user(email=invitation.email, name=name, password=password,
                              organization=invitation.organization, role=invitation.role,
                              actor=invitation.invited_by, consortium=invitation.consortium)
    invitation.accepted_at = utcnow()
    invitation.user_id = user.id
    db.session.flush()
    audit.record(consortium_id=invitation.consortium_id, actor=user, action=INVITATION_ACCEPTED, obj=invitation,
                 before={"state": OPEN}, after={"state": ACCEPTED, "user_id": user.id})
    return user


# --- password resets -------------------------------------------------------------------------------


def request_password_reset(address) -> PasswordReset | None:
    """E-mail a reset link (1 hour, single use) to the active account with this address. Nothing at all
    happens for an unknown or deactivated address, and the caller answers the same either way."""
    user = people.find_user_by_address(address)
    if user is None or not user.is_active:
        return None
    consortium_ids = consortium_ids_of(user)
    if not consortium_ids:
        return None  # a vendor that supplies no consortium yet: nowhere to send from
    consortium = db.session.get(Consortium, consortium_ids[0])
    raw, token_hash = _new_token()
    now = utcnow()
    reset = PasswordReset(user=user, token_hash=token_hash, created_at=now, expires_at=now + RESET_VALID)
    db.session.add(reset)
    db.session.flush()
    audit.record(consortium_id=consortium.id, actor=None, action=PASSWORD_RESET_REQUESTED, obj=user,
                 after={"expires_at": reset.expires_at})
    path = link_for("accounts.reset_password", token=raw)
    body = (f"Someone asked to reset the password of your Alliance Marketplace account ({user.email}).\n\n"
            f"To choose a new password, open this address:\n{absolute(path)}\n\n"
            f"The link works once, until {when(reset.expires_at, consortium.time_zone)}. Choosing a new password "
            "signs you out on every other device. If you did not ask for this, ignore this e-mail: your "
            "password stays as it is.")
    send_account_mail(address=user.email, consortium_id=consortium.id, subject="Reset your password",
                      body=body, link=path)
    return reset


def usable_reset(reset: PasswordReset) -> PasswordReset:
    """The reset if its link still works (and its account is active), else LinkUnusable."""
    if reset.state() != OPEN or not reset.user.is_active:
        raise LinkUnusable(RESET_GONE)
    return reset


def reset_password(reset: PasswordReset, *, password: str) -> User:
    """Set the person's new password, close every reset link they have, and end all their sessions."""
    reset = usable_reset(_locked(PasswordReset, reset))
    user = people.set_password(reset.user, password)
    now = utcnow()
    for link in queries.open_resets_of(user.id):
        link.used_at = now
    db.session.flush()
    ids = consortium_ids_of(user)
    if ids:
        audit.record(consortium_id=ids[0], actor=user, action=PASSWORD_RESET, obj=user,
                     after={"sessions_ended": True})
    return user
