"""Business operations on people and organizations. They take the acting user explicitly, flush,
raise domain errors, write audit events, and never commit (the request or CLI command does)."""

from __future__ import annotations

import secrets
import unicodedata
from decimal import Decimal
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from consortium.context import SLUG, consortium_ids_of, hash_token
from consortium.models import (
    ADDRESS_MAX,
    EMAIL_MAX,
    ORGANIZATION_NAME_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    PERSON_NAME_MAX,
    ROLES_BY_KIND,
    TOKEN_NAME_MAX,
    ApiToken,
    Consortium,
    Organization,
    Supplier,
    User,
)
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import clean_text, decision_reason, nfc, raise_if, text_problem

# A fixed hash to compare against when the e-mail is unknown, so a failed sign-in takes the same
# time whether or not the account exists (no user enumeration by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password-xxxxxxxx")


def normalize_email(raw: str) -> str:
    problem = text_problem(raw) if isinstance(raw, str) else "Must be text."
    if problem or len(raw) > EMAIL_MAX:
        raise ValidationFailed("Enter a valid e-mail address.",
                               {"email": problem or f"Use at most {EMAIL_MAX} characters."})
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed("Enter a valid e-mail address.", {"email": str(exc)}) from exc


# Characters a person cannot see or type on purpose: controls, format characters (zero-width space,
# soft hyphen, byte order mark) and lone surrogates.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})


def sign_in_address(raw) -> str:
    """The address typed on the sign-in form as the account lookup sees it: invisible characters
    dropped, NFC, surrounding spaces stripped, lower case ("" for anything longer than an address).
    The sign-in throttle keys on the same text, case-folded, so no spelling of one account's address
    (capitals, a NUL, a zero-width space) starts a fresh allowance."""
    if not isinstance(raw, str) or len(raw) > EMAIL_MAX:
        return ""
    visible = "".join(ch for ch in raw if unicodedata.category(ch) not in _INVISIBLE)
    return nfc(visible).lower()


def sign_in_throttle_key(raw) -> str:
    """The per-account bucket of the sign-in throttle for what was typed as the e-mail address."""
    return "login:" + sign_in_address(raw).casefold()


def _home_consortium_id(org: Organization, consortium: Consortium | None) -> int:
    if org.consortium_id is not None:
        return org.consortium_id
    if consortium is None:
        raise ValueError("a vendor's audit events need the consortium acted in")
    return consortium.id


def create_consortium(*, name: str, slug: str, legal_basis: str = "", admin_fee_pct=Decimal("0"),
                      time_zone: str = "UTC"):
    if not SLUG.fullmatch(slug):
        raise ValidationFailed("Invalid slug.", {"slug": "Use lower-case letters, digits and dashes."})
    if time_zone not in available_timezones():
        raise ValidationFailed("Unknown time zone.", {"time_zone": "Use an IANA name such as America/Phoenix."})
    if db.session.scalar(select(Consortium).where(Consortium.slug == slug)):
        raise Conflict(f"A consortium '{slug}' already exists.", {"slug": "Already taken."})
    consortium = Consortium(name=name, slug=slug, legal_basis=legal_basis, admin_fee_pct=admin_fee_pct,
                            time_zone=time_zone)
    db.session.add(consortium)
    db.session.flush()
    return consortium


def create_organization(
    *,
    kind: str,
    name: str,
    consortium: Consortium | None = None,
    entity_type: str | None = None,
    population: int | None = None,
    approval_limit: Decimal | None = None,
    address: str = "",
    actor=None,
) -> Organization:
    """Create a member, office or vendor organization; a vendor becomes a supplier of `consortium`. The
    postal address (several lines) is printed on purchase orders."""
    if kind not in ROLES_BY_KIND:
        raise ValidationFailed("Unknown kind of organization.", {"kind": "Choose member, vendor or office."})
    fields: dict[str, str] = {}
    name = clean_text(name, "name", fields, limit=ORGANIZATION_NAME_MAX, required=True)
    address = clean_text(address, "address", fields, limit=ADDRESS_MAX)
    raise_if(fields, "Correct the organization's name or postal address.")
    if kind == "member" and (approval_limit is None or approval_limit < 0):
        raise ValidationFailed("A member needs an approval limit.", {"approval_limit": "Zero or more."})
    org = Organization(
        kind=kind,
        name=name,
        consortium_id=None if kind == "vendor" else consortium.id,
        entity_type=entity_type,
        population=population,
        approval_limit=approval_limit if kind == "member" else None,
        address=address,
    )
    db.session.add(org)
    db.session.flush()
    if consortium is not None:
        if kind == "vendor":
            add_supplier(consortium, org, actor=actor)
        audit.record(consortium_id=consortium.id, actor=actor, action="organization.created", obj=org,
                     after={"kind": kind, "name": org.name})
    return org


def add_supplier(consortium: Consortium, vendor: Organization, *, actor=None) -> Supplier:
    """Approve a vendor company as a supplier of `consortium` (idempotent)."""
    if vendor.kind != "vendor":
        raise ValidationFailed("Only vendors can be suppliers.", {"organization": "Not a vendor."})
    existing = db.session.scalar(
        select(Supplier)
        .where(Supplier.consortium_id == consortium.id, Supplier.organization_id == vendor.id)
        .execution_options(all_tenants=True)
    )
    if existing:
        return existing
    supplier = Supplier(consortium_id=consortium.id, organization_id=vendor.id)
    db.session.add(supplier)
    db.session.flush()
    audit.record(consortium_id=consortium.id, actor=actor, action="supplier.added", obj=supplier,
                 after={"organization_id": vendor.id, "name": vendor.name})
    return supplier


def check_password_strength(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed("The password is too short.", {"password": f"Use at least {PASSWORD_MIN} characters."})
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed("The password is too long.", {"password": f"Use at most {PASSWORD_MAX} characters."})
    problem = text_problem(password)
    if problem:
        raise ValidationFailed("The password holds a character that cannot be typed.", {"password": problem})


def hash_password(password: str) -> str:
    """The stored form of a password (scrypt; a cheap method only in the test suite)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> User:
    """Give `user` a new password (the same rules as a new account) and end every session they have
    open, on every device: whoever knew the old password is signed out. API tokens are not touched."""
    check_password_strength(password)
    user.password_hash = hash_password(password)
    return end_sessions(user)


def find_user_by_address(raw) -> User | None:
    """The account whose address is what was typed, looked up as the sign-in form looks it up."""
    email = sign_in_address(raw)
    return db.session.scalar(select(User).where(func.lower(User.email) == email)) if email else None


def account_exists(email: str) -> bool:
    """Whether a person (active or not) already has this normalized address."""
    return db.session.scalar(select(User.id).where(func.lower(User.email) == email.lower())) is not None


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    organization: Organization,
    role: str,
    actor=None,
    consortium: Consortium | None = None,
) -> User:
    """Create a person in an organization with a role that fits the organization's kind."""
    email = normalize_email(email)
    fields: dict[str, str] = {}
    name = clean_text(name, "name", fields, limit=PERSON_NAME_MAX, required=True)
    if role not in ROLES_BY_KIND[organization.kind]:
        allowed = " or ".join(ROLES_BY_KIND[organization.kind])
        fields["role"] = f"People of a {organization.kind} organization can be {allowed}."
    if fields:
        raise ValidationFailed("The user could not be created.", fields)
    check_password_strength(password)
    if account_exists(email):
        raise Conflict("A user with that e-mail address already exists.", {"email": "Already registered."})
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        organization=organization,
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        consortium_id=_home_consortium_id(organization, consortium),
        actor=actor,
        action="user.created",
        obj=user,
        after={"email": email, "role": role, "organization": organization.name},
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None — the same answer (and about the same
    time) for an unknown address, a wrong password and a deactivated account."""
    user = find_user_by_address(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def set_active(user: User, active: bool, *, actor: User, consortium: Consortium, reason: str = "") -> User:
    """Deactivate (or reactivate) a user: a deactivated user cannot sign in or use API tokens, and the
    sessions they had open end for good (reactivating them does not revive a copied cookie)."""
    if user.id == actor.id:
        raise PermissionDenied("You cannot deactivate your own account.")
    reason = decision_reason(reason, required=False) or ""
    if user.is_active == active:
        return user
    user.is_active = active
    if not active:
        end_sessions(user)
    db.session.flush()
    audit.record(
        consortium_id=consortium.id,
        actor=actor,
        action="user.reactivated" if active else "user.deactivated",
        obj=user,
        before={"is_active": not active},
        after={"is_active": active},
        reason=reason or None,
    )
    return user


def issue_token(user: User, name: str, *, consortium_id: int | None = None) -> tuple[ApiToken, str]:
    """Create an API token for `user`; returns the record and the raw token (shown only once)."""
    fields: dict[str, str] = {}
    name = clean_text(name, "name", fields, limit=TOKEN_NAME_MAX, required=True)
    raise_if(fields, "Name the token.")
    raw = "am_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:10])
    db.session.add(token)
    db.session.flush()
    audit.record(
        consortium_id=consortium_id or _first_consortium_id(user),
        actor=user,
        action="token.created",
        obj=token,
        after={"name": name, "prefix": token.prefix},
    )
    return token, raw


def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    if token.user_id != actor.id:
        raise PermissionDenied("You can only revoke your own tokens.")
    if token.is_revoked:
        raise Conflict("This token is already revoked.")
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        consortium_id=_first_consortium_id(actor),
        actor=actor,
        action="token.revoked",
        obj=token,
        after={"name": token.name, "prefix": token.prefix},
    )
    return token


def end_sessions(user: User) -> User:
    """End every signed-in session of `user` (on every device): sessions carry the version they began
    with, and the user loader refuses an older one. API tokens are separate and keep working."""
    user.session_version = User.session_version + 1
    db.session.flush()
    db.session.refresh(user, ["session_version"])
    return user


def _first_consortium_id(user: User) -> int:
    ids = consortium_ids_of(user)
    if not ids:
        raise Conflict("This account does not work in any consortium yet.")
    return ids[0]


def home_consortium(user: User) -> Consortium | None:
    """The consortium a person lands in after signing in (the first they work in), or None."""
    ids = consortium_ids_of(user)
    return db.session.get(Consortium, ids[0]) if ids else None
