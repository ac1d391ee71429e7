"""The dashboard page, its CSV and its API as a person meets them: accessible charts with the same figures in
tables, filters that keep what was typed and say what is wrong, a CSV equal to the API, a link in the
navigation for every role, and a number of SQL queries that does not grow with the data."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.contracts.dashboard_factories import build


@pytest.fixture
def data(app, client):
    with app.test_request_context():
        return build()


@pytest.mark.parametrize("email", ["admin@gpsr.example", "approver@mesa.example", "vendor@brightstreet.example",
                                   "buyer@tempe.example"])
def test_every_role_has_a_dashboard_link_and_charts_with_their_figures_in_a_table(client, login, email, data):
    login(email)
    home = client.get("/c/gpsr/").get_data(as_text=True)
    assert 'href="/c/gpsr/dashboard"' in home and ">Dashboard<" in home
    html = client.get("/c/gpsr/dashboard?group_by=vehicle").get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert svgs, "no chart"
    for svg in svgs:
        chart_id = re.search(r'<svg id="([^"]+)"', svg).group(1)
        assert 'role="img"' in svg and f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert re.search(rf'<title id="{chart_id}-title">[^<]+</title>', svg)
        assert re.search(rf'<desc id="{chart_id}-desc">[^<]*\$[\d,]+\.\d\d', svg)  # the figures, in words
        assert "<script" not in svg and "<style" not in svg and "style=" not in svg
    spend = html[html.index('data-testid="spend"'):]
    assert "<caption>Spend by vehicle</caption>" in spend and '<th scope="row">' in spend
    assert "DASH-" in spend
    assert 'role="region" aria-label="Spend by vehicle" tabindex="0"' in html or \
        'tabindex="0" role="region" aria-label="Spend by vehicle"' in html


def test_the_spend_csv_has_the_api_figures_with_the_filters_applied(client, login, api_token, data):
    login("admin@gpsr.example")
    args = "group_by=member&from=2026-02-01&to=2026-09-30"
    response = client.get(f"/c/gpsr/dashboard/spend.csv?{args}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "spend-by-member.csv" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffgroup_by,key,label,committed,invoiced,paid\r\n")
    body = client.get(f"/api/v1/reports/spend?consortium=gpsr&{args}", headers=api_token("admin@gpsr.example"))
    expected = [f"member,{r['key']},{r['label']},{r['committed']},{r['invoiced']},{r['paid']}"
                for r in body.get_json()["rows"]]
    assert text.strip("\ufeff").splitlines()[1:] == expected and len(expected) == 3


def test_the_page_link_to_the_csv_keeps_the_filters(client, login, data):
    login("admin@gpsr.example")
    html = client.get("/c/gpsr/dashboard?group_by=quarter&from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    assert "/c/gpsr/dashboard/spend.csv?group_by=quarter&amp;from=2026-01-01&amp;to=2026-12-31" in html
    assert 'value="2026-01-01"' in html and '<option value="quarter" selected>' in html
    assert "Q1 2026" in html and "Q4 2026" in html


@pytest.mark.parametrize(("args", "field", "message"), [
    ("group_by=city", "group_by", "Choose one of: category, member, quarter, vehicle, vendor."),
    ("from=2026-02-30", "from", "That date does not exist."),
    ("from=last%20week", "from", "Enter a date like 04/01/2027."),
    ("from=2026-06-01&to=2026-05-01", "to", "The end date is before the start date."),
])
def test_bad_filters_are_refused_with_a_message(client, login, api_token, args, field, message):
    response = client.get(f"/api/v1/reports/spend?consortium=gpsr&{args}", headers=api_token("admin@gpsr.example"))
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"][field] == message
    login("buyer@mesa.example")
    page = client.get(f"/c/gpsr/dashboard?{args}")
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "Please correct 1 problem" in html and message in html
    assert 'aria-invalid="true"' in html and 'data-testid="spend"' not in html
    csv = client.get(f"/c/gpsr/dashboard/spend.csv?{args}")
    assert csv.status_code == 400 and message in csv.get_data(as_text=True)


def test_bad_filters_keep_what_was_typed(client, login):
    login("admin@gpsr.example")
    html = client.get("/c/gpsr/dashboard?group_by=vendor&from=2026-06-01&to=2026-05-01").get_data(as_text=True)
    assert 'value="2026-06-01"' in html and 'value="2026-05-01"' in html
    assert '<option value="vendor" selected>' in html


def test_the_page_issues_the_same_number_of_queries_whatever_the_data(app, client, login, count_queries, data):
    login("admin@gpsr.example")
    client.get("/c/gpsr/dashboard?group_by=category")  # warm up (session, caches)
    with count_queries() as before:
        first = client.get("/c/gpsr/dashboard?group_by=category")
    with app.test_request_context():
        build(seed=15, prefix="MORE")
    with count_queries() as after:
        second = client.get("/c/gpsr/dashboard?group_by=category")
    assert first.status_code == second.status_code == 200
    assert after.count == before.count, (before.count, after.count)
    totals = re.search(r"Committed: <strong>\$([\d,.]+)</strong>", second.get_data(as_text=True)).group(1)
    assert Decimal(totals.replace(",", "")) > Decimal(
        re.search(r"Committed: <strong>\$([\d,.]+)</strong>", first.get_data(as_text=True)).group(1).replace(",", ""))
