"""`flask --app marketplace users ...`: create people and issue API tokens from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from consortium import services
from consortium.models import Organization, User
from marketplace.errors import DomainError
from marketplace.extensions import db

users_cli = AppGroup("users", help="Create users and issue API tokens.")


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
    orgs = db.session.scalars(select(Organization).where(Organization.name == org_name)).all()
    if not orgs:
        raise click.ClickException(f"No organization named '{org_name}'.")
    if len(orgs) > 1:
        raise click.ClickException(f"Several organizations are named '{org_name}'; rename one first.")
    try:
        user = services.create_user(email=email, name=name, password=password, organization=orgs[0], role=role)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} in {orgs[0].name}.")


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
