"""The race tests can fail. Run the very same races with the kernel's row lock switched off
(`TESTING_TRANSITIONS_UNLOCKED`: `transitions.run` acts on the row as the request first read it,
and `transitions.lock` reads without `FOR UPDATE`): some round must end with two winners, a state
no single winner leaves, or money that does not add up. If this test fails, the race tests no
longer fire their requests concurrently enough to prove anything.

Left out: races whose two steps may legitimately both succeed one after the other (approve, then
cancel the approved order); without the lock they usually still end in a right answer by luck. Except
complete vs terminate: without the lock both act on the active order they first read and both trim it, so
the participation gets the difference back twice, or the order is left terminated, a state no serial
order leaves (terminate, then complete, ends completed). Terminate vs verify is left out too: the two
never conflict (they lock different rows), with or without the lock."""

import pytest

from marketplace.transitions import UNLOCKED_SETTING
from tests.concurrency.races import ALL_RACES, run_rounds

pytestmark = pytest.mark.postgres_only

EXCLUSIVE = [name for name, spec in ALL_RACES.items() if not spec.one_after_another]
# Races where both may win one after the other, but without the lock demonstrably go wrong anyway.
WRONG_WITHOUT_THE_LOCK = ["orders: buyer completes vs approver terminates"]


@pytest.mark.parametrize("name", EXCLUSIVE + WRONG_WITHOUT_THE_LOCK)
def test_without_the_lock_the_race_is_lost(app, market, name):
    app.config[UNLOCKED_SETTING] = True  # the `committed` fixture switches it off again
    results = run_rounds(app, market, ALL_RACES[name], until_lost=True)
    assert results[-1].lost, (
        f"{len(results)} rounds of {name!r} without the lock, and never two winners, a wrong state nor money "
        f"that does not add up: the requests do not really overlap.\nlast round: {results[-1]}")
