"""DESIGN section 5b's priority selection, pure (no Flask, no database): example I exactly, ties, unrated needs."""

from decimal import Decimal

from consortium.planning.selection import Candidate, Criterion, select, weights_sum_to_one

CRITERIA = [Criterion("Resident benefit", Decimal("0.4")), Criterion("Savings", Decimal("0.3")),
            Criterion("Readiness", Decimal("0.3"))]


def _candidate(need_id, title, cost, ratings, age=None):
    return Candidate(need_id, title, Decimal(cost), age if age is not None else need_id,
                     dict(zip([c.name for c in CRITERIA], ratings, strict=True)))


def test_example_i():
    """Envelope 1,000,000.00; A 600,000 (4.6), B 500,000 (4.2), C 300,000 (3.9), D 100,000 (3.1) → A, C, D
    selected, B deferred because it does not fit the remaining 400,000.00; remaining 0.00."""
    candidates = [_candidate(4, "D", "100000.00", (4, 3, 2)), _candidate(2, "B", "500000.00", (3, 5, 5)),
                  _candidate(1, "A", "600000.00", (4, 5, 5)), _candidate(3, "C", "300000.00", (3, 5, 4))]
    result = select(Decimal("1000000.00"), CRITERIA, candidates)
    assert [(r.title, r.score, r.rank, r.selected) for r in result.ranking] == [
        ("A", Decimal("4.6"), 1, True), ("B", Decimal("4.2"), 2, False),
        ("C", Decimal("3.9"), 3, True), ("D", Decimal("3.1"), 4, True)]
    assert [r.title for r in result.selected] == ["A", "C", "D"]
    assert [r.title for r in result.deferred] == ["B"]
    assert result.deferred[0].reason == "does not fit the remaining $400,000.00"
    assert all(r.reason is None for r in result.selected)
    assert result.selected_total == Decimal("1000000.00")
    assert result.remaining == Decimal("0.00") and str(result.remaining) == "0.00"


def test_ties_go_to_the_lower_cost_then_the_older_need():
    same = (4, 4, 4)
    candidates = [_candidate(1, "older, dearer", "300000.00", same, age=1),
                  _candidate(2, "newer, cheaper", "200000.00", same, age=2),
                  _candidate(3, "newest, cheaper", "200000.00", same, age=3)]
    result = select(Decimal("450000.00"), CRITERIA, candidates)
    assert [r.title for r in result.ranking] == ["newer, cheaper", "newest, cheaper", "older, dearer"]
    assert [r.selected for r in result.ranking] == [True, True, False]
    assert result.ranking[2].reason == "does not fit the remaining $50,000.00"


def test_a_need_without_every_rating_is_not_ranked():
    candidates = [_candidate(1, "rated", "100.00", (5, 5, 5)),
                  Candidate(2, "half rated", Decimal("100.00"), 2, {"Resident benefit": 5})]
    result = select(Decimal("1000.00"), CRITERIA, candidates)
    assert [r.title for r in result.ranking] == ["rated"]
    assert [c.title for c in result.unrated] == ["half rated"]


def test_weights_must_sum_to_exactly_one():
    assert weights_sum_to_one([Decimal("0.4"), Decimal("0.3"), Decimal("0.3")])
    assert not weights_sum_to_one([Decimal("0.4"), Decimal("0.3"), Decimal("0.2")])
    assert not weights_sum_to_one([Decimal("0.3333"), Decimal("0.3333"), Decimal("0.3333")])
