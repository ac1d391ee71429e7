"""Pilot evidence: recording, the verification lifecycle, and linking to a listing.

The lifecycle is the table below; `marketplace.transitions.run` executes its step (locked re-read, state
check, predicate, side effects, audit event). Services take the acting user, validate (every problem at
once), flush, write an audit event and never commit.
"""

from __future__ import annotations

from sqlalchemy import select

from catalog.listings.queries import published_listing
from catalog.listings.services import require_allowed
from catalog.pilots import permissions as can
from catalog.pilots.models import PILOT_STATUSES, Pilot, kpi_index
from catalog.pilots.validation import NO_LISTING, clean_pilot_data
from consortium.models import Consortium, User
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.transitions import Lifecycle, transition

# Audited content of a pilot (the `after` of its `pilot.recorded` event).
CONTENT = ("title", "listing_id", "vendor_name", "host_member_id", "category", "start_date", "end_date", "units",
           "area", "cost", "financing", "metrics", "outcome", "derived_outcome", "justification", "lessons",
           "references", "status")


def _why_not_verifier(user, pilot: Pilot) -> str:
    if getattr(user, "id", None) == pilot.recorded_by_id:
        return "Someone other than the person who recorded a pilot must verify it."
    return "Only the host member's approver or the consortium office can verify this pilot."


def _stamp_verified(pilot: Pilot, ctx) -> None:
    pilot.verified_by_id, pilot.verified_at = ctx.actor.id, utcnow()


def _verified_by(pilot: Pilot) -> dict:
    return {"verified_by_id": pilot.verified_by_id, "verified_at": pilot.verified_at}


PILOT_LIFECYCLE = Lifecycle(
    model=Pilot, noun="pilot", states=PILOT_STATUSES, object_type="pilot",
    transitions=(
        transition("verify", {"recorded"}, "verified", can.can_verify_pilot, "pilot.verified", "verified",
                   reason="none", effects=(_stamp_verified,), audit_after=_verified_by, denied=_why_not_verifier),
    ),
)


def record_pilot(*, consortium: Consortium, data: dict, actor: User) -> Pilot:
    """A member city records a pilot it hosted; the host is the recording user's organization. Its outcome
    is derived from the metrics (`derive_outcome`); a stated outcome that differs needs a justification."""
    if not can.can_record_pilot(actor, consortium):
        raise PermissionDenied("Only buyers and approvers of member cities record pilots.")
    clean = clean_pilot_data(data, consortium_id=consortium.id)
    listing = clean.pop("listing")
    pilot = Pilot(consortium_id=consortium.id, host_member_id=actor.organization_id, recorded_by_id=actor.id,
                  status="recorded", listing_id=listing.id if listing else None, kpi_index=kpi_index(clean["metrics"]),
                  **clean)
    pilot.listing = listing
    db.session.add(pilot)
    db.session.flush()
    audit.record(consortium_id=pilot.consortium_id, actor=actor, action="pilot.recorded", obj=pilot,
                 after=audit.snapshot(pilot, list(CONTENT)))
    return pilot


def verify_pilot(pilot: Pilot, *, actor: User) -> Pilot:
    """The host member's approver (champion) or the consortium office confirms the measured results;
    someone who may never verify this pilot hears so (403) before whether it is still recorded (409)."""
    require_allowed(PILOT_LIFECYCLE, "verify", actor, pilot)
    return transitions.run(PILOT_LIFECYCLE, pilot, "verify", actor=actor)


def _already_linked(pilot: Pilot) -> str:
    """What a lost race to link a pilot hears: to which listing, and who linked it."""
    event = db.session.scalar(
        select(audit.AuditEvent)
        .where(audit.AuditEvent.object_type == "pilot", audit.AuditEvent.object_id == pilot.id,
               audit.AuditEvent.action == "pilot.linked")
        .order_by(audit.AuditEvent.id.desc()).limit(1)
    )
    who = transitions.event_actor_name(event) if event is not None else None
    return f"This pilot is already linked to “{pilot.listing.title}”{f' by {who}' if who else ''}."


def link_pilot(pilot: Pilot, *, listing_id, actor: User) -> Pilot:
    """Link a pilot that names a vendor in text to that vendor's published listing. The vendor name
    stays for history; the category becomes the listing's."""
    if not can.can_link_pilot(actor, pilot):
        raise PermissionDenied("Only the consortium office links pilots to listings.")
    db.session.flush()
    pilot = transitions.lock(Pilot, pilot.id)
    if pilot.listing_id is not None:
        raise Conflict(_already_linked(pilot))
    listing = published_listing(pilot.consortium_id, listing_id)
    if listing is None:
        message = NO_LISTING if listing_id not in (None, "") else "Choose a published listing."
        raise ValidationFailed("The pilot cannot be linked.", {"listing_id": message})
    before = {"listing_id": None, "category": pilot.category}
    pilot.listing_id, pilot.listing, pilot.category = listing.id, listing, listing.category
    db.session.flush()
    audit.record(consortium_id=pilot.consortium_id, actor=actor, action="pilot.linked", obj=pilot, before=before,
                 after={"listing_id": listing.id, "category": listing.category})
    return pilot
