"""Access matrix for documents: the upload page and form of every owner type, the download, and the API.

Who may see a document is who may see its owner; who may add one is the owner's editors (the listing's vendor,
the pilot's host member, the office for a vehicle, the member's approver and the office for a participation,
the order's member and vendor, the measurement's vendor, the RFI's issuer, the need's member). Front Range
people are strangers: 404, except for what is public (a published listing, an active vehicle), which they may
see but not add to (403).
"""

from __future__ import annotations

import pytest

from tests.access import case, expand, run_case
from tests.marketplace import document_helpers as owners


def _ids(key):
    return lambda: {"id": owners.OWNERS[key]().id}


def _document_ids():
    document = owners.add("orders", owners.order(), "buyer@mesa.example")
    return {"id": document.id}


C = "/c/<consortium_slug>"
# key: (GET page, POST page) statuses as (buyer, vendor, admin, other); the API POST answers as the page POST.
EXPECT = {
    "listings": ((200, 200, 200, 200), (403, 400, 403, 403)),
    "pilots": ((200, 200, 200, 404), (400, 403, 403, 404)),
    "vehicles": ((200, 200, 200, 200), (403, 403, 400, 403)),
    "participations": ((404, 404, 200, 404), (404, 404, 400, 404)),
    "orders": ((200, 404, 200, 404), (400, 404, 403, 404)),
    "observations": ((404, 404, 200, 404), (404, 404, 403, 404)),
    "rfis": ((200, 200, 200, 404), (400, 403, 403, 404)),
    "needs": ((200, 404, 200, 404), (400, 404, 403, 404)),
}

CASES = []
for _key, (_get, _post) in EXPECT.items():
    _rule, _url = f"{C}/{_key}/<int:owner_id>/documents", f"/c/gpsr/{_key}/{{id}}/documents"
    CASES += [
        case("GET", _rule, _url, setup=_ids(_key), anon=302, buyer=_get[0], vendor=_get[1], admin=_get[2],
             other=_get[3]),
        case("POST", _rule, _url, setup=_ids(_key), data={"document-title": ""}, anon=302, buyer=_post[0],
             vendor=_post[1], admin=_post[2], other=_post[3]),
        case("POST", f"/api/v1/{_key}/<int:owner_id>/documents", f"/api/v1/{_key}/{{id}}/documents?consortium=gpsr",
             setup=_ids(_key), anon=401, buyer=_post[0], vendor=_post[1], admin=_post[2], other=_post[3]),
    ]
CASES += [
    case("GET", f"{C}/documents/<int:document_id>/download", "/c/gpsr/documents/{id}/download",
         setup=_document_ids, anon=302, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/documents/<int:document_id>", "/api/v1/documents/{id}?consortium=gpsr",
         setup=_document_ids, anon=401, buyer=200, vendor=404, admin=200, other=404),
    case("GET", "/api/v1/documents/<int:document_id>/download", "/api/v1/documents/{id}/download?consortium=gpsr",
         setup=_document_ids, anon=401, buyer=200, vendor=404, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
