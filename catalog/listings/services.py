"""Listing operations: drafting, editing (in place, or through a pending revision) and the decisions of
the listing and revision lifecycles.

The lifecycles are the tables below; `marketplace.transitions.run` executes every step (locked re-read,
state check, predicate, reason, side effects, audit event). Services take the acting user, validate,
flush and never commit. Input is the API's JSON shape (DESIGN section 7); the HTML forms convert to it.

A decision on a live listing is about its revision: `approve_listing` publishes a submitted listing, or
makes the pending revision live. Withdrawing a listing supersedes its pending revision.

Contract terms hold (through the port `queries.CONTRACT_TERMS`, which the factory wires to the contracts
domain): a listing covered by an active vehicle cannot be withdrawn (the check runs inside the withdraw
transition, under the listing's lock, and locks the covering vehicles); a revision that lowers a list price
below a contract price of an active vehicle is flagged (`pending_price_conflicts`), and once approved the
conflicts left on the live listing (`live_price_conflicts`) are for the office to amend on the vehicle.
"""

from __future__ import annotations

from decimal import Decimal

from catalog.listings import permissions as can
from catalog.listings.diff import PriceConflict, price_conflicts
from catalog.listings.models import (
    CONTENT_FIELDS,
    EDITABLE_BY_REVISION,
    EDITABLE_DIRECTLY,
    LISTING_STATUSES,
    REVISION_STATUSES,
    STATUS_LABELS,
    Listing,
    ListingRevision,
    PriceItem,
    listing_content,
)
from catalog.listings.queries import CONTRACT_TERMS, latest_revision, pending_revisions
from catalog.listings.validation import check_item_ids, clean_listing_data, jsonable_content
from consortium.models import Consortium, Organization, User
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied
from marketplace.extensions import db
from marketplace.formats import day
from marketplace.inputs import raise_if
from marketplace.transitions import Lifecycle, transition

FOR_THE_VENDOR = "Give a reason: the vendor sees it."
OFFICE_ONLY = "Only the consortium office decides on listings."
VENDOR_ONLY = "Only the listing's vendor can do that."


# --- side effects of the steps -------------------------------------------------------------------


def _require_complete(listing: Listing, ctx) -> None:
    fields = {}
    if not listing.active_price_items:
        fields["price_items"] = "Add at least one price item before submitting."
    if not listing.pricing_models:
        fields["pricing_models"] = "Choose at least one pricing model before submitting."
    raise_if(fields, "The listing is not complete.")


def _stamp_submitted(listing: Listing, ctx) -> None:
    listing.submitted_at = utcnow()
    listing.status_reason = None


def _stamp_published(listing: Listing, ctx) -> None:
    listing.published_at = listing.published_at or utcnow()
    listing.status_reason = ctx.reason


def _keep_reason(listing: Listing, ctx) -> None:
    listing.status_reason = ctx.reason


def withdraw_blocker(listing: Listing, *, lock: bool = False) -> str | None:
    """Why the vendor cannot withdraw this listing (None when it can): active vehicles cover it. With
    `lock` the covering vehicles are locked (inside the withdraw transition); pages ask without."""
    covering = CONTRACT_TERMS.covering_vehicles(listing, lock=lock)
    if not covering:
        return None
    named = " and ".join(f"{v.number} (active until {day(v.end_date)})" for v in covering)
    noun = "vehicle" if len(covering) == 1 else "vehicles"
    return (f"{listing.title} is covered by {noun} {named}: ask the consortium office to suspend it, "
            f"or end the vehicle first.")


def _not_covered_by_active_vehicle(listing: Listing, ctx) -> None:
    blocker = withdraw_blocker(listing, lock=True)
    if blocker:
        raise Conflict(blocker)


def _supersede_pending(listing: Listing, ctx) -> None:
    for revision in pending_revisions(listing):
        transitions.run(REVISION_LIFECYCLE, revision, "supersede", actor=ctx.actor)


def _stamp_decided(revision: ListingRevision, ctx) -> None:
    revision.decided_by_id, revision.decided_at, revision.reason = ctx.actor.id, utcnow(), ctx.reason


def _make_live(revision: ListingRevision, ctx) -> None:
    apply_content(transitions.lock(Listing, revision.listing_id), revision.proposed)


def _tell_vendor(revision: ListingRevision, ctx) -> None:
    revision.listing.status_reason = ctx.reason


def _revision_after(revision: ListingRevision) -> dict:
    return {"listing_id": revision.listing_id, "proposed": revision.proposed}


LISTING_LIFECYCLE = Lifecycle(
    model=Listing, noun="listing", states=LISTING_STATUSES, object_type="listing",
    state_labels={state: label.lower() for state, label in STATUS_LABELS.items()},
    transitions=(
        transition("submit", EDITABLE_DIRECTLY, "submitted", can.can_submit_listing, "listing.submitted", "submitted",
                   reason="none", effects=(_require_complete, _stamp_submitted), denied=VENDOR_ONLY),
        transition("approve", {"submitted"}, "published", can.can_approve_listing, "listing.approved", "published",
                   effects=(_stamp_published,), audit_after=listing_content, denied=OFFICE_ONLY),
        transition("request_changes", {"submitted"}, "changes_requested", can.can_request_listing_changes,
                   "listing.changes_requested", "sent back for changes", reason="required",
                   reason_message=FOR_THE_VENDOR, effects=(_keep_reason,), denied=OFFICE_ONLY),
        transition("suspend", {"published"}, "suspended", can.can_suspend_listing, "listing.suspended", "suspended",
                   reason="required", reason_message=FOR_THE_VENDOR, effects=(_keep_reason,), denied=OFFICE_ONLY),
        transition("reinstate", {"suspended"}, "published", can.can_reinstate_listing, "listing.reinstated",
                   "reinstated", reason="required", reason_message=FOR_THE_VENDOR, effects=(_keep_reason,),
                   denied=OFFICE_ONLY),
        transition("withdraw", {"published"}, "withdrawn", can.can_withdraw_listing, "listing.withdrawn",
                   "withdrawn", effects=(_not_covered_by_active_vehicle, _supersede_pending, _keep_reason),
                   denied=VENDOR_ONLY),
    ),
)

REVISION_LIFECYCLE = Lifecycle(
    model=ListingRevision, noun="revision", states=REVISION_STATUSES, object_type="listing_revision",
    state_labels={"changes_requested": "sent back for changes"},
    transitions=(
        transition("approve", {"pending"}, "approved", can.can_approve_revision, "listing.revision_approved",
                   "approved", effects=(_stamp_decided, _make_live), audit_after=_revision_after,
                   denied=OFFICE_ONLY),
        transition("request_changes", {"pending"}, "changes_requested", can.can_request_revision_changes,
                   "listing.revision_changes_requested", "sent back for changes", reason="required",
                   reason_message=FOR_THE_VENDOR, effects=(_stamp_decided, _tell_vendor), denied=OFFICE_ONLY),
        transition("supersede", {"pending"}, "superseded", can.can_supersede_revision, "listing.revision_superseded",
                   "superseded", reason="none", denied=VENDOR_ONLY),
    ),
)


def require_allowed(lifecycle: Lifecycle, step: str, user, obj) -> None:
    """403 with the table's message when `user` may never take `step` on `obj`. Checked before the
    kernel's state check, so someone who may not act is told so, not what state the object is in."""
    rule = lifecycle[step]
    if not rule.allowed(user, obj):
        raise PermissionDenied(rule.denied(user, obj) if callable(rule.denied) else rule.denied)


# --- contract prices -------------------------------------------------------------------------------


def pending_price_conflicts(listing: Listing) -> list[PriceConflict]:
    """The items the pending revision would put below a contract price of an active vehicle (the
    admin's diff flags them); empty without a pending revision."""
    revision = listing.pending_revision
    if revision is None:
        return []
    return price_conflicts(revision.proposed, CONTRACT_TERMS.active_contract_prices(listing))


def live_price_conflicts(listing: Listing) -> list[PriceConflict]:
    """Live list prices below a contract price of an active vehicle (after such a revision was
    approved): what the office may amend on each vehicle's price schedule."""
    return price_conflicts(listing_content(listing), CONTRACT_TERMS.active_contract_prices(listing))


# --- content -------------------------------------------------------------------------------------


def apply_content(listing: Listing, content: dict) -> None:
    """Put clean content on the listing. Price items keep their ids; an item dropped from a listing that
    was ever published is retired (vehicles and orders may refer to it), otherwise deleted."""
    for name in CONTENT_FIELDS:
        setattr(listing, name, content[name])
    existing = {p.id: p for p in listing.price_items if not p.is_retired}
    kept = set()
    for position, item in enumerate(content["price_items"]):
        price = Decimal(str(item["list_price"]))
        current = existing.get(item.get("id"))
        if current is not None:
            current.name, current.unit, current.list_price, current.position = (
                item["name"], item["unit"], price, position)
            kept.add(current.id)
        else:
            listing.price_items.append(
                PriceItem(name=item["name"], unit=item["unit"], list_price=price, position=position)
            )
    for item_id, item in existing.items():
        if item_id not in kept:
            if listing.published_at is None:
                listing.price_items.remove(item)  # never offered: nothing can refer to it
            else:
                item.is_retired = True


def _record(listing: Listing, actor: User, action: str, *, before=None, after=None) -> None:
    audit.record(consortium_id=listing.consortium_id, actor=actor, action=action, obj=listing,
                 before=before, after=after)


def create_listing(*, consortium: Consortium, vendor: Organization, data: dict, actor: User) -> Listing:
    """A vendor drafts a new listing."""
    clean = clean_listing_data(data)
    check_item_ids(None, clean)
    listing = Listing(consortium_id=consortium.id, vendor_id=vendor.id, status="draft")
    listing.vendor = vendor
    apply_content(listing, clean)
    db.session.add(listing)
    db.session.flush()
    _record(listing, actor, "listing.created", after=listing_content(listing))
    return listing


def update_listing(listing: Listing, data: dict, *, actor: User, partial: bool = False) -> Listing:
    """Edit a draft in place; editing a published (or suspended) listing proposes a revision, and the
    approved version stays live until an admin approves it. A new proposal supersedes the pending one."""
    db.session.flush()
    listing = transitions.lock(Listing, listing.id)
    if listing.status not in EDITABLE_DIRECTLY + EDITABLE_BY_REVISION:
        raise Conflict(f"This listing is {LISTING_LIFECYCLE.label(listing.status)}, so it cannot be edited now.")
    if not can.can_edit_listing(actor, listing):
        raise PermissionDenied(VENDOR_ONLY)
    current = listing_content(listing)
    if listing.status in EDITABLE_BY_REVISION:
        return _propose_revision(listing, data, current, actor=actor, partial=partial)
    clean = clean_listing_data(data, partial=partial, current=current)
    check_item_ids(listing, clean)
    apply_content(listing, clean)
    db.session.flush()
    _record(listing, actor, "listing.edited", before=current, after=listing_content(listing))
    return listing


def _propose_revision(listing: Listing, data: dict, current: dict, *, actor: User, partial: bool) -> Listing:
    pending = pending_revisions(listing)
    clean = clean_listing_data(data, partial=partial, current=pending[-1].proposed if pending else current)
    check_item_ids(listing, clean)
    proposed = jsonable_content(clean)
    for old in pending:
        transitions.run(REVISION_LIFECYCLE, old, "supersede", actor=actor)
    if proposed == current:
        return listing  # back to what is live: nothing to approve
    listing.revisions.append(ListingRevision(consortium_id=listing.consortium_id, proposed=proposed,
                                             created_by_id=actor.id, status="pending"))
    db.session.flush()
    _record(listing, actor, "listing.revision_proposed", before=current, after=proposed)
    return listing


# --- the lifecycle steps -------------------------------------------------------------------------


def _step(listing: Listing, step: str, *, actor: User, reason: str | None = None) -> Listing:
    require_allowed(LISTING_LIFECYCLE, step, actor, listing)
    return transitions.run(LISTING_LIFECYCLE, listing, step, actor=actor, reason=reason)


def _decide(listing: Listing, step: str, *, actor: User, reason: str | None) -> Listing:
    """`approve` or `request_changes`: on a submitted listing, the listing's step; on a live listing, the
    step of its pending revision (or of its latest one, so a lost race hears what became of it)."""
    db.session.flush()
    listing = transitions.lock(Listing, listing.id) or listing
    revision = latest_revision(listing) if listing.status in EDITABLE_BY_REVISION else None
    if revision is None:
        return _step(listing, step, actor=actor, reason=reason)
    require_allowed(REVISION_LIFECYCLE, step, actor, revision)
    transitions.run(REVISION_LIFECYCLE, revision, step, actor=actor, reason=reason)
    return listing


def submit_listing(listing: Listing, *, actor: User) -> Listing:
    """Send a draft (or a listing returned for changes) to the consortium office for approval."""
    return _step(listing, "submit", actor=actor)


def approve_listing(listing: Listing, *, actor: User, reason: str | None = None) -> Listing:
    """Publish a submitted listing, or make its pending revision live."""
    return _decide(listing, "approve", actor=actor, reason=reason)


def request_changes(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    """Send a submission (or a pending revision) back to the vendor with the reason."""
    return _decide(listing, "request_changes", actor=actor, reason=reason)


def suspend_listing(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    """Take a published listing off the marketplace for a while, with the reason."""
    return _step(listing, "suspend", actor=actor, reason=reason)


def reinstate_listing(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    """Put a suspended listing back on the marketplace, with the reason."""
    return _step(listing, "reinstate", actor=actor, reason=reason)


def withdraw_listing(listing: Listing, *, actor: User, reason: str | None = None) -> Listing:
    """The vendor takes a published listing off the marketplace; a pending revision is superseded."""
    return _step(listing, "withdraw", actor=actor, reason=reason)
