"""`flask --app marketplace users ...`: create people and issue API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from consortium import services
from consortium.accounts import services as accounts
from consortium.models import Consortium, Organization, Supplier, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.notifications.delivery import absolute
from marketplace.templating import when

users_cli = AppGroup("users", help="Create and invite users and issue API tokens.")


def _fail(err: DomainError) -> None:
    db.session.rollback()
    details = "; ".join(f"{k}: {v}" for k, v in err.fields.items())
    raise click.ClickException(err.message + (f" ({details})" if details else ""))


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organization", "org_name", required=True, help="Exact name of the organization.")
@click.option("--role", required=True, type=click.Choice(["buyer", "approver", "vendor", "admin"]))
@click.password_option(help="At least 12 characters (prompted when omitted).")
def create_user(email: str, name: str, org_name: str, role: str, password: str) -> None:
    """Create a user in an existing organization."""
    org = _organization(org_name)
    try:
        user = services.create_user(email=email, name=name, password=password, organization=org, role=role)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {org.name}.")


def _organization(org_name: str) -> Organization:
    orgs = db.session.scalars(select(Organization).where(Organization.name == org_name)).all()
    if not orgs:
        raise click.ClickException(f"No organization named '{org_name}'.")
    if len(orgs) > 1:
        raise click.ClickException(f"Several organizations are named '{org_name}'; rename one first.")
    return orgs[0]


def _consortium_of(org: Organization, slug: str | None) -> Consortium:
    """A member's or the office's own consortium; for a vendor, the one it supplies (or the one named)."""
    if org.consortium_id is not None:
        consortium = db.session.get(Consortium, org.consortium_id)
        if slug and consortium.slug != slug:
            raise click.ClickException(f"{org.name} belongs to '{consortium.slug}', not '{slug}'.")
        return consortium
    supplied = db.session.scalars(
        select(Consortium).join(Supplier, Supplier.consortium_id == Consortium.id)
        .where(Supplier.organization_id == org.id).execution_options(all_tenants=True)).all()
    chosen = [c for c in supplied if c.slug == slug] if slug else supplied
    if len(chosen) == 1:
        return chosen[0]
    if not supplied:
        raise click.ClickException(f"{org.name} supplies no consortium yet.")
    names = ", ".join(c.slug for c in supplied)
    raise click.ClickException(f"{org.name} supplies {names}: name one with --consortium.")


@users_cli.command("invite")
@click.argument("email")
@click.option("--org", "org_name", required=True, help="Exact name of the organization.")
@click.option("--role", required=True, type=click.Choice(["buyer", "approver", "vendor", "admin"]))
@click.option("--consortium", "slug", default=None, help="For a vendor that supplies several consortia.")
def invite_user(email: str, org_name: str, role: str, slug: str | None) -> None:
    """E-mail EMAIL an invitation (7 days, single use) and print its link too."""
    org = _organization(org_name)
    consortium = _consortium_of(org, slug)
    if services.account_exists(email):  # the operator may know; the pages answer alike (no enumeration)
        raise click.ClickException(f"{email} already has an account: that person can sign in, or reset the "
                                   "password from the sign-in page.")
    try:
        invitation, path = accounts.invite(email=email, organization=org, role=role, actor=None,
                                           consortium=consortium)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"Invited {invitation.email} as {role} of {org.name} in {consortium.name}; the link works once, "
               f"until {when(invitation.expires_at, consortium.time_zone)}. It is e-mailed with the next "
               "`notifications deliver`; to hand it over yourself:")
    click.echo(absolute(path))


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True, help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Print a new API token for EMAIL (shown once; only its hash is stored)."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    if not user.is_active:
        raise click.ClickException(f"{email} is deactivated.")
    try:
        _, raw = services.issue_token(user, name)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(raw)
