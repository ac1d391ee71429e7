"""Conflicting listing decisions fired together: the office's approve and request-changes, a vendor's
repeated submit, the office's suspend against the vendor's withdraw."""

import pytest

from tests.concurrency.races import LISTING_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", LISTING_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_exactly_one_wins(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
