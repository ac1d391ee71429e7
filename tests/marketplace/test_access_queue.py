"""Access matrix for the work queue: everyone who works in a consortium reads their own queue there; strangers
to it get 404; nobody signed in gets 401 (before any consortium is looked up)."""

import pytest

from tests.access import case, expand, run_case

CASES = [
    case("GET", "/api/v1/queue", "/api/v1/queue?consortium=gpsr",
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    # without a consortium named, the caller's own: Front Range people read theirs
    case("GET", "/api/v1/queue", anon=401, buyer=200, vendor=200, admin=200, other=200),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
