"""Vehicle and participation operations, and their two lifecycles.

The lifecycles are the tables below; `marketplace.transitions.run` executes every step (locked re-read,
state check, permission predicate, side effects, audit event). The vehicle: `activate` (draft → active,
once complete and consistent), `renew` (active stays active, the end date moves), `terminate` (active →
terminated, with a reason; pending requests to join are declined). "Expired" is never stored: it is
derived from the end date (`Vehicle.effective_status`). Participation (`contracts.vehicles.signing`): the member
`sign`s, the office countersigns (`approve`, → executed) or `decline`s; `edit_terms` voids the signatures.

Services take the acting user explicitly, validate through `contracts.vehicles.validation`, flush, and
never commit. Rows are locked vehicle first, then participation (as the order services do), so two
requests never wait on each other in opposite orders.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalog.listings.models import Listing
from consortium.models import Consortium, Organization, Supplier, User
from contracts.vehicles import models, queries
from contracts.vehicles import permissions as can
from contracts.vehicles.models import (
    PARTICIPATION_STATUSES,
    VEHICLE_STATUSES,
    Award,
    Participation,
    ScheduleItem,
    Vehicle,
)
from contracts.vehicles.signing import effects as signing
from contracts.vehicles.signing import permissions as signing_can
from contracts.vehicles.validation import (
    AWARD_FIELDS,
    NUMBER_TAKEN,
    PROBLEMS,
    amendment_lines,
    clean_participation_data,
    clean_vehicle_data,
    patched_data,
)
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.inputs import REASON_LIMIT, raise_if
from marketplace.transitions import Lifecycle, transition

OFFICE_ONLY = "Only the consortium office manages contract vehicles."
OFFICE_DECIDES = "Only the consortium office decides on requests to join."
APPROVERS_JOIN = "Only a member city's approver (champion) can request to join a vehicle."


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months; the day is clamped to the end of a shorter month
    (2028-01-31 + 1 month = 2028-02-29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


# --- what the audit trail records -----------------------------------------------------------------


def award_content(award: Award) -> dict:
    """One award in the API's input shape."""
    return {
        "vendor_id": award.vendor_id if award.vendor_id is not None else award.vendor.id,
        "listing_ids": sorted(listing.id for listing in award.listings),
        "price_schedule": [{"price_item_id": line.price_item.id, "contract_price": str(line.contract_price)}
                           for line in award.schedule],
    }


def vehicle_content(vehicle: Vehicle) -> dict:
    """The vehicle's terms in the API's input shape (audit before/after, PATCH merging, the edit form)."""
    return {
        "number": vehicle.number,
        "title": vehicle.title,
        "lead_agency_id": vehicle.lead_agency_id,
        "awards": [award_content(award) for award in vehicle.awards],
        "start_date": vehicle.start_date.isoformat() if vehicle.start_date else None,
        "end_date": vehicle.end_date.isoformat() if vehicle.end_date else None,
        "renewal_options": {"count": vehicle.renewal_count, "months": vehicle.renewal_months},
        "ceiling": str(vehicle.ceiling) if vehicle.ceiling is not None else None,
        "admin_fee_pct": str(vehicle.admin_fee_pct) if vehicle.admin_fee_pct is not None else None,
        "notes": vehicle.notes or "",
    }


def participation_content(participation: Participation) -> dict:
    return {
        "vehicle_id": participation.vehicle_id,
        "member_id": participation.member_id,
        "member_not_to_exceed": participation.member_not_to_exceed,
        "special_terms": participation.special_terms,
        "status": participation.status,
    }


# --- the vehicle lifecycle ------------------------------------------------------------------------


def activation_problems(vehicle: Vehicle, on: date | None = None) -> dict[str, str]:
    """What keeps a draft from being activated, by field (empty when it is complete and consistent).
    Re-checks what may have changed since drafting: listings suspended, list prices lowered."""
    problems: dict[str, str] = {}
    lead = vehicle.lead_agency
    if lead is None or lead.kind != "member" or lead.consortium_id != vehicle.consortium_id:
        problems["lead_agency_id"] = "The lead agency must be a member city of this consortium."
    if not vehicle.awards:
        problems["awards"] = "Award at least one vendor."
    suppliers = set(db.session.scalars(select(Supplier.organization_id).where(
        Supplier.consortium_id == vehicle.consortium_id,
        Supplier.organization_id.in_([award.vendor_id for award in vehicle.awards]))))
    for index, award in enumerate(vehicle.awards):
        # A single-vendor vehicle keeps the top-level field names; several awards are named by position.
        prefix = f"awards.{index}." if vehicle.is_multi_award else ""
        who = f"{award.vendor.name}: " if vehicle.is_multi_award else ""
        problems.update({prefix + k: who + v for k, v in _award_problems(award, award.vendor_id in suppliers).items()})
    if vehicle.end_date <= (on or models.today()):
        problems["end_date"] = f"The end date ({day(vehicle.end_date)}) must be in the future."
    return problems


def _award_problems(award: Award, is_supplier: bool) -> dict[str, str]:
    """What keeps one award from being put in force: its vendor, its listings, its price schedule."""
    problems: dict[str, str] = {}
    if not is_supplier:
        problems["vendor_id"] = "The vendor is no longer an approved supplier of this consortium."
    if not award.listings:
        problems["listing_ids"] = "Cover at least one published listing of the vendor."
    else:
        stale = [f"“{x.title}”" for x in award.listings if x.status != "published" or x.vendor_id != award.vendor_id]
        if stale:
            problems["listing_ids"] = "No longer published by the vendor: " + ", ".join(stale) + "."
    covered = {x.id for x in award.listings}
    lines = []
    for line in award.schedule:
        item = line.price_item
        if item.is_retired or item.listing_id not in covered:
            lines.append(f"“{item.name}” is no longer offered on a covered listing")
        elif line.contract_price > item.list_price:
            lines.append(f"“{item.name}” is {money(line.contract_price - item.list_price)} above its list price "
                         f"of {money(item.list_price)}")
    if not award.schedule:
        problems["price_schedule"] = "Put at least one price item on the schedule with its contract price."
    elif lines:
        problems["price_schedule"] = "; ".join(lines) + "."
    return problems


def renewal_blocker(vehicle: Vehicle) -> str | None:
    """Why an active vehicle cannot be renewed now (None when it can): expired, or no options left."""
    if vehicle.effective_status() == "expired":
        return (f"This vehicle expired on {day(vehicle.end_date)}. Renewal options can only be exercised "
                "before the end date.")
    if vehicle.renewals_left <= 0:
        return (f"No renewal options remain ({vehicle.renewals_exercised} of {vehicle.renewal_count} exercised)."
                if vehicle.renewal_count else "This vehicle has no renewal options.")
    return None


def termination_blocker(vehicle: Vehicle) -> str | None:
    """Why an active vehicle cannot be terminated now: once expired it has ended anyway."""
    if vehicle.effective_status() == "expired":
        return "Only an active vehicle can be terminated; this one is expired."
    return None


def _activate(vehicle: Vehicle, ctx) -> None:
    problems = activation_problems(vehicle)
    if problems:
        raise Conflict("The vehicle is not ready to activate: " + " ".join(problems.values()), problems)
    vehicle.activated_at = utcnow()
    vehicle.status_reason = None


def _renew(vehicle: Vehicle, ctx) -> None:
    blocker = renewal_blocker(vehicle)
    if blocker:
        raise Conflict(blocker)
    before = vehicle.end_date
    vehicle.end_date = add_months(vehicle.end_date, vehicle.renewal_months)
    vehicle.renewals_exercised += 1
    ctx.audit_reason = (f"Renewal option {vehicle.renewals_exercised} of {vehicle.renewal_count}: the end date "
                        f"moves from {day(before)} to {day(vehicle.end_date)}.")


def _terminate(vehicle: Vehicle, ctx) -> None:
    blocker = termination_blocker(vehicle)
    if blocker:
        raise Conflict(blocker)
    vehicle.status_reason = ctx.reason
    vehicle.terminated_at = utcnow()


def _decline_pending_requests(vehicle: Vehicle, ctx) -> None:
    """Requests to join a terminated vehicle are declined, with the termination's reason."""
    reason = f"The vehicle was terminated: {ctx.reason}"
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 1] + "…"
    pending = db.session.scalars(select(Participation).where(Participation.vehicle_id == vehicle.id,
                                                             Participation.status == "requested"))
    for participation in list(pending):
        transitions.run(PARTICIPATION_LIFECYCLE, participation, "decline", actor=ctx.actor, reason=reason)


def _renewal_after(vehicle: Vehicle) -> dict:
    return {"end_date": vehicle.end_date, "renewals_exercised": vehicle.renewals_exercised}


VEHICLE_LIFECYCLE = Lifecycle(
    model=Vehicle, noun="vehicle", states=VEHICLE_STATUSES, object_type="vehicle",
    state_labels={"draft": "a draft"},
    transitions=(
        transition("activate", {"draft"}, "active", can.can_activate_vehicle, "vehicle.activated", "activated",
                   reason="none", effects=(_activate,), audit_after=vehicle_content, denied=OFFICE_ONLY),
        transition("renew", {"active"}, None, can.can_renew_vehicle, "vehicle.renewed", "renewed", reason="none",
                   effects=(_renew,), audit_after=_renewal_after, denied=OFFICE_ONLY),
        transition("terminate", {"active"}, "terminated", can.can_terminate_vehicle, "vehicle.terminated",
                   "terminated", reason="required", reason_message="Give the reason for terminating the vehicle.",
                   effects=(_terminate, _decline_pending_requests), denied=OFFICE_ONLY),
    ),
)


# --- the participation lifecycle ------------------------------------------------------------------


def _vehicle_still_open(participation: Participation, ctx) -> None:
    status = participation.vehicle.effective_status()
    if status != "active":
        raise Conflict(f"The vehicle is {status}: a member can no longer join it. Decline the request instead.")


def _stamp_decision(participation: Participation, ctx) -> None:
    participation.decided_by = ctx.actor
    participation.decided_at = utcnow()
    participation.decision_reason = ctx.reason


PARTICIPATION_LIFECYCLE = Lifecycle(
    model=Participation, noun="request to join", states=PARTICIPATION_STATUSES, object_type="participation",
    state_labels={"requested": "awaiting a decision"},
    transitions=(
        transition("sign", {"requested"}, None, signing_can.can_sign_participation, audit.PARTICIPATION_SIGNED,
                   "signed", reason="none", effects=(_vehicle_still_open, signing.member_signs),
                   denied=signing_can.MEMBER_SIGNS),
        transition("edit_terms", {"requested"}, None, signing_can.can_edit_participation_terms,
                   audit.PARTICIPATION_TERMS_EDITED, "edited", reason="none", effects=(signing.change_terms,),
                   audit_after=participation_content, denied=signing_can.TERMS_EDITORS),
        transition("approve", {"requested"}, "executed", can.can_approve_participation, "participation.executed",
                   "approved", effects=(_vehicle_still_open, signing.office_countersigns, _stamp_decision),
                   audit_after=participation_content, denied=OFFICE_DECIDES),
        transition("decline", {"requested"}, "declined", can.can_decline_participation, "participation.declined",
                   "declined", reason="required", reason_message="Give a reason: the member sees it.",
                   effects=(_stamp_decision,), audit_after=participation_content, denied=OFFICE_DECIDES),
    ),
)


# --- vehicles -------------------------------------------------------------------------------------


def edit_blocker(vehicle: Vehicle) -> str | None:
    """Why the vehicle's terms cannot be edited now: only a draft can be."""
    if vehicle.status != "draft":
        return f"Only a draft vehicle can be edited; this one is {vehicle.effective_status()}."
    return None


def vehicle_actions(user, vehicle: Vehicle) -> set[str]:
    """The steps a page offers `user` on `vehicle` now: the lifecycle's own checks plus the blockers
    its side effects apply, so a button is shown exactly when the step would be allowed."""
    actions = set(VEHICLE_LIFECYCLE.available(user, vehicle))
    if renewal_blocker(vehicle):
        actions.discard("renew")
    if termination_blocker(vehicle):
        actions.discard("terminate")
    if can.can_edit_vehicle(user, vehicle) and edit_blocker(vehicle) is None:
        actions.update(("edit", "add_award"))
    return actions


def _apply(vehicle: Vehicle, clean: dict) -> None:
    vehicle.number = clean["number"]
    vehicle.title = clean["title"]
    vehicle.lead_agency = clean["lead_agency"]
    vehicle.start_date, vehicle.end_date = clean["start_date"], clean["end_date"]
    vehicle.renewal_count, vehicle.renewal_months = clean["renewal"]
    vehicle.ceiling = clean["ceiling"]
    vehicle.admin_fee_pct = clean["admin_fee_pct"]
    vehicle.notes = clean["notes"]
    # Awards are matched by vendor: a vendor still awarded keeps its award (and the ids of its lines).
    wanted = [terms.vendor for terms in clean["awards"]]
    for award in list(vehicle.awards):
        if award.vendor_id not in {vendor.id for vendor in wanted}:
            vehicle.awards.remove(award)
    existing = {award.vendor_id: award for award in vehicle.awards}
    for position, terms in enumerate(clean["awards"]):
        award = existing.get(terms.vendor.id)
        if award is None:
            award = Award(vendor=terms.vendor)
            vehicle.awards.append(award)
        award.position = position
        award.listings = list(terms.listings)
        _apply_schedule(vehicle, award, terms.schedule)


def _apply_schedule(vehicle: Vehicle, award: Award, schedule) -> None:
    # Update lines in place by price item: deleting and re-adding one would break the unique
    # (vehicle, price item) constraint inside a single flush.
    existing = {line.price_item.id: line for line in award.schedule}
    wanted = {line.price_item.id for line in schedule}
    for line in list(award.schedule):
        if line.price_item.id not in wanted:
            award.schedule.remove(line)
    for line in schedule:
        current = existing.get(line.price_item.id)
        if current is not None:
            current.contract_price = line.contract_price
        else:
            award.schedule.append(ScheduleItem(vehicle=vehicle, price_item=line.price_item,
                                               contract_price=line.contract_price))


def _flush_guarding_number(vehicle: Vehicle) -> None:
    """Flush in a savepoint, so a number taken by a concurrent request since our check answers with
    the same field message instead of an IntegrityError."""
    try:
        with db.session.begin_nested():
            db.session.add(vehicle)
            db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        if "consortium_number" not in text and "vehicle.consortium_id, vehicle.number" not in text:
            raise
        raise ValidationFailed(PROBLEMS, {"number": NUMBER_TAKEN.format(number=vehicle.number)}) from exc


def _record(obj, actor: User, action: str, *, before=None, after=None) -> None:
    audit.record(consortium_id=obj.consortium_id, actor=actor, action=action, obj=obj, before=before, after=after)


def create_vehicle(*, consortium: Consortium, data: dict, actor: User) -> Vehicle:
    """The consortium office drafts a vehicle: terms, covered listings and (optionally) the schedule."""
    if not can.can_create_vehicle(actor, consortium):
        raise PermissionDenied(OFFICE_ONLY)
    clean = clean_vehicle_data(data, consortium=consortium)
    vehicle = Vehicle(consortium_id=consortium.id, status="draft", committed=Decimal("0"))
    _apply(vehicle, clean)
    _flush_guarding_number(vehicle)
    _record(vehicle, actor, "vehicle.created", after=vehicle_content(vehicle))
    return vehicle


def update_vehicle(vehicle: Vehicle, data: dict, *, actor: User, partial: bool = False) -> Vehicle:
    """Edit a draft. With `partial` (PATCH) absent fields keep their values; when only the covered
    listings change, schedule lines of listings no longer covered are dropped."""
    if not can.can_edit_vehicle(actor, vehicle):
        raise PermissionDenied(OFFICE_ONLY)
    vehicle = transitions.lock(Vehicle, vehicle.id) or vehicle  # an activation in flight finishes first
    blocker = edit_blocker(vehicle)
    if blocker:
        raise Conflict(blocker)
    current = vehicle_content(vehicle)
    if partial:
        data = patched_data(vehicle, current, data)
    consortium = db.session.get(Consortium, vehicle.consortium_id)
    _apply(vehicle, clean_vehicle_data(data, consortium=consortium, vehicle=vehicle))
    _flush_guarding_number(vehicle)
    after = vehicle_content(vehicle)
    if after != current:
        _record(vehicle, actor, "vehicle.edited", before=current, after=after)
    return vehicle


def add_award(vehicle: Vehicle, data: dict, *, actor: User) -> Vehicle:
    """Award one more vendor on a draft: `data` is {vendor_id, listing_ids, price_schedule?}; the contract
    prices can follow on the edit page. Field problems of the new award are reported without the
    `awards.N.` prefix (they belong to the form that asked)."""
    award = {k: data.get(k) for k in AWARD_FIELDS if isinstance(data, dict) and k in data}
    award.setdefault("listing_ids", [])
    award.setdefault("price_schedule", [])
    index = len(vehicle.awards)
    try:
        return update_vehicle(vehicle, {"awards": [*vehicle_content(vehicle)["awards"], award]}, actor=actor,
                              partial=True)
    except ValidationFailed as err:
        prefix = f"awards.{index}."
        fields = {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in err.fields.items()}
        raise ValidationFailed(err.message, fields) from err


def activate_vehicle(vehicle: Vehicle, *, actor: User) -> Vehicle:
    """Put a complete, consistent draft in force: members can then join it."""
    return transitions.run(VEHICLE_LIFECYCLE, vehicle, "activate", actor=actor)


def renew_vehicle(vehicle: Vehicle, *, actor: User) -> Vehicle:
    """Exercise one renewal option: the end date moves by the option's months. Only while the vehicle
    is active and not yet expired, and while options remain."""
    return transitions.run(VEHICLE_LIFECYCLE, vehicle, "renew", actor=actor)


def terminate_vehicle(vehicle: Vehicle, *, actor: User, reason: str | None) -> Vehicle:
    """End an active vehicle early, with the reason. Pending requests to join are declined."""
    return transitions.run(VEHICLE_LIFECYCLE, vehicle, "terminate", actor=actor, reason=reason)


# --- participation --------------------------------------------------------------------------------


def participation_blocker(vehicle: Vehicle, member: Organization) -> str | None:
    """Why this member cannot ask to join this vehicle now (None when it can)."""
    status = vehicle.effective_status()
    if status != "active":
        return f"Only an active vehicle can be joined; this one is {status}."
    if vehicle.lead_agency_id == member.id:
        return f"{member.name} is the lead agency of this vehicle and buys under it without an addendum."
    existing = queries.open_participation(vehicle, member.id)
    if existing is not None and existing.status == "executed":
        return f"{member.name} already participates in this vehicle."
    if existing is not None:
        return f"{member.name} already has a request to join this vehicle awaiting the consortium office."
    return None


def request_participation(vehicle: Vehicle, data: dict, *, actor: User) -> Participation:
    """A member's approver (champion) asks to join an active vehicle, optionally with a member
    not-to-exceed and special terms. The lead agency buys under its own vehicle without an addendum."""
    if not can.can_request_participation(actor, vehicle):
        raise PermissionDenied(APPROVERS_JOIN)
    clean = clean_participation_data(data, vehicle=vehicle)
    vehicle = transitions.lock(Vehicle, vehicle.id) or vehicle  # two requests of one city: one gets in
    blocker = participation_blocker(vehicle, actor.organization)
    if blocker:
        raise Conflict(blocker)
    participation = Participation(consortium_id=vehicle.consortium_id, vehicle=vehicle, member=actor.organization,
                                  status="requested", committed=Decimal("0"), requested_by=actor, **clean)
    db.session.add(participation)
    db.session.flush()
    _record(participation, actor, "participation.requested", after=participation_content(participation))
    return participation


def approve_participation(participation: Participation, *, actor: User, signature: dict | None = None,
                          reason: str | None = None) -> Participation:
    """The office countersigns (`signature`: name, title, authority) what the member signed: executed."""
    transitions.lock(Vehicle, participation.vehicle_id)  # vehicle before participation, like every writer
    return transitions.run(PARTICIPATION_LIFECYCLE, participation, "approve", actor=actor, reason=reason,
                           signature=signature)


def decline_participation(participation: Participation, *, actor: User, reason: str | None) -> Participation:
    """The consortium office declines a request to join, with the reason the member sees."""
    return transitions.run(PARTICIPATION_LIFECYCLE, participation, "decline", actor=actor, reason=reason)


# --- price schedule amendment ---------------------------------------------------------------------

AMENDMENT_PROBLEMS = "The price schedule cannot be amended as asked."


def amend_price_schedule(vehicle: Vehicle, data: dict, *, actor: User) -> Vehicle:
    """The office changes contract prices of an active vehicle's schedule, typically lowering them to a
    list price a listing revision lowered. `data` is {items: [{price_item_id, contract_price}]}; each new
    price is more than zero and at most the listing's current list price. Locks the covered listings,
    then the vehicle (the order the withdraw transition takes them in); audited with old and new prices."""
    if not can.can_amend_price_schedule(actor, vehicle):
        raise PermissionDenied(OFFICE_ONLY)
    for listing_id in sorted({listing.id for listing in vehicle.listings}):
        transitions.lock(Listing, listing_id)  # a revision approval in flight lands first
    vehicle = transitions.lock(Vehicle, vehicle.id) or vehicle
    status = vehicle.effective_status()
    if status != "active":
        raise Conflict(f"Only an active vehicle's price schedule can be amended; {vehicle.number} is {status}.")
    fields: dict[str, str] = {}
    changes = amendment_lines(vehicle, data.get("items") if isinstance(data, dict) else None, fields)
    raise_if(fields, AMENDMENT_PROBLEMS)
    before, after = [], []
    for line, price in changes:
        entry = {"price_item_id": line.price_item_id, "item": line.price_item.name,
                 "list_price": str(line.price_item.list_price)}
        before.append({**entry, "contract_price": str(line.contract_price)})
        after.append({**entry, "contract_price": str(price)})
        line.contract_price = price
    db.session.flush()
    audit.record(consortium_id=vehicle.consortium_id, actor=actor, action=audit.VEHICLE_PRICE_SCHEDULE_AMENDED,
                 obj=vehicle, before={"price_schedule": before}, after={"price_schedule": after})
    return vehicle
