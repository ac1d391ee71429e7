"""Listing operations: drafting, submission, review decisions and revisions.

Every operation takes the acting user, validates, flushes, writes an audit event with the reason
and before/after, and never commits. Input is the API's JSON shape (DESIGN section 7); HTML forms
convert to it, so both get the same rules and messages.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from catalog.listings.models import CATEGORIES, PRICING_MODELS, Listing, ListingRevision, PriceItem
from consortium.models import Consortium, Organization, User
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import CONTROL_CHARS as _CONTROL
from marketplace.inputs import clean_text, decision_reason

LIMITS = {"title": 200, "summary": 500, "description": 20000}
MAX_TAGS, MAX_TAG = 20, 40
MAX_STANDARDS, MAX_STANDARD = 30, 80
MAX_PRICE_ITEMS = 50
MAX_PRICE = Decimal("9999999999.99")
FIELDS = ("title", "summary", "description", "category", "tags", "pricing_models", "standards")


def _text(data: dict, name: str, fields: dict, *, required: bool) -> str:
    return clean_text(data.get(name, ""), name, fields, limit=LIMITS[name], required=required)


def _word_list(data: dict, name: str, fields: dict, max_items: int, max_len: int) -> list[str]:
    raw = data.get(name) or []
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[,\n]", raw)]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        fields[name] = "Must be a list of words."
        return []
    values, seen = [], set()
    for value in (_CONTROL.sub("", v).strip() for v in raw):
        if value and value.lower() not in seen:
            seen.add(value.lower())
            values.append(value)
    if len(values) > max_items:
        fields[name] = f"Use at most {max_items} entries."
    elif any(len(v) > max_len for v in values):
        fields[name] = f"Each entry may have at most {max_len} characters."
    return values


def parse_price(raw, path: str, fields: dict) -> Decimal | None:
    """A positive amount with at most two decimals, given as a string (or int); never a float."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields[path] = "Enter an amount such as 1250.00."
        return None
    text = str(raw).strip().replace(",", "").removeprefix("$")
    if not re.fullmatch(r"\d{1,12}(\.\d{1,2})?", text):
        fields[path] = "Enter a positive amount with at most two decimals, such as 1250.00."
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        fields[path] = "Enter an amount such as 1250.00."
        return None
    if amount <= 0:
        fields[path] = "The price must be more than zero."
    elif amount > MAX_PRICE:
        fields[path] = "The price is too large."
    return amount


def _price_items(data: dict, fields: dict) -> list[dict]:
    raw = data.get("price_items") or []
    if not isinstance(raw, list):
        fields["price_items"] = "Must be a list."
        return []
    if len(raw) > MAX_PRICE_ITEMS:
        fields["price_items"] = f"Use at most {MAX_PRICE_ITEMS} price items."
        return []
    items = []
    for i, item in enumerate(raw):
        path = f"price_items.{i}"
        if not isinstance(item, dict):
            fields[path] = "Must be an object with name, unit and list_price."
            continue
        name = _CONTROL.sub("", str(item.get("name") or "")).strip()
        unit = _CONTROL.sub("", str(item.get("unit") or "")).strip()
        if not name:
            fields[f"{path}.name"] = "Name the price item."
        elif len(name) > 200:
            fields[f"{path}.name"] = "Use at most 200 characters."
        if not unit:
            fields[f"{path}.unit"] = "Give the unit, such as 'each' or 'per month'."
        elif len(unit) > 40:
            fields[f"{path}.unit"] = "Use at most 40 characters."
        price = parse_price(item.get("list_price"), f"{path}.list_price", fields)
        item_id = item.get("id")
        if item_id is not None and (isinstance(item_id, bool) or not isinstance(item_id, int)):
            fields[f"{path}.id"] = "Must be the id of an existing price item."
            item_id = None
        items.append({"id": item_id, "name": name, "unit": unit, "list_price": price})
    names = [i["name"].lower() for i in items if i["name"]]
    if len(names) != len(set(names)):
        fields.setdefault("price_items", "Each price item needs a different name.")
    return items


def clean_listing_data(data: dict, *, partial: bool = False, current: dict | None = None) -> dict:
    """Validate listing input; returns clean content or raises ValidationFailed with every problem.

    With `partial` (PATCH), absent fields keep their `current` values.
    """
    if partial and current is not None:
        data = {**current, **{k: v for k, v in data.items()}}
    fields: dict[str, str] = {}
    unknown = set(data) - set(FIELDS) - {"price_items"}
    for name in sorted(unknown):
        fields[name] = "This field is not allowed."
    clean = {
        "title": _text(data, "title", fields, required=True),
        "summary": _text(data, "summary", fields, required=True),
        "description": _text(data, "description", fields, required=False),
        "tags": _word_list(data, "tags", fields, MAX_TAGS, MAX_TAG),
        "standards": _word_list(data, "standards", fields, MAX_STANDARDS, MAX_STANDARD),
        "price_items": _price_items(data, fields),
    }
    category = data.get("category")
    if not category:
        fields["category"] = "Choose a category."
    elif category not in CATEGORIES:
        fields["category"] = "Choose one of: " + ", ".join(CATEGORIES) + "."
    clean["category"] = category
    models = data.get("pricing_models") or []
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        fields["pricing_models"] = "Must be a list of pricing models."
        models = []
    elif any(m not in PRICING_MODELS for m in models):
        fields["pricing_models"] = "Choose from: " + ", ".join(PRICING_MODELS) + "."
    clean["pricing_models"] = [m for m in PRICING_MODELS if m in models]
    if fields:
        raise ValidationFailed("The listing has problems to correct.", fields)
    return clean


def listing_content(listing: Listing) -> dict:
    """The reviewable content of a listing (what a revision proposes and the diff compares)."""
    return {
        "title": listing.title,
        "summary": listing.summary,
        "description": listing.description or "",
        "category": listing.category,
        "tags": list(listing.tags or []),
        "pricing_models": list(listing.pricing_models or []),
        "standards": list(listing.standards or []),
        "price_items": [
            {"id": p.id, "name": p.name, "unit": p.unit, "list_price": str(p.list_price)}
            for p in listing.active_price_items
        ],
    }


def _jsonable_content(clean: dict) -> dict:
    content = {k: v for k, v in clean.items() if k != "price_items"}
    content["price_items"] = [
        {"id": i["id"], "name": i["name"], "unit": i["unit"], "list_price": str(i["list_price"])}
        for i in clean["price_items"]
    ]
    return content


def _apply_content(listing: Listing, clean: dict) -> None:
    for name in FIELDS:
        setattr(listing, name, clean[name])
    existing = {p.id: p for p in listing.price_items if not p.is_retired}
    kept = set()
    for position, item in enumerate(clean["price_items"]):
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
                item.is_retired = True  # vehicles and orders may refer to it


def _check_item_ids(listing: Listing | None, clean: dict) -> None:
    known = {p.id for p in listing.active_price_items} if listing else set()
    bad = {f"price_items.{i}.id": "No such price item on this listing."
           for i, item in enumerate(clean["price_items"]) if item["id"] is not None and item["id"] not in known}
    if bad:
        raise ValidationFailed("The listing has problems to correct.", bad)


def _record(listing: Listing, actor: User, action: str, *, before=None, after=None, reason=None) -> None:
    audit.record(consortium_id=listing.consortium_id, actor=actor, action=action, obj=listing,
                 before=before, after=after, reason=reason)


def create_listing(*, consortium: Consortium, vendor: Organization, data: dict, actor: User) -> Listing:
    """A vendor drafts a new listing."""
    clean = clean_listing_data(data)
    _check_item_ids(None, clean)
    listing = Listing(consortium_id=consortium.id, vendor_id=vendor.id, status="draft")
    listing.vendor = vendor
    _apply_content(listing, clean)
    db.session.add(listing)
    db.session.flush()
    _record(listing, actor, "listing.created", after=listing_content(listing))
    return listing


def update_listing(listing: Listing, data: dict, *, actor: User, partial: bool = False) -> Listing:
    """Edit a draft directly; editing a published (or suspended) listing proposes a revision and the
    approved version stays live until an admin approves it."""
    current = listing_content(listing)
    if listing.status == "published" or listing.status == "suspended":
        base = listing.pending_revision.proposed if listing.pending_revision else current
        clean = clean_listing_data(data, partial=partial, current=base)
        _check_item_ids(listing, clean)
        proposed = _jsonable_content(clean)
        for old in listing.revisions:
            if old.status == "pending":
                old.status = "superseded"
        if proposed == current:
            db.session.flush()
            return listing
        revision = ListingRevision(consortium_id=listing.consortium_id, proposed=proposed, created_by_id=actor.id)
        listing.revisions.append(revision)
        db.session.flush()
        _record(listing, actor, "listing.revision_proposed", before=current, after=proposed)
        return listing
    if listing.status not in ("draft", "changes_requested"):
        raise Conflict(f"A {listing.status.replace('_', ' ')} listing cannot be edited.")
    clean = clean_listing_data(data, partial=partial, current=current)
    _check_item_ids(listing, clean)
    _apply_content(listing, clean)
    db.session.flush()
    _record(listing, actor, "listing.edited", before=current, after=listing_content(listing))
    return listing


def _transition(listing: Listing, allowed: tuple[str, ...], target: str, verb: str) -> str:
    if listing.status not in allowed:
        raise Conflict(f"Cannot {verb} a listing that is {listing.status.replace('_', ' ')}.")
    before = listing.status
    listing.status = target
    return before


def submit_listing(listing: Listing, *, actor: User) -> Listing:
    """Send a draft (or a listing returned for changes) to the consortium office for approval."""
    fields = {}
    if not listing.active_price_items:
        fields["price_items"] = "Add at least one price item before submitting."
    if not listing.pricing_models:
        fields["pricing_models"] = "Choose at least one pricing model before submitting."
    if listing.status in ("draft", "changes_requested") and fields:
        raise ValidationFailed("The listing is not complete.", fields)
    before = _transition(listing, ("draft", "changes_requested"), "submitted", "submit")
    listing.submitted_at = utcnow()
    listing.status_reason = None
    db.session.flush()
    _record(listing, actor, "listing.submitted", before={"status": before}, after={"status": "submitted"})
    return listing


def approve_listing(listing: Listing, *, actor: User, reason: str | None = None) -> Listing:
    """Publish a submitted listing, or make its pending revision live."""
    reason = decision_reason(reason, required=False)
    revision = listing.pending_revision
    if listing.status == "submitted":
        listing.status = "published"
        listing.published_at = listing.published_at or utcnow()
        listing.status_reason = reason
        db.session.flush()
        _record(listing, actor, "listing.approved", before={"status": "submitted"},
                after={"status": "published", **listing_content(listing)}, reason=reason)
        return listing
    if revision is not None:
        before = listing_content(listing)
        _apply_content(listing, {**revision.proposed, "price_items": revision.proposed["price_items"]})
        revision.status, revision.decided_by_id, revision.decided_at, revision.reason = (
            "approved", actor.id, utcnow(), reason)
        db.session.flush()
        _record(listing, actor, "listing.revision_approved", before=before, after=listing_content(listing),
                reason=reason)
        return listing
    raise Conflict("There is nothing awaiting approval on this listing.")


def request_changes(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    """Send a submission (or a pending revision) back to the vendor with the reason."""
    reason = decision_reason(reason, required=True, message="Give a reason: the vendor sees it.")
    revision = listing.pending_revision
    if listing.status == "submitted":
        listing.status = "changes_requested"
        listing.status_reason = reason
        db.session.flush()
        _record(listing, actor, "listing.changes_requested", before={"status": "submitted"},
                after={"status": "changes_requested"}, reason=reason)
        return listing
    if revision is not None:
        revision.status, revision.decided_by_id, revision.decided_at, revision.reason = (
            "changes_requested", actor.id, utcnow(), reason)
        listing.status_reason = reason
        db.session.flush()
        _record(listing, actor, "listing.revision_changes_requested", before=listing_content(listing),
                after=revision.proposed, reason=reason)
        return listing
    raise Conflict("There is nothing awaiting approval on this listing.")


def suspend_listing(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    reason = decision_reason(reason, required=True, message="Give a reason: the vendor sees it.")
    _transition(listing, ("published",), "suspended", "suspend")
    listing.status_reason = reason
    db.session.flush()
    _record(listing, actor, "listing.suspended", before={"status": "published"}, after={"status": "suspended"},
            reason=reason)
    return listing


def reinstate_listing(listing: Listing, *, actor: User, reason: str | None) -> Listing:
    reason = decision_reason(reason, required=True, message="Give a reason: the vendor sees it.")
    _transition(listing, ("suspended",), "published", "reinstate")
    listing.status_reason = reason
    db.session.flush()
    _record(listing, actor, "listing.reinstated", before={"status": "suspended"}, after={"status": "published"},
            reason=reason)
    return listing


def withdraw_listing(listing: Listing, *, actor: User, reason: str | None = None) -> Listing:
    """The vendor takes a published listing off the marketplace."""
    reason = decision_reason(reason, required=False)
    before = _transition(listing, ("published",), "withdrawn", "withdraw")
    for revision in listing.revisions:
        if revision.status == "pending":
            revision.status = "superseded"
    listing.status_reason = reason
    db.session.flush()
    _record(listing, actor, "listing.withdrawn", before={"status": before}, after={"status": "withdrawn"},
            reason=reason)
    return listing
