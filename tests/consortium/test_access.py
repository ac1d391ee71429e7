"""Access matrix for the kernel and the consortium domain."""

import pytest

from tests.access import case, expand, run_case
from tests.conftest import user


def _tempe_buyer() -> dict:
    return {"user_id": user("buyer@tempe.example").id}


def _own_token() -> dict:
    return {}


CASES = [
    case("GET", "/", anon=200, buyer=302, vendor=302, admin=302, other=302),
    case("GET", "/login", anon=200, buyer=302, vendor=302, admin=302, other=302),
    case("POST", "/login", data={"email": "nobody@x.example", "password": "wrong-password"},
         anon=200, buyer=302, vendor=302, admin=302, other=302),
    case("POST", "/logout", anon=302, buyer=302, vendor=302, admin=302, other=302),
    case("GET", "/account", anon=302, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/account/tokens", data={"name": "ci"}, anon=302, buyer=200, vendor=200, admin=200, other=200),
    case("POST", "/account/tokens/<int:token_id>/revoke", "/account/tokens/999999/revoke",
         anon=302, buyer=404, vendor=404, admin=404, other=404),
    case("GET", "/c/<consortium_slug>/", "/c/gpsr/", anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/c/<consortium_slug>/members", "/c/gpsr/members",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/vendors", "/c/gpsr/vendors",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/users", "/c/gpsr/users",
         anon=302, buyer=403, approver=200, vendor=403, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/members/export.csv", "/c/gpsr/members/export.csv",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/vendors/export.csv", "/c/gpsr/vendors/export.csv",
         anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/c/<consortium_slug>/users/export.csv", "/c/gpsr/users/export.csv",
         anon=302, buyer=403, approver=200, vendor=403, admin=200, other=404),
    # Inviting (consortium/accounts): the admin, and a member's approver for their own city.
    case("GET", "/c/<consortium_slug>/users/new", "/c/gpsr/users/new",
         anon=302, buyer=403, approver=200, vendor=403, admin=200, other=404),
    case("POST", "/c/<consortium_slug>/users/new", "/c/gpsr/users/new",
         data={"email": "new.person@tempe.example", "organization_id": "999999", "role": "buyer"},
         anon=302, buyer=403, approver=400, vendor=403, admin=400, other=404),
    case("POST", "/c/<consortium_slug>/users/<int:user_id>/deactivate", "/c/gpsr/users/{user_id}/deactivate",
         setup=_tempe_buyer, anon=302, buyer=403, vendor=403, admin=302, other=404),
    case("POST", "/c/<consortium_slug>/users/<int:user_id>/reactivate", "/c/gpsr/users/{user_id}/reactivate",
         setup=_tempe_buyer, anon=302, buyer=403, vendor=403, admin=302, other=404),
    case("GET", "/api/v1/openapi.json", anon=200, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/api/v1/me", anon=401, buyer=200, vendor=200, admin=200, other=200),
    case("GET", "/api/v1/organizations", "/api/v1/organizations?consortium=gpsr",
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/static/<path:filename>", "/static/uswds/css/uswds.min.css",
         anon=200, buyer=200, vendor=200, admin=200, other=200),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
