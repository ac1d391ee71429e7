"""Synthetic data and queries for ``bench/search.py``: N published listings bulk-inserted into Greater
Phoenix, and seeded search requests (typical, topical, misspelled, filtered)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import insert, select

from bench.search_engine import CATEGORY_WORDS, GENERIC_WORDS, TYPICAL_QUERIES, make_listings
from catalog.listings.models import CATEGORIES, PRICING_MODELS, Listing, PriceItem
from catalog.pilots.models import Pilot
from consortium.models import Consortium, Organization, Supplier, User
from marketplace.db import utcnow
from marketplace.extensions import db

INSERT_BATCH = 2000
UNITS = ["each", "per month", "per year", "per site", "per pole per month", "per sensor per month", "per day"]


# --------------------------------------------------------------------------------- synthetic data

def _demo_parties(consortium_id: int):
    vendor_ids = list(db.session.scalars(
        select(Supplier.organization_id).where(Supplier.consortium_id == consortium_id)
        .order_by(Supplier.organization_id)))
    members = db.session.scalars(select(Organization).where(
        Organization.consortium_id == consortium_id, Organization.kind == "member").order_by(Organization.id)).all()
    staff = {}
    for member in members:
        users = {u.role: u.id for u in db.session.scalars(select(User).where(User.organization_id == member.id))}
        staff[member.id] = (users["buyer"], users["approver"])
    return vendor_ids, staff


def _price_items(rng: random.Random, names: list[str]) -> list[dict]:
    return [{"name": name.capitalize(), "unit": rng.choice(UNITS),
             "list_price": Decimal(rng.randint(500, 5_000_000)) / 100, "position": position, "is_retired": False}
            for position, name in enumerate(names[:rng.randint(1, 3)])]


def _pilot(rng: random.Random, listing_id: int, row: dict, consortium_id: int, staff: dict) -> dict:
    member_id = rng.choice(list(staff))
    buyer_id, approver_id = staff[member_id]
    start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 500))
    now = utcnow()
    return {
        "consortium_id": consortium_id, "listing_id": listing_id, "host_member_id": member_id,
        "title": f"Pilot of {row['title']}", "category": row["category"], "start_date": start,
        "end_date": start + timedelta(days=rng.randint(60, 360)), "units": f"{rng.randint(10, 2000)} units",
        "area": "City-wide", "cost": Decimal(rng.randint(10_000, 500_000)), "financing": "Capital budget",
        "metrics": [{"kpi": "Energy use", "unit": "MWh/yr", "direction": "lower", "baseline": "100",
                     "target": "70", "result": "65"}],
        "kpi_index": "|energy use|", "outcome": "met", "lessons": "Synthetic benchmark pilot.", "references": "",
        "status": "verified", "recorded_by_id": buyer_id, "verified_by_id": approver_id, "verified_at": now,
        "created_at": now,
    }


def insert_listings(n: int, seed: int) -> tuple[int, list[int]]:
    """Bulk-insert `n` published listings (with price items, some proven) into gpsr; returns its id and vendors."""
    rng = random.Random(seed)
    consortium_id = db.session.scalar(select(Consortium.id).where(Consortium.slug == "gpsr"))
    vendor_ids, staff = _demo_parties(consortium_id)
    docs = make_listings(n, consortia=1, vendors=len(vendor_ids), seed=seed)
    now = utcnow()
    for start in range(0, n, INSERT_BATCH):
        batch = docs[start:start + INSERT_BATCH]
        rows = [{
            "consortium_id": consortium_id, "vendor_id": vendor_ids[doc["vendor_id"] - 1], "title": doc["title"],
            "summary": doc["summary"][:500], "description": doc["description"], "category": doc["category"],
            "tags": doc["tags"], "pricing_models": doc["pricing_models"], "standards": doc["standards"],
            "status": "published", "created_at": now, "updated_at": now, "submitted_at": now, "published_at": now,
        } for doc in batch]
        ids = db.session.scalars(insert(Listing).returning(Listing.id, sort_by_parameter_order=True), rows).all()
        items = [{"listing_id": listing_id, **item}
                 for listing_id, doc in zip(ids, batch, strict=True)
                 for item in _price_items(rng, doc["price_item_names"])]
        db.session.execute(insert(PriceItem), items)
        pilots = [_pilot(rng, listing_id, row, consortium_id, staff)
                  for listing_id, row in zip(ids, rows, strict=True) if rng.random() < 0.1]
        if pilots:
            db.session.execute(insert(Pilot), pilots)
    db.session.commit()
    return consortium_id, vendor_ids


# ---------------------------------------------------------------------------------------- queries

def misspell(word: str, rng: random.Random) -> str:
    """A typing mistake: two letters swapped, one dropped, doubled or replaced."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustrn") + word[i + 1:]


def make_queries(count: int, vendor_ids: list[int], seed: int) -> list[dict]:
    """Search requests: `q` of 1-3 words (some misspelled, a few empty) with facet filters."""
    rng = random.Random(seed)
    queries = []
    for _ in range(count):
        roll, typo = rng.random(), False
        if roll < 0.35:
            q = rng.choice(TYPICAL_QUERIES)
        elif roll < 0.65:  # a topic's words, the common ones more often
            words = CATEGORY_WORDS[rng.choice(list(CATEGORY_WORDS))]
            weights = [1 / (rank + 1) for rank in range(len(words))]
            q = " ".join(dict.fromkeys(rng.choices(words, weights, k=rng.randint(1, 3))))
        elif roll < 0.75:
            q = rng.choice(GENERIC_WORDS)
        elif roll < 0.90:  # a typo in the longest word of a typical query
            words = rng.choice(TYPICAL_QUERIES).split()
            longest = max(range(len(words)), key=lambda i: len(words[i]))
            words[longest] = misspell(words[longest], rng)
            q = " ".join(words)
            typo = True
        elif roll < 0.95:
            q = rng.choice(("brightstreet", "parksense lot", "flowmobility transit"))
        else:
            q = ""
        query = {"q": q, "typo": typo, "category": None, "pricing_model": None, "proven": None, "vendor_id": None,
                 "page": rng.choice((1, 1, 1, 1, 2, 3))}
        if rng.random() < 0.3:
            query["category"] = rng.choice(list(CATEGORIES))
        if rng.random() < 0.15:
            query["pricing_model"] = rng.choice(list(PRICING_MODELS))
        if rng.random() < 0.1:
            query["proven"] = True
        if rng.random() < 0.05:
            query["vendor_id"] = rng.choice(vendor_ids)
        queries.append(query)
    return queries


def page_url(query: dict) -> str:
    params = {"q": query["q"], "category": query["category"], "pricing_model": query["pricing_model"],
              "proven": "1" if query["proven"] else None, "vendor": query["vendor_id"], "page": query["page"]}
    return "/c/gpsr/catalog?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def api_url(query: dict) -> str:
    params = {"consortium": "gpsr", "q": query["q"], "category": query["category"],
              "pricing_model": query["pricing_model"], "proven": "true" if query["proven"] else None,
              "vendor_id": query["vendor_id"], "page": query["page"]}
    return "/api/v1/listings?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def search_kwargs(query: dict) -> dict:
    return {"category": query["category"], "pricing_model": query["pricing_model"], "proven": query["proven"],
            "vendor_id": query["vendor_id"], "page": query["page"], "per_page": 20}
