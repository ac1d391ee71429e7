"""The command-line interface of DESIGN section 7."""

from decimal import Decimal

from sqlalchemy import func, select

from consortium.models import ApiToken, Organization, Supplier, User
from marketplace.audit import AuditEvent
from marketplace.extensions import db


def _counts():
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (User, Organization, Supplier, AuditEvent)}


def test_demo_load_is_idempotent(app, _transaction):
    runner = app.test_cli_runner()
    with app.app_context():
        before = _counts()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "admin@gpsr.example" in result.output and "demo-password" in result.output
    with app.app_context():
        assert _counts() == before


def test_users_token_prints_a_working_token(app, client, _transaction):
    result = app.test_cli_runner().invoke(args=["users", "token", "buyer@mesa.example"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("am_")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.get_json()["email"] == "buyer@mesa.example"


def test_users_token_for_unknown_email_fails_cleanly(app, _transaction):
    result = app.test_cli_runner().invoke(args=["users", "token", "ghost@nowhere.example"])
    assert result.exit_code != 0 and "No user with e-mail" in result.output


def test_users_create(app, _transaction):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "new@chandler.example", "--name", "New",
                                 "--organization", "Chandler", "--role", "buyer",
                                 "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(args=["users", "create", "--email", "x@chandler.example", "--name", "X",
                              "--organization", "Chandler", "--role", "vendor", "--password", "a-long-password"])
    assert bad.exit_code != 0 and "role" in bad.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@chandler.example")) is None
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_demo_shows_orders_in_several_states_and_a_settled_window(app, client, api_token):
    from contracts.orders.models import Order

    with app.app_context():
        states = dict(db.session.execute(select(Order.po_number, Order.status)).all())
    assert states["TMP-2026-0042"] == "approved"  # within Tempe's limit: approved on submit
    assert states["TMP-2026-0057"] == "pending_approval"  # above it: waits for Tempe's approver
    assert states["MSA-2026-0311"] == "active"
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.po_number == "MSA-2026-0311"))
    settlement = client.get(f"/api/v1/orders/{order_id}/settlement", headers=api_token("buyer@mesa.example")).get_json()
    assert [w["status"] for w in settlement["windows"][:2]] == ["released", "pending"]
    assert [p["status"] for p in settlement["periods"][:3]] == ["settled", "settled", "pending"]
    assert settlement["totals"]["paid"] == "83200.00"  # 28,800 + 46,080 + released 8,320


def test_demo_ends_orders_both_ways_and_has_invoices_in_every_state(app, client, api_token, login):
    from contracts.orders.models import Order

    with app.app_context():
        orders = {o.po_number: o for o in db.session.scalars(select(Order))}
        vehicle_id = orders["MSA-2026-0311"].vehicle_id
        values = {po: (o.status, o.value, o.committed) for po, o in orders.items()}
    mesa = api_token("buyer@mesa.example")
    invoices = client.get(f"/api/v1/orders/{orders['MSA-2026-0311'].id}/invoices", headers=mesa).get_json()
    assert {i["number"]: i["status"] for i in invoices["results"]} == {
        "BS-24-0187": "rejected", "BS-24-0191": "paid", "BS-24-0203": "approved", "BS-24-0205": "submitted"}
    status, value, committed = values["TMP-2026-0031"]  # the pilot paid 11,937.50 of its 15,000.00
    assert (status, value, committed) == ("completed", Decimal("15000.00"), Decimal("11937.50"))
    assert values["MSA-2026-0288"][0] == "terminated"
    login("admin@gpsr.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle_id}").get_data(as_text=True)
    table = page[page.index('data-testid="vehicle-orders"'):]
    row = table[table.index("TMP-2026-0031"):]
    row = row[:row.index("</tr>")]
    assert "Completed" in row and "$3,062.50" in row  # given back to the ceiling


def test_demo_inboxes_have_unread_notifications_for_every_role(app, client, api_token):
    for email in ("admin@gpsr.example", "buyer@mesa.example", "approver@tempe.example",
                  "vendor@brightstreet.example", "admin@frca.example"):
        listed = client.get("/api/v1/notifications?unread=1", headers=api_token(email)).get_json()
        assert listed["unread"] > 0 and listed["results"], email


def test_demo_load_and_accounts_print_the_same_table_with_each_vendors_consortia(app, _transaction):
    runner = app.test_cli_runner()
    loaded = runner.invoke(args=["demo", "load"]).output
    listed = runner.invoke(args=["demo", "accounts"]).output
    assert loaded == listed and loaded.count("buyer@mesa.example") == 1
    rows = {line.split()[0]: line for line in listed.splitlines() if "@" in line}
    assert rows["vendor@brightstreet.example"].rstrip().endswith("gpsr, frca")
    assert rows["vendor@parksense.example"].rstrip().endswith("gpsr")
