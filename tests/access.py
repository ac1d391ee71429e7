"""The access-matrix harness: route × role × tenant → expected status.

Each domain's `test_access.py` lists `CASES`; `tests/test_access_complete.py` fails when a
registered route (rule and method) has no case. Principals are people of Greater Phoenix (the
tenant the URLs point at) and of Front Range (strangers to it, who must get 404, never 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PRINCIPALS: dict[str, str | None] = {
    "anon": None,
    "buyer": "buyer@mesa.example",
    "approver": "approver@mesa.example",
    "vendor": "vendor@parksense.example",
    "admin": "admin@gpsr.example",
    "other_buyer": "buyer@boulder.example",
    "other_admin": "admin@frca.example",
}


@dataclass
class Case:
    method: str
    rule: str
    expect: dict[str, int]
    url: str | None = None
    data: dict | None = None
    json: dict | None = None
    setup: Callable[[], dict] | None = None
    id: str = ""
    tags: list[str] = field(default_factory=list)

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")


def case(method: str, rule: str, url: str | None = None, *, anon: int, buyer: int, approver: int | None = None,
         vendor: int, admin: int, other: int | None = None, other_buyer: int | None = None,
         other_admin: int | None = None, data=None, json=None, setup=None) -> Case:
    """One row of the matrix. `approver` defaults to `buyer`; `other` sets both strangers."""
    expect = {
        "anon": anon,
        "buyer": buyer,
        "approver": buyer if approver is None else approver,
        "vendor": vendor,
        "admin": admin,
        "other_buyer": other_buyer if other_buyer is not None else other,
        "other_admin": other_admin if other_admin is not None else other,
    }
    missing = [k for k, v in expect.items() if v is None]
    if missing:
        raise ValueError(f"{method} {rule}: no expectation for {missing}")
    return Case(method=method, rule=rule, url=url or rule, expect=expect, data=data, json=json, setup=setup,
                id=f"{method} {url or rule}")


def expand(cases: list[Case]) -> list[tuple[Case, str]]:
    return [(c, principal) for c in cases for principal in PRINCIPALS]


def run_case(app, client, login, api_token, c: Case, principal: str) -> None:
    from marketplace.extensions import db

    ids = {}
    if c.setup is not None:
        with app.test_request_context():
            ids = c.setup() or {}
            db.session.commit()
    url = c.url.format(**ids)
    email = PRINCIPALS[principal]
    headers = {}
    if c.is_api:
        client.post("/logout")
        if email:
            headers = api_token(email)
    else:
        login(email)
    # A body may name what the setup made: give a function of the setup's ids instead of a dict.
    data = c.data(ids) if callable(c.data) else c.data
    body = c.json(ids) if callable(c.json) else c.json
    response = client.open(url, method=c.method, data=data, json=body, headers=headers)
    expected = c.expect[principal]
    assert response.status_code == expected, (
        f"{c.method} {url} as {principal}: expected {expected}, got {response.status_code}\n"
        f"{response.get_data(as_text=True)[:600]}"
    )
