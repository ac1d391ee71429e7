"""The planning pages: the needs list with the pooled demand, the need form (errors at the fields, input kept), the
need page's sections, the round page (rating grid, result, closing through the confirmation page) and the
roadmap. The demo's data (Mesa's closed round in the shape of example I) is what most of them show."""

from __future__ import annotations

import re

from sqlalchemy import select

from consortium.planning.models import Need, PriorityRound
from marketplace.extensions import db
from tests.consortium.planning_helpers import example_i_round, tokens


def page(client, login, email, url, **kwargs):
    login(email)
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def row(html: str, header: str) -> str:
    """The first table row whose row header mentions `header`."""
    for match in re.finditer(r"<tr[ >].*?</tr>", html, re.S):
        th = re.search(r'<th scope="row"[^>]*>(.*?)</th>', match.group(0), re.S)
        if th and header in th.group(1):
            return match.group(0)
    raise AssertionError(f"no row for {header!r}")


def test_the_needs_page_pools_demand_by_category(client, login):
    html = page(client, login, "buyer@tempe.example", "/c/gpsr/needs")
    parking = row(html, "Parking")  # Mesa's smart parking (deferred) and Tempe's curbside availability
    assert re.findall(r'<td class="num">([^<]+)</td>', parking) == ["2", "2", "$750,000.00"]
    assert "Public Wi-Fi in neighborhood parks" not in html  # Mesa's draft: not Tempe's to see
    assert 'aria-label="Pooled demand by category"' in html and "Mesa capital priorities FY2027" not in html
    csv = client.get("/c/gpsr/needs/export.csv?category=parking").get_data(as_text=True)
    assert csv.splitlines()[0].lstrip("\ufeff").startswith("reference,member,title")
    assert "Curbside parking availability" in csv and "Real-time signs" not in csv


def test_the_need_form_shows_errors_at_the_fields_and_keeps_the_input(app, client, login):
    login("buyer@mesa.example")
    with app.app_context():
        before = len(db.session.scalars(select(Need.id)).all())
    response = client.post("/c/gpsr/needs/new", data={
        "title": "Smart bins", "problem": "Overflowing bins.", "category": "waste", "estimated_cost": "50000.00",
        "fiscal_year": "2027", "funding_grant": "40000.00", "funding_budget": "20000.00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="error-summary"' in html and "Funding plan: The funding plan adds up to $60,000.00" in html
    assert 'id="funding-error"' in html and 'value="40000.00"' in html and 'value="Smart bins"' in html
    with app.app_context():
        assert len(db.session.scalars(select(Need.id)).all()) == before
    bad_year = client.post("/c/gpsr/needs/new", data={"title": "X", "problem": "Y", "category": "waste",
                                                      "estimated_cost": "5", "fiscal_year": "１２"})
    assert bad_year.status_code == 400
    assert "Enter the fiscal year as a year from 2000 to 2100, such as 2027." in bad_year.get_data(as_text=True)
    created = client.post("/c/gpsr/needs/new", data={"title": "Smart bins", "problem": "Overflowing bins.",
                                                     "category": "waste", "estimated_cost": "50000.00",
                                                     "fiscal_year": "2027", "funding_grant": "40000.00"})
    assert created.status_code == 302
    need_page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Submit need" in need_page and "Add financing" in need_page and "Sourcing and orders" in need_page
    assert re.search(r"Not yet funded</th><td class=\"num\">\$10,000.00", need_page)


def test_the_round_page_has_a_labelled_rating_grid_and_refuses_ratings_outside_one_to_five(app, client, login,
                                                                                              api_token):
    round_, needs = example_i_round(client, tokens(api_token), close=False)
    url = f"/c/gpsr/rounds/{round_['id']}"
    html = page(client, login, "approver@mesa.example", url)
    a = needs["A"]["id"]
    assert f'<label class="usa-sr-only" for="r-{a}-0">Rating of N-{a:05d} Need A on Resident benefit</label>' in html
    assert 'aria-label="Rating grid"' in html and "Ranking so far" in html
    refused = client.post(url + "/ratings", data={f"r-{a}-0": "9", f"r-{a}-1": "5", f"r-{a}-2": "5"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f'id="r-{a}-0-error">Rate from 1 to 5 (a whole number).</span>' in body and 'value="9"' in body
    after = client.get(f"/api/v1/priority-rounds/{round_['id']}", headers=api_token("approver@mesa.example"))
    assert next(c for c in after.get_json()["candidates"] if c["need_id"] == a)["ratings"]["Resident benefit"] == 4
    confirm = client.get(url + "/close").get_data(as_text=True)
    assert f"Close priority round {round_['reference']}?" in confirm and "$1,000,000.00" in confirm
    assert client.post(url + "/close").status_code == 302
    closed = client.get(url).get_data(as_text=True)
    assert "Deferred: does not fit the remaining $400,000.00" in closed
    assert re.search(r'data-testid="remaining">\$0.00<', closed) and 'id="r-' not in closed  # no grid after close


def test_the_demo_round_and_roadmap(app, client, login):
    with app.app_context():
        round_id = db.session.scalar(select(PriorityRound.id).where(
            PriorityRound.title == "Mesa capital priorities FY2027"))
    html = page(client, login, "buyer@mesa.example", f"/c/gpsr/rounds/{round_id}")
    ranking = re.search(r'data-testid="ranking".*?</table>', html, re.S).group(0)
    assert "Deferred: does not fit the remaining $400,000.00" in row(ranking, "Smart parking downtown")
    assert "Selected" in row(ranking, "EV charging at civic buildings")
    roadmap = page(client, login, "buyer@mesa.example", "/c/gpsr/roadmap")
    year = row(roadmap, "FY2027")
    assert "1 Jul 2026" in year and "30 Jun 2027" in year and "$1,000,000.00" in year
    assert 'aria-label="Funding plan by source and fiscal year"' in roadmap
    assert "Pilot: EV charging at civic buildings" in row(roadmap, "EV charging at civic buildings")
    assert "Adaptive street lighting on arterials" in row(roadmap, "Adaptive street lighting on arterials")
    financed = re.search(r'data-testid="financed-by-source".*?</table>', roadmap, re.S).group(0)
    assert "$150,000.00" in financed and "$300,000.00" in financed and "$450,000.00" in financed
    office = page(client, login, "admin@gpsr.example", "/c/gpsr/roadmap")
    assert 'id="roadmap-member"' in office
