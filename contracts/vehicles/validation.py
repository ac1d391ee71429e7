"""Vehicle and participation input → clean values, or every problem at once.

Input is the API's JSON shape (DESIGN section 7); the HTML forms convert to it, so both get the same
rules and messages. Numbers, money, dates and text go through `marketplace.inputs`; the limits come
from `contracts.vehicles.models`. Problems are keyed by field path, such as
`price_schedule.0.contract_price`; other consortia's objects are reported exactly like missing ones.
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
    LISTINGS_MAX,
    NOTES_MAX,
    NUMBER_MAX,
    RENEWAL_MONTHS_MAX,
    RENEWALS_MAX,
    SCHEDULE_MAX,
    SPECIAL_TERMS_MAX,
    TITLE_MAX,
    Vehicle,
)
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.inputs import clean_text, parse_date, parse_id, parse_int, parse_money, parse_percent, raise_if

INPUT_FIELDS = ("number", "title", "lead_agency_id", "vendor_id", "listing_ids", "price_schedule", "start_date",
                "end_date", "renewal_options", "ceiling", "admin_fee_pct", "notes")
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


def _vendor(raw, consortium: Consortium, fields: dict) -> Organization | None:
    org_id = parse_id(raw)
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
    if len(raw) > LISTINGS_MAX:
        fields["listing_ids"] = f"Cover at most {LISTINGS_MAX} listings."
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
            fields[f"listing_ids.{index}"] = NO_LISTING
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


def _schedule(raw, listings: list[Listing], fields: dict) -> list[ScheduleLine]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        fields["price_schedule"] = "Must be a list of price items with contract prices."
        return []
    if len(raw) > SCHEDULE_MAX:
        fields["price_schedule"] = f"Use at most {SCHEDULE_MAX} schedule lines."
        return []
    items = {item.id: item for listing in listings for item in listing.price_items}
    seen: set[int] = set()
    lines = [_schedule_line(row, f"price_schedule.{index}", items, seen, fields) for index, row in enumerate(raw)]
    return [line for line in lines if line is not None]


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
    vendor = _vendor(data.get("vendor_id"), consortium, fields)
    listings = _listings(data.get("listing_ids"), consortium, vendor, fields)
    clean = {
        "number": _vehicle_number(data.get("number"), consortium, vehicle, fields),
        "title": clean_text(data.get("title"), "title", fields, limit=TITLE_MAX, required=True),
        "lead_agency": _lead_agency(data.get("lead_agency_id"), consortium, fields),
        "vendor": vendor,
        "listings": listings,
        "schedule": _schedule(data.get("price_schedule"), listings, fields),
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
