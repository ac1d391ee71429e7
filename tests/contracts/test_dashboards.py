"""The dashboard's figures reconcile to the cent with the ledgers they sum (orders, invoices, settlements, fee
payments) on generated data, for each grouping and date range; each person sees only their scope; another
consortium's data never appears."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from contracts.orders.models import Order
from contracts.reporting.dashboards.queries import settlements
from contracts.reporting.dashboards.validation import GROUPS, Filters
from contracts.vehicles.models import Vehicle
from marketplace.extensions import db
from marketplace.tenancy import tenant
from tests.conftest import consortium, org, user
from tests.contracts.dashboard_factories import build, ledger_fees, ledger_settlements, ledger_spend

D = Decimal


@pytest.fixture
def data(app, client):
    with app.test_request_context():
        return build()


def _api(client, headers, slug="gpsr", **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return client.get(f"/api/v1/reports/spend?consortium={slug}&{query}", headers=headers)


def _rows(body) -> dict:
    return {row["key"]: (D(row["committed"]), D(row["invoiced"]), D(row["paid"])) for row in body["rows"]}


def _check_against_ledger(app, client, headers, email, slug="gpsr", start=None, end=None):
    """Every grouping's rows equal the ledgers' sums, and every grouping adds up to the same totals."""
    totals = set()
    for group_by in GROUPS:
        args = {"group_by": group_by, **({"from": start.isoformat()} if start else {}),
                **({"to": end.isoformat()} if end else {})}
        response = _api(client, headers, slug, **args)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        with app.test_request_context():
            expected = ledger_spend(slug, user(email), group_by, start, end)
        assert _rows(body) == expected, group_by
        total = tuple(D(body["totals"][k]) for k in ("committed", "invoiced", "paid"))
        assert total == tuple(sum((row[i] for row in expected.values()), D("0.00")) for i in range(3))
        assert all(isinstance(v, str) for row in body["rows"] for v in row.values())
        totals.add(total)
    assert len(totals) == 1, totals  # member, vehicle, vendor, category and quarter agree
    return totals.pop()


def test_every_spend_figure_equals_the_ledgers_for_the_office(app, client, api_token, data):
    committed, invoiced, paid = _check_against_ledger(app, client, api_token("admin@gpsr.example"),
                                                      "admin@gpsr.example")
    assert committed > 0 and invoiced > paid > 0
    with app.test_request_context():  # the ceilings' ledger: what the vehicles hold committed
        held = sum(db.session.scalars(select(Vehicle.committed).where(
            Vehicle.consortium_id == consortium("gpsr").id)), D("0.00"))
    assert committed == held


def test_a_date_range_counts_orders_by_submission_and_invoices_by_issue_date(app, client, api_token, data):
    headers = api_token("admin@gpsr.example")
    _check_against_ledger(app, client, headers, "admin@gpsr.example", start=date(2026, 4, 1), end=date(2026, 6, 30))
    body = _api(client, headers, group_by="quarter", **{"from": "2026-04-01", "to": "2026-06-30"}).get_json()
    assert [row["key"] for row in body["rows"]] == ["2026Q2"]
    assert body["from"] == "2026-04-01" and body["to"] == "2026-06-30"
    # Submitted at 05:30 UTC on 1 April, which is still 31 March in Phoenix: counted on 31 March.
    flow = str(data["vehicles"][2])
    with app.test_request_context():
        value = db.session.get(Order, data["boundary"]).committed
        march = ledger_spend("gpsr", user("admin@gpsr.example"), "vehicle", date(2026, 3, 31), date(2026, 3, 31))
    assert value > 0 and march[flow][0] >= value
    body = _api(client, headers, group_by="vehicle", **{"from": "2026-03-31", "to": "2026-03-31"}).get_json()
    assert _rows(body)[flow] == march[flow]


def test_a_member_sees_only_its_own_orders(app, client, api_token, data):
    headers = api_token("buyer@tempe.example")
    _check_against_ledger(app, client, headers, "buyer@tempe.example")
    with app.test_request_context():
        tempe = str(org("Tempe").id)
    assert list(_rows(_api(client, headers, group_by="member").get_json())) == [tempe]


def test_a_vendor_sees_only_its_own_approved_orders(app, client, api_token, data):
    headers = api_token("vendor@parksense.example")
    _check_against_ledger(app, client, headers, "vendor@parksense.example")
    with app.test_request_context():
        parksense = str(org("ParkSense").id)
    assert list(_rows(_api(client, headers, group_by="vendor").get_json())) == [parksense]


def test_another_consortium_never_appears(app, client, api_token, data):
    headers = api_token("admin@frca.example")
    _check_against_ledger(app, client, headers, "admin@frca.example", slug="frca")
    with app.test_request_context():
        gpsr_keys = {str(v) for v in data["vehicles"]} | {str(org(n).id) for n in ("Mesa", "Tempe", "Chandler")}
    for group_by in ("member", "vehicle"):
        assert not set(_rows(_api(client, headers, "frca", group_by=group_by).get_json())) & gpsr_keys
    # And a GPSR person asking for Front Range's figures is a stranger there.
    assert _api(client, api_token("admin@gpsr.example"), "frca", group_by="member").status_code == 404


def _settlements_as(app, email, filters=Filters("member")):
    with app.test_request_context():
        person = user(email)
        with tenant(consortium("gpsr").id):
            rows, totals = settlements(person, consortium("gpsr"), filters)
            by_order = {row.order.id: row for row in rows}
        expected = ledger_settlements("gpsr", person)
    return by_order, totals, expected


def test_savings_and_holdbacks_equal_the_orders_settlements(app, data):
    rows, totals, expected = _settlements_as(app, "admin@gpsr.example")
    assert {k: getattr(totals, k) for k in expected} == expected
    perf = data["performance"]
    # DESIGN section 5, examples A and B, to the cent.
    assert rows[perf["released"]].released == D("9320.00") and rows[perf["released"]].forfeited == 0
    assert rows[perf["forfeited"]].forfeited == D("4000.00") and rows[perf["forfeited"]].released == 0
    assert rows[perf["pending"]].pending == D("5120.00") + D("3200.00")
    assert rows[perf["savings"]].savings == D("253000.00") + D("198000.00")
    assert rows[perf["savings"]].city_net == D("75900.00") + D("61400.00")


def test_savings_and_holdbacks_by_the_dates_their_periods_ended(app, data):
    perf = data["performance"]
    # The street-light windows end on 31 March 2025; the savings years on 31 Dec 2024 and 2025.
    rows, totals, _ = _settlements_as(app, "admin@gpsr.example", Filters("member", date(2025, 1, 1),
                                                                         date(2025, 6, 30)))
    assert rows[perf["released"]].released == D("9320.00") and perf["savings"] not in rows
    rows, _, _ = _settlements_as(app, "admin@gpsr.example", Filters("member", date(2025, 12, 1), date(2025, 12, 31)))
    assert rows[perf["savings"]].savings == D("198000.00") and perf["released"] not in rows


def test_members_and_vendors_see_the_settlements_of_their_orders_only(app, data):
    for email in ("buyer@tempe.example", "buyer@mesa.example", "vendor@parksense.example"):
        rows, totals, expected = _settlements_as(app, email)
        assert {k: getattr(totals, k) for k in expected} == expected
    rows, _, _ = _settlements_as(app, "buyer@mesa.example")
    assert data["performance"]["released"] not in rows and data["performance"]["savings"] in rows
    rows, _, _ = _settlements_as(app, "vendor@parksense.example")
    assert not set(rows) & set(data["performance"].values())


def _section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</", html.index(">", start) + 1) if testid.endswith("totals") else
                html.index("</table>", start)]


def test_the_page_shows_admin_fees_billed_and_paid_and_what_is_late(app, client, login, data):
    login("admin@gpsr.example")
    html = client.get("/c/gpsr/dashboard").get_data(as_text=True)
    with app.test_request_context():
        billed, paid = ledger_fees("gpsr")
    fees = html[html.index('data-testid="fee-totals"'):html.index('data-testid="fees"')]
    assert f"Billed: <strong>${billed:,.2f}</strong>" in fees and f"Paid: <strong>${paid:,.2f}</strong>" in fees
    table = _section(html, "fees")
    assert "ParkSense" in table and "$1,916.67" in table and "$1,716.67" in table and "$200.00" in table
    assert "FlowMobility" not in table  # its reports are not accepted: no fee billed
    late = html[html.index('data-testid="late-reports"'):]
    assert "Late report:" in late and "FlowMobility" in late and "2026Q3" in late


def test_a_vendor_sees_its_own_fees_and_a_member_none(app, client, login, data):
    login("vendor@parksense.example")
    html = client.get("/c/gpsr/dashboard").get_data(as_text=True)
    with app.test_request_context():
        billed, paid = ledger_fees("gpsr", "ParkSense")
    assert billed == D("1916.67") and paid == D("1716.67")
    assert f"Billed: <strong>${billed:,.2f}</strong>" in html
    table = _section(html, "fees")
    assert "Q1 2026" in table and "Q2 2026" in table and "BrightStreet" not in html[html.index('id="fees"'):]
    assert 'id="ceilings"' not in html  # ceilings are for the office and participating members
    login("buyer@tempe.example")
    html = client.get("/c/gpsr/dashboard").get_data(as_text=True)
    assert 'id="fees"' not in html and "Tempe’s orders" not in html and "Tempe&#39;s orders" in html


def test_a_member_sees_the_ceilings_of_the_vehicles_it_is_part_of(app, client, login, data):
    login("buyer@chandler.example")
    html = client.get("/c/gpsr/dashboard").get_data(as_text=True)
    table = _section(html, "ceilings")
    assert "DASH-1" in table and "DASH-3" in table and "DASH-2" not in table  # Chandler is not on DASH-2
    login("admin@gpsr.example")
    table = _section(client.get("/c/gpsr/dashboard").get_data(as_text=True), "ceilings")
    assert all(f"DASH-{n}" in table for n in (1, 2, 3))
