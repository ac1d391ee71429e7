"""Access matrix for the open-data (OCDS) API: a token of anyone in the consortium, else 401 (no token) or 404
(a stranger to it, never 403)."""

from __future__ import annotations

import pytest

from tests.access import case, expand, run_case

CASES = [
    case("GET", "/api/v1/ocds/releases.json", "/api/v1/ocds/releases.json?consortium=gpsr",
         anon=401, buyer=200, vendor=200, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
