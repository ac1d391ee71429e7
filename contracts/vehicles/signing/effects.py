"""The side effects of the participation lifecycle's signing steps (`sign`, `approve`, `edit_terms` in
`contracts.vehicles.services`): `marketplace.transitions.run` calls them as `effect(participation, ctx)`
after it has locked the participation and checked its state and the actor's permission."""

from __future__ import annotations

from contracts.vehicles.models import Participation
from contracts.vehicles.signing import queries
from contracts.vehicles.signing.models import Signature
from contracts.vehicles.signing.terms import terms_digest
from contracts.vehicles.signing.validation import clean_signature
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.formats import money

VOIDED_REASON = "The terms changed after signing: {changes}."


def _signed_by(signature: Signature, participation: Participation) -> str:
    return f"{signature.name} ({signature.title}) on {queries.signed_time(signature)}"


def _add(participation: Participation, role: str, actor, data) -> Signature:
    clean = clean_signature(data, default_name=actor.name)
    signature = Signature(consortium_id=participation.consortium_id, participation=participation, role=role,
                          signer=actor, terms_sha256=terms_digest(participation), signed_at=utcnow(), **clean)
    db.session.add(signature)
    return signature


def member_signs(participation: Participation, ctx) -> None:
    """The member's approver signs the current terms (once: a current member signature stands until the
    terms change)."""
    current = queries.current_signatures(participation)
    if "member" in current:
        raise Conflict(f"{participation.member.name} already signed this addendum: "
                       f"{_signed_by(current['member'], participation)}.")
    signature = _add(participation, "member", ctx.actor, ctx.get("signature"))
    ctx.audit_reason = f"Signed by {signature.name}, {signature.title}. Authority: {signature.authority}"


def office_countersigns(participation: Participation, ctx) -> None:
    """The office countersigns the very terms the member signed; that executes the addendum."""
    member = queries.current_signatures(participation).get("member")
    if member is None:
        raise Conflict(f"{participation.member.name} has not signed this addendum yet: the consortium office "
                       "countersigns after the member's approver has signed.")
    if member.terms_sha256 != terms_digest(participation):
        raise Conflict(f"The addendum's terms are no longer those {member.name} signed; "
                       f"{participation.member.name}'s approver must sign again.")
    _add(participation, "office", ctx.actor, ctx.get("signature"))


def _changes(participation: Participation, terms: dict) -> list[str]:
    changes = []
    if terms["member_not_to_exceed"] != participation.member_not_to_exceed:
        changes.append(f"member not-to-exceed {money(participation.member_not_to_exceed)} → "
                       f"{money(terms['member_not_to_exceed'])}")
    if terms["special_terms"] != (participation.special_terms or ""):
        changes.append("special terms changed")
    return changes


def change_terms(participation: Participation, ctx) -> None:
    """New member not-to-exceed and special terms (`ctx["terms"]`, already clean); the signatures in force
    are voided (audited), so both sides sign again."""
    terms = ctx["terms"]
    changes = _changes(participation, terms)
    if not changes:
        raise Conflict("The terms are unchanged: nothing to save.")
    before = terms_digest(participation)
    participation.member_not_to_exceed = terms["member_not_to_exceed"]
    participation.special_terms = terms["special_terms"]
    ctx.audit_reason = "; ".join(changes).capitalize() + "."
    current = list(queries.current_signatures(participation).values())
    if not current:
        return
    reason = VOIDED_REASON.format(changes="; ".join(changes))
    now = utcnow()
    for signature in current:
        signature.voided_at, signature.voided_reason = now, reason
    audit.record(consortium_id=participation.consortium_id, actor=ctx.actor,
                 action=audit.PARTICIPATION_SIGNATURES_VOIDED, obj=participation, reason=reason,
                 before={"terms_sha256": before, "signatures": [
                     {"role": s.role, "name": s.name, "signed_at": s.signed_at} for s in current]},
                 after={"terms_sha256": terms_digest(participation), "signatures": []})
