"""Vehicle and participation input → clean values, or every problem at once.

Input is the API's JSON shape (DESIGN section 7); the HTML forms convert to it, so both get the same
rules and messages. The vendors come either as `awards: [{vendor_id, listing_ids, price_schedule}]` or,
for a single-vendor vehicle, as those three fields at the top level (one award). Numbers, money, dates
and text go through `marketplace.inputs`; the limits come from `contracts.vehicles.models`. Problems are
keyed by field path, such as `price_schedule.0.contract_price` or `awards.1.listing_ids.0`; other
consortia's objects are reported exactly like missing ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.listings.models import Listing, PriceItem
from consortium.models import Consortium, Organization, Supplier
from contracts.vehicles.models import (
    ADMIN_FEE_MAX,
    ADMIN_FEE_PLACES,
    AWARDS_MAX,
    LISTINGS_MAX,
    NOTES_MAX,
    NUMBER_MAX,
    RENEWAL_MONTHS_MAX,
    RENEWALS_MAX,
    SCHEDULE_MAX,
    SPECIAL_TERMS_MAX,
    TITLE_MAX,
    ScheduleItem,
    Vehicle,
)
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.inputs import clean_text, parse_date, parse_id, parse_int, parse_money, parse_percent, raise_if

AWARD_FIELDS = ("vendor_id", "listing_ids", "price_schedule")  # one award, or the single-vendor shape
INPUT_FIELDS = ("number", "title", "lead_agency_id", "awards", *AWARD_FIELDS, "start_date", "end_date",
                "renewal_options", "ceiling", "admin_fee_pct", "notes")
PARTICIPATION_FIELDS = ("member_not_to_exceed", "special_terms")
NO_LISTING = "No such published listing of this vendor."
NO_PRICE_ITEM = "No such price item on the covered listings."
NUMBER_TAKEN = "The consortium already has a vehicle numbered {number}. Choose another number."
PROBLEMS = "The vehicle has problems to correct."

_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def _unexpected(data: dict, allowed, fields: dict) -> None:
    for name in sorted(set(data) - set(allowed)):
        fields[name] = "This field is not allowed."


def _vehicle_number(raw, consortium: Consortium, vehicle: Vehicle | None, fields: dict) -> str:
    number = clean_text(raw, "number", fields, limit=NUMBER_MAX, required=True)
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
        fields["number"] = NUMBER_TAKEN.format(number=number)
    return number


def _lead_agency(raw, consortium: Consortium, fields: dict) -> Organization | None:
    org_id = parse_id(raw)
    org = db.session.get(Organization, org_id) if org_id else None
    if org is None or org.kind != "member" or org.consortium_id != consortium.id:
        fields["lead_agency_id"] = "Choose a member city of this consortium as the lead agency."
        return None
    return org


def _vendor(raw, consortium: Consortium, path: str, fields: dict) -> Organization | None:
    org_id = parse_id(raw)
    supplier = db.session.scalar(
        select(Supplier).where(Supplier.consortium_id == consortium.id, Supplier.organization_id == org_id)
    ) if org_id else None
    if supplier is None:
        fields[path] = "Choose an approved supplier of this consortium."
        return None
    return supplier.organization


def _listings(raw, consortium: Consortium, vendor: Organization | None, path: str, fields: dict) -> list[Listing]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fields[path] = "Must be a list of listing ids."
        return []
    if len(raw) > LISTINGS_MAX:
        fields[path] = f"Cover at most {LISTINGS_MAX} listings."
        return []
    ids = [parse_id(v) for v in raw]
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
            fields[f"{path}.{index}"] = NO_LISTING
        elif listing not in listings:
            listings.append(listing)
    return listings


@dataclass
class ScheduleLine:
    price_item: PriceItem
    contract_price: Decimal


def _schedule_line(row, path: str, items: dict, seen: set[int], fields: dict) -> ScheduleLine | None:
    if not isinstance(row, dict):
        fields[path] = "Must be an object with price_item_id and contract_price."
        return None
    item = items.get(parse_id(row.get("price_item_id")))
    price = parse_money(row.get("contract_price"), f"{path}.contract_price", fields, what="contract price")
    if item is None:
        fields[f"{path}.price_item_id"] = NO_PRICE_ITEM
        return None
    if item.is_retired:
        fields[f"{path}.price_item_id"] = f"“{item.name}” is retired from its listing; it cannot be scheduled."
        return None
    if item.id in seen:
        fields[f"{path}.price_item_id"] = f"“{item.name}” is already on the schedule."
        return None
    seen.add(item.id)
    if price is None:
        return None
    if price > item.list_price:
        fields[f"{path}.contract_price"] = (
            f"The contract price of “{item.name}” is {money(price - item.list_price)} above its list price "
            f"of {money(item.list_price)}; it must not exceed the list price."
        )
        return None
    return ScheduleLine(item, price)


def _schedule(raw, listings: list[Listing], path: str, fields: dict) -> list[ScheduleLine]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fields[path] = "Must be a list of price items with contract prices."
        return []
    if len(raw) > SCHEDULE_MAX:
        fields[path] = f"Use at most {SCHEDULE_MAX} schedule lines."
        return []
    items = {item.id: item for listing in listings for item in listing.price_items}
    seen: set[int] = set()
    lines = [_schedule_line(row, f"{path}.{index}", items, seen, fields) for index, row in enumerate(raw)]
    return [line for line in lines if line is not None]


@dataclass
class AwardTerms:
    """One awarded vendor, clean: the vendor, the listings it covers and its schedule lines."""

    vendor: Organization | None
    listings: list[Listing]
    schedule: list[ScheduleLine]


def _award(raw: dict, consortium: Consortium, prefix: str, fields: dict) -> AwardTerms:
    vendor = _vendor(raw.get("vendor_id"), consortium, f"{prefix}vendor_id", fields)
    listings = _listings(raw.get("listing_ids"), consortium, vendor, f"{prefix}listing_ids", fields)
    schedule = _schedule(raw.get("price_schedule"), listings, f"{prefix}price_schedule", fields)
    return AwardTerms(vendor, listings, schedule)


def _awards(data: dict, consortium: Consortium, fields: dict) -> list[AwardTerms]:
    """The awards, from `awards` or from the single-vendor fields at the top level (one award). Field paths
    follow the shape given: `awards.1.listing_ids.0`, or `listing_ids.0`."""
    raw = data.get("awards")
    single = [name for name in AWARD_FIELDS if name in data]
    if raw is None:
        return [_award(data, consortium, "", fields)]
    if single:
        for name in single:
            fields[name] = ("Give the vendors either as awards or as vendor_id, listing_ids and price_schedule, "
                            "not both.")
        return []
    if not isinstance(raw, list) or not raw:
        fields["awards"] = "Award at least one vendor: a list of {vendor_id, listing_ids, price_schedule}."
        return []
    if len(raw) > AWARDS_MAX:
        fields["awards"] = f"Award at most {AWARDS_MAX} vendors."
        return []
    awards: list[AwardTerms] = []
    for index, row in enumerate(raw):
        if not isinstance(row, dict):
            fields[f"awards.{index}"] = "Must be an object with vendor_id, listing_ids and price_schedule."
            continue
        for name in sorted(set(row) - set(AWARD_FIELDS)):
            fields[f"awards.{index}.{name}"] = "This field is not allowed."
        award = _award(row, consortium, f"awards.{index}.", fields)
        if award.vendor is not None and any(a.vendor is not None and a.vendor.id == award.vendor.id for a in awards):
            fields[f"awards.{index}.vendor_id"] = (f"{award.vendor.name} is already awarded above: put all its "
                                                   "listings in one award.")
            continue
        awards.append(award)
    return awards


def _renewal(raw, fields: dict) -> tuple[int, int]:
    if raw is None or raw == {}:
        return 0, 0
    if not isinstance(raw, dict):
        fields["renewal_options"] = "Must be an object with count and months."
        return 0, 0
    count = parse_int(raw.get("count"), "renewal_options.count", fields, what="number of renewal options",
                      high=RENEWALS_MAX, required=False, default=0)
    if not count:
        return 0, 0
    months = parse_int(raw.get("months"), "renewal_options.months", fields,
                       what="length of each renewal in months", low=1, high=RENEWAL_MONTHS_MAX)
    return count, months or 0


def clean_vehicle_data(data: dict, *, consortium: Consortium, vehicle: Vehicle | None = None) -> dict:
    """Validate vehicle input; returns clean values (with loaded objects) or raises ValidationFailed
    listing every problem."""
    fields: dict[str, str] = {}
    _unexpected(data, INPUT_FIELDS, fields)
    clean = {
        "number": _vehicle_number(data.get("number"), consortium, vehicle, fields),
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "lead_agency": _lead_agency(data.get("lead_agency_id"), consortium, fields),
        "awards": _awards(data, consortium, fields),
        "start_date": parse_date(data.get("start_date"), "start_date", fields),
        "end_date": parse_date(data.get("end_date"), "end_date", fields),
        "renewal": _renewal(data.get("renewal_options"), fields),
        "ceiling": parse_money(data.get("ceiling"), "ceiling", fields, what="ceiling"),
        "admin_fee_pct": parse_percent(data.get("admin_fee_pct"), "admin_fee_pct", fields, what="admin fee",
                                       places=ADMIN_FEE_PLACES, high=ADMIN_FEE_MAX, required=False,
                                       default=consortium.admin_fee_pct),
        "notes": clean_text(data.get("notes"), "notes", fields, limit=NOTES_MAX),
    }
    start, end = clean["start_date"], clean["end_date"]
    if start and end and end <= start:
        fields["end_date"] = f"The end date must be after the start date ({day(start)})."
    if vehicle is not None and clean["ceiling"] is not None and clean["ceiling"] < vehicle.committed:
        fields["ceiling"] = f"The ceiling cannot be below the amount already committed ({money(vehicle.committed)})."
    raise_if(fields, PROBLEMS)
    return clean


def clean_participation_data(data: dict, *, vehicle: Vehicle) -> dict:
    """Validate a request to join: an optional member not-to-exceed (at most the vehicle's ceiling)
    and special terms."""
    fields: dict[str, str] = {}
    _unexpected(data, PARTICIPATION_FIELDS, fields)
    limit = parse_money(data.get("member_not_to_exceed"), "member_not_to_exceed", fields,
                        what="member not-to-exceed", required=False)
    if limit is not None and limit > vehicle.ceiling:
        fields["member_not_to_exceed"] = (f"The member not-to-exceed cannot be more than the vehicle's ceiling "
                                          f"({money(vehicle.ceiling)}).")
    terms = clean_text(data.get("special_terms"), "special_terms", fields, limit=SPECIAL_TERMS_MAX)
    raise_if(fields, "The request has problems to correct.")
    return {"member_not_to_exceed": limit, "special_terms": terms}


# --- PATCH and the price-schedule amendment ----------------------------------------------------


def patched_data(vehicle: Vehicle, current: dict, data: dict) -> dict:
    """PATCH: absent fields keep their values. Single-vendor fields edit a single-award vehicle's award; an
    award (or the single-vendor shape) that changes its listings without a price_schedule keeps the lines
    of the listings it still covers."""
    single = [name for name in AWARD_FIELDS if name in data]
    if "awards" in data or not single:
        merged = {**current, **data}
        if isinstance(data.get("awards"), list):
            merged["awards"] = [kept_lines(vehicle, row) for row in data["awards"]]
        return merged
    if len(vehicle.awards) > 1:
        raise ValidationFailed(PROBLEMS, {name: "This vehicle awards several vendors: change them through awards."
                                          for name in single})
    award = current["awards"][0] if current["awards"] else {"vendor_id": None, "listing_ids": [], "price_schedule": []}
    base = {k: v for k, v in current.items() if k != "awards"}
    merged = {**base, **award, **data}
    if "price_schedule" not in data:
        row = {"vendor_id": merged["vendor_id"], "listing_ids": merged["listing_ids"]}
        merged["price_schedule"] = kept_lines(vehicle, row)["price_schedule"]
    return merged


def kept_lines(vehicle: Vehicle, row) -> dict:
    """An award given without price_schedule keeps its vendor's current lines on the listings it covers."""
    if not isinstance(row, dict) or "price_schedule" in row:
        return row
    award = vehicle.award_of(parse_id(row.get("vendor_id")))
    listing_ids = row.get("listing_ids")
    wanted = {parse_id(v) for v in listing_ids} if isinstance(listing_ids, list) else set()
    lines = [{"price_item_id": line.price_item_id, "contract_price": str(line.contract_price)}
             for line in (award.schedule if award is not None else []) if line.price_item.listing_id in wanted]
    return {**row, "price_schedule": lines}


def amendment_lines(vehicle: Vehicle, items, fields: dict) -> list[tuple[ScheduleItem, Decimal]]:
    """(schedule line, new contract price) per requested item; field messages for the rest. A new price
    is more than zero and at most the item's current list price (read afresh)."""
    if not isinstance(items, list) or not items:
        fields["items"] = "Give at least one schedule line with its new contract price."
        return []
    lines = {line.price_item_id: line for line in db.session.scalars(
        select(ScheduleItem).where(ScheduleItem.vehicle_id == vehicle.id).execution_options(populate_existing=True))}
    db.session.execute(select(PriceItem).where(PriceItem.id.in_(lines)).execution_options(populate_existing=True))
    changes, seen = [], set()
    for index, raw in enumerate(items):
        path = f"items.{index}"
        line = lines.get(parse_id(raw.get("price_item_id"))) if isinstance(raw, dict) else None
        if line is None or line.price_item_id in seen:
            fields[f"{path}.price_item_id"] = ("Listed twice." if line is not None
                                               else "Not an item of this vehicle's price schedule.")
            continue
        seen.add(line.price_item_id)
        price = parse_money(raw.get("contract_price"), f"{path}.contract_price", fields, what="contract price")
        item = line.price_item
        if price is not None and price > item.list_price:
            fields[f"{path}.contract_price"] = (f"The contract price of “{item.name}” can be at most its list price, "
                                                f"{money(item.list_price)}.")
        elif price is not None:
            changes.append((line, price))
    return changes
