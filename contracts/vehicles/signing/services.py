"""Signing operations: the member signs, the office countersigns (which executes the addendum), and the
terms of a requested addendum change (which voids its signatures). Each is a step of the participation
lifecycle (`contracts.vehicles.services.PARTICIPATION_LIFECYCLE`), run through `marketplace.transitions`;
services take the acting user explicitly, flush, and never commit."""

from __future__ import annotations

from consortium.models import User
from contracts.vehicles import services as vehicles
from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.signing import permissions as can
from contracts.vehicles.signing.validation import clean_signature
from contracts.vehicles.validation import clean_participation_data
from marketplace import transitions
from marketplace.errors import PermissionDenied

LIFECYCLE = vehicles.PARTICIPATION_LIFECYCLE
TERMS_FIELDS = ("member_not_to_exceed", "special_terms")


def sign_participation(participation: Participation, data: dict, *, actor: User) -> Participation:
    """The member's approver signs the addendum's current terms: `data` is {name?, title, authority} (the
    name defaults to the signer's own). The office is told, and may then countersign."""
    if not can.can_sign_participation(actor, participation):
        raise PermissionDenied(can.MEMBER_SIGNS)
    clean_signature(data, default_name=actor.name)  # field problems before the lock (checked again inside)
    transitions.lock(Vehicle, participation.vehicle_id)  # vehicle before participation, like every writer
    return transitions.run(LIFECYCLE, participation, "sign", actor=actor, signature=data)


def countersign_participation(participation: Participation, data: dict, *, actor: User) -> Participation:
    """The office countersigns what the member signed, which executes the addendum: `data` is {name?, title,
    authority, reason?}. Refused (409) while the member has not signed."""
    data = data if isinstance(data, dict) else {}
    return vehicles.approve_participation(participation, actor=actor, reason=data.get("reason"),
                                          signature={k: data.get(k) for k in ("name", "title", "authority")})


def edit_terms(participation: Participation, data: dict, *, actor: User, partial: bool = False) -> Participation:
    """Change a requested addendum's member not-to-exceed and special terms (`partial`: absent fields keep
    their values). Signatures in force are voided, so both sides sign again; an executed or declined
    addendum's terms cannot change (409)."""
    if not can.can_edit_participation_terms(actor, participation):
        raise PermissionDenied(can.TERMS_EDITORS)
    data = data if isinstance(data, dict) else {}
    if partial:
        data = {**current_terms(participation), **data}
    terms = clean_participation_data(data, vehicle=participation.vehicle)
    if participation.status == "requested" and terms == {"member_not_to_exceed": participation.member_not_to_exceed,
                 "special_terms": participation.special_terms or ""}:
        return participation  # nothing changes: nothing is voided or recorded
    transitions.lock(Vehicle, participation.vehicle_id)
    return transitions.run(LIFECYCLE, participation, "edit_terms", actor=actor, terms=terms)


def current_terms(participation: Participation) -> dict:
    """The editable terms in the API's input shape."""
    limit = participation.member_not_to_exceed
    return {"member_not_to_exceed": None if limit is None else f"{limit:.2f}",
            "special_terms": participation.special_terms or ""}
