"""The buying city verifies and disputes the same reported measurement at once."""

import pytest

from tests.concurrency.races import OBSERVATION_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", OBSERVATION_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_exactly_one_decision_wins(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
