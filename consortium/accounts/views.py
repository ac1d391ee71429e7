"""Invitations (sending, withdrawing, accepting) and password resets (asking for a link, using it).

The links a person follows from an e-mail (`/invitations/<token>`, `/reset-password/<token>`) work
without signing in: an unknown token answers 404, a used, withdrawn or expired one 410, and neither
changes anything."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consortium import services as people
from consortium.accounts import permissions as can
from consortium.accounts import queries, services, validation
from consortium.accounts.forms import AcceptInvitationForm, ForgotPasswordForm, InviteForm, ResetPasswordForm
from consortium.accounts.services import LinkUnusable
from consortium.context import ROLE_LABELS, current_consortium, require, start_session
from consortium.models import ROLES, Organization
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db, limiter
from marketplace.templating import when

accounts = Blueprint("accounts", __name__, template_folder="../templates")
people_bp = Blueprint("people", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

# Each request e-mails a link, so every request counts (not only failures, as on the sign-in form).
FORGOT_LIMIT_PER_ADDRESS = "10 per 15 minutes"
FORGOT_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
RESET_REQUESTED = ("If an account exists for that address, we have e-mailed a link to choose a new password. "
                   "The link works once, for one hour.")
UNKNOWN_LINK = "This link is not valid. Check that you copied the whole address from the e-mail."
KIND_LABELS = {"member": "Member", "vendor": "Vendor", "office": "Office"}


def _forgot_key() -> str:
    return "forgot-" + people.sign_in_throttle_key(request.form.get("email"))


def _fields_to_form(form, err: DomainError) -> None:
    for name, message in err.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
        else:
            form.form_errors.append(message)
    if not err.fields:
        form.form_errors.append(err.message)


def _unusable(message: str, status: int):
    return render_template("consortium/accounts/link_unusable.html", message=message, status=status), status


def _landing_url(user, consortium=None) -> str:
    consortium = consortium or people.home_consortium(user)
    return url_for("home.dashboard", consortium_slug=consortium.slug) if consortium else url_for("auth.account")


# --- inviting (in a consortium) --------------------------------------------------------------------


def _invite_form(consortium) -> InviteForm:
    form = InviteForm()
    orgs = queries.invitable_organizations(current_user, consortium)
    form.organization_id.choices = [("", "Choose an organization")] + [
        (o.id, f"{o.name} ({KIND_LABELS[o.kind]})") for o in orgs]
    roles = {r for o in orgs for r in can.invitable_roles(current_user, o)}
    form.role.choices = [(r, ROLE_LABELS[r]) for r in ROLES if r in roles]
    return form


@people_bp.route("/users/new", methods=["GET", "POST"])
def invite():
    require(can.can_invite(current_user))
    consortium = current_consortium()
    form = _invite_form(consortium)
    if form.validate_on_submit():
        try:
            data = validation.clean_invitation({"email": form.email.data, "role": form.role.data,
                                                "organization_id": str(form.organization_id.data)})
            invitation, _ = services.invite(
                email=data["email"], organization=db.session.get(Organization, data["organization_id"]),
                role=data["role"], actor=current_user, consortium=consortium)
        except DomainError as err:
            db.session.rollback()
            _fields_to_form(form, err)
        else:
            db.session.commit()
            flash(f"Invitation e-mailed to {invitation.email} ({ROLE_LABELS[invitation.role].lower()} of "
                  f"{invitation.organization.name}). The link works once, until "
                  f"{when(invitation.expires_at, consortium.time_zone)}.", "success")
            return redirect(url_for("home.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("consortium/accounts/invite.html", form=form), status


@people_bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
def revoke_invitation(invitation_id: int):
    require(can.can_invite(current_user))
    invitation = queries.get_invitation(current_consortium(), invitation_id)
    if invitation is None:
        abort(404)
    try:
        services.revoke_invitation(invitation, actor=current_user)
    except DomainError as err:
        db.session.rollback()
        if err.status == 403:
            raise
        flash(err.message, "error")
        return redirect(url_for("home.users")), 303
    db.session.commit()
    flash(f"The invitation of {invitation.email} was withdrawn: its link no longer works.", "success")
    return redirect(url_for("home.users"))


# --- following a link from an e-mail ----------------------------------------------------------------


@accounts.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    invitation = queries.invitation_by_token(token)
    if invitation is None:
        return _unusable(UNKNOWN_LINK, 404)
    try:
        services.usable_invitation(invitation)
    except LinkUnusable as err:
        return _unusable(err.message, err.status)
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(invitation, **validation.clean_account(form.data))
        except LinkUnusable as err:
            db.session.rollback()
            return _unusable(err.message, err.status)
        except ValidationFailed as err:
            db.session.rollback()
            _fields_to_form(form, err)
        else:
            start_session(user)
            db.session.commit()
            flash(f"Welcome, {user.name}. Your account is ready and you are signed in.", "success")
            return redirect(_landing_url(user, invitation.consortium))
    status = 400 if request.method == "POST" else 200
    return render_template("consortium/accounts/accept.html", invitation=invitation, form=form,
                           role_name=ROLE_LABELS[invitation.role]), status


@accounts.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT_PER_ADDRESS, methods=["POST"])
@limiter.limit(FORGOT_LIMIT_PER_ACCOUNT, methods=["POST"], key_func=_forgot_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template("consortium/accounts/reset_requested.html", message=RESET_REQUESTED)
    status = 400 if request.method == "POST" else 200
    return render_template("consortium/accounts/forgot_password.html", form=form), status


@accounts.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    reset = queries.reset_by_token(token)
    if reset is None:
        return _unusable(UNKNOWN_LINK, 404)
    try:
        services.usable_reset(reset)
    except LinkUnusable as err:
        return _unusable(err.message, err.status)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(reset, password=validation.clean_new_password(form.data))
        except LinkUnusable as err:
            db.session.rollback()
            return _unusable(err.message, err.status)
        except ValidationFailed as err:
            db.session.rollback()
            _fields_to_form(form, err)
        else:
            start_session(user)
            db.session.commit()
            flash("Your password was changed and you are signed in. Every other session of yours has ended; "
                  "your API tokens keep working.", "success")
            return redirect(_landing_url(user))
    status = 400 if request.method == "POST" else 200
    return render_template("consortium/accounts/reset_password.html", form=form, email=reset.user.email), status
