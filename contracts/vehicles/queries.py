"""Loading and listing vehicles and participation, for the pages, the API and the orders package.

Every query runs in the current consortium (the tenant hook scopes it). `get_*_or_404` load one row;
`visible_*` also apply who may see it, so the HTML views and the API answer alike. The date is always
`models.today()`, so a vehicle past its end date reads as expired without any job.

`active_contract_prices` and `covering_vehicles` answer the catalog's contract-terms port
(`catalog.listings.queries.CONTRACT_TERMS`); the application factory wires them in.
"""

from __future__ import annotations

from datetime import date

from flask import abort, url_for
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from catalog.listings.models import Listing, PriceItem
from catalog.listings.queries import ContractPrice, CoveringVehicle
from consortium.context import belongs
from consortium.permissions import is_office_of
from contracts.vehicles import models
from contracts.vehicles import permissions as can
from contracts.vehicles.models import STATUS_LABELS, Award, Participation, ScheduleItem, Vehicle, award_listing
from contracts.vehicles.signing.models import Signature
from marketplace import transitions
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.inputs import parse_id
from marketplace.queue import QueueItem, provider

AWARD_OPTIONS = selectinload(Vehicle.awards).options(
    selectinload(Award.vendor),
    selectinload(Award.listings).selectinload(Listing.price_items),
    selectinload(Award.schedule).selectinload(ScheduleItem.price_item),
)
DETAIL_OPTIONS = (
    selectinload(Vehicle.lead_agency),
    AWARD_OPTIONS,
    selectinload(Vehicle.participations).selectinload(Participation.member),
)
SUMMARY_OPTIONS = (selectinload(Vehicle.lead_agency), selectinload(Vehicle.awards).selectinload(Award.vendor))
PARTICIPATION_OPTIONS = (
    selectinload(Participation.member),
    selectinload(Participation.requested_by),
    selectinload(Participation.decided_by),
    selectinload(Participation.vehicle).options(*SUMMARY_OPTIONS),
)


# --- the derived status (for callers that hold the module, such as the orders package) ------------


# Callables (vehicle) -> Markup that add a panel to the vehicle page; orders register what was committed
# under the vehicle and what closeout gave back (so the vehicles feature does not import orders).
VEHICLE_PANELS: list = []


def effective_status(vehicle: Vehicle, on: date | None = None) -> str:
    """draft, active, expired (an active vehicle past its end date) or terminated."""
    return vehicle.effective_status(on)


def status_label(vehicle: Vehicle) -> str:
    return STATUS_LABELS[vehicle.effective_status()]


def is_in_force(vehicle: Vehicle, on: date | None = None) -> bool:
    """Active and within its term: orders may be placed under it."""
    return vehicle.is_in_force(on)


# --- one row --------------------------------------------------------------------------------------


def get_vehicle_or_404(vehicle_id, *, detail: bool = False) -> Vehicle:
    """A vehicle of the current consortium, or 404. Who may see it is `visible_vehicle_or_404`'s."""
    vehicle_id = parse_id(vehicle_id)
    if vehicle_id is None:
        abort(404)
    stmt = select(Vehicle).where(Vehicle.id == vehicle_id).options(*(DETAIL_OPTIONS if detail else SUMMARY_OPTIONS))
    vehicle = db.session.scalar(stmt)
    if vehicle is None:
        abort(404)
    return vehicle


def get_participation_or_404(participation_id) -> Participation:
    participation_id = parse_id(participation_id)
    if participation_id is None:
        abort(404)
    participation = db.session.scalar(
        select(Participation).where(Participation.id == participation_id).options(*PARTICIPATION_OPTIONS)
    )
    if participation is None:
        abort(404)
    return participation


def visible_vehicle_or_404(vehicle_id, user, *, detail: bool = False) -> Vehicle:
    """A vehicle `user` may see, or 404 (never 403: no enumeration)."""
    vehicle = get_vehicle_or_404(vehicle_id, detail=detail)
    if not can.can_view_vehicle(user, vehicle):
        abort(404)
    return vehicle


def visible_participation_or_404(participation_id, user) -> Participation:
    """A participation `user` may see (its member and the office), or 404."""
    participation = get_participation_or_404(participation_id)
    if not can.can_view_participation(user, participation):
        abort(404)
    return participation


def viewer_member_id(user) -> int | None:
    """The member city the viewer works for, when they are a buyer or approver here; else None."""
    return user.organization_id if can.is_member_staff_here(user) else None


def latest_participation_of(vehicle: Vehicle, member_id: int | None) -> Participation | None:
    """The member's latest participation in this vehicle (any status), from `vehicle.participations`."""
    mine = [p for p in vehicle.participations if p.member_id == member_id]
    return mine[-1] if mine else None


def open_participation(vehicle: Vehicle, member_id: int) -> Participation | None:
    """The member's request awaiting a decision, or its executed addendum, for this vehicle."""
    return db.session.scalar(
        select(Participation).where(Participation.vehicle_id == vehicle.id, Participation.member_id == member_id,
                                    Participation.status.in_(("requested", "executed")))
        .order_by(Participation.id.desc()).limit(1)
    )


def executed_participation(vehicle: Vehicle, member_id: int) -> Participation | None:
    """The member's executed participating addendum to this vehicle, if any."""
    return db.session.scalar(
        select(Participation).where(Participation.vehicle_id == vehicle.id, Participation.member_id == member_id,
                                    Participation.status == "executed").limit(1)
    )


def is_buyer_of(member_id: int | None, vehicle: Vehicle) -> bool:
    """May this member order under the vehicle today? Only the lead agency or a member with an
    executed participation, and only while the vehicle is in force (active, term started, not expired)."""
    if not member_id or not vehicle.is_in_force():
        return False
    return vehicle.lead_agency_id == member_id or executed_participation(vehicle, member_id) is not None


# --- lists ----------------------------------------------------------------------------------------


def _executed_vehicle_ids(member_id: int):
    return select(Participation.vehicle_id).where(Participation.member_id == member_id,
                                                  Participation.status == "executed")


def _in_force_clause(on: date):
    return (Vehicle.status == "active") & (Vehicle.start_date <= on) & (Vehicle.end_date >= on)


def _participant_clause(member_id: int):
    return or_(Vehicle.lead_agency_id == member_id, Vehicle.id.in_(_executed_vehicle_ids(member_id)))


def vehicles_member_can_buy_under(member_id: int) -> list[Vehicle]:
    """The vehicles in force today that this member may order under (lead agency or executed
    participation), by number. One query plus the eager loads."""
    stmt = (select(Vehicle).where(_in_force_clause(models.today()), _participant_clause(member_id))
            .options(*SUMMARY_OPTIONS).order_by(Vehicle.number))
    return list(db.session.scalars(stmt))


def buyer_vehicle_ids(member_id: int | None, vehicle_ids: list[int]) -> set[int]:
    """Of these vehicles, the ids this member may order under today (one query, for lists)."""
    if not member_id or not vehicle_ids:
        return set()
    stmt = select(Vehicle.id).where(Vehicle.id.in_(vehicle_ids), _in_force_clause(models.today()),
                                    _participant_clause(member_id))
    return set(db.session.scalars(stmt))


def participant_vehicle_ids(member_id: int | None, vehicle_ids: list[int]) -> set[int]:
    """Of these vehicles, those where the member is lead agency or has an executed participation."""
    if not member_id or not vehicle_ids:
        return set()
    stmt = select(Vehicle.id).where(Vehicle.id.in_(vehicle_ids), _participant_clause(member_id))
    return set(db.session.scalars(stmt))


def latest_participations(member_id: int | None, vehicle_ids: list[int]) -> dict[int, Participation]:
    """The member's latest participation per vehicle (any status), in one query."""
    if not member_id or not vehicle_ids:
        return {}
    rows = db.session.scalars(
        select(Participation).where(Participation.member_id == member_id, Participation.vehicle_id.in_(vehicle_ids))
        .order_by(Participation.id)
    )
    return {p.vehicle_id: p for p in rows}


def visible_vehicles_stmt(*, see_drafts: bool, see_closed: bool, status: str | None = None):
    """Vehicles of the current consortium a viewer may list: admins everything, the consortium's
    people everything but drafts, the public only vehicles that are active and not expired."""
    on = models.today()
    stmt = select(Vehicle)
    if not see_drafts:
        stmt = stmt.where(Vehicle.status != "draft")
    if not see_closed:
        stmt = stmt.where(Vehicle.status == "active", Vehicle.end_date >= on)
    if status == "active":
        stmt = stmt.where(Vehicle.status == "active", Vehicle.end_date >= on)
    elif status == "expired":
        stmt = stmt.where(Vehicle.status == "active", Vehicle.end_date < on)
    elif status in ("draft", "terminated"):
        stmt = stmt.where(Vehicle.status == status)
    return stmt


def vehicles_listed_for(user, *, status: str | None = None):
    """The statement of the vehicle list `user` sees (the page and the API alike), newest first."""
    stmt = visible_vehicles_stmt(see_drafts=can.can_manage_vehicles(user), see_closed=belongs(user),
                                 status=status)
    return stmt.order_by(Vehicle.start_date.desc(), Vehicle.number)


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _vehicles_covering(listing_id: int):
    """The ids of the vehicles one of whose awards covers this listing (a subquery)."""
    return (select(Award.vehicle_id).join(award_listing, award_listing.c.award_id == Award.id)
            .where(award_listing.c.listing_id == listing_id))


def vehicles_covering(listing_id: int) -> list[Vehicle]:
    """Active, unexpired vehicles of the current consortium whose covered listings include this one,
    with their schedules (for the listing page)."""
    stmt = (
        select(Vehicle)
        .where(Vehicle.id.in_(_vehicles_covering(listing_id)), Vehicle.status == "active",
               Vehicle.end_date >= models.today())
        .options(*SUMMARY_OPTIONS, selectinload(Vehicle.awards).selectinload(Award.schedule)
                 .selectinload(ScheduleItem.price_item))
        .order_by(Vehicle.number)
    )
    return list(db.session.scalars(stmt))


# --- the catalog's contract-terms port ------------------------------------------------------------
# "Active" here means active and not expired (the term may not have started yet: its prices are agreed).


def active_contract_prices(listing: Listing) -> list[ContractPrice]:
    """The contract prices of active, unexpired vehicles covering `listing`, on its price items (one
    query), by vehicle number."""
    stmt = (
        select(ScheduleItem.price_item_id, ScheduleItem.contract_price, Vehicle.id, Vehicle.number)
        .join(Vehicle, Vehicle.id == ScheduleItem.vehicle_id)
        .join(PriceItem, PriceItem.id == ScheduleItem.price_item_id)
        .join(award_listing, (award_listing.c.award_id == ScheduleItem.award_id)
              & (award_listing.c.listing_id == PriceItem.listing_id))
        .where(PriceItem.listing_id == listing.id, Vehicle.consortium_id == listing.consortium_id,
               Vehicle.status == "active", Vehicle.end_date >= models.today())
        .order_by(Vehicle.number, ScheduleItem.id)
    )
    return [ContractPrice(price_item_id=row[0], contract_price=row[1], vehicle_id=row[2], vehicle_number=row[3])
            for row in db.session.execute(stmt)]


def covering_vehicles(listing: Listing, *, lock: bool = False) -> list[CoveringVehicle]:
    """The active, unexpired vehicles covering `listing`, by number. With `lock` (the withdraw
    transition, which holds the listing's lock) every draft or active vehicle covering it is locked
    first, in id order, so an activation in flight commits before the answer is read."""
    covering = _vehicles_covering(listing.id)
    if lock:
        ids = db.session.scalars(select(Vehicle.id).where(Vehicle.id.in_(covering),
                                                          Vehicle.status.in_(("draft", "active")))
                                 .order_by(Vehicle.id)).all()
        found = [v for v in (transitions.lock(Vehicle, i) for i in ids) if v is not None]
    else:
        found = list(db.session.scalars(select(Vehicle).where(Vehicle.id.in_(covering), Vehicle.status == "active",
                                                              Vehicle.end_date >= models.today())))
    return [CoveringVehicle(vehicle_id=v.id, number=v.number, title=v.title, end_date=v.end_date)
            for v in sorted(found, key=lambda v: v.number) if v.effective_status() == "active"]


def vehicles_to_order_under(user, listing_ids) -> dict[int, list[CoveringVehicle]]:
    """Of these listings, the vehicles in force today covering each that the viewer's city may order under
    (lead agency or executed participation: `is_buyer_of`'s rule), by number; one query. Empty, without a
    query, for anyone but a buyer or approver of a member city here (the catalog's result cards)."""
    member_id = viewer_member_id(user)
    ids = sorted(set(listing_ids))
    if not member_id or not ids:
        return {}
    stmt = (
        select(award_listing.c.listing_id, Vehicle.id, Vehicle.number, Vehicle.title, Vehicle.end_date)
        .join(Award, Award.vehicle_id == Vehicle.id)
        .join(award_listing, award_listing.c.award_id == Award.id)
        .where(award_listing.c.listing_id.in_(ids), _in_force_clause(models.today()),
               _participant_clause(member_id))
        .order_by(Vehicle.number)
    )
    found: dict[int, list[CoveringVehicle]] = {}
    for listing_id, vehicle_id, number, title, end_date in db.session.execute(stmt):
        found.setdefault(listing_id, []).append(
            CoveringVehicle(vehicle_id=vehicle_id, number=number, title=title, end_date=end_date))
    return found


def price_conflict_rows(vehicle: Vehicle) -> list[dict]:
    """Schedule rows whose contract price is above the item's list price now (a list price was lowered
    after the award): what the amendment page offers to lower."""
    return [row for row in schedule_rows(vehicle) if row["contract_price"] > row["list_price"]]


def vehicles_led_by(member_id: int) -> list[Vehicle]:
    """The vehicles this member leads (drafts aside), by number."""
    return list(db.session.scalars(
        select(Vehicle).where(Vehicle.lead_agency_id == member_id, Vehicle.status != "draft")
        .options(*SUMMARY_OPTIONS).order_by(Vehicle.number)
    ))


def published_listings_by_vendor() -> list[Listing]:
    """Published listings of the current consortium, by vendor and title (the vehicle form's checkboxes)."""
    listings = db.session.scalars(
        select(Listing).where(Listing.status == "published")
        .options(selectinload(Listing.vendor), selectinload(Listing.price_items))
    ).all()
    return sorted(listings, key=lambda x: (x.vendor.name, x.title, x.id))


def award_rows(award: Award) -> list[dict]:
    """One award's price schedule against list prices, in listing order."""
    listings = {x.id: x for x in award.listings}
    rows = []
    for line in award.schedule:
        item = line.price_item
        rows.append({
            "line": line,
            "award": award,
            "vendor": award.vendor,
            "price_item": item,
            "listing": listings.get(item.listing_id),
            "list_price": item.list_price,
            "contract_price": line.contract_price,
            "discount": item.list_price - line.contract_price,
            "discount_pct": line.discount_pct,
        })
    order = {x.id: i for i, x in enumerate(award.listings)}
    rows.sort(key=lambda r: (order.get(r["price_item"].listing_id, len(order)), r["price_item"].position,
                             r["price_item"].id))
    return rows


def schedule_rows(vehicle: Vehicle) -> list[dict]:
    """The price schedules against list prices, award by award and in listing order: what the vehicle
    page, the API and the addendum show."""
    return [row for award in vehicle.awards for row in award_rows(award)]


def participations_stmt(user, status: str | None = None):
    """Participation `user` may list (the office: all; member staff: their city's), newest first."""
    stmt = select(Participation).options(*PARTICIPATION_OPTIONS).order_by(Participation.id.desc())
    if not can.can_manage_vehicles(user):
        stmt = stmt.where(Participation.member_id == user.organization_id)
    if status:
        stmt = stmt.where(Participation.status == status)
    return stmt


def pending_requests() -> list[Participation]:
    """Requests to join awaiting the consortium office, oldest first."""
    return list(db.session.scalars(
        select(Participation).where(Participation.status == "requested")
        .options(selectinload(Participation.member), selectinload(Participation.requested_by),
                 selectinload(Participation.vehicle))
        .order_by(Participation.created_at, Participation.id)
    ))


def participations_of_member(member_id: int) -> list[Participation]:
    return list(db.session.scalars(
        select(Participation).where(Participation.member_id == member_id)
        .options(selectinload(Participation.vehicle), selectinload(Participation.requested_by),
                 selectinload(Participation.decided_by))
        .order_by(Participation.id.desc())
    ))


def recent_decisions(limit: int = 50) -> list[Participation]:
    return list(db.session.scalars(
        select(Participation).where(Participation.status != "requested")
        .options(selectinload(Participation.member), selectinload(Participation.vehicle),
                 selectinload(Participation.decided_by))
        .order_by(Participation.decided_at.desc(), Participation.id.desc()).limit(limit)
    ))


# --- what the irreversible steps do (their confirmation pages, marketplace.confirm) --------------


def decline_participation_consequences(participation: Participation) -> list[str]:
    """Declining a request to join: the member cannot order under the vehicle; no money was committed."""
    vehicle, member = participation.vehicle, participation.member.name
    sentences = [f"{member} cannot order under vehicle {vehicle.number}: no participating addendum is executed."]
    if participation.member_not_to_exceed is not None:
        sentences.append(f"The requested not-to-exceed of {money(participation.member_not_to_exceed)} is not "
                         "granted.")
    sentences.append(f"No money moves: nothing is committed under a request, and vehicle {vehicle.number}'s "
                     f"ceiling keeps {money(vehicle.remaining)} of {money(vehicle.ceiling)} available.")
    return sentences


def terminate_vehicle_consequences(vehicle: Vehicle) -> list[str]:
    """Terminating a vehicle: no new orders; orders placed run on; pending requests to join are declined."""
    sentences = [f"No new orders can be placed under {vehicle.number}, and no member can join it; orders "
                 "already placed run on under their own terms.",
                 f"The {money(vehicle.committed)} committed by orders already placed stays committed; the "
                 f"{money(vehicle.remaining)} left of its {money(vehicle.ceiling)} ceiling can no longer be "
                 "ordered."]
    pending = list(db.session.scalars(
        select(Participation).where(Participation.vehicle_id == vehicle.id, Participation.status == "requested")
        .options(selectinload(Participation.member)).order_by(Participation.id)))
    if pending:
        names = ", ".join(p.member.name for p in pending)
        noun = "request" if len(pending) == 1 else "requests"
        sentences.append(f"{len(pending)} pending {noun} to join ({names}) will be declined with your reason.")
    return sentences


# --- the work queue (marketplace.queue) ------------------------------------------------------------


@provider
def participation_requests(user, consortium) -> list[QueueItem]:
    """The office countersigns (or declines) members' requests to join a vehicle once the member's approver
    has signed: before that it is the member's turn (one query, whatever their number)."""
    if not is_office_of(user, consortium.id):
        return []
    member_signed = exists(select(Signature.id).where(
        Signature.participation_id == Participation.id, Signature.role == "member", Signature.voided_at.is_(None)))
    rows = db.session.scalars(
        select(Participation).join(Participation.vehicle).join(Participation.member)
        .where(Participation.consortium_id == consortium.id, Participation.status == "requested", member_signed)
        .options(contains_eager(Participation.vehicle), contains_eager(Participation.member))).all()
    return [QueueItem("approve_participation", f"{p.member.name} — to join {p.vehicle.number} {p.vehicle.title}",
                      "Countersign or decline the request to join", "participation", p.id,
                      url_for("vehicles.participation", consortium_slug=consortium.slug, participation_id=p.id),
                      p.created_at)
            for p in rows if can.can_approve_participation(user, p)]
