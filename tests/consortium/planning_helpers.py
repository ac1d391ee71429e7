"""Helpers for the planning and sourcing tests: people's API tokens, and needs and rounds made through the API."""

from __future__ import annotations

from datetime import date, timedelta

CRITERIA = [{"name": "Resident benefit", "weight": "0.4"}, {"name": "Savings", "weight": "0.3"},
            {"name": "Readiness", "weight": "0.3"}]
# Example I (DESIGN section 5b): cost and ratings giving the scores 4.6, 4.2, 3.9 and 3.1.
EXAMPLE_I = [("A", "600000.00", (4, 5, 5)), ("B", "500000.00", (3, 5, 5)), ("C", "300000.00", (3, 5, 4)),
             ("D", "100000.00", (4, 3, 2))]
PEOPLE = {"mesa_buyer": "buyer@mesa.example", "mesa_approver": "approver@mesa.example",
          "tempe_buyer": "buyer@tempe.example", "tempe_approver": "approver@tempe.example",
          "chandler_approver": "approver@chandler.example", "admin": "admin@gpsr.example",
          "vendor": "vendor@parksense.example", "flow": "vendor@flowmobility.example",
          "bright": "vendor@brightstreet.example", "stranger": "buyer@boulder.example"}


def tokens(api_token) -> dict:
    headers = {}
    for key, email in PEOPLE.items():
        headers[key] = {**api_token(email), "X-Consortium": "frca" if key == "stranger" else "gpsr"}
    return headers


def need_body(title="Test need", cost="100000.00", category="parking", funding=None, year=2027) -> dict:
    return {"title": title, "problem": "Something goes wrong.", "category": category, "estimated_cost": cost,
            "benefits": "Things get better.", "fiscal_year": year, "funding": funding or []}


def make_need(client, who, *, submit=True, **kwargs) -> dict:
    created = client.post("/api/v1/needs", json=need_body(**kwargs), headers=who)
    assert created.status_code == 201, created.get_json()
    need = created.get_json()
    if submit:
        submitted = client.post(f"/api/v1/needs/{need['id']}/submit", headers=who)
        assert submitted.status_code == 200, submitted.get_json()
        need = submitted.get_json()
    return need


def ratings(values) -> dict:
    return {c["name"]: v for c, v in zip(CRITERIA, values, strict=True)}


def example_i_round(client, people, *, close=True, title="Test round") -> tuple[dict, dict]:
    """Mesa's needs A–D and a round over them rated as example I; closed unless asked not to."""
    needs = {name: make_need(client, people["mesa_buyer"], title=f"Need {name}", cost=cost)
             for name, cost, _ in EXAMPLE_I}
    created = client.post("/api/v1/priority-rounds", json={"title": title, "fiscal_year": 2027,
                                                           "budget": "1000000.00", "criteria": CRITERIA},
                          headers=people["mesa_approver"])
    assert created.status_code == 201, created.get_json()
    round_id = created.get_json()["id"]
    for name, _, values in EXAMPLE_I:
        added = client.post(f"/api/v1/priority-rounds/{round_id}/needs", json={"need_id": needs[name]["id"]},
                            headers=people["mesa_approver"])
        assert added.status_code == 201, added.get_json()
        rated = client.put(f"/api/v1/priority-rounds/{round_id}/ratings",
                           json={"need_id": needs[name]["id"], "ratings": ratings(values)},
                           headers=people["mesa_approver"])
        assert rated.status_code == 200, rated.get_json()
    result = client.get(f"/api/v1/priority-rounds/{round_id}", headers=people["mesa_approver"]).get_json()
    if close:
        closed = client.post(f"/api/v1/priority-rounds/{round_id}/close", headers=people["mesa_approver"])
        assert closed.status_code == 200, closed.get_json()
        result = closed.get_json()
    return result, needs


MOU = {"roles": "City sites, vendor operates.", "data_sharing": "City owns the data.",
       "revenue_sharing": "None in the pilot.", "intellectual_property": "Vendor keeps its software.",
       "term": "Six months, then a vehicle."}
METRICS = [{"kpi": "Occupancy accuracy", "unit": "percent", "direction": "higher", "baseline": "0", "target": "95"}]


def rfi_body(title="Curb sensors RFI", category="parking", due=None, need_ids=None) -> dict:
    due = due or (date.today() + timedelta(days=30)).isoformat()
    return {"title": title, "problem": "Drivers circle.", "outcomes": "Less circling.", "category": category,
            "responses_due": due, "need_ids": need_ids or [], "mou_outline": dict(MOU)}


def positions(accept=("roles", "data_sharing", "revenue_sharing", "intellectual_property", "term"), comment="") -> dict:
    return {p: ({"position": "accept"} if p in accept else {"position": "comment", "comment": comment or "Change it."})
            for p in MOU}


def response_body(price="90000.00", listing_id=None, **kwargs) -> dict:
    body = {"summary": "We would do it well.", "pricing_models": ["as_a_service"], "indicative_price": price,
            "mou": positions(**kwargs)}
    if listing_id is not None:
        body["listing_id"] = listing_id
    return body
