"""Cooperative contract vehicles and participating addenda.

Services take the acting user explicitly, validate (every problem at once, in one `ValidationFailed`
keyed by field path such as `price_schedule.0.contract_price`), flush, write an audit event in the
same transaction and never commit. Input is the API's JSON shape (DESIGN section 7); the HTML forms
convert to it, so both get the same rules and messages.

The queries at the end (`is_buyer_of`, `vehicles_member_can_buy_under`, ...) are what the orders
feature builds on. "Today" comes from `today()` alone, so a vehicle past its end date reads as
expired without any job, and tests can move the clock.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from catalog.listings.models import Listing, PriceItem
from consortium.models import Consortium, Organization, Supplier, User
from contracts.vehicles.models import Participation, ScheduleItem, Vehicle, vehicle_listing
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import clean_text, decision_reason, parse_date, parse_id, to_cents, whole_number
from marketplace.pdf import render_pdf
from marketplace.templating import money

INPUT_FIELDS = ("number", "title", "lead_agency_id", "vendor_id", "listing_ids", "price_schedule", "start_date",
                "end_date", "renewal_options", "ceiling", "admin_fee_pct", "notes")
LIMITS = {"number": 40, "title": 200, "notes": 20000, "special_terms": 5000, "reason": 2000}
MAX_LISTINGS = 50
MAX_SCHEDULE = 200
MAX_RENEWALS = 10
MAX_RENEWAL_MONTHS = 60
MAX_AMOUNT = Decimal("9999999999.99")
STATUS_LABELS = {"draft": "Draft", "active": "Active", "expired": "Expired", "terminated": "Terminated"}
PARTICIPATION_LABELS = {"requested": "Requested", "executed": "Executed", "declined": "Declined"}
NO_LISTING = "No such published listing of this vendor."
NO_PRICE_ITEM = "No such price item on the covered listings."

_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_MONEY = re.compile(r"\d{1,12}(\.\d{1,2})?")
_PERCENT = re.compile(r"\d{1,3}(\.\d{1,4})?")


def today() -> date:
    """The date contract terms are measured against. The only clock of this module: tests
    monkeypatch `contracts.vehicles.today` to move time."""
    return date.today()


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months; the day is clamped to the end of a shorter month
    (2028-01-31 + 1 month = 2028-02-29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def effective_status(vehicle: Vehicle, on: date | None = None) -> str:
    """draft, active, expired (an active vehicle past its end date) or terminated."""
    return vehicle.effective_status(on or today())


def status_label(vehicle: Vehicle) -> str:
    return STATUS_LABELS[effective_status(vehicle)]


def is_in_force(vehicle: Vehicle, on: date | None = None) -> bool:
    """Active and within its term (start date reached, end date not passed): orders may be placed."""
    on = on or today()
    return vehicle.status == "active" and vehicle.start_date <= on <= vehicle.end_date


# --- parsing ------------------------------------------------------------------------------------


def _text(raw, path: str, fields: dict, *, required: bool = False) -> str:
    return clean_text(raw, path, fields, limit=LIMITS[path.split(".")[-1]], required=required)


def _id(raw) -> int | None:
    """An id given as an integer (JSON) or digits (a form); None for anything else."""
    return parse_id(raw)


def _whole(raw, path: str, fields: dict, low: int, high: int, message: str) -> int | None:
    """A whole number from `low` to `high`, given as an integer (JSON) or digits (a form)."""
    value = whole_number(raw, low=low, high=high)
    if value is None:
        fields[path] = message
        return None
    return value


def parse_money(raw, path: str, fields: dict, *, what: str, required: bool = True) -> Decimal | None:
    """A positive amount in dollars with at most two decimals, given as a string (or int), never a
    float. Thousands separators and a leading $ are accepted from forms."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            fields[path] = f"Enter the {what}."
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields[path] = "Enter an amount such as 1250.00."
        return None
    text = str(raw).strip().removeprefix("$").replace(",", "")
    if text.startswith("-"):
        fields[path] = f"The {what} must be more than zero."
        return None
    if not _MONEY.fullmatch(text):
        fields[path] = "Enter an amount with at most two decimals, such as 1250.00."
        return None
    amount = Decimal(text)
    if amount <= 0:
        fields[path] = f"The {what} must be more than zero."
        return None
    if amount > MAX_AMOUNT:
        fields[path] = f"The {what} is too large."
        return None
    return to_cents(amount)


def _percent(raw, path: str, fields: dict, default: Decimal) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields[path] = "Enter a percentage such as 1.5."
        return None
    text = str(raw).strip().removesuffix("%").strip()
    if not _PERCENT.fullmatch(text):
        fields[path] = "Enter a percentage from 0 to 100 with at most four decimals, such as 1.5."
        return None
    value = Decimal(text)
    if value > 100:
        fields[path] = "The admin fee cannot be more than 100%."
        return None
    return value



def _vehicle_number(raw, consortium: Consortium, vehicle: Vehicle | None, fields: dict) -> str:
    number = _text(raw, "number", fields, required=True)
    if "number" in fields:
        return number
    if not _NUMBER.fullmatch(number):
        fields["number"] = "Use letters, digits, dashes, dots and slashes only, such as GPSR-2026-003."
        return number
    stmt = select(Vehicle.id).where(Vehicle.consortium_id == consortium.id,
                                    func.lower(Vehicle.number) == number.lower())
    if vehicle is not None and vehicle.id is not None:
        stmt = stmt.where(Vehicle.id != vehicle.id)
    if db.session.scalar(stmt.limit(1)) is not None:
        fields["number"] = f"The consortium already has a vehicle numbered {number}. Choose another number."
    return number


def _lead_agency(raw, consortium: Consortium, fields: dict) -> Organization | None:
    org_id = _id(raw)
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None or org.kind != "member" or org.consortium_id != consortium.id:
        fields["lead_agency_id"] = "Choose a member city of this consortium as the lead agency."
        return None
    return org


def _vendor(raw, consortium: Consortium, fields: dict) -> Organization | None:
    org_id = _id(raw)
    supplier = db.session.scalar(
        select(Supplier).where(Supplier.consortium_id == consortium.id, Supplier.organization_id == org_id)
    ) if org_id else None
    if supplier is None:
        fields["vendor_id"] = "Choose an approved supplier of this consortium."
        return None
    return supplier.organization


def _listings(raw, consortium: Consortium, vendor: Organization | None, fields: dict) -> list[Listing]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fields["listing_ids"] = "Must be a list of listing ids."
        return []
    if len(raw) > MAX_LISTINGS:
        fields["listing_ids"] = f"Cover at most {MAX_LISTINGS} listings."
        return []
    ids = [_id(v) for v in raw]
    found = {
        listing.id: listing
        for listing in db.session.scalars(
            select(Listing)
            .where(Listing.id.in_([i for i in ids if i]), Listing.consortium_id == consortium.id)
            .options(selectinload(Listing.price_items), selectinload(Listing.vendor))
        )
    } if any(ids) else {}
    listings: list[Listing] = []
    for index, listing_id in enumerate(ids):
        listing = found.get(listing_id)
        # One message for every failure: never tell whether an id exists in another consortium.
        if listing is None or listing.status != "published" or (vendor is not None and listing.vendor_id != vendor.id):
            fields[f"listing_ids.{index}"] = NO_LISTING
        elif listing not in listings:
            listings.append(listing)
    return listings


@dataclass
class _Line:
    price_item: PriceItem
    contract_price: Decimal


def _schedule(raw, listings: list[Listing], fields: dict) -> list[_Line]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fields["price_schedule"] = "Must be a list of price items with contract prices."
        return []
    if len(raw) > MAX_SCHEDULE:
        fields["price_schedule"] = f"Use at most {MAX_SCHEDULE} schedule lines."
        return []
    items = {item.id: item for listing in listings for item in listing.price_items}
    lines: list[_Line] = []
    seen: set[int] = set()
    for index, row in enumerate(raw):
        path = f"price_schedule.{index}"
        if not isinstance(row, dict):
            fields[path] = "Must be an object with price_item_id and contract_price."
            continue
        item = items.get(_id(row.get("price_item_id")))
        price = parse_money(row.get("contract_price"), f"{path}.contract_price", fields, what="contract price")
        if item is None:
            fields[f"{path}.price_item_id"] = NO_PRICE_ITEM
            continue
        if item.is_retired:
            fields[f"{path}.price_item_id"] = f"“{item.name}” is retired from its listing; it cannot be scheduled."
            continue
        if item.id in seen:
            fields[f"{path}.price_item_id"] = f"“{item.name}” is already on the schedule."
            continue
        seen.add(item.id)
        if price is None:
            continue
        if price > item.list_price:
            fields[f"{path}.contract_price"] = (
                f"The contract price of “{item.name}” is {money(price - item.list_price)} above its list price "
                f"of {money(item.list_price)}; it must not exceed the list price."
            )
            continue
        lines.append(_Line(item, price))
    return lines


def _renewal(raw, fields: dict) -> tuple[int, int]:
    if raw is None or raw == {}:
        return 0, 0
    if not isinstance(raw, dict):
        fields["renewal_options"] = "Must be an object with count and months."
        return 0, 0
    count = _whole(raw.get("count", 0), "renewal_options.count", fields, 0, MAX_RENEWALS,
                   f"Enter a whole number of renewal options from 0 to {MAX_RENEWALS}.")
    if not count:
        return 0, 0
    months = _whole(raw.get("months"), "renewal_options.months", fields, 1, MAX_RENEWAL_MONTHS,
                    f"Enter the length of each renewal as a whole number of months from 1 to {MAX_RENEWAL_MONTHS}.")
    return count, months or 0


def clean_vehicle_data(data: dict, *, consortium: Consortium, vehicle: Vehicle | None = None) -> dict:
    """Validate vehicle input; returns clean values (with loaded objects) or raises ValidationFailed
    listing every problem. Other consortia's objects are reported exactly like missing ones."""
    fields: dict[str, str] = {}
    for name in sorted(set(data) - set(INPUT_FIELDS)):
        fields[name] = "This field is not allowed."
    vendor = _vendor(data.get("vendor_id"), consortium, fields)
    listings = _listings(data.get("listing_ids"), consortium, vendor, fields)
    clean = {
        "number": _vehicle_number(data.get("number"), consortium, vehicle, fields),
        "title": _text(data.get("title"), "title", fields, required=True),
        "lead_agency": _lead_agency(data.get("lead_agency_id"), consortium, fields),
        "vendor": vendor,
        "listings": listings,
        "schedule": _schedule(data.get("price_schedule"), listings, fields),
        "start_date": parse_date(data.get("start_date"), "start_date", fields),
        "end_date": parse_date(data.get("end_date"), "end_date", fields),
        "renewal": _renewal(data.get("renewal_options"), fields),
        "ceiling": parse_money(data.get("ceiling"), "ceiling", fields, what="ceiling"),
        "admin_fee_pct": _percent(data.get("admin_fee_pct"), "admin_fee_pct", fields, consortium.admin_fee_pct),
        "notes": _text(data.get("notes"), "notes", fields),
    }
    start, end = clean["start_date"], clean["end_date"]
    if start and end and end <= start:
        fields["end_date"] = f"The end date must be after the start date ({start.isoformat()})."
    if vehicle is not None and clean["ceiling"] is not None and clean["ceiling"] < vehicle.committed:
        fields["ceiling"] = f"The ceiling cannot be below the amount already committed ({money(vehicle.committed)})."
    if fields:
        raise ValidationFailed("The vehicle has problems to correct.", fields)
    return clean


# --- vehicles -----------------------------------------------------------------------------------


def vehicle_content(vehicle: Vehicle) -> dict:
    """The vehicle's terms in the API's input shape (audit before/after, PATCH merging)."""
    return {
        "number": vehicle.number,
        "title": vehicle.title,
        "lead_agency_id": vehicle.lead_agency_id,
        "vendor_id": vehicle.vendor_id,
        "listing_ids": sorted(listing.id for listing in vehicle.listings),
        "price_schedule": [{"price_item_id": line.price_item_id, "contract_price": str(line.contract_price)}
                           for line in vehicle.schedule],
        "start_date": vehicle.start_date.isoformat() if vehicle.start_date else None,
        "end_date": vehicle.end_date.isoformat() if vehicle.end_date else None,
        "renewal_options": {"count": vehicle.renewal_count, "months": vehicle.renewal_months},
        "ceiling": str(vehicle.ceiling) if vehicle.ceiling is not None else None,
        "admin_fee_pct": str(vehicle.admin_fee_pct) if vehicle.admin_fee_pct is not None else None,
        "notes": vehicle.notes or "",
    }


def _apply(vehicle: Vehicle, clean: dict) -> None:
    vehicle.number = clean["number"]
    vehicle.title = clean["title"]
    vehicle.lead_agency = clean["lead_agency"]
    vehicle.vendor = clean["vendor"]
    vehicle.listings = list(clean["listings"])
    vehicle.start_date, vehicle.end_date = clean["start_date"], clean["end_date"]
    vehicle.renewal_count, vehicle.renewal_months = clean["renewal"]
    vehicle.ceiling = clean["ceiling"]
    vehicle.admin_fee_pct = clean["admin_fee_pct"]
    vehicle.notes = clean["notes"]
    # Update lines in place by price item: deleting and re-adding one would break the unique
    # (vehicle, price item) constraint inside a single flush.
    existing = {line.price_item_id: line for line in vehicle.schedule}
    wanted = {line.price_item.id for line in clean["schedule"]}
    for line in list(vehicle.schedule):
        if line.price_item_id not in wanted:
            vehicle.schedule.remove(line)
    for line in clean["schedule"]:
        current = existing.get(line.price_item.id)
        if current is not None:
            current.contract_price = line.contract_price
        else:
            vehicle.schedule.append(ScheduleItem(price_item=line.price_item, contract_price=line.contract_price))


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
        raise ValidationFailed("The vehicle has problems to correct.", {
            "number": f"The consortium already has a vehicle numbered {vehicle.number}. Choose another number."
        }) from exc


def _require_office(actor: User, consortium_id: int) -> None:
    org = actor.organization
    if actor.role != "admin" or org.kind != "office" or org.consortium_id != consortium_id:
        raise PermissionDenied("Only the consortium office manages contract vehicles.")


def _record(obj, actor: User, action: str, *, before=None, after=None, reason=None) -> None:
    audit.record(consortium_id=obj.consortium_id, actor=actor, action=action, obj=obj, before=before, after=after,
                 reason=reason)


def _lock(vehicle: Vehicle) -> Vehicle:
    """Re-read the vehicle under a row lock (PostgreSQL), so two concurrent lifecycle steps on it
    serialise instead of both passing their checks."""
    db.session.flush()
    db.session.execute(
        select(Vehicle).where(Vehicle.id == vehicle.id).with_for_update().execution_options(populate_existing=True)
    )
    return vehicle


def create_vehicle(*, consortium: Consortium, data: dict, actor: User) -> Vehicle:
    """The consortium office drafts a vehicle: terms, covered listings and (optionally) the schedule."""
    _require_office(actor, consortium.id)
    clean = clean_vehicle_data(data, consortium=consortium)
    vehicle = Vehicle(consortium_id=consortium.id, status="draft", committed=Decimal("0"))
    _apply(vehicle, clean)
    _flush_guarding_number(vehicle)
    _record(vehicle, actor, "vehicle.created", after=vehicle_content(vehicle))
    return vehicle


def update_vehicle(vehicle: Vehicle, data: dict, *, actor: User, partial: bool = False) -> Vehicle:
    """Edit a draft. With `partial` (PATCH) absent fields keep their values; when only the covered
    listings change, schedule lines of listings no longer covered are dropped."""
    _require_office(actor, vehicle.consortium_id)
    if vehicle.status != "draft":
        raise Conflict(f"Only a draft vehicle can be edited; this one is {effective_status(vehicle)}.")
    current = vehicle_content(vehicle)
    if partial:
        merged = {**current, **data}
        if "listing_ids" in data and "price_schedule" not in data:
            wanted = {_id(v) for v in data["listing_ids"]} if isinstance(data["listing_ids"], list) else set()
            merged["price_schedule"] = [
                {"price_item_id": line.price_item_id, "contract_price": str(line.contract_price)}
                for line in vehicle.schedule if line.price_item.listing_id in wanted
            ]
        data = merged
    consortium = db.session.get(Consortium, vehicle.consortium_id)
    clean = clean_vehicle_data(data, consortium=consortium, vehicle=vehicle)
    _apply(vehicle, clean)
    _flush_guarding_number(vehicle)
    after = vehicle_content(vehicle)
    if after != current:
        _record(vehicle, actor, "vehicle.edited", before=current, after=after)
    return vehicle


def activation_problems(vehicle: Vehicle, on: date | None = None) -> dict[str, str]:
    """What keeps a draft from being activated, by field (empty when it is complete and consistent).
    Re-checks what may have changed since drafting: listings suspended, list prices lowered."""
    on = on or today()
    problems: dict[str, str] = {}
    lead = vehicle.lead_agency
    if lead is None or lead.kind != "member" or lead.consortium_id != vehicle.consortium_id:
        problems["lead_agency_id"] = "The lead agency must be a member city of this consortium."
    supplier = db.session.scalar(select(Supplier.id).where(Supplier.consortium_id == vehicle.consortium_id,
                                                           Supplier.organization_id == vehicle.vendor_id))
    if supplier is None:
        problems["vendor_id"] = "The vendor is no longer an approved supplier of this consortium."
    if not vehicle.listings:
        problems["listing_ids"] = "Cover at least one published listing of the vendor."
    else:
        stale = [f"“{x.title}”" for x in vehicle.listings
                 if x.status != "published" or x.vendor_id != vehicle.vendor_id]
        if stale:
            problems["listing_ids"] = "No longer published by the vendor: " + ", ".join(stale) + "."
    covered = {x.id for x in vehicle.listings}
    if not vehicle.schedule:
        problems["price_schedule"] = "Put at least one price item on the schedule with its contract price."
    else:
        lines = []
        for line in vehicle.schedule:
            item = line.price_item
            if item.is_retired or item.listing_id not in covered:
                lines.append(f"“{item.name}” is no longer offered on a covered listing")
            elif line.contract_price > item.list_price:
                lines.append(f"“{item.name}” is {money(line.contract_price - item.list_price)} above its list price "
                             f"of {money(item.list_price)}")
        if lines:
            problems["price_schedule"] = "; ".join(lines) + "."
    if vehicle.end_date <= on:
        problems["end_date"] = f"The end date ({vehicle.end_date.isoformat()}) must be in the future."
    return problems


def activate_vehicle(vehicle: Vehicle, *, actor: User) -> Vehicle:
    """Put a complete, consistent draft in force: members can then join it."""
    _require_office(actor, vehicle.consortium_id)
    _lock(vehicle)
    if vehicle.status != "draft":
        raise Conflict(f"Only a draft vehicle can be activated; this one is {effective_status(vehicle)}.")
    problems = activation_problems(vehicle)
    if problems:
        raise Conflict("The vehicle is not ready to activate: " + " ".join(problems.values()), problems)
    vehicle.status = "active"
    vehicle.activated_at = utcnow()
    vehicle.status_reason = None
    db.session.flush()
    _record(vehicle, actor, "vehicle.activated", before={"status": "draft"},
            after={"status": "active", **vehicle_content(vehicle)})
    return vehicle


def renew_vehicle(vehicle: Vehicle, *, actor: User) -> Vehicle:
    """Exercise one renewal option: the end date moves by the option's months. Only while the vehicle
    is active and not yet expired, and while options remain."""
    _require_office(actor, vehicle.consortium_id)
    _lock(vehicle)
    status = effective_status(vehicle)
    if status == "expired":
        raise Conflict(f"This vehicle expired on {vehicle.end_date.isoformat()}. Renewal options can only be "
                       "exercised before the end date.")
    if status != "active":
        raise Conflict(f"Only an active vehicle can be renewed; this one is {status}.")
    if vehicle.renewals_left <= 0:
        raise Conflict(f"No renewal options remain ({vehicle.renewals_exercised} of {vehicle.renewal_count} "
                       "exercised)." if vehicle.renewal_count else "This vehicle has no renewal options.")
    before = {"end_date": vehicle.end_date, "renewals_exercised": vehicle.renewals_exercised}
    vehicle.end_date = add_months(vehicle.end_date, vehicle.renewal_months)
    vehicle.renewals_exercised += 1
    db.session.flush()
    _record(vehicle, actor, "vehicle.renewed", before=before,
            after={"end_date": vehicle.end_date, "renewals_exercised": vehicle.renewals_exercised})
    return vehicle


def terminate_vehicle(vehicle: Vehicle, *, actor: User, reason: str | None) -> Vehicle:
    """End an active vehicle early, with the reason. Pending requests to join are declined."""
    _require_office(actor, vehicle.consortium_id)
    reason = decision_reason(reason, required=True, message="Give the reason for terminating the vehicle.")
    _lock(vehicle)
    status = effective_status(vehicle)
    if status != "active":
        raise Conflict(f"Only an active vehicle can be terminated; this one is {status}.")
    vehicle.status = "terminated"
    vehicle.status_reason = reason
    vehicle.terminated_at = utcnow()
    db.session.flush()
    _record(vehicle, actor, "vehicle.terminated", before={"status": "active"}, after={"status": "terminated"},
            reason=reason)
    for participation in vehicle.participations:
        if participation.status == "requested":
            _decide(participation, actor, "declined", f"The vehicle was terminated: {reason}")
    return vehicle


# --- participation ------------------------------------------------------------------------------


def participation_content(participation: Participation) -> dict:
    return {
        "vehicle_id": participation.vehicle_id,
        "member_id": participation.member_id,
        "member_not_to_exceed": participation.member_not_to_exceed,
        "special_terms": participation.special_terms,
        "status": participation.status,
    }


def _open_participation(vehicle: Vehicle, member_id: int) -> Participation | None:
    return db.session.scalar(
        select(Participation).where(Participation.vehicle_id == vehicle.id, Participation.member_id == member_id,
                                    Participation.status.in_(("requested", "executed")))
        .order_by(Participation.id.desc()).limit(1)
    )


def participation_blocker(vehicle: Vehicle, member: Organization) -> str | None:
    """Why this member cannot ask to join this vehicle now (None when it can)."""
    status = effective_status(vehicle)
    if status != "active":
        return f"Only an active vehicle can be joined; this one is {status}."
    if vehicle.lead_agency_id == member.id:
        return f"{member.name} is the lead agency of this vehicle and buys under it without an addendum."
    existing = _open_participation(vehicle, member.id)
    if existing is not None and existing.status == "executed":
        return f"{member.name} already participates in this vehicle."
    if existing is not None:
        return f"{member.name} already has a request to join this vehicle awaiting the consortium office."
    return None


def request_participation(vehicle: Vehicle, data: dict, *, actor: User) -> Participation:
    """A member's approver (champion) asks to join an active vehicle, optionally with a member
    not-to-exceed and special terms. The lead agency buys under its own vehicle without an addendum."""
    member = actor.organization
    if actor.role != "approver" or member.kind != "member" or member.consortium_id != vehicle.consortium_id:
        raise PermissionDenied("Only a member city's approver (champion) can request to join a vehicle.")
    fields: dict[str, str] = {}
    for name in sorted(set(data) - {"member_not_to_exceed", "special_terms"}):
        fields[name] = "This field is not allowed."
    limit = parse_money(data.get("member_not_to_exceed"), "member_not_to_exceed", fields,
                        what="member not-to-exceed", required=False)
    if limit is not None and limit > vehicle.ceiling:
        fields["member_not_to_exceed"] = (f"The member not-to-exceed cannot be more than the vehicle's ceiling "
                                          f"({money(vehicle.ceiling)}).")
    terms = _text(data.get("special_terms"), "special_terms", fields)
    if fields:
        raise ValidationFailed("The request has problems to correct.", fields)
    _lock(vehicle)
    blocker = participation_blocker(vehicle, member)
    if blocker:
        raise Conflict(blocker)
    participation = Participation(consortium_id=vehicle.consortium_id, vehicle=vehicle, member=member,
                                  member_not_to_exceed=limit, special_terms=terms, status="requested",
                                  committed=Decimal("0"), requested_by=actor)
    db.session.add(participation)
    db.session.flush()
    _record(participation, actor, "participation.requested", after=participation_content(participation))
    return participation


def _decide(participation: Participation, actor: User, status: str, reason: str | None) -> None:
    before = participation.status
    participation.status = status
    participation.decided_by = actor
    participation.decided_at = utcnow()
    participation.decision_reason = reason
    db.session.flush()
    action = "participation.executed" if status == "executed" else "participation.declined"
    _record(participation, actor, action, before={"status": before}, after=participation_content(participation),
            reason=reason)


def _require_requested(participation: Participation) -> None:
    if participation.status != "requested":
        raise Conflict(f"This request is already {participation.status}.")


def approve_participation(participation: Participation, *, actor: User, reason: str | None = None) -> Participation:
    """The consortium office executes the participating addendum: the member may then buy under the
    vehicle. Records who signed for the consortium and when."""
    _require_office(actor, participation.consortium_id)
    reason = decision_reason(reason, required=False, message="The note is too long.")
    vehicle = _lock(participation.vehicle)
    _require_requested(participation)
    status = effective_status(vehicle)
    if status != "active":
        raise Conflict(f"The vehicle is {status}: a member can no longer join it. Decline the request instead.")
    _decide(participation, actor, "executed", reason)
    return participation


def decline_participation(participation: Participation, *, actor: User, reason: str | None) -> Participation:
    """The consortium office declines a request to join, with the reason the member sees."""
    _require_office(actor, participation.consortium_id)
    reason = decision_reason(reason, required=True, message="Give a reason: the member sees it.")
    _require_requested(participation)
    _decide(participation, actor, "declined", reason)
    return participation


def addendum_filename(participation: Participation) -> str:
    raw = f"addendum-{participation.vehicle.number}-{participation.member.name}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-") + ".pdf"


def render_addendum(participation: Participation) -> bytes:
    """The participating addendum as a PDF: only once executed (signed by both sides). Rendered
    through the kernel's locked fetcher, so typed-in terms can never make it read files or the network."""
    if participation.status != "executed":
        raise Conflict("The participating addendum is available once the consortium office has approved the "
                       f"request; this one is {participation.status}.")
    # The schedule with its price items and listings in a few queries, however long it is.
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.id == participation.vehicle_id).options(*DETAIL_OPTIONS))
    return render_pdf(
        "contracts/vehicles/addendum_pdf.html",
        participation=participation,
        vehicle=vehicle,
        consortium=db.session.get(Consortium, participation.consortium_id),
        rows=schedule_rows(vehicle),
        status=effective_status(vehicle),
    )


# --- queries (for pages, the API and the orders feature) ------------------------------------------

DETAIL_OPTIONS = (
    selectinload(Vehicle.lead_agency),
    selectinload(Vehicle.vendor),
    selectinload(Vehicle.listings).selectinload(Listing.price_items),
    selectinload(Vehicle.schedule).selectinload(ScheduleItem.price_item),
    selectinload(Vehicle.participations).selectinload(Participation.member),
)
SUMMARY_OPTIONS = (selectinload(Vehicle.lead_agency), selectinload(Vehicle.vendor))
PARTICIPATION_OPTIONS = (
    selectinload(Participation.member),
    selectinload(Participation.requested_by),
    selectinload(Participation.decided_by),
    selectinload(Participation.vehicle).options(*SUMMARY_OPTIONS),
)


def vehicle_or_404(vehicle_id, *, detail: bool = False) -> Vehicle:
    """A vehicle of the current consortium (the tenant hook scopes the query), or 404. Visibility
    rules are the caller's (`contracts.permissions.can_view_vehicle`)."""
    vehicle_id = parse_id(vehicle_id)
    if vehicle_id is None:
        abort(404)
    stmt = select(Vehicle).where(Vehicle.id == vehicle_id).options(*(DETAIL_OPTIONS if detail else SUMMARY_OPTIONS))
    vehicle = db.session.scalar(stmt)
    if vehicle is None:
        abort(404)
    return vehicle


def participation_or_404(participation_id) -> Participation:
    participation_id = parse_id(participation_id)
    if participation_id is None:
        abort(404)
    participation = db.session.scalar(
        select(Participation).where(Participation.id == participation_id).options(*PARTICIPATION_OPTIONS)
    )
    if participation is None:
        abort(404)
    return participation


def _executed_vehicle_ids(member_id: int):
    return select(Participation.vehicle_id).where(Participation.member_id == member_id,
                                                  Participation.status == "executed")


def is_participant(member_id: int | None, vehicle: Vehicle) -> bool:
    """The lead agency, or a member with an executed participating addendum (whatever the vehicle's
    status now). Uses `vehicle.participations` (load it eagerly for lists)."""
    if not member_id:
        return False
    return vehicle.lead_agency_id == member_id or any(
        p.member_id == member_id and p.status == "executed" for p in vehicle.participations)


def is_buyer_of(member_id: int | None, vehicle: Vehicle) -> bool:
    """May this member order under the vehicle today? Only the lead agency or a member with an
    executed participation, and only while the vehicle is in force (active, term started, not expired)."""
    if not member_id or not is_in_force(vehicle):
        return False
    if vehicle.lead_agency_id == member_id:
        return True
    return db.session.scalar(
        select(Participation.id).where(Participation.vehicle_id == vehicle.id, Participation.member_id == member_id,
                                       Participation.status == "executed").limit(1)
    ) is not None


def _in_force_clause(on: date):
    return (Vehicle.status == "active") & (Vehicle.start_date <= on) & (Vehicle.end_date >= on)


def vehicles_member_can_buy_under(member_id: int) -> list[Vehicle]:
    """The vehicles in force today that this member may order under (lead agency or executed
    participation), by number. One query plus the eager loads."""
    stmt = (
        select(Vehicle)
        .where(_in_force_clause(today()),
               or_(Vehicle.lead_agency_id == member_id, Vehicle.id.in_(_executed_vehicle_ids(member_id))))
        .options(*SUMMARY_OPTIONS)
        .order_by(Vehicle.number)
    )
    return list(db.session.scalars(stmt))


def buyer_vehicle_ids(member_id: int | None, vehicle_ids: list[int]) -> set[int]:
    """Of these vehicles, the ids this member may order under today (one query, for lists)."""
    if not member_id or not vehicle_ids:
        return set()
    stmt = select(Vehicle.id).where(
        Vehicle.id.in_(vehicle_ids), _in_force_clause(today()),
        or_(Vehicle.lead_agency_id == member_id, Vehicle.id.in_(_executed_vehicle_ids(member_id))),
    )
    return set(db.session.scalars(stmt))


def participant_vehicle_ids(member_id: int | None, vehicle_ids: list[int]) -> set[int]:
    """Of these vehicles, those where the member is lead agency or has an executed participation."""
    if not member_id or not vehicle_ids:
        return set()
    stmt = select(Vehicle.id).where(
        Vehicle.id.in_(vehicle_ids),
        or_(Vehicle.lead_agency_id == member_id, Vehicle.id.in_(_executed_vehicle_ids(member_id))),
    )
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
    on = today()
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


def vehicles_covering(listing_id: int) -> list[Vehicle]:
    """Active, unexpired vehicles of the current consortium whose covered listings include this one,
    with their schedules (for the listing page)."""
    stmt = (
        select(Vehicle)
        .join(vehicle_listing, vehicle_listing.c.vehicle_id == Vehicle.id)
        .where(vehicle_listing.c.listing_id == listing_id, Vehicle.status == "active", Vehicle.end_date >= today())
        .options(*SUMMARY_OPTIONS, selectinload(Vehicle.schedule).selectinload(ScheduleItem.price_item))
        .order_by(Vehicle.number)
    )
    return list(db.session.scalars(stmt))


def schedule_rows(vehicle: Vehicle) -> list[dict]:
    """The price schedule against list prices, in listing order: what the vehicle page, the API and
    the addendum show."""
    listings = {x.id: x for x in vehicle.listings}
    rows = []
    for line in vehicle.schedule:
        item = line.price_item
        listing = listings.get(item.listing_id)
        rows.append({
            "line": line,
            "price_item": item,
            "listing": listing,
            "list_price": item.list_price,
            "contract_price": line.contract_price,
            "discount": item.list_price - line.contract_price,
            "discount_pct": line.discount_pct,
        })
    order = {x.id: i for i, x in enumerate(vehicle.listings)}
    rows.sort(key=lambda r: (order.get(r["price_item"].listing_id, len(order)), r["price_item"].position,
                             r["price_item"].id))
    return rows


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
