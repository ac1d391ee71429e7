"""The CSV columns of a listing, declared once for the catalog's, the vendor's and the review queue's
exports and the API's CSV answer; and every listing a search matches, read a page at a time."""

from __future__ import annotations

from collections.abc import Iterator

from catalog import search as indexing
from catalog.listings.models import Listing
from marketplace.csvexport import Columns


def _lowest_price(listing: Listing):
    prices = [item.list_price for item in listing.active_price_items]
    return min(prices) if prices else None


LISTING_COLUMNS = Columns(
    ("id", lambda x: x.id),
    ("title", lambda x: x.title),
    ("vendor", lambda x: x.vendor.name),
    ("category", lambda x: x.category),
    ("pricing_models", lambda x: " ".join(x.pricing_models or ())),
    ("lowest_list_price", _lowest_price),
    ("status", lambda x: x.status),
    ("summary", lambda x: x.summary),
    ("submitted_at", lambda x: x.submitted_at),
    ("published_at", lambda x: x.published_at),
    ("updated_at", lambda x: x.updated_at),
)


def every_match(consortium_id: int, q: str, **filters) -> Iterator[Listing]:
    """Every published listing the search matches, in the search's order, one page of the engine's
    largest size at a time (the `page` and `per_page` of `filters` are ignored)."""
    filters = {k: v for k, v in filters.items() if k not in ("page", "per_page")}
    page = 1
    while True:
        result = indexing.search(consortium_id, q, page=page, per_page=indexing.MAX_PER_PAGE, **filters)
        yield from indexing.load_published(result.ids)
        if not result.ids or page * indexing.MAX_PER_PAGE >= result.total:
            return
        page += 1
