"""Access matrix for observations, settlement and statements. The order is Mesa's (the buyer
principals' member) with ParkSense (the vendor principal), active, with example A's terms."""

import pytest

from contracts.observations import services as observations
from marketplace.extensions import db
from tests.access import case, expand, run_case
from tests.conftest import user
from tests.contracts.order_factories import make_order, make_vehicle
from tests.contracts.test_pay_for_performance import EXAMPLE_A


def _active():
    vehicle = make_vehicle(participants=())
    order = make_order(vehicle, buyer="buyer@mesa.example", quantity="1", status="active", performance=EXAMPLE_A)
    return order


def _order():
    return {"order": _active().id}


def _observation(status="reported"):
    def setup():
        order = _active()
        obs = observations.report_observation(order, {"period": 1, "kpi": "availability", "value": "97.2"},
                                              actor=user("vendor@parksense.example"))
        if status == "disputed":
            observations.dispute_observation(obs, actor=user("buyer@mesa.example"), reason="Check the log")
        db.session.commit()
        return {"order": order.id, "obs": obs.id}

    return setup


REPORT = {"period": "2", "kpi": "availability", "value": "98.1", "note": "NOC export"}
C = "/c/<consortium_slug>"

CASES = [
    case("POST", f"{C}/orders/<int:order_id>/observations", "/c/gpsr/orders/{order}/observations", setup=_order,
         data=REPORT, anon=302, buyer=403, vendor=302, admin=403, other=404),
    case("POST", f"{C}/observations/<int:observation_id>/verify", "/c/gpsr/observations/{obs}/verify",
         setup=_observation(), anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("POST", f"{C}/observations/<int:observation_id>/dispute", "/c/gpsr/observations/{obs}/dispute",
         setup=_observation(), data={"reason": "Outage log disagrees"},
         anon=302, buyer=302, vendor=403, admin=403, other=404),
    case("GET", f"{C}/observations/<int:observation_id>/dispute", "/c/gpsr/observations/{obs}/dispute",
         setup=_observation(), anon=302, buyer=200, vendor=403, admin=403, other=404),
    case("POST", f"{C}/observations/<int:observation_id>/correct", "/c/gpsr/observations/{obs}/correct",
         setup=_observation("disputed"), data={"value": "96.8", "note": "Re-exported"},
         anon=302, buyer=403, vendor=302, admin=403, other=404),
    case("GET", f"{C}/orders/<int:order_id>/statement.pdf", "/c/gpsr/orders/{order}/statement.pdf?period=1",
         setup=_order, anon=302, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/api/v1/orders/<int:order_id>/observations", "/api/v1/orders/{order}/observations", setup=_order,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("POST", "/api/v1/orders/<int:order_id>/observations", "/api/v1/orders/{order}/observations", setup=_order,
         json={"period": 2, "kpi": "availability", "value": "98.1"},
         anon=401, buyer=403, vendor=201, admin=403, other=404),
    case("POST", "/api/v1/observations/<int:observation_id>/verify", "/api/v1/observations/{obs}/verify",
         setup=_observation(), anon=401, buyer=200, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/observations/<int:observation_id>/dispute", "/api/v1/observations/{obs}/dispute",
         setup=_observation(), json={"reason": "No"}, anon=401, buyer=200, vendor=403, admin=403, other=404),
    case("POST", "/api/v1/observations/<int:observation_id>/correct", "/api/v1/observations/{obs}/correct",
         setup=_observation("disputed"), json={"value": "96.8"}, anon=401, buyer=403, vendor=200, admin=403,
         other=404),
    case("GET", "/api/v1/orders/<int:order_id>/settlement", "/api/v1/orders/{order}/settlement", setup=_order,
         anon=401, buyer=200, vendor=200, admin=200, other=404),
    case("GET", "/api/v1/orders/<int:order_id>/statement.pdf", "/api/v1/orders/{order}/statement.pdf?period=1",
         setup=_order, anon=401, buyer=200, vendor=200, admin=200, other=404),
]


@pytest.mark.parametrize(("c", "principal"), expand(CASES), ids=lambda v: v.id if hasattr(v, "id") else v)
def test_access(app, client, login, api_token, c, principal):
    run_case(app, client, login, api_token, c, principal)
