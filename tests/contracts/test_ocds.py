"""Open data: the OCDS 1.1 release package validates against the schemas, publishes nothing unpublished, and its
amounts are the ledgers' to the cent.

The schemas are copies of ../shared/ocds in tests/contracts/ocds_schema (CI runs from a clean clone); the package
schema's `$ref` to the release schema is resolved from the local copy through a `referencing` registry.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from sqlalchemy import select, update

from contracts.invoices.models import Invoice
from contracts.orders.models import Order
from contracts.reporting.ocds.services import amount
from contracts.vehicles.models import Vehicle
from marketplace.config import ConfigError, load_config
from marketplace.extensions import db
from tests.conftest import consortium
from tests.contracts.factories import make_vehicle
from tests.contracts.invoice_helpers import active_order, invoice, people_for

SCHEMAS = Path(__file__).parent / "ocds_schema"
URL = "/api/v1/ocds/releases.json?consortium={slug}"


def _validator() -> Draft4Validator:
    release = json.loads((SCHEMAS / "release-schema-1.1.5.json").read_text())
    package = json.loads((SCHEMAS / "release-package-schema.json").read_text())
    assert package["$schema"] == "http://json-schema.org/draft-04/schema#"
    registry = Registry().with_resource(release["id"], Resource.from_contents(release))
    return Draft4Validator(package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)


def _package(client, headers, slug="gpsr") -> dict:
    """The package, its numbers read as Decimals (what the JSON text says, without a float in between)."""
    response = client.get(URL.format(slug=slug), headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True), parse_float=Decimal)


def _releases(package, kind: str) -> dict[int, dict]:
    """{vehicle or order id: its release}, from the ocids ("...-vehicle-12", "...-order-7")."""
    marker = f"-{kind}-"
    return {int(r["ocid"].rsplit(marker, 1)[1]): r for r in package["releases"] if marker in r["ocid"]}


def _ledger(stmt):
    with db.session.no_autoflush:
        return list(db.session.scalars(stmt))


@pytest.fixture
def people(api_token):
    return people_for(api_token)


def test_the_demo_package_validates_against_the_ocds_schemas(app, client, api_token):
    validator = _validator()
    for email, slug in (("admin@gpsr.example", "gpsr"), ("admin@frca.example", "frca")):
        response = client.get(URL.format(slug=slug), headers=api_token(email))
        assert response.status_code == 200
        package = response.get_json()
        assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(package)] == []
        assert package["version"] == "1.1"
        assert package["uri"] == f"http://localhost/api/v1/ocds/releases.json?consortium={slug}"
    # the validator does catch a broken package (so the empty list above means something)
    package["releases"][0]["tag"] = ["signed"]
    package["releases"][0]["date"] = "yesterday"
    del package["publisher"]
    assert len(list(validator.iter_errors(package))) == 3


@pytest.mark.parametrize("name", ["release-package-schema.json", "release-schema-1.1.5.json"])
def test_the_schema_copies_match_the_shared_ones(name):
    shared = Path(__file__).parents[3] / "shared" / "ocds" / name
    if not shared.exists():
        pytest.skip("../shared/ocds is not next to this clone")
    assert json.loads((SCHEMAS / name).read_text()) == json.loads(shared.read_text())


def test_a_vehicle_is_a_framework_with_its_parties_awards_and_price_schedule(app, client, api_token):
    package = _package(client, api_token("buyer@mesa.example"))
    assert package["publisher"] == {"name": "Greater Phoenix Smart Region"}
    with app.app_context():
        vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001"))
        release = _releases(package, "vehicle")[vehicle.id]
        roles = {p["name"]: p["roles"] for p in release["parties"]}
        assert release["buyer"]["name"] == "Mesa" and roles["Mesa"] == ["buyer"]
        assert roles["Greater Phoenix Smart Region Office"] == ["procuringEntity"]
        assert roles["BrightStreet Lighting"] == ["supplier"]
        assert roles["Tempe"] == ["buyer"]  # participating under an executed addendum
        assert release["tender"]["id"] == "GPSR-2026-001" and release["tender"]["status"] == "complete"
        assert release["tender"]["procuringEntity"]["name"] == "Greater Phoenix Smart Region Office"
        assert release["initiationType"] == "tender" and release["tag"] == ["tender", "award", "contract"]
        [award] = vehicle.awards
        [published_award] = release["awards"]
        assert [s["name"] for s in published_award["suppliers"]] == ["BrightStreet Lighting"]
        prices = {item["id"]: item["unit"]["value"]["amount"] for item in published_award["items"]}
        assert prices == {f"schedule-{line.id}": line.contract_price for line in award.schedule}
        [contract] = release["contracts"]
        assert contract["awardID"] == published_award["id"] and contract["status"] == "active"
        assert contract["value"] == {"amount": vehicle.ceiling, "currency": "USD"}
        assert contract["period"]["startDate"] == "2026-01-01T00:00:00-07:00"


def test_expired_and_terminated_vehicles_are_published_as_ended_contracts(app, client, api_token):
    with app.test_request_context():
        ended = {status: make_vehicle(status).id for status in ("expired", "terminated", "draft")}
        db.session.commit()
    package = _package(client, api_token("admin@gpsr.example"))
    assert list(_validator().iter_errors(json.loads(json.dumps(package, default=float)))) == []
    releases = _releases(package, "vehicle")
    assert ended["draft"] not in releases
    for status in ("expired", "terminated"):
        release = releases[ended[status]]
        assert [c["status"] for c in release["contracts"]] == ["terminated"]
        assert release["tag"] == ["tender", "award", "contract", "contractTermination"]


def test_drafts_declined_cancelled_and_other_tenants_never_appear(app, client, api_token):
    gpsr = _package(client, api_token("admin@gpsr.example"))
    frca = _package(client, api_token("admin@frca.example"), "frca")
    with app.app_context():
        vehicles = _ledger(select(Vehicle).execution_options(all_tenants=True))
        orders = _ledger(select(Order).execution_options(all_tenants=True))
        draft_vehicles = {v.id for v in vehicles if v.status == "draft"}
        hidden_orders = {o.id for o in orders if o.status in ("draft", "declined", "cancelled")}
        assert draft_vehicles and hidden_orders  # the demo has both
        for package, slug in ((gpsr, "gpsr"), (frca, "frca")):
            own = {v.id for v in vehicles if v.consortium_id == consortium(slug).id}
            published_vehicles = set(_releases(package, "vehicle"))
            assert published_vehicles == own - draft_vehicles
            own_orders = {o.id for o in orders if o.vehicle_id in own}
            assert set(_releases(package, "order")) == own_orders - hidden_orders
            assert all(r["ocid"].startswith(f"ocds-xxxxxx-{slug}-") for r in package["releases"])
        text = json.dumps(frca, default=str)
        assert "Mesa" not in text and "GPSR-" not in text and "Tempe" not in text


def test_every_role_of_the_consortium_gets_the_same_package(app, client, api_token):
    packages = [_package(client, api_token(email)) for email in
                ("buyer@mesa.example", "approver@tempe.example", "vendor@curbiq.example", "admin@gpsr.example")]
    assert all(package == packages[0] for package in packages)


def test_a_paid_invoice_is_a_transaction_with_its_exact_amount(app, client, people):
    order_id, vehicle_id = active_order(app, client, people)
    with app.app_context():
        lines = [line.id for line in db.session.scalar(select(Order).where(Order.id == order_id)).lines]
    paid = invoice(client, people, order_id, "PS-7001", "12.34", lines=lines).get_json()
    waiting = invoice(client, people, order_id, "PS-7002", "0.10", lines=lines).get_json()
    for inv in (paid, waiting):
        assert client.post(f"/api/v1/invoices/{inv['id']}/approve", headers=people["buyer"]).status_code == 200
    assert client.post(f"/api/v1/invoices/{paid['id']}/pay", json={"paid_on": "2026-11-03"},
                       headers=people["buyer"]).status_code == 200
    release = _releases(_package(client, people["admin"]), "order")[order_id]
    [contract] = release["contracts"]
    [transaction] = contract["implementation"]["transactions"]  # the approved, unpaid invoice is not one
    assert transaction["value"] == {"amount": Decimal("12.34"), "currency": "USD"}
    assert transaction["date"] == "2026-11-03T00:00:00-07:00"
    assert transaction["payer"]["name"] == "Tempe" and transaction["payee"]["name"] == "ParkSense"
    assert "implementation" in release["tag"] and release["buyer"]["name"] == "Tempe"
    vehicle_release = _releases(_package(client, people["admin"]), "vehicle")[vehicle_id]
    assert release["relatedProcesses"] == [{"id": "1", "relationship": ["framework"], "title": "Vehicle GPSR-T-001",
                                            "scheme": "ocid", "identifier": vehicle_release["ocid"]}]


def test_amounts_reconcile_with_the_orders_and_invoices_to_the_cent(app, client, api_token):
    package = _package(client, api_token("admin@gpsr.example"))
    with app.app_context():
        orders = {o.id: o for o in _ledger(select(Order))}
        invoices = _ledger(select(Invoice).where(Invoice.status == "paid"))
        for order_id, release in _releases(package, "order").items():
            order = orders[order_id]
            [contract] = release["contracts"]
            assert contract["value"]["amount"] == order.value == release["awards"][0]["value"]["amount"]
            published = sum((t["value"]["amount"] for t in contract.get("implementation", {}).get("transactions", [])),
                            Decimal("0"))
            assert published == sum((i.amount for i in invoices if i.order_id == order_id), Decimal("0"))
            lines = {item["id"]: item for item in contract.get("items", [])}
            for line in order.lines:
                item = lines[f"line-{line.id}"]
                assert item["quantity"] == line.quantity and item["unit"]["value"]["amount"] == line.unit_price
        assert sum((t["value"]["amount"] for r in package["releases"] for c in r["contracts"]
                    for t in c.get("implementation", {}).get("transactions", [])), Decimal("0")) \
            == sum((i.amount for i in invoices), Decimal("0"))  # every paid invoice of the consortium, once


def test_the_ocid_prefix_comes_from_the_configuration(app, client, api_token, monkeypatch):
    monkeypatch.setitem(app.config, "OCDS_OCID_PREFIX", "ocds-a1b2c3")
    package = _package(client, api_token("admin@gpsr.example"))
    assert all(r["ocid"].startswith("ocds-a1b2c3-") and r["id"].startswith(r["ocid"] + "-")
               for r in package["releases"])
    vehicle_ocids = {r["ocid"] for r in package["releases"] if "-vehicle-" in r["ocid"]}
    assert {r["relatedProcesses"][0]["identifier"] for r in package["releases"] if "-order-" in r["ocid"]} \
        <= vehicle_ocids
    monkeypatch.setenv("OCDS_OCID_PREFIX", "ocds-zz9zz9-{consortium}-x")
    assert load_config(app.instance_path, {"TESTING": True})["OCDS_OCID_PREFIX"] == "ocds-zz9zz9-{consortium}-x"
    monkeypatch.setenv("OCDS_OCID_PREFIX", "ocds xyz")
    with pytest.raises(ConfigError, match="OCDS_OCID_PREFIX"):
        load_config(app.instance_path, {"TESTING": True})
    monkeypatch.delenv("OCDS_OCID_PREFIX")
    assert load_config(app.instance_path, {"TESTING": True})["OCDS_OCID_PREFIX"] == "ocds-xxxxxx-{consortium}"


def test_release_ids_are_stable_and_change_with_the_content(app, client, people):
    order_id, vehicle_id = active_order(app, client, people)
    before = {r["ocid"]: r["id"] for r in _package(client, people["admin"])["releases"]}
    assert before == {r["ocid"]: r["id"] for r in _package(client, people["admin"])["releases"]}
    with app.app_context():
        lines = [line.id for line in db.session.scalar(select(Order).where(Order.id == order_id)).lines]
    inv = invoice(client, people, order_id, "PS-7101", "5.00", lines=lines).get_json()
    client.post(f"/api/v1/invoices/{inv['id']}/approve", headers=people["buyer"])
    assert client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-04"},
                       headers=people["buyer"]).status_code == 200
    after = {r["ocid"]: r["id"] for r in _package(client, people["admin"])["releases"]}
    changed = {ocid for ocid in before if before[ocid] != after[ocid]}
    assert changed == {f"ocds-xxxxxx-gpsr-order-{order_id}"}


def test_nothing_published_yet_answers_404_with_a_sentence(app, client, api_token):
    headers = api_token("admin@frca.example")
    with app.app_context():
        db.session.execute(update(Vehicle).where(Vehicle.number.like("FRCA-%")).values(status="draft")
                           .execution_options(synchronize_session=False))
        db.session.commit()
    response = client.get(URL.format(slug="frca"), headers=headers)
    assert response.status_code == 404
    assert "no active, expired or terminated vehicle yet" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("value", "text"), [
    ("0.10", "0.1"), ("8.55", "8.55"), ("0.30", "0.3"), ("1000.00", "1000"), ("999999999999.99", "999999999999.99"),
    ("1234567.89", "1234567.89"), ("0.01", "0.01"), ("2.50", "2.5")])
def test_amounts_are_json_numbers_with_exactly_the_decimal_digits(value, text):
    assert json.dumps(amount(Decimal(value))) == text
    assert json.loads(json.dumps(amount(Decimal(value))), parse_float=Decimal) == Decimal(value)


def test_an_amount_that_a_json_number_cannot_carry_exactly_is_refused():
    with pytest.raises(ValueError, match="exact JSON number"):
        amount(Decimal("0.12345678901234567890"))


def test_the_package_costs_the_same_queries_whatever_the_number_of_orders(app, client, people, count_queries):
    def queries() -> int:
        with count_queries() as q:
            assert client.get(URL.format(slug="gpsr"), headers=people["admin"]).status_code == 200
        return q.count

    queries()  # the token's first use records itself
    before = queries()
    order_id, _ = active_order(app, client, people)
    with app.app_context():
        lines = [line.id for line in db.session.scalar(select(Order).where(Order.id == order_id)).lines]
    inv = invoice(client, people, order_id, "PS-7201", "1.00", lines=lines).get_json()
    client.post(f"/api/v1/invoices/{inv['id']}/approve", headers=people["buyer"])
    client.post(f"/api/v1/invoices/{inv['id']}/pay", json={"paid_on": "2026-11-04"}, headers=people["buyer"])
    assert queries() == before
