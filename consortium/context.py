"""Who is acting, in which consortium: resolved once per request.

Web pages of a consortium live under `/c/<consortium_slug>/`; the API acts in the consortium named
by the `X-Consortium` header (or `?consortium=`), else in the token user's own. Either way the
tenant is handed to `marketplace.tenancy`, which scopes every tenant query from then on.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from flask import abort, current_app, g, request, session
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from consortium.models import ApiToken, Consortium, Organization, Supplier, User
from marketplace.db import utcnow
from marketplace.errors import NotFound, json_error
from marketplace.extensions import db
from marketplace.inputs import excerpt, parse_id
from marketplace.tenancy import set_current_consortium

SLUG_ARG = "consortium_slug"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def consortium_ids_of(user) -> list[int]:
    """The consortia a user works in: their organization's, or every consortium a vendor supplies."""
    if not getattr(user, "is_authenticated", False):
        return []
    org = user.organization
    if org.kind != "vendor":
        return [org.consortium_id]
    stmt = (
        select(Supplier.consortium_id)
        .where(Supplier.organization_id == org.id)
        .order_by(Supplier.consortium_id)
        .execution_options(all_tenants=True)
    )
    return list(db.session.scalars(stmt))


def current_consortium() -> Consortium | None:
    return g.get("consortium")


def belongs(user, consortium: Consortium | None = None) -> bool:
    """True when `user` is signed in and works in `consortium` (default: the current one)."""
    consortium = consortium or current_consortium()
    if consortium is None or not getattr(user, "is_authenticated", False):
        return False
    cache = g.setdefault("_belongs", {})
    key = (user.id, consortium.id)
    if key not in cache:
        cache[key] = consortium.id in consortium_ids_of(user)
    return cache[key]


def acting_role(user=None) -> str | None:
    """The user's role in the current consortium, or None (anonymous, or a stranger to it)."""
    user = user if user is not None else current_user
    return user.role if belongs(user) else None


SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def _consortium_by_slug(slug: str) -> Consortium | None:
    """The consortium with this slug; None without a query for text that cannot be one (a NUL byte
    would even break the query on PostgreSQL)."""
    if not SLUG.fullmatch(slug):
        return None
    return db.session.scalar(select(Consortium).where(Consortium.slug == slug))


def consortium_or_404() -> Consortium:
    """The consortium an API call acts in, or a 404 telling the caller how to name one."""
    consortium = current_consortium()
    if consortium is None:
        raise NotFound("Name a consortium with the X-Consortium header or ?consortium=.")
    return consortium


def require(allowed: bool) -> None:
    """The access rule of every page of a consortium: sign in first (401 → the sign-in page);
    strangers to the consortium get 404 (no enumeration); its own people without the right, 403."""
    if not current_user.is_authenticated:
        abort(401)
    if not belongs(current_user):
        abort(404)
    if not allowed:
        abort(403)


def use_consortium(consortium: Consortium) -> None:
    g.consortium = consortium
    set_current_consortium(consortium.id)


def pull_consortium_slug(endpoint, values) -> None:
    """URL value preprocessor: `/c/<slug>/...` selects the consortium, unknown slugs answer 404."""
    if not values or SLUG_ARG not in values:
        return
    slug = values.pop(SLUG_ARG)
    consortium = _consortium_by_slug(slug)
    if consortium is None:
        abort(404)
    use_consortium(consortium)


def add_consortium_slug(endpoint, values) -> None:
    """URL defaults: links inside a consortium's pages keep its slug without repeating it."""
    if SLUG_ARG in values or "consortium" not in g:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, SLUG_ARG):
        values[SLUG_ARG] = g.consortium.slug


# --- signed-in sessions ------------------------------------------------------------------------------

SESSION_VERSION_KEY = "session_version"


def start_session(user: User) -> None:
    """Sign `user` in on this browser. The session remembers the user's session version, so signing
    out anywhere (which bumps it, `services.end_sessions`) ends this session too, even when its cookie
    was copied."""
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the active user of a session that has not been ended since it began."""
    user = db.session.get(User, parse_id(user_id)) if parse_id(user_id) else None
    if user is None or not user.is_active:
        return None
    if session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def authenticate_token(raw: str) -> User | None:
    """The active user owning an unrevoked API token, or None. Records when it was last used."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.is_revoked or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
        if request.method in ("GET", "HEAD", "OPTIONS"):
            _best_effort_commit()
        # a writing request commits it together with its own change
    return token.user


def _best_effort_commit() -> None:
    """Record a token's use without making the request depend on it: under a concurrent writer
    SQLite may refuse the write at once; the next use records it instead."""
    try:
        db.session.commit()
    except OperationalError:
        db.session.rollback()


def authenticate_api_request():
    """Before every `/api/` request: bearer token → user, then the consortium to act in."""
    if not request.path.startswith("/api/"):
        return None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return json_error(401, "unauthorized", "Use 'Authorization: Bearer <token>'.")
        user = authenticate_token(raw.strip())
        if user is None:
            return json_error(401, "unauthorized", "The API token is invalid or revoked.")
        g._login_user = user  # Flask-Login's per-request user: the token, never the session cookie
        g.token_auth = True
    slug = request.headers.get("X-Consortium") or request.args.get("consortium")
    if slug:
        consortium = _consortium_by_slug(slug)
        if consortium is None:
            return json_error(404, "not_found", f"No consortium '{excerpt(slug)}'.")
        use_consortium(consortium)
    elif current_user.is_authenticated:
        ids = consortium_ids_of(current_user)
        if ids:
            use_consortium(db.session.get(Consortium, ids[0]))
    return None


def organizations_in(consortium: Consortium, kind: str | None = None) -> list[Organization]:
    """Members and the office of a consortium plus the vendors that supply it, by name."""
    vendor_ids = select(Supplier.organization_id).where(Supplier.consortium_id == consortium.id)
    stmt = select(Organization).where(
        (Organization.consortium_id == consortium.id) | Organization.id.in_(vendor_ids)
    )
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    return list(db.session.scalars(stmt.order_by(Organization.kind, Organization.name)))


ROLE_LABELS = {"buyer": "Buyer", "approver": "Approver (champion)", "vendor": "Vendor", "admin": "Consortium admin"}


def template_context() -> dict:
    """Who is acting where, for every template."""
    consortium = current_consortium()
    role = acting_role() if consortium is not None else None
    return {
        "consortium": consortium,
        "role": role,
        "role_label": ROLE_LABELS.get(role or "", ""),
        "is_stranger": consortium is not None and current_user.is_authenticated and role is None,
        "other_consortia": other_consortia(consortium),
    }


def other_consortia(consortium: Consortium | None) -> list[Consortium]:
    """For the header's switcher: the other consortia the signed-in person works in (a vendor that supplies
    several); empty for everyone else, without a query for members and the office."""
    if not current_user.is_authenticated or current_user.organization.kind != "vendor":
        return []
    ids = [cid for cid in consortium_ids_of(current_user) if consortium is None or cid != consortium.id]
    if not ids or (consortium is None and len(ids) < 2):
        return []
    return list(db.session.scalars(select(Consortium).where(Consortium.id.in_(ids)).order_by(Consortium.name)))
