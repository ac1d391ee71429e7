"""RFIs: drafting, the lifecycle, members' interest, vendors' responses, converting into a pilot or a draft
vehicle, and recording the order that fulfils a need.

The RFI lifecycle (every step through `marketplace.transitions.run`: locked re-read, state, predicate, effects,
audit):

    step     from         to         who                                    effects                   audit action
    publish  draft        open       the issuer (member approver / office)  due in the future; the    rfi.opened
                                                                            linked needs → sourcing;
                                                                            vendors of the category
                                                                            are told
    close    open         closed     the issuer                             stamps the close          rfi.closed
    cancel   draft, open  cancelled  the issuer (reason optional)           needs back to selected    rfi.cancelled
    convert  closed       converted  the issuer or the office               a recorded pilot (needs   rfi.converted
                                                                            → piloting) or a draft
                                                                            vehicle (needs stay in
                                                                            sourcing until an order)

Interest and responses are written under the RFI's row lock, so none lands after the close: a response is
refused (409) once the RFI is not open or its due time has come; interest once it is not open. Services take
the acting user, flush and raise; the view or API call commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from catalog.listings.models import Listing
from consortium.models import Consortium, User
from consortium.planning import services as planning
from consortium.planning.models import Need
from contracts.orders.models import Order
from contracts.sourcing import models
from contracts.sourcing import permissions as can
from contracts.sourcing.conversion import convert
from contracts.sourcing.models import RFI_STATUS_LABELS, RFI_STATUSES, Interest, NeedOrder, Rfi, RfiResponse
from contracts.sourcing.validation import clean_interest_data, clean_response_data, clean_rfi_data
from marketplace import audit, transitions
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import moment
from marketplace.inputs import parse_id
from marketplace.templating import local_zone
from marketplace.transitions import Lifecycle, transition

ISSUERS = "Only a member city's approver (for the city) or the consortium office issues RFIs."
ISSUER_RUNS = "Only the issuer runs this RFI: the issuing city's approver, or the office for its own RFIs."
# Needs an RFI may link: selected by a priority round (or already sourcing through another RFI).
LINKABLE = ("selected", "sourcing")
CONTENT = ("title", "problem", "outcomes", "category", "responses_due", "mou_outline")


def zone_of(rfi_or_consortium_id):
    consortium_id = getattr(rfi_or_consortium_id, "consortium_id", rfi_or_consortium_id)
    return local_zone(db.session.get(Consortium, consortium_id).time_zone)


def due_text(rfi: Rfi) -> str:
    return moment(rfi.responses_due, zone_of(rfi))


# --- the lifecycle --------------------------------------------------------------------------------------


def _publish(rfi: Rfi, ctx) -> None:
    if rfi.is_due():
        raise Conflict(f"Responses were due by {due_text(rfi)}, which has passed: set a later due date before "
                       "publishing.", {"responses_due": "Must be in the future."})
    rfi.published_at = models.now()
    for need in rfi.needs:
        if need.status == "selected":
            planning.advance_need(need, "source", actor=ctx.actor)


def _close(rfi: Rfi, ctx) -> None:
    rfi.closed_at = models.now()


def _release_needs(rfi: Rfi, ctx) -> None:
    """A cancelled RFI gives its needs back to `selected` unless another open RFI still sources them."""
    for need in rfi.needs:
        others = db.session.scalar(select(Rfi.id).join(models.rfi_need).where(
            models.rfi_need.c.need_id == need.id, Rfi.id != rfi.id, Rfi.status.in_(("open", "closed"))).limit(1))
        if need.status == "sourcing" and others is None:
            planning.advance_need(need, "release", actor=ctx.actor, reason=f"{rfi.reference} was cancelled.")


RFI_LIFECYCLE = Lifecycle(
    model=Rfi, noun="RFI", object_type="rfi", states=RFI_STATUSES, state_labels=RFI_STATUS_LABELS,
    transitions=(
        transition("publish", {"draft"}, "open", can.runs_rfi, "rfi.opened", "published", reason="none",
                   effects=(_publish,), denied=ISSUER_RUNS),
        transition("close", {"open"}, "closed", can.runs_rfi, "rfi.closed", "closed", reason="none",
                   effects=(_close,), denied=ISSUER_RUNS),
        transition("cancel", {"draft", "open"}, "cancelled", can.runs_rfi, "rfi.cancelled", "cancelled",
                   reason="optional", effects=(_release_needs,), denied=ISSUER_RUNS),
        transition("convert", {"closed"}, "converted", can.can_convert_rfi, "rfi.converted", "converted",
                   reason="none", effects=(convert,), denied="Only the issuer or the office converts an RFI.",
                   audit_after=lambda rfi: {"into": rfi.conversion.converted_into,
                                            "response_id": rfi.conversion.response_id,
                                            "pilot_id": rfi.conversion.pilot_id,
                                            "vehicle_id": rfi.conversion.vehicle_id}),
    ),
)


# --- drafting -------------------------------------------------------------------------------------------


def _linked_needs(consortium_id: int, issuer, need_ids: list[int]) -> list[Need]:
    """The needs an RFI may link: selected ones of the issuing member (of any member for the office)."""
    if not need_ids:
        return []
    found = {n.id: n for n in db.session.scalars(select(Need).where(
        Need.id.in_(need_ids), Need.consortium_id == consortium_id).execution_options(all_tenants=True))}
    fields, needs = {}, []
    for i, need_id in enumerate(need_ids):
        need = found.get(need_id)
        if need is None or need.status not in LINKABLE or (issuer.kind == "member" and need.member_id != issuer.id):
            whose = "a member" if issuer.kind == "office" else issuer.name
            fields[f"need_ids.{i}"] = f"No selected need of {whose} with this id."
        else:
            needs.append(need)
    if fields:
        raise ValidationFailed("The RFI has problems to correct.", fields)
    return needs


def _content(rfi: Rfi) -> dict:
    return {**audit.snapshot(rfi, list(CONTENT)), "need_ids": [n.id for n in rfi.needs]}


def create_rfi(consortium: Consortium, data: dict, *, actor: User) -> Rfi:
    """Draft an RFI for the actor's member city (its approver) or for the office (an admin)."""
    if not can.can_issue_rfis(actor, consortium):
        raise PermissionDenied(ISSUERS)
    clean = clean_rfi_data(data, zone=local_zone(consortium.time_zone), now=models.now())
    needs = _linked_needs(consortium.id, actor.organization, clean.pop("need_ids"))
    rfi = Rfi(consortium_id=consortium.id, issuer_id=actor.organization_id, created_by_id=actor.id, status="draft",
              **clean)
    rfi.needs = needs
    db.session.add(rfi)
    db.session.flush()
    audit.record(consortium_id=rfi.consortium_id, actor=actor, action=audit.RFI_CREATED, obj=rfi,
                 after=_content(rfi))
    return rfi


def _locked(rfi: Rfi) -> Rfi:
    db.session.flush()
    fresh = transitions.lock(Rfi, rfi.id)
    if fresh is None:
        raise Conflict("This RFI no longer exists.")
    return fresh


def update_rfi(rfi: Rfi, data: dict, *, actor: User) -> Rfi:
    """Change a draft's content (all fields, as on creation)."""
    rfi = _locked(rfi)
    if not can.runs_rfi(actor, rfi):
        raise PermissionDenied(ISSUER_RUNS)
    if rfi.status != "draft":
        raise Conflict(f"{rfi.reference} is {rfi.status_label.lower()}: only a draft can be edited.")
    before = _content(rfi)
    clean = clean_rfi_data(data, zone=zone_of(rfi), now=models.now())
    rfi.needs = _linked_needs(rfi.consortium_id, rfi.issuer, clean.pop("need_ids"))
    for name, value in clean.items():
        setattr(rfi, name, value)
    db.session.flush()
    audit.record(consortium_id=rfi.consortium_id, actor=actor, action=audit.RFI_UPDATED, obj=rfi, before=before,
                 after=_content(rfi))
    return rfi


def publish_rfi(rfi: Rfi, *, actor: User) -> Rfi:
    return transitions.run(RFI_LIFECYCLE, rfi, "publish", actor=actor)


def close_rfi(rfi: Rfi, *, actor: User) -> Rfi:
    return transitions.run(RFI_LIFECYCLE, rfi, "close", actor=actor)


def cancel_rfi(rfi: Rfi, *, actor: User, reason: str | None = None) -> Rfi:
    return transitions.run(RFI_LIFECYCLE, rfi, "cancel", actor=actor, reason=reason)


def convert_rfi(rfi: Rfi, data: dict, *, actor: User) -> Rfi:
    """{response_id, into: pilot|vehicle, pilot?, lead_agency_id?}: see `contracts.sourcing.conversion`."""
    return transitions.run(RFI_LIFECYCLE, rfi, "convert", actor=actor, data=data)


# --- interest and responses -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    obj: object
    created: bool


def register_interest(rfi: Rfi, data: dict, *, actor: User) -> Saved:
    """A member's indicative demand: one per member, updatable while the RFI is open."""
    rfi = _locked(rfi)
    if not can.can_register_interest(actor, rfi):
        raise PermissionDenied("Buyers and approvers of member cities other than the issuer register interest.")
    if rfi.status != "open":
        raise Conflict(f"{rfi.reference} is {rfi.status_label.lower()}: interest can be registered while it is "
                       "open.")
    clean = clean_interest_data(data)
    interest = db.session.scalar(select(Interest).where(Interest.rfi_id == rfi.id,
                                                        Interest.member_id == actor.organization_id))
    created = interest is None
    if created:
        interest = Interest(consortium_id=rfi.consortium_id, rfi_id=rfi.id, member_id=actor.organization_id,
                            registered_by_id=actor.id, **clean)
        db.session.add(interest)
    else:
        for name, value in clean.items():
            setattr(interest, name, value)
        interest.registered_by_id = actor.id
    db.session.flush()
    audit.record(consortium_id=rfi.consortium_id, actor=actor, action=audit.RFI_INTEREST_REGISTERED, obj=interest,
                 object_type="rfi_interest", after={"rfi_id": rfi.id, "member_id": interest.member_id, **clean})
    return Saved(interest, created)


def _own_listing(rfi: Rfi, vendor_id: int, listing_id: int | None) -> Listing | None:
    if listing_id is None:
        return None
    listing = db.session.scalar(select(Listing).where(
        Listing.id == listing_id, Listing.consortium_id == rfi.consortium_id, Listing.vendor_id == vendor_id,
        Listing.status == "published").execution_options(all_tenants=True))
    if listing is None:
        raise ValidationFailed("The response has problems to correct.",
                               {"listing_id": "Not one of your published listings here."})
    return listing


def submit_response(rfi: Rfi, data: dict, *, actor: User) -> Saved:
    """A vendor's response (one per vendor, replaced by a later one) while the RFI is open and before it is
    due; a late response is refused (409)."""
    rfi = _locked(rfi)
    if not can.can_respond(actor, rfi):
        raise PermissionDenied("Only vendors that supply this consortium respond to its RFIs.")
    if rfi.status != "open":
        raise Conflict(f"{rfi.reference} is {rfi.status_label.lower()}: it takes no more responses.")
    if rfi.is_due():
        raise Conflict(f"Responses to {rfi.reference} were due by {due_text(rfi)}: a late response is refused.")
    clean = clean_response_data(data)
    _own_listing(rfi, actor.organization_id, clean["listing_id"])
    response = db.session.scalar(select(RfiResponse).where(RfiResponse.rfi_id == rfi.id,
                                                           RfiResponse.vendor_id == actor.organization_id))
    created = response is None
    if created:
        response = RfiResponse(consortium_id=rfi.consortium_id, rfi_id=rfi.id, vendor_id=actor.organization_id,
                               submitted_by_id=actor.id, **clean)
        db.session.add(response)
    else:
        for name, value in clean.items():
            setattr(response, name, value)
        response.submitted_by_id = actor.id
    db.session.flush()
    audit.record(consortium_id=rfi.consortium_id, actor=actor, action=audit.RFI_RESPONSE_SUBMITTED, obj=response,
                 object_type="rfi_response", after={"rfi_id": rfi.id, "vendor_id": response.vendor_id,
                                                    "replaced": not created, **clean})
    return Saved(response, created)


# --- the order that fulfils a need ---------------------------------------------------------------------


LINKABLE_ORDERS = ("draft", "submitted", "pending_approval", "approved", "active", "completed")


def link_order(need: Need, data: dict, *, actor: User) -> NeedOrder:
    """Record the order (of the need's city, not cancelled or declined) that fulfils a selected need ({order_id}):
    the need becomes `ordered` and the roadmap links the order."""
    if not can.can_link_order(actor, need):
        raise PermissionDenied("Only the need's city or the office records the order that fulfils it.")
    order_id = parse_id(data.get("order_id"))
    order = db.session.scalar(select(Order).where(
        Order.id == order_id, Order.consortium_id == need.consortium_id, Order.member_id == need.member_id,
        Order.status.in_(LINKABLE_ORDERS)).execution_options(all_tenants=True)) if order_id else None
    if order is None:
        raise ValidationFailed("The order cannot be linked.", {
            "order_id": f"Choose an order of {need.member.name} that is not cancelled or declined."})
    need = planning.advance_need(need, "order", actor=actor, reason=f"Ordered as {order.reference}.")
    link = NeedOrder(consortium_id=need.consortium_id, need_id=need.id, order_id=order.id, linked_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    audit.record(consortium_id=need.consortium_id, actor=actor, action=audit.NEED_ORDER_LINKED, obj=need,
                 after={"order_id": order.id})
    return link
