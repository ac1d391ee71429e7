"""Closeout racing the order's other business: the buyer completes while the approver terminates, and the
approver terminates while the buyer verifies the last period that has ended. The state is one a serial
order leaves, and the money adds up: the order commits what was payable (never less), and the vehicle and
Tempe's participation commit the sum of their orders, to the cent."""

import pytest

from tests.concurrency.races import CLOSEOUT_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", CLOSEOUT_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_a_serial_outcome_and_the_money_adds_up(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
