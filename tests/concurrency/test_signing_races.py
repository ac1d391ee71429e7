"""Countersigning and declining the same signed addendum at once, and the member signing while the office
changes the terms: exactly one wins each round, the other is told 409 with what happened."""

import pytest

from tests.concurrency.races import (
    COUNTERSIGN,
    DECLINED,
    ROUNDS,
    Race,
    Step,
    assert_every_round_right,
    run_rounds,
)
from tests.concurrency.world import ADMIN, APPROVER, Market

pytestmark = pytest.mark.postgres_only


def _signed(market: Market, shared: dict, number: int) -> dict:
    vehicle = market.vehicle(shared["listing"], tempe_joins=False)
    return {**market.participation(vehicle, "signed"), "vehicle_id": vehicle["id"]}


def _signatures(market: Market, obj: dict) -> list[str]:
    """An executed addendum carries exactly one current signature per side, both on the same terms; a
    declined one no countersignature."""
    shown = market.get(f"/api/v1/participations/{obj['id']}/signatures")
    status = market.get(f"/api/v1/participations/{obj['id']}")["status"]
    current = [s for s in shown["signatures"] if s["voided_at"] is None]
    roles = sorted(s["role"] for s in current)
    expected = ["member", "office"] if status == "executed" else ["member"]
    problems = [] if roles == expected else [f"{status} addendum with signatures {roles}"]
    if len({s["terms_sha256"] for s in current}) != 1:
        problems.append("the current signatures bind different terms")
    return problems


COUNTERSIGN_VS_DECLINE = Race(
    name="office countersigns vs declines", noun="participations",
    steps=(Step("approve", ADMIN, COUNTERSIGN), Step("decline", ADMIN, {"reason": "The ceiling is nearly used up."})),
    happened={"approve": ("approved", "executed"), "decline": DECLINED},
    after={"approve": "executed", "decline": "declined"},
    prepare=_signed, shared=lambda market: {"listing": market.listing()},
    vehicle_of=lambda obj, shared: obj["vehicle_id"], check=_signatures)


def test_countersign_and_decline_race_exactly_one_wins(app, market):
    results = run_rounds(app, market, COUNTERSIGN_VS_DECLINE, rounds=max(ROUNDS, 20))
    assert len(results) >= 20
    assert_every_round_right(results)


def test_a_request_executed_by_countersignature_cannot_then_be_signed_again(market):
    vehicle = market.vehicle(market.listing(), tempe_joins=False)
    joined = market.participation(vehicle, "executed")
    again = market.client.post(f"/api/v1/participations/{joined['id']}/sign", headers=market.headers(APPROVER),
                               json={"title": "City Manager", "authority": "Resolution 2026-14"})
    assert again.status_code == 409 and "cannot be signed now" in again.get_json()["error"]["message"]
