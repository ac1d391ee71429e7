"""Access matrix for listing pages and the listings API (pilots have their own table)."""

import pytest

from tests.access import case, expand, run_case
from tests.catalog.factories import listing_data, make_listing


def _published():
    return {"id": make_listing("published").id}


def _draft():
    return {"id": make_listing("draft").id}


def _submitted():
    return {"id": make_listing("submitted").id}


def _suspended():
    return {"id": make_listing("suspended").id}


FORM = {k: v for k, v in listing_data().items() if k not in ("price_items", "tags", "standards")}
FORM.update({"tags": "LED", "standards": "TALQ", "price_items-0-name": "Luminaire", "price_items-0-unit": "each",
             "price_items-0-list_price": "450.00"})
C = "/c/<consortium_slug>"

CASES = [
    case("GET", f"{C}/catalog", "/c/gpsr/catalog?q=lighting", anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", f"{C}/catalog/export.csv", "/c/gpsr/catalog/export.csv?q=lighting", anon=200, buyer=200, vendor=200,
         admin=200, other=200),
    case("GET", f"{C}/listings/<int:listing_id>", "/c/gpsr/listings/{id}", setup=_published,
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", f"{C}/listings/<int:listing_id>", "/c/gpsr/listings/{id}?draft", setup=_draft,
         anon=404, buyer=404, vendor=200, admin=200, other=404),
    case("GET", f"{C}/listings/<int:listing_id>/preview", "/c/gpsr/listings/{id}/preview", setup=_draft,
         anon=404, buyer=404, vendor=200, admin=200, other=404),
    case("GET", f"{C}/listings/<int:listing_id>/history", "/c/gpsr/listings/{id}/history", setup=_published,
         anon=302, buyer=403, vendor=200, admin=200, other=404),
    case("GET", f"{C}/vendor/listings", "/c/gpsr/vendor/listings", anon=302, buyer=403, vendor=200, admin=403,
         other=404),
    case("GET", f"{C}/vendor/listings/export.csv", "/c/gpsr/vendor/listings/export.csv", anon=302, buyer=403,
         vendor=200, admin=403, other=404),
    case("GET", f"{C}/listings/new", "/c/gpsr/listings/new", anon=302, buyer=403, vendor=200, admin=403, other=404),
    case("POST", f"{C}/listings/new", "/c/gpsr/listings/new", data=FORM,
         anon=302, buyer=403, vendor=302, admin=403, other=404),
    case("GET", f"{C}/listings/<int:listing_id>/edit", "/c/gpsr/listings/{id}/edit", setup=_draft,
         anon=404, buyer=404, vendor=200, admin=403, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/edit", "/c/gpsr/listings/{id}/edit", setup=_draft, data=FORM,
         anon=404, buyer=404, vendor=302, admin=403, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/submit", "/c/gpsr/listings/{id}/submit", setup=_draft,
         anon=404, buyer=404, vendor=302, admin=403, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/withdraw", "/c/gpsr/listings/{id}/withdraw", setup=_published,
         anon=302, buyer=403, vendor=302, admin=403, other=404),
    case("GET", f"{C}/listings/<int:listing_id>/withdraw", "/c/gpsr/listings/{id}/withdraw", setup=_published,
         anon=302, buyer=403, vendor=200, admin=403, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/approve", "/c/gpsr/listings/{id}/approve", setup=_submitted,
         anon=404, buyer=404, vendor=403, admin=302, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/request-changes", "/c/gpsr/listings/{id}/request-changes",
         setup=_submitted, data={"reason": "Add a monthly price."},
         anon=404, buyer=404, vendor=403, admin=302, other=404),
    case("GET", f"{C}/listings/<int:listing_id>/request-changes", "/c/gpsr/listings/{id}/request-changes",
         setup=_submitted, anon=404, buyer=404, vendor=403, admin=200, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/suspend", "/c/gpsr/listings/{id}/suspend", setup=_published,
         data={"reason": "Recall"}, anon=302, buyer=403, vendor=403, admin=302, other=404),
    case("POST", f"{C}/listings/<int:listing_id>/reinstate", "/c/gpsr/listings/{id}/reinstate", setup=_suspended,
         data={"reason": "Fixed"}, anon=404, buyer=404, vendor=403, admin=302, other=404),
    case("GET", f"{C}/review", "/c/gpsr/review", anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("GET", f"{C}/review/export.csv", "/c/gpsr/review/export.csv", anon=302, buyer=403, vendor=403, admin=200,
         other=404),
    case("GET", f"{C}/review/<int:listing_id>", "/c/gpsr/review/{id}", setup=_submitted,
         anon=404, buyer=404, vendor=403, admin=200, other=404),
    # API
    case("GET", "/api/v1/listings", "/api/v1/listings?consortium=gpsr&q=led",
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/api/v1/listings", "/api/v1/listings", json=listing_data(),
         anon=401, buyer=403, vendor=201, admin=403, other=403),
    case("GET", "/api/v1/listings/<int:listing_id>", "/api/v1/listings/{id}?consortium=gpsr", setup=_published,
         anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/api/v1/listings/<int:listing_id>", "/api/v1/listings/{id}?consortium=gpsr&draft", setup=_draft,
         anon=404, buyer=404, vendor=200, admin=200, other=404),
    case("PATCH", "/api/v1/listings/<int:listing_id>", "/api/v1/listings/{id}", setup=_draft,
         json={"title": "Better title"}, anon=401, buyer=404, vendor=200, admin=403, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/submit", "/api/v1/listings/{id}/submit", setup=_draft,
         anon=401, buyer=404, vendor=200, admin=403, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/approve", "/api/v1/listings/{id}/approve", setup=_submitted,
         anon=401, buyer=404, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/reject", "/api/v1/listings/{id}/reject", setup=_submitted,
         json={"reason": "Prices missing"}, anon=401, buyer=404, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/suspend", "/api/v1/listings/{id}/suspend?consortium=gpsr",
         setup=_published, json={"reason": "Recall"}, anon=401, buyer=403, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/reinstate", "/api/v1/listings/{id}/reinstate",
         setup=_suspended, json={"reason": "Fixed"}, anon=401, buyer=404, vendor=403, admin=200, other=404),
    case("POST", "/api/v1/listings/<int:listing_id>/withdraw", "/api/v1/listings/{id}/withdraw?consortium=gpsr",
         setup=_published, anon=401, buyer=403, vendor=200, admin=403, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
