"""Properties of the pay-for-performance settlement over generated terms and observations."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.performance import UNITS, Settlement, Terms, not_to_exceed, parse_terms, settle
from tests.contracts.performance_builders import D

# --------------------------------------------------------------------------------------
# Properties

MONEY = st.integers(0, 5_000_000).map(lambda cents: str(D(cents).scaleb(-2)))


def tenths(low: int, high: int):
    return st.integers(low, high).map(lambda n: str(D(n).scaleb(-1)))


@st.composite
def kpi_data(draw, code: str, weight: int) -> dict:
    direction = draw(st.sampled_from(["higher", "lower"]))
    sign = 1 if direction == "higher" else -1
    # Tenths from 0 to 100.0 fit every unit (a percentage is at most 100, the others never negative).
    floor = draw(st.integers(0, 850) if direction == "higher" else st.integers(150, 1000))
    target = floor + sign * draw(st.integers(1, 100))
    stretch = target + sign * draw(st.integers(1, 50)) if draw(st.booleans()) else None
    return {
        "code": code,
        "name": code.title(),
        "unit": draw(st.sampled_from(UNITS)),
        "direction": direction,
        "weight": str(D(weight).scaleb(-2)),
        "baseline": str(D(floor).scaleb(-1)),
        "floor": str(D(floor).scaleb(-1)),
        "target": str(D(target).scaleb(-1)),
        "stretch": None if stretch is None else str(D(stretch).scaleb(-1)),
    }


@st.composite
def credits_data(draw, codes: list[str]) -> dict:
    """Tiers whose credit never falls as the threshold falls, as validation requires."""
    thresholds = sorted(draw(st.sets(st.integers(0, 1000), min_size=1, max_size=3)), reverse=True)
    pct = 0
    tiers = []
    for threshold in thresholds:
        pct = draw(st.integers(pct, 100))
        tiers.append({"below": str(D(threshold).scaleb(-1)), "credit_pct": str(pct)})
    return {
        "kpi": draw(st.sampled_from(codes)),
        "applies_to": "fixed_fee",
        "tiers": tiers,
        "cap_pct": str(draw(st.integers(0, 100))),
    }


@st.composite
def savings_data(draw) -> dict:
    return {
        "kpi": "energy_use",
        "baseline_use": str(draw(st.integers(0, 1_000_000))),
        "adjustments": [
            {"amount": str(amount), "reason": "adjustment"}
            for amount in draw(st.lists(st.integers(-50_000, 50_000), max_size=2))
        ],
        "unit_price": str(D(draw(st.integers(1, 100_000))).scaleb(-5)),
        "vendor_share_pct": str(draw(st.integers(0, 100))),
        "vendor_cap": draw(MONEY),
        "guaranteed_savings": draw(MONEY),
    }


@st.composite
def revenue_data(draw, periods: int) -> dict:
    return {
        "kpi": "gross_revenue",
        "city_share_pct": str(D(draw(st.integers(1, 1000))).scaleb(-1)),
        "minimum_guarantee": draw(MONEY),
        "guarantee_periods": draw(st.integers(1, periods)),
    }


@st.composite
def terms_strategy(draw, min_kpis: int = 0, revenue: bool | None = None) -> Terms:
    count = draw(st.integers(min_kpis, 3))
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=count - 1, max_size=count - 1))) if count else []
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)] if count else []
    kpis = [draw(kpi_data(f"k{i}", weight)) for i, weight in enumerate(weights)]
    has_stretch = any(kpi["stretch"] is not None for kpi in kpis)
    periods = draw(st.integers(1, 12))
    data = {
        "period": "month", "start_date": "2026-01-01",
        "periods": periods,
        "fixed_fee": draw(MONEY),
        "at_risk_fee": draw(MONEY) if kpis else "0",
        "bonus_pool": draw(MONEY) if has_stretch else "0",
        "holdback_pct": str(D(draw(st.integers(0, 1000))).scaleb(-1)),
        "holdback_window": draw(st.integers(1, periods)),
        "kpis": kpis,
    }
    if draw(st.booleans()):
        # Credits may share a code with a `higher` KPI, never a `lower` one: a credit falls
        # as its value rises, which would otherwise work against a lower-is-better KPI.
        codes = ["sla"] + [kpi["code"] for kpi in kpis if kpi["direction"] == "higher"]
        data["service_credits"] = draw(credits_data(codes))
    if draw(st.booleans()):
        data["shared_savings"] = draw(savings_data())
    if revenue or (revenue is None and draw(st.booleans())):
        data["revenue_share"] = draw(revenue_data(periods))
    return parse_terms(data)


def draw_value(draw, terms: Terms, code: str) -> Decimal:
    if terms.shared_savings is not None and code == terms.shared_savings.kpi:
        return D(draw(st.integers(0, 2_000_000)))
    if terms.revenue_share is not None and code == terms.revenue_share.kpi:
        return D(draw(st.integers(0, 500_000_000))).scaleb(-2)
    return D(draw(st.integers(-200, 1200))).scaleb(-1)


def draw_observations(draw, terms: Terms, *, complete: bool = False) -> dict:
    observations = {}
    for period in range(1, terms.periods + 1):
        for code in sorted(terms.kpi_codes()):
            if complete or draw(st.integers(0, 9)):
                observations[(period, code)] = draw_value(draw, terms, code)
    return observations


def settle_drawn(data, terms: Terms, **kwargs) -> Settlement:
    return settle(terms, draw_observations(data.draw, terms, **kwargs))


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_period_amounts_add_up(terms, data):
    result = settle_drawn(data, terms)
    for period in result.periods:
        assert period.paid_now + period.holdback == period.gross
        if period.status == "settled":
            fee = terms.fixed_fee - period.credits
            assert period.gross == fee + period.at_risk_earned + period.bonus
            assert D(0) <= period.pf <= 1
            assert period.at_risk_earned <= terms.at_risk_fee
            assert period.bonus <= terms.bonus_pool
        for amount in (period.gross, period.holdback, period.paid_now, period.credits):
            assert amount.as_tuple().exponent == -2
    for row in result.savings:
        r = row.result
        assert r.city_net + r.net_to_vendor == r.savings
        assert r.net_to_vendor == r.vendor_share - r.shortfall


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_withheld_money_is_released_forfeited_or_pending(terms, data):
    totals = settle_drawn(data, terms).totals
    assert totals.released + totals.forfeited + totals.pending == totals.withheld


@PROPERTY_SETTINGS
@given(terms=terms_strategy(), data=st.data())
def test_total_paid_stays_within_bounds(terms, data):
    """paid ≤ not_to_exceed always: net_to_vendor never exceeds vendor_cap and nothing else
    exceeds its fee. paid is only bounded below by the guarantee shortfalls the vendor owes."""
    result = settle_drawn(data, terms)
    paid = result.totals.paid
    assert paid <= not_to_exceed(terms)
    shortfalls = sum((row.result.shortfall for row in result.savings), D(0))
    assert paid + shortfalls >= 0
    if terms.shared_savings is None:
        assert paid >= 0


@PROPERTY_SETTINGS
@given(terms=terms_strategy(min_kpis=1), data=st.data())
def test_better_kpi_values_never_pay_less(terms, data):
    observations = draw_observations(data.draw, terms, complete=True)
    kpi = data.draw(st.sampled_from(terms.kpis))
    low, high = sorted([draw_value(data.draw, terms, kpi.code), draw_value(data.draw, terms, kpi.code)])

    def first_period(value: Decimal):
        return settle(terms, observations | {(1, kpi.code): value}).period(1)

    worse, better = (first_period(low), first_period(high))
    if kpi.direction == "lower":
        worse, better = better, worse
    assert worse.pf <= better.pf
    assert worse.gross <= better.gross


@PROPERTY_SETTINGS
@given(terms=terms_strategy(min_kpis=1), data=st.data())
def test_amounts_match_exact_rational_arithmetic(terms, data):
    result = settle_drawn(data, terms, complete=True)

    def clip(x: Fraction) -> Fraction:
        return min(max(x, Fraction(0)), Fraction(1))

    def half_up(x: Fraction) -> Decimal:
        cents = (abs(x) * 100 + Fraction(1, 2)).__floor__()
        return D(cents if x >= 0 else -cents).scaleb(-2)

    for period in result.periods:
        pf = bonus = Fraction(0)
        for kpi, step in zip(terms.kpis, period.kpis, strict=True):
            value = Fraction(step.value)
            floor, target = Fraction(kpi.floor), Fraction(kpi.target)
            pf += Fraction(kpi.weight) * clip((value - floor) / (target - floor))
            if kpi.stretch is not None:
                stretch = Fraction(kpi.stretch)
                bonus += Fraction(kpi.weight) * clip((value - target) / (stretch - target))
        assert period.at_risk_earned == half_up(Fraction(terms.at_risk_fee) * pf)
        assert period.bonus == half_up(Fraction(terms.bonus_pool) * bonus)


@PROPERTY_SETTINGS
@given(terms=terms_strategy())
def test_round_trip(terms):
    data = terms.to_dict()
    assert parse_terms(data) == terms
    assert parse_terms(data).to_dict() == data


@PROPERTY_SETTINGS
@given(terms=terms_strategy(revenue=True), data=st.data())
def test_revenue_share_reaches_the_minimum_in_every_settled_block(terms, data):
    """Per settled block the city gets at least the minimum (exactly it when the shares fall short), a pending
    block owes no true-up yet, and the city's revenue is the verified shares plus the settled true-ups."""
    result = settle_drawn(data, terms)
    rs = terms.revenue_share
    shares = {row.period: row.city_share for row in result.revenue}
    for row in result.revenue:
        assert row.city_share == (row.revenue * rs.city_share_pct / 100).quantize(D("0.01"), ROUND_HALF_UP)
    assert [n for block in result.guarantees for n in block.periods] == list(range(1, terms.periods + 1))
    for block in result.guarantees:
        assert block.city_share == sum((shares.get(n, D(0)) for n in block.periods), D("0.00"))
        if block.status == "settled":
            assert block.city_share + block.true_up >= rs.minimum_guarantee
            assert block.true_up == 0 or block.city_share + block.true_up == rs.minimum_guarantee
        else:
            assert block.true_up == 0 and any(n not in shares for n in block.periods)
    settled_true_ups = sum((b.true_up for b in result.guarantees if b.status == "settled"), D(0))
    assert result.totals.city_revenue == sum(shares.values(), D(0)) + settled_true_ups


@PROPERTY_SETTINGS
@given(terms=terms_strategy(revenue=True), data=st.data())
def test_revenue_share_never_changes_what_the_city_pays(terms, data):
    observations = draw_observations(data.draw, terms)
    without = replace(terms, revenue_share=None)
    kept = {key: value for key, value in observations.items() if key[1] != terms.revenue_share.kpi}
    assert not_to_exceed(terms) == not_to_exceed(without)
    assert settle(terms, observations).totals.paid == settle(without, kept).totals.paid
