"""Financing instruments and innovation funds end to end, through the JSON API and the pages: examples E, F
and G to the cent, bad input refused with messages, who may do what, and the pages' tables, chart and CSV."""

from __future__ import annotations

import copy
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.contracts.invoice_helpers import people_for, verify
from tests.contracts.order_factories import lines_for, make_vehicle
from tests.contracts.performance_builders import savings_section


def example_b_terms(periods: int = 5) -> dict:
    """Example B's shared savings, measured yearly; the first years ended long ago."""
    return {"period": "year", "periods": periods, "start_date": date(date.today().year - 4, 1, 1).isoformat(),
            "fixed_fee": "0.00", "at_risk_fee": "0.00", "bonus_pool": "0.00", "holdback_pct": "0",
            "holdback_window": 1, "kpis": [], "shared_savings": savings_section()}


@pytest.fixture
def people(api_token):
    return {**people_for(api_token), "mesa_approver": api_token("approver@mesa.example"),
            "mesa_buyer": api_token("buyer@mesa.example")}


@pytest.fixture
def vehicle(app):
    with app.test_request_context():
        return make_vehicle(ceiling="90000000.00")


def order(client, people, vehicle, performance=None, *, accept=True) -> int:
    """A Tempe order from ParkSense under `vehicle`: approved, or active when accepted."""
    body = {"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")}
    if performance is not None:
        body["performance"] = copy.deepcopy(performance)
    created = client.post("/api/v1/orders", json=body, headers=people["buyer"])
    assert created.status_code == 201, created.get_json()
    order_id = created.get_json()["id"]
    status = client.post(f"/api/v1/orders/{order_id}/submit", headers=people["buyer"]).get_json()["status"]
    if status == "pending_approval":
        assert client.post(f"/api/v1/orders/{order_id}/approve", headers=people["approver"]).status_code == 200
    if accept:
        assert client.post(f"/api/v1/orders/{order_id}/accept", headers=people["vendor"]).status_code == 200
    return order_id


def post(client, path, who, body):
    return client.post(path, json=body, headers=who)


def office_fund(client, people, contribution="500000.00") -> int:
    created = post(client, "/api/v1/funds", people["admin"], {"name": "Test innovation fund"})
    assert created.status_code == 201, created.get_json()
    fund_id = created.get_json()["id"]
    added = post(client, f"/api/v1/funds/{fund_id}/contributions", people["admin"],
                 {"amount": contribution, "source": "FY2027 appropriation", "received_on": "2026-01-15"})
    assert added.status_code == 201, added.get_json()
    return fund_id


# --- financing instruments ----------------------------------------------------------------------------


def test_example_e_through_the_api_with_the_adjusted_last_payment(client, people, vehicle):
    order_id = order(client, people, vehicle)
    created = post(client, "/api/v1/financing", people["buyer"], {
        "order_id": order_id, "kind": "loan", "partner": "State infrastructure bank", "principal": "1000000.00",
        "annual_rate": "4", "years": 10, "payments_per_year": 1, "first_payment_on": "2027-06-30"})
    assert created.status_code == 201, created.get_json()
    loan = client.get(f"/api/v1/financing/{created.get_json()['id']}", headers=people["vendor"]).get_json()
    assert loan["payment"] == "123290.94" and loan["total_interest"] == "232909.46"
    assert loan["schedule"][0] == {"n": 1, "due_on": "2027-06-30", "payment": "123290.94", "interest": "40000.00",
                                   "principal": "83290.94", "balance": "916709.06"}
    assert loan["schedule"][-1]["payment"] == "123291.00" and loan["schedule"][-1]["balance"] == "0.00"
    monthly = post(client, "/api/v1/financing", people["admin"], {
        "order_id": order_id, "kind": "lease", "partner": "ParkSense Capital", "principal": "250000.00",
        "annual_rate": "6", "years": 5, "payments_per_year": 12, "first_payment_on": "2027-01-31"}).get_json()
    assert (monthly["payment"], monthly["last_payment"], monthly["total_interest"]) == ("4833.20", "4833.24",
                                                                                        "39992.04")
    assert [row["due_on"] for row in monthly["schedule"][:3]] == ["2027-01-31", "2027-02-28", "2027-03-31"]


def test_example_f_mini_bond_and_a_recorded_grant(client, people, vehicle):
    order_id = order(client, people, vehicle)
    bond = post(client, "/api/v1/financing", people["approver"], {
        "order_id": order_id, "kind": "mini_bond", "partner": "Denver residents", "issue_price": "500.00",
        "maturity_value": "750.00", "years": 9, "units": 24000})
    assert bond.status_code == 201, bond.get_json()
    assert {k: bond.get_json()[k] for k in ("yield_pct", "proceeds", "liability")} == {
        "yield_pct": "4.6082", "proceeds": "12000000.00", "liability": "18000000.00"}
    grant = post(client, "/api/v1/financing", people["buyer"], {
        "order_id": order_id, "kind": "grant", "partner": "US DOT SMART program", "principal": "2000000.00",
        "notes": "Stage 1 award"}).get_json()
    assert grant["principal"] == "2000000.00" and "schedule" not in grant and grant["need_id"] is None


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"annual_rate": "-1"}, "annual_rate", "percentage from 0 to 100"),
    ({"annual_rate": "100.5"}, "annual_rate", "percentage from 0 to 100"),
    ({"years": 0}, "years", "at least 1"),
    ({"years": "2.5"}, "years", "type integer"),
    ({"payments_per_year": 3}, "payments_per_year", "one of"),
    ({"principal": "0"}, "principal", "more than zero"),
])
def test_bad_loans_are_refused_with_a_message_per_field(client, people, vehicle, body, field, words):
    order_id = order(client, people, vehicle, accept=False)
    loan = {"order_id": order_id, "kind": "loan", "partner": "Bank", "principal": "1000.00", "annual_rate": "4",
            "years": 10, "payments_per_year": 1, "first_payment_on": "2027-01-01", **body}
    refused = post(client, "/api/v1/financing", people["buyer"], loan)
    assert refused.status_code == 400
    assert words in refused.get_json()["error"]["fields"][field]


def test_form_input_gets_the_same_rules_as_the_api(app, client, login, vehicle, people):
    order_id = order(client, people, vehicle)
    login("buyer@tempe.example")
    page = client.post(f"/c/gpsr/orders/{order_id}/financing/new", data={
        "kind": "loan", "partner": "Bank", "principal": "1000", "annual_rate": "101", "years": "0",
        "payments_per_year": "3", "first_payment_on": "2027-01-01", "issue_price": "5"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "The annual rate cannot be more than 100." in text
    assert "Enter the term in years as a whole number from 1 to 50." in text
    assert "Choose 1, 2, 4 or 12 payments a year" in text
    assert "A loan has no issue price; leave it out." in text
    bond = client.post(f"/c/gpsr/orders/{order_id}/financing/new", data={
        "kind": "mini_bond", "partner": "Residents", "issue_price": "500", "maturity_value": "400", "years": "5",
        "units": "10"})
    assert bond.status_code == 400
    assert "is below the issue price ($500.00)" in bond.get_data(as_text=True)


def test_the_instrument_page_has_the_schedule_chart_and_csv(client, login, people, vehicle):
    order_id = order(client, people, vehicle)
    login("buyer@tempe.example")
    added = client.post(f"/c/gpsr/orders/{order_id}/financing/new", data={
        "kind": "vendor_financing", "partner": "=ParkSense Capital", "principal": "1,000,000.00", "annual_rate": "4",
        "years": "10", "payments_per_year": "1", "first_payment_on": "2027-06-30"})
    assert added.status_code == 302
    page = client.get(added.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<div class="usa-table-container--scrollable" tabindex="0" role="region"' in html
    assert '<th scope="row">1</th>' in html and "$123,290.94" in html and "$123,291.00" in html
    assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0] and " style=" not in html
    order_page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Add financing" in order_page and "Vendor financing" in order_page
    csv = client.get(added.headers["Location"] + "/schedule.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = csv.get_data().decode("utf-8")
    assert body.startswith("\ufeffn,due_on,payment,interest,principal,balance\r\n")
    assert "1,2027-06-30,123290.94,40000.00,83290.94,916709.06\r\n" in body
    assert body.rstrip().endswith("10,2036-06-30,123291.00,4741.96,118549.04,0.00")


def test_who_may_add_financing(client, people, vehicle):
    order_id = order(client, people, vehicle)
    body = {"order_id": order_id, "kind": "grant", "partner": "State", "principal": "10.00"}
    assert post(client, "/api/v1/financing", people["vendor"], body).status_code == 403
    assert post(client, "/api/v1/financing", people["mesa_buyer"], body).status_code == 404  # not Mesa's order
    assert post(client, "/api/v1/financing", people["admin"], body).status_code == 201


# --- funds ---------------------------------------------------------------------------------------------


def test_example_g_repaid_from_verified_savings_only(client, people, vehicle):
    fund_id = office_fund(client, people)
    financed = order(client, people, vehicle, example_b_terms())
    other = order(client, people, vehicle, example_b_terms())
    drawn = post(client, f"/api/v1/funds/{fund_id}/draws", people["admin"],
                 {"order_id": financed, "amount": "200000.00", "repayment_pct": "100"})
    assert drawn.status_code == 201, drawn.get_json()
    assert drawn.get_json()["balance"] == "300000.00"
    refused = post(client, f"/api/v1/funds/{fund_id}/draws", people["admin"],
                   {"order_id": other, "amount": "350000.00", "repayment_pct": "100"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == (
        "The fund has $300,000.00 available; a draw of $350,000.00 is refused.")
    balances = []
    for period in (1, 2, 3):
        # Reported but not verified: nothing is repaid yet.
        obs = post(client, f"/api/v1/orders/{financed}/observations", people["vendor"],
                   {"period": period, "kpi": "energy_use", "value": "1800000", "note": "Utility bills"}).get_json()
        assert client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()["balance"] == (
            balances[-1] if balances else "300000.00")
        assert post(client, f"/api/v1/observations/{obs['id']}/verify", people["buyer"], {}).status_code == 200
        balances.append(client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()["balance"])
    assert balances == ["375900.00", "451800.00", "500000.00"]
    fund = client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()
    draw = fund["draws"][0]
    assert [(r["period"], r["amount"]) for r in draw["repayments"]] == [(1, "75900.00"), (2, "75900.00"),
                                                                      (3, "48200.00")]
    assert (draw["repaid"], draw["outstanding"], fund["repaid"]) == ("200000.00", "0.00", "200000.00")
    assert draw["projected"] == []  # fully repaid: nothing left to project
    # a fourth verified year repays nothing more (the draw is repaid)
    verify(client, people, financed, 4, "1800000", kpi="energy_use")
    assert client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()["balance"] == "500000.00"


def test_projected_repayments_are_shown_apart_from_verified_ones(client, people, vehicle):
    fund_id = office_fund(client, people)
    financed = order(client, people, vehicle, example_b_terms())
    post(client, f"/api/v1/funds/{fund_id}/draws", people["admin"],
         {"order_id": financed, "amount": "200000.00", "repayment_pct": "50"})
    verify(client, people, financed, 1, "1800000", kpi="energy_use")
    draw = client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()["draws"][0]
    assert draw["repayments"] == [{"period": 1, "amount": "37950.00", "on": draw["repayments"][0]["on"]}]
    # the guarantee (200,000.00 of savings) leaves the city 60,000.00 a year: half of it is projected
    assert [(p["period"], p["amount"]) for p in draw["projected"]] == [(2, "30000.00"), (3, "30000.00"),
                                                                      (4, "30000.00"), (5, "30000.00")]


def test_draw_rules(client, people, vehicle):
    fund_id = office_fund(client, people, "1000.00")
    approved = order(client, people, vehicle, accept=False)
    path = f"/api/v1/funds/{fund_id}/draws"
    bad = post(client, path, people["admin"], {"order_id": approved, "amount": "10.00", "repayment_pct": "101"})
    assert bad.status_code == 400 and "repayment_pct" in bad.get_json()["error"]["fields"]
    assert post(client, path, people["admin"],
                {"order_id": 999999, "amount": "10.00", "repayment_pct": "1"}).status_code == 400
    assert post(client, path, people["approver"],  # Tempe's approver does not run the office's fund
                {"order_id": approved, "amount": "10.00", "repayment_pct": "1"}).status_code == 404
    ok = post(client, path, people["admin"], {"order_id": approved, "amount": "10.00", "repayment_pct": "0"})
    assert ok.status_code == 201, ok.get_json()
    again = post(client, path, people["admin"], {"order_id": approved, "amount": "10.00", "repayment_pct": "0"})
    assert again.status_code == 409 and "already financed" in again.get_json()["error"]["message"]
    draft = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")},
                        headers=people["buyer"]).get_json()
    not_yet = post(client, path, people["admin"], {"order_id": draft["id"], "amount": "1.00", "repayment_pct": "1"})
    assert not_yet.status_code == 409 and "approved or active orders only" in not_yet.get_json()["error"]["message"]
    future = post(client, f"/api/v1/funds/{fund_id}/contributions", people["admin"],
                  {"amount": "1.00", "source": "x", "received_on": "2999-01-01"})
    assert future.status_code == 400 and "future" in future.get_json()["error"]["fields"]["received_on"]


def test_a_members_fund_is_its_own(client, people, vehicle):
    created = post(client, "/api/v1/funds", people["approver"], {"name": "Tempe revolving fund"})
    assert created.status_code == 201, created.get_json()
    fund_id = created.get_json()["id"]
    assert created.get_json()["owner"] == "Tempe"
    assert post(client, "/api/v1/funds", people["buyer"], {"name": "Buyer's fund"}).status_code == 403
    assert post(client, "/api/v1/funds", people["approver"], {"name": "Tempe revolving fund"}).status_code == 400
    assert client.get(f"/api/v1/funds/{fund_id}", headers=people["buyer"]).status_code == 200  # Tempe sees it
    assert client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).status_code == 200  # so does the office
    assert client.get(f"/api/v1/funds/{fund_id}", headers=people["mesa_buyer"]).status_code == 404
    assert client.get(f"/api/v1/funds/{fund_id}", headers=people["vendor"]).status_code == 404
    contribution = {"amount": "100.00", "source": "Budget", "received_on": "2026-01-01"}
    assert post(client, f"/api/v1/funds/{fund_id}/contributions", people["admin"], contribution).status_code == 403
    assert post(client, f"/api/v1/funds/{fund_id}/contributions", people["buyer"], contribution).status_code == 403
    assert post(client, f"/api/v1/funds/{fund_id}/contributions", people["approver"], contribution).status_code == 201
    mesa_order = client.post("/api/v1/orders", json={"vehicle_id": vehicle.id, "lines": lines_for(vehicle, "1")},
                             headers=people["mesa_buyer"]).get_json()
    refused = post(client, f"/api/v1/funds/{fund_id}/draws", people["approver"],
                   {"order_id": mesa_order["id"], "amount": "1.00", "repayment_pct": "1"})
    assert refused.status_code == 400 and "of Tempe" in refused.get_json()["error"]["fields"]["order_id"]


def test_the_fund_page_shows_the_balance_over_time_and_the_draw_form(client, login, people, vehicle):
    fund_id = office_fund(client, people)
    financed = order(client, people, vehicle, example_b_terms())
    login("admin@gpsr.example")
    over = client.post(f"/c/gpsr/funds/{fund_id}/draws", data={
        "order_id": f"TO-{financed:06d}", "amount": "600000", "repayment_pct": "100"})
    assert over.status_code == 409
    assert "The fund has $500,000.00 available; a draw of $600,000.00 is refused." in over.get_data(as_text=True)
    done = client.post(f"/c/gpsr/funds/{fund_id}/draws", data={
        "order_id": f"TO-{financed:06d}", "amount": "200000", "repayment_pct": "100"})
    assert done.status_code == 302
    verify(client, people, financed, 1, "1800000", kpi="energy_use")
    html = client.get(f"/c/gpsr/funds/{fund_id}").get_data(as_text=True)
    assert "$375,900.00" in html and "$75,900.00" in html and "$124,100.00" in html
    assert 'role="img"' in html and "Balance of Test innovation fund over time" in html
    assert "Projected: not counted in the balance" in html
    ledger = client.get(f"/c/gpsr/funds/{fund_id}/ledger.csv").get_data().decode("utf-8")
    assert ledger.splitlines()[-1].endswith(",75900.00,375900.00")
    order_page = client.get(f"/c/gpsr/orders/{financed}").get_data(as_text=True)
    assert "Financed by a draw of $200,000.00" in order_page
    assert "Test innovation fund" in client.get("/c/gpsr/funds").get_data(as_text=True)


# --- balances reconcile with the settlements, on generated data ------------------------------------------

CENT = Decimal("0.01")


def _city_net(used: Decimal) -> Decimal:
    """Example B's rule worked out again here, independently of the settlement code."""
    savings = ((Decimal("4100000") - used) * Decimal("0.11")).quantize(CENT, ROUND_HALF_UP)
    vendor = max(min((savings * Decimal("0.70")).quantize(CENT, ROUND_HALF_UP), Decimal("180000.00")), Decimal(0))
    shortfall = max(Decimal("200000.00") - savings, Decimal(0))
    return savings - (vendor - shortfall)


def _expected_repaid(amount: Decimal, pct: Decimal, verified: dict[int, Decimal]) -> Decimal:
    outstanding = amount
    for period in sorted(verified):
        due = (pct * max(_city_net(verified[period]), Decimal(0)) / 100).quantize(CENT, ROUND_HALF_UP)
        outstanding -= min(due, outstanding)
    return amount - outstanding


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fund_balances_reconcile_with_the_settlements_to_the_cent(client, people, vehicle, seed):
    rng = random.Random(seed)
    contributions = [Decimal(rng.randrange(10_000_000, 90_000_000)) / 100 for _ in range(rng.randint(1, 3))]
    fund_id = office_fund(client, people, f"{contributions[0]:.2f}")
    for extra in contributions[1:]:
        post(client, f"/api/v1/funds/{fund_id}/contributions", people["admin"],
             {"amount": f"{extra:.2f}", "source": "Top-up", "received_on": "2026-02-01"})
    expected_drawn = expected_repaid = Decimal(0)
    for _ in range(3):
        order_id = order(client, people, vehicle, example_b_terms())
        balance = Decimal(client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()["balance"])
        amount = (balance * Decimal(rng.randint(5, 60)) / 100).quantize(CENT)
        pct = Decimal(rng.randint(0, 10000)) / 100
        drawn = post(client, f"/api/v1/funds/{fund_id}/draws", people["admin"],
                     {"order_id": order_id, "amount": f"{amount:.2f}", "repayment_pct": str(pct)})
        assert drawn.status_code == 201, drawn.get_json()
        verified = {}
        for period in range(1, 5):  # four years have ended; each is verified, only reported, or not reported
            used = Decimal(rng.randrange(1_500_000, 4_300_000))
            fate = rng.choice(("verified", "verified", "reported", "none"))
            if fate == "none":
                continue
            obs = post(client, f"/api/v1/orders/{order_id}/observations", people["vendor"],
                       {"period": period, "kpi": "energy_use", "value": str(used), "note": "Bills"}).get_json()
            if fate == "verified":
                assert post(client, f"/api/v1/observations/{obs['id']}/verify", people["buyer"], {}).status_code == 200
                verified[period] = used
        expected_drawn += amount
        expected_repaid += _expected_repaid(amount, pct, verified)
    fund = client.get(f"/api/v1/funds/{fund_id}", headers=people["admin"]).get_json()
    assert Decimal(fund["drawn"]) == expected_drawn
    assert Decimal(fund["repaid"]) == expected_repaid
    assert Decimal(fund["balance"]) == sum(contributions) - expected_drawn + expected_repaid
    assert Decimal(fund["balance"]) >= 0
    for draw in fund["draws"]:
        assert Decimal(draw["repaid"]) + Decimal(draw["outstanding"]) == Decimal(draw["amount"])
        assert sum(Decimal(r["amount"]) for r in draw["repayments"]) == Decimal(draw["repaid"])
