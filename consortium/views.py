"""Sign-in, account and API tokens, the consortium home page, the directory, user admin (the audit log is
consortium.audit)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select

from consortium import permissions, services
from consortium.accounts import queries as account_queries
from consortium.columns import organization_columns, people_columns
from consortium.context import (
    acting_role,
    consortium_ids_of,
    current_consortium,
    organizations_in,
    require,
    start_session,
)
from consortium.forms import EmptyForm, LoginForm, ReasonForm, TokenForm
from consortium.models import ApiToken, Consortium, User
from marketplace.errors import DomainError, ValidationFailed
from marketplace.extensions import db, limiter
from marketplace.queue import queue_for

auth = Blueprint("auth", __name__, template_folder="templates")
home = Blueprint("home", __name__, url_prefix="/c/<consortium_slug>", template_folder="templates")

LOGIN_LIMIT_PER_ADDRESS = "10 per 15 minutes"
LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"


def _login_failed(response) -> bool:
    return bool(g.get("login_failed"))


def _submitted_email() -> str:
    """The per-account throttle's key: the typed address cleaned and case-folded exactly as the account
    lookup cleans it, so `BUYER@…`, `buyer@…\\x00` or a zero-width space share one allowance."""
    return services.sign_in_throttle_key(request.form.get("email"))


# Whitespace and control characters: browsers drop tabs and line breaks from URLs (`/\t/evil` becomes
# `//evil`), and a line break in a Location header would inject headers.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no `//`, backslash, whitespace or control
    character tricks (no open redirect, no header injection); None for anything else."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if _UNSAFE_IN_NEXT.search(target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_url_for(user) -> str:
    ids = consortium_ids_of(user)
    if not ids:
        return url_for("auth.account")
    consortium = db.session.get(Consortium, ids[0])
    return url_for("home.dashboard", consortium_slug=consortium.slug)


@auth.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    consortia = db.session.scalars(select(Consortium).order_by(Consortium.name)).all()
    return render_template("consortium/landing.html", consortia=consortia)


@auth.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_ADDRESS, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, methods=["POST"], deduct_when=_login_failed, key_func=_submitted_email)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or home_url_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            flash(f"Signed in as {user.name}.", "success")
            return redirect(safe_next(request.args.get("next")) or home_url_for(user))
        g.login_failed = True
        form.form_errors.append("That e-mail address and password do not match an active account.")
    return render_template("consortium/login.html", form=form)


SIGNED_OUT = ("You have signed out on every device: any other browser where you were signed in must sign in "
              "again. Your API tokens keep working until you revoke them.")


@auth.route("/logout", methods=["POST"])
def logout():
    """Sign out, and end every other session of the same person (a copied cookie stops working)."""
    EmptyForm().validate_on_submit()  # CSRF is checked globally; the form only carries the token
    was_signed_in = current_user.is_authenticated
    if was_signed_in:
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()  # nothing of the previous person's session (flash messages, CSRF token) survives
    flash(SIGNED_OUT if was_signed_in else "You have signed out.", "info")
    return redirect(url_for("auth.index"))


SIGNED_OUT_EVERYWHERE = ("You are signed out everywhere: this browser and every other device where you were "
                         "signed in must sign in again. Your API tokens and your password are unchanged.")


@auth.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    """End every session of this person, this one included; nothing else (tokens, password) changes."""
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(SIGNED_OUT_EVERYWHERE, "success")
    return redirect(url_for("auth.login"))


@auth.route("/account")
@login_required
def account():
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("consortium/account.html", tokens=tokens, form=TokenForm(), revoke_form=EmptyForm())


@auth.route("/account/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            _, new_token = services.issue_token(current_user, form.name.data)
            db.session.commit()
            form = TokenForm(formdata=None)
        except DomainError as err:
            db.session.rollback()
            form.name.errors.append(err.fields.get("name", err.message))
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    status = 200 if new_token or not form.errors else 400
    return render_template(
        "consortium/account.html", tokens=tokens, form=form, revoke_form=EmptyForm(), new_token=new_token
    ), status


@auth.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if token is None:
        abort(404)
    services.revoke_token(token, actor=current_user)
    db.session.commit()
    flash(f"Token “{token.name}” revoked. It no longer works.", "success")
    return redirect(url_for("auth.account"))


# --- pages of one consortium -------------------------------------------------------------------


WAITING_SHOWN = 25  # the oldest items on the home page; "Show all" lists the rest


@home.route("/")
def dashboard():
    consortium = current_consortium()
    role = acting_role()
    members = organizations_in(consortium, "member")
    vendors = organizations_in(consortium, "vendor")
    org = current_user.organization if role else None
    waiting = queue_for(current_user, consortium) if role else []
    show_all = request.args.get("waiting") == "all"
    return render_template(
        "consortium/dashboard.html", consortium=consortium, role=role, org=org, members=members, vendors=vendors,
        waiting=waiting if show_all else waiting[:WAITING_SHOWN], waiting_total=len(waiting),
    )




def _directory_rows(kind: str):
    require(permissions.can_view_directory(current_user))
    orgs = organizations_in(current_consortium(), kind)
    counts = dict(
        db.session.execute(
            select(User.organization_id, func.count(User.id))
            .where(User.organization_id.in_([o.id for o in orgs]), User.is_active.is_(True))
            .group_by(User.organization_id)
        ).all()
    )
    return orgs, counts


def _directory(kind: str):
    orgs, counts = _directory_rows(kind)
    return render_template("consortium/organizations.html", kind=kind, orgs=orgs, people=counts)


def _directory_csv(kind: str):
    orgs, counts = _directory_rows(kind)
    admin = current_user.role == "admin"  # the page shows approval limits to the office only
    return organization_columns(lambda _: admin, counts).response(f"{kind}s.csv", orgs)


@home.route("/members")
def members():
    return _directory("member")


@home.route("/members/export.csv")
def members_csv():
    return _directory_csv("member")


@home.route("/vendors")
def vendors():
    return _directory("vendor")


@home.route("/vendors/export.csv")
def vendors_csv():
    return _directory_csv("vendor")


def _people(consortium: Consortium) -> list[User]:
    """Everyone of the consortium for an admin; a member's approver sees the people of their city."""
    if permissions.can_manage_users(current_user):
        org_ids = [o.id for o in organizations_in(consortium)]
    else:
        org_ids = [current_user.organization_id]
    stmt = select(User).where(User.organization_id.in_(org_ids)).order_by(User.organization_id, User.email)
    return list(db.session.scalars(stmt))


@home.route("/users")
def users():
    require(permissions.can_view_people(current_user))
    consortium = current_consortium()
    return render_template(
        "consortium/users.html",
        people=_people(consortium),
        shared=account_queries.shared_vendor_ids(consortium),
        invitations=account_queries.open_invitations(consortium, current_user),
        may_manage=permissions.can_manage_users(current_user),
        action_form=EmptyForm(),
    )


@home.route("/users/export.csv")
def users_csv():
    require(permissions.can_view_people(current_user))
    consortium = current_consortium()
    return people_columns(account_queries.shared_vendor_ids(consortium)).response("people.csv", _people(consortium))


def _managed_user_or_404(user_id: int) -> User:
    consortium = current_consortium()
    target = db.session.get(User, user_id)
    if target is None or target.organization not in organizations_in(consortium):
        abort(404)
    shared = target.organization_id in account_queries.shared_vendor_ids(consortium)
    if not permissions.can_manage_user(current_user, target, shared):
        abort(403)
    return target


@home.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    require(permissions.can_manage_users(current_user))
    target = _managed_user_or_404(user_id)
    form = ReasonForm()
    try:
        services.set_active(target, False, actor=current_user, consortium=current_consortium(),
                            reason=form.reason.data or "")
    except ValidationFailed as err:
        db.session.rollback()
        flash(err.in_full, "error")
        return redirect(url_for("home.users")), 303
    db.session.commit()
    flash(f"{target.name} is deactivated: they can no longer sign in or use API tokens.", "success")
    return redirect(url_for("home.users"))


@home.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    require(permissions.can_manage_users(current_user))
    target = _managed_user_or_404(user_id)
    services.set_active(target, True, actor=current_user, consortium=current_consortium())
    db.session.commit()
    flash(f"{target.name} is active again.", "success")
    return redirect(url_for("home.users"))
