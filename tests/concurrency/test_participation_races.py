"""The consortium office approves and declines the same request to join a vehicle at once."""

import pytest

from tests.concurrency.races import PARTICIPATION_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", PARTICIPATION_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_exactly_one_decision_wins(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
