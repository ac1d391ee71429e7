"""Access matrix for the load balancer's health check: public, outside any consortium, the same for
everyone (it tells nothing about tenants)."""

import pytest

from tests.access import case, expand, run_case


def _build_the_search_index():
    from catalog.search import reindex

    reindex()  # each test starts without an index, which /healthz rightly reports as 503
    return {}


CASES = [
    case("GET", "/healthz", anon=200, buyer=200, vendor=200, admin=200, other=200, setup=_build_the_search_index),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
