"""JSON API for listings (DESIGN section 7)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from catalog import search as indexing
from catalog.listings import permissions as can
from catalog.listings import queries, services
from catalog.listings.columns import LISTING_COLUMNS, every_match
from catalog.listings.models import (
    CATEGORIES,
    DESCRIPTION_MAX,
    ITEM_NAME_MAX,
    ITEM_UNIT_MAX,
    MAX_PRICE_ITEMS,
    MAX_STANDARDS,
    MAX_TAGS,
    PRICING_MODELS,
    STANDARD_MAX,
    SUMMARY_MAX,
    TAG_MAX,
    TITLE_MAX,
    Listing,
    listing_content,
)
from catalog.pilots.queries import proven_listing_ids
from consortium.context import belongs, consortium_or_404
from marketplace.api import ID, PAGE_PARAMS, POSITIVE_MONEY, created, operation, paginate_args, wants_csv
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT, parse_id

api = Blueprint("catalog_api", __name__, url_prefix="/api/v1")

PRICE_ITEM_IN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "unit", "list_price"],
    "properties": {
        "id": ID,
        "name": {"type": "string", "maxLength": ITEM_NAME_MAX},
        "unit": {"type": "string", "maxLength": ITEM_UNIT_MAX},
        "list_price": POSITIVE_MONEY,
    },
}
_LISTING_PROPS = {
    "title": {"type": "string", "maxLength": TITLE_MAX},
    "summary": {"type": "string", "maxLength": SUMMARY_MAX},
    "description": {"type": "string", "maxLength": DESCRIPTION_MAX},
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "tags": {"type": "array", "maxItems": MAX_TAGS, "items": {"type": "string", "maxLength": TAG_MAX}},
    "pricing_models": {"type": "array", "maxItems": len(PRICING_MODELS),
                       "items": {"type": "string", "enum": list(PRICING_MODELS)}},
    "price_items": {"type": "array", "maxItems": MAX_PRICE_ITEMS, "items": PRICE_ITEM_IN},
    "standards": {"type": "array", "maxItems": MAX_STANDARDS, "items": {"type": "string", "maxLength": STANDARD_MAX}},
}
LISTING_IN = {"type": "object", "additionalProperties": False, "required": ["title", "summary", "category"],
              "properties": _LISTING_PROPS}
LISTING_PATCH = {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": _LISTING_PROPS}
REASON_IN = {"type": "object", "additionalProperties": False,
             "properties": {"reason": {"type": "string", "maxLength": REASON_LIMIT}}}
PRICE_CONFLICTS = {"type": "array", "items": {"type": "object", "properties": {
    "price_item_id": ID, "item": {"type": "string"}, "new_list_price": {"type": "string"},
    "contract_price": {"type": "string"}, "vehicle_id": ID, "vehicle_number": {"type": "string"}}}}
LISTING_OUT = {
    "type": "object",
    "required": ["id", "status", "title", "summary", "category", "vendor", "price_items", "proven"],
    "properties": {
        "id": ID,
        "status": {"type": "string"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "description": {"type": "string"},
        "category": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "pricing_models": {"type": "array", "items": {"type": "string"}},
        "standards": {"type": "array", "items": {"type": "string"}},
        "price_items": {"type": "array", "items": {"type": "object", "properties": {
            "id": ID, "name": {"type": "string"}, "unit": {"type": "string"}, "list_price": {"type": "string"}}}},
        "vendor": {"type": "object", "properties": {"id": ID, "name": {"type": "string"}}},
        "proven": {"type": "boolean"},
        "status_reason": {"type": ["string", "null"]},
        "pending_revision": {"type": ["object", "null"], "properties": {
            "id": ID, "proposed": {"type": "object"}, "created_at": {"type": "string"},
            "price_conflicts": {**PRICE_CONFLICTS, "description": "Proposed list prices below a contract price of "
                                "an active vehicle covering the listing."}}},
        "price_conflicts": {**PRICE_CONFLICTS, "description": "Live list prices below a contract price of an "
                            "active vehicle (the vendor and the office): amend them with POST "
                            "/api/v1/vehicles/{vehicle_id}/price-schedule."},
        "published_at": {"type": ["string", "null"]},
    },
}
SEARCH_OUT = {
    "type": "object",
    "required": ["results", "total", "facets"],
    "properties": {
        "results": {"type": "array", "items": LISTING_OUT},
        "total": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "facets": {"type": "object", "additionalProperties": {"type": "object",
                                                               "additionalProperties": {"type": "integer"}}},
        "suggestion": {"type": ["string", "null"]},
        "sort": {"type": "string", "enum": list(indexing.SORTS), "description": "The order of the results."},
    },
}
SEARCH_PARAMS = [
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 500}},
    {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}},
    {"name": "pricing_model", "in": "query", "schema": {"type": "string", "enum": list(PRICING_MODELS)}},
    {"name": "proven", "in": "query", "schema": {"type": "boolean"}},
    {"name": "vendor_id", "in": "query", "schema": ID},
    {"name": "sort", "in": "query", "schema": {"type": "string", "enum": list(indexing.SORTS)},
     "description": "relevance (the default with q; without q it means newest), price (the lowest list price, "
                    "cheapest first; listings without a price last), newest (latest published first, the "
                    "default without q) or rating (the highest average overall rating of published reviews "
                    "first; unrated listings last)."},
    *PAGE_PARAMS,
]


def listing_json(listing: Listing, proven: bool, *, detail: bool = True) -> dict:
    content = listing_content(listing)
    data = {
        "id": listing.id,
        "status": listing.status,
        **content,
        "vendor": {"id": listing.vendor_id, "name": listing.vendor.name},
        "proven": proven,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
    }
    if detail and can.can_see_listing_history(current_user, listing):
        revision = listing.pending_revision
        data["status_reason"] = listing.status_reason
        data["pending_revision"] = {
            "id": revision.id, "proposed": revision.proposed, "created_at": revision.created_at.isoformat(),
            "price_conflicts": [c.as_json() for c in services.pending_price_conflicts(listing)],
        } if revision else None
        data["price_conflicts"] = [c.as_json() for c in services.live_price_conflicts(listing)]
    return data


def _visible_listing(listing_id: int) -> Listing:
    consortium_or_404()
    return queries.get_listing_or_404(listing_id, current_user)


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return None  # "not proven" is not a useful filter; treat as no filter
    raise ValidationFailed("Invalid filter.", {name: "Use true or false."})


@operation(api, "/listings", "GET", summary="Search the consortium's published listings", tag="catalog",
           auth=False, query=SEARCH_PARAMS, response=SEARCH_OUT, csv=True)
def search_listings():
    consortium = consortium_or_404()
    page, per_page = paginate_args()
    fields = {}
    category, model = request.args.get("category"), request.args.get("pricing_model")
    if category and category not in CATEGORIES:
        fields["category"] = "Unknown category."
    if model and model not in PRICING_MODELS:
        fields["pricing_model"] = "Unknown pricing model."
    vendor = request.args.get("vendor_id")
    if vendor and parse_id(vendor) is None:
        fields["vendor_id"] = "Must be the id of a vendor."
    sort = request.args.get("sort") or None
    if sort is not None and sort not in indexing.SORTS:
        fields["sort"] = "Use relevance, price, newest or rating."
    if fields:
        raise ValidationFailed("Invalid filters.", fields)
    filters = {"category": category or None, "pricing_model": model or None, "proven": _bool_arg("proven"),
               "vendor_id": parse_id(vendor) if vendor else None, "sort": sort}
    q = (request.args.get("q") or "")[:500]
    if wants_csv():
        return LISTING_COLUMNS.response("listings.csv", every_match(consortium.id, q, **filters))
    result = indexing.search(consortium.id, q, page=page, per_page=per_page, **filters)
    listings = indexing.load_published(result.ids)
    proven = proven_listing_ids([x.id for x in listings])
    return jsonify({
        "results": [listing_json(x, x.id in proven, detail=False) for x in listings],
        "total": result.total, "page": page, "per_page": per_page, "facets": result.facets,
        "suggestion": result.suggestion, "sort": result.sort,
    })


@operation(api, "/listings", "POST", summary="Draft a new listing (vendors)", tag="catalog",
           body=LISTING_IN, response=LISTING_OUT, status=201)
def create_listing(data):
    consortium = consortium_or_404()
    if not belongs(current_user):
        raise NotFound("No such consortium.")
    if not can.can_create_listing(current_user):
        raise PermissionDenied("Only vendor staff create listings.")
    listing = services.create_listing(consortium=consortium, vendor=current_user.organization, data=data,
                                      actor=current_user)
    db.session.commit()
    return created(listing_json(listing, False))


@operation(api, "/listings/<int:listing_id>", "GET", summary="One listing", tag="catalog", auth=False,
           response=LISTING_OUT)
def get_listing(listing_id):
    listing = _visible_listing(listing_id)
    return jsonify(listing_json(listing, listing.id in proven_listing_ids([listing.id])))


@operation(api, "/listings/<int:listing_id>", "PATCH",
           summary="Edit a listing (a draft directly; a live listing through a pending revision)", tag="catalog",
           body=LISTING_PATCH, response=LISTING_OUT)
def patch_listing(listing_id, data):
    listing = _visible_listing(listing_id)
    if not can.can_edit_listing(current_user, listing):
        raise PermissionDenied("You cannot edit this listing.")
    listing = services.update_listing(listing, data, actor=current_user, partial=True)
    db.session.commit()
    return jsonify(listing_json(listing, listing.id in proven_listing_ids([listing.id])))


def _decision(listing_id, action, data, *, with_reason=True):
    """One lifecycle step: the service checks who may take it (403) and the kernel whether the listing's
    state still allows it (409, saying what happened and who did it)."""
    listing = _visible_listing(listing_id)
    if not belongs(current_user):
        raise NotFound("Not found.")  # a published listing is public, but strangers cannot act on it
    listing = action(listing, actor=current_user, **({"reason": data.get("reason")} if with_reason else {}))
    db.session.commit()
    return jsonify(listing_json(listing, listing.id in proven_listing_ids([listing.id])))


def _decision_op(rule, name, summary, action, with_reason=True):
    def view(listing_id, data):
        return _decision(listing_id, action, data, with_reason=with_reason)

    view.__name__ = name
    return operation(api, rule, "POST", summary=summary, tag="catalog", body=REASON_IN, response=LISTING_OUT)(view)


_decision_op("/listings/<int:listing_id>/submit", "submit_listing", "Submit a draft for approval (vendor)",
             services.submit_listing, with_reason=False)
_decision_op("/listings/<int:listing_id>/approve", "approve_listing",
             "Approve a submission or a pending revision (admin)", services.approve_listing)
_decision_op("/listings/<int:listing_id>/reject", "reject_listing",
             "Request changes to a submission or pending revision, with a reason (admin)", services.request_changes)
_decision_op("/listings/<int:listing_id>/suspend", "suspend_listing", "Suspend a published listing (admin)",
             services.suspend_listing)
_decision_op("/listings/<int:listing_id>/reinstate", "reinstate_listing", "Reinstate a suspended listing (admin)",
             services.reinstate_listing)
_decision_op("/listings/<int:listing_id>/withdraw", "withdraw_listing", "Withdraw a published listing (vendor)",
             services.withdraw_listing)
