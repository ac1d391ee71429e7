"""Access matrix for sales-report pages and their API: a report is seen by its vendor (ParkSense, the
matrix's vendor) and the office; members get 403 on the list and 404 on a report; Front Range people are
strangers (404)."""

from __future__ import annotations

import pytest

from tests.access import case, expand, run_case
from tests.contracts.reporting_helpers import parksense_report


def _due():
    return {"id": parksense_report("due").id}


def _submitted():
    return {"id": parksense_report("submitted").id}


def _accepted():
    return {"id": parksense_report("accepted").id}


C = "/c/<consortium_slug>"
R = f"{C}/sales-reports/<int:report_id>"
A = "/api/v1/sales-reports/<int:report_id>"
LINES = {"lines": [{"customer_name": "Pima County", "gross": "500.00"}]}

CASES = [
    case("GET", f"{C}/sales-reports", "/c/gpsr/sales-reports", anon=302, buyer=403, vendor=200, admin=200,
         other=404),
    case("GET", f"{C}/sales-reports/export.csv", "/c/gpsr/sales-reports/export.csv", anon=302, buyer=403,
         vendor=200, admin=200, other=404),
    case("GET", R, "/c/gpsr/sales-reports/{id}", setup=_due, anon=302, buyer=404, vendor=200, admin=200, other=404),
    case("GET", f"{R}/lines", "/c/gpsr/sales-reports/{id}/lines", setup=_due, anon=302, buyer=404, vendor=200,
         admin=403, other=404),
    case("POST", f"{R}/lines", "/c/gpsr/sales-reports/{id}/lines", setup=_due,
         data={"lines-0-customer_name": "Pima County", "lines-0-gross": "-5"},
         anon=302, buyer=404, vendor=400, admin=403, other=404),
    case("POST", f"{R}/submit", "/c/gpsr/sales-reports/{id}/submit", setup=_due, anon=302, buyer=404, vendor=302,
         admin=403, other=404),
    case("POST", f"{R}/accept", "/c/gpsr/sales-reports/{id}/accept", setup=_submitted, anon=302, buyer=404,
         vendor=403, admin=302, other=404),
    case("GET", f"{R}/return", "/c/gpsr/sales-reports/{id}/return", setup=_submitted, anon=302, buyer=404,
         vendor=403, admin=200, other=404),
    case("POST", f"{R}/return", "/c/gpsr/sales-reports/{id}/return", setup=_submitted, data={"reason": "Fix it."},
         anon=302, buyer=404, vendor=403, admin=302, other=404),
    case("POST", f"{R}/payments", "/c/gpsr/sales-reports/{id}/payments", setup=_accepted,
         data={"amount": "1.00", "paid_on": "2026-11-30"}, anon=302, buyer=404, vendor=403, admin=302, other=404),
    # API
    case("GET", "/api/v1/sales-reports", "/api/v1/sales-reports?consortium=gpsr", anon=401, buyer=403, vendor=200,
         admin=200, other=404),
    case("GET", A, "/api/v1/sales-reports/{id}?consortium=gpsr", setup=_due, anon=401, buyer=404, vendor=200,
         admin=200, other=404),
    case("PUT", A, "/api/v1/sales-reports/{id}?consortium=gpsr", setup=_due, json=LINES, anon=401, buyer=404,
         vendor=200, admin=403, other=404),
    case("POST", f"{A}/submit", "/api/v1/sales-reports/{id}/submit?consortium=gpsr", setup=_due, anon=401,
         buyer=404, vendor=200, admin=403, other=404),
    case("POST", f"{A}/accept", "/api/v1/sales-reports/{id}/accept?consortium=gpsr", setup=_submitted, anon=401,
         buyer=404, vendor=403, admin=200, other=404),
    case("POST", f"{A}/return", "/api/v1/sales-reports/{id}/return?consortium=gpsr", setup=_submitted,
         json={"reason": "Fix it."}, anon=401, buyer=404, vendor=403, admin=200, other=404),
    case("POST", f"{A}/payments", "/api/v1/sales-reports/{id}/payments?consortium=gpsr", setup=_accepted,
         json={"amount": "1.00", "paid_on": "2026-11-30"}, anon=401, buyer=404, vendor=403, admin=201, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
