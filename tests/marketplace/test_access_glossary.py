"""Access matrix for the glossary: public, outside any consortium, the same for everyone."""

import pytest

from tests.access import case, expand, run_case

CASES = [
    case("GET", "/glossary", anon=200, buyer=200, vendor=200, admin=200, other=200),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
