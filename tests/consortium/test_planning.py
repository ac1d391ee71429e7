"""Needs, priority rounds and the capital roadmap through the JSON API: example I end to end, bad input refused
with messages and nothing saved, ratings frozen at the close, who sees what (other tenants 404)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consortium.planning.models import Need, PriorityRound
from marketplace.extensions import db
from tests.consortium.planning_helpers import CRITERIA, example_i_round, make_need, need_body, ratings, tokens


@pytest.fixture
def people(api_token):
    return tokens(api_token)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def test_a_need_is_its_members_until_submitted_then_everyones(client, people):
    need = make_need(client, people["mesa_buyer"], submit=False, title="Curb sensors",
                     funding=[{"source": "grant", "amount": "40000.00"}, {"source": "budget", "amount": "60000.00"}])
    assert need["status"] == "draft" and need["funded"] == "100000.00" and need["unfunded"] == "0.00"
    url = f"/api/v1/needs/{need['id']}"
    assert client.get(url, headers=people["tempe_buyer"]).status_code == 404
    assert client.get(url, headers=people["admin"]).status_code == 200
    assert client.get(url, headers=people["vendor"]).status_code == 404
    assert client.get(url, headers=people["stranger"]).status_code == 404
    assert client.post(url + "/submit", headers=people["tempe_buyer"]).status_code == 404
    assert client.post(url + "/submit", headers=people["mesa_buyer"]).get_json()["status"] == "submitted"
    assert client.get(url, headers=people["tempe_buyer"]).status_code == 200
    listed = client.get("/api/v1/needs?category=parking", headers=people["tempe_buyer"]).get_json()
    assert need["id"] in [n["id"] for n in listed["results"]]
    assert client.get(url, headers=people["stranger"]).status_code == 404
    assert client.get("/api/v1/needs", headers=people["vendor"]).get_json() == {"results": [], "total": 0}
    again = client.post(url + "/submit", headers=people["mesa_buyer"])
    assert again.status_code == 409 and "submitted" in again.get_json()["error"]["message"]


def test_funding_above_the_estimate_is_refused_with_a_field_message_and_nothing_saved(app, client, people):
    before = count(app, Need)
    body = need_body(cost="100000.00", funding=[{"source": "grant", "amount": "60000.00"},
                                                {"source": "bond", "amount": "40000.01"}])
    refused = client.post("/api/v1/needs", json=body, headers=people["mesa_buyer"])
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"]["funding"] == (
        "The funding plan adds up to $100,000.01, more than the estimated cost of $100,000.00: the amounts can never "
        "exceed the estimate.")
    twice = client.post("/api/v1/needs", json=need_body(funding=[{"source": "grant", "amount": "1.00"},
                                                                 {"source": "grant", "amount": "2.00"}]),
                        headers=people["mesa_buyer"])
    assert "already in the plan" in twice.get_json()["error"]["fields"]["funding.1.source"]
    assert count(app, Need) == before
    need = make_need(client, people["mesa_buyer"], cost="1000.00")
    patched = client.patch(f"/api/v1/needs/{need['id']}", json={"funding": [{"source": "fund", "amount": "1000.01"}]},
                           headers=people["mesa_buyer"])
    assert patched.status_code == 400 and "funding" in patched.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/needs/{need['id']}", headers=people["mesa_buyer"]).get_json()["funding"] == []


def test_weights_must_add_up_to_one(app, client, people):
    before = count(app, PriorityRound)
    body = {"title": "Round", "fiscal_year": 2027, "budget": "1000.00",
            "criteria": [{"name": "Benefit", "weight": "0.5"}, {"name": "Cost", "weight": "0.4"}]}
    refused = client.post("/api/v1/priority-rounds", json=body, headers=people["mesa_approver"])
    assert refused.status_code == 400
    assert refused.get_json()["error"]["fields"]["criteria"] == (
        "The weights add up to 0.9; they must add up to exactly 1.")
    duplicate = client.post("/api/v1/priority-rounds", json={**body, "criteria": [
        {"name": "Benefit", "weight": "0.5"}, {"name": "benefit", "weight": "0.5"}]}, headers=people["mesa_approver"])
    assert duplicate.get_json()["error"]["fields"]["criteria.1.name"] == "Each criterion needs a different name."
    assert count(app, PriorityRound) == before
    assert client.post("/api/v1/priority-rounds", json={**body, "criteria": CRITERIA},
                       headers=people["mesa_buyer"]).status_code == 403  # a buyer does not run rounds


def test_ratings_outside_one_to_five_are_refused_and_nothing_changes(client, people):
    round_, needs = example_i_round(client, people, close=False)
    need_id = needs["A"]["id"]
    url = f"/api/v1/priority-rounds/{round_['id']}/ratings"
    for bad in (0, 6, "4", 4.5):
        refused = client.put(url, json={"need_id": need_id, "ratings": {"Savings": bad}},
                             headers=people["mesa_approver"])
        assert refused.status_code == 400, bad
        assert "ratings.Savings" in refused.get_json()["error"]["fields"]
    unknown = client.put(url, json={"need_id": need_id, "ratings": {"Beauty": 3}}, headers=people["mesa_approver"])
    assert unknown.get_json()["error"]["fields"]["ratings.Beauty"] == "Not a criterion of this round."
    after = client.get(f"/api/v1/priority-rounds/{round_['id']}", headers=people["mesa_approver"]).get_json()
    assert next(c for c in after["candidates"] if c["need_id"] == need_id)["ratings"] == ratings((4, 5, 5))


def test_closing_ranks_and_selects_as_example_i(client, people):
    round_, needs = example_i_round(client, people)
    assert round_["status"] == "closed" and round_["final"] is True
    assert [(r["title"], r["score"], r["rank"], r["selected"]) for r in round_["ranking"]] == [
        ("Need A", "4.6", 1, True), ("Need B", "4.2", 2, False), ("Need C", "3.9", 3, True), ("Need D", "3.1", 4, True)]
    assert round_["ranking"][1]["reason"] == "does not fit the remaining $400,000.00"
    assert round_["selected_total"] == "1000000.00" and round_["remaining"] == "0.00"
    statuses = {name: client.get(f"/api/v1/needs/{n['id']}", headers=people["mesa_buyer"]).get_json()["status"]
                for name, n in needs.items()}
    assert statuses == {"A": "selected", "B": "deferred", "C": "selected", "D": "selected"}


def test_a_round_cannot_close_while_a_need_lacks_a_rating_and_ratings_freeze_at_the_close(client, people):
    round_, needs = example_i_round(client, people, close=False)
    url = f"/api/v1/priority-rounds/{round_['id']}"
    late = make_need(client, people["mesa_buyer"], title="Late need")
    assert client.post(url + "/needs", json={"need_id": late["id"]}, headers=people["mesa_approver"]).status_code == 201
    client.put(url + "/ratings", json={"need_id": late["id"], "ratings": {"Savings": 5}},
               headers=people["mesa_approver"])
    refused = client.post(url + "/close", headers=people["mesa_approver"])
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert f"N-{late['id']:05d}" in message and "Late need" in message and "“Resident benefit”, “Readiness”" in message
    assert client.get(url, headers=people["mesa_approver"]).get_json()["status"] == "open"
    assert client.get(f"/api/v1/needs/{needs['A']['id']}", headers=people["mesa_buyer"]).get_json()["status"] == \
        "submitted"
    client.put(url + "/ratings", json={"need_id": late["id"], "ratings": ratings((1, 5, 1))},
               headers=people["mesa_approver"])
    assert client.post(url + "/close", headers=people["mesa_buyer"]).status_code == 403
    assert client.post(url + "/close", headers=people["mesa_approver"]).status_code == 200
    frozen = client.put(url + "/ratings", json={"need_id": late["id"], "ratings": {"Savings": 1}},
                        headers=people["mesa_approver"])
    assert frozen.status_code == 409 and "cannot be rated now" in frozen.get_json()["error"]["message"]
    assert client.post(url + "/needs", json={"need_id": late["id"]},
                       headers=people["mesa_approver"]).status_code == 409
    assert client.post(url + "/close", headers=people["mesa_approver"]).status_code == 409


def test_a_members_round_takes_only_its_submitted_needs(client, people):
    created = client.post("/api/v1/priority-rounds", json={"title": "Only Mesa", "fiscal_year": 2027,
                                                           "budget": "1000.00", "criteria": CRITERIA},
                          headers=people["mesa_approver"])
    url = f"/api/v1/priority-rounds/{created.get_json()['id']}/needs"
    tempe = make_need(client, people["tempe_buyer"])
    draft = make_need(client, people["mesa_buyer"], submit=False)
    for need in (tempe, draft):
        refused = client.post(url, json={"need_id": need["id"]}, headers=people["mesa_approver"])
        assert refused.status_code == 400
        assert refused.get_json()["error"]["fields"]["need_id"] == "No submitted need of Mesa with this id."
    regional = client.post("/api/v1/priority-rounds", json={"title": "Region", "fiscal_year": 2027,
                                                            "budget": "1000.00", "criteria": CRITERIA},
                           headers=people["admin"]).get_json()
    assert regional["regional"] is True
    added = client.post(f"/api/v1/priority-rounds/{regional['id']}/needs", json={"need_id": tempe["id"]},
                        headers=people["admin"])
    assert added.status_code == 201
    assert client.get(f"/api/v1/priority-rounds/{regional['id']}", headers=people["tempe_buyer"]).status_code == 200
    assert client.get(f"/api/v1/priority-rounds/{created.get_json()['id']}",
                      headers=people["tempe_buyer"]).status_code == 404
    assert client.get(f"/api/v1/priority-rounds/{regional['id']}", headers=people["stranger"]).status_code == 404


def test_the_roadmap_totals_funding_and_financing_by_source_and_year(client, people):
    needs = {}
    for name, cost, funding, year in (("R1", "200000.00", [("budget", "50000.00"), ("grant", "100000.00")], 2028),
                                      ("R2", "100000.00", [("grant", "30000.00")], 2029)):
        needs[name] = make_need(client, people["mesa_buyer"], title=name, cost=cost, year=year,
                                funding=[{"source": s, "amount": a} for s, a in funding])
    created = client.post("/api/v1/priority-rounds", json={"title": "Roadmap", "fiscal_year": 2028,
                                                           "budget": "300000.00", "criteria": CRITERIA},
                          headers=people["mesa_approver"]).get_json()
    for need in needs.values():
        client.post(f"/api/v1/priority-rounds/{created['id']}/needs", json={"need_id": need["id"]},
                    headers=people["mesa_approver"])
        client.put(f"/api/v1/priority-rounds/{created['id']}/ratings",
                   json={"need_id": need["id"], "ratings": ratings((5, 5, 5))}, headers=people["mesa_approver"])
    assert client.post(f"/api/v1/priority-rounds/{created['id']}/close",
                       headers=people["mesa_approver"]).status_code == 200
    loan = {"need_id": needs["R1"]["id"], "kind": "loan", "partner": "State bank", "principal": "40000.00",
            "annual_rate": "3", "years": 5, "payments_per_year": 1, "first_payment_on": "2028-07-01"}
    assert client.post("/api/v1/financing", json=loan, headers=people["mesa_buyer"]).status_code == 201
    grant = {"need_id": needs["R2"]["id"], "kind": "grant", "partner": "State DOT", "principal": "25000.00"}
    added = client.post("/api/v1/financing", json=grant, headers=people["mesa_buyer"])
    assert added.status_code == 201 and added.get_json()["need_id"] == needs["R2"]["id"]
    assert added.get_json()["order_id"] is None
    guarantee = {"need_id": needs["R2"]["id"], "kind": "guarantee", "partner": "Bank", "principal": "5000.00"}
    assert client.post("/api/v1/financing", json=guarantee, headers=people["mesa_buyer"]).status_code == 201
    both = client.post("/api/v1/financing", json={**grant, "order_id": 1}, headers=people["mesa_buyer"])
    assert both.status_code == 400 and both.get_json()["error"]["fields"]["order_id"].startswith("Give either")
    assert client.post("/api/v1/financing", json=grant, headers=people["tempe_buyer"]).status_code == 403
    assert client.post("/api/v1/financing", json=grant, headers=people["stranger"]).status_code == 404

    roadmap = client.get("/api/v1/roadmap", headers=people["mesa_buyer"]).get_json()
    assert roadmap["fiscal_year_start_month"] == 7
    years = {y["fiscal_year"]: y for y in roadmap["years"]}
    assert years[2028]["starts_on"] == "2027-07-01" and years[2028]["ends_on"] == "2028-06-30"
    r1 = next(n for n in years[2028]["needs"] if n["id"] == needs["R1"]["id"])
    assert r1["status"] == "selected" and r1["financing"][0]["source"] == "bond"
    assert years[2028]["financed"]["bond"] == "40000.00"
    assert years[2029]["planned"] == {"grant": "30000.00"} and years[2029]["financed"] == {"grant": "25000.00"}
    assert years[2029]["cost"] == "100000.00"
    totals = roadmap["totals"]
    for kind in ("planned", "financed"):  # the totals per source are the sums of the years, to the cent
        summed = {}
        for year in years.values():
            for source, amount in year[kind].items():
                summed[source] = summed.get(source, Decimal(0)) + Decimal(amount)
        assert {s: Decimal(a) for s, a in totals[kind].items()} == summed
        assert Decimal(totals[f"{kind}_total"]) == sum(summed.values())
    assert "guarantee" not in totals["financed"]  # a guarantee brings no money: not counted

    member_id = roadmap["member_id"]
    assert client.get(f"/api/v1/roadmap?member_id={member_id}", headers=people["admin"]).status_code == 200
    assert client.get("/api/v1/roadmap", headers=people["admin"]).status_code == 400
    assert client.get(f"/api/v1/roadmap?member_id={member_id}", headers=people["tempe_buyer"]).status_code == 404
    assert client.get("/api/v1/roadmap", headers=people["vendor"]).status_code == 403
    assert client.get(f"/api/v1/roadmap?member_id={member_id}", headers=people["stranger"]).status_code == 404

