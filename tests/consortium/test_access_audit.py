"""Access matrix for the audit log (consortium.audit): the consortium's admins only; strangers get 404."""

import pytest

from tests.access import case, expand, run_case

CASES = [
    case("GET", "/c/<consortium_slug>/audit", "/c/gpsr/audit", anon=302, buyer=403, vendor=403, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/audit/export.csv", "/c/gpsr/audit/export.csv",
         anon=302, buyer=403, vendor=403, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
