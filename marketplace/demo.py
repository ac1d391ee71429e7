"""`flask --app marketplace demo load`: the demo data of DESIGN section 8, idempotent.

Every object is looked up by its natural key first, so running the loader twice changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import select

from consortium import services as people
from consortium.models import Consortium, Organization, User
from marketplace.extensions import db

DEMO_PASSWORD = "demo-password"

CONSORTIA = [
    {
        "slug": "gpsr",
        "name": "Greater Phoenix Smart Region",
        "legal_basis": "Cooperative purchasing under A.R.S. §41-2632 and the Greater Phoenix Smart Region "
        "intergovernmental agreement.",
        "admin_fee_pct": Decimal("1.5"),
        "office": ("Greater Phoenix Smart Region Office", "admin@gpsr.example"),
        "members": [
            ("Mesa", "mesa", 504258, Decimal("250000.00")),
            ("Tempe", "tempe", 180587, Decimal("100000.00")),
            ("Chandler", "chandler", 275987, Decimal("150000.00")),
            ("Scottsdale", "scottsdale", 241361, Decimal("150000.00")),
        ],
        "vendors": [
            ("BrightStreet Lighting", "brightstreet"),
            ("ParkSense", "parksense"),
            ("FlowMobility", "flowmobility"),
        ],
    },
    {
        "slug": "frca",
        "name": "Front Range Cities Alliance",
        "legal_basis": "Cooperative purchasing under C.R.S. §24-110-201 and the Front Range Cities Alliance "
        "intergovernmental agreement.",
        "admin_fee_pct": Decimal("1.0"),
        "office": ("Front Range Cities Alliance Office", "admin@frca.example"),
        "members": [
            ("Boulder", "boulder", 105485, Decimal("120000.00")),
            ("Fort Collins", "fortcollins", 170376, Decimal("120000.00")),
        ],
        "vendors": [("BrightStreet Lighting", "brightstreet")],
    },
]


def _consortium(spec: dict) -> Consortium:
    found = db.session.scalar(select(Consortium).where(Consortium.slug == spec["slug"]))
    return found or people.create_consortium(
        name=spec["name"], slug=spec["slug"], legal_basis=spec["legal_basis"], admin_fee_pct=spec["admin_fee_pct"]
    )


def _organization(kind: str, name: str, consortium: Consortium, **fields) -> Organization:
    stmt = select(Organization).where(Organization.kind == kind, Organization.name == name)
    if kind != "vendor":
        stmt = stmt.where(Organization.consortium_id == consortium.id)
    found = db.session.scalar(stmt)
    if found is not None:
        if kind == "vendor":
            people.add_supplier(consortium, found)
        return found
    return people.create_organization(kind=kind, name=name, consortium=consortium, **fields)


def _user(email: str, name: str, org: Organization, role: str, consortium: Consortium, accounts: list) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    if found is None:
        found = people.create_user(
            email=email, name=name, password=DEMO_PASSWORD, organization=org, role=role, consortium=consortium
        )
    if (email, role) not in [(a[0], a[1]) for a in accounts]:
        accounts.append((email, role, org.name, consortium.slug))
    return found


def load_people() -> list[tuple[str, str, str, str]]:
    """Consortia, organizations and users; returns the demo accounts (email, role, org, consortium)."""
    accounts: list[tuple[str, str, str, str]] = []
    for spec in CONSORTIA:
        consortium = _consortium(spec)
        office_name, office_email = spec["office"]
        office = _organization("office", office_name, consortium)
        _user(office_email, f"{spec['slug'].upper()} Program Office", office, "admin", consortium, accounts)
        for name, key, population, limit in spec["members"]:
            member = _organization(
                "member", name, consortium, entity_type="city", population=population, approval_limit=limit
            )
            _user(f"buyer@{key}.example", f"{name} Buyer", member, "buyer", consortium, accounts)
            _user(f"approver@{key}.example", f"{name} Champion", member, "approver", consortium, accounts)
        for name, key in spec["vendors"]:
            vendor = _organization("vendor", name, consortium)
            _user(f"vendor@{key}.example", f"{name} Sales", vendor, "vendor", consortium, accounts)
    db.session.flush()
    return accounts


def load_demo() -> list[tuple[str, str, str, str]]:
    """Load every domain's demo data in order; each step is idempotent."""
    return load_people()


def print_accounts(accounts) -> None:
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for email, role, org, slug in accounts:
        click.echo(f"  {email:<32} {role:<9} {org:<38} {slug}")


demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo consortia, organizations, users and their data (safe to run again)."""
    accounts = load_demo()
    db.session.commit()
    print_accounts(accounts)


@demo_cli.command("accounts")
def accounts_command() -> None:
    """Print the demo accounts without changing anything."""
    users = db.session.scalars(select(User).where(User.email.like("%.example")).order_by(User.id)).all()
    rows = []
    for u in users:
        slug = u.organization.consortium.slug if u.organization.consortium else "(vendor: several)"
        rows.append((u.email, u.role, u.organization.name, slug))
    print_accounts(rows)
