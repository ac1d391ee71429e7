"""Pilot evidence: recording, verification, linking to a listing, the pilot library, and the evidence
the listing pages show.

Services take the acting user, validate (every problem at once, in one `ValidationFailed` keyed by
field path such as `metrics.0.baseline`), flush, write an audit event and never commit. Input is the
API's JSON shape (DESIGN section 7); the HTML form converts to it, so both get the same rules and
messages. The loaders at the end answer 404 / 403 / 409 the same way for the HTML views and the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from catalog.listings.models import CATEGORIES, OUTCOMES, PILOT_STATUSES, Listing, Pilot, proven_clause
from catalog.listings.permissions import can_link_pilot, can_verify_pilot, can_view_pilot, is_pilot_verifier
from consortium.context import belongs
from consortium.models import Consortium, Organization, User
from marketplace import audit
from marketplace.db import utcnow
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import CONTROL_CHARS as _CONTROL
from marketplace.inputs import clean_text, parse_date, parse_id
from marketplace.tenancy import get_or_404

LIMITS = {
    "title": 200,
    "vendor_name": 200,
    "units": 200,
    "area": 200,
    "financing": 200,
    "lessons": 10000,
    "references": 5000,
}
MAX_KPI, MAX_UNIT = 80, 40
MAX_METRICS = 20
MAX_COST = Decimal("9999999999.99")
MAX_FILTER = 200
DIRECTIONS = {"higher": "Higher is better", "lower": "Lower is better"}
FIELDS = ("title", "listing_id", "vendor_name", "category", "start_date", "end_date", "units", "area", "cost",
          "financing", "metrics", "outcome", "lessons", "references")
METRIC_FIELDS = ("kpi", "unit", "direction", "baseline", "target", "result")
NO_LISTING = "No such published listing."
# Audited content of a pilot (before/after of its events).
CONTENT = ("title", "listing_id", "vendor_name", "host_member_id", "category", "start_date", "end_date", "units",
           "area", "cost", "financing", "metrics", "outcome", "lessons", "references", "status")

_NUMBER = re.compile(r"-?\d{1,15}(\.\d{1,10})?")
_GROUPED = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")
_MONEY = re.compile(r"\d{1,12}(\.\d{1,2})?")


# --- parsing ------------------------------------------------------------------------------------


def _choice(value, allowed) -> bool:
    return isinstance(value, str) and value in allowed





def _cost(raw, fields: dict) -> Decimal | None:
    """Optional; zero or more with at most two decimals, as a string (or int), never a float."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields["cost"] = "Enter an amount such as 48000.00."
        return None
    text = str(raw).strip().removeprefix("$").replace(",", "")
    if text.startswith("-"):
        fields["cost"] = "The cost cannot be negative."
        return None
    if not _MONEY.fullmatch(text):
        fields["cost"] = "Enter an amount with at most two decimals, such as 48000.00."
        return None
    amount = Decimal(text)
    if amount > MAX_COST:
        fields["cost"] = "The cost is too large."
        return None
    return amount


def _number(raw, path: str, fields: dict) -> str:
    """A measurement as exact decimal text ("97.5"); thousands separators are accepted."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        fields[path] = "Enter a number such as 97.5." if raw is not None else "This field is required."
        return ""
    text = str(raw).strip()
    if not text:
        fields[path] = "This field is required."
        return ""
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _NUMBER.fullmatch(text):
        fields[path] = "Enter a number such as 97.5 (at most 10 decimals)."
        return ""
    return str(Decimal(text))


def _metrics(raw, fields: dict) -> list[dict]:
    if raw is None or raw == []:
        fields["metrics"] = "Add at least one metric with its baseline, target and result."
        return []
    if not isinstance(raw, list):
        fields["metrics"] = "Must be a list of metrics."
        return []
    if len(raw) > MAX_METRICS:
        fields["metrics"] = f"Use at most {MAX_METRICS} metrics."
        return []
    metrics, seen = [], set()
    for i, item in enumerate(raw):
        path = f"metrics.{i}"
        if not isinstance(item, dict):
            fields[path] = "Must be an object with kpi, unit, direction, baseline, target and result."
            continue
        for name in sorted(set(item) - set(METRIC_FIELDS)):
            fields[f"{path}.{name}"] = "This field is not allowed."
        kpi = clean_text(item.get("kpi"), f"{path}.kpi", fields, limit=MAX_KPI, required=True)
        if "|" in kpi:
            fields[f"{path}.kpi"] = "Do not use the | character in a KPI name."
        elif kpi and kpi.lower() in seen:
            fields[f"{path}.kpi"] = "Each metric needs a different KPI name."
        seen.add(kpi.lower())
        direction = item.get("direction")
        if not _choice(direction, DIRECTIONS):
            fields[f"{path}.direction"] = "Choose higher or lower (which is better)."
        metrics.append({
            "kpi": kpi,
            "unit": clean_text(item.get("unit"), f"{path}.unit", fields, limit=MAX_UNIT),
            "direction": direction,
            "baseline": _number(item.get("baseline"), f"{path}.baseline", fields),
            "target": _number(item.get("target"), f"{path}.target", fields),
            "result": _number(item.get("result"), f"{path}.result", fields),
        })
    return metrics


def published_listing(consortium_id: int, listing_id) -> Listing | None:
    """A published listing of the consortium by id, or None (unknown, unpublished or elsewhere)."""
    listing_id = parse_id(listing_id)
    if listing_id is None:
        return None
    stmt = (
        select(Listing)
        .where(Listing.id == listing_id, Listing.consortium_id == consortium_id, Listing.status == "published")
        .options(joinedload(Listing.vendor))
    )
    return db.session.scalar(stmt)


def _listing(data: dict, consortium_id: int, fields: dict) -> Listing | None:
    raw = data.get("listing_id")
    if raw is None or raw == "":
        return None
    listing = published_listing(consortium_id, raw)
    if listing is None:
        # The same answer for unknown, unpublished and other consortia's listings: no enumeration.
        fields["listing_id"] = NO_LISTING
    return listing


def clean_pilot_data(data: dict, *, consortium_id: int) -> dict:
    """Validate pilot input; returns clean values (with `listing`) or raises ValidationFailed listing
    every problem."""
    fields: dict[str, str] = {}
    for name in sorted(set(data) - set(FIELDS)):
        fields[name] = "This field is not allowed."
    clean: dict = {name: clean_text(data.get(name), name, fields, limit=LIMITS[name])
                   for name in ("units", "area", "financing", "lessons", "references")}
    clean["title"] = clean_text(data.get("title"), "title", fields, limit=LIMITS["title"], required=True)
    vendor_name = clean_text(data.get("vendor_name"), "vendor_name", fields, limit=LIMITS["vendor_name"])
    listing = _listing(data, consortium_id, fields)
    has_listing = listing is not None or "listing_id" in fields
    if has_listing and vendor_name:
        fields["vendor_name"] = "Give either a listing of the marketplace or a vendor name, not both."
    elif not has_listing and not vendor_name and "vendor_name" not in fields:
        fields["vendor_name"] = "Choose a listing, or name the vendor if it is not on the marketplace yet."
    category = data.get("category") or None
    if listing is not None:
        if category is not None and category != listing.category:
            fields["category"] = f"A pilot of a listing has the listing's category ({listing.category_label})."
        category = listing.category
    elif category is None:
        if not has_listing:
            fields["category"] = "Choose a category."
    elif not _choice(category, CATEGORIES):
        fields["category"] = "Choose one of: " + ", ".join(CATEGORIES) + "."
    clean["start_date"] = parse_date(data.get("start_date"), "start_date", fields)
    clean["end_date"] = parse_date(data.get("end_date"), "end_date", fields)
    if clean["start_date"] and clean["end_date"] and clean["end_date"] < clean["start_date"]:
        fields["end_date"] = "The end date cannot be before the start date."
    clean["cost"] = _cost(data.get("cost"), fields)
    clean["metrics"] = _metrics(data.get("metrics"), fields)
    outcome = data.get("outcome")
    if not outcome:
        fields["outcome"] = "Choose an outcome."
    elif not _choice(outcome, OUTCOMES):
        fields["outcome"] = "Choose one of: " + ", ".join(OUTCOMES) + "."
    if fields:
        raise ValidationFailed("The pilot has problems to correct.", fields)
    clean.update(listing=listing, vendor_name=vendor_name or None, category=category, outcome=outcome)
    return clean


def kpi_index(metrics: Iterable[dict]) -> str:
    """The KPI names, lower-cased, between bars ("|energy use|availability|"), for a portable LIKE filter."""
    return "|" + "|".join(m["kpi"].lower() for m in metrics) + "|"


# --- operations -----------------------------------------------------------------------------------


def _is_member_staff_of(actor: User, consortium_id: int) -> bool:
    org = actor.organization
    return actor.role in ("buyer", "approver") and org.kind == "member" and org.consortium_id == consortium_id


def _is_office_of(actor: User, consortium_id: int) -> bool:
    org = actor.organization
    return actor.role == "admin" and org.kind == "office" and org.consortium_id == consortium_id


def _record(pilot: Pilot, actor: User, action: str, *, before=None, after=None) -> None:
    audit.record(consortium_id=pilot.consortium_id, actor=actor, action=action, obj=pilot, before=before, after=after)


def record_pilot(*, consortium: Consortium, data: dict, actor: User) -> Pilot:
    """A member city records a pilot it hosted; the host is the recording user's organization."""
    if not _is_member_staff_of(actor, consortium.id):
        raise PermissionDenied("Only staff of a member city of this consortium record pilots.")
    clean = clean_pilot_data(data, consortium_id=consortium.id)
    listing = clean.pop("listing")
    pilot = Pilot(consortium_id=consortium.id, host_member_id=actor.organization_id, recorded_by_id=actor.id,
                  status="recorded", listing_id=listing.id if listing else None, kpi_index=kpi_index(clean["metrics"]),
                  **clean)
    pilot.listing = listing
    db.session.add(pilot)
    db.session.flush()
    _record(pilot, actor, "pilot.recorded", after=audit.snapshot(pilot, list(CONTENT)))
    return pilot


def _lock(pilot: Pilot) -> None:
    """Re-read the pilot under a row lock (PostgreSQL), so two concurrent decisions cannot both apply."""
    db.session.refresh(pilot, with_for_update=True)


def verify_pilot(pilot: Pilot, *, actor: User) -> Pilot:
    """The host member's approver (champion) or a consortium admin confirms the measured results."""
    _lock(pilot)
    if pilot.status != "recorded":
        raise Conflict("This pilot is already verified.")
    host_approver = actor.role == "approver" and actor.organization_id == pilot.host_member_id
    if not (host_approver or _is_office_of(actor, pilot.consortium_id)):
        raise PermissionDenied("Only the host member's approver or the consortium office can verify this pilot.")
    if actor.id == pilot.recorded_by_id:
        raise PermissionDenied("Someone other than the person who recorded a pilot must verify it.")
    pilot.status = "verified"
    pilot.verified_by_id = actor.id
    pilot.verified_at = utcnow()
    db.session.flush()
    _record(pilot, actor, "pilot.verified", before={"status": "recorded"},
            after={"status": "verified", "verified_by_id": actor.id, "verified_at": pilot.verified_at})
    return pilot


def link_pilot(pilot: Pilot, *, listing_id, actor: User) -> Pilot:
    """Link a pilot that names a vendor in text to that vendor's published listing. The vendor name
    stays for history; the category becomes the listing's."""
    if not _is_office_of(actor, pilot.consortium_id):
        raise PermissionDenied("Only the consortium office links pilots to listings.")
    _lock(pilot)
    if pilot.listing_id is not None:
        raise Conflict("This pilot is already linked to a listing.")
    listing = published_listing(pilot.consortium_id, listing_id)
    if listing is None:
        message = NO_LISTING if listing_id not in (None, "") else "Choose a published listing."
        raise ValidationFailed("The pilot cannot be linked.", {"listing_id": message})
    before = {"listing_id": None, "category": pilot.category}
    pilot.listing_id = listing.id
    pilot.listing = listing
    pilot.category = listing.category
    db.session.flush()
    _record(pilot, actor, "pilot.linked", before=before, after={"listing_id": listing.id, "category": listing.category})
    return pilot


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricResult:
    kpi: str
    unit: str
    direction: str
    baseline: Decimal
    target: Decimal
    result: Decimal

    @property
    def met(self) -> bool:
        """Whether the result reached the target, in the metric's direction."""
        return self.result >= self.target if self.direction == "higher" else self.result <= self.target

    @property
    def change(self) -> Decimal:
        return self.result - self.baseline


def metric_results(pilot: Pilot) -> list[MetricResult]:
    return [MetricResult(kpi=m["kpi"], unit=m.get("unit") or "", direction=m["direction"],
                         baseline=Decimal(m["baseline"]), target=Decimal(m["target"]), result=Decimal(m["result"]))
            for m in pilot.metrics or []]


def _with_people(stmt):
    return stmt.options(
        joinedload(Pilot.listing).joinedload(Listing.vendor),
        joinedload(Pilot.host_member),
        joinedload(Pilot.verified_by),
    )


def verified_pilots_for(listing_ids: Iterable[int]) -> dict[int, list[Pilot]]:
    """The verified pilots of each listing (newest first), in one query; every id gets a list."""
    ids = sorted(set(listing_ids))
    found: dict[int, list[Pilot]] = {i: [] for i in ids}
    if not ids:
        return found
    stmt = (
        select(Pilot)
        .where(Pilot.listing_id.in_(ids), Pilot.status == "verified")
        .order_by(Pilot.end_date.desc(), Pilot.id.desc())
        .options(joinedload(Pilot.host_member), joinedload(Pilot.verified_by))
    )
    for pilot in db.session.scalars(stmt):
        found[pilot.listing_id].append(pilot)
    return found


def proven_listing_ids(listing_ids: Iterable[int]) -> set[int]:
    """The listings among `listing_ids` with a verified pilot whose outcome is met, in one query."""
    ids = sorted(set(listing_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(Listing.id).where(Listing.id.in_(ids), proven_clause())))


def published_listing_choices(consortium_id: int) -> list[tuple[int, str]]:
    """(id, "title — vendor") of the consortium's published listings, for record and link forms."""
    stmt = (
        select(Listing.id, Listing.title, Organization.name)
        .join(Organization, Organization.id == Listing.vendor_id)
        .where(Listing.consortium_id == consortium_id, Listing.status == "published")
        .order_by(Listing.title, Listing.id)
    )
    return [(row.id, f"{row.title} — {row.name}") for row in db.session.execute(stmt)]


def clean_library_filters(args: Mapping[str, str]) -> dict:
    """Library filters from a query string: q (title), category, outcome, host (member id), kpi, status."""
    fields: dict[str, str] = {}
    filters: dict = {}
    for name in ("q", "kpi"):
        value = _CONTROL.sub("", args.get(name) or "").strip()
        if len(value) > MAX_FILTER:
            fields[name] = f"Use at most {MAX_FILTER} characters."
        filters[name] = value or None
    for name, allowed in (("category", CATEGORIES), ("outcome", OUTCOMES), ("status", PILOT_STATUSES)):
        value = args.get(name) or None
        if value is not None and value not in allowed:
            fields[name] = "Choose one of: " + ", ".join(allowed) + "."
        filters[name] = value
    host = (args.get("host") or "").strip()
    if host and parse_id(host) is None:
        fields["host"] = "Choose a member city."
    filters["host"] = parse_id(host) if host and "host" not in fields else None
    if fields:
        raise ValidationFailed("The filters have problems to correct.", fields)
    return filters


def _contains(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def library(consortium_id: int, filters: dict, *, see_all: bool, member_id: int | None, page: int = 1,
            per_page: int = 20) -> tuple[list[Pilot], int]:
    """One page of the pilot library and the total: verified pilots, plus the recorded ones of the
    viewer's own member (`member_id`), or every pilot for the office (`see_all`). Two queries."""
    conditions = [Pilot.consortium_id == consortium_id]
    if not see_all:
        visible = Pilot.status == "verified"
        conditions.append(visible | (Pilot.host_member_id == member_id) if member_id else visible)
    if filters.get("q"):
        conditions.append(Pilot.title.ilike(_contains(filters["q"]), escape="\\"))
    if filters.get("kpi"):
        conditions.append(Pilot.kpi_index.like(_contains(filters["kpi"].lower()), escape="\\"))
    for name, column in (("category", Pilot.category), ("outcome", Pilot.outcome), ("status", Pilot.status),
                         ("host", Pilot.host_member_id)):
        if filters.get(name) is not None:
            conditions.append(column == filters[name])
    total = db.session.scalar(select(func.count(Pilot.id)).where(*conditions)) or 0
    stmt = (
        _with_people(select(Pilot).where(*conditions))
        .order_by(Pilot.end_date.desc(), Pilot.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(db.session.scalars(stmt)), total


# --- loading and guarding, for the HTML views and the API alike -----------------------------------


def require_participant(user) -> None:
    """Anonymous: sign in (401). Someone outside the current consortium: 404, never 403."""
    if not getattr(user, "is_authenticated", False):
        abort(401)
    if not belongs(user):
        abort(404)


def visible_pilot_or_404(pilot_id, user) -> Pilot:
    """A pilot of the current consortium the user may see; otherwise 404 (no enumeration)."""
    require_participant(user)
    pilot = get_or_404(Pilot, pilot_id)
    if not can_view_pilot(user, pilot):
        abort(404)
    return pilot


def require_verifier(user, pilot: Pilot) -> None:
    """403 for people who may never verify this pilot; 409 for a verifier when it is already verified."""
    if can_verify_pilot(user, pilot):
        return
    if is_pilot_verifier(user, pilot):
        raise Conflict("This pilot is already verified.")
    if user.id == pilot.recorded_by_id:
        raise PermissionDenied("Someone other than the person who recorded a pilot must verify it.")
    raise PermissionDenied("Only the host member's approver or the consortium office can verify this pilot.")


def require_linker(user, pilot: Pilot) -> None:
    if not can_link_pilot(user):
        raise PermissionDenied("Only the consortium office links pilots to listings.")
    if pilot.listing_id is not None:
        raise Conflict("This pilot is already linked to a listing.")
