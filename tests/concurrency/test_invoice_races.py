"""Invoices decided and written at once: the city approves and rejects the same invoice, and the vendor sends
two invoices for one settled period that together ask for more than is due. Exactly one wins, the other
gets 409 saying what happened, and the invoices of a period never add up to more than it made payable."""

import pytest

from tests.concurrency.races import INVOICE_RACES, assert_every_round_right, run_rounds

pytestmark = pytest.mark.postgres_only


@pytest.mark.parametrize("spec", INVOICE_RACES, ids=lambda spec: spec.name.replace(" ", "-"))
def test_exactly_one_wins(app, market, spec):
    assert_every_round_right(run_rounds(app, market, spec))
