"""Access matrix for the dashboard, its spend CSV and `GET /api/v1/reports/spend`.

Everyone signed in to Greater Phoenix has a dashboard of what they may see (the figures' scope is tested in
test_dashboards.py); anonymous visitors are sent to sign in (401 from the API); Front Range people are strangers
(404). Bad filters are a 400 with a message, for every role.
"""

from __future__ import annotations

import pytest

from tests.access import case, expand, run_case

C = "/c/<consortium_slug>"

CASES = [
    case("GET", f"{C}/dashboard", "/c/gpsr/dashboard", anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/dashboard", "/c/gpsr/dashboard?group_by=city&from=2026-02-30",
         anon=302, buyer=400, vendor=400, admin=400, other=404),
    case("GET", f"{C}/dashboard/spend.csv", "/c/gpsr/dashboard/spend.csv?group_by=quarter",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", f"{C}/dashboard/spend.csv", "/c/gpsr/dashboard/spend.csv?to=yesterday",
         anon=302, buyer=400, vendor=400, admin=400, other=404),
    case("GET", "/api/v1/reports/spend", "/api/v1/reports/spend?consortium=gpsr&group_by=vendor",
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/api/v1/reports/spend", "/api/v1/reports/spend?consortium=gpsr&group_by=city",
         anon=401, buyer=400, vendor=400, admin=400, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
