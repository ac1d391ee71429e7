"""The RFI pages: the list, the RFI page as the issuer, a vendor and another member see it (a vendor sees only its
own response), the interest and response forms (errors at the fields, input kept; a late response refused), the
comparison matrix, converting (into a pilot, with the host's metrics) and the need page's sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from contracts.sourcing import models as sourcing_models
from contracts.sourcing.models import Rfi
from marketplace.extensions import db
from tests.consortium.planning_helpers import MOU, response_body, rfi_body, tokens


def rfi_id(app, title: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Rfi.id).where(Rfi.title == title))


def page(client, login, email, url):
    login(email)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}".*?</table>', html, re.S)
    return match.group(0) if match else ""


def test_the_list_and_the_demo_rfis_as_each_side_sees_them(app, client, login):
    listed = page(client, login, "vendor@parksense.example", "/c/gpsr/rfis")
    assert "Adaptive street lighting on arterials" in listed and 'aria-label="Requests for information"' in listed
    open_id = rfi_id(app, "Adaptive street lighting on arterials")
    tempe = page(client, login, "buyer@tempe.example", f"/c/gpsr/rfis/{open_id}")
    assert re.search(r'data-testid="pooled-members">2 members<', tempe)
    assert "Update your city's interest" in tempe  # Tempe registered in the demo
    assert 'data-testid="responses"' not in tempe  # another member sees no response
    bright = page(client, login, "vendor@brightstreet.example", f"/c/gpsr/rfis/{open_id}")
    assert "Your response" in bright and "BrightStreet Lighting" in section(bright, "responses")
    parksense = page(client, login, "vendor@parksense.example", f"/c/gpsr/rfis/{open_id}")
    assert 'data-testid="responses"' not in parksense and ">Respond<" in parksense
    converted = rfi_id(app, "EV charging at civic buildings")
    flow = page(client, login, "vendor@flowmobility.example", f"/c/gpsr/rfis/{converted}")
    responses = section(flow, "responses")
    assert "FlowMobility" in responses and "BrightStreet" not in responses
    assert client.get(f"/c/gpsr/rfis/{converted}/compare").status_code == 403
    issuer = page(client, login, "approver@mesa.example", f"/c/gpsr/rfis/{converted}")
    assert "A recorded pilot" in issuer and "Expected participants: Tempe, Chandler." in issuer


def test_the_comparison_is_a_matrix_with_row_headers(app, client, login):
    converted = rfi_id(app, "EV charging at civic buildings")
    html = page(client, login, "approver@mesa.example", f"/c/gpsr/rfis/{converted}/compare")
    table = section(html, "comparison")
    assert re.search(r'<th scope="col">FlowMobility</th><th scope="col">BrightStreet Lighting</th>', table)
    term = re.search(r'data-testid="mou-row-term">(.*?)</tr>', table, re.S).group(1)
    assert '<th scope="row">MOU: Term</th>' in term
    assert "<strong>Accepts</strong>" in term and "<strong>Comments</strong>: A twelve-month pilot" in term


def test_forms_show_errors_at_the_fields_and_a_late_response_is_refused(app, client, login, api_token, monkeypatch):
    people = tokens(api_token)
    due = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    created = client.post("/api/v1/rfis", json=rfi_body(due=due), headers=people["mesa_approver"]).get_json()
    client.post(f"/api/v1/rfis/{created['id']}/publish", headers=people["mesa_approver"])
    url = f"/c/gpsr/rfis/{created['id']}"
    login("vendor@parksense.example")
    form = client.get(url + "/response").get_data(as_text=True)
    assert "Roles and responsibilities: your position" in form and MOU["term"] in form
    data = {"summary": "Sensors", "pricing_models": "as_a_service", "indicative_price": "12000.00",
            **{f"position_{p}": "accept" for p in MOU}, "position_term": "comment", "comment_term": ""}
    refused = client.post(url + "/response", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="error-summary"' in html
    assert 'id="comment_term-error" role="alert">Say what you would change about this point.' in html
    assert 'value="12000.00"' in html and "Sensors</textarea>" in html
    monkeypatch.setattr(sourcing_models, "now", lambda: datetime.now(UTC) + timedelta(days=5))
    late = client.post(url + "/response", data={**data, "comment_term": "Longer"})
    assert late.status_code == 409 and "a late response is refused" in late.get_data(as_text=True)
    monkeypatch.undo()
    assert client.post(url + "/response", data={**data, "comment_term": "Longer"}).status_code == 302
    login("buyer@tempe.example")
    bad = client.post(url + "/interest", data={"indicative_quantity": "many", "indicative_budget": "100"})
    assert bad.status_code == 400 and 'value="many"' in bad.get_data(as_text=True)
    assert client.post(url + "/interest", data={"indicative_quantity": "30", "indicative_budget": "9000"}
                       ).status_code == 302
    assert re.search(r'data-testid="pooled-budget">\$9,000.00<', client.get(url).get_data(as_text=True))


def test_converting_from_the_page_needs_the_pilots_metrics(app, client, login, api_token):
    people = tokens(api_token)
    created = client.post("/api/v1/rfis", json=rfi_body(), headers=people["mesa_approver"]).get_json()
    api = f"/api/v1/rfis/{created['id']}"
    client.post(api + "/publish", headers=people["mesa_approver"])
    response = client.post(api + "/responses", json=response_body(), headers=people["vendor"]).get_json()
    client.post(api + "/close", headers=people["mesa_approver"])
    url = f"/c/gpsr/rfis/{created['id']}/convert"
    login("approver@mesa.example")
    assert 'for="metrics-0-kpi">Metric 1 KPI' in client.get(url).get_data(as_text=True)
    missing = client.post(url, data={"response_id": str(response["id"]), "into": "pilot"})
    assert missing.status_code == 400
    assert "Pilot: Add at least one metric" in missing.get_data(as_text=True)
    done = client.post(url, data={"response_id": str(response["id"]), "into": "pilot", "units": "20 sensors",
                                  "metrics-0-kpi": "Accuracy", "metrics-0-direction": "higher",
                                  "metrics-0-baseline": "0", "metrics-0-target": "95"})
    assert done.status_code == 302
    assert "A recorded pilot" in client.get(f"/c/gpsr/rfis/{created['id']}").get_data(as_text=True)


def test_the_need_page_links_rfis_pilots_and_the_order(app, client, login):
    with app.app_context():
        from consortium.planning.models import Need
        need_id = db.session.scalar(select(Need.id).where(Need.title == "Leak detection on the east water mains"))
        piloted = db.session.scalar(select(Need.id).where(Need.title == "EV charging at civic buildings"))
    html = page(client, login, "buyer@mesa.example", f"/c/gpsr/needs/{piloted}")
    outcomes = re.search(r'data-testid="need-outcomes">(.*?)</ul>', html, re.S).group(1)
    assert "EV charging at civic buildings</a> (Converted)" in outcomes and "Pilot: " in outcomes
    leak = page(client, login, "buyer@mesa.example", f"/c/gpsr/needs/{need_id}")
    assert "Loan" in section(leak, "need-financing") and "Record the order" in leak
    order_id = re.search(r'<option value="(\d+)">TO-', leak).group(1)
    assert client.post(f"/c/gpsr/needs/{need_id}/order", data={"order_id": order_id}).status_code == 302
    after = client.get(f"/c/gpsr/needs/{need_id}").get_data(as_text=True)
    assert re.search(r'data-testid="status">Ordered<', after) and f"Order TO-{int(order_id):06d}" in after
