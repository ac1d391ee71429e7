"""How the audit log names the consortium domain's objects (people, organizations, tokens, invitations,
needs and priority rounds): one query per type for a whole page (marketplace.auditlabels).

Imported by the application factory, which is what registers these names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consortium.accounts.models import Invitation
from consortium.models import ApiToken, Organization, Supplier, User
from consortium.planning.models import Need, PriorityRound
from consortium.planning.services import NEED_LIFECYCLE, ROUND_LIFECYCLE
from marketplace import audit
from marketplace.auditlabels import Label, link, register_label, register_lifecycle, register_verb
from marketplace.extensions import db
from marketplace.formats import money

KIND_NOUNS = {"member": "member", "vendor": "vendor", "office": "consortium office"}


def _rows(model, ids: list[int], *options):
    return db.session.scalars(select(model).where(model.id.in_(ids)).options(*options)).unique()


def users_named(ids: list[int]) -> dict[int, Label]:
    return {u.id: Label(f"user {u.name}") for u in _rows(User, ids)}


def organizations_named(ids: list[int]) -> dict[int, Label]:
    return {o.id: Label(f"{KIND_NOUNS.get(o.kind, o.kind)} {o.name}") for o in _rows(Organization, ids)}


def suppliers_named(ids: list[int]) -> dict[int, Label]:
    return {s.id: Label(f"approved supplier {s.organization.name}")
            for s in _rows(Supplier, ids, joinedload(Supplier.organization))}


def tokens_named(ids: list[int]) -> dict[int, Label]:
    rows = _rows(ApiToken, ids, joinedload(ApiToken.user))
    return {t.id: Label(f"API token “{t.name}” of {t.user.name}") for t in rows}


def invitations_named(ids: list[int]) -> dict[int, Label]:
    return {i.id: Label(f"the invitation of {i.email}") for i in _rows(Invitation, ids)}


def needs_named(ids: list[int]) -> dict[int, Label]:
    return {n.id: Label(f"need {n.reference} “{n.title}”", f"estimated cost {money(n.estimated_cost)}",
                        link("planning.need", need_id=n.id)) for n in _rows(Need, ids)}


def rounds_named(ids: list[int]) -> dict[int, Label]:
    return {r.id: Label(f"priority round {r.reference} “{r.title}”", f"budget {money(r.budget)}",
                        link("planning.round_page", round_id=r.id)) for r in _rows(PriorityRound, ids)}


register_lifecycle(NEED_LIFECYCLE)
register_lifecycle(ROUND_LIFECYCLE)
register_label("user", users_named)
register_label("organization", organizations_named)
register_label("supplier", suppliers_named, noun="approved supplier")
register_label("api_token", tokens_named, noun="API token")
register_label("invitation", invitations_named)
register_label("need", needs_named)
register_label("priority_round", rounds_named, noun="priority round")
register_verb("user.password_reset_requested", "sent a password reset link to")
register_verb("user.password_reset", "reset the password of")
register_verb(audit.NEED_ORDER_LINKED, "linked an order to")
register_verb(audit.PRIORITY_ROUND_STARTED, "started")
