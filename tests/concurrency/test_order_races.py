"""Conflicting order transitions fired together through the API: exactly one wins, the others get
409 saying what happened, and the commitments against the vehicle ceiling and Tempe's participation
limit still add up to the cent (DESIGN section 9, Concurrency)."""

import pytest

from tests.concurrency.races import ORDER_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", ORDER_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_exactly_one_wins_and_the_money_adds_up(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
