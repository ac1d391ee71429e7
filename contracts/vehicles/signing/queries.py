"""Reading signatures: the current ones, the history, and whether a digest matches what was signed."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists, select
from sqlalchemy.orm import contains_eager

from consortium.models import Consortium
from contracts.vehicles.models import Participation
from contracts.vehicles.signing.models import Signature
from contracts.vehicles.signing.permissions import can_sign_participation
from contracts.vehicles.signing.terms import terms_digest, terms_rows
from marketplace.extensions import db
from marketplace.formats import moment
from marketplace.queue import QueueItem, provider
from marketplace.templating import local_zone


def signatures_of(participation: Participation) -> list[Signature]:
    """Every signature of the participation, voided ones included, oldest first."""
    return list(db.session.scalars(select(Signature).where(Signature.participation_id == participation.id)
                                   .order_by(Signature.signed_at, Signature.id)))


def signed_time(signature: Signature) -> str:
    """When it was signed, in the consortium's time zone ('30 Nov 2026, 11:54 AM MST')."""
    consortium = db.session.get(Consortium, signature.consortium_id)
    return moment(signature.signed_at, local_zone(consortium.time_zone))


def current_signatures(participation: Participation) -> dict[str, Signature]:
    """The signatures in force, by role (`member`, `office`)."""
    return {s.role: s for s in signatures_of(participation) if s.is_current}


def executed_before_signatures(participation: Participation, current: dict | None = None) -> bool:
    """Executed before signatures were recorded: since signing exists, execution writes the office's
    signature in the same transition, so an executed participation without one predates it."""
    if participation.status != "executed":
        return False
    current = current_signatures(participation) if current is None else current
    return "office" not in current


@dataclass(frozen=True)
class Verdict:
    """What a digest says about an addendum. `outcome`: `signed` (the executed addendum's signed terms),
    `member_signed` (terms the member signed, not countersigned yet), `unsigned_terms` (the current terms
    of an addendum executed before signatures were recorded), `superseded` (terms signed and later
    changed: those signatures were voided), or `no_match`."""

    outcome: str
    signatures: tuple[Signature, ...] = ()

    @property
    def matches(self) -> bool:
        return self.outcome in ("signed", "member_signed", "unsigned_terms")


def verify(participation: Participation, digest: str) -> Verdict:
    """Compare a (clean) digest with the terms this participation's signatures bound."""
    everything = signatures_of(participation)
    current = tuple(s for s in everything if s.is_current and s.terms_sha256 == digest)
    if current:
        executed = participation.status == "executed" and any(s.role == "office" for s in current)
        return Verdict("signed" if executed else "member_signed", current)
    voided = tuple(s for s in everything if s.terms_sha256 == digest)
    if voided:
        return Verdict("superseded", voided)
    if executed_before_signatures(participation) and digest == terms_digest(participation):
        return Verdict("unsigned_terms")
    return Verdict("no_match")


def signing_summary(participation: Participation) -> dict:
    """What pages and the addendum PDF show about signatures: the current ones by role, the voided ones,
    the digest of the terms signed (of the current terms while nobody has signed), the terms as rows, and
    whether the addendum was executed before signatures were recorded."""
    everything = signatures_of(participation)
    current = {s.role: s for s in everything if s.is_current}
    signed = current.get("office") or current.get("member")
    return {"current": current, "voided": [s for s in everything if not s.is_current],
            "digest": signed.terms_sha256 if signed else terms_digest(participation),
            "legacy": executed_before_signatures(participation, current),
            "rows": terms_rows(participation), "signed_time": signed_time}


@provider
def addenda_to_sign(user, consortium) -> list[QueueItem]:
    """A member's approver signs its city's requested addenda that carry no current member signature (a
    new request, or one whose terms changed after signing); one query, whatever their number."""
    if user.role != "approver":
        return []
    member_signed = exists(select(Signature.id).where(
        Signature.participation_id == Participation.id, Signature.role == "member", Signature.voided_at.is_(None)))
    rows = db.session.scalars(
        select(Participation).join(Participation.vehicle)
        .where(Participation.consortium_id == consortium.id, Participation.member_id == user.organization_id,
               Participation.status == "requested", ~member_signed)
        .options(contains_eager(Participation.vehicle))).all()
    return [QueueItem("sign_participation", f"Participating addendum — {p.vehicle.number} {p.vehicle.title}",
                      "Sign the addendum for your city", "participation", p.id,
                      url_for("vehicles.participation", consortium_slug=consortium.slug, participation_id=p.id),
                      p.created_at)
            for p in rows if can_sign_participation(user, p)]
